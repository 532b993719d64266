"""Read your writes: once a write has answered 2xx, every read after it shows it, with no wait.

Each test writes, then reads straight away, once, and asserts the read shows the
write; on the real Temporal dev server and on the sandbox's time-skipping one.
Past the wait's bound, or without PostgreSQL, the write still answers 2xx and
says in its ``Read-Model`` header that the read model is behind.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from temporalio.client import Client

from api.app import create_app
from api.context import AppContext
from api.read_your_writes import HEADER
from banjian.embedded import EmbeddedPostgres, TemporalDevServer
from banjian.settings import Settings
from projections.center import create_token, load_directories
from projections.db import connect, create_pool
from tests.api.conftest import Api
from tests.api.test_cases import new_case, projected

MATERIALS = ["application_form", "bank_card", "hardship_proof", "hukou_book", "id_card"]


@dataclass
class Surface:
    """The API to write and read through, and staff tokens for it."""

    http: httpx.AsyncClient
    tokens: dict[str, str] | None  # None: the sandbox hands them out

    async def auth(self, staff_id: str) -> dict[str, str]:
        if self.tokens is not None:
            return {"Authorization": f"Bearer {self.tokens[staff_id]}"}
        r = await self.http.post("/sandbox/tokens", json={"staff_id": staff_id})
        return {"Authorization": f"Bearer {r.json()['token']}"}


@pytest.fixture(params=["dev_server", "sandbox"])
def surface(request: pytest.FixtureRequest) -> Surface:
    """The API on the real Temporal dev server, then on the sandbox's time-skipping server."""
    if request.param == "dev_server":
        api: Api = request.getfixturevalue("api")
        return Surface(api.http, api.tokens)
    return Surface(request.getfixturevalue("sandbox"), None)


async def receive(http: httpx.AsyncClient, h: dict[str, str]) -> dict[str, Any]:
    r = await http.post("/cases", json=new_case(materials=MATERIALS), headers=h)
    assert r.status_code == 201, r.text
    assert HEADER not in r.headers
    case: dict[str, Any] = r.json()
    return case


async def act(
    http: httpx.AsyncClient, h: dict[str, str], case_id: str, action: str, body: dict[str, Any]
) -> dict[str, Any]:
    r = await http.post(f"/cases/{case_id}/{action}", json=body, headers=h)
    assert r.status_code == 200, r.text
    assert HEADER not in r.headers
    case: dict[str, Any] = r.json()
    return case


async def test_a_case_read_at_once_after_it_is_received_is_there_with_its_event(
    surface: Surface,
) -> None:
    http, h = surface.http, await surface.auth("mz-a")
    case = await receive(http, h)
    r = await http.get(f"/cases/{case['case_id']}", headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["last_seq"] == case["last_seq"] and r.json()["status"] == "received"
    events = (await http.get(f"/cases/{case['case_id']}/events", headers=h)).json()
    assert [e["type"] for e in events] == ["case.received"]


async def test_the_list_read_at_once_after_an_action_shows_it(surface: Surface) -> None:
    http, h = surface.http, await surface.auth("mz-a")
    cid = (await receive(http, h))["case_id"]
    await act(http, h, cid, "start-review", {})
    listed = (await http.get("/cases?status=under_review&limit=200", headers=h)).json()
    assert cid in [c["case_id"] for c in listed["items"]]
    await act(http, h, cid, "complete", {"outcome": "approved", "note": "符合条件"})
    listed = (await http.get("/cases?status=completed&limit=200", headers=h)).json()
    assert cid in [c["case_id"] for c in listed["items"]]
    listed = (await http.get("/cases?status=under_review&limit=200", headers=h)).json()
    assert cid not in [c["case_id"] for c in listed["items"]]


async def test_the_summary_read_at_once_after_a_completion_counts_it(surface: Surface) -> None:
    http, h = surface.http, await surface.auth("mz-a")
    cid = (await receive(http, h))["case_id"]
    await act(http, h, cid, "start-review", {})
    before = (await http.get("/dashboard/summary", headers=h)).json()
    await act(http, h, cid, "complete", {"outcome": "approved", "note": "符合条件"})
    after = (await http.get("/dashboard/summary", headers=h)).json()
    assert after["completed"] >= before["completed"] + 1
    assert after["by_status"].get("completed", 0) >= before["by_status"].get("completed", 0) + 1


async def test_an_acknowledged_alert_is_listed_as_acknowledged_at_once(
    sandbox: httpx.AsyncClient,
) -> None:
    token = (await sandbox.post("/sandbox/tokens", json={"staff_id": "mz-head"})).json()["token"]
    h = {"Authorization": f"Bearer {token}"}
    case = await receive(sandbox, h)
    r = await sandbox.post("/sandbox/clock/advance", json={"days": 15})
    assert r.status_code == 200, r.text
    alerts = (await sandbox.get("/alerts?status=open", headers=h)).json()
    alert = next(a for a in alerts if a["case_id"] == case["case_id"] and a["kind"] == "warning")
    r = await sandbox.post(f"/alerts/{alert['id']}/ack", headers=h)
    assert r.status_code == 200, r.text
    assert HEADER not in r.headers
    acked = (await sandbox.get("/alerts?status=acked", headers=h)).json()
    assert alert["id"] in [a["id"] for a in acked]


@pytest_asyncio.fixture(scope="module")
async def hasty(
    postgres: EmbeddedPostgres, dev_server: tuple[TemporalDevServer, Client, str], api: Api
) -> AsyncIterator[Api]:
    """The API with a read-model wait of a fifth of a second."""
    _, client, queue = dev_server
    pool = await create_pool(postgres.dsn)
    ctx = AppContext(
        settings=Settings(read_model_wait_seconds=0.2),
        client=client,
        pool=pool,
        directories=await load_directories(pool),
        task_queue=queue,
    )
    transport = httpx.ASGITransport(app=create_app(ctx))
    async with httpx.AsyncClient(transport=transport, base_url="http://banjian.test/api/v1") as c:
        yield Api(c, c, ctx, api.tokens)
    await pool.close()


async def test_an_action_the_read_model_cannot_take_in_time_still_succeeds_and_says_so(
    hasty: Api, postgres: EmbeddedPostgres
) -> None:
    h = hasty.auth("mz-a")
    cid = (await receive(hasty.http, h))["case_id"]
    blocker = await connect(postgres.dsn)
    try:
        # The case's row held by another transaction: its projection waits behind it.
        async with blocker.transaction():
            await blocker.execute("select 1 from cases where case_id = $1 for update", cid)
            r = await hasty.http.post(f"/cases/{cid}/start-review", json={}, headers=h)
            assert r.status_code == 200, r.text
            assert r.headers[HEADER] == "behind"
            row = await blocker.fetchrow("select status from cases where case_id = $1", cid)
            assert row is not None and row["status"] == "received"
    finally:
        await blocker.close()
    await projected(hasty, cid, r.json()["last_seq"])
    shown = (await hasty.http.get(f"/cases/{cid}", headers=h)).json()
    assert shown["status"] == "under_review"


async def test_a_leave_answers_once_the_cases_it_moved_are_readable(
    hasty: Api, postgres: EmbeddedPostgres
) -> None:
    """The leave's answer waits for its takeovers' projections: held up, it says so."""
    # zh-a: an A post whose leave only the idempotency tests register, months ahead.
    if "zh-a" not in hasty.tokens:
        hasty.tokens["zh-a"] = await create_token(hasty.ctx.pool, "SFZ", "zh-a")
    materials = [
        m.code for m in hasty.ctx.directories["SFZ"].services["ZH-001"].materials if m.required
    ]
    body = {**new_case("ZH-001"), "materials": materials}
    r = await hasty.http.post("/cases", json=body, headers=hasty.auth("zh-a"))
    assert r.status_code == 201, r.text
    cid, director = r.json()["case_id"], hasty.auth("director")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    leave = {"from": today.isoformat(), "to": (today + timedelta(days=2)).isoformat(),
             "reason": "病假"}  # fmt: skip
    blocker = await connect(postgres.dsn)
    try:
        async with blocker.transaction():
            await blocker.execute("select 1 from cases where case_id = $1 for update", cid)
            r = await hasty.http.post("/staff/zh-a/leave", json=leave, headers=director)
            assert r.status_code == 201, r.text
            assert r.headers[HEADER] == "behind"
    finally:
        await blocker.close()
    r = await hasty.http.post(f"/staff/zh-a/leave/{r.json()['id']}/end", headers=director)
    assert r.status_code == 200, r.text
    assert HEADER not in r.headers
    back = (await hasty.http.get("/cases?assignee=zh-a&limit=200", headers=director)).json()
    assert cid in [c["case_id"] for c in back["items"]]
