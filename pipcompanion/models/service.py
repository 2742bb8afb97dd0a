"""The service's own settings: one row, edited by admins."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..limits import PHONE_MAX, SERVICE_NAME_MAX, TEAM_HOURS_MAX, TEAM_NAME_MAX
from .base import Model


class ServiceSettings(Model):
    __tablename__ = "service_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_name: Mapped[str] = mapped_column(String(SERVICE_NAME_MAX), default="PIP Companion")
    # Shown on the Help page and in every page footer, one contact a line.
    crisis_contacts: Mapped[str] = mapped_column(Text, default="")
    default_locale: Mapped[str] = mapped_column(String(10), default="en")
    # The languages people may choose, as codes separated by spaces (a subset of config LANGUAGES).
    offered_languages: Mapped[str] = mapped_column(
        String(100), default=lambda: " ".join(current_app.config["LANGUAGES"]),
        server_default="en pl ro es ar ur bn so cy",
    )
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    # The service's own team, shown first on the Help page (each optional): who, their phone, when
    # someone answers it.
    team_name: Mapped[str] = mapped_column(String(TEAM_NAME_MAX), default="", server_default="")
    team_phone: Mapped[str] = mapped_column(String(PHONE_MAX), default="", server_default="")
    team_hours: Mapped[str] = mapped_column(String(TEAM_HOURS_MAX), default="", server_default="")
    # How often a carer's home offers a check-in, in days; 0: the service asks none.
    check_in_every_days: Mapped[int] = mapped_column(default=14, server_default="14")
    # How long a closed case is kept before `flask purge-expired` deletes it, in calendar years.
    retention_years: Mapped[int] = mapped_column(default=25, server_default="25")
