"""Deadline arithmetic as activities: the calendar is data that changes, so results go into history.

The arithmetic itself is ``workdays.limits``; these activities count in the
center's calendar as PostgreSQL has it (imported notices, closures).

A limit counted partly in a year whose holiday notice is not imported yet is
provisional, and ops are alerted, once per year, that the notice is missing.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

import asyncpg
import structlog
from temporalio import activity

from projections.alerts import raise_notice_missing
from projections.calendar import calendar_version, load_calendar
from projections.centers import case_center
from projections.db import LazyPool
from workdays.calendar import OfficeHours, WorkingCalendar
from workdays.deadline import Deadline
from workdays.limits import deadline_of, paused_time
from workflows.counting import (
    ClocksRequest,
    DeadlineRequest,
    LadderRequest,
    OfficeInstantRequest,
    ShiftRequest,
)
from workflows.model import OfficeCalendar

log = structlog.get_logger(__name__)

CALENDAR_READ_SECONDS = 5.0


class Deadlines:
    """The deadline activities, counting in the case's center's calendar as PostgreSQL has it
    (the national notices and that center's closures).

    Imported holiday notices and closures live in PostgreSQL. Each count reads the
    calendar's version, and its days only when the version changed since the last read.
    When PostgreSQL cannot be read, the last calendar read is used (or, before any, the
    package's), so that intake and the clocks keep working through an outage.
    """

    def __init__(self, db: LazyPool) -> None:
        self._db = db
        self._last: dict[OfficeCalendar, WorkingCalendar] = {}
        self._alerted: set[int] = set()  # years whose missing notice ops were alerted to

    async def calendar(self, spec: OfficeCalendar) -> WorkingCalendar:
        hours = OfficeHours.parse(spec.office_hours, spec.timezone)
        try:
            async with asyncio.timeout(CALENDAR_READ_SECONDS):
                pool = await self._db.get()
                center = await case_center(pool, spec)
                known = self._last.get(spec)
                if known is not None and known.version == await calendar_version(pool):
                    return known  # unchanged since last read: its days need no reading again
                cal = await load_calendar(pool, center, hours)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
            log.warning("calendar.read_failed", error=type(err).__name__)
            return self._last.get(spec) or WorkingCalendar(hours)
        self._last[spec] = cal
        return cal

    @activity.defn(name="compute_deadline")
    async def compute_deadline(self, req: DeadlineRequest) -> Deadline:
        cal = await self.calendar(req.calendar)
        deadline = deadline_of(cal, req.start, req.working_days, req.pauses)
        await self._notice_missing(cal, req.start, deadline)
        return deadline

    @activity.defn(name="compute_clocks")
    async def compute_clocks(self, req: ClocksRequest) -> list[Deadline]:
        """Each clock of a case counted from one start and one list of pauses, in order."""
        cal = await self.calendar(req.calendar)
        deadlines = [
            deadline_of(cal, req.start, c.working_days, req.pauses, c.warn_days) for c in req.clocks
        ]
        for deadline in deadlines:
            await self._notice_missing(cal, req.start, deadline)
        return deadlines

    async def _notice_missing(self, cal: WorkingCalendar, start: datetime, d: Deadline) -> None:
        """Alert ops, once per year, that a limit is counted without that year's notice."""
        if not d.provisional:
            return
        years = cal.provisional_years(start, d.due_at)
        if not years or years <= self._alerted:
            return
        try:
            async with asyncio.timeout(CALENDAR_READ_SECONDS):
                pool = await self._db.get()
                for year in sorted(years - self._alerted):
                    await raise_notice_missing(pool, year, activity.info().scheduled_time)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
            log.warning("calendar.notice_alert_failed", error=type(err).__name__)
            return
        self._alerted |= years

    @activity.defn(name="shift_deadline")
    async def shift_deadline(self, req: ShiftRequest) -> Deadline:
        """Cases received before limits were counted from their record still call this."""
        cal = await self.calendar(req.calendar)
        paused = paused_time(cal, req.paused_from, req.paused_to)
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
