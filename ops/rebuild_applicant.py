"""Rebuild the applicant's side's read models: complaints and rectifications from their
workflows' histories, ratings and inquiries from the applicant's event log.

A complaint's or a rectification's workflow hands every event it decides to the read model in
a batch (``project_complaint``, ``project_rectification``), so the inputs of those activities,
in the order they were scheduled, are its events with its state after each batch. Each one is
rebuilt in a transaction of its own: its rows (the row, its events, its alerts, an upheld
complaint's deduction) deleted and its batches applied by the projection's own code, with
alerts not announced again. One the live projection has taken further than its history read
(a newer batch projected meanwhile) is kept as it is, and so is one whose history Temporal no
longer has (past retention): neither is counted as rebuilt. Ratings and inquiries are derived
again from the whole log (``projections.applicant_log.rebuild_log_models``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.service import RPCError

from applicant.complaints import ComplaintBatch
from applicant.rectification import RectificationBatch
from projections.applicant_log import LogRebuilt, rebuild_log_models
from projections.complaints import apply_complaint_batch
from projections.db import Conn
from projections.rectifications import apply_rectification

log = structlog.get_logger(__name__)

# A schema whose only object is a ``pg_notify`` that does nothing: first on the search path
# while a subject is rebuilt, so its alerts are not announced to live listeners as new.
QUIET = "projection_quiet"


@dataclass
class SideRebuilt:
    complaints: int = 0
    rectifications: int = 0
    events: int = 0
    lag: int = 0  # events decided but not yet projected when their history was read
    kept_live: list[str] = field(default_factory=list)  # projected further meanwhile
    unreadable: list[str] = field(default_factory=list)
    log: LogRebuilt | None = None

    def as_text(self) -> str:
        lines = [
            f"rebuilt {self.complaints} complaint(s) and {self.rectifications} rectification(s)"
            f" from Temporal; {self.events} events; projection lag: {self.lag} event(s)"
        ]
        if self.log is not None:
            lines.append(
                f"rebuilt {self.log.ratings} rating(s) and {self.log.inquiries} inquiry(ies)"
                f" from {self.log.events} event(s) of the applicant's log"
            )
        if self.kept_live:
            lines.append(f"kept as projected meanwhile: {', '.join(self.kept_live[:10])}")
        if self.unreadable:
            lines.append(f"histories not readable: {', '.join(self.unreadable[:10])}")
        return "\n".join(lines)


@dataclass(frozen=True)
class _Kind:
    workflow_type: str
    activity: str
    batch_type: type[Any]
    last_seq: str  # the row's last_seq, by id
    delete: tuple[str, ...]  # the subject's rows, $1 its id
    apply: Callable[[Conn, Any], Awaitable[None]]


COMPLAINTS = _Kind(
    "ComplaintWorkflow",
    "project_complaint",
    ComplaintBatch,
    "select last_seq from complaints where id = $1 for update",
    (
        "delete from complaint_events where complaint_id = $1",
        "delete from alerts where complaint_id = $1",
        "delete from score_deductions where complaint_id = $1",
        "delete from complaints where id = $1",
    ),
    apply_complaint_batch,
)
RECTIFICATIONS = _Kind(
    "RectificationWorkflow",
    "project_rectification",
    RectificationBatch,
    "select last_seq from rectifications where id = $1 for update",
    (
        "delete from rectification_events where rectification_id = $1",
        "delete from alerts where kind = 'rectification' and alert_id like $1 || '-A%'",
        "delete from rectifications where id = $1",
    ),
    apply_rectification,
)


def workflows_of(kind: _Kind, task_queue: str) -> str:
    return f"WorkflowType = '{kind.workflow_type}' AND TaskQueue = '{task_queue}'"


async def batches_of(
    kind: _Kind, history: WorkflowHistory, converter: DataConverter
) -> tuple[list[Any], int]:
    """The batches the history handed to the read model, in order, and how many of their
    events the read model had not acknowledged."""
    scheduled: dict[int, Any] = {}
    completed: set[int] = set()
    for ev in history.events:
        if ev.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = ev.activity_task_scheduled_event_attributes
            if attrs.activity_type.name == kind.activity:
                [batch] = await converter.decode(attrs.input.payloads, [kind.batch_type])
                scheduled[ev.event_id] = batch
        elif ev.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            completed.add(ev.activity_task_completed_event_attributes.scheduled_event_id)
    lag = sum(len(b.events) for i, b in scheduled.items() if i not in completed)
    return [b for _, b in sorted(scheduled.items())], lag


async def rebuild_applicant_side(client: Client, conn: Conn, task_queue: str) -> SideRebuilt:
    summary = SideRebuilt()
    await _quiet_schema(conn)
    try:
        for kind in (COMPLAINTS, RECTIFICATIONS):
            ids = [wf.id async for wf in client.list_workflows(workflows_of(kind, task_queue))]
            for subject in dict.fromkeys(ids):
                try:
                    history = await client.get_workflow_handle(subject).fetch_history()
                except RPCError:
                    summary.unreadable.append(subject)
                    continue
                batches, lag = await batches_of(kind, history, client.data_converter)
                if not batches:
                    continue
                if await _rebuild_one(conn, kind, subject, batches):
                    summary.events += sum(len(b.events) for b in batches)
                    summary.lag += lag
                    if kind is COMPLAINTS:
                        summary.complaints += 1
                    else:
                        summary.rectifications += 1
                else:
                    summary.kept_live.append(subject)
    finally:
        await conn.execute(f"drop schema if exists {QUIET} cascade")
    summary.log = await rebuild_log_models(conn)
    log.info(
        "rebuild.applicant_side",
        complaints=summary.complaints,
        rectifications=summary.rectifications,
        log_events=summary.log.events,
    )
    return summary


async def _quiet_schema(conn: Conn) -> None:
    await conn.execute(f"drop schema if exists {QUIET} cascade")
    await conn.execute(f"create schema {QUIET}")
    await conn.execute(
        f"create function {QUIET}.pg_notify(text, text) returns void"
        " language plpgsql as 'begin end'"
    )


async def _rebuild_one(conn: Conn, kind: _Kind, subject: str, batches: list[Any]) -> bool:
    """Replace the subject's rows with its batches applied; False (nothing changed) when the
    live projection has it further than these batches."""
    last = batches[-1].events[-1].seq
    async with conn.transaction():
        await conn.execute(f"set local search_path = {QUIET}, public, pg_catalog")
        live = await conn.fetchval(kind.last_seq, subject)
        if live is not None and live > last:
            return False
        for statement in kind.delete:
            await conn.execute(statement, subject)
        for batch in batches:
            await kind.apply(conn, batch)
    return True
