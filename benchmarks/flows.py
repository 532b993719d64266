"""One case's life, driven at a number in flight: through banjian's HTTP API, or on the bare engine.

A case is received (``POST /cases``), its review started and it is completed,
as a clerk does it. The bare engine's workflow goes the same three steps as
three updates. Each step's latency is kept, and, when asked, the lag until the
read model shows it: ``GET /cases/{id}`` right after the 2xx, again and again
until the answer holds the write's ``last_seq``. A step that fails (an error
status, a timeout) ends its flow; the failures are counted, not retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from temporalio.client import Client
from temporalio.exceptions import TemporalError
from temporalio.service import RPCError

from benchmarks.engine import WORKFLOW, BareInput, BareState
from benchmarks.stack import ENGINE_QUEUE
from workflows.client import case_workflow_id

SERVICE = "MZ-001"
# Every required material of the service at hand: the case goes straight to review.
MATERIALS = ["application_form", "bank_card", "hardship_proof", "hukou_book", "id_card"]
# A made-up applicant; the identity number has a valid check digit (GB 11643).
APPLICANT = {"name": "王小明", "id_number": "11010519491231002X", "phone": "13912345678"}
ACTIONS = ("create", "start-review", "complete")
_READ_PAUSE_SECONDS = 0.005
_HTTP_TIMEOUT_SECONDS = 120.0


class FlowFailed(RuntimeError):
    """A step did not answer as a working system does."""


@dataclass
class Record:
    """What one round measured."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: {a: [] for a in ACTIONS})
    lags: dict[str, list[float]] = field(default_factory=lambda: {a: [] for a in ACTIONS})
    reads: dict[str, list[int]] = field(default_factory=lambda: {a: [] for a in ACTIONS})
    ids: list[str] = field(default_factory=list)  # every workflow started
    done: list[str] = field(default_factory=list)  # those whose flow went to its end
    failures: list[str] = field(default_factory=list)  # "<step>: <what went wrong>"
    # Answers that said the read model did not have the write yet: {"create behind": 2, ...}.
    read_model: dict[str, int] = field(default_factory=dict)

    def all_latencies(self) -> list[float]:
        return [x for values in self.latencies.values() for x in values]

    def all_lags(self) -> list[float]:
        return [x for values in self.lags.values() for x in values]


async def drive(n: int, in_flight: int, one: Callable[[int], Awaitable[None]]) -> float:
    """Run ``one(i)`` for i < n, ``in_flight`` at a time; the seconds it took."""
    todo = iter(range(n))

    async def lane() -> None:
        for i in todo:
            await one(i)

    started = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(min(n, in_flight))))
    return time.perf_counter() - started


class ApiCases:
    """Cases through the HTTP API, as the clerk whose token it is given; the records name
    their workflows (``<center>/<case id>``)."""

    def __init__(self, http: httpx.AsyncClient, token: str, center: str) -> None:
        self._http = http
        self._center = center
        self._auth = {"Authorization": f"Bearer {token}"}

    @staticmethod
    def client(api_url: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=api_url + "/api/v1",
            timeout=_HTTP_TIMEOUT_SECONDS,
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=200),
        )

    async def _post(
        self, rec: Record, action: str, path: str, body: dict[str, Any], want: int
    ) -> dict[str, Any]:
        r = await self._http.post(path, json=body, headers=self._auth)
        if r.status_code != want:
            raise FlowFailed(f"POST {path}: {r.status_code} {r.text[:300]}")
        said = r.headers.get("Read-Model")
        if said is not None:
            key = f"{action} {said}"
            rec.read_model[key] = rec.read_model.get(key, 0) + 1
        answer: dict[str, Any] = r.json()
        return answer

    async def _shown(self, case_id: str, seq: int) -> int:
        """How many reads it took until ``GET /cases/{id}`` held ``seq``."""
        reads = 0
        while True:
            reads += 1
            r = await self._http.get(f"/cases/{case_id}", headers=self._auth)
            if r.status_code == 200 and r.json()["last_seq"] >= seq:
                return reads
            if r.status_code not in (200, 404):
                raise FlowFailed(f"GET /cases/{case_id}: {r.status_code} {r.text[:300]}")
            await asyncio.sleep(_READ_PAUSE_SECONDS)

    def flow(self, rec: Record, *, read_back: bool) -> Callable[[int], Awaitable[None]]:
        async def one(_: int) -> None:
            steps: list[tuple[str, str, dict[str, Any], int]] = [
                ("create", "/cases",
                 {"service_code": SERVICE, "applicant": APPLICANT, "materials": MATERIALS}, 201),
                ("start-review", "/cases/{id}/start-review", {}, 200),
                ("complete", "/cases/{id}/complete", {"outcome": "approved", "note": "符合"}, 200),
            ]  # fmt: skip
            case_id = ""
            for action, path, body, want in steps:
                started = time.perf_counter()
                try:
                    case = await self._post(rec, action, path.format(id=case_id), body, want)
                except (FlowFailed, httpx.HTTPError) as err:
                    rec.failures.append(f"{action}: {_brief(err)}")
                    return
                answered = time.perf_counter()
                rec.latencies[action].append(answered - started)
                case_id = case["case_id"]
                if action == "create":
                    rec.ids.append(case_workflow_id(self._center, case_id))
                if read_back:
                    rec.reads[action].append(await self._shown(case_id, case["last_seq"]))
                    rec.lags[action].append(time.perf_counter() - answered)
            rec.done.append(case_workflow_id(self._center, case_id))

        return one


def _brief(err: Exception) -> str:
    return f"{type(err).__name__} {err}"[:200]


def engine_flow(client: Client, rec: Record, tag: str) -> Callable[[int], Awaitable[None]]:
    """The bare engine's case: start, then the three updates, timed like the API's steps."""

    async def one(i: int) -> None:
        wf_id = f"bare-{tag}-{i}-{uuid.uuid4().hex[:6]}"
        started = time.perf_counter()
        handle = await client.start_workflow(
            WORKFLOW, BareInput(wf_id, 5), id=wf_id, task_queue=ENGINE_QUEUE
        )
        rec.ids.append(wf_id)
        for action, update in zip(ACTIONS, ("intake", "start-review", "complete"), strict=True):
            try:
                await handle.execute_update(update, result_type=BareState)
            except (TemporalError, RPCError) as err:
                rec.failures.append(f"{action}: {_brief(err)}")
                return
            answered = time.perf_counter()
            rec.latencies[action].append(answered - started)
            started = answered
        rec.done.append(wf_id)

    return one


async def terminate_running(client: Client, workflow_type: str) -> int:
    """End every workflow of the type still running (those of failed flows); how many."""
    query = f"WorkflowType = '{workflow_type}' AND ExecutionStatus = 'Running'"
    ended = 0
    async for wf in client.list_workflows(query):
        with contextlib.suppress(RPCError):  # closed meanwhile
            await client.get_workflow_handle(wf.id).terminate(reason="the benchmark's round ended")
            ended += 1
    return ended


async def settled(client: Client, ids: list[str], in_flight: int = 20) -> None:
    """Wait until every workflow in ``ids`` has closed (a case after its last projection)."""
    gate = asyncio.Semaphore(in_flight)

    async def closed(wf_id: str) -> None:
        async with gate:
            await client.get_workflow_handle(wf_id).result()

    await asyncio.gather(*(closed(i) for i in ids))
