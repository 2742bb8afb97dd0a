"""Progress: a family's moments noticed over time, feelings and check-ins, and what viewers see."""

from .views import bp

__all__ = ["bp"]
