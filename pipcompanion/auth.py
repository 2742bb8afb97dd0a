"""Flask-Login wiring: loading the signed-in person from their sign-in, the half-signed-in state
between the password and the code, and the idle timeout for staff."""

from __future__ import annotations

import hmac
import time
from datetime import timedelta

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_url, logout_user
from werkzeug.wrappers import Response

from .extensions import commit_keeping_loaded, db, login_manager
from .models import User, utcnow
from .models.users import SignIn
from .problems import ApiProblem, problem_response, wants_problem
from .services.sign_ins import end_sign_in, note_use, signed_in_user
from .services.tokens import keyed_hash

LAST_SEEN_KEY = "last_seen"
# The session key holding this browser's sign-in ("ID:SECRET", services/sign_ins.py).
SIGN_IN_KEY = "sign_in"
# Refresh the idle clock at most this often, so most responses carry no new cookie.
LAST_SEEN_RESOLUTION_SECONDS = 60
# The session key of a half sign-in: the password was right, the code from the authenticator app
# (or setting one up) is next. To every page and the API the browser is still signed out.
SECOND_STEP_KEY = "second_step"
# The session key saying this sign-in must agree to the privacy notice before anything else (set by
# accounts.views.start_session when services.privacy.agreement_needed).
AGREEMENT_KEY = "agreement_needed"
# What a person who has not agreed yet may still reach: the notice and its "I agree", signing out,
# the Help page's crisis contacts, and what the browser loads by itself. A person's rights over their
# data do not wait for an agreement: downloading their data ("accounts.export", Settings) stays
# open, and so must deleting their account, whose endpoint belongs here too.
OPEN_BEFORE_AGREEING = frozenset({
    "accounts.privacy_agree", "accounts.logout", "pages.privacy_notice", "pages.help_page", "pages.healthz",
    "pwa.manifest", "pwa.service_worker", "pwa.offline", "static", "accounts.export", "accounts.delete_account",
    "accounts.account_deleted",
})


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    app.before_request(sign_out_staff_without_second_factor)
    app.before_request(sign_out_idle_staff)
    app.before_request(ask_for_agreement_first)
    app.add_template_global(waiting_for_agreement)


@login_manager.unauthorized_handler
def ask_to_sign_in() -> Response:
    """Pages send people to sign in (and back); the API answers 401 for the outbox to wait."""
    half = half_signed_in_person()
    if wants_problem():
        if half is not None:
            return problem_response(ApiProblem(
                401, "second-step-needed", _("Please finish signing in."),
                detail=_("Type the code from your authenticator app on the sign-in page first. "
                         "Nothing was saved by this request.")))
        return problem_response(ApiProblem(401, "signed-out", _("Please sign in again."),
                                           detail=_("Your sign-in has ended. Nothing was saved by this request.")))
    if half is not None:
        flash(_("Please finish signing in first."), "info")
        return redirect(second_step_url(half))
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


def _password_mark(user: User) -> str:
    """Ties a half sign-in to the password it was given with: a new password voids it."""
    return keyed_hash(user.password_hash or "", SECOND_STEP_KEY)


def begin_half_sign_in(user: User, next_url: str | None) -> None:
    """Remember, in this browser's session, that `user` gave the right password; the caller has
    started a brand-new session. Nothing is signed in until the second step is done."""
    session[SECOND_STEP_KEY] = {"user": user.id, "at": int(time.time()), "mark": _password_mark(user),
                                "next": next_url}
    g.pop("half_signed_in", None)


def half_signed_in_person() -> User | None:
    """The person whose password this browser gave, whose second step has not followed yet.

    Only the second-step pages serve them; everywhere else they are signed out. It lasts
    TWO_FACTOR_STEP_TIMEOUT, and ends when their password changes or their account is closed.
    """
    if current_user.is_authenticated:
        return None
    if "half_signed_in" in g:
        found: User | None = g.half_signed_in
        return found
    value = session.get(SECOND_STEP_KEY)
    user = None
    if isinstance(value, dict) and isinstance(value.get("user"), int) and isinstance(value.get("at"), int):
        fresh = time.time() - value["at"] <= current_app.config["TWO_FACTOR_STEP_TIMEOUT"].total_seconds()
        user = db.session.get(User, value["user"]) if fresh and 0 < value["user"] < 2**31 else None
        if user is not None and not (user.active and hmac.compare_digest(str(value.get("mark")), _password_mark(user))):
            user = None
    if user is None:
        session.pop(SECOND_STEP_KEY, None)
    g.half_signed_in = user
    return user


def half_sign_in_next_url() -> str | None:
    """Where the person was going when they signed in (checked when they typed it)."""
    value = session.get(SECOND_STEP_KEY)
    next_url = value.get("next") if isinstance(value, dict) else None
    return next_url if isinstance(next_url, str) else None


def second_step_url(user: User) -> str:
    """The page a half-signed-in person goes on to: setting up two-step sign-in, or typing a code."""
    return url_for("accounts.login_two_factor_setup" if user.must_set_up_two_factor else "accounts.login_code")


def current_sign_in() -> SignIn | None:
    """This request's sign-in row (after Flask-Login has loaded the person)."""
    sign_in: SignIn | None = g.get("sign_in") if current_user.is_authenticated else None
    return sign_in


def sign_out_staff_without_second_factor() -> Response | None:
    """A therapist's or admin's sign-in made without a second factor (before two-step sign-in came
    in) ends: they sign in again, and set one up before anything else."""
    if request.endpoint == "static" or not current_user.is_authenticated or not current_user.must_set_up_two_factor:
        return None
    end_sign_in(session.get(SIGN_IN_KEY))
    logout_user()
    session.clear()
    response: Response = login_manager.unauthorized()
    return response


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
    # "Last used" in Settings, at most once a minute a sign-in: judged by the row (loaded with the
    # person), not the cookie, so a client that never stores the renewed cookie cannot make every
    # one of its requests a write.
    sign_in = current_sign_in()
    if sign_in is not None and utcnow() - sign_in.last_seen_at >= timedelta(seconds=LAST_SEEN_RESOLUTION_SECONDS):
        note_use(sign_in.id)
        commit_keeping_loaded()
    return None


def waiting_for_agreement() -> bool:
    """Whether this sign-in must agree to the privacy notice before anything else (for templates:
    the page then tells its script to leave the outbox alone)."""
    return bool(session.get(AGREEMENT_KEY)) and current_user.is_authenticated


def ask_for_agreement_first() -> Response | None:
    """A sign-in that must agree to the privacy notice sees it before anything else: every other
    page sends them to it (and back afterwards); the API answers 401, so the phone's outbox keeps
    its moments until they have agreed. Only the session is read: no query on any request."""
    if not session.get(AGREEMENT_KEY) or request.endpoint in OPEN_BEFORE_AGREEING \
            or not current_user.is_authenticated:
        return None
    if wants_problem():
        return problem_response(ApiProblem(
            401, "agreement-needed", _("Please finish signing in."),
            detail=_("Read the privacy notice and agree to it first. Nothing was saved by this request.")))
    return redirect(url_for("accounts.privacy_agree",
                            next=request.full_path.rstrip("?") if request.method == "GET" else None))
