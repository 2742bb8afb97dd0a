"""Families: the therapist's caseload, family pages, invitations and viewers."""

from .views import bp

__all__ = ["bp"]
