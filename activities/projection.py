"""The projection activity: writes a case's new events and current state to PostgreSQL.

The pool is opened on first use, so a worker starts while PostgreSQL is
down; the activity then fails, Temporal retries it with backoff, and the
events wait in the workflow until the database answers again.
"""

from __future__ import annotations

import structlog
from temporalio import activity

from projections.cases import apply_batch
from projections.db import LazyPool
from workflows.model import ProjectionBatch

log = structlog.get_logger(__name__)


class Projector:
    def __init__(self, pool: LazyPool) -> None:
        self._pool = pool

    @activity.defn(name="project_events")
    async def project_events(self, batch: ProjectionBatch) -> int | None:
        """Project the batch; for the case's first batch, the calendar's version as it stands."""
        pool = await self._pool.get()
        async with pool.acquire() as conn:
            version = await apply_batch(conn, batch)
        log.debug(
            "projection.applied",
            case_id=batch.case_id,
            first_seq=batch.events[0].seq,
            last_seq=batch.events[-1].seq,
        )
        return version
