"""The applicant's link to a case: one unguessable token per case, issued when the case is
received, the last segment of the public address where the applicant rates the service and
follows the case's progress.

The token is the only key of the public pages, so it is random (``secrets``), never derived
from the case number, and issued once: a projection replayed or rebuilt keeps the first one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from projections.db import Conn

# 32 bytes: 256 random bits, 43 URL-safe characters.
TOKEN_BYTES = 32
# Where the applicant's page lives, under the pages' base address.
LINK_PATH = "/r/"


async def issue_link(conn: Conn, center: str, case_id: str) -> None:
    """Inside the batch that receives the case: its token, unless it has one already."""
    await conn.execute(
        "insert into case_links (case_id, token, center_code) values ($1, $2, $3)"
        " on conflict (case_id) do nothing",
        case_id,
        secrets.token_urlsafe(TOKEN_BYTES),
        center,
    )


def link_url(pages_url: str, token: str) -> str:
    return f"{pages_url}{LINK_PATH}{token}"


async def token_of(conn: Conn | asyncpg.Pool, center: str, case_id: str) -> str | None:
    token: str | None = await conn.fetchval(
        "select token from case_links where case_id = $1 and center_code = $2", case_id, center
    )
    return token


@dataclass(frozen=True)
class LinkedCase:
    """What the public pages may know of a case found by its token."""

    case_id: str
    center: str
    service_name: str
    window: str
    status: str
    outcome: str | None
    received_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    paused: bool
    materials_missing: list[str]
    service_code: str
    # For the staff side of a rating only (a rectification's alerts name who handled the case);
    # never shown on the public pages.
    assignee: str


async def case_for_token(conn: Conn | asyncpg.Pool, token: str) -> LinkedCase | None:
    row = await conn.fetchrow(
        "select c.case_id, c.center_code, c.service_code, c.service_name, c.window_code,"
        " c.status, c.outcome, c.received_at, c.due_at, c.completed_at, c.paused,"
        " c.materials_missing, c.assignee"
        " from case_links l join cases c on c.case_id = l.case_id where l.token = $1",
        token,
    )
    if row is None:
        return None
    return LinkedCase(
        case_id=row["case_id"],
        center=row["center_code"],
        service_name=row["service_name"],
        window=row["window_code"],
        status=row["status"],
        outcome=row["outcome"],
        received_at=row["received_at"],
        due_at=row["due_at"],
        completed_at=row["completed_at"],
        paused=row["paused"],
        materials_missing=list(row["materials_missing"]),
        service_code=row["service_code"],
        assignee=row["assignee"],
    )
