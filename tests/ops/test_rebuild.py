"""Rebuilding the read models from the archive and the live workflows, then swapping them in."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from temporalio.testing import WorkflowEnvironment

from banjian.runtime import build_worker
from ops.archive import archive_pending
from ops.rebuild import rebuild_projections
from ops.replay import replay_case
from projections.cases import get_case
from projections.db import LazyPool, connect
from projections.scores import ManualDeduction, record_deduction
from projections.shadow import SHADOW
from projections.tables import TABLES
from tests.conftest import TIMEZONE
from tests.ops.conftest import Center
from tests.projections.read_models import read_models
from tests.workflows.harness import act, meta, skip_past
from workflows.actions import RequestMaterials, SupplyMaterials
from workflows.model import CaseState

_NAMES = """
select 'index ' || indexname from pg_indexes
  where schemaname = 'public' and tablename = any($1::text[])
union all
select 'constraint ' || conname from pg_constraint
  where conrelid in (select ('public.' || t)::regclass from unnest($1::text[]) t)
order by 1
"""


async def _archived_overdue_case(center: Center, env: WorkflowEnvironment) -> str:
    """A case gone past its limit (alerts, a deduction by the system), closed and archived;
    run on the time-skipping Temporal, so the rebuild reads it from the archive."""
    db = LazyPool(center.dsn)
    try:
        queue = "ops-late-" + uuid.uuid4().hex[:8]
        async with build_worker(env.client, queue, db, TIMEZONE):
            late = Center(env.client, "", queue, center.dsn, center.pool)
            h = await late.start()
            s = await h.query("state", result_type=CaseState)
            assert s.due_at is not None
            await skip_past(env, s.due_at, timedelta(days=1))
            await late.close(h)
            assert h.id in await archive_pending(env.client, center.pool)
    finally:
        await db.close()
    return h.id


async def test_a_rebuild_equals_the_live_projection_and_repairs_an_edited_row(
    center: Center, time_skipping: tuple[WorkflowEnvironment, str]
) -> None:
    overdue = await _archived_overdue_case(center, time_skipping[0])
    archived, closed = await center.start(), await center.start()
    await center.close(archived)
    await archive_pending(center.client, center.pool)
    await center.close(closed)
    paused = await center.start(materials=["id_card"])
    await act(paused, "request-materials", RequestMaterials(meta(), ["application_form"], ""))
    resumed = await center.start(materials=["id_card"])
    await act(resumed, "request-materials", RequestMaterials(meta(), ["application_form"], ""))
    await act(resumed, "supply-materials", SupplyMaterials(meta(), ["application_form"]))
    for h in (archived, closed, paused, resumed):
        await center.projected(h)
    # An alert of no case (a missing holiday notice) and a deduction the director entered are
    # in no history: they must survive.
    await center.pool.execute(
        "insert into alerts (alert_id, kind, level, raised_at, center_code)"
        " values ('notice-2099', 'notice_missing', 'ops', now(), '')"
    )
    finding = ManualDeduction(
        "minzheng",
        "complaint_upheld",
        date(2026, 3, 20),
        1,
        "投诉属实",
        resumed.id,
        "director",
        "SFZ",
    )
    entered = await record_deduction(center.pool, finding)
    live = await read_models(center.pool)
    assert any(r["case_id"] == overdue for r in live["score_deductions"])
    names = await center.pool.fetch(_NAMES, TABLES)
    # Edited by hand: an event, a deduction the system recorded, the rollups; and a deduction
    # claimed to be the system's that no event raised.
    await center.pool.execute(
        "update case_events set actor = 'mallory' where case_id = $1 and seq = 2", resumed.id
    )
    await center.pool.execute(
        "update score_deductions set points = 50 where case_id = $1 and recorded_by = 'system'",
        overdue,
    )
    await center.pool.execute("update dash_received set n = n + 1 where grain = 'm'")
    await center.pool.execute(
        "insert into score_deductions (window_code, month, on_day, kind, points, case_id,"
        " recorded_by, center_code) values ('minzheng', '2099-01-01', '2099-01-02',"
        " 'case_overdue', 2, $1, 'system', 'SFZ')",
        paused.id,
    )

    seen: list[tuple[int, int]] = []
    summary = await rebuild_projections(
        center.client, center.dsn, center.queue, lambda done, total: seen.append((done, total))
    )

    assert await read_models(center.pool) == live
    assert await center.pool.fetch(_NAMES, TABLES) == names
    kept = await center.pool.fetchrow("select * from score_deductions where id = $1", entered)
    assert kept is not None and kept["recorded_by"] == "director" and kept["case_id"] == resumed.id
    assert summary.from_archive >= 1 and summary.from_temporal >= 3
    assert summary.lag == 0 and summary.carried is not None and summary.carried.unknown == []
    assert seen[-1] == (summary.from_archive + summary.from_temporal,) * 2
    assert "rebuilt" in summary.as_text()
    report = await replay_case(center.client, center.pool, resumed.id, ZoneInfo("Asia/Shanghai"))
    assert report.consistent, report.as_text()


async def test_the_live_projection_keeps_writing_into_the_rebuilt_tables(center: Center) -> None:
    await rebuild_projections(center.client, center.dsn, center.queue)
    h = await center.start()
    await center.close(h)
    await center.projected(h)
    types = [
        r["type"]
        for r in await center.pool.fetch(
            "select type from case_events where case_id = $1 order by seq", h.id
        )
    ]
    assert types == ["case.received", "review.started", "case.completed"]


async def test_reads_answer_from_the_old_tables_until_the_swap(center: Center) -> None:
    first, second = await center.start(), await center.start()
    for h in (first, second):
        await center.projected(h)
    await center.pool.execute("update cases set assignee = 'edited' where case_id = $1", first.id)

    async def read() -> tuple[bool, str]:
        conn = await connect(center.dsn)
        try:
            shadow = await conn.fetchval("select to_regnamespace($1) is not null", SHADOW)
            row = await get_case(conn, "SFZ", first.id)
            assert row is not None
            return bool(shadow), str(row["assignee"])
        finally:
            await conn.close()

    seen: list[tuple[bool, str]] = []

    def progress(done: int, total: int) -> None:
        # The rebuild stands still here, its shadow tables half filled: read as the API would,
        # on a connection of its own in another thread.
        if done == 1:
            with ThreadPoolExecutor(1) as pool:
                seen.append(pool.submit(asyncio.run, read()).result())

    await rebuild_projections(center.client, center.dsn, center.queue, progress)
    assert seen == [(True, "edited")]
    row = await get_case(center.pool, "SFZ", first.id)
    assert row is not None and row["assignee"] == "mz-a"
