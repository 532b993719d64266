"""Staff leave and the cases the B post took over: the tables behind the AB post (AB岗).

A leave row is written when the window head registers it; ``started_at`` once
every open case of the absent A post was taken over, ``ended_at`` once each of
them was handed back, kept or skipped. ``leave_takeovers`` holds one row per
case, with the seq of its takeover and what became of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from projections.db import Conn
from workflows.model import Actor, Role

Pool = asyncpg.Pool | Conn

_SELECT = """
select l.*, a.name as staff_name, r.role as registrar_role, r.window_code as registrar_window
from staff_leave l
join staff a on a.center_code = l.center_code and a.id = l.staff_id
join staff r on r.center_code = l.center_code and r.id = l.registered_by
"""


@dataclass(frozen=True)
class Takeover:
    case_id: str
    takeover_seq: int | None
    taken_at: datetime
    outcome: str | None  # None while the B post holds the case
    why: str | None
    handback_seq: int | None
    settled_at: datetime | None


@dataclass(frozen=True)
class Leave:
    id: int
    center: str
    staff_id: str
    staff_name: str
    window: str
    cover_staff: str
    from_day: date
    to_day: date
    reason: str
    registered_by: str
    registered_at: datetime
    registrar: Actor  # who the takeovers and hand-backs act as
    returned_on: date | None
    returned_by: str | None
    started_at: datetime | None
    ended_at: datetime | None
    takeovers: list[Takeover]

    def ends_by(self, today: date) -> bool:
        """Whether A is back by ``today``: the last day passed, or A came back early."""
        return self.returned_on is not None or self.to_day < today


async def _takeovers(conn: Pool, leave_id: int) -> list[Takeover]:
    rows = await conn.fetch(
        "select case_id, takeover_seq, taken_at, outcome, why, handback_seq, settled_at"
        " from leave_takeovers where leave_id = $1 order by taken_at, case_id",
        leave_id,
    )
    return [Takeover(**dict(r)) for r in rows]


async def _leave(conn: Pool, r: asyncpg.Record) -> Leave:
    return Leave(
        id=r["id"],
        center=r["center_code"],
        staff_id=r["staff_id"],
        staff_name=r["staff_name"],
        window=r["window_code"],
        cover_staff=r["cover_staff"],
        from_day=r["from_day"],
        to_day=r["to_day"],
        reason=r["reason"],
        registered_by=r["registered_by"],
        registered_at=r["registered_at"],
        registrar=Actor(r["registered_by"], Role(r["registrar_role"]), r["registrar_window"]),
        returned_on=r["returned_on"],
        returned_by=r["returned_by"],
        started_at=r["started_at"],
        ended_at=r["ended_at"],
        takeovers=await _takeovers(conn, r["id"]),
    )


async def get_leave(conn: Pool, leave_id: int) -> Leave | None:
    r = await conn.fetchrow(_SELECT + " where l.id = $1", leave_id)
    return await _leave(conn, r) if r is not None else None


async def get_center_leave(conn: Pool, center: str, leave_id: int) -> Leave | None:
    """The leave, if it is the center's."""
    r = await conn.fetchrow(_SELECT + " where l.center_code = $1 and l.id = $2", center, leave_id)
    return await _leave(conn, r) if r is not None else None


async def leaves_of(conn: Pool, center: str, staff_id: str) -> list[Leave]:
    rows = await conn.fetch(
        _SELECT + " where l.center_code = $1 and l.staff_id = $2 order by l.from_day desc",
        center,
        staff_id,
    )
    return [await _leave(conn, r) for r in rows]


async def current_and_upcoming(
    conn: Pool, center: str, window: str | None, today: date
) -> list[Leave]:
    rows = await conn.fetch(
        _SELECT + " where l.center_code = $3 and l.ended_at is null and l.returned_on is null"
        " and l.to_day >= $1 and ($2::text is null or l.window_code = $2)"
        " order by l.from_day, l.id",
        today,
        window,
        center,
    )
    return [await _leave(conn, r) for r in rows]


async def overlapping(
    conn: Pool, center: str, staff_id: str, first: date, last: date
) -> int | None:
    """A leave of the same staff member, not yet over, whose days meet ``first``–``last``."""
    found: int | None = await conn.fetchval(
        "select id from staff_leave where staff_id = $1 and ended_at is null"
        " and returned_on is null and from_day <= $3 and to_day >= $2 and center_code = $4"
        " limit 1",
        staff_id,
        first,
        last,
        center,
    )
    return found


async def insert_leave(
    conn: Pool,
    *,
    center: str,
    staff_id: str,
    window: str,
    cover_staff: str,
    first: date,
    last: date,
    reason: str,
    registered_by: str,
) -> int:
    """The new leave's id."""
    leave_id: int = await conn.fetchval(
        "insert into staff_leave (staff_id, window_code, cover_staff, from_day, to_day, reason,"
        " registered_by, center_code) values ($1, $2, $3, $4, $5, $6, $7, $8) returning id",
        staff_id,
        window,
        cover_staff,
        first,
        last,
        reason,
        registered_by,
        center,
    )
    return leave_id


async def mark_returned(conn: Pool, leave_id: int, day: date, by: str) -> bool:
    done: str = await conn.execute(
        "update staff_leave set returned_on = $2, returned_by = $3"
        " where id = $1 and ended_at is null and returned_on is null",
        leave_id,
        day,
        by,
    )
    return done.endswith(" 1")


async def mark_started(conn: Pool, leave_id: int, at: datetime) -> None:
    await conn.execute(
        "update staff_leave set started_at = $2 where id = $1 and started_at is null", leave_id, at
    )


async def mark_ended(conn: Pool, leave_id: int, at: datetime) -> None:
    await conn.execute(
        "update staff_leave set ended_at = $2 where id = $1 and ended_at is null", leave_id, at
    )


async def not_ended(conn: Pool) -> list[int]:
    """Every leave still to run, running, or still to hand back: its workflow has work left."""
    rows = await conn.fetch("select id from staff_leave where ended_at is null order by id")
    return [r["id"] for r in rows]


async def open_cases_of(conn: Pool, center: str, staff_id: str) -> list[str]:
    rows = await conn.fetch(
        "select case_id from cases where center_code = $1 and assignee = $2"
        " and status <> 'completed' order by received_at, case_id",
        center,
        staff_id,
    )
    return [r["case_id"] for r in rows]


async def add_takeover(conn: Pool, leave_id: int, case_id: str) -> None:
    await conn.execute(
        "insert into leave_takeovers (leave_id, case_id, center_code)"
        " select id, $2, center_code from staff_leave where id = $1 on conflict do nothing",
        leave_id,
        case_id,
    )


async def record_takeover_seq(conn: Pool, leave_id: int, case_id: str, seq: int) -> None:
    await conn.execute(
        "update leave_takeovers set takeover_seq = $3"
        " where leave_id = $1 and case_id = $2 and takeover_seq is null",
        leave_id,
        case_id,
        seq,
    )


async def settle_takeover(
    conn: Pool,
    leave_id: int,
    case_id: str,
    outcome: str,
    why: str,
    at: datetime,
    handback_seq: int | None = None,
) -> None:
    await conn.execute(
        "update leave_takeovers set outcome = $3, why = $4, handback_seq = $5, settled_at = $6"
        " where leave_id = $1 and case_id = $2 and outcome is null",
        leave_id,
        case_id,
        outcome,
        why,
        handback_seq,
        at,
    )
