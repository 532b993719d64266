"""What receiving a case costs the engine: one workflow task, one marker, no scheduled count."""

from __future__ import annotations

import json

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.testing import WorkflowEnvironment

from tests.workflows.harness import CLERK, act, case_input, meta, service
from workflows.actions import Complete, StartReview
from workflows.client import CaseClient
from workflows.model import Outcome
from workflows.patches import SETTLED_PATCH

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
    assert json.loads(data.data)["id"] == SETTLED_PATCH
    assert types.count(E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES) == 1
