"""A carer's confidence check-ins: answering one, and saying "not this time"."""

from .views import bp

__all__ = ["bp"]
