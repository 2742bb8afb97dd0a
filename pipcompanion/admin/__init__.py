"""The service lead's pages: therapists, caseloads, service settings, audit log."""

from .views import bp

__all__ = ["bp"]
