"""The service's own settings: one row, edited by admins."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..limits import SERVICE_NAME_MAX
from .base import Model


class ServiceSettings(Model):
    __tablename__ = "service_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_name: Mapped[str] = mapped_column(String(SERVICE_NAME_MAX), default="PIP Companion")
    # Shown on the Help page and in every page footer, one contact a line.
    crisis_contacts: Mapped[str] = mapped_column(Text, default="")
    default_locale: Mapped[str] = mapped_column(String(10), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    # How often a carer's home offers a check-in, in days; 0: the service asks none.
    check_in_every_days: Mapped[int] = mapped_column(default=14, server_default="14")
