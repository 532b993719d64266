"""The rectifications read model: each rectification's events and current row, its alerts in
the supervisors' alert list, and the queries the API and the dashboard read.

Written like a case's projection: a batch in one transaction, events keyed by
``(rectification_id, seq)``, the row guarded by ``last_seq``, each alert row keyed by its id
and announced on the alerts channel when it commits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from applicant.rectification import RectificationBatch, RectificationState
from projections.alerts import CHANNEL
from projections.centers import legacy_center
from projections.db import Conn, add_equal

_INSERT_EVENTS = """
insert into rectification_events (rectification_id, seq, type, at, actor, data, schema_version,
                                  center_code)
select $1, e.seq, e.type, e.at, e.actor, e.data::jsonb, e.schema_version, $8
from unnest($2::integer[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::integer[])
     as e(seq, type, at, actor, data, schema_version)
on conflict (rectification_id, seq) do nothing
"""

_UPSERT = """
insert into rectifications (
    id, rating_id, case_id, window_code, status, level, opened_at, contact_due_at,
    rectify_due_at, contacted_at, contact_note, rectified_at, action, answered_at, answer,
    contact_overdue, overdue, on_time, last_seq, center_code)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
        $20)
on conflict (id) do update set
    status = excluded.status, contact_due_at = excluded.contact_due_at,
    rectify_due_at = excluded.rectify_due_at, contacted_at = excluded.contacted_at,
    contact_note = excluded.contact_note, rectified_at = excluded.rectified_at,
    action = excluded.action, answered_at = excluded.answered_at, answer = excluded.answer,
    contact_overdue = excluded.contact_overdue, overdue = excluded.overdue,
    on_time = excluded.on_time, last_seq = excluded.last_seq
where rectifications.last_seq < excluded.last_seq
"""

_RAISING = {"deadline.warning", "deadline.overdue", "rectification.escalated"}

_INSERT_ALERT = """
insert into alerts (alert_id, case_id, kind, level, window_code, raised_at, clock, threshold,
                    center_code)
values ($1, $2, 'rectification', $3, $4, $5, $6, $7, $8)
on conflict (alert_id) do nothing
returning alert_id
"""


async def apply_rectification(conn: Conn, batch: RectificationBatch) -> None:
    s, ev = batch.state, batch.events
    # A rectification is its case's center's.
    center = await conn.fetchval("select center_code from cases where case_id = $1", s.case_id)
    if center is None:
        center = await legacy_center(conn)
    async with conn.transaction():
        await conn.execute(
            _INSERT_EVENTS,
            s.id,
            [e.seq for e in ev],
            [e.type for e in ev],
            [e.at for e in ev],
            [e.actor for e in ev],
            [json.dumps(e.data, ensure_ascii=False) for e in ev],
            [e.schema_version for e in ev],
            center,
        )
        await conn.execute(_UPSERT, *_row(s), center)
        for e in ev:
            if e.type in _RAISING:
                raised = await conn.fetchval(
                    _INSERT_ALERT,
                    e.data["alert_id"],
                    s.case_id,
                    e.data["level"],
                    s.window,
                    e.at,
                    e.data["clock"],
                    e.data["threshold"],
                    center,
                )
                if raised is not None:
                    await conn.execute("select pg_notify($1, $2)", CHANNEL, raised)
            elif e.type == "alert.acknowledged":
                await conn.execute(
                    "update alerts set acked_at = $2, acked_by = $3"
                    " where alert_id = $1 and acked_at is null",
                    e.data["alert_id"],
                    e.at,
                    e.actor,
                )


def _row(s: RectificationState) -> list[Any]:
    return [
        s.id,
        s.rating_id,
        s.case_id,
        s.window,
        s.status,
        s.level,
        s.opened_at,
        s.contact_due_at,
        s.rectify_due_at,
        s.contacted_at,
        s.contact_note,
        s.rectified_at,
        s.action,
        s.answered_at,
        s.answer,
        s.contact_overdue,
        s.overdue,
        s.on_time,
        s.last_seq,
    ]


@dataclass(frozen=True)
class RectificationFilter:
    status: str | None = None
    window: str | None = None
    case_id: str | None = None


async def list_rectifications(
    conn: Conn | asyncpg.Pool, center: str, f: RectificationFilter, limit: int = 200
) -> list[asyncpg.Record]:
    where: list[str] = []
    args: list[Any] = []
    add_equal(
        where,
        args,
        (
            ("center_code", center),
            ("status", f.status),
            ("window_code", f.window),
            ("case_id", f.case_id),
        ),
    )
    sql = "select * from rectifications where " + " and ".join(where)
    args.append(limit)
    sql += f" order by opened_at desc, id limit ${len(args)}"
    rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
    return rows


async def get_rectification(
    conn: Conn | asyncpg.Pool, center: str, rid: str
) -> asyncpg.Record | None:
    """The rectification, if it is the center's."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "select * from rectifications where id = $1 and center_code = $2", rid, center
    )
    return row


async def rectification_events(
    conn: Conn | asyncpg.Pool, center: str, rid: str
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        "select seq, type, at, actor, data, schema_version from rectification_events"
        " where rectification_id = $1 and center_code = $2 order by seq",
        rid,
        center,
    )
    return rows


async def answered_rectification(conn: Conn | asyncpg.Pool, case_id: str) -> bool:
    """Has a rectification of the case been answered? Then the applicant may rate once more."""
    found = await conn.fetchval(
        "select 1 from rectifications where case_id = $1 and status = 'done' limit 1", case_id
    )
    return found is not None


async def rectification_figures(
    conn: Conn | asyncpg.Pool,
    center: str | None,
    window: str | None,
    days: tuple[date, date] | None,
    tz: str,
) -> dict[str, Any]:
    """``{open, done, on_time_rate}`` of the rectifications opened in the center's days."""
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
        where.append(f"(opened_at at time zone ${n - 2})::date between ${n - 1} and ${n}")
    sql = (
        "select count(*) filter (where status = 'open') as open,"
        " count(*) filter (where status = 'done') as done,"
        " count(*) filter (where on_time) as on_time from rectifications"
    )
    if where:
        sql += " where " + " and ".join(where)
    row = await conn.fetchrow(sql, *args)
    assert row is not None
    done: int = row["done"]
    return {
        "open": row["open"],
        "done": done,
        "on_time_rate": round(row["on_time"] / done, 4) if done else None,
    }
