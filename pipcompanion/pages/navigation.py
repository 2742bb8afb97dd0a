"""Where each role lands, and which `next` addresses are safe to follow after sign-in."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import url_for

from ..models import Role, User

HOME_ENDPOINTS = {
    Role.ADMIN: "admin.dashboard",
    Role.THERAPIST: "families.caseload",
    Role.CARER: "pages.carer_home",
    Role.VIEWER: "pages.viewer_home",
}


def home_url(user: User) -> str:
    return url_for(HOME_ENDPOINTS[user.role])


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
