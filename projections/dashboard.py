"""The dashboard's rollups, kept up to date from each projected batch, in its transaction.

A case contributes to the rollups through one row of ``dash_cases``: where it
was received and when, where it stands (status, assignee, paused, warned,
overdue), and once completed, when, whether on time, and how long it took in
working days. When a batch moves a case, its old contribution is taken out of
the day and month rollups and the new one put in, so every figure is a sum
over rollup rows, never a scan of the cases. The row only moves forward
(``last_seq``), like the case row, so a repeated or late batch changes
nothing. Score deductions raised by events are keyed by case and kind, so
they are written once however often a batch arrives.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from projections.calendar import load_calendar
from projections.db import Conn
from projections.scores import record_case_deductions
from workdays.calendar import OfficeHours, WorkingCalendar
from workflows.model import CaseState, OfficeCalendar, ProjectionBatch, Status


def center_hours(calendar: OfficeCalendar) -> OfficeHours:
    """The center's time zone and office hours, which define its days for every figure."""
    return _hours(calendar.office_hours, calendar.timezone)


@lru_cache(maxsize=64)
def _hours(office_hours: str, timezone: str) -> OfficeHours:
    return OfficeHours.parse(office_hours, timezone)


def month_of(day: date) -> date:
    return day.replace(day=1)


def handling_bucket(days: float) -> int:
    """The histogram bucket of a handling time: its upper bound in tenths of a working day.

    Tenths under one day (immediate cases), half days up to ten, whole days beyond.
    """
    if days <= 1:
        return max(1, math.ceil(round(days * 10, 6)))
    if days <= 10:
        return math.ceil(round(days * 2, 6)) * 5
    return math.ceil(round(days, 6)) * 10


def working_days(cal: WorkingCalendar, start: datetime, end: datetime) -> float:
    """Office time between two instants, in working days of the center's office hours."""
    day = sum(
        (datetime.combine(date.min, b) - datetime.combine(date.min, a)).total_seconds()
        for a, b in cal.hours.periods
    )
    return cal.office_time_between(start, end).total_seconds() / day


@dataclass(frozen=True)
class Contribution:
    window: str
    kind: str
    status: str
    assignee: str
    received_on: date
    paused: bool
    warned: bool
    overdue: bool
    completed_on: date | None
    on_time: bool | None
    legal_on_time: bool | None
    handling_days: Decimal | None

    @classmethod
    def of_row(cls, row: Any) -> Contribution:
        return cls(
            **{f: row[f] for f in cls.__dataclass_fields__ if f != "window"},
            window=row["window_code"],
        )

    def received_key(self) -> tuple[Any, ...]:
        return (
            self.window,
            self.kind,
            self.status,
            self.assignee,
            self.paused,
            self.warned,
            self.overdue,
        )


async def _contribution(
    conn: Conn, center: str, s: CaseState, before: Contribution | None, hours: OfficeHours
) -> Contribution:
    tz = hours.tz
    completed_on = on_time = legal_on_time = handling = None
    if s.status is Status.COMPLETED and s.completed_at is not None:
        completed_on = s.completed_at.astimezone(tz).date()
        on_time = s.due_at is None or s.completed_at <= s.due_at
        if s.legal_due_at is not None:
            legal_on_time = s.completed_at <= s.legal_due_at
        if before is not None and before.completed_on is not None:
            handling = before.handling_days  # measured once, when the case completed
        else:
            cal = await load_calendar(conn, center, hours)
            days = working_days(cal, s.received_at, s.completed_at)
            handling = Decimal(f"{days:.3f}")
    return Contribution(
        window=s.window,
        kind=s.kind.value,
        status=s.status.value,
        assignee=s.assignee,
        received_on=s.received_at.astimezone(tz).date(),
        paused=s.paused,
        warned=s.warned,
        overdue=s.overdue,
        completed_on=completed_on,
        on_time=on_time,
        legal_on_time=legal_on_time,
        handling_days=handling,
    )


_UPSERT_DASH_CASE = """
insert into dash_cases (case_id, last_seq, window_code, kind, status, assignee, received_on,
    paused, warned, overdue, completed_on, on_time, legal_on_time, handling_days, center_code)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
on conflict (case_id) do update set
    last_seq = excluded.last_seq, window_code = excluded.window_code, kind = excluded.kind,
    status = excluded.status, assignee = excluded.assignee, received_on = excluded.received_on,
    paused = excluded.paused, warned = excluded.warned, overdue = excluded.overdue,
    completed_on = excluded.completed_on, on_time = excluded.on_time,
    legal_on_time = excluded.legal_on_time, handling_days = excluded.handling_days
"""

# Rows are sorted before they are written, so that two batches moving counts between the same
# rollup rows lock them in the same order and never deadlock.
_ADD_RECEIVED = """
insert into dash_received as r
    (center_code, grain, period, window_code, kind, status, assignee, paused, warned, overdue, n)
select * from unnest($1::text[], $2::text[], $3::date[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::boolean[], $9::boolean[], $10::boolean[], $11::bigint[])
on conflict (center_code, grain, period, window_code, kind, status, assignee, paused, warned,
             overdue)
do update set n = r.n + excluded.n
"""

_ADD_COMPLETED = """
insert into dash_completed as r (center_code, grain, period, window_code, kind, assignee, n,
    on_time, legal_counted, legal_on_time, handled, handling_days)
select * from unnest($1::text[], $2::text[], $3::date[], $4::text[], $5::text[], $6::text[],
                     $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[],
                     $12::numeric[])
on conflict (center_code, grain, period, window_code, kind, assignee) do update set
    n = r.n + excluded.n, on_time = r.on_time + excluded.on_time,
    legal_counted = r.legal_counted + excluded.legal_counted,
    legal_on_time = r.legal_on_time + excluded.legal_on_time,
    handled = r.handled + excluded.handled, handling_days = r.handling_days + excluded.handling_days
"""

_ADD_HANDLING = """
insert into dash_handling as r (center_code, grain, period, window_code, kind, tenths, n)
select * from unnest($1::text[], $2::text[], $3::date[], $4::text[], $5::text[], $6::integer[],
                     $7::bigint[])
on conflict (center_code, grain, period, window_code, kind, tenths)
do update set n = r.n + excluded.n
"""


def _periods(day: date) -> list[tuple[str, date]]:
    return [("d", day), ("m", month_of(day))]


Deltas = dict[tuple[Any, ...], list[Any]]


def _add(deltas: Deltas, key: tuple[Any, ...], values: list[Any], sign: int) -> None:
    total = deltas.setdefault(key, [0] * len(values))
    for i, v in enumerate(values):
        total[i] += sign * v


def _deltas(
    moves: Iterable[tuple[str, Contribution, int]],
) -> tuple[Deltas, Deltas, Deltas]:
    """What the rollups gain from contributions put in (``+1``) and taken out (``-1``), each
    in its center's rollups."""
    received: Deltas = {}
    completed: Deltas = {}
    handling: Deltas = {}
    for center, c, sign in moves:
        for grain, period in _periods(c.received_on):
            _add(received, (center, grain, period, *c.received_key()), [1], sign)
        if c.completed_on is None:
            continue
        days = c.handling_days
        for grain, period in _periods(c.completed_on):
            measures = [
                1,
                int(bool(c.on_time)),
                int(c.legal_on_time is not None),
                int(bool(c.legal_on_time)),
                int(days is not None),
                days if days is not None else Decimal(0),
            ]
            key = (center, grain, period, c.window, c.kind, c.assignee)
            _add(completed, key, measures, sign)
            if days is not None:
                bucket = handling_bucket(float(days))
                _add(handling, (center, grain, period, c.window, c.kind, bucket), [1], sign)
    return (_nonzero(received), _nonzero(completed), _nonzero(handling))


def _nonzero(deltas: Deltas) -> Deltas:
    return {k: v for k, v in sorted(deltas.items()) if any(x != 0 for x in v)}


def _columns(deltas: Deltas) -> list[list[Any]]:
    rows = [[*k, *v] for k, v in deltas.items()]
    return [list(col) for col in zip(*rows, strict=True)]


async def apply_to_dashboard(conn: Conn, center: str, batch: ProjectionBatch) -> None:
    """Inside the batch's transaction: move the case's contribution, record its deductions."""
    s = batch.state
    hours = center_hours(batch.calendar)
    await record_case_deductions(conn, center, s.case_id, s.window, batch.events, hours.tz)
    row = await conn.fetchrow("select * from dash_cases where case_id = $1 for update", s.case_id)
    if row is not None and row["last_seq"] >= s.last_seq:
        return
    old = Contribution.of_row(row) if row is not None else None
    new = await _contribution(conn, center, s, old, hours)
    if new == old:
        await conn.execute(
            "update dash_cases set last_seq = $2 where case_id = $1", s.case_id, s.last_seq
        )
        return
    await conn.execute(
        _UPSERT_DASH_CASE,
        s.case_id,
        s.last_seq,
        new.window,
        new.kind,
        new.status,
        new.assignee,
        new.received_on,
        new.paused,
        new.warned,
        new.overdue,
        new.completed_on,
        new.on_time,
        new.legal_on_time,
        new.handling_days,
        center,
    )
    moves = [(center, new, 1)] if old is None else [(center, old, -1), (center, new, 1)]
    await _add_to_rollups(conn, _deltas(moves))


async def move_contributions(conn: Conn, out: list[Any], into: list[Any]) -> None:
    """Take the contributions of some ``dash_cases`` rows out of the rollups and put those of
    others in: how a rebuild's rollups follow the rows it carries over from the live ones."""
    moves = [(r["center_code"], Contribution.of_row(r), -1) for r in out]
    moves += [(r["center_code"], Contribution.of_row(r), 1) for r in into]
    await _add_to_rollups(conn, _deltas(moves))


async def _add_to_rollups(conn: Conn, deltas: tuple[Deltas, Deltas, Deltas]) -> None:
    received, completed, handling = deltas
    for sql, rows in (
        (_ADD_RECEIVED, received),
        (_ADD_COMPLETED, completed),
        (_ADD_HANDLING, handling),
    ):
        if rows:
            await conn.execute(sql, *_columns(rows))
