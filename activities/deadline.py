"""Deadline arithmetic as activities: the calendar is data that changes, so results go into history.

A limit of N working days ends at the close of office hours of the N-th
working day after receipt; the warning falls when one working day remains,
at the close of the working day before. Immediate cases (N = 0) get 30
minutes of office time and a warning after 20.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

import asyncpg
import structlog
from temporalio import activity

from activities.calendar import OfficeHours, WorkingCalendar
from projections.calendar import load_calendar
from projections.db import LazyPool
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


log = structlog.get_logger(__name__)

CALENDAR_READ_SECONDS = 5.0


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


def deadline_of(cal: WorkingCalendar, req: DeadlineRequest) -> Deadline:
    """The limit from its whole record, so a changed calendar recounts every part of it."""
    base = deadline_after(cal, req.start, req.working_days)
    paused = sum((cal.office_time_between(p.start, p.end) for p in req.pauses), timedelta())
    due = cal.add_office_time(base.due_at, paused)
    return Deadline(
        due_at=due,
        warn_at=cal.add_office_time(base.warn_at, paused),
        paused_office_seconds=int(paused.total_seconds()),
        provisional=cal.touches_provisional(req.start, due),
    )


class Deadlines:
    """The deadline activities, counting in the center's calendar as PostgreSQL has it.

    Imported holiday notices and closures live in PostgreSQL. When it cannot be
    read, the last calendar read is used (or, before any, the package's), so
    that intake and the clocks keep working through an outage.
    """

    def __init__(self, db: LazyPool) -> None:
        self._db = db
        self._last: dict[OfficeCalendar, WorkingCalendar] = {}

    async def calendar(self, spec: OfficeCalendar) -> WorkingCalendar:
        hours = OfficeHours.parse(spec.office_hours, spec.timezone)
        try:
            async with asyncio.timeout(CALENDAR_READ_SECONDS):
                pool = await self._db.get()
                cal = await load_calendar(pool, hours)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
            log.warning("calendar.read_failed", error=type(err).__name__)
            return self._last.get(spec) or WorkingCalendar(hours)
        self._last[spec] = cal
        return cal

    @activity.defn(name="compute_deadline")
    async def compute_deadline(self, req: DeadlineRequest) -> Deadline:
        return deadline_of(await self.calendar(req.calendar), req)

    @activity.defn(name="shift_deadline")
    async def shift_deadline(self, req: ShiftRequest) -> Deadline:
        """Cases received before limits were counted from their record still call this."""
        cal = await self.calendar(req.calendar)
        paused = cal.office_time_between(req.paused_from, req.paused_to)
        return Deadline(
            due_at=cal.add_office_time(req.due_at, paused),
            warn_at=cal.add_office_time(req.warn_at, paused),
            paused_office_seconds=int(paused.total_seconds()),
        )

    @activity.defn(name="ladder_times")
    async def ladder_times(self, req: LadderRequest) -> list[datetime]:
        """When each rung of the escalation ladder is due: N full working days of office time."""
        cal = await self.calendar(req.calendar)
        day = sum(
            (
                datetime.combine(date.min, end) - datetime.combine(date.min, start)
                for start, end in cal.hours.periods
            ),
            timedelta(),
        )
        return [cal.add_office_time(req.start, day * n) for n in req.working_days]

    @activity.defn(name="next_office_instant")
    async def next_office_instant(self, req: OfficeInstantRequest) -> datetime:
        """``at`` itself during office hours, else the start of the next office period."""
        cal = await self.calendar(req.calendar)
        tick = timedelta(seconds=1)
        return cal.add_office_time(req.at, tick) - tick
