"""Which window's records a staff member reads: window staff their own, the others any."""

from __future__ import annotations

from api.errors import forbidden
from projections.center import StaffMember
from workflows.model import Role


def window_scope(staff: StaffMember, window: str | None) -> str | None:
    """Clerks and window heads read their own window's (asking for another is 403); the
    director and ops the window they name, or the whole center (None)."""
    if staff.role in (Role.CLERK, Role.WINDOW_HEAD):
        if window is not None and window != staff.window:
            raise forbidden(f"staff of window {staff.window} read that window's only")
        return staff.window
    return window
