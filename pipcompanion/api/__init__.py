"""The JSON API under /api/v1 (used by the offline outbox), described by OpenAPI 3.1."""

from .views import bp

__all__ = ["bp"]
