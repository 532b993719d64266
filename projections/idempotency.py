"""Idempotency keys of the POST routes that write PostgreSQL directly: one row per (center,
staff member, key), with the route and body it was first used with and the answer given.

``claim`` runs in the transaction of the change the key stands for: the row and the change
commit together or not at all. Two requests with one key are serialised by the primary key:
the second ``insert`` waits for the first transaction, then finds its row (committed) or takes
the key (rolled back).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg

from projections.db import Conn


@dataclass(frozen=True)
class KeyRecord:
    """A key as its first request left it. ``status`` is None while the answer is not known:
    the change is committed, the rest of that request (``result`` says what it needs) not
    done."""

    route: str
    request_hash: str
    result: Any
    status: int | None
    body: Any


_COLUMNS = "route, request_hash, result, status, body"


def _record(row: asyncpg.Record) -> KeyRecord:
    return KeyRecord(row["route"], row["request_hash"], row["result"], row["status"], row["body"])


async def claim(
    conn: Conn, center: str, staff_id: str, key: str, route: str, request_hash: str
) -> KeyRecord | None:
    """Take the key for this request (None), or the record of the request that took it first.
    Call it in the change's transaction, before the change. A key is its caller's: a staff
    member of a center."""
    while True:
        taken = await conn.fetchval(
            "insert into idempotency_keys (center_code, staff_id, key, route, request_hash)"
            " values ($1, $2, $3, $4, $5) on conflict (center_code, staff_id, key) do nothing"
            " returning true",
            center,
            staff_id,
            key,
            route,
            request_hash,
        )
        if taken:
            return None
        row = await conn.fetchrow(
            f"select {_COLUMNS} from idempotency_keys"
            " where center_code = $1 and staff_id = $2 and key = $3",
            center,
            staff_id,
            key,
        )
        if row is not None:  # else removed meanwhile: try again
            return _record(row)


async def record_result(conn: Conn, center: str, staff_id: str, key: str, result: Any) -> None:
    """What finishing the request needs, in the change's transaction."""
    await conn.execute(
        "update idempotency_keys set result = $4"
        " where center_code = $1 and staff_id = $2 and key = $3",
        center,
        staff_id,
        key,
        result,
    )


async def record_answer(
    conn: Conn | asyncpg.Pool, center: str, staff_id: str, key: str, status: int, body: Any
) -> tuple[int, Any]:
    """Store the answer unless one is stored already; the answer stored (the first)."""
    row = await conn.fetchrow(
        "update idempotency_keys set status = $4, body = $5, answered_at = now()"
        " where center_code = $1 and staff_id = $2 and key = $3 and status is null"
        " returning status, body",
        center,
        staff_id,
        key,
        status,
        body,
    )
    if row is None:  # answered already, by a retry that finished this request first
        row = await conn.fetchrow(
            "select status, body from idempotency_keys"
            " where center_code = $1 and staff_id = $2 and key = $3",
            center,
            staff_id,
            key,
        )
    if row is None or row["status"] is None:
        raise LookupError("the idempotency key's row is gone")
    return row["status"], row["body"]


async def forget_before(conn: Conn | asyncpg.Pool, age: timedelta) -> int:
    """Delete the keys first used longer than ``age`` ago; how many were deleted."""
    status: str = await conn.execute(
        "delete from idempotency_keys where created_at < now() - $1::interval", age
    )
    return int(status.split()[-1])
