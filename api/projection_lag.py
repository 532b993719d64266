"""The projection lag for monitoring: events open cases decided that the read model lacks yet.

Each open case's workflow answers how far its projection is behind (the
``projection_lag`` query). The figure is refreshed at most every 30 seconds,
when ``/metrics`` is scraped, over at most ``SAMPLE`` open cases (the newest
first); ``banjian_projection_lag_sampled_cases`` says how many were asked.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from prometheus_client import Gauge
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError

from workflows.client import CaseClient, CaseNotFound

LAG_EVENTS = Gauge(
    "banjian_projection_lag_events", "Events decided by open cases but not yet projected"
)
LAG_CASES = Gauge("banjian_projection_lag_cases", "Open cases with events not yet projected")
SAMPLED = Gauge("banjian_projection_lag_sampled_cases", "Open cases asked for their lag")
FRESH_SECONDS = 30.0
SAMPLE = 500
_CONCURRENCY = 8
_TIMEOUT = timedelta(seconds=2)


class ProjectionLag:
    def __init__(self) -> None:
        self._at = float("-inf")
        self._lock = asyncio.Lock()

    async def refresh(self, client: Client, task_queue: str) -> None:
        async with self._lock:
            if time.monotonic() - self._at < FRESH_SECONDS:
                return
            self._at = time.monotonic()
            try:
                lags = await _open_case_lags(client, task_queue)
            except RPCError:
                return  # visibility unavailable (the sandbox's test server): keep the last figure
            LAG_EVENTS.set(sum(lags))
            LAG_CASES.set(sum(1 for lag in lags if lag > 0))
            SAMPLED.set(len(lags))


async def _open_case_lags(client: Client, task_queue: str) -> list[int]:
    query = (
        f"WorkflowType = 'CaseWorkflow' AND TaskQueue = '{task_queue}'"
        " AND ExecutionStatus = 'Running'"
    )
    listed = client.list_workflows(query, limit=SAMPLE, rpc_timeout=_TIMEOUT)
    ids = [wf.id async for wf in listed]
    gate = asyncio.Semaphore(_CONCURRENCY)
    cases = CaseClient(client)

    async def lag(case_id: str) -> int:
        async with gate:
            try:
                return await cases.projection_lag(case_id, rpc_timeout=_TIMEOUT)
            except (CaseNotFound, RPCError, WorkflowQueryFailedError):
                return 0  # closed meanwhile, or no worker answered in time

    return list(await asyncio.gather(*(lag(i) for i in ids)))


projection_lag = ProjectionLag()
