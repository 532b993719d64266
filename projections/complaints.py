"""The complaints read model: a complaint's events, its row, its alerts and its deduction.

A batch is written in one transaction, like a case's: events keyed by
``(complaint_id, seq)``, the row moving forward only (``last_seq``), an alert row
per alert event (announced on ``banjian_alerts`` when it commits), and, when the
answer upholds the complaint, one deduction from the window's score
(``complaint_upheld``, the seeds' 10 points), recorded by the director who answered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from applicant.complaints import ComplaintBatch, ComplaintState, Finding
from projections.alerts import CHANNEL
from projections.center import clock_policy
from projections.centers import legacy_center
from projections.db import Conn
from projections.figures import Span
from projections.scores import DEDUCTIONS
from workflows.model import ClockPolicy, Event

Db = Conn | asyncpg.Pool
UPHELD = "complaint_upheld"
_RAISING = {"complaint.warned", "complaint.breached", "complaint.escalated"}

_INSERT_EVENTS = """
insert into complaint_events (complaint_id, seq, type, at, actor, data, schema_version,
                              center_code)
select $1, e.seq, e.type, e.at, e.actor, e.data::jsonb, e.schema_version, $8
from unnest($2::integer[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::integer[])
     as e(seq, type, at, actor, data, schema_version)
on conflict (complaint_id, seq) do nothing
"""

_UPSERT = """
insert into complaints (
    id, channel, about_window, about_staff, about_case, window_code, units, complicated,
    limit_days, text, complainant_name, complainant_phone, status, received_at, received_by,
    due_at, warned, overdue, finding, answer, answered_at, answered_by, on_time, last_seq,
    center_code)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
        $20, $21, $22, $23, $24, $25)
on conflict (id) do update set
    status = excluded.status, due_at = excluded.due_at, warned = excluded.warned,
    overdue = excluded.overdue, finding = excluded.finding, answer = excluded.answer,
    answered_at = excluded.answered_at, answered_by = excluded.answered_by,
    on_time = excluded.on_time, last_seq = excluded.last_seq
where complaints.last_seq < excluded.last_seq
"""

_RAISE = """
with raised as (
    insert into alerts (alert_id, kind, level, window_code, raised_at, clock, threshold,
                        complaint_id, center_code)
    values ($1, 'complaint', $2, $3, $4, 'complaint', $5, $6, $8)
    on conflict (alert_id) do nothing returning alert_id)
select pg_notify($7, alert_id) from raised
"""

_DEDUCT = """
insert into score_deductions (window_code, month, on_day, kind, points, case_id, note,
                              recorded_by, complaint_id, center_code)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
on conflict do nothing
"""


async def apply_complaint_batch(conn: Conn, batch: ComplaintBatch) -> None:
    s, ev = batch.state, batch.events
    center = batch.center or await legacy_center(conn)
    async with conn.transaction():
        await conn.execute(
            _INSERT_EVENTS,
            batch.complaint_id,
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
            await _apply(conn, center, s, e, ZoneInfo(batch.timezone))


async def _apply(conn: Conn, center: str, s: ComplaintState, e: Event, tz: ZoneInfo) -> None:
    d = e.data
    if e.type in _RAISING:
        await conn.execute(
            _RAISE,
            d["alert_id"],
            d["level"],
            d.get("window"),
            e.at,
            d["threshold"],
            s.complaint_id,
            CHANNEL,
            center,
        )
    elif e.type == "alert.acknowledged":
        await conn.execute(
            "update alerts set acked_at = $2, acked_by = $3 where alert_id = $1"
            " and acked_at is null",
            d["alert_id"],
            e.at,
            e.actor,
        )
    elif e.type == "complaint.answered" and d.get("finding") == Finding.UPHELD.value:
        window = d.get("window")
        if window is None:
            return  # about no window (the director, say): no window's score bears it
        day = e.at.astimezone(tz).date()
        await conn.execute(
            _DEDUCT,
            window,
            day.replace(day=1),
            day,
            UPHELD,
            DEDUCTIONS[UPHELD],
            s.about.case_id,
            f"投诉 {s.complaint_id} 查证属实",
            e.actor,
            s.complaint_id,
            center,
        )


def _row(s: ComplaintState) -> list[Any]:
    return [
        s.complaint_id,
        s.channel.value,
        s.about.window,
        s.about.staff,
        s.about.case_id,
        s.window,
        s.units,
        s.complicated,
        s.limit_days,
        s.text,
        s.complainant.name,
        s.complainant.phone,
        s.status.value,
        s.received_at,
        s.received_by,
        s.due_at,
        s.warned,
        s.overdue,
        s.finding.value if s.finding else None,
        s.answer,
        s.answered_at,
        s.answered_by,
        s.on_time,
        s.last_seq,
    ]


@dataclass(frozen=True)
class ComplaintFilter:
    status: str | None = None  # open | answered
    window: str | None = None
    channel: str | None = None
    since: datetime | None = None  # received at or after
    until: datetime | None = None  # received before


async def list_complaints(
    db: Db, center: str, f: ComplaintFilter, limit: int = 200
) -> list[asyncpg.Record]:
    where: list[str] = ["center_code = $1"]
    args: list[Any] = [center]
    for sql, value in (
        ("status = ${}", f.status),
        ("window_code = ${}", f.window),
        ("channel = ${}", f.channel),
        ("received_at >= ${}", f.since),
        ("received_at < ${}", f.until),
    ):
        if value is not None:
            args.append(value)
            where.append(sql.format(len(args)))
    args.append(limit)
    query = "select * from complaints where " + " and ".join(where)
    rows: list[asyncpg.Record] = await db.fetch(
        f"{query} order by received_at desc, id limit ${len(args)}", *args
    )
    return rows


async def get_complaint(db: Db, center: str, complaint_id: str) -> asyncpg.Record | None:
    """The complaint, if it is the center's."""
    row: asyncpg.Record | None = await db.fetchrow(
        "select * from complaints where id = $1 and center_code = $2", complaint_id, center
    )
    return row


async def projected_seq(db: Db, complaint_id: str) -> int:
    """How far the read model has the complaint: the seq of its last event written, or 0."""
    seq: int | None = await db.fetchval(
        "select last_seq from complaints where id = $1", complaint_id
    )
    return seq or 0


async def complaint_events(db: Db, center: str, complaint_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await db.fetch(
        "select * from complaint_events where complaint_id = $1 and center_code = $2 order by seq",
        complaint_id,
        center,
    )
    return rows


@dataclass(frozen=True)
class ComplaintFigures:
    received: int
    upheld: int


async def complaint_figures(
    db: Db, center: str | None, span: Span, window: str | None
) -> ComplaintFigures:
    """Complaints received in the span (the center's days), and those of them found true."""
    lo, hi = span.bounds()
    args: list[Any] = [lo, hi, str(span.tz)]
    sql = (
        "select count(*) as received, count(*) filter (where finding = 'upheld') as upheld"
        " from complaints where received_at >= $1::date::timestamp at time zone $3"
        " and received_at < ($2::date + 1)::timestamp at time zone $3"
    )
    if center is not None:
        args.append(center)
        sql += f" and center_code = ${len(args)}"
    if window is not None:
        args.append(window)
        sql += f" and window_code = ${len(args)}"
    row = await db.fetchrow(sql, *args)
    assert row is not None
    return ComplaintFigures(int(row["received"]), int(row["upheld"]))


async def center_policy(db: Db, center: str) -> ClockPolicy:
    """The center's thresholds and ladder, which a complaint's limit is watched with."""
    settings = await db.fetchval("select settings from centers where code = $1", center) or {}
    return clock_policy(settings.get("clock_policy", {}))


@dataclass(frozen=True)
class WrittenAnswer:
    """What the written answer to a letter states (书面答复), from the complaint's row."""

    number: str  # <complaint>-N<seq>, the seq of its answer
    center_name: str
    complaint_id: str
    complainant_name: str
    received_at: datetime
    about: list[tuple[str, str]]  # (what, who or which), in the complaint's words
    finding: Finding
    answer: str
    answered_at: datetime
    answered_by: str  # the director's name


async def written_answer(db: Db, center: str, complaint_id: str) -> WrittenAnswer | None:
    """The written answer to an answered letter; None for any other complaint."""
    row = await get_complaint(db, center, complaint_id)
    if row is None or row["channel"] != "letter" or row["status"] != "answered":
        return None
    seq = await db.fetchval(
        "select seq from complaint_events where complaint_id = $1 and type = 'complaint.answered'",
        complaint_id,
    )
    if seq is None:
        return None
    name = await db.fetchval("select name from centers where code = $1", center)
    names = {
        r["id"]: r["name"]
        for r in await db.fetch("select id, name from staff where center_code = $1", center)
    }
    windows = {
        r["code"]: r["name"]
        for r in await db.fetch("select code, name from windows where center_code = $1", center)
    }
    about = []
    if row["about_window"]:
        about.append(("窗口", windows.get(row["about_window"], row["about_window"])))
    if row["about_staff"]:
        about.append(("工作人员", names.get(row["about_staff"], row["about_staff"])))
    if row["about_case"]:
        about.append(("办件", row["about_case"]))
    return WrittenAnswer(
        number=f"{complaint_id}-N{seq}",
        center_name=str(name or "便民服务中心"),
        complaint_id=complaint_id,
        complainant_name=row["complainant_name"],
        received_at=row["received_at"],
        about=about,
        finding=Finding(row["finding"]),
        answer=row["answer"],
        answered_at=row["answered_at"],
        answered_by=names.get(row["answered_by"], row["answered_by"]),
    )
