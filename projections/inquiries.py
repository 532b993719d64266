"""The inquiries log (咨询登记): one row per ``inquiry.logged`` event of the applicant's event log
(``projections.applicant_log``), written at once, read by day and window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from applicant.events import InquiryLogged
from projections.applicant_log import append, next_inquiry_id
from projections.db import Conn
from projections.figures import Span

Db = Conn | asyncpg.Pool


@dataclass(frozen=True)
class Inquiry:
    center: str
    asked_at: datetime
    on_day: date  # the center's day
    window: str
    staff_id: str
    topic: str
    service_code: str | None
    outcome: str
    referred_to: str | None
    note: str


async def record_inquiry(conn: Conn, q: Inquiry) -> asyncpg.Record:
    """Log the inquiry as an ``inquiry.logged`` event, and so its row; in ``conn``'s
    transaction."""
    inquiry_id = await next_inquiry_id(conn)
    event = InquiryLogged(
        day=q.on_day.isoformat(),
        window=q.window,
        topic=q.topic,
        service_code=q.service_code,
        outcome=q.outcome,
        referred_to=q.referred_to,
        note=q.note,
    )
    await append(conn, q.center, str(inquiry_id), q.asked_at, q.staff_id, event)
    row: asyncpg.Record | None = await conn.fetchrow(
        "select * from inquiries where id = $1", inquiry_id
    )
    assert row is not None
    return row


def _where(center: str | None, span: Span, window: str | None) -> tuple[str, list[Any]]:
    """Inquiries of the span's days, in the center (None: every center) and the window."""
    lo, hi = span.bounds()
    args: list[Any] = [lo, hi]
    sql = "on_day between $1 and $2"
    if center is not None:
        args.append(center)
        sql += f" and center_code = ${len(args)}"
    if window is not None:
        args.append(window)
        sql += f" and window_code = ${len(args)}"
    return sql, args


async def list_inquiries(
    db: Db, center: str, span: Span, window: str | None, limit: int = 200
) -> list[asyncpg.Record]:
    where, args = _where(center, span, window)
    args.append(limit)
    rows: list[asyncpg.Record] = await db.fetch(
        f"select * from inquiries where {where} order by asked_at desc, id desc limit ${len(args)}",
        *args,
    )
    return rows


async def inquiry_count(db: Db, center: str | None, span: Span, window: str | None) -> int:
    where, args = _where(center, span, window)
    n: int = await db.fetchval(f"select count(*) from inquiries where {where}", *args)
    return n


async def inquiries_by_day(
    db: Db, center: str | None, span: Span, window: str | None
) -> list[tuple[date, str, int]]:
    """(day, window, inquiries) for each day and window that had any, the latest day first."""
    where, args = _where(center, span, window)
    rows = await db.fetch(
        f"select on_day, window_code, count(*)::bigint as n from inquiries where {where}"
        " group by on_day, window_code order by on_day desc, window_code",
        *args,
    )
    return [(r["on_day"], r["window_code"], int(r["n"])) for r in rows]
