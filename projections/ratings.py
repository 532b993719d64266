"""Ratings (好差评) as rows: one per case and stage, written when the applicant rates, and the
staff's list and the dashboard's figures read from them.

A rating is the applicant's own statement, taken once: a ``rating.recorded`` event in the
applicant's event log (``projections.applicant_log``), from which the row is derived (one event
per rating id, that is per case and stage). What it sets going, a bad rating's rectification,
is a workflow with its own events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from applicant.events import RatingRecorded
from applicant.ratings import LEVELS, satisfaction_rate
from projections.applicant_log import append
from projections.db import Conn, add_equal

# The actor of a rating: the applicant, who has no account.
APPLICANT = "applicant"


@dataclass(frozen=True)
class Rating:
    id: str
    case_id: str
    stage: str
    level: int
    tags: list[str]
    comment: str | None
    window: str
    rated_at: datetime
    rectification_id: str | None = None
    center: str = ""  # the case's center; "" reads it from the case's row


async def insert_rating(conn: Conn, r: Rating) -> bool:
    """Record the rating as a ``rating.recorded`` event, and so its row; False when the case was
    already rated at that stage."""
    event = RatingRecorded(
        case_id=r.case_id,
        stage=r.stage,
        level=r.level,
        tags=list(r.tags),
        comment=r.comment,
        window=r.window,
        rectification_id=r.rectification_id,
    )
    center: str = r.center or await conn.fetchval(
        "select center_code from cases where case_id = $1", r.case_id
    )
    return await append(conn, center, r.id, r.rated_at, APPLICANT, event) is not None


async def stages_rated(conn: Conn | asyncpg.Pool, case_id: str) -> dict[str, int]:
    """The case's ratings so far: stage → level."""
    rows = await conn.fetch("select stage, level from ratings where case_id = $1", case_id)
    return {r["stage"]: r["level"] for r in rows}


@dataclass(frozen=True)
class RatingFilter:
    level: int | None = None
    window: str | None = None
    case_id: str | None = None


async def list_ratings(
    conn: Conn | asyncpg.Pool, center: str, f: RatingFilter, limit: int = 200
) -> list[asyncpg.Record]:
    where: list[str] = []
    args: list[Any] = []
    add_equal(
        where,
        args,
        (
            ("center_code", center),
            ("level", f.level),
            ("window_code", f.window),
            ("case_id", f.case_id),
        ),
    )
    sql = "select * from ratings where " + " and ".join(where)
    args.append(limit)
    sql += f" order by rated_at desc, id limit ${len(args)}"
    rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
    return rows


def rating_json(r: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": r["id"],
        "case_id": r["case_id"],
        "window": r["window_code"],
        "stage": r["stage"],
        "level": r["level"],
        "level_name": LEVELS[r["level"]],
        "tags": list(r["tags"]),
        "comment": r["comment"],
        "rated_at": r["rated_at"],
        "rectification_id": r["rectification_id"],
    }


async def rating_figures(
    conn: Conn | asyncpg.Pool,
    center: str | None,
    window: str | None,
    days: tuple[date, date] | None,
    tz: str,
) -> dict[str, Any]:
    """``{count, by_level, satisfaction_rate}`` of the ratings given in the center's days."""
    args: list[Any] = []
    where: list[str] = []
    if center is not None:
        args.append(center)
        where.append(f"center_code = ${len(args)}")
    if window is not None:
        args.append(window)
        where.append(f"window_code = ${len(args)}")
    if days is not None:
        args += [tz, *days]
        n = len(args)
        where.append(f"(rated_at at time zone ${n - 2})::date between ${n - 1} and ${n}")
    sql = "select level, count(*) as n from ratings"
    if where:
        sql += " where " + " and ".join(where)
    rows = await conn.fetch(sql + " group by level", *args)
    by_level = {level: 0 for level in sorted(LEVELS)}
    by_level.update({r["level"]: r["n"] for r in rows})
    return {
        "count": sum(by_level.values()),
        "by_level": {str(k): v for k, v in by_level.items()},
        "satisfaction_rate": satisfaction_rate(by_level),
    }
