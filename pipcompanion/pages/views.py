"""Landing pages for each role, the Help page and /healthz."""

from __future__ import annotations

import re

from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from markupsafe import Markup, escape
from werkzeug.wrappers import Response

from ..extensions import db, limiter
from ..forms import ConfirmForm
from ..models import MemberKind, Role
from ..permissions import FamilyAction, families_with_babies, family_access, public, role_required
from ..services.home import carer_home as carer_home_data
from ..services.privacy import current_notice, shown
from ..services.progress import viewer_overview
from .navigation import home_link, home_url, nav_links

bp = Blueprint("pages", __name__)
bp.add_app_template_global(home_link)
bp.add_app_template_global(nav_links)

# A phone number inside a line of words ("Samaritans: 116 123"): bounded, so no input is slow.
PHONE_IN_TEXT = re.compile(r"(?<![\w/+])\+?\d[\d ]{1,18}\d(?![\w/])")


@bp.app_template_filter()
def phone_link(phone: str) -> Markup:
    """A whole phone number (the service's team, checked when saved) as one `tel:` link. The UK's
    "+44 (0)20…" keeps its "(0)" for reading only: it is not dialled after a country code."""
    dialled = re.sub(r"\(0\)", "", phone) if phone.startswith("+") else phone
    return Markup('<a class="phone" href="tel:{}">{}</a>').format(re.sub(r"[^\d+]", "", dialled), phone)


@bp.app_template_filter()
def phone_links(line: str) -> Markup:
    """The line with each phone number in it a `tel:` link, so a tap on a phone calls it; the rest escaped."""
    parts: list[Markup] = []
    last = 0
    for match in PHONE_IN_TEXT.finditer(line):
        digits = re.sub(r"[^\d+]", "", match.group())
        if len(digits.lstrip("+")) < 3:
            continue
        parts += [escape(line[last:match.start()]),
                  Markup('<a class="phone" href="tel:{}">{}</a>').format(digits, match.group())]
        last = match.end()
    parts.append(escape(line[last:]))
    return Markup("").join(parts)


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
    """A carer's home: Add a moment, a check-in when one is due, the focus, reflections, the next session,
    recent moments."""
    families = families_with_babies(current_user, FamilyAction.LOG_MOMENTS)
    family = families[0] if families else None
    # Reached through LOG_MOMENTS: a carer of this family.
    home = carer_home_data(family_access(current_user, family.id, MemberKind.CARER), family) if family else None
    return render_template("pages/carer_home.html", families=families, family=family, home=home,
                           confirm_form=ConfirmForm())


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


@bp.route("/privacy")
@public
def privacy_notice() -> str:
    """The privacy notice in force: its version and the day it took effect (anyone)."""
    return render_template("pages/privacy_notice.html", notice=shown(current_notice()))


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
