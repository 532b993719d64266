"""The clocks a case runs beside its promised limit: the legal limit, each department's sign-off,
restarting on supply, and the center's own thresholds and ladder."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from tests.workflows.harness import (
    CLERK,
    DIRECTOR,
    HEAD,
    WORKING,
    act,
    events_of,
    meta,
    rejection_code,
    service,
    skip_past,
    start,
    state_of,
)
from workflows.actions import (
    AcknowledgeAlert,
    Extend,
    RecordSignoff,
    RequestMaterials,
    RequestSignoff,
    StartReview,
    SupplyMaterials,
)
from workflows.model import Actor, AlertLevel, ClockPolicy, Kind, Role, Rung, Supply

RAISED = ("deadline.warning", "deadline.overdue", "case.escalated")


def raised(events: list[dict[str, Any]]) -> Counter[tuple[str, str, str]]:
    """(event, clock, level) of every threshold raised."""
    return Counter(
        (e["type"], e["data"]["clock"], e["data"]["level"]) for e in events if e["type"] in RAISED
    )


async def test_the_legal_limit_runs_beside_the_promised_one_and_alerts_the_director(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    env, _ = time_skipping
    h = await start(time_skipping, service(days=2, legal_days=3))
    s = await act(h, "start-review", StartReview(meta()))
    assert s.legal_due_at == WORKING.due_at(s.received_at, 3)
    received = (await events_of(h))[0]
    assert received["data"]["legal_due_at"] == s.legal_due_at.isoformat()
    await skip_past(env, s.legal_due_at, timedelta(days=10))
    assert raised(await events_of(h)) == {
        ("deadline.warning", "promised", "window_head"): 1,
        ("deadline.overdue", "promised", "window_head"): 1,
        ("case.escalated", "promised", "director"): 1,
        ("case.escalated", "promised", "discipline"): 1,
        ("deadline.warning", "legal", "window_head"): 1,
        # Past the legal limit the director hears at once; the ladder goes on from there.
        ("deadline.overdue", "legal", "director"): 1,
        ("case.escalated", "legal", "discipline"): 1,
    }
    s = await state_of(h)
    assert s.overdue and s.legal_overdue


async def test_acknowledging_the_legal_breach_stops_its_climb_only(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    env, _ = time_skipping
    # The two limits end on the same day; the promised one warns at half time.
    h = await start(time_skipping, service(days=1, legal_days=1))
    s = await act(h, "start-review", StartReview(meta()))
    assert s.legal_due_at is not None
    await skip_past(env, s.legal_due_at, timedelta(minutes=5))
    alerts = (await state_of(h)).alerts
    legal = next(a for a in alerts if a.clock == "legal" and a.kind == "overdue")
    assert legal.level is AlertLevel.DIRECTOR
    await act(h, "acknowledge-alert", AcknowledgeAlert(meta(DIRECTOR), legal.id))
    await env.sleep(timedelta(days=10))
    counts = raised(await events_of(h))
    assert counts[("case.escalated", "legal", "discipline")] == 0
    assert counts[("case.escalated", "promised", "discipline")] == 1


async def test_the_director_extends_the_legal_limit_once_within_its_cap(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    h = await start(time_skipping, service(days=5, legal_days=20))
    s = await act(h, "start-review", StartReview(meta()))
    for actor, days, code in ((CLERK, 5, "forbidden"), (DIRECTOR, 11, "validation_error")):
        with pytest.raises(WorkflowUpdateFailedError) as err:
            await act(h, "extend", Extend(meta(actor), days, "需要专家评审", "legal"))
        assert rejection_code(err.value) == code
    s2 = await act(h, "extend", Extend(meta(DIRECTOR), 10, "需要专家评审", "legal"))
    assert s2.legal_due_at == WORKING.due_at(s.received_at, 30)
    assert s2.due_at == s.due_at  # the promised limit is its own clock
    extended = [e for e in await events_of(h) if e["type"] == "deadline.extended"]
    assert [(e["data"]["clock"], e["data"]["days"]) for e in extended] == [("legal", 10)]
    assert extended[0]["data"]["due_at"] == s2.legal_due_at.isoformat()
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await act(h, "extend", Extend(meta(DIRECTOR), 1, "再次延期", "legal"))
    assert rejection_code(err.value) == "invalid_transition"
    # The promised limit may still be extended, as often as the director approves.
    s3 = await act(h, "extend", Extend(meta(DIRECTOR), 2, "材料核查"))
    assert s3.due_at == WORKING.due_at(s.received_at, 7)


async def test_a_joint_case_s_legal_limit_extends_by_fifteen_days(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    h = await start(time_skipping, service(Kind.JOINT, 15, ["canlian"], legal_days=45))
    s = await act(h, "extend", Extend(meta(DIRECTOR), 15, "联办部门需现场核查", "legal"))
    assert s.legal_due_at == WORKING.due_at(s.received_at, 60)


async def test_a_late_department_alerts_its_own_head_once_and_the_prompt_one_nobody(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    env, _ = time_skipping
    policy = ClockPolicy(signoff_days=2)
    h = await start(
        time_skipping, service(Kind.JOINT, 15, ["canlian", "laodong"], 45), None, policy
    )
    await act(h, "start-review", StartReview(meta()))
    s = await act(h, "request-signoff", RequestSignoff(meta(), ["canlian", "laodong"]))
    asked = next(e for e in await events_of(h) if e["type"] == "signoff.requested")
    due = WORKING.due_at(datetime.fromisoformat(asked["at"]), 2)
    assert [x.due_at for x in s.signoffs] == [due, due]
    assert asked["data"]["due_at"] == {"canlian": due.isoformat(), "laodong": due.isoformat()}
    canlian = Actor("cl-a", Role.CLERK, "canlian")
    await act(h, "signoff", RecordSignoff(meta(canlian), "canlian", "approve", "同意"))
    await skip_past(env, due, timedelta(days=4))
    late = [e for e in await events_of(h) if e["type"] == "deadline.overdue"]
    assert [(e["data"]["clock"], e["data"]["window"], e["data"]["level"]) for e in late] == [
        ("signoff:laodong", "laodong", "window_head")
    ]
    s = await state_of(h)
    assert [(x.department, x.overdue) for x in s.signoffs] == [
        ("canlian", False),
        ("laodong", True),
    ]
    alert = next(a for a in s.alerts if a.clock == "signoff:laodong")
    assert alert.window == "laodong"
    # The late department still signs; the lead window answers for the whole case.
    laodong = Actor("ld-a", Role.CLERK, "laodong")
    s = await act(h, "signoff", RecordSignoff(meta(laodong), "laodong", "approve", "同意"))
    assert s.status.value == "under_review"


async def test_a_restart_policy_counts_the_limits_anew_from_the_supply(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    env, _ = time_skipping
    policy = ClockPolicy(on_supply=Supply.RESTART)
    h = await start(time_skipping, service(days=5), ["id_card"], policy)
    await act(h, "request-materials", RequestMaterials(meta(), ["application_form"]))
    await env.sleep(timedelta(days=6))
    s = await act(h, "supply-materials", SupplyMaterials(meta(), ["application_form"]))
    events = await events_of(h)
    assert "clock.resumed" not in [e["type"] for e in events]
    restarted = next(e for e in events if e["type"] == "clock.restarted")
    supplied_at = datetime.fromisoformat(restarted["data"]["restarted_at"])
    # The supply day is not counted, as the receipt day is not.
    assert s.due_at == WORKING.due_at(supplied_at, 5)
    assert s.legal_due_at == WORKING.due_at(supplied_at, 20)
    assert restarted["data"]["due_at"] == s.due_at.isoformat()
    assert not s.paused


async def test_the_center_s_thresholds_and_ladder_are_used(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    env, _ = time_skipping
    policy = ClockPolicy(warn_days=2, ladder=[Rung(AlertLevel.DIRECTOR, 2)])
    h = await start(time_skipping, service(days=5, legal_days=60), None, policy)
    s = await act(h, "start-review", StartReview(meta()))
    assert s.warn_at == WORKING.due_at(s.received_at, 3)
    assert s.due_at is not None
    await skip_past(env, s.due_at, timedelta(days=8))
    events = await events_of(h)
    assert raised(events) == {
        ("deadline.warning", "promised", "window_head"): 1,
        ("deadline.overdue", "promised", "window_head"): 1,
        ("case.escalated", "promised", "director"): 1,
    }
    overdue = next(e for e in events if e["type"] == "deadline.overdue")
    escalated = next(e for e in events if e["type"] == "case.escalated")
    breach_day = datetime.fromisoformat(overdue["at"]).astimezone(WORKING.hours.tz).date()
    climb_day = datetime.fromisoformat(escalated["at"]).astimezone(WORKING.hours.tz).date()
    assert WORKING.working_days_between(breach_day, climb_day) == 2
    received = events[0]["data"]["clock_policy"]
    assert received == {
        "warn_days": 2,
        "ladder": [["director", 2]],
        "on_supply": "pause",
        "signoff_days": 3,
    }


async def test_the_late_department_s_own_head_acknowledges_its_alert(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    env, _ = time_skipping
    h = await start(time_skipping, service(Kind.JOINT, 15, ["canlian"], 45), None, ClockPolicy())
    await act(h, "start-review", StartReview(meta()))
    s = await act(h, "request-signoff", RequestSignoff(meta(), ["canlian"]))
    due = s.signoffs[0].due_at
    assert due is not None
    await skip_past(env, due, timedelta(hours=1))
    alert = next(a for a in (await state_of(h)).alerts if a.clock == "signoff:canlian")
    with pytest.raises(WorkflowUpdateFailedError) as err:  # the lead window's head
        await act(h, "acknowledge-alert", AcknowledgeAlert(meta(HEAD), alert.id))
    assert rejection_code(err.value) == "forbidden"
    canlian_head = Actor("cl-head", Role.WINDOW_HEAD, "canlian")
    s = await act(h, "acknowledge-alert", AcknowledgeAlert(meta(canlian_head), alert.id))
    assert next(a for a in s.alerts if a.id == alert.id).acked_by == "cl-head"
