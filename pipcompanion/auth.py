"""Flask-Login wiring: loading the signed-in person from their sign-in, and the idle timeout for staff."""

from __future__ import annotations

import time

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_url, logout_user
from werkzeug.wrappers import Response

from .extensions import commit_keeping_loaded, login_manager
from .models import User
from .models.users import SignIn
from .problems import ApiProblem, problem_response, wants_problem
from .services.sign_ins import end_sign_in, note_use, signed_in_user

LAST_SEEN_KEY = "last_seen"
# The session key holding this browser's sign-in ("ID:SECRET", services/sign_ins.py).
SIGN_IN_KEY = "sign_in"
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
def load_user(user_id: str) -> User | None:
    """The person this browser's sign-in stands for; None once it is signed out or has expired."""
    found = signed_in_user(user_id, session.get(SIGN_IN_KEY))
    if found is None:
        return None
    user, g.sign_in = found
    return user


def current_sign_in() -> SignIn | None:
    """This request's sign-in row (after Flask-Login has loaded the person)."""
    sign_in: SignIn | None = g.get("sign_in") if current_user.is_authenticated else None
    return sign_in


def sign_out_idle_staff() -> Response | None:
    """Therapists and admins are signed out after STAFF_IDLE_TIMEOUT without a request."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = int(time.time())
    if current_user.is_staff:
        timeout = current_app.config["STAFF_IDLE_TIMEOUT"]
        last_seen = session.get(LAST_SEEN_KEY, now)
        if now - last_seen > timeout.total_seconds():
            end_sign_in(session.get(SIGN_IN_KEY))
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
        sign_in = current_sign_in()
        if sign_in is not None:
            note_use(sign_in.id)
            commit_keeping_loaded()
    return None
