"""The projection lag at /metrics: the batches the worker could not write to the read model
yet, counted by the worker itself, so a scrape asks Temporal nothing however many cases are
open."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import httpx
from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    QueryWorkflowInput,
)

from api.app import create_app
from banjian.embedded import EmbeddedPostgres
from tests.api.conftest import Api
from tests.api.test_cases import projected, receive
from tests.conftest import eventually


class CountedQueries(Interceptor):
    """Counts the workflow queries sent through the client it is installed on."""

    def __init__(self) -> None:
        self.sent = 0

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        counter = self

        class Counting(OutboundInterceptor):
            async def query_workflow(self, input: QueryWorkflowInput) -> Any:
                counter.sent += 1
                return await super().query_workflow(input)

        return Counting(next)


def gauge(text: str, name: str) -> float:
    found = re.search(rf"^{name} (\S+)$", text, re.M)
    assert found is not None, name
    return float(found.group(1))


async def test_metrics_show_the_lag_while_postgres_is_away_and_ask_temporal_nothing(
    api: Api, postgres: EmbeddedPostgres
) -> None:
    queries = CountedQueries()
    client = Client(**(api.ctx.client.config() | {"interceptors": [queries]}))
    app = create_app(dataclasses.replace(api.ctx, client=client))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://banjian.test") as root:
        case = await receive(api)
        cid = case["case_id"]
        await projected(api, cid, case["last_seq"])
        assert gauge((await root.get("/metrics")).text, "banjian_projection_lag_cases") == 0
        await postgres.stop()
        try:
            r = await api.http.post(f"/cases/{cid}/start-review", json={}, headers=api.auth("mz-a"))
            assert r.status_code == 200, r.text

            async def behind() -> bool:
                text = (await root.get("/metrics")).text
                return gauge(text, "banjian_projection_lag_events") >= 1

            await eventually(behind, within=30)
        finally:
            await postgres.start()
        await projected(api, cid, r.json()["last_seq"])

        async def caught_up() -> bool:
            text = (await root.get("/metrics")).text
            return gauge(text, "banjian_projection_lag_cases") == 0

        await eventually(caught_up, within=60)
    assert queries.sent == 0
