"""A leave runs as a workflow; the worker starts one for any leave recorded without it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from centers.leave import LeaveClient, record_leave
from projections import leave as store
from projections.center import load_directory
from tests.conftest import TIMEZONE
from tests.ops.conftest import Center, center
from workflows.client import CaseClient

__all__ = ["center"]

TZ = ZoneInfo(TIMEZONE)


async def test_a_leave_recorded_without_its_workflow_is_started_by_the_worker(
    center: Center,
) -> None:
    h = await center.start()  # received by mz-a, the A post of minzheng
    await center.projected(h)
    directory = await load_directory(center.pool, "SFZ")
    today = datetime.now(TZ).date()
    async with center.pool.acquire() as conn:
        leave_id = await record_leave(
            conn,
            directory,
            "mz-a",
            today,
            today + timedelta(days=1),
            "病假",
            directory.staff["mz-head"],
            today,
        )
    # Registered while Temporal was down, say: nothing has started it yet.
    assert (await CaseClient(center.client, "SFZ", bare_ids=True).state(h.id)).assignee == "mz-a"

    leaves = LeaveClient(center.client, center.queue)
    assert await leaves.resume(center.pool, TZ) == 1
    await leaves.settled(leave_id)
    assert (await CaseClient(center.client, "SFZ", bare_ids=True).state(h.id)).assignee == "mz-b"
    assert await leaves.resume(center.pool, TZ) == 0

    assert await store.mark_returned(center.pool, leave_id, today, "mz-head")
    leave = await store.get_leave(center.pool, leave_id)
    assert leave is not None
    await leaves.end_early(leave, TZ)
    assert (await CaseClient(center.client, "SFZ", bare_ids=True).state(h.id)).assignee == "mz-a"
    ended = await store.get_leave(center.pool, leave_id)
    assert ended is not None and ended.ended_at is not None
    assert [(t.case_id, t.outcome) for t in ended.takeovers] == [(h.id, "handed_back")]
