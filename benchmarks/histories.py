"""What a workflow cost the engine, counted from its history: events, workflow tasks, activities."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client

_BY_TYPE = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED: "workflow tasks",
    EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED: "failed or timed-out tasks",
    EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT: "failed or timed-out tasks",
    EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: "activities",
    EventType.EVENT_TYPE_TIMER_STARTED: "timers",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: "updates",
}
# Markers the SDK records: a local activity's result, a ``workflow.patched()`` decision.
_BY_MARKER = {"core_local_activity": "local activities", "core_patch": "patch markers"}
_KINDS = dict.fromkeys([*_BY_TYPE.values(), *_BY_MARKER.values()], 0)


@dataclass(frozen=True)
class HistoryCounts:
    """Means per workflow over ``sampled`` closed workflows."""

    sampled: int
    events: float
    per_kind: dict[str, float]


async def history(client: Client, wf_id: str) -> list[HistoryEvent]:
    return list((await client.get_workflow_handle(wf_id).fetch_history()).events)


async def count_histories(client: Client, ids: list[str]) -> HistoryCounts:
    histories = await asyncio.gather(*(history(client, i) for i in ids))
    totals = dict(_KINDS)
    events = 0
    for events_of in histories:
        events += len(events_of)
        for e in events_of:
            kind = _BY_TYPE.get(e.event_type)
            if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
                kind = _BY_MARKER.get(e.marker_recorded_event_attributes.marker_name)
            if kind is not None:
                totals[kind] += 1
    n = max(len(histories), 1)
    return HistoryCounts(len(histories), events / n, {k: v / n for k, v in totals.items()})


def first_timer_fired(events: list[HistoryEvent]) -> tuple[datetime, datetime] | None:
    """(when the first timer to fire was due, when it fired), as the server recorded them."""
    started: dict[str, datetime] = {}
    for e in events:
        if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
            a = e.timer_started_event_attributes
            fires = e.event_time.ToDatetime(tzinfo=UTC) + a.start_to_fire_timeout.ToTimedelta()
            started[a.timer_id] = fires
        elif e.event_type == EventType.EVENT_TYPE_TIMER_FIRED:
            timer_id = e.timer_fired_event_attributes.timer_id
            if timer_id in started:
                return started[timer_id], e.event_time.ToDatetime(tzinfo=UTC)
    return None
