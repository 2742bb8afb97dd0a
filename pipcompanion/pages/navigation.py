"""Where each role lands, and which `next` addresses are safe to follow after sign-in."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import url_for
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from ..models import Role, User


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


# "Progress" in the navigation: carers (their family's page); a viewer's home is their progress
# summary, and a therapist reaches each family's from the caseload.
PROGRESS_LINKS = {
    Role.CARER: HomeLink("progress.mine", _l("Progress")),
}


def home_link(user: User) -> HomeLink:
    return HOME_LINKS[user.role]


def progress_link(user: User) -> HomeLink | None:
    return PROGRESS_LINKS.get(user.role)


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
    return target
