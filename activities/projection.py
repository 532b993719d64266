"""The projection activity: writes a case's new events and current state to PostgreSQL.

The pool is opened on first use, so a worker starts while PostgreSQL is
down; the activity then fails, Temporal retries it with backoff, and the
events wait in the workflow until the database answers again.

While a case's batch fails, the worker counts it behind: the
``banjian_projection_lag_*`` gauges are this worker's own figures, read at
``/metrics`` at no cost to Temporal (no query per open case).
"""

from __future__ import annotations

import structlog
from prometheus_client import Gauge
from temporalio import activity

from projections.cases import write_batch
from projections.db import LazyPool
from workflows.model import ProjectionBatch

log = structlog.get_logger(__name__)

LAG_EVENTS = Gauge(
    "banjian_projection_lag_events",
    "Events of the batches this worker could not write to the read model yet",
)
LAG_CASES = Gauge(
    "banjian_projection_lag_cases", "Cases whose latest batch this worker could not write yet"
)


class Behind:
    """The batches that failed and wait for their retry, by case: how far the read model lags."""

    def __init__(self) -> None:
        self._events: dict[str, int] = {}

    def failed(self, batch: ProjectionBatch) -> None:
        self._events[batch.case_id] = len(batch.events)
        self._publish()

    def written(self, case_id: str) -> None:
        if self._events.pop(case_id, None) is not None:
            self._publish()

    def _publish(self) -> None:
        LAG_EVENTS.set(sum(self._events.values()))
        LAG_CASES.set(len(self._events))


BEHIND = Behind()


class Projector:
    def __init__(self, pool: LazyPool) -> None:
        self._pool = pool

    @activity.defn(name="project_events")
    async def project_events(self, batch: ProjectionBatch) -> int | None:
        """Project the batch; for the case's first batch, the calendar's version as it stands."""
        try:
            pool = await self._pool.get()
            async with pool.acquire() as conn:
                version = await write_batch(conn, batch)
        except BaseException:
            BEHIND.failed(batch)
            raise
        BEHIND.written(batch.case_id)
        log.debug(
            "projection.applied",
            case_id=batch.case_id,
            first_seq=batch.events[0].seq,
            last_seq=batch.events[-1].seq,
        )
        return version
