"""The Temporal client and worker for case workflows, shared by every process that needs them."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from activities.deadline import compute_deadline, ladder_times, shift_deadline
from activities.projection import Projector
from workflows.case import CaseWorkflow


async def connect(address: str, namespace: str) -> Client:
    return await Client.connect(
        address, namespace=namespace, data_converter=pydantic_data_converter
    )


def build_worker(
    client: Client, task_queue: str, projector: Projector, *, max_cached_workflows: int = 1000
) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        max_cached_workflows=max_cached_workflows,
        workflows=[CaseWorkflow],
        activities=[compute_deadline, shift_deadline, ladder_times, projector.project_events],
    )
