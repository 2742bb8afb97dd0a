"""Moments: adding, editing and deleting them, pinning, the timeline and one moment's page."""

from .views import bp

__all__ = ["bp"]
