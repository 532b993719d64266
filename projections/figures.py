"""The dashboard's read queries: the center's figures over a range of days, from the rollups.

A range of days (both ends included, in the center's calendar; either end
open) is answered from the month rows of the whole months inside it and the
day rows of the days left over at either end, so no query reads more than a
few hundred rollup rows whatever the number of cases. Cases are counted by the
day they were received, where they stand now; completions by the day they were
completed; open alerts by the day they were raised.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from projections.dashboard import month_of
from projections.db import Conn
from workflows.model import DEFAULT_CALENDAR

Db = Conn | asyncpg.Pool

_FAR_PAST = date(1, 1, 1)
_DEFAULT_TZ = ZoneInfo(DEFAULT_CALENDAR.timezone)
_FAR_FUTURE = date(9999, 12, 31)


@dataclass(frozen=True)
class Span:
    """Days from ``start`` to ``end``, both included; None is open-ended."""

    start: date | None = None
    end: date | None = None
    # The zone whose days these are: the center's.
    tz: ZoneInfo = _DEFAULT_TZ

    def bounds(self) -> tuple[date, date]:
        return self.start or _FAR_PAST, self.end or _FAR_FUTURE

    def rollup_ranges(self) -> tuple[date, date, date, date, date, date]:
        """The month rows (first, last month) and the day rows (two ranges of days left over
        at either end) that together cover the span; an empty range is given reversed."""
        lo, hi = self.bounds()
        first = lo if lo.day == 1 else _next_month(lo)
        ends_a_month = hi == _FAR_FUTURE or (hi + timedelta(days=1)).day == 1
        last_end = hi if ends_a_month else month_of(hi) - timedelta(days=1)
        if first > last_end:  # no whole month inside: days only
            return _FAR_FUTURE, _FAR_PAST, lo, hi, _FAR_FUTURE, _FAR_PAST
        head = (lo, first - timedelta(days=1)) if first > lo else (_FAR_FUTURE, _FAR_PAST)
        tail = (last_end + timedelta(days=1), hi) if last_end < hi else (_FAR_FUTURE, _FAR_PAST)
        return (first, month_of(last_end), *head, *tail)


def _next_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


_IN_SPAN = (
    "((grain = 'm' and period between $1 and $2)"
    " or (grain = 'd' and (period between $3 and $4 or period between $5 and $6)))"
)


def _center_and_window(sql: str, args: list[Any], center: str | None, window: str | None) -> str:
    """``sql`` narrowed to the center (None: every center) and the window."""
    if center is not None:
        args.append(center)
        sql += f" and center_code = ${len(args)}"
    if window is not None:
        args.append(window)
        sql += f" and window_code = ${len(args)}"
    return sql


def _where(span: Span, center: str | None, window: str | None) -> tuple[str, list[Any]]:
    args: list[Any] = list(span.rollup_ranges())
    return _center_and_window(_IN_SPAN, args, center, window), args


@dataclass
class CaseCounts:
    """Cases received in the span, where they stand now."""

    by_status: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    by_window: dict[str, dict[str, int]] = field(default_factory=dict)
    by_assignee: dict[str, dict[str, int]] = field(default_factory=dict)
    received: int = 0
    open: int = 0
    overdue_now: int = 0
    at_risk_now: int = 0  # warned, not yet overdue
    timers_pending: int = 0  # open, clock running, not yet overdue: a warning or breach ahead


async def case_counts(db: Db, center: str | None, span: Span, window: str | None) -> CaseCounts:
    where, args = _where(span, center, window)
    rows = await db.fetch(
        "select window_code, kind, status, assignee, paused, warned, overdue, sum(n)::bigint as n"
        f" from dash_received where {where}"
        " group by window_code, kind, status, assignee, paused, warned, overdue having sum(n) <> 0",
        *args,
    )
    c = CaseCounts()
    by_status: dict[str, int] = defaultdict(int)
    by_kind: dict[str, int] = defaultdict(int)
    for r in rows:
        n = int(r["n"])
        by_status[r["status"]] += n
        by_kind[r["kind"]] += n
        c.received += n
        is_open = r["status"] != "completed"
        figures = {
            "received": n,
            "open": n if is_open else 0,
            "overdue_now": n if is_open and r["overdue"] else 0,
            "at_risk_now": n if is_open and r["warned"] and not r["overdue"] else 0,
        }
        for bucket in (
            c.by_window.setdefault(r["window_code"], defaultdict(int)),
            c.by_assignee.setdefault(r["assignee"], defaultdict(int)),
        ):
            for k, v in figures.items():
                bucket[k] += v
        c.open += figures["open"]
        c.overdue_now += figures["overdue_now"]
        c.at_risk_now += figures["at_risk_now"]
        if is_open and not r["paused"] and not r["overdue"]:
            c.timers_pending += n
    c.by_status, c.by_kind = dict(by_status), dict(by_kind)
    return c


@dataclass
class Completions:
    """Cases completed in the span."""

    completed: int = 0
    on_time: int = 0
    legal_counted: int = 0  # those with a legal limit
    legal_on_time: int = 0
    by_window: dict[str, dict[str, int]] = field(default_factory=dict)
    by_assignee: dict[str, dict[str, int]] = field(default_factory=dict)
    # Handling time in working days, per kind and over all: (measured, sum of days).
    handling: dict[str, tuple[int, float]] = field(default_factory=dict)


async def completions(db: Db, center: str | None, span: Span, window: str | None) -> Completions:
    where, args = _where(span, center, window)
    rows = await db.fetch(
        "select window_code, kind, assignee, sum(n)::bigint as n, sum(on_time)::bigint as on_time,"
        " sum(legal_counted)::bigint as legal_counted, sum(legal_on_time)::bigint as legal_on_time,"
        " sum(handled)::bigint as handled, sum(handling_days)::float8 as handling_days"
        f" from dash_completed where {where} group by window_code, kind, assignee",
        *args,
    )
    c = Completions()
    handling: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for r in rows:
        n, on_time = int(r["n"]), int(r["on_time"])
        c.completed += n
        c.on_time += on_time
        c.legal_counted += int(r["legal_counted"])
        c.legal_on_time += int(r["legal_on_time"])
        for bucket in (
            c.by_window.setdefault(r["window_code"], defaultdict(int)),
            c.by_assignee.setdefault(r["assignee"], defaultdict(int)),
        ):
            bucket["completed"] += n
            bucket["completed_on_time"] += on_time
        for key in (r["kind"], "all"):
            handling[key][0] += int(r["handled"])
            handling[key][1] += float(r["handling_days"])
    c.handling = {k: (int(v[0]), v[1]) for k, v in handling.items() if v[0]}
    return c


async def handling_percentile(
    db: Db, center: str | None, span: Span, window: str | None, q: float = 0.9
) -> dict[str, float]:
    """The q-th percentile of handling time per kind and over all (key ``all``), in working
    days, to the histogram's bucket (a tenth of a day under one day, half a day up to ten)."""
    where, args = _where(span, center, window)
    rows = await db.fetch(
        f"select kind, tenths, sum(n)::bigint as n from dash_handling where {where}"
        " group by kind, tenths having sum(n) > 0 order by tenths",
        *args,
    )
    per_kind: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for r in rows:
        per_kind[r["kind"]].append((r["tenths"], int(r["n"])))
        per_kind["all"].append((r["tenths"], int(r["n"])))
    return {k: _quantile(sorted(v), q) for k, v in per_kind.items()}


def _quantile(buckets: list[tuple[int, int]], q: float) -> float:
    total = sum(n for _, n in buckets)
    seen = 0
    for tenths, n in buckets:
        seen += n
        if seen >= q * total:
            return tenths / 10
    return buckets[-1][0] / 10


_OPEN_ALERTS_RAISED_IN_SPAN = (
    "acked_at is null"
    " and raised_at >= $1::date::timestamp at time zone $3"
    " and raised_at < ($2::date + 1)::timestamp at time zone $3"
)


async def open_alerts(db: Db, center: str | None, span: Span, window: str | None) -> dict[str, int]:
    """Alerts not yet acknowledged (cases' and complaints'), raised in the span (center days
    given as instants): those ``GET /alerts?status=open`` lists, without the center's own."""
    lo, hi = span.bounds()
    args: list[Any] = [lo, hi, str(span.tz)]
    sql = (
        "select level, count(*)::bigint as n from alerts"
        f" where {_OPEN_ALERTS_RAISED_IN_SPAN} and level <> 'ops'"
    )
    sql = _center_and_window(sql, args, center, window)
    rows = await db.fetch(sql + " group by level", *args)
    return {r["level"]: int(r["n"]) for r in rows}


async def open_center_alerts(db: Db, center: str | None, span: Span, window: str | None) -> int:
    """The center's own alerts (no case, level ``ops``: a year without its holiday notice, which
    is the deployment's, center '') not yet acknowledged, raised in the span; none belongs to a
    window."""
    if window is not None:
        return 0
    lo, hi = span.bounds()
    args: list[Any] = [lo, hi, str(span.tz)]
    sql = f"select count(*) from alerts where {_OPEN_ALERTS_RAISED_IN_SPAN} and level = 'ops'"
    if center is not None:
        args.append(center)
        sql += f" and center_code in (${len(args)}, '')"
    n: int = await db.fetchval(sql, *args)
    return n


@dataclass(frozen=True)
class CenterRow:
    """One center's line in the province's view: cases received in the span, where they stand
    now, completions in the span and open alerts raised in it."""

    code: str
    name: str
    received: int
    open: int
    overdue_now: int
    completed: int
    completed_on_time: int
    open_alerts: int

    @property
    def on_time_rate(self) -> float | None:
        return self.completed_on_time / self.completed if self.completed else None


async def center_rows(db: Db, span: Span) -> list[CenterRow]:
    """Every center's line, from the rollups (a few rows per center and month), in code
    order; a center without cases has a line of zeros."""
    where, args = _where(span, None, None)
    received = await db.fetch(
        "select center_code, sum(n)::bigint as n,"
        " coalesce(sum(n) filter (where status <> 'completed'), 0)::bigint as open,"
        " coalesce(sum(n) filter (where status <> 'completed' and overdue), 0)::bigint as overdue"
        f" from dash_received where {where} group by center_code",
        *args,
    )
    completed = await db.fetch(
        "select center_code, sum(n)::bigint as n, sum(on_time)::bigint as on_time"
        f" from dash_completed where {where} group by center_code",
        *args,
    )
    lo, hi = span.bounds()
    alerts = await db.fetch(
        "select center_code, count(*)::bigint as n from alerts"
        f" where {_OPEN_ALERTS_RAISED_IN_SPAN} and level <> 'ops' group by center_code",
        lo,
        hi,
        str(span.tz),
    )
    got_in = {r["center_code"]: r for r in received}
    got_out = {r["center_code"]: r for r in completed}
    got_alerts = {r["center_code"]: int(r["n"]) for r in alerts}
    rows = []
    for c in await db.fetch("select code, name from centers order by code"):
        i, o = got_in.get(c["code"]), got_out.get(c["code"])
        rows.append(
            CenterRow(
                code=c["code"],
                name=c["name"],
                received=int(i["n"]) if i else 0,
                open=int(i["open"]) if i else 0,
                overdue_now=int(i["overdue"]) if i else 0,
                completed=int(o["n"]) if o else 0,
                completed_on_time=int(o["on_time"]) if o else 0,
                open_alerts=got_alerts.get(c["code"], 0),
            )
        )
    return rows


async def daily(
    db: Db, center: str | None, span: Span, window: str | None
) -> list[tuple[date, int, int]]:
    """(day, received, completed) for each day of a bounded span, from the day rows."""
    lo, hi = span.bounds()
    args: list[Any] = [lo, hi]
    extra = _center_and_window("", args, center, window)
    received = await db.fetch(
        "select period, sum(n)::bigint as n from dash_received where grain = 'd'"
        f" and period between $1 and $2{extra} group by period",
        *args,
    )
    completed = await db.fetch(
        "select period, sum(n)::bigint as n from dash_completed where grain = 'd'"
        f" and period between $1 and $2{extra} group by period",
        *args,
    )
    got_in = {r["period"]: int(r["n"]) for r in received}
    got_out = {r["period"]: int(r["n"]) for r in completed}
    days = [lo + timedelta(days=i) for i in range((hi - lo).days + 1)]
    return [(d, got_in.get(d, 0), got_out.get(d, 0)) for d in days]


async def case_list(
    db: Db, center: str | None, which: str, window: str | None, limit: int
) -> list[asyncpg.Record]:
    """Open cases overdue (``overdue``) or warned and not yet overdue (``at_risk``), the
    earliest due first."""
    flag = "overdue" if which == "overdue" else "warned and not overdue"
    args: list[Any] = [limit]
    where = _center_and_window(f"status <> 'completed' and {flag}", args, center, window)
    rows: list[asyncpg.Record] = await db.fetch(
        "select center_code, case_id, service_code, service_name, window_code, kind, status,"
        " assignee, first_receiver, received_at, due_at, legal_due_at, paused, warned,"
        " overdue, urgent"
        f" from cases where {where} order by due_at, case_id limit $1",
        *args,
    )
    return rows
