"""Replay a case: the story its history tells, and whether the read model still tells the same.

The history (from Temporal, or from the archive once Temporal has deleted the
workflow) is replayed against the current workflow code, its decided events
become a readable timeline, and the read model is compared with what those
events produce. The report names every difference; applicants' ID numbers and
phones appear masked only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from temporalio.client import Client
from temporalio.worker import Replayer

from documents.masking import mask
from documents.replay_report import Finding, ReplayReport
from documents.timeline import build_timeline
from ops.history import (
    CaseHistory,
    decode,
    history_json,
    load_history,
    same_history,
    with_live_tail,
    workflow_id_of,
)
from projections.archive import ArchiveEntry, entry_problems, sha256
from projections.audit import Difference, compare_case
from workflows.case import CaseWorkflow
from workflows.model import CaseState

_PERSONAL = {"applicant_id_number", "applicant_phone"}


async def replay_case(
    client: Client, pool: asyncpg.Pool, case_id: str, tz: ZoneInfo
) -> ReplayReport:
    """Raises ``CaseNotFound`` when neither Temporal nor the archive has the case, and
    ``PayloadDecryptionError`` when the client's key ring lacks the key of its payloads."""
    history = await load_history(client, pool, case_id)
    findings = _archive_findings(history)
    record = await decode(case_id, history.history, client.data_converter)
    replayer = Replayer(workflows=[CaseWorkflow], data_converter=client.data_converter)
    result = await replayer.replay_workflow(history.history, raise_on_replay_failure=False)
    if result.replay_failure is not None:
        failure = f"{type(result.replay_failure).__name__}: {result.replay_failure}"
        findings.append(Finding("replay_failed", case_id, None, failure, None))
    if history.source == "temporal":
        record = await with_live_tail(client, record, await workflow_id_of(client, pool, case_id))
    async with pool.acquire() as conn:
        diffs = await compare_case(
            conn,
            case_id,
            [b.batch for b in record.batches if b.projected],
            [b.batch for b in record.batches if not b.projected],
            record.events,
        )
    findings += [_finding(d) for d in diffs]
    state = record.state
    return ReplayReport(
        case_id=case_id,
        source=history.source,
        closed=record.closed,
        replay_ok=result.replay_failure is None,
        status=state.status.value if state else None,
        case=_case(state, tz),
        archive=_archive_summary(history.archived),
        timeline=build_timeline(record.events, record.projected_seq, tz),
        findings=findings,
        pending=len(record.events) - record.projected_seq,
    )


def _archive_findings(history: CaseHistory) -> list[Finding]:
    entry = history.archived
    if entry is None:
        return []
    position = str(entry.position)
    found = [Finding("altered_archive", position, None, p, None) for p in entry_problems(entry)]
    if history.source == "temporal" and not same_history(history.history, entry.history):
        kept = sha256(history_json(history.history))
        found.append(Finding("altered_archive", position, "history", kept, entry.history_sha256))
    return found


def _finding(d: Difference) -> Finding:
    if d.field in _PERSONAL:
        return Finding(d.kind, d.key, d.field, _mask(d.expected), _mask(d.actual))
    if d.kind.startswith(("missing_", "extra_")):  # whole rows: name them, don't dump them
        return Finding(d.kind, d.key, None, None, None)
    return Finding(d.kind, d.key, d.field, d.expected, d.actual)


def _mask(value: Any) -> Any:
    return mask(value) if isinstance(value, str) else value


def _case(state: CaseState | None, tz: ZoneInfo) -> dict[str, Any]:
    if state is None:
        return {}

    def local(at: datetime | None) -> str | None:
        return at.astimezone(tz).isoformat() if at is not None else None

    return {
        "service_code": state.service_code,
        "service_name": state.service_name,
        "kind": state.kind.value,
        "window": state.window,
        "status": state.status.value,
        "outcome": state.outcome.value if state.outcome else None,
        "received_at": local(state.received_at),
        "due_at": local(state.due_at),
        "legal_due_at": local(state.legal_due_at),
        "completed_at": local(state.completed_at),
        "first_receiver": state.first_receiver,
        "assignee": state.assignee,
        "applicant": {
            "name": state.applicant.name,
            "id_number_masked": mask(state.applicant.id_number),
            "phone_masked": mask(state.applicant.phone),
        },
    }


def _archive_summary(entry: ArchiveEntry | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    return {
        "position": entry.position,
        "archived_at": entry.archived_at.isoformat(),
        "history_sha256": entry.history_sha256,
        "chain_hash": entry.chain_hash,
    }
