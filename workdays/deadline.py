"""A limit as it is counted: when it falls due and when its warning does, and a pause.

The workflow records these as the answers of its counting activities; ``workdays.limits``
computes them. They are plain data, so the workflow's code imports them as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Pause:
    """A period the clock stood still (waiting for materials, a statutory suspension)."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Deadline:
    due_at: datetime
    warn_at: datetime
    paused_office_seconds: int = 0
    # Counted partly in a year whose holiday notice is not imported yet.
    provisional: bool = False
    # The version of the center's calendar it was counted in (see workdays.calendar).
    calendar_version: int = 0
