"""Deadline arithmetic as activities: the calendar is data that changes, so results go into history.

A limit of N working days ends at the close of office hours of the N-th
working day after receipt; the warning falls when one working day remains,
at the close of the working day before. Immediate cases (N = 0) get 30
minutes of office time and a warning after 20.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from temporalio import activity

from activities.calendar import OfficeHours, WorkingCalendar
from workflows.model import (
    Deadline,
    DeadlineRequest,
    LadderRequest,
    OfficeCalendar,
    OfficeInstantRequest,
    ShiftRequest,
)

IMMEDIATE_LIMIT = timedelta(minutes=30)
IMMEDIATE_WARNING = timedelta(minutes=20)


def working_calendar(spec: OfficeCalendar) -> WorkingCalendar:
    return WorkingCalendar(OfficeHours.parse(spec.office_hours, spec.timezone))


def deadline_after(cal: WorkingCalendar, start: datetime, working_days: int) -> Deadline:
    if working_days == 0:
        return Deadline(
            due_at=cal.add_office_time(start, IMMEDIATE_LIMIT),
            warn_at=cal.add_office_time(start, IMMEDIATE_WARNING),
        )
    due = cal.due_at(start, working_days)
    if working_days == 1:
        # With a single working day, one day remains from the start: warn at half time.
        half = cal.office_time_between(start, due) / 2
        return Deadline(due_at=due, warn_at=cal.add_office_time(start, half))
    return Deadline(due_at=due, warn_at=cal.due_at(start, working_days - 1))


@activity.defn(name="compute_deadline")
async def compute_deadline(req: DeadlineRequest) -> Deadline:
    return deadline_after(working_calendar(req.calendar), req.start, req.working_days)


@activity.defn(name="shift_deadline")
async def shift_deadline(req: ShiftRequest) -> Deadline:
    """Move the limits later by the office time the clock stood still."""
    cal = working_calendar(req.calendar)
    paused = cal.office_time_between(req.paused_from, req.paused_to)
    return Deadline(
        due_at=cal.add_office_time(req.due_at, paused),
        warn_at=cal.add_office_time(req.warn_at, paused),
        paused_office_seconds=int(paused.total_seconds()),
    )


@activity.defn(name="ladder_times")
async def ladder_times(req: LadderRequest) -> list[datetime]:
    """When each rung of the escalation ladder is due: N full working days of office time later."""
    cal = working_calendar(req.calendar)
    day = sum(
        (
            datetime.combine(date.min, end) - datetime.combine(date.min, start)
            for start, end in cal.hours.periods
        ),
        timedelta(),
    )
    return [cal.add_office_time(req.start, day * n) for n in req.working_days]


@activity.defn(name="next_office_instant")
async def next_office_instant(req: OfficeInstantRequest) -> datetime:
    """``at`` itself during office hours, else the start of the next office period."""
    cal = working_calendar(req.calendar)
    tick = timedelta(seconds=1)
    return cal.add_office_time(req.at, tick) - tick
