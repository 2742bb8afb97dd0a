"""Signing in and out, joining a family by invitation, passwords and personal settings."""

from .views import bp

__all__ = ["bp"]
