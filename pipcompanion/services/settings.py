"""The service's settings row: read once per request, edited by admins."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import current_app, g, has_request_context
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Select

from ..extensions import db
from ..limits import CHECK_IN_EVERY_DAYS_CHOICES, RETENTION_YEARS_CHOICES
from ..models import ServiceSettings, User, utcnow
from ..models.audit import AuditAction
from . import ServiceError, insert_once
from .audit import record_event

# The settings live in one row with this id, so two first requests cannot make two.
SETTINGS_ROW = 1


def service_settings() -> ServiceSettings:
    """The settings row (made with defaults the first time), cached for this request."""
    if "service_settings" not in g:
        settings = db.session.get(ServiceSettings, SETTINGS_ROW)
        if settings is None:
            settings = insert_once(ServiceSettings(
                id=SETTINGS_ROW,
                service_name="PIP Companion",
                crisis_contacts="",
                default_locale=current_app.config["BABEL_DEFAULT_LOCALE"],
                timezone=current_app.config["BABEL_DEFAULT_TIMEZONE"],
            ), SETTINGS_ROW)
        g.service_settings = settings
    return g.service_settings


def settings_row_joined(query: Select[Any]) -> Select[Any]:
    """`query` with the settings row as one more column (None until the row is made): every page
    needs the settings, and reading them with the person who asks saves a round trip each."""
    return query.add_columns(ServiceSettings).outerjoin(ServiceSettings, ServiceSettings.id == SETTINGS_ROW)


def keep_for_request(settings: ServiceSettings | None) -> None:
    """Settings read alongside something else serve the rest of this request."""
    if settings is not None:
        g.service_settings = settings


def offered_languages() -> dict[str, str]:
    """The languages this service offers (code -> name in itself), in the app's order. The service's
    default is always among them, and so is the app's own if nothing else is left."""
    settings = service_settings()
    chosen = set(settings.offered_languages.split()) | {settings.default_locale}
    offered = {code: name for code, name in current_app.config["LANGUAGES"].items() if code in chosen}
    fallback = current_app.config["BABEL_DEFAULT_LOCALE"]
    return offered or {fallback: current_app.config["LANGUAGES"][fallback]}


def language_on_offer(wish: str | None = None) -> str:
    """`wish` if that language is on offer, else the service's default, else the app's."""
    offered = offered_languages()
    if wish is not None and wish in offered:
        return wish
    default = service_settings().default_locale
    return default if default in offered else next(iter(offered))


def babel_locale(language: str) -> str:
    """The Babel locale a language is shown with: its regional formats (en -> en_GB)."""
    return current_app.config["LOCALE_FORMATS"].get(language, language)


@cache
def timezone_choices() -> tuple[str, ...]:
    """The time zones people may choose, read once: available_timezones() walks the zone files on
    disk, and every Settings page lists them."""
    return tuple(sorted(zone for zone in available_timezones() if "/" in zone and zone[0].isupper()))


def is_time_zone(name: str) -> bool:
    """Whether `name` is one of the time zones people may choose."""
    return name in _time_zones()


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(timezone_choices())


def local_zone() -> ZoneInfo:
    """The time zone dates are shown and read in: the signed-in person's own, else the service's."""
    own = current_user.timezone if has_request_context() and current_user.is_authenticated else None
    return ZoneInfo(own if own and is_time_zone(own) else service_settings().timezone)


@dataclass(frozen=True)
class TeamContact:
    """The service's own team as the Help page shows it first: each part optional."""

    name: str = ""
    phone: str = ""
    hours: str = ""


# A phone number as people write it: digits, spaces, and + ( ) - between them.
PHONE_NUMBER = re.compile(r"\+?[0-9][0-9 ()\-]*[0-9]")


def update_service_settings(
    admin: User, *, service_name: str, crisis_contacts: str, default_locale: str, offered: list[str],
    timezone: str, check_in_every_days: int, team: TeamContact, retention_years: int | None = None,
) -> ServiceSettings:
    """Save the admin's settings. Admins only."""
    team = TeamContact(*(" ".join(part.replace("\x00", "").split()) for part in (team.name, team.phone, team.hours)))
    if team.phone and not PHONE_NUMBER.fullmatch(team.phone):
        raise ServiceError(_("Please write the phone number with digits, like 020 7946 0000."), "team_phone")
    if not offered or not set(offered) <= set(current_app.config["LANGUAGES"]):
        raise ServiceError(_("Please offer at least one language from the list."), "offered_languages")
    if default_locale not in offered:
        raise ServiceError(_("Please choose a default language that the service offers."), "default_locale")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ServiceError(_("Please choose a time zone from the list."), "timezone") from None
    if check_in_every_days not in CHECK_IN_EVERY_DAYS_CHOICES:
        raise ServiceError(_("Please choose from the list."), "check_in_every_days")
    if retention_years is not None and retention_years not in RETENTION_YEARS_CHOICES:
        raise ServiceError(_("Please choose how long to keep closed cases from the list."), "retention_years")
    settings = service_settings()
    if retention_years is not None and settings.retention_years != retention_years:
        # How long closed cases are kept decides when family data is deleted: on record.
        record_event(admin, AuditAction.RETENTION_CHANGE)
        settings.retention_years = retention_years
    if settings.check_in_every_days != check_in_every_days:
        # How often carers are asked is a change to what the service does with families: on record.
        record_event(admin, AuditAction.CHECK_IN_INTERVAL_CHANGE)
        settings.check_in_every_days = check_in_every_days
    settings.service_name = service_name.strip()
    settings.crisis_contacts = crisis_contacts.strip()
    settings.default_locale = default_locale
    settings.offered_languages = " ".join(code for code in current_app.config["LANGUAGES"] if code in offered)
    settings.timezone = timezone
    settings.team_name, settings.team_phone, settings.team_hours = team.name, team.phone, team.hours
    db.session.commit()
    return settings


def today_here() -> date:
    """Today's date where the person is (what 'the future' means for dates people enter)."""
    return utcnow().astimezone(local_zone()).date()
