"""Landing pages for each role, the Help page and /healthz."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from ..extensions import db, limiter
from ..models import MemberKind, Role
from ..permissions import FamilyAction, families_with_babies, family_access, public, role_required
from ..services.home import carer_home as carer_home_data
from ..services.progress import viewer_overview
from .navigation import home_link, home_url, progress_link

bp = Blueprint("pages", __name__)
bp.add_app_template_global(home_link)
bp.add_app_template_global(progress_link)


@bp.route("/")
@public
def index() -> Response:
    """Send each person to their role's home, or to sign in."""
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    return redirect(url_for("accounts.login"))


@bp.route("/home")
@role_required(Role.CARER)
def carer_home() -> str:
    """A carer's home: Add a moment, the focus, reflections, the next session, recent moments."""
    families = families_with_babies(current_user, FamilyAction.LOG_MOMENTS)
    family = families[0] if families else None
    # Reached through LOG_MOMENTS: a carer of this family.
    home = carer_home_data(family_access(current_user, family.id, MemberKind.CARER), family) if family else None
    return render_template("pages/carer_home.html", families=families, family=family, home=home)


@bp.route("/overview")
@role_required(Role.VIEWER)
def viewer_home() -> str:
    """A viewer's home: how things are going in each family they were invited into (the summary of
    the last four weeks and the newest moments shared with them), nothing of the therapy."""
    families = families_with_babies(current_user, FamilyAction.VIEW)
    # Reached through VIEW by a viewer: a viewer of each of these families.
    overviews = [viewer_overview(family_access(current_user, family.id, MemberKind.VIEWER), family)
                 for family in families]
    return render_template("pages/viewer_home.html", overviews=overviews)


@bp.route("/help")
@public
def help_page() -> str:
    """Crisis contacts and what the app is and is not (anyone)."""
    return render_template("pages/help.html")


@bp.route("/healthz")
@public
@limiter.exempt
def healthz() -> tuple[Response, int]:
    """Liveness and database check for load balancers (anyone)."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        current_app.logger.exception("health check: database unreachable")
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok"), 200
