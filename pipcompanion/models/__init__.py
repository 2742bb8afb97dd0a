"""Typed models, one module per aggregate."""

from .audit import AuditEvent
from .check_ins import CheckIn, CheckInAnswer, CheckInQuestion
from .base import utcnow
from .families import Baby, CaseloadAssignment, Family, Invitation, MemberKind, Membership
from .moments import (
    Focus,
    Moment,
    MomentKind,
    Reflection,
    TherapySession,
    Visibility,
)
from .photos import MomentPhoto
from .service import ServiceSettings
from .users import PasswordLink, PasswordLinkPurpose, RecoveryCode, Role, User

__all__ = [
    "Focus",
    "Moment",
    "MomentPhoto",
    "MomentKind",
    "Reflection",
    "TherapySession",
    "Visibility",
    "AuditEvent",
    "CheckIn",
    "CheckInAnswer",
    "CheckInQuestion",
    "Baby",
    "CaseloadAssignment",
    "Family",
    "Invitation",
    "MemberKind",
    "Membership",
    "PasswordLink",
    "PasswordLinkPurpose",
    "RecoveryCode",
    "Role",
    "ServiceSettings",
    "User",
    "utcnow",
]
