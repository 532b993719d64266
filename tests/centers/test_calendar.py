"""A calendar change starts one recount of the open cases it touches, picked by the center's days.

Each test has a database of its own whose session time zone is Honolulu's, far from
the center's (Shanghai): a limit that ends at 17:30 in Shanghai is the evening of
the day before there.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from zoneinfo import ZoneInfo

import asyncpg
import pytest_asyncio
from temporalio.client import Client

from banjian.embedded import EmbeddedPostgres, TemporalDevServer
from banjian.runtime import build_worker
from centers.calendar import apply_closure, record_closure, recounted, start_recount
from projections.db import LazyPool, create_pool
from tests.conftest import TIMEZONE
from tests.databases import new_database
from tests.ops.conftest import Center
from tests.workflows.harness import DIRECTOR
from workflows.client import CaseClient
from workflows.recount import RecountInput

TZ = ZoneInfo(TIMEZONE)


@pytest_asyncio.fixture
async def center(
    postgres: EmbeddedPostgres, dev_server: tuple[TemporalDevServer, Client, str]
) -> AsyncIterator[Center]:
    server, client, _ = dev_server
    dsn = await new_database(postgres)
    admin = await asyncpg.connect(postgres.admin_dsn)
    try:
        await admin.execute(
            f"alter database \"{dsn.rsplit('/', 1)[1]}\" set timezone = 'Pacific/Honolulu'"
        )
    finally:
        await admin.close()
    db, pool = LazyPool(dsn), await create_pool(dsn)
    queue = "recount-" + uuid.uuid4().hex[:8]
    try:
        async with build_worker(client, queue, db, TIMEZONE):
            yield Center(client, server.address, queue, dsn, pool)
    finally:
        await pool.close()
        await db.close()


async def legal_day(center: Center, case_id: str) -> date:
    """The day the case's legal limit ends, as the center counts days."""
    state = await CaseClient(center.client, "SFZ", bare_ids=True).state(case_id)
    assert state.legal_due_at is not None
    return state.legal_due_at.astimezone(TZ).date()


async def recalculations(center: Center, case_id: str) -> int:
    events = await CaseClient(center.client, "SFZ", bare_ids=True).events(case_id)
    return sum(1 for e in events if e.type == "deadline.recalculated")


async def test_a_closure_recounts_the_case_due_that_day_in_the_centers_time_zone(
    center: Center,
) -> None:
    h = await center.start()
    await center.projected(h)
    day = await legal_day(center, h.id)

    change = await apply_closure(
        center.client, center.pool, center.queue, "SFZ", day, "停电检修", DIRECTOR
    )
    done = await recounted(center.client, change.id)

    assert (done.cases, done.recalculated, done.failed) == (1, 1, [])
    assert await legal_day(center, h.id) > day
    assert await recalculations(center, h.id) == 1


async def test_a_recount_started_twice_for_one_change_runs_once(center: Center) -> None:
    h = await center.start()
    await center.projected(h)
    day = await legal_day(center, h.id)
    async with center.pool.acquire() as conn:
        change_id = await record_closure(conn, "SFZ", day, "停电检修", DIRECTOR)
    inp = RecountInput(change_id, day, day, "中心闭馆：停电检修", DIRECTOR)

    assert await start_recount(center.client, center.queue, inp)
    first_run = (await center.client.get_workflow_handle(change_id).describe()).run_id
    assert not await start_recount(center.client, center.queue, inp)
    done = await recounted(center.client, change_id)
    assert not await start_recount(center.client, center.queue, inp)

    assert (await center.client.get_workflow_handle(change_id).describe()).run_id == first_run
    assert (done.cases, done.recalculated) == (1, 1)
    assert await recalculations(center, h.id) == 1


async def test_a_case_completed_before_its_turn_counts_as_closed_not_failed(
    center: Center,
) -> None:
    open_case, closed_case = await center.start(), await center.start()
    await center.close(closed_case)
    await center.projected(open_case)
    await center.projected(closed_case)
    # The read model has not seen the completion yet: the recount still lists the case.
    await center.pool.execute(
        "update cases set status = 'under_review' where case_id = $1", closed_case.id
    )
    day = await legal_day(center, open_case.id)

    change = await apply_closure(
        center.client, center.pool, center.queue, "SFZ", day, "停电检修", DIRECTOR
    )
    done = await recounted(center.client, change.id)

    assert (done.cases, done.recalculated, done.closed, done.failed) == (2, 1, 1, [])
