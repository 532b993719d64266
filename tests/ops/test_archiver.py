"""The archiver: closed cases go onto the hash chain once each, with their history and events."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from temporalio.client import WorkflowHistory

from ops.archive import archive_pending
from ops.history import decode
from ops.replay import replay_case
from projections.archive import GENESIS, archive_entry, sha256, verify_chain
from tests.ops.conftest import Center


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
