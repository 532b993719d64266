"""The alerts read model: rows derived from a case's alert events, and the queries that list them.

An alert row is written in the same transaction as the event that raised it,
keyed by the event, so it exists exactly once; a NOTIFY on ``banjian_alerts``
tells live listeners (the SSE stream) about each new row when it commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from projections.db import Conn, add_equal
from workflows.event_log import parse
from workflows.events import AlertAcknowledged, AlertRaised
from workflows.model import Event

CHANNEL = "banjian_alerts"

_INSERT = """
insert into alerts (alert_id, case_id, seq, kind, level, window_code, raised_at, clock, center_code)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
on conflict (alert_id) do nothing
returning alert_id
"""

_ACK = """
update alerts set acked_at = $2, acked_by = $3 where alert_id = $1 and acked_at is null
"""


async def apply_alert_events(
    conn: Conn, center: str, case_id: str, window: str, events: list[Event]
) -> None:
    """Inside the batch's transaction: raise and acknowledge alerts as the events say."""
    for e in events:
        match parse(e, AlertRaised, AlertAcknowledged):
            case AlertRaised() as raised:
                row = await conn.fetchval(
                    _INSERT,
                    raised.alert_id,
                    case_id,
                    e.seq,
                    raised.ALERT_KIND,
                    raised.level.value,
                    raised.window or window,  # a late department's own window
                    e.at,
                    raised.clock,
                    center,
                )
                if row is not None:
                    await conn.execute("select pg_notify($1, $2)", CHANNEL, row)
            case AlertAcknowledged(alert_id=alert_id):
                await conn.execute(_ACK, alert_id, e.at, e.actor)


def notice_alert_id(year: int) -> str:
    return f"CAL-{year}-NOTICE"


async def raise_notice_missing(conn: Conn | asyncpg.Pool, year: int, at: datetime) -> None:
    """Tell ops that limits are counted in ``year`` without its holiday notice: once a year."""
    await conn.execute(
        "with raised as ("
        " insert into alerts (alert_id, kind, level, raised_at, clock, center_code)"
        " values ($1, 'notice_missing', 'ops', $2, 'calendar', '')"
        " on conflict (alert_id) do nothing returning alert_id)"
        " select pg_notify($3, alert_id) from raised",
        notice_alert_id(year),
        at,
        CHANNEL,
    )


async def settle_notice_missing(conn: Conn, year: int, by: str, at: datetime) -> None:
    """The notice is imported: its alert is acknowledged by whoever imported it."""
    await conn.execute(_ACK, notice_alert_id(year), at, by)


@dataclass(frozen=True)
class AlertFilter:
    status: str | None = None  # open | acked
    level: str | None = None
    window: str | None = None


async def list_alerts(
    conn: asyncpg.Pool | Conn, center: str, filters: AlertFilter, limit: int = 200
) -> list[asyncpg.Record]:
    """The center's alerts, and the deployment's own (a missing holiday notice, center '')."""
    where: list[str] = ["center_code in ($1, '')"]
    args: list[Any] = [center]
    if filters.status == "open":
        where.append("acked_at is null")
    elif filters.status == "acked":
        where.append("acked_at is not null")
    if filters.level is None:
        # The center's own alerts (level ops, no case) are listed when asked for: ``level=ops``.
        where.append("level <> 'ops'")
    add_equal(where, args, (("level", filters.level), ("window_code", filters.window)))
    sql = "select * from alerts"
    if where:
        sql += " where " + " and ".join(where)
    args.append(limit)
    sql += f" order by raised_at desc, alert_id limit ${len(args)}"
    rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
    return rows


async def get_alert(conn: asyncpg.Pool | Conn, alert_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        "select * from alerts where alert_id = $1", alert_id
    )
    return row


def alert_json(row: asyncpg.Record | dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["alert_id"],
        "case_id": row["case_id"],
        "kind": row["kind"],
        "level": row["level"],
        "window": row["window_code"],
        "clock": row["clock"],
        "complaint_id": row["complaint_id"],
        "threshold": row["threshold"],
        "raised_at": row["raised_at"],
        "acked_at": row["acked_at"],
        "acked_by": row["acked_by"],
    }
