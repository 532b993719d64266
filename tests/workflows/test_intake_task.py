"""What a case costs the engine: received in one workflow task with one marker and no scheduled
count, and its events handed out in the actions' answers before the projector writes them."""

from __future__ import annotations

import json
from datetime import timedelta

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.testing import WorkflowEnvironment

from tests.workflows.harness import CLERK, act, case_input, meta, service, skip_past
from workflows.actions import Complete, StartReview
from workflows.client import CaseClient
from workflows.loops import WRITE_GRACE
from workflows.model import Answer, Event, Outcome, ProjectionBatch
from workflows.patches import SETTLED_WRITE_THROUGH_PATCH

E = EventType


def _markers(events: list[HistoryEvent], name: str) -> list[HistoryEvent]:
    return [
        e
        for e in events
        if e.event_type == E.EVENT_TYPE_MARKER_RECORDED
        and e.marker_recorded_event_attributes.marker_name == name
    ]


async def test_a_case_is_received_in_its_first_workflow_task_with_one_patch_marker(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    env, queue = time_skipping
    # Materials missing: the one-time notice's limit is counted at intake too.
    inp = case_input(service(days=5), ["id_card"])
    await CaseClient(env.client, "").receive(inp, queue)  # as the API receives a case
    h = env.client.get_workflow_handle(inp.case_id)
    await act(h, "start-review", StartReview(meta(CLERK)))
    await act(h, "complete", Complete(meta(CLERK), Outcome.APPROVED, "准予"))
    await h.result()
    events = list((await h.fetch_history()).events)
    types = [e.event_type for e in events]

    intake_done = types.index(E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)
    assert types[:intake_done].count(E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) == 1
    # Both counts (the limits, the notice) are local: their answers are markers of that task.
    assert len(_markers(events[:intake_done], "core_local_activity")) == 2
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in events
        if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert scheduled and set(scheduled) == {"project_events"}  # nothing else is scheduled
    # Every patch the case passed (the limits' clocks, closing settles alerts, the first
    # projection's calendar check, ...) is taken in by the settled marker alone.
    (patch,) = _markers(events, "core_patch")
    (data,) = patch.marker_recorded_event_attributes.details["patch-data"].payloads
    assert json.loads(data.data)["id"] == SETTLED_WRITE_THROUGH_PATCH
    assert types.count(E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES) == 1


def _seqs(fresh: list[Event]) -> list[int]:
    return [e.seq for e in fresh]


async def test_each_answer_carries_the_unwritten_events_and_the_projector_writes_each_once(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    """The answers hand their callers every event the projector has not written yet, from
    the first of them (so a caller never writes a gap); the projector's batches, the durable
    path, still write every event of the case once and in order, whatever the callers did."""
    env, queue = time_skipping
    inp = case_input(service(days=5), ["id_card", "photo"])
    received = await CaseClient(env.client, "").receive(inp, queue)
    assert isinstance(received, Answer) and received.calendar == inp.calendar
    assert _seqs(received.fresh) == list(range(1, received.last_seq + 1))
    h = env.client.get_workflow_handle(inp.case_id)
    answers = [received]
    for update, arg in (
        ("start-review", StartReview(meta(CLERK))),
        ("complete", Complete(meta(CLERK), Outcome.APPROVED, "准予")),
    ):
        answer: Answer = await h.execute_update(update, arg, result_type=Answer)
        seqs = _seqs(answer.fresh)
        assert seqs and seqs[-1] == answer.last_seq
        assert seqs == list(range(seqs[0], answer.last_seq + 1))
        assert seqs[0] <= answers[-1].last_seq + 1  # nothing between two answers is left out
        answers.append(answer)
    await h.result()
    batches = []
    for e in (await h.fetch_history()).events:
        if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = e.activity_task_scheduled_event_attributes
            assert attrs.activity_type.name == "project_events"
            (batch,) = await env.client.data_converter.decode(
                attrs.input.payloads, [ProjectionBatch]
            )
            batches.append(_seqs(batch.events))
    written = [seq for batch in batches for seq in batch]
    assert written == list(range(1, answers[-1].last_seq + 1))


async def test_events_no_answer_carries_are_written_without_the_grace(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    """A warning and a breach, raised by the case's timers, go to the projector in the
    workflow task that raises them: no grace timer (``WRITE_GRACE``) is started for them."""
    env, queue = time_skipping
    inp = case_input(service(days=2), ["id_card", "photo"])
    await CaseClient(env.client, "").receive(inp, queue)
    h = env.client.get_workflow_handle(inp.case_id)
    reviewing = await act(h, "start-review", StartReview(meta(CLERK)))
    assert reviewing.due_at is not None
    await skip_past(env, reviewing.due_at, timedelta(minutes=5))
    events = list((await h.fetch_history()).events)
    grace = {
        e.event_id
        for e in events
        if e.event_type == E.EVENT_TYPE_TIMER_STARTED
        and e.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta() == WRITE_GRACE
    }
    assert grace  # the intake's answer carried its events: the projector left them a while
    by_id = {e.event_id: e for e in events}
    raised = 0
    for i, e in enumerate(events):
        if e.event_type != E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            continue
        attrs = e.activity_task_scheduled_event_attributes
        if attrs.activity_type.name != "project_events":
            continue
        (batch,) = await env.client.data_converter.decode(attrs.input.payloads, [ProjectionBatch])
        if not {"deadline.warning", "deadline.overdue"} & {ev.type for ev in batch.events}:
            continue
        raised += 1
        starts = [j for j in range(i) if events[j].event_type == E.EVENT_TYPE_WORKFLOW_TASK_STARTED]
        task = starts[-1]
        woken_by = [ev for ev in events[:task] if ev.event_type == E.EVENT_TYPE_TIMER_FIRED][-1]
        started = woken_by.timer_fired_event_attributes.started_event_id
        assert started not in grace, "the batch waited out a grace timer"
        assert by_id[started].timer_started_event_attributes.start_to_fire_timeout.ToTimedelta() > (
            WRITE_GRACE
        )
    assert raised
