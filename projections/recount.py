"""After the center's calendar changes: send every open case it may touch a recalculation."""

from __future__ import annotations

import asyncio
from datetime import date

import asyncpg
import structlog
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError

from workflows.model import ActionMeta, Actor, CaseState, Recalculate

log = structlog.get_logger(__name__)

PARALLEL = 16


async def recalculate_open_cases(
    client: Client, pool: asyncpg.Pool, first: date, last: date, reason: str, actor: Actor
) -> int:
    """Recount the limits of open cases received by ``last`` and due from ``first``; the number
    whose limit moved."""
    rows = await pool.fetch(
        "select case_id, last_seq from cases where status <> 'completed'"
        " and received_at::date <= $2 and (due_at is null or due_at::date >= $1)",
        first,
        last,
    )
    gate = asyncio.Semaphore(PARALLEL)

    async def recount(case_id: str, last_seq: int) -> bool:
        async with gate:
            try:
                state: CaseState = await client.get_workflow_handle(case_id).execute_update(
                    "recalculate", Recalculate(ActionMeta(actor), reason), result_type=CaseState
                )
            except (WorkflowUpdateFailedError, RPCError):
                return False  # closed meanwhile: nothing left to count
            return state.last_seq > last_seq

    moved = sum(await asyncio.gather(*(recount(r["case_id"], r["last_seq"]) for r in rows)))
    log.info("calendar.recalculated", cases=len(rows), moved=moved)
    return moved
