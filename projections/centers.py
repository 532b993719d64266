"""The centers of the deployment: each one's settings, keyed by its code.

A case's calendar names its center (``OfficeCalendar.center``); in histories recorded before
centers shared a deployment it is empty, and the case is the center's that held them then (the
one with ``bare_workflow_ids``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from projections.db import Conn
from workflows.model import OfficeCalendar


@dataclass(frozen=True)
class Center:
    code: str
    name: str
    settings: dict[str, Any]
    bare_workflow_ids: bool


def _center(r: asyncpg.Record) -> Center:
    return Center(r["code"], r["name"], dict(r["settings"]), r["bare_workflow_ids"])


async def list_centers(conn: Conn | asyncpg.Pool) -> list[Center]:
    rows = await conn.fetch("select * from centers order by code")
    return [_center(r) for r in rows]


async def get_center(conn: Conn | asyncpg.Pool, code: str) -> Center | None:
    r = await conn.fetchrow("select * from centers where code = $1", code)
    return _center(r) if r is not None else None


async def legacy_center(conn: Conn | asyncpg.Pool) -> str:
    """The center whose cases have bare workflow ids; "" when there never was one."""
    code: str | None = await conn.fetchval(
        "select code from centers where bare_workflow_ids order by code limit 1"
    )
    return code or ""


async def case_center(conn: Conn | asyncpg.Pool, calendar: OfficeCalendar) -> str:
    """The center a case's (or a complaint's, a rectification's) calendar belongs to."""
    return calendar.center or await legacy_center(conn)


async def has_bare_ids(conn: Conn | asyncpg.Pool, code: str) -> bool:
    """Whether some of the center's cases have bare workflow ids (``bare_workflow_ids``)."""
    return bool(await conn.fetchval("select bare_workflow_ids from centers where code = $1", code))


async def center_of_case(conn: Conn | asyncpg.Pool, case_id: str) -> str | None:
    """The center of a case the read model holds."""
    code: str | None = await conn.fetchval(
        "select center_code from cases where case_id = $1", case_id
    )
    return code


async def alert_center(conn: Conn | asyncpg.Pool, alert_id: str, owner_id: str) -> str:
    """The center an alert is delivered in: its row's, or, before it is projected, its case's
    or complaint's (``owner_id``); the old single center's otherwise."""
    code: str | None = await conn.fetchval(
        "select coalesce((select center_code from alerts where alert_id = $1),"
        " (select center_code from cases where case_id = $2),"
        " (select center_code from complaints where id = $2))",
        alert_id,
        owner_id,
    )
    return code or await legacy_center(conn)


async def center_timezone(conn: Conn | asyncpg.Pool, code: str, default: ZoneInfo) -> ZoneInfo:
    """The center's time zone, as its file gives it."""
    tz: str | None = await conn.fetchval(
        "select settings ->> 'timezone' from centers where code = $1", code
    )
    return ZoneInfo(tz) if tz else default
