"""The rectification workflow's projection activity: its new events and state to PostgreSQL.

Like a case's projection, the pool opens on first use and a failed write is retried by
Temporal with backoff while the events wait in the workflow.
"""

from __future__ import annotations

import structlog
from temporalio import activity

from applicant.rectification import RectificationBatch
from projections.db import LazyPool
from projections.rectifications import apply_rectification

log = structlog.get_logger(__name__)


class RectificationProjector:
    def __init__(self, pool: LazyPool) -> None:
        self._pool = pool

    @activity.defn(name="project_rectification")
    async def project_rectification(self, batch: RectificationBatch) -> None:
        pool = await self._pool.get()
        async with pool.acquire() as conn:
            await apply_rectification(conn, batch)
        log.debug(
            "rectification.projected",
            rectification_id=batch.state.id,
            last_seq=batch.events[-1].seq,
        )
