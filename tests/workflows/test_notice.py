"""The one-time notice (一次性告知): missing materials named within 5 working days, or a breach."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio.testing import WorkflowEnvironment

from tests.workflows.harness import WORKING, act, event_types, meta, skip_past, start, state_of
from workflows.actions import RequestMaterials


async def test_no_notice_within_five_working_days_is_recorded_once_as_a_breach(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    env, _ = time_skipping
    h = await start(time_skipping, materials=["id_card"])  # application_form missing
    s = await state_of(h)
    assert s.notice_due_at is not None
    tz = WORKING.hours.tz
    received, notice = s.received_at.astimezone(tz), s.notice_due_at.astimezone(tz)
    assert WORKING.working_days_between(received.date(), notice.date()) == 5
    await skip_past(env, s.notice_due_at, timedelta(days=3))
    assert (await event_types(h)).count("notice.overdue") == 1
    await act(h, "request-materials", RequestMaterials(meta(), ["application_form"]))
    events = await h.query("events", result_type=list[dict[str, Any]])
    requested = next(e for e in events if e["type"] == "materials.requested")
    assert requested["data"]["late_notice"] is True
    assert [e["type"] for e in events].count("notice.overdue") == 1


async def test_a_timely_notice_stops_the_notice_clock(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    env, _ = time_skipping
    h = await start(time_skipping, materials=["id_card"])
    await act(h, "request-materials", RequestMaterials(meta(), ["application_form"]))
    await env.sleep(timedelta(days=14))
    events = await h.query("events", result_type=list[dict[str, Any]])
    assert "notice.overdue" not in [e["type"] for e in events]
    requested = next(e for e in events if e["type"] == "materials.requested")
    assert requested["data"]["late_notice"] is False


async def test_complete_materials_at_intake_start_no_notice_clock(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    h = await start(time_skipping)
    assert (await state_of(h)).notice_due_at is None
