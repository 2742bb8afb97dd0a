"""The memory book: choosing a period, the print-ready book and its download to keep."""

from .views import bp

__all__ = ["bp"]
