"""The case workflow on the time-skipping server: actions, events, the due date, timers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from banjian.embedded import EmbeddedPostgres
from projections.cases import case_events, get_case
from projections.db import connect as db_connect
from tests.conftest import eventually
from tests.workflows.harness import (
    CALENDAR,
    CLERK,
    DIRECTOR,
    OPS,
    OTHER_CLERK,
    WORKING,
    act,
    event_types,
    meta,
    rejection_code,
    service,
    skip_past,
    start,
    state_of,
)
from workflows.actions import (
    Complete,
    Extend,
    Reassign,
    RecordSignoff,
    RequestMaterials,
    RequestSignoff,
    Resume,
    Return,
    StartReview,
    SupplyMaterials,
    Suspend,
)
from workflows.event_log import EVENT_TYPES
from workflows.model import Actor, Kind, Outcome, Role, Status


async def test_promised_case_runs_from_intake_to_completion_with_events_in_order(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    h = await start(time_skipping)
    await act(h, "request-materials", RequestMaterials(meta(), ["photo"], "请补交照片"))
    assert (await state_of(h)).paused
    s = await act(h, "supply-materials", SupplyMaterials(meta(), ["photo"]))
    assert s.status is Status.RECEIVED and not s.paused
    await act(h, "start-review", StartReview(meta()))
    s = await act(h, "complete", Complete(meta(), Outcome.APPROVED, "准予"))
    assert s.status is Status.COMPLETED and s.outcome is Outcome.APPROVED
    assert await event_types(h) == [
        "case.received",
        "materials.requested",
        "clock.paused",
        "materials.supplied",
        "clock.resumed",
        "review.started",
        "case.completed",
    ]
    events = await h.query("events", result_type=list[dict[str, Any]])
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert all(e["schema_version"] == EVENT_TYPES[e["type"]].VERSION for e in events)
    assert [e["actor"] for e in events] == ["mz-a"] * len(events)


async def test_due_date_is_close_of_office_on_the_nth_working_day_after_receipt(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    h = await start(time_skipping, service(days=5))
    s = await act(h, "start-review", StartReview(meta()))
    assert s.due_at is not None
    due = s.due_at.astimezone(WORKING.hours.tz)
    received = s.received_at.astimezone(WORKING.hours.tz)
    assert (due.hour, due.minute) == (17, 30)
    assert WORKING.is_working_day(due.date())
    assert WORKING.working_days_between(received.date(), due.date()) == 5


async def test_joint_case_returns_to_review_when_every_department_has_signed(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    h = await start(time_skipping, service(Kind.JOINT, 10, ["guotu", "nongye"]))
    await act(h, "start-review", StartReview(meta()))
    s = await act(h, "request-signoff", RequestSignoff(meta(), ["guotu", "nongye"]))
    assert s.status is Status.JOINT_SIGNOFF
    guotu = Actor("gt-a", Role.CLERK, "guotu")
    s = await act(h, "signoff", RecordSignoff(meta(guotu), "guotu", "approve", "同意"))
    assert s.status is Status.JOINT_SIGNOFF
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await act(h, "signoff", RecordSignoff(meta(guotu), "nongye", "approve"))
    assert rejection_code(err.value) == "forbidden"
    nongye = Actor("ny-head", Role.WINDOW_HEAD, "nongye")
    s = await act(h, "signoff", RecordSignoff(meta(nongye), "nongye", "approve"))
    assert s.status is Status.UNDER_REVIEW
    assert [(x.department, x.decision, x.by) for x in s.signoffs] == [
        ("guotu", "approve", "gt-a"),
        ("nongye", "approve", "ny-head"),
    ]
    s = await act(h, "complete", Complete(meta(), Outcome.APPROVED))
    assert s.outcome is Outcome.APPROVED


async def test_joint_case_cannot_be_approved_over_a_rejection(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    h = await start(time_skipping, service(Kind.JOINT, 10, ["guotu"]))
    await act(h, "start-review", StartReview(meta()))
    await act(h, "request-signoff", RequestSignoff(meta(), ["guotu"]))
    await act(h, "signoff", RecordSignoff(meta(DIRECTOR), "guotu", "reject", "不符合规划"))
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await act(h, "complete", Complete(meta(), Outcome.APPROVED))
    assert rejection_code(err.value) == "invalid_transition"
    s = await act(h, "complete", Complete(meta(), Outcome.DENIED, "规划不符"))
    assert s.outcome is Outcome.DENIED


@pytest.mark.parametrize(
    ("actor", "action", "arg"),
    [
        (OPS, "start-review", StartReview(meta(OPS))),
        (OTHER_CLERK, "start-review", StartReview(meta(OTHER_CLERK))),
        (CLERK, "extend", Extend(meta(CLERK), 5, "需要现场核查")),
    ],
    ids=["ops-read-only", "clerk-of-another-window", "extension-by-a-clerk"],
)
async def test_staff_act_only_where_their_role_and_window_allow(
    time_skipping: tuple[WorkflowEnvironment, str], actor: Actor, action: str, arg: Any
) -> None:
    h = await start(time_skipping)
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await act(h, action, arg)
    assert rejection_code(err.value) == "forbidden"
    assert await event_types(h) == ["case.received"]


async def test_materials_request_naming_unknown_material_is_a_validation_error(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    h = await start(time_skipping)
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await act(h, "request-materials", RequestMaterials(meta(), ["passport"]))
    assert rejection_code(err.value) == "validation_error"


async def test_same_idempotency_key_applies_once_and_a_different_body_conflicts(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    h = await start(time_skipping)
    first = await act(h, "start-review", StartReview(meta(key="k1", body="b1")))
    again = await act(h, "start-review", StartReview(meta(key="k1", body="b1")))
    assert again.last_seq == first.last_seq
    assert await event_types(h) == ["case.received", "review.started"]
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await act(h, "return", Return(meta(key="k1", body="b2"), "材料不全"))
    assert rejection_code(err.value) == "idempotency_conflict"


async def test_warning_and_overdue_fire_once_each_at_their_time(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    env, _ = time_skipping
    h = await start(time_skipping, service(days=2))
    s = await act(h, "start-review", StartReview(meta()))
    assert s.due_at is not None and s.warn_at is not None
    await skip_past(env, s.warn_at, timedelta(minutes=1))
    assert (await event_types(h))[-1] == "deadline.warning"
    await skip_past(env, s.due_at, timedelta(days=5))
    types = await event_types(h)
    assert types.count("deadline.warning") == 1 and types.count("deadline.overdue") == 1
    s = await state_of(h)
    assert s.overdue and s.warned


async def test_waiting_for_materials_moves_the_due_date_by_the_paused_office_time(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    env, _ = time_skipping
    h = await start(time_skipping, service(days=3))
    s = await act(h, "request-materials", RequestMaterials(meta(), ["photo"]))
    assert s.due_at is not None
    paused_from = await env.get_current_time()
    await env.sleep(timedelta(days=4))
    s2 = await act(h, "supply-materials", SupplyMaterials(meta(), ["photo"]))
    assert s2.due_at is not None
    paused = WORKING.office_time_between(paused_from, await env.get_current_time())
    assert paused > timedelta(0)
    assert s2.due_at == WORKING.add_office_time(s.due_at, paused)
    assert "deadline.overdue" not in await event_types(h)


async def test_suspension_stops_the_clock_until_resumed(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    env, _ = time_skipping
    h = await start(time_skipping, service(days=1))
    await act(h, "start-review", StartReview(meta()))
    s = await act(h, "suspend", Suspend(meta(), "专家评审", 10))
    assert s.paused and s.suspended and s.due_at is not None
    await skip_past(env, s.due_at, timedelta(days=7))
    assert "deadline.overdue" not in await event_types(h)
    s = await act(h, "resume", Resume(meta()))
    assert not s.paused and s.due_at is not None and s.due_at > await env.get_current_time()


async def test_extension_by_the_director_moves_the_due_date_by_working_days(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    h = await start(time_skipping, service(days=5))
    before = (await act(h, "start-review", StartReview(meta()))).due_at
    s = await act(h, "extend", Extend(meta(DIRECTOR), 10, "需要现场勘查"))
    assert before is not None and s.due_at is not None
    tz = WORKING.hours.tz
    assert (
        WORKING.working_days_between(before.astimezone(tz).date(), s.due_at.astimezone(tz).date())
        == 10
    )
    events = await h.query("events", result_type=list[dict[str, Any]])
    assert events[-1]["type"] == "deadline.extended" and events[-1]["actor"] == "director"


async def test_reassigning_keeps_the_first_receiver(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    h = await start(time_skipping)
    s = await act(h, "reassign", Reassign(meta(), "mz-b", "minzheng"))
    assert (s.assignee, s.first_receiver) == ("mz-b", "mz-a")


async def test_projection_holds_every_event_and_the_final_state(
    time_skipping: tuple[WorkflowEnvironment, str], postgres: EmbeddedPostgres
) -> None:
    h = await start(time_skipping)
    await act(h, "start-review", StartReview(meta()))
    await act(h, "complete", Complete(meta(), Outcome.APPROVED))
    live = await h.query("events", result_type=list[dict[str, Any]])
    conn = await db_connect(postgres.dsn)
    try:

        async def projected() -> bool:
            row = await get_case(conn, CALENDAR.center, h.id)
            return row is not None and row["last_seq"] == len(live)

        await eventually(projected)
        row = await get_case(conn, CALENDAR.center, h.id)
        assert row is not None and row["status"] == "completed" and row["outcome"] == "approved"
        stored = await case_events(conn, CALENDAR.center, h.id)
        assert [(r["seq"], r["type"]) for r in stored] == [(e["seq"], e["type"]) for e in live]
    finally:
        await conn.close()
