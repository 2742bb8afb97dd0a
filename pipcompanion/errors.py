"""Friendly, translated error pages."""

from __future__ import annotations

import math
import time

from flask import Flask, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from .extensions import db, limiter
from .limits import PHOTO_REQUEST_BYTES_MAX
from .problems import ApiProblem, problem_response, wants_problem


def _retry_minutes() -> int:
    current = limiter.current_limit
    if current is None:
        return 1
    # reset_at is a whole second past the window's end; do not round that second up to a minute.
    return max(1, math.ceil((current.reset_at - time.time() - 1) / 60))


def error_text(code: int) -> tuple[str, str]:
    """Title and explanation for an HTTP error, in the person's language."""
    if code == 400:
        return _("Something in that request was not right"), _(
            "Please go back, check what you entered and try again."
        )
    if code == 403:
        return _("This page is not available to you"), _(
            "Your account cannot open this page. If you think it should, please ask your therapist."
        )
    if code == 404:
        return _("We could not find that page"), _(
            "The link may be old, or the page may have moved. Please go back to the start."
        )
    if code == 405:
        return _("That did not work"), _("Please go back and use the buttons on the page.")
    if code == 413:
        return _("That was too large to send"), _(
            "Photos can be up to %(megabytes)d MB together. Nothing was saved yet: please go back, choose a "
            "smaller photo or fewer photos (or none), and save again.",
            megabytes=PHOTO_REQUEST_BYTES_MAX // (1024 * 1024),
        )
    if code == 429:
        minutes = _retry_minutes()
        return _("Please wait a little"), ngettext(
            "There have been too many tries. Please try again in %(num)d minute.",
            "There have been too many tries. Please try again in %(num)d minutes.",
            minutes,
        )
    return _("Sorry, something went wrong on our side"), _(
        "Nothing you did caused this. Please try again in a moment."
    )


def render_error(code: int, title: str, message: str) -> tuple[str, int]:
    return render_template("errors/error.html", code=code, title=title, message=message), code


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiProblem)
    def api_problem(problem: ApiProblem) -> ResponseReturnValue:
        return problem_response(problem)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        if wants_problem():
            return problem_response(ApiProblem(
                400, "csrf", _("The security token was missing or old."),
                detail=_("Get a fresh token from /api/v1/csrf and send it in the X-CSRFToken header.")))
        return render_error(
            400,
            _("This form had expired"),
            _("For your safety, forms stop working after a while. Please go back, reload the page and try again."),
        )

    @app.errorhandler(SecurityError)
    def untrusted_host(error: SecurityError) -> ResponseReturnValue:
        # A Host outside TRUSTED_HOSTS: no address can be built for this request, so no page either.
        title, message = error_text(400)
        if wants_problem():
            return problem_response(ApiProblem(400, "http-400", title, detail=message))
        return f"{title}. {message}", 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        code = error.code or 500
        if code < 400:
            return error
        title, message = error_text(code)
        if wants_problem():
            return problem_response(ApiProblem(code, f"http-{code}", title, detail=message))
        return render_error(code, title, message)

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError) -> ResponseReturnValue:
        db.session.rollback()
        title, message = error_text(500)
        if wants_problem():
            return problem_response(ApiProblem(500, "server-error", title, detail=message))
        return render_error(500, title, message)
