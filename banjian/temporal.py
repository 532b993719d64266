"""The Temporal client and worker for case workflows, shared by every process that needs them."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from activities.deadline import Deadlines
from activities.notify import Notifier
from activities.projection import Projector
from projections.db import LazyPool
from workflows.case import CaseWorkflow


async def connect(address: str, namespace: str) -> Client:
    return await Client.connect(
        address, namespace=namespace, data_converter=pydantic_data_converter
    )


def build_worker(
    client: Client,
    task_queue: str,
    db: LazyPool,
    timezone: str,
    *,
    max_cached_workflows: int = 1000,
    deadlines: Deadlines | None = None,
) -> Worker:
    """A worker for case workflows and every activity they call, writing through ``db``;
    ``deadlines`` counts limits in another way (a test's)."""
    deadlines = deadlines or Deadlines(db)
    return Worker(
        client,
        task_queue=task_queue,
        max_cached_workflows=max_cached_workflows,
        workflows=[CaseWorkflow],
        activities=[
            deadlines.compute_deadline,
            deadlines.compute_clocks,
            deadlines.shift_deadline,
            deadlines.ladder_times,
            deadlines.next_office_instant,
            Projector(db).project_events,
            Notifier(db, ZoneInfo(timezone)).deliver_alert,
        ],
    )
