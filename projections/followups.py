"""Follow-up visits (回访): a month's draw, its visits, and their record.

A month is drawn once (``followup_samples``); each visit is a row naming its case,
open until the visit is recorded. The cases rated badly come from the ratings'
read model when there is one (the ``ratings`` table); without it, only the sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from projections.db import Conn, add_equal
from projections.figures import Span

Db = Conn | asyncpg.Pool

_MONTH_BOUNDS = (
    "$1::date::timestamp at time zone $2",
    "($1::date + interval '1 month')::timestamp at time zone $2",
)


async def completed_in_month(
    conn: Db, center: str, month: date, tz: ZoneInfo
) -> dict[str, list[str]]:
    """Each window's cases completed in the month (the center's days)."""
    lo, hi = _MONTH_BOUNDS
    rows = await conn.fetch(
        "select window_code, case_id from cases where status = 'completed'"
        f" and completed_at >= {lo} and completed_at < {hi} and center_code = $3",
        month,
        str(tz),
        center,
    )
    found: dict[str, list[str]] = {}
    for r in rows:
        found.setdefault(r["window_code"], []).append(r["case_id"])
    return found


async def badly_rated_in_month(
    conn: Db, center: str, month: date, tz: ZoneInfo
) -> list[tuple[str, str]] | None:
    """(case, window) of each case rated 1 or 2 in the month, in case order; None when there
    are no ratings to read."""
    if await conn.fetchval("select to_regclass('public.ratings')") is None:
        return None
    lo, hi = _MONTH_BOUNDS
    rows = await conn.fetch(
        "select distinct r.case_id, c.window_code from ratings r join cases c using (case_id)"
        f" where r.level <= 2 and r.rated_at >= {lo} and r.rated_at < {hi}"
        " and c.center_code = $3 order by 1",
        month,
        str(tz),
        center,
    )
    return [(r["case_id"], r["window_code"]) for r in rows]


@dataclass(frozen=True)
class Sample:
    center: str
    month: date
    rate: float | None
    per_window: int | None
    seed: int
    bad_ratings: bool
    drawn_by: str
    drawn_at: datetime


@dataclass(frozen=True)
class Visit:
    id: str
    case_id: str
    window: str
    reason: str


async def get_sample(conn: Db, center: str, month: date) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        "select * from followup_samples where center_code = $1 and month = $2", center, month
    )
    return row


async def save_sample(conn: Conn, s: Sample, visits: list[Visit]) -> None:
    await conn.execute(
        "insert into followup_samples (month, rate, per_window, seed, bad_ratings, drawn_by,"
        " drawn_at, center_code) values ($1, $2, $3, $4, $5, $6, $7, $8)",
        s.month,
        s.rate,
        s.per_window,
        s.seed,
        s.bad_ratings,
        s.drawn_by,
        s.drawn_at,
        s.center,
    )
    await conn.executemany(
        "insert into followups (id, month, case_id, window_code, reason, status, center_code)"
        " values ($1, $2, $3, $4, $5, 'open', $6)",
        [(v.id, s.month, v.case_id, v.window, v.reason, s.center) for v in visits],
    )


_SELECT = """
select f.*, c.service_code, c.service_name, c.completed_at, c.applicant_name, c.applicant_phone
from followups f left join cases c using (case_id)
"""


async def list_followups(
    db: Db,
    center: str,
    month: date | None,
    status: str | None,
    window: str | None,
    limit: int = 500,
) -> list[asyncpg.Record]:
    where: list[str] = []
    args: list[Any] = []
    add_equal(
        where,
        args,
        (
            ("f.center_code", center),
            ("f.month", month),
            ("f.status", status),
            ("f.window_code", window),
        ),
    )
    args.append(limit)
    sql = _SELECT + " where " + " and ".join(where)
    rows: list[asyncpg.Record] = await db.fetch(
        f"{sql} order by f.month desc, f.id limit ${len(args)}", *args
    )
    return rows


async def get_followup(db: Db, center: str, followup_id: str) -> asyncpg.Record | None:
    """The follow-up, if it is the center's."""
    row: asyncpg.Record | None = await db.fetchrow(
        f"{_SELECT} where f.id = $1 and f.center_code = $2", followup_id, center
    )
    return row


@dataclass(frozen=True)
class VisitRecord:
    reached: bool
    level: int | None
    note: str
    by: str
    at: datetime


async def record_visit(conn: Conn, followup_id: str, v: VisitRecord) -> bool:
    """Record the visit of an open follow-up; False when it was recorded already."""
    done = await conn.fetchval(
        "update followups set status = 'done', reached = $2, level = $3, note = $4,"
        " recorded_by = $5, recorded_at = $6 where id = $1 and status = 'open' returning id",
        followup_id,
        v.reached,
        v.level,
        v.note,
        v.by,
        v.at,
    )
    return done is not None


async def followup_figures(
    db: Db, center: str | None, span: Span, window: str | None
) -> tuple[int, int]:
    """(due, done): the visits drawn for the months the span touches, and those recorded."""
    lo, hi = span.bounds()
    args: list[Any] = [lo.replace(day=1), hi]
    sql = (
        "select count(*) as due, count(*) filter (where status = 'done') as done"
        " from followups where month between $1 and $2"
    )
    if center is not None:
        args.append(center)
        sql += f" and center_code = ${len(args)}"
    if window is not None:
        args.append(window)
        sql += f" and window_code = ${len(args)}"
    row = await db.fetchrow(sql, *args)
    assert row is not None
    return int(row["due"]), int(row["done"])
