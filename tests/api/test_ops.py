"""Operations endpoints: liveness, readiness with the failing dependency named, metrics; and
the 503 every request gets while a server it needs is down."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import asyncpg
import httpx
import pytest_asyncio

from api.app import create_app
from api.errors import postgres_unreachable
from banjian.embedded import EmbeddedPostgres, TemporalDevServer, free_port
from banjian.runtime import connect
from projections.center import create_token
from tests.api.conftest import Api
from tests.api.test_cases import projected, receive
from tests.conftest import PAYLOAD_KEYS


async def test_healthz_and_readyz_answer_when_everything_is_up(api: Api) -> None:
    assert (await api.root.get("/healthz")).status_code == 200
    r = await api.root.get("/readyz")
    assert r.status_code == 200 and r.json()["checks"] == {"postgres": "ok", "temporal": "ok"}


async def test_readyz_names_postgres_when_it_is_down(api: Api, postgres: EmbeddedPostgres) -> None:
    await postgres.stop()
    try:
        r = await api.root.get("/readyz")
        assert r.status_code == 503
        assert r.json()["checks"] == {"postgres": "down", "temporal": "ok"}
    finally:
        await postgres.start()


async def test_metrics_count_staff_actions_by_outcome(api: Api) -> None:
    await api.http.post("/cases/BJ-NOSUCHCASE/start-review", json={}, headers=api.auth("mz-a"))
    r = await api.root.get("/metrics")
    assert r.status_code == 200
    assert 'banjian_actions_total{action="start-review",outcome="rejected"}' in r.text
    assert "banjian_action_seconds_bucket" in r.text


def assert_unavailable(r: httpx.Response, server: str) -> None:
    assert r.status_code == 503, r.text
    error = r.json()["error"]
    assert error["code"] == "service_unavailable" and server in error["message"]
    assert "Traceback" not in r.text and "127.0.0.1" not in r.text


async def test_reads_answer_503_naming_postgres_while_it_is_down(
    api: Api, postgres: EmbeddedPostgres
) -> None:
    case = await receive(api)
    await projected(api, case["case_id"], case["last_seq"])
    h = api.auth("director")
    unseen = await create_token(api.ctx.pool, "SFZ", "mz-b")  # verified only after the outage
    assert (await api.http.get("/cases", headers=h)).status_code == 200  # the token is verified
    await postgres.stop()
    try:
        for path in [
            f"/cases/{case['case_id']}",
            "/cases",
            "/dashboard/summary",
            "/alerts?status=open",
            f"/cases/{case['case_id']}/events",
        ]:
            assert_unavailable(await api.http.get(path, headers=h), "PostgreSQL")
        r = await api.http.get("/cases", headers={"Authorization": f"Bearer {unseen}"})
        assert_unavailable(r, "PostgreSQL")
        assert (await api.root.get("/healthz")).status_code == 200
        assert (await api.root.get("/readyz")).status_code == 503
    finally:
        await postgres.start()
    assert (await api.http.get(f"/cases/{case['case_id']}", headers=h)).status_code == 200


@pytest_asyncio.fixture
async def temporal_gone(api: Api, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The API on a Temporal dev server that has stopped; PostgreSQL is up."""
    server = TemporalDevServer(
        port=free_port(), ui_port=None, db_file=None, log_file=tmp_path / "temporal.log"
    )
    await server.start()
    client = await connect(server.address, "default", PAYLOAD_KEYS)
    await server.stop()
    ctx = replace(api.ctx, client=client, _tokens={})
    transport = httpx.ASGITransport(app=create_app(ctx))
    async with httpx.AsyncClient(transport=transport, base_url="http://banjian.test") as http:
        yield http


async def test_case_actions_and_live_reads_answer_503_naming_temporal_while_it_is_down(
    api: Api, temporal_gone: httpx.AsyncClient
) -> None:
    case_id, h = "BJ-0000000000", api.auth("mz-a")
    r = await temporal_gone.post(f"/api/v1/cases/{case_id}/start-review", json={}, headers=h)
    assert_unavailable(r, "Temporal")
    r = await temporal_gone.get(f"/api/v1/cases/{case_id}?consistent=true", headers=h)
    assert_unavailable(r, "Temporal")
    r = await temporal_gone.get("/readyz")
    assert r.status_code == 503 and r.json()["checks"] == {"postgres": "ok", "temporal": "down"}


def test_only_errors_out_of_the_database_driver_are_taken_for_an_outage() -> None:
    assert not postgres_unreachable(FileNotFoundError("api/static/dashboard.html"))
    assert not postgres_unreachable(asyncpg.exceptions.UndefinedTableError("no such table"))
    assert postgres_unreachable(asyncpg.exceptions.CannotConnectNowError("shutting down"))
