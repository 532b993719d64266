"""A limit counted in working days: when it falls due and when its warning does.

A limit of N working days ends at the close of office hours of the N-th
working day after its start; the warning falls when W working days remain (the
center's threshold, one by default), at the close of the working day W days
before; when the limit is no longer than W days, at half of its office time.
Immediate cases (N = 0) get 30 minutes of office time and a warning after 20.
A limit is counted from its whole record, so a changed calendar recounts every
part of it, the office time of each pause included. Paused office time counts in
whole minutes, and a limit of working days moved by it still ends at the close of
office hours of the working day it now ends on (so does its warning).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from workdays.calendar import IMMEDIATE_LIMIT, WorkingCalendar
from workdays.deadline import Deadline, Pause

IMMEDIATE_WARNING = timedelta(minutes=20)


def deadline_after(
    cal: WorkingCalendar, start: datetime, working_days: int, warn_days: int = 1
) -> Deadline:
    if working_days == 0:
        return Deadline(
            due_at=cal.add_office_time(start, IMMEDIATE_LIMIT),
            warn_at=cal.add_office_time(start, IMMEDIATE_WARNING),
        )
    due = cal.due_at(start, working_days)
    if warn_days <= 0:
        return Deadline(due_at=due, warn_at=due)  # no warning before the breach
    if working_days <= warn_days:
        # The whole limit is within the warning's reach: warn at half time.
        half = cal.office_time_between(start, due) / 2
        return Deadline(due_at=due, warn_at=cal.add_office_time(start, half))
    return Deadline(due_at=due, warn_at=cal.due_at(start, working_days - warn_days))


def paused_time(cal: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
    """The office time of a pause, in whole minutes."""
    return cal.office_time_between(start, end) // _MINUTE * _MINUTE


_MINUTE = timedelta(minutes=1)


def deadline_of(
    cal: WorkingCalendar,
    start: datetime,
    working_days: int,
    pauses: Sequence[Pause] = (),
    warn_days: int = 1,
) -> Deadline:
    """The limit from its whole record: start, working days, and every pause."""
    base = deadline_after(cal, start, working_days, warn_days)
    paused = sum((paused_time(cal, p.start, p.end) for p in pauses), timedelta())
    due, warn = cal.add_office_time(base.due_at, paused), cal.add_office_time(base.warn_at, paused)
    if paused and working_days > 0:
        due = cal.close_of_day(due)
        if working_days > warn_days > 0:  # the warning, too, falls at a day's close
            warn = cal.close_of_day(warn)
    return Deadline(
        due_at=due,
        warn_at=warn,
        paused_office_seconds=int(paused.total_seconds()),
        provisional=cal.touches_provisional(start, due),
        calendar_version=cal.version,
    )
