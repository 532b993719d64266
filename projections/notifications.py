"""Alert channels per level, and the record of every delivery attempt.

``activities.channels`` sends an alert through a ``ChannelConfig`` and answers a
``DeliveryAttempt``; both are kept here, where they are stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import asyncpg

from projections.db import Conn

Pool = asyncpg.Pool | Conn


@dataclass(frozen=True)
class ChannelConfig:
    kind: Literal["webhook", "wecom", "dingtalk"]
    url: str
    secret: str | None = None  # webhook: HMAC key; dingtalk: 加签 secret (SEC...); wecom: unused

    def __repr__(self) -> str:  # keep the key-bearing URL and the secret out of logs
        return f"ChannelConfig(kind={self.kind!r}, url=<hidden>, secret=<hidden>)"


@dataclass(frozen=True)
class DeliveryAttempt:
    channel: str
    ok: bool
    status: int | None  # HTTP status; None on a transport error
    error: str | None  # short reason: no secret, no URL, no message content
    at: datetime  # UTC
    retryable: bool


async def add_channel(
    conn: Pool, center: str, level: str, kind: str, url: str, secret: str | None = None
) -> int:
    channel_id: int = await conn.fetchval(
        "insert into alert_channels (center_code, level, kind, url, secret)"
        " values ($1, $2, $3, $4, $5) returning id",
        center,
        level,
        kind,
        url,
        secret,
    )
    return channel_id


async def channels_for(conn: Pool, center: str, level: str) -> list[tuple[int, ChannelConfig]]:
    """The center's active channels of the level."""
    rows = await conn.fetch(
        "select id, kind, url, secret from alert_channels"
        " where center_code = $1 and active and level = $2 order by id",
        center,
        level,
    )
    return [(r["id"], ChannelConfig(r["kind"], r["url"], r["secret"])) for r in rows]


async def delivered_channels(conn: Pool, alert_id: str) -> set[int]:
    rows = await conn.fetch(
        "select distinct channel_id from alert_deliveries where alert_id = $1 and ok", alert_id
    )
    return {r["channel_id"] for r in rows}


async def record_attempt(conn: Pool, alert_id: str, channel_id: int, a: DeliveryAttempt) -> None:
    await conn.execute(
        "insert into alert_deliveries (alert_id, channel_id, ok, status, error, retryable, at,"
        " center_code) select $1, $2, $3, $4, $5, $6, $7, center_code from alert_channels"
        " where id = $2",
        alert_id,
        channel_id,
        a.ok,
        a.status,
        a.error,
        a.retryable,
        a.at,
    )


async def attempts(conn: Pool, alert_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        "select * from alert_deliveries where alert_id = $1 order by id", alert_id
    )
    return rows


async def active_channels(conn: Pool, center: str | None) -> list[asyncpg.Record]:
    """Every active channel of the center (None: of every center), without its URL or secret
    (a robot's URL carries its key)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "select id, center_code, level, kind, secret is not null as signed from alert_channels"
        " where active and ($1::text is null or center_code = $1) order by level, id",
        center,
    )
    return rows


async def deactivate_channel(conn: Pool, center: str, channel_id: int) -> bool:
    """Stop using a channel of the center; its delivery record stays. False when the center
    has no such channel."""
    done: str = await conn.execute(
        "update alert_channels set active = false where id = $1 and center_code = $2 and active",
        channel_id,
        center,
    )
    return done.endswith(" 1")
