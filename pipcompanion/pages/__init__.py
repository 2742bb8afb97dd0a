"""Role home pages, Help and the health check."""

from .views import bp

__all__ = ["bp"]
