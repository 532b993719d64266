"""The case read model: batches applied exactly once, and never backwards."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from banjian.embedded import EmbeddedPostgres
from projections.cases import UPSERT_CASE, apply_batch, case_events, case_row, get_case
from projections.db import connect
from tests.conftest import new_case_id
from workflows.model import (
    Applicant,
    CaseState,
    Event,
    Kind,
    ProjectionBatch,
    Status,
)

# The center of batches whose calendar names none (recorded before centers shared a
# deployment): the test database's demo center, the one that held them (tests.databases).
NO_CENTER = "SFZ"

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def state(case_id: str, last_seq: int, status: Status) -> CaseState:
    return CaseState(
        case_id=case_id,
        service_code="MZ-001",
        service_name="临时救助",
        window="minzheng",
        kind=Kind.PROMISED,
        status=status,
        outcome=None,
        urgent=False,
        received_at=T0,
        due_at=T0 + timedelta(days=7),
        warn_at=T0 + timedelta(days=6),
        paused=False,
        suspended=False,
        overdue=False,
        warned=False,
        assignee="mz-a",
        first_receiver="mz-a",
        applicant=Applicant("李四", "11010519491231002X", "13912345678"),
        materials=[],
        materials_missing=[],
        signoffs=[],
        completed_at=None,
        last_seq=last_seq,
        request_hash="h",
    )


def events(*seqs: int) -> list[Event]:
    return [
        Event(
            seq=s, type=f"test.step{s}", at=T0 + timedelta(minutes=s), actor="mz-a", data={"n": s}
        )
        for s in seqs
    ]


async def test_duplicate_and_out_of_order_batches_leave_the_read_model_right(
    postgres: EmbeddedPostgres,
) -> None:
    cid = new_case_id()
    early = ProjectionBatch(cid, events(1, 2), state(cid, 2, Status.RECEIVED))
    late = ProjectionBatch(cid, events(3, 4), state(cid, 4, Status.UNDER_REVIEW))
    conn = await connect(postgres.dsn)
    try:
        for batch in (late, early, late, early):
            await apply_batch(conn, batch)
        row = await get_case(conn, NO_CENTER, cid)
        assert row is not None
        assert (row["last_seq"], row["status"]) == (4, "under_review")
        stored = await case_events(conn, NO_CENTER, cid)
        assert [(r["seq"], r["type"], r["data"]) for r in stored] == [
            (s, f"test.step{s}", {"n": s}) for s in (1, 2, 3, 4)
        ]
    finally:
        await conn.close()


async def test_one_batch_handed_in_twice_at_once_counts_once(postgres: EmbeddedPostgres) -> None:
    """An action's caller and the case's projector write the same batch at the same moment
    (as a case closes): the case's lock lets one write it, the other finds it written."""
    window = f"race-{new_case_id()}"
    cids = [new_case_id() for _ in range(8)]
    first = await connect(postgres.dsn)
    second = await connect(postgres.dsn)
    try:
        for cid in cids:
            s = replace(state(cid, 3, Status.UNDER_REVIEW), window=window)
            batch = ProjectionBatch(cid, events(1, 2, 3), s)
            versions = await asyncio.gather(apply_batch(first, batch), apply_batch(second, batch))
            assert versions[0] == versions[1]  # both answer the calendar's version
        counts = await first.fetch(
            "select grain, sum(n) as n from dash_received where window_code = $1 group by grain",
            window,
        )
        assert counts and {r["n"] for r in counts} == {len(cids)}
        for cid in cids:
            assert [r["seq"] for r in await case_events(first, NO_CENTER, cid)] == [1, 2, 3]
    finally:
        await first.close()
        await second.close()


async def test_a_batch_that_fails_midway_writes_nothing(postgres: EmbeddedPostgres) -> None:
    cid = new_case_id()
    # The events insert succeeds; the case row then violates NOT NULL.
    bad_state = replace(state(cid, 1, Status.RECEIVED), service_code=None)  # type: ignore[arg-type]
    conn = await connect(postgres.dsn)
    try:
        with pytest.raises(asyncpg.NotNullViolationError):
            await apply_batch(conn, ProjectionBatch(cid, events(1), bad_state))
        assert await get_case(conn, NO_CENTER, cid) is None
        assert await case_events(conn, NO_CENTER, cid) == []
    finally:
        await conn.close()


def test_the_case_row_has_a_value_for_every_column_of_the_upsert() -> None:
    placeholders = {int(n) for n in re.findall(r"\$(\d+)", UPSERT_CASE)}
    # The row's columns, then the case's center (``apply_batch`` passes it last).
    assert placeholders == set(range(1, len(case_row(state("c", 1, Status.RECEIVED))) + 2))
