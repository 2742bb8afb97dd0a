"""Where each role lands, and which `next` addresses are safe to follow after sign-in."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import redirect, request, url_for
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from ..extensions import db
from ..models import Family, Role, User
from ..permissions import FamilyAction, families_for


@dataclass(frozen=True)
class HomeLink:
    endpoint: str
    label: LazyString

    @property
    def url(self) -> str:
        return url_for(self.endpoint)


# Each role's landing page, and its name in the navigation.
HOME_LINKS = {
    Role.ADMIN: HomeLink("admin.dashboard", _l("Admin")),
    Role.THERAPIST: HomeLink("families.caseload", _l("Caseload")),
    Role.CARER: HomeLink("pages.carer_home", _l("Home")),
    Role.VIEWER: HomeLink("pages.viewer_home", _l("Home")),
}


# The main navigation after each role's home: carers also reach their family's timeline and
# progress in one tap; a viewer's home is their progress summary, and a therapist reaches each
# family's pages from the caseload.
MORE_LINKS: dict[Role, tuple[HomeLink, ...]] = {
    Role.CARER: (HomeLink("moments.mine", _l("Timeline")), HomeLink("progress.mine", _l("Progress"))),
}


def home_link(user: User) -> HomeLink:
    return HOME_LINKS[user.role]


def nav_links(user: User) -> tuple[HomeLink, ...]:
    """The main navigation's links for this person, their home first."""
    return (home_link(user), *MORE_LINKS.get(user.role, ()))


def home_url(user: User) -> str:
    return home_link(user).url


def safe_next_url(target: str | None) -> str | None:
    """A local path to return to after sign-in, or None (never another site)."""
    if not target or len(target) > 500:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    # A control character (a line break above all) cannot go in the Location header: werkzeug
    # would refuse to send it, a server error instead of the page.
    if any(ord(character) < 0x20 or ord(character) == 0x7F for character in target):
        return None
    return target


def back_to_moment(family_id: int, moment_id: int) -> str:
    """Where a button on a moment returns (its form's `next`): the page it was pressed on, at that
    moment, if it is one of the family's pages that show moments; else the moment's own page."""
    target = request.form.get("next", "")
    allowed = (
        url_for("moments.family_timeline", family_id=family_id),
        url_for("moments.moment_detail", family_id=family_id, moment_id=moment_id),
        url_for("pages.carer_home"),
        url_for("therapist.session_screen", family_id=family_id),
        url_for("therapist.prepare", family_id=family_id),
    )
    if target.split("?")[0].split("#")[0] in allowed and "//" not in target and "\\" not in target:
        return target
    return url_for("moments.moment_detail", family_id=family_id, moment_id=moment_id)


def to_my_family(endpoint: str) -> Response:
    """A carer's one-tap link in the navigation: `endpoint` of their (first) family, or their home
    while they are in none yet."""
    family_id = db.session.scalar(
        families_for(current_user, FamilyAction.LOG_MOMENTS).with_only_columns(Family.id).limit(1))
    if family_id is None:
        return redirect(url_for("pages.carer_home"))
    return redirect(url_for(endpoint, family_id=family_id))
