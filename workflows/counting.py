"""What the case workflow asks the calendar activities to count, and what they answer.

Limits are counted in working days and office time by activities
(``activities.deadline``), so the workflow records each answer in its history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from workdays.deadline import Pause
from workflows.model import OfficeCalendar


@dataclass(frozen=True)
class DeadlineRequest:
    """Count ``working_days`` from ``start`` (its own day not counted) in the center's calendar,
    then move the limit later by the office time within each pause."""

    start: datetime
    working_days: int
    calendar: OfficeCalendar
    pauses: list[Pause] = field(default_factory=list)


@dataclass(frozen=True)
class ClockSpec:
    name: str
    working_days: int
    warn_days: int = 1


@dataclass(frozen=True)
class ClocksRequest:
    """Count several clocks from one start and one list of pauses; a Deadline for each
    (``workdays.deadline``)."""

    start: datetime
    clocks: list[ClockSpec]
    calendar: OfficeCalendar
    pauses: list[Pause] = field(default_factory=list)


@dataclass(frozen=True)
class ShiftRequest:
    """Move a deadline later by the office time between ``paused_from`` and ``paused_to``."""

    due_at: datetime
    warn_at: datetime
    paused_from: datetime
    paused_to: datetime
    calendar: OfficeCalendar


@dataclass(frozen=True)
class LadderRequest:
    """The instants ``working_days`` of office time after ``start``, one per rung."""

    start: datetime
    working_days: list[int]
    calendar: OfficeCalendar


@dataclass(frozen=True)
class OfficeInstantRequest:
    at: datetime
    calendar: OfficeCalendar
