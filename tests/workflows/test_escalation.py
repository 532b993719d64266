"""Warnings, breaches and the escalation ladder: one event and one alert per rung, acks stop it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from banjian.runtime import build_worker
from projections.db import LazyPool
from tests.conftest import TIMEZONE
from tests.workflows.harness import (
    CLERK,
    DIRECTOR,
    HEAD,
    act,
    event_types,
    meta,
    rejection_code,
    service,
    skip_past,
    start,
    state_of,
)
from workflows.actions import AcknowledgeAlert, Complete, Return, StartReview
from workflows.model import Actor, AlertLevel, Outcome


async def _overdue(env: WorkflowEnvironment, handle: Any) -> None:
    s = await act(handle, "start-review", StartReview(meta()))
    assert s.due_at is not None
    await skip_past(env, s.due_at, timedelta(minutes=5))


async def test_an_unacknowledged_breach_climbs_to_director_then_discipline_once_each(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    env, _ = time_skipping
    h = await start(time_skipping, service(days=2))
    await _overdue(env, h)
    assert (await event_types(h))[-2:] == ["deadline.warning", "deadline.overdue"]
    await env.sleep(timedelta(days=20))
    events = await h.query("events", result_type=list[dict[str, Any]])
    raised = [(e["type"], e["data"].get("level")) for e in events if "alert_id" in e["data"]]
    assert raised == [
        ("deadline.warning", "window_head"),
        ("deadline.overdue", "window_head"),
        ("case.escalated", "director"),
        ("case.escalated", "discipline"),
    ]
    s = await state_of(h)
    assert [(a.kind, a.level) for a in s.alerts] == [
        ("warning", AlertLevel.WINDOW_HEAD),
        ("overdue", AlertLevel.WINDOW_HEAD),
        ("escalation", AlertLevel.DIRECTOR),
        ("escalation", AlertLevel.DISCIPLINE),
    ]
    overdue_at, director_at, discipline_at = (a.raised_at for a in s.alerts[1:])
    assert overdue_at < director_at < discipline_at


async def test_acknowledging_the_breach_stops_the_climb(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    env, _ = time_skipping
    h = await start(time_skipping, service(days=2))
    await _overdue(env, h)
    overdue = (await state_of(h)).alerts[-1]
    s = await act(h, "acknowledge-alert", AcknowledgeAlert(meta(HEAD), overdue.id))
    assert s.alerts[-1].acked_by == "mz-head" and s.alerts[-1].acked_at is not None
    await env.sleep(timedelta(days=20))
    assert "case.escalated" not in await event_types(h)
    assert (await event_types(h))[-1] == "alert.acknowledged"


async def test_closing_a_case_settles_its_open_alerts_once(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    env, _ = time_skipping
    h = await start(time_skipping, service(days=2))
    await _overdue(env, h)
    warning, overdue = (await state_of(h)).alerts
    await act(h, "acknowledge-alert", AcknowledgeAlert(meta(HEAD), warning.id))
    s = await act(h, "complete", Complete(meta(), Outcome.APPROVED, "准予"))
    assert [(a.id, a.acked_by) for a in s.alerts] == [
        (warning.id, "mz-head"),
        (overdue.id, "system"),
    ]
    events = await h.query("events", result_type=list[dict[str, Any]])
    acks = [(e["actor"], e["data"]["alert_id"], e["data"].get("reason")) for e in events
            if e["type"] == "alert.acknowledged"]  # fmt: skip
    assert acks == [("mz-head", warning.id, None), ("system", overdue.id, "case_closed")]
    assert events[-2]["type"] == "case.completed"


@pytest.mark.parametrize(
    ("actor", "code"),
    [(CLERK, "forbidden"), (DIRECTOR, None)],
    ids=["clerk-may-not", "director-may"],
)
async def test_who_may_acknowledge(
    time_skipping: tuple[WorkflowEnvironment, str], actor: Actor, code: str | None
) -> None:
    env, _ = time_skipping
    h = await start(time_skipping, service(days=2))
    await _overdue(env, h)
    alert_id = (await state_of(h)).alerts[-1].id
    if code is None:
        await act(h, "acknowledge-alert", AcknowledgeAlert(meta(actor), alert_id))
        with pytest.raises(WorkflowUpdateFailedError) as again:
            await act(h, "acknowledge-alert", AcknowledgeAlert(meta(actor), alert_id))
        assert rejection_code(again.value) == "invalid_transition"
        return
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await act(h, "acknowledge-alert", AcknowledgeAlert(meta(actor), alert_id))
    assert rejection_code(err.value) == code


async def test_a_worker_restart_repeats_no_rung(
    time_skipping: tuple[WorkflowEnvironment, str], db: LazyPool
) -> None:
    env, _ = time_skipping
    queue = "restart-cases"
    # No cache: every workflow task replays the history from the start, as after a crash.
    async with build_worker(env.client, queue, db, TIMEZONE, max_cached_workflows=0):
        h = await start((env, queue), service(days=2))
        await _overdue(env, h)
        assert (await event_types(h)).count("deadline.overdue") == 1
    # A new worker has no cached workflows: it replays each history before going on.
    async with build_worker(env.client, queue, db, TIMEZONE):
        await env.sleep(timedelta(days=20))
        types = await event_types(h)
        # Closed while a worker polls its queue: a timer of a case no worker serves would
        # hold the shared test server's clock for every later test.
        await act(h, "return", Return(meta(DIRECTOR), "测试结束"))
        await h.result()  # the alerts still held for office hours are delivered first
    assert types.count("deadline.warning") == 1
    assert types.count("deadline.overdue") == 1
    assert types.count("case.escalated") == 2


async def test_acknowledging_only_the_warning_does_not_stop_the_climb(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    env, _ = time_skipping
    h = await start(time_skipping, service(days=2))
    await _overdue(env, h)
    warning = (await state_of(h)).alerts[0]
    assert warning.kind == "warning"
    await act(h, "acknowledge-alert", AcknowledgeAlert(meta(HEAD), warning.id))
    await env.sleep(timedelta(days=20))
    assert (await event_types(h)).count("case.escalated") == 2
