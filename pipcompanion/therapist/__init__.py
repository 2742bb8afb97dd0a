"""The therapist's tools for a family: reflecting back, focus, sessions and the session screen."""

from .views import bp

__all__ = ["bp"]
