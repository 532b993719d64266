"""Replaying a case: its timeline from the history, and every way the read model may differ."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

import pytest
from temporalio.testing import WorkflowEnvironment

from banjian.runtime import build_worker
from ops.archive import archive_pending
from ops.history import CaseNotFound
from ops.replay import replay_case
from projections.db import LazyPool
from tests.conftest import TIMEZONE
from tests.ops.conftest import Center
from tests.workflows.harness import act, meta
from workflows.actions import RequestMaterials, SupplyMaterials

TZ = ZoneInfo("Asia/Shanghai")


async def _paused_and_resumed(center: Center) -> str:
    h = await center.start(materials=["id_card"])
    await act(h, "request-materials", RequestMaterials(meta(), ["application_form"], "补申请表"))
    await act(h, "supply-materials", SupplyMaterials(meta(), ["application_form"]))
    await center.projected(h)
    return h.id


async def test_an_untouched_open_case_is_consistent_with_a_readable_timeline(
    center: Center,
) -> None:
    case_id = await _paused_and_resumed(center)
    report = await replay_case(center.client, center.pool, case_id, TZ)
    assert report.consistent, report.as_text()
    assert report.source == "temporal" and report.replay_ok and not report.closed
    types = [s.type for s in report.timeline]
    assert types == [
        "case.received",
        "materials.requested",
        "clock.paused",
        "materials.supplied",
        "clock.resumed",
    ]
    received, resumed = report.timeline[0], report.timeline[-1]
    assert (received.label_zh, received.label_en) == ("受理", "case received")
    assert received.due_before is None and received.due_after is not None
    assert resumed.due_before == received.due_after
    assert resumed.at.utcoffset() == TZ.utcoffset(resumed.at.replace(tzinfo=None))
    assert all(s.projected for s in report.timeline)
    assert "consistent" in report.as_text()


async def test_a_closed_case_is_consistent(center: Center) -> None:
    h = await center.start()
    await center.close(h)
    report = await replay_case(center.client, center.pool, h.id, TZ)
    assert report.consistent, report.as_text()
    assert report.closed and report.status == "completed"
    assert report.timeline[-1].type == "case.completed"


async def test_an_edited_event_row_is_caught_with_the_field_that_changed(center: Center) -> None:
    case_id = await _paused_and_resumed(center)
    await center.pool.execute(
        """update case_events set data = '{"missing": []}' where case_id = $1 and seq = 2""",
        case_id,
    )
    report = await replay_case(center.client, center.pool, case_id, TZ)
    assert not report.consistent
    [finding] = report.findings
    assert (finding.kind, finding.key, finding.field) == ("altered_event", "2", "data")
    assert "event #2: data" in report.as_text()


async def test_a_deleted_event_and_an_inserted_one_are_caught(center: Center) -> None:
    case_id = await _paused_and_resumed(center)
    await center.pool.execute("delete from case_events where case_id = $1 and seq = 3", case_id)
    await center.pool.execute(
        "insert into case_events (case_id, seq, type, at, actor, data, schema_version,"
        " center_code) values ($1, 9, 'case.completed', now(), 'mz-a', '{}', 1, 'SFZ')",
        case_id,
    )
    report = await replay_case(center.client, center.pool, case_id, TZ)
    assert sorted((f.kind, f.key) for f in report.findings) == [
        ("extra_event", "9"),
        ("missing_event", "3"),
    ]


async def test_an_edited_current_state_field_is_caught_and_personal_data_stays_masked(
    center: Center,
) -> None:
    case_id = await _paused_and_resumed(center)
    await center.pool.execute(
        "update cases set assignee = 'mz-b', applicant_phone = '13912345678' where case_id = $1",
        case_id,
    )
    report = await replay_case(center.client, center.pool, case_id, TZ)
    found = {f.field: f for f in report.findings}
    assert set(found) == {"assignee", "applicant_phone"}
    assert all(f.kind == "altered_case" for f in report.findings)
    assert (found["assignee"].expected, found["assignee"].actual) == ("mz-a", "mz-b")
    text = report.as_text() + str(report.as_json())
    assert "13912345678" not in text and "13800000000" not in text
    assert "350521199001011234" not in text


async def test_a_case_temporal_does_not_know_is_replayed_from_the_archive(
    center: Center, time_skipping: tuple[WorkflowEnvironment, str]
) -> None:
    """The case ran on another Temporal (as if retention had deleted it from this one)."""
    env, _ = time_skipping
    db = LazyPool(center.dsn)
    try:
        queue = "ops-elsewhere-" + uuid.uuid4().hex[:8]
        async with build_worker(env.client, queue, db, TIMEZONE):
            elsewhere = Center(env.client, "", queue, center.dsn, center.pool)
            h = await elsewhere.start()
            await elsewhere.close(h)
            assert h.id in await archive_pending(env.client, center.pool)
    finally:
        await db.close()
    report = await replay_case(center.client, center.pool, h.id, TZ)
    assert report.source == "archive" and report.archive is not None
    assert report.consistent, report.as_text()
    assert report.timeline[-1].type == "case.completed"

    await center.pool.execute("update case_events set actor = 'x' where case_id = $1", h.id)
    tampered = await replay_case(center.client, center.pool, h.id, TZ)
    assert {(f.kind, f.field) for f in tampered.findings} == {("altered_event", "actor")}


async def test_a_case_nobody_has_is_not_found(center: Center) -> None:
    with pytest.raises(CaseNotFound):
        await replay_case(center.client, center.pool, "T-NOSUCHCASE", TZ)
