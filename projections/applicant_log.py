"""The applicant's side's event log, and the ratings and inquiries derived from it.

A rating or an inquiry is appended once to ``applicant_events`` (its type and subject are
unique, so a second rating of a case's stage is not appended) and applied, in the same
transaction, to its read model: ``ratings`` or ``inquiries``. ``rebuild_log_models`` derives
both tables again from the whole log, in its order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from applicant.events import APPLICANT_EVENTS, InquiryLogged, RatingRecorded
from projections.db import Conn
from workflows.event_data import DomainEvent, MalformedEvent

Db = Conn | asyncpg.Pool
# The tables derived from the log; a rebuild locks them in this order.
DERIVED = ("ratings", "inquiries")


@dataclass(frozen=True)
class LoggedEvent:
    seq: int
    center: str
    type: str
    subject_id: str
    at: datetime
    actor: str
    data: dict[str, Any]
    schema_version: int


async def append(
    conn: Conn, center: str, subject_id: str, at: datetime, actor: str, event: DomainEvent
) -> LoggedEvent | None:
    """Append the event and apply it to its read model; None when the subject already has one
    of that type (a stage rated twice)."""
    seq = await conn.fetchval(
        "insert into applicant_events (type, subject_id, at, actor, data, schema_version,"
        " center_code) values ($1, $2, $3, $4, $5::text::jsonb, $6, $7)"
        " on conflict (type, subject_id) do nothing returning seq",
        event.TYPE,
        subject_id,
        at,
        actor,
        json.dumps(event.to_data(), ensure_ascii=False),
        event.VERSION,
        center,
    )
    if seq is None:
        return None
    logged = LoggedEvent(
        seq, center, event.TYPE, subject_id, at, actor, event.to_data(), event.VERSION
    )
    await apply_event(conn, logged)
    return logged


def parse(e: LoggedEvent) -> DomainEvent:
    cls = APPLICANT_EVENTS.get(e.type)
    if cls is None or e.schema_version != cls.VERSION:
        raise MalformedEvent(f"{e.type} version {e.schema_version} is not known here")
    return cls.from_data(e.data)


async def apply_event(conn: Conn, e: LoggedEvent) -> None:
    """The event's row in its read model; applying it again changes nothing."""
    event = parse(e)
    if isinstance(event, RatingRecorded):
        await conn.execute(
            "insert into ratings (id, case_id, stage, level, tags, comment, window_code,"
            " rated_at, rectification_id, center_code)"
            " values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) on conflict do nothing",
            e.subject_id,
            event.case_id,
            event.stage,
            event.level,
            event.tags,
            event.comment,
            event.window,
            e.at,
            event.rectification_id,
            e.center,
        )
    elif isinstance(event, InquiryLogged):
        await conn.execute(
            "insert into inquiries (id, asked_at, on_day, window_code, staff_id, topic,"
            " service_code, outcome, referred_to, note, center_code)"
            " values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) on conflict do nothing",
            int(e.subject_id),
            e.at,
            date.fromisoformat(event.day),
            event.window,
            e.actor,
            event.topic,
            event.service_code,
            event.outcome,
            event.referred_to,
            event.note,
            e.center,
        )


def _logged(r: asyncpg.Record) -> LoggedEvent:
    return LoggedEvent(
        r["seq"],
        r["center_code"],
        r["type"],
        r["subject_id"],
        r["at"],
        r["actor"],
        json.loads(r["data"]),
        r["schema_version"],
    )


async def events(db: Db, after: int = 0, limit: int = 1000) -> list[LoggedEvent]:
    """The log in its order, from after ``after``."""
    rows = await db.fetch(
        "select seq, center_code, type, subject_id, at, actor, data::text as data,"
        " schema_version"
        " from applicant_events where seq > $1 order by seq limit $2",
        after,
        limit,
    )
    return [_logged(r) for r in rows]


async def next_inquiry_id(conn: Conn) -> int:
    n: int = await conn.fetchval("select nextval(pg_get_serial_sequence('inquiries', 'id'))")
    return n


@dataclass(frozen=True)
class LogRebuilt:
    events: int
    ratings: int
    inquiries: int


async def rebuild_log_models(conn: Conn, page: int = 1000) -> LogRebuilt:
    """Derive ``ratings`` and ``inquiries`` again from the whole log, in one transaction: new
    ratings and inquiries wait for it, readers see the old rows until it commits."""
    n = 0
    async with conn.transaction():
        await conn.execute(f"lock table {', '.join(DERIVED)} in exclusive mode")
        for table in DERIVED:
            await conn.execute(f"delete from {table}")
        after = 0
        while batch := await events(conn, after, page):
            for e in batch:
                await apply_event(conn, e)
            n += len(batch)
            after = batch[-1].seq
        ratings = await conn.fetchval("select count(*) from ratings")
        inquiries = await conn.fetchval("select count(*) from inquiries")
    return LogRebuilt(n, ratings, inquiries)
