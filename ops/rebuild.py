"""Rebuild the read models fed by the events from the event log, beside the live ones.

The event log is every case's history: the archived copy for closed cases,
Temporal's for the others (listed through its visibility store), with an open
case's newest events read by query. Each case's decided batches are applied
by the projection's own code to shadow copies of every table it writes
(``projections.tables``: the cases, their events and alerts, the dashboard's
rows and rollups, the deductions the events raise), which are then swapped in
(``projections.shadow``); the API serves the old tables until then. The
applicant's side (complaints, rectifications, ratings, inquiries) is rebuilt
after, from its own workflows' histories and event log (``ops.rebuild_applicant``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog
from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError

from ops.history import DecidedRecord, decode, with_live_tail, workflow_id_of
from ops.rebuild_applicant import SideRebuilt, rebuild_applicant_side
from projections.archive import archive_entry, archived_case_ids, entry_problems
from projections.cases import apply_batch
from projections.db import Conn, connect
from projections.shadow import SEARCH_PATH, CarriedOver, create_shadow, swap

log = structlog.get_logger(__name__)

Progress = Callable[[int, int], None]


@dataclass
class RebuildSummary:
    from_archive: int = 0
    from_temporal: int = 0
    events: int = 0
    lag: int = 0  # events decided but not yet projected when their history was read
    carried: CarriedOver | None = None
    unreadable: list[str] = field(default_factory=list)
    suspect_archive: list[str] = field(default_factory=list)
    # Complaints, rectifications, ratings and inquiries (``ops.rebuild_applicant``).
    applicant: SideRebuilt | None = None
    seconds: float = 0.0

    def as_text(self) -> str:
        lines = [
            f"rebuilt {self.from_archive + self.from_temporal} cases in {self.seconds:.1f}s:"
            f" {self.from_archive} from the archive, {self.from_temporal} from Temporal;"
            f" {self.events} events",
            f"projection lag: {self.lag} event(s) decided but not yet projected",
        ]
        if self.carried is not None:
            lines.append(
                f"carried over at the swap: {self.carried.touched} case(s) projected meanwhile,"
                f" {len(self.carried.unknown)} without a readable history"
                + (f" ({', '.join(self.carried.unknown[:10])})" if self.carried.unknown else "")
            )
        if self.unreadable:
            lines.append(f"histories not readable: {', '.join(self.unreadable[:10])}")
        if self.suspect_archive:
            lines.append(f"archive entries failing their hashes: {', '.join(self.suspect_archive)}")
        if self.applicant is not None:
            lines.append(self.applicant.as_text())
        return "\n".join(lines)


def case_workflows(task_queue: str) -> str:
    """The visibility query for every case workflow of the center's task queue."""
    return f"WorkflowType = 'CaseWorkflow' AND TaskQueue = '{task_queue}'"


async def rebuild_projections(
    client: Client, dsn: str, task_queue: str, progress: Progress | None = None
) -> RebuildSummary:
    started = time.monotonic()
    summary = RebuildSummary()
    admin, shadow = await connect(dsn), await connect(dsn)
    try:
        since = await admin.fetchval("select now()")
        await create_shadow(admin)
        await shadow.execute(f"set search_path = {SEARCH_PATH}")
        archived = await archived_case_ids(admin)
        known = set(archived)
        live = [
            wf.id
            async for wf in client.list_workflows(case_workflows(task_queue))
            if wf.id not in known
        ]
        live = list(dict.fromkeys(live))
        total = len(archived) + len(live)
        log.info("rebuild.started", archived=len(archived), live=len(live))
        for done, case_id in enumerate(archived, 1):
            entry = await archive_entry(admin, case_id)
            assert entry is not None
            if entry_problems(entry):
                summary.suspect_archive.append(case_id)
            history = WorkflowHistory.from_json(case_id, entry.history)
            record = await decode(case_id, history, client.data_converter)
            await _apply(shadow, record, summary)
            summary.from_archive += 1
            if progress is not None:
                progress(done, total)
        for done, case_id in enumerate(live, len(archived) + 1):
            try:
                workflow_id = await workflow_id_of(client, admin, case_id)
                history = await client.get_workflow_handle(workflow_id).fetch_history()
            except RPCError:
                summary.unreadable.append(case_id)
            else:
                decided = await decode(case_id, history, client.data_converter)
                record = await with_live_tail(client, decided, workflow_id)
                await _apply(shadow, record, summary)
                summary.from_temporal += 1
            if progress is not None:
                progress(done, total)
        summary.carried = await swap(admin, since)
        summary.applicant = await rebuild_applicant_side(client, admin, task_queue)
    finally:
        await shadow.close()
        await admin.close()
    summary.seconds = time.monotonic() - started
    log.info("rebuild.swapped", cases=summary.from_archive + summary.from_temporal)
    return summary


async def _apply(conn: Conn, record: DecidedRecord, summary: RebuildSummary) -> None:
    for batch in record.all_batches():
        await apply_batch(conn, batch)
    summary.events += len(record.events)
    summary.lag += len(record.events) - record.projected_seq
