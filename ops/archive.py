"""The archiver: completed cases whose workflow has closed go to the archive, on its hash chain.

It runs beside the worker (``run_archiver``) and finds, each round, the cases
the read model shows as completed that are not archived yet; a case whose
workflow is still finishing waits for the next round. Appending is
idempotent and serialised by an advisory lock, so several workers may run it.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

import asyncpg
import structlog
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from ops.history import decode, events_json, history_json
from projections.archive import append
from projections.db import LazyPool

log = structlog.get_logger(__name__)

ARCHIVE_INTERVAL_SECONDS = 60.0
_PENDING = """
select c.case_id from cases c
where c.status = 'completed'
  and not exists (select 1 from case_archive a where a.case_id = c.case_id)
order by c.completed_at, c.case_id
limit $1
"""


async def archive_pending(client: Client, pool: asyncpg.Pool, limit: int = 200) -> list[str]:
    """Archive every completed case whose workflow has closed; the ids archived, in order."""
    archived = []
    for row in await pool.fetch(_PENDING, limit):
        if await archive_case(client, pool, row["case_id"]):
            archived.append(row["case_id"])
    return archived


async def archive_case(client: Client, pool: asyncpg.Pool, case_id: str) -> bool:
    handle = client.get_workflow_handle(case_id)
    try:
        description = await handle.describe()
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
        log.warning("archive.history_gone", case_id=case_id)
        return False
    if description.status in (None, WorkflowExecutionStatus.RUNNING):
        return False  # the workflow is still projecting its last events
    history = await handle.fetch_history()
    record = await decode(case_id, history, client.data_converter)
    state = record.state
    closed_at: datetime | None = state.completed_at if state is not None else None
    closed_at = closed_at or description.close_time
    if closed_at is None:
        return False
    events = events_json(record.events)
    entry = await append(pool, case_id, closed_at, history_json(history), events)
    if entry is None:
        return False
    log.info(
        "archive.appended", case_id=case_id, position=entry.position, chain_hash=entry.chain_hash
    )
    return True


async def run_archiver(
    client: Client, db: LazyPool, interval: float = ARCHIVE_INTERVAL_SECONDS
) -> None:
    """Archive pending cases every ``interval`` seconds until cancelled."""
    while True:
        try:
            await archive_pending(client, await db.get())
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, RPCError) as err:
            log.warning("archive.round_failed", error=type(err).__name__)
        except Exception:  # a background loop: the next round may succeed
            log.exception("archive.round_failed")
        await asyncio.sleep(interval)
