"""The projection activity: writes a case's new events and current state to PostgreSQL.

The pool is opened on first use, so a worker starts while PostgreSQL is
down; the activity then fails, Temporal retries it with backoff, and the
events wait in the workflow until the database answers again.
"""

from __future__ import annotations

import asyncio

import asyncpg
import structlog
from temporalio import activity

from projections.cases import apply_batch
from projections.db import create_pool
from workflows.model import ProjectionBatch

log = structlog.get_logger(__name__)


class Projector:
    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    async def _get_pool(self) -> asyncpg.Pool:
        async with self._opening:
            if self._pool is None:
                self._pool = await create_pool(self._dsn, min_size=1, max_size=5)
            return self._pool

    @activity.defn(name="project_events")
    async def project_events(self, batch: ProjectionBatch) -> None:
        pool = await self._get_pool()
        async with pool.acquire() as conn:
            await apply_batch(conn, batch)
        log.debug(
            "projection.applied",
            case_id=batch.case_id,
            first_seq=batch.events[0].seq,
            last_seq=batch.events[-1].seq,
        )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
