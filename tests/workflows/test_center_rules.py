"""The center's rules enforced by the workflow: the one-time notice, a department's rejection,
returns and their review, withdrawal, urgent cases, orphan matters, upward cases."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowFailureError, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from tests.workflows.harness import (
    CLERK,
    DIRECTOR,
    MATERIALS,
    WORKING,
    act,
    event_types,
    events_of,
    meta,
    rejection_code,
    service,
    skip_past,
    start,
    state_of,
)
from workflows.actions import (
    Assign,
    Chase,
    Complete,
    DecideReview,
    DesignateUrgent,
    Extend,
    Forward,
    Recalculate,
    RecordDecision,
    RecordSignoff,
    RequestMaterials,
    RequestReview,
    RequestSignoff,
    Return,
    StartReview,
    SupplyMaterials,
    Withdraw,
)
from workflows.model import Actor, Kind, Outcome, Role, ServiceSnapshot, Status

GUOTU_CLERK = Actor("gt-a", Role.CLERK, "guotu")


async def refused(handle: WorkflowHandle[Any, Any], name: str, arg: object) -> str | None:
    before = await event_types(handle)
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await act(handle, name, arg)
    assert await event_types(handle) == before  # a refused action records nothing
    return rejection_code(err.value)


async def test_the_one_time_notice_names_everything_at_once_and_asks_again_only_for_defects(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    h = await start(time_skipping, materials=["id_card"])  # application_form missing
    code = await refused(h, "request-materials", RequestMaterials(meta(), ["photo"]))
    assert code == "validation_error"
    await act(h, "request-materials", RequestMaterials(meta(), ["application_form", "photo"]))
    await act(h, "supply-materials", SupplyMaterials(meta(), ["application_form", "photo"]))
    # Asking again for something that was never supplied is a second notice: refused.
    code = await refused(h, "request-materials", RequestMaterials(meta(), ["photo"]))
    assert code == "invalid_transition"
    await act(h, "start-review", StartReview(meta()))
    bogus = RequestMaterials(meta(), ["photo"], "照片模糊", defective=False)
    assert await refused(h, "request-materials", bogus) == "invalid_transition"
    s = await act(h, "request-materials", RequestMaterials(meta(), ["photo"], "照片模糊", True))
    assert s.status is Status.NEEDS_MATERIALS
    requested = [e for e in await events_of(h) if e["type"] == "materials.requested"]
    assert [(e["data"]["missing"], e["data"]["defective"]) for e in requested] == [
        (["application_form", "photo"], False),
        (["photo"], True),
    ]


async def test_only_supplied_materials_are_found_defective(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    h = await start(time_skipping, materials=["id_card", "application_form"])
    code = await refused(h, "request-materials", RequestMaterials(meta(), ["photo"], "", True))
    assert code == "validation_error"


async def test_a_first_request_finding_a_defect_still_names_what_was_missing_at_intake(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    h = await start(time_skipping, materials=["id_card"])  # application_form missing
    photo_only = RequestMaterials(meta(), ["id_card"], "复印件不清晰", defective=True)
    assert await refused(h, "request-materials", photo_only) == "validation_error"
    both = RequestMaterials(meta(), ["application_form", "id_card"], "复印件不清晰", True)
    s = await act(h, "request-materials", both)
    assert s.materials_missing == ["application_form", "id_card"]
    s = await act(h, "supply-materials", SupplyMaterials(meta(), ["id_card"]))
    # The material missing since intake is still missing: the clock stays paused.
    assert s.materials_missing == ["application_form"] and s.paused


async def test_a_department_s_rejection_returns_the_case_to_the_lead_at_once(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    h = await start(time_skipping, service(Kind.JOINT, 10, ["canlian", "laodong"], 45))
    await act(h, "start-review", StartReview(meta()))
    await act(h, "request-signoff", RequestSignoff(meta(), ["canlian", "laodong"]))
    canlian = Actor("cl-a", Role.CLERK, "canlian")
    s = await act(h, "signoff", RecordSignoff(meta(canlian), "canlian", "reject", "不符合条件"))
    assert s.status is Status.UNDER_REVIEW
    signed = [e for e in await events_of(h) if e["type"] == "signoff.recorded"][-1]
    assert signed["data"]["returned_to_lead"] is True
    assert signed["data"]["comment"] == "不符合条件"
    laodong = Actor("ld-a", Role.CLERK, "laodong")
    late = RecordSignoff(meta(laodong), "laodong", "approve")
    assert await refused(h, "signoff", late) == "invalid_transition"
    approve = Complete(meta(), Outcome.APPROVED)
    assert await refused(h, "complete", approve) == "invalid_transition"
    # The lead window answers for the flow: it may ask again, or decide.
    s = await act(h, "request-signoff", RequestSignoff(meta(), ["canlian", "laodong"]))
    assert s.status is Status.JOINT_SIGNOFF and all(x.decision is None for x in s.signoffs)


async def test_a_return_is_reviewed_and_reopened_with_its_history_kept(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    env, _ = time_skipping
    h = await start(time_skipping)
    await act(h, "start-review", StartReview(meta()))
    s = await state_of(h)
    assert s.return_by == WORKING.due_at(s.received_at, 3)
    await skip_past(env, s.return_by, timedelta(hours=1))
    s = await act(h, "return", Return(meta(), "申请人不符合救助条件"))
    assert s.status is Status.COMPLETED and s.outcome is Outcome.RETURNED
    returned = next(e for e in await events_of(h) if e["type"] == "case.returned")
    assert returned["data"]["late_return"] is True  # past 3 working days: counts against it
    assert returned["data"]["review_days"] == 15
    unasked = DecideReview(meta(DIRECTOR), "reopen", "复核")
    assert await refused(h, "decide-review", unasked) == "invalid_transition"
    await act(h, "request-review", RequestReview(meta(), "申请人补充了收入证明，请求复核"))
    assert await refused(h, "decide-review", DecideReview(meta(), "reopen", "复核")) == "forbidden"
    s = await act(h, "decide-review", DecideReview(meta(DIRECTOR), "reopen", "退回依据不足"))
    assert s.status is Status.UNDER_REVIEW and s.outcome is None
    s = await act(h, "complete", Complete(meta(), Outcome.APPROVED, "复核后准予"))
    assert await event_types(h) == [
        "case.received",
        "review.started",
        "case.returned",
        "return.review_requested",
        "case.reopened",
        "case.completed",
    ]
    await h.result()


async def test_a_reopened_return_does_not_count_the_time_it_stood_returned(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    env, _ = time_skipping
    h = await start(time_skipping)  # 5 working days
    s = await act(h, "start-review", StartReview(meta()))
    due = s.due_at
    assert due is not None
    s = await act(h, "return", Return(meta(), "申请人不符合救助条件"))
    returned_at = s.completed_at
    assert returned_at is not None
    # The applicant asks for a review on the 10th day; the director reopens the case on the
    # 12th, long past the limit it was returned under.
    await env.sleep(timedelta(days=10))
    await act(h, "request-review", RequestReview(meta(), "申请人补充了收入证明，请求复核"))
    await env.sleep(timedelta(days=2))
    s = await act(h, "decide-review", DecideReview(meta(DIRECTOR), "reopen", "退回依据不足"))
    now = await env.get_current_time()
    assert s.due_at is not None and s.due_at > now
    assert s.due_at - due > now - returned_at - timedelta(days=5)  # at least the weekdays
    reopened = next(e for e in await events_of(h) if e["type"] == "case.reopened")
    assert reopened["data"]["paused_office_seconds"] > 0
    assert reopened["data"]["due_at"] == s.due_at.isoformat()
    await env.sleep(timedelta(hours=1))
    s = await state_of(h)
    assert not s.overdue and not any(a.kind == "overdue" for a in s.alerts)


async def test_a_return_within_three_days_is_final_when_no_review_is_asked(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    env, _ = time_skipping
    h = await start(time_skipping)
    await act(h, "return", Return(meta(), "主要材料缺失"))
    returned = next(e for e in await events_of(h) if e["type"] == "case.returned")
    assert returned["data"]["late_return"] is False
    await env.sleep(timedelta(days=16))
    await h.result()  # the review period ended: the workflow is done
    types = await event_types(h)
    assert types[-1] == "return.final" and types.count("return.final") == 1
    with pytest.raises((WorkflowUpdateFailedError, WorkflowFailureError, Exception)):
        await act(h, "request-review", RequestReview(meta(), "太晚了"))


async def test_the_director_confirms_a_return(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    h = await start(time_skipping)
    await act(h, "return", Return(meta(), "主要材料缺失"))
    await act(h, "request-review", RequestReview(meta(), "请求复核"))
    s = await act(h, "decide-review", DecideReview(meta(DIRECTOR), "confirm", "退回正确"))
    assert s.outcome is Outcome.RETURNED and s.review is not None
    assert s.review.decision == "confirm"
    await h.result()
    assert (await event_types(h))[-1] == "return.confirmed"


async def test_the_applicant_withdraws_with_a_reason(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    h = await start(time_skipping)
    assert await refused(h, "withdraw", Withdraw(meta(), " ")) == "validation_error"
    s = await act(h, "withdraw", Withdraw(meta(), "申请人已在异地办理"))
    assert s.status is Status.COMPLETED and s.outcome is Outcome.WITHDRAWN
    assert (await events_of(h))[-1]["data"]["reason"] == "申请人已在异地办理"
    await h.result()


async def test_the_director_designates_an_urgent_case_which_is_warned_earlier(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    h = await start(time_skipping, service(days=10))
    s = await state_of(h)
    assert s.warn_at == WORKING.due_at(s.received_at, 9)
    urgent = DesignateUrgent(meta(), "群众急需")
    assert await refused(h, "designate-urgent", urgent) == "forbidden"
    s = await act(h, "designate-urgent", DesignateUrgent(meta(DIRECTOR), "群众急需"))
    assert s.urgent and s.warn_at == WORKING.due_at(s.received_at, 5)
    again = DesignateUrgent(meta(DIRECTOR), "再次")
    assert await refused(h, "designate-urgent", again) == "invalid_transition"


ORPHAN = ServiceSnapshot("ZH-900", "不管件", "zonghe", Kind.ORPHAN, 0, 0, [MATERIALS[2]], [])


async def test_an_orphan_matter_is_assigned_by_the_director_and_completed(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    zonghe = Actor("zh-a", Role.CLERK, "zonghe")
    h = await start(time_skipping, ORPHAN, [])
    s = await state_of(h)
    assert s.due_at is None and s.kind is Kind.ORPHAN
    # Nothing is counted or handled before the director assigns it.
    for name, arg in (
        ("start-review", StartReview(meta(zonghe))),
        ("request-materials", RequestMaterials(meta(zonghe), ["photo"])),
        ("extend", Extend(meta(DIRECTOR), 2, "延期")),
        ("recalculate", Recalculate(meta(DIRECTOR), "日历变更")),
    ):
        assert await refused(h, name, arg) == "invalid_transition"
    assign = Assign(meta(zonghe), "gt-a", "guotu", 3, "涉及宅基地纠纷，由国土村建窗口牵头")
    assert await refused(h, "assign", assign) == "forbidden"
    s = await act(h, "assign", Assign(meta(DIRECTOR), "gt-a", "guotu", 3, "由国土村建牵头"))
    assigned = next(e for e in await events_of(h) if e["type"] == "case.assigned")
    at = datetime.fromisoformat(assigned["at"])
    assert s.due_at == WORKING.due_at(at, 3)
    assert (s.window, s.assignee, s.first_receiver) == ("guotu", "gt-a", CLERK.staff_id)
    again = Assign(meta(DIRECTOR), "gt-a", "guotu", 5, "再分配")
    assert await refused(h, "assign", again) == "invalid_transition"
    await act(h, "start-review", StartReview(meta(GUOTU_CLERK)))
    s = await act(h, "complete", Complete(meta(GUOTU_CLERK), Outcome.APPROVED, "已协调解决"))
    assert s.status is Status.COMPLETED


UPWARD = ServiceSnapshot(
    "SB-004", "养老保险待遇申领（代理）", "minzheng", Kind.UPWARD, 15, 20, MATERIALS, []
)


async def test_an_upward_case_waits_for_the_higher_authority_and_is_chased_when_late(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    env, _ = time_skipping
    h = await start(time_skipping, UPWARD)
    await act(h, "start-review", StartReview(meta()))
    approve = Complete(meta(), Outcome.APPROVED)
    assert await refused(h, "complete", approve) == "invalid_transition"
    assert await refused(h, "chase", Chase(meta(), "催办")) == "invalid_transition"
    s = await act(h, "forward", Forward(meta(), "县人力资源和社会保障局", "县人社〔2026〕118号", 2))
    assert s.upward is not None and s.upward.due_at is not None
    forwarded = next(e for e in await events_of(h) if e["type"] == "case.forwarded")
    assert s.upward.due_at == WORKING.due_at(datetime.fromisoformat(forwarded["at"]), 2)
    await skip_past(env, s.upward.due_at, timedelta(days=3))
    late = [e for e in await events_of(h) if e["type"] == "deadline.overdue"]
    assert [(e["data"]["clock"], e["data"]["level"]) for e in late] == [("upward", "window_head")]
    s = await act(h, "chase", Chase(meta(), "电话催办县人社局"))
    assert s.upward is not None and s.upward.chased == 1
    decided = RecordDecision(meta(), "approved", "县人社〔2026〕130号", "同意")
    s = await act(h, "record-decision", decided)
    assert await refused(h, "record-decision", decided) == "invalid_transition"
    deny = Complete(meta(), Outcome.DENIED, "不予")  # not what the higher authority decided
    assert await refused(h, "complete", deny) == "validation_error"
    s = await act(h, "complete", Complete(meta(), Outcome.APPROVED, "按上级决定办结"))
    assert s.status is Status.COMPLETED
    decision = next(e for e in await events_of(h) if e["type"] == "upward.decided")
    assert decision["data"]["on_time"] is False
