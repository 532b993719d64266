"""A case's Temporal history read as the record of what its workflow decided.

Every domain event the workflow decides reaches the read model inside a
``ProjectionBatch`` handed to the ``project_events`` activity, so the inputs of
those scheduled activities are, in order, every event with the case's state
after it; an activity that completed was written to PostgreSQL. An action's
answer (``Answer``, in its update's completion) hands the same events to its
caller, which may have written them before the activity: a batch too, never
acknowledged. The history comes from Temporal while it keeps the workflow, and
from the archive after.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import asyncpg
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory, WorkflowQueryFailedError
from temporalio.converter import DataConverter
from temporalio.service import RPCError, RPCStatusCode

from projections.archive import ArchiveEntry, archive_entry
from projections.centers import center_of_case
from projections.db import Conn
from workflows.client import CaseClient, case_workflow_id
from workflows.client import CaseNotFound as NoCaseWorkflow
from workflows.model import DEFAULT_CALENDAR, Answer, CaseState, Event, ProjectionBatch

PROJECT_ACTIVITY = "project_events"
QUERY_TIMEOUT = timedelta(seconds=10)
_CLOSING_EVENTS = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
}


def history_json(history: WorkflowHistory) -> str:
    """The history as JSON with every object's keys sorted.

    Protobuf maps (a payload's metadata, for one) keep no fixed order, so two
    fetches of the same closed history can serialise differently; this text is
    the same for the same history, which is what the archive hashes.
    """
    return json.dumps(history.to_json_dict(), sort_keys=True, ensure_ascii=False, indent=1)


def same_history(history: WorkflowHistory, archived_json: str) -> bool:
    """Whether the archived JSON holds exactly this history, whatever its key order."""
    try:
        return bool(json.loads(archived_json) == history.to_json_dict())
    except ValueError:
        return False


class CaseNotFound(Exception):
    """Neither Temporal nor the archive has a history for the case."""


@dataclass(frozen=True)
class DecidedBatch:
    batch: ProjectionBatch
    projected: bool  # its activity completed: the read model has it


@dataclass(frozen=True)
class DecidedRecord:
    """What a history says the workflow decided, batch by batch."""

    case_id: str
    batches: list[DecidedBatch]
    closed: bool
    # Events decided after the last batch was handed out (an open case, read by query).
    tail: list[Event]
    tail_state: CaseState | None

    @property
    def events(self) -> list[Event]:
        by_seq = {e.seq: e for b in self.batches for e in b.batch.events}
        by_seq.update((e.seq, e) for e in self.tail if e.seq not in by_seq)
        return [by_seq[s] for s in sorted(by_seq)]

    @property
    def projected_seq(self) -> int:
        """The last seq whose batch the read model acknowledged."""
        done = [b.batch.events[-1].seq for b in self.batches if b.projected]
        return max(done, default=0)

    @property
    def state(self) -> CaseState | None:
        """The latest state the record holds."""
        if self.tail_state is not None:
            return self.tail_state
        return self.batches[-1].batch.state if self.batches else None

    def all_batches(self) -> list[ProjectionBatch]:
        """Every batch in order, the unbatched tail as one more, for a projection to apply."""
        batches = [b.batch for b in self.batches]
        last = max((b.events[-1].seq for b in batches), default=0)
        rest = [e for e in self.tail if e.seq > last]
        if rest and self.tail_state is not None:
            calendar = self.batches[-1].batch.calendar if self.batches else DEFAULT_CALENDAR
            batches.append(ProjectionBatch(self.case_id, rest, self.tail_state, calendar))
        return batches


async def decode(case_id: str, history: WorkflowHistory, converter: DataConverter) -> DecidedRecord:
    """What the history says was decided, its payloads read with ``converter`` (a client's:
    it holds the keys of encrypted payloads)."""
    scheduled: dict[int, ProjectionBatch] = {}
    completed: set[int] = set()
    closed = False
    for ev in history.events:
        if ev.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = ev.activity_task_scheduled_event_attributes
            if attrs.activity_type.name == PROJECT_ACTIVITY:
                [batch] = await converter.decode(attrs.input.payloads, [ProjectionBatch])
                scheduled[ev.event_id] = batch
        elif ev.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
            outcome = ev.workflow_execution_update_completed_event_attributes.outcome
            if outcome.HasField("success") and outcome.success.payloads:
                [answer] = await converter.decode(outcome.success.payloads, [Answer])
                handed = answer.batch()
                if handed is not None:  # its caller may have written it: never acknowledged
                    scheduled[ev.event_id] = handed
        elif ev.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            completed.add(ev.activity_task_completed_event_attributes.scheduled_event_id)
        elif ev.event_type in _CLOSING_EVENTS:
            closed = True
    batches = [DecidedBatch(b, event_id in completed) for event_id, b in sorted(scheduled.items())]
    return DecidedRecord(case_id, batches, closed, [], None)


@dataclass(frozen=True)
class CaseHistory:
    case_id: str
    source: Literal["temporal", "archive"]
    history: WorkflowHistory
    archived: ArchiveEntry | None


async def workflow_id_of(client: Client, pool: asyncpg.Pool | Conn, case_id: str) -> str:
    """The case's workflow id: ``<center>/<case id>`` (its center as the read model has it),
    or the bare case id of a case received before centers shared the deployment."""
    center = await center_of_case(pool, case_id)
    if center is None:
        return case_id
    prefixed = case_workflow_id(center, case_id)
    try:
        await client.get_workflow_handle(prefixed).describe()
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
        return case_id
    return prefixed


async def load_history(client: Client, pool: asyncpg.Pool, case_id: str) -> CaseHistory:
    """The history from Temporal, or the archived copy once Temporal no longer has it."""
    archived = await archive_entry(pool, case_id)
    try:
        workflow_id = await workflow_id_of(client, pool, case_id)
        history = await client.get_workflow_handle(workflow_id).fetch_history()
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
    else:
        return CaseHistory(case_id, "temporal", history, archived)
    if archived is None:
        raise CaseNotFound(case_id)
    return CaseHistory(
        case_id, "archive", WorkflowHistory.from_json(case_id, archived.history), archived
    )


async def with_live_tail(client: Client, record: DecidedRecord, workflow_id: str) -> DecidedRecord:
    """Add the events an open case decided after its last batch (needs a running worker)."""
    if record.closed:
        return record
    cases = CaseClient(client, "")  # no center: the workflow id as it is
    try:
        events = await cases.events(workflow_id, rpc_timeout=QUERY_TIMEOUT)
        state = await cases.state(workflow_id, rpc_timeout=QUERY_TIMEOUT)
    except (NoCaseWorkflow, RPCError, WorkflowQueryFailedError):
        return record  # no worker answers: the history alone, without the newest events
    return DecidedRecord(record.case_id, record.batches, False, events, state)


def events_json(events: list[Event]) -> str:
    """The events as canonical JSON (sorted keys, UTC instants): what the archive hashes."""
    return json.dumps(
        [
            {
                "seq": e.seq,
                "type": e.type,
                "at": e.at.isoformat(),
                "actor": e.actor,
                "data": e.data,
                "schema_version": e.schema_version,
            }
            for e in events
        ],
        ensure_ascii=False,
        sort_keys=True,
    )
