"""Archiving: closed cases go onto the hash chain once each, with their history and events; a
case that cannot be archived is skipped, never in the way of the others."""

from __future__ import annotations

import json
import uuid
from zoneinfo import ZoneInfo

from temporalio.client import ScheduleActionStartWorkflow, WorkflowHistory

from ops.archive import (
    ARCHIVE_EVERY,
    archive_pending,
    archive_schedule_id,
    ensure_archive_schedule,
)
from ops.history import decode
from ops.replay import replay_case
from projections.archive import GENESIS, archive_entry, sha256, verify_chain
from tests.conftest import eventually
from tests.ops.conftest import Center
from workflows.archive import ArchiveWorkflow


async def test_closed_cases_are_archived_once_each_and_open_ones_wait(center: Center) -> None:
    first, second, still_open = await center.start(), await center.start(), await center.start()
    await center.close(first)
    await center.close(second)
    await center.projected(first)
    await center.projected(second)
    await center.projected(still_open)

    archived = await archive_pending(center.client, center.pool)
    assert {first.id, second.id} <= set(archived)
    assert still_open.id not in archived
    assert await archive_pending(center.client, center.pool) == []

    a = await archive_entry(center.pool, first.id)
    b = await archive_entry(center.pool, second.id)
    assert a is not None and b is not None
    assert sha256(a.history) == a.history_sha256
    later, earlier = (a, b) if a.position > b.position else (b, a)
    assert later.prev_hash == earlier.chain_hash
    events = json.loads(a.events)
    assert [e["type"] for e in events][-1] == "case.completed"
    history = WorkflowHistory.from_json(first.id, a.history)
    record = await decode(first.id, history, center.client.data_converter)
    assert [e.seq for e in record.events] == [e["seq"] for e in events]

    async with center.pool.acquire() as conn:
        report = await verify_chain(conn)
    assert report.intact and report.entries >= 2


async def test_an_archived_case_still_in_temporal_replays_consistent(center: Center) -> None:
    h = await center.start()
    await center.close(h)
    await archive_pending(center.client, center.pool)
    report = await replay_case(center.client, center.pool, h.id, ZoneInfo("Asia/Shanghai"))
    assert report.source == "temporal" and report.archive is not None
    assert report.consistent, report.as_text()


async def test_the_chain_starts_from_the_genesis_hash(center: Center) -> None:
    first = await center.pool.fetchval("select prev_hash from case_archive where position = 1")
    if first is None:  # this module's cases may not be archived yet when run alone
        h = await center.start()
        await center.close(h)
        await archive_pending(center.client, center.pool)
        first = await center.pool.fetchval("select prev_hash from case_archive where position = 1")
    assert first == GENESIS


async def test_a_round_skips_the_cases_it_cannot_archive_and_archives_those_after_them(
    center: Center,
) -> None:
    # The read model says completed, a day ago; their workflows still run (as a returned case's
    # does while the applicant may ask for review): none can be archived yet.
    waiting = [await center.start() for _ in range(3)]
    for h in waiting:
        await center.projected(h)
        await center.pool.execute(
            "update cases set status = 'completed', completed_at = now() - interval '1 day'"
            " where case_id = $1",
            h.id,
        )
    later = await center.start()
    await center.close(later)
    await center.projected(later)

    # Pages of two: the three that cannot be archived fill more than a page ahead of it.
    archived = await archive_pending(center.client, center.pool, page=2)
    assert later.id in archived
    assert not {h.id for h in waiting} & set(archived)

    done = await center.client.execute_workflow(
        ArchiveWorkflow.run, id=f"archive-{uuid.uuid4().hex[:8]}", task_queue=center.queue
    )
    why = {s.case_id: s.why for s in done.reasons}
    assert all(why.get(h.id) == "its workflow is still running" for h in waiting), why
    assert done.skipped >= 3 and later.id not in why
    assert await archive_entry(center.pool, waiting[0].id) is None


async def test_the_workers_schedule_starts_archive_rounds(center: Center) -> None:
    await ensure_archive_schedule(center.client, center.queue)
    await ensure_archive_schedule(center.client, center.queue)  # a second worker: no change
    schedule = center.client.get_schedule_handle(archive_schedule_id(center.queue))
    try:
        described = await schedule.describe()
        action = described.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert (action.workflow, action.task_queue) == ("ArchiveWorkflow", center.queue)
        assert [i.every for i in described.schedule.spec.intervals] == [ARCHIVE_EVERY]

        h = await center.start()
        await center.close(h)
        await center.projected(h)
        await schedule.trigger()

        async def archived() -> bool:
            return await archive_entry(center.pool, h.id) is not None

        await eventually(archived)
    finally:
        await schedule.delete()
