"""Flask-Login wiring: loading the signed-in user, and the idle timeout for staff."""

from __future__ import annotations

import time

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_url, logout_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from .extensions import db, login_manager
from .models import User
from .problems import ApiProblem, problem_response, wants_problem

LAST_SEEN_KEY = "last_seen"
# Refresh the idle clock at most this often, so most responses carry no new cookie.
LAST_SEEN_RESOLUTION_SECONDS = 60


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    app.before_request(sign_out_idle_staff)


@login_manager.unauthorized_handler
def ask_to_sign_in() -> Response:
    """Pages send people to sign in (and back); the API answers 401 for the outbox to wait."""
    if wants_problem():
        return problem_response(ApiProblem(401, "signed-out", _("Please sign in again."),
                                           detail=_("Your sign-in has ended. Nothing was saved by this request.")))
    flash(str(login_manager.login_message), login_manager.login_message_category)
    return redirect(login_url(login_manager.login_view, next_url=request.url))


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The user behind a session id 'ID:TOKEN'; a changed token means signed out."""
    user_id, _sep, token = session_id.partition(":")
    if not (user_id.isascii() and user_id.isdigit()) or not token:
        return None
    user = db.session.scalars(select(User).where(User.id == int(user_id))).first()
    if user is None or user.session_token != token or not user.active:
        return None
    return user


def sign_out_idle_staff() -> Response | None:
    """Therapists and admins are signed out after STAFF_IDLE_TIMEOUT without a request."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = int(time.time())
    if current_user.is_staff:
        timeout = current_app.config["STAFF_IDLE_TIMEOUT"]
        last_seen = session.get(LAST_SEEN_KEY, now)
        if now - last_seen > timeout.total_seconds():
            logout_user()
            session.clear()
            minutes = int(timeout.total_seconds() // 60)
            flash(
                ngettext(
                    "You were signed out after %(num)d minute without activity, to keep "
                    "families' information safe. Please sign in again.",
                    "You were signed out after %(num)d minutes without activity, to keep "
                    "families' information safe. Please sign in again.",
                    minutes,
                ),
                "info",
            )
            return redirect(url_for("accounts.login", next=request.full_path if request.method == "GET" else None))
    if now - session.get(LAST_SEEN_KEY, 0) >= LAST_SEEN_RESOLUTION_SECONDS:
        session[LAST_SEEN_KEY] = now
    return None
