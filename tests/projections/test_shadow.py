"""The swap: the rebuilt tables, with what the live projection wrote meanwhile carried over."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date

import asyncpg
import pytest_asyncio

from banjian.embedded import EmbeddedPostgres
from projections.db import connect
from projections.scores import ManualDeduction, record_deduction
from projections.shadow import PREVIOUS, SEARCH_PATH, create_shadow, swap
from tests.databases import new_database
from tests.projections.read_models import read_models
from tests.projections.test_dashboard import at, case, done, event, project, raised
from workflows.events import DeadlineOverdue
from workflows.model import AlertLevel, CaseState

Conns = tuple[asyncpg.Connection, asyncpg.Connection]
FINDING = ManualDeduction(
    "minzheng", "complaint_upheld", date(2026, 3, 20), 1, "投诉属实", None, "director", "SFZ"
)


@pytest_asyncio.fixture
async def conns(postgres: EmbeddedPostgres) -> AsyncIterator[Conns]:
    """A database of its own: a connection to its live tables, one to its shadow tables."""
    dsn = await new_database(postgres)
    live, shadow = await connect(dsn), await connect(dsn)
    yield live, shadow
    await shadow.close()
    await live.close()


async def _overdue_and_completed(conn: asyncpg.Connection, s: CaseState) -> None:
    s = replace(s, overdue=True, warned=True, last_seq=2)
    await project(conn, s, raised(2, DeadlineOverdue, at(9, 17, 30), s, AlertLevel.WINDOW_HEAD))
    await project(conn, done(s, at(12, 10), 3), event(3, "case.completed", at(12, 10)))


async def test_a_swap_keeps_what_the_live_projection_wrote_while_the_rebuild_ran(
    conns: Conns,
) -> None:
    """The swapped-in tables equal the live ones they replace: the rebuilt cases, a case the
    live projection moved meanwhile (with its rollups), a case with no history, and a
    deduction the director entered."""
    live, shadow = conns
    moved, rebuilt, no_history = (case("minzheng") for _ in range(3))
    for s in (moved, rebuilt, no_history):
        await project(live, s, event(1, "case.received", s.received_at))
    await _overdue_and_completed(live, rebuilt)
    since = await live.fetchval("select now()")

    await create_shadow(live)
    await shadow.execute(f"set search_path = {SEARCH_PATH}")
    for s in (moved, rebuilt):
        await project(shadow, s, event(1, "case.received", s.received_at))
    await _overdue_and_completed(shadow, rebuilt)
    await _overdue_and_completed(live, moved)  # the live projection, meanwhile
    entered = await record_deduction(live, FINDING)
    carried = await swap(live, since)

    assert (carried.touched, carried.unknown) == (1, [no_history.case_id])
    assert await read_models(live) == await read_models(live, PREVIOUS)
    row = await live.fetchrow("select * from score_deductions where id = $1", entered)
    assert row is not None and row["recorded_by"] == "director"


async def test_deductions_are_numbered_on_after_two_swaps(
    conns: Conns,
) -> None:
    """The id sequence stays with the live table, not with the one moved aside."""
    live, _ = conns
    first = await record_deduction(live, FINDING)
    for _ in range(2):
        await create_shadow(live)
        await swap(live, await live.fetchval("select now()"))
    assert await record_deduction(live, FINDING) > first
