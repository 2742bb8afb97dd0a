"""The installable app: web app manifest, service worker and offline page."""

from .views import bp

__all__ = ["bp"]
