"""Alerts through the API: listed, acknowledged by the right people, streamed as they are raised."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from banjian.embedded import EmbeddedPostgres, free_port
from projections.alerts import CHANNEL, get_alert, raise_notice_missing
from tests.api.conftest import Api
from tests.api.test_cases import assert_error, new_case, receive
from tests.conftest import eventually


async def token(sandbox: httpx.AsyncClient, staff: str) -> dict[str, str]:
    r = await sandbox.post("/sandbox/tokens", json={"staff_id": staff})
    return {"Authorization": f"Bearer {r.json()['token']}"}


async def receive_case(sandbox: httpx.AsyncClient) -> dict[str, Any]:
    body = new_case("MZ-003")
    body["materials"] = ["id_card", "hukou_book", "photo", "bank_card"]
    r = await sandbox.post("/cases", json=body, headers=await token(sandbox, "mz-a"))
    assert r.status_code == 201, r.text
    case: dict[str, Any] = r.json()
    return case


async def past_due(sandbox: httpx.AsyncClient, case: dict[str, Any]) -> None:
    """Move the clock an hour past the case's due time: warned and overdue, not yet escalated."""
    now = datetime.fromisoformat((await sandbox.get("/sandbox/clock")).json()["now"])
    hours = (datetime.fromisoformat(case["due_at"]) - now).total_seconds() / 3600 + 1
    r = await sandbox.post("/sandbox/clock/advance", json={"hours": hours})
    assert r.status_code == 200, r.text


async def alerts_of(sandbox: httpx.AsyncClient, case_id: str, **query: str) -> list[dict[str, Any]]:
    r = await sandbox.get("/alerts", params=query, headers=await token(sandbox, "director"))
    assert r.status_code == 200, r.text
    return [a for a in r.json() if a["case_id"] == case_id]


async def test_window_head_acknowledges_the_breach_and_the_climb_stops(
    sandbox: httpx.AsyncClient,
) -> None:
    case = await receive_case(sandbox)
    await past_due(sandbox, case)
    case_id = case["case_id"]
    overdue = next(a for a in await alerts_of(sandbox, case_id) if a["kind"] == "overdue")
    url = f"/alerts/{overdue['id']}/ack"
    r = await sandbox.post(url, headers=await token(sandbox, "mz-a"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = await sandbox.post(url, headers=await token(sandbox, "mz-head"))
    assert r.status_code == 200, r.text
    assert r.json()["acked_by"] == "mz-head" and r.json()["acked_at"]
    r = await sandbox.post(url, headers=await token(sandbox, "mz-head"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "invalid_transition"
    assert all(a["raised_at"].endswith("+08:00") for a in await alerts_of(sandbox, case_id))

    async def acked() -> bool:  # the acknowledgement reaches the read model a moment later
        listed = await alerts_of(sandbox, case_id, status="acked")
        return [a["id"] for a in listed] == [overdue["id"]]

    await eventually(acked)
    await sandbox.post("/sandbox/clock/advance", json={"days": 10})
    assert [a["kind"] for a in await alerts_of(sandbox, case_id)] == ["overdue", "warning"]


async def test_acknowledging_an_unknown_alert_is_404(sandbox: httpx.AsyncClient) -> None:
    r = await sandbox.post("/alerts/not-an-alert/ack", headers=await token(sandbox, "director"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "alert_not_found"


async def test_acknowledging_an_alert_its_case_does_not_have_is_404(api: Api) -> None:
    case = await receive(api)
    alert_id = f"{case['case_id']}-A99"
    r = await api.http.post(f"/alerts/{alert_id}/ack", headers=api.auth("director"))
    assert alert_id in assert_error(r, 404, "alert_not_found")["error"]["message"]
    r = await api.http.post("/alerts/BJ-0000000000-A2/ack", headers=api.auth("director"))
    assert_error(r, 404, "case_not_found")  # no such case: as every action on it answers


async def test_a_center_alert_is_acknowledged_once_like_a_case_s(api: Api) -> None:
    await raise_notice_missing(api.ctx.pool, 2098, datetime.now(UTC))
    url = "/alerts/CAL-2098-NOTICE/ack"
    first = await api.http.post(url, headers=api.auth("ops"))
    assert first.status_code == 200, first.text
    assert first.json()["acked_by"] == "ops"
    again = await api.http.post(url, headers=api.auth("director"))
    assert (
        "already acknowledged" in assert_error(again, 409, "invalid_transition")["error"]["message"]
    )
    assert_error(await api.http.post(url, headers=api.auth("ops")), 409, "invalid_transition")
    row = await get_alert(api.ctx.pool, "CAL-2098-NOTICE")
    assert row is not None and row["acked_by"] == "ops"
    assert row["acked_at"] == datetime.fromisoformat(first.json()["acked_at"])
    # A retry of the first request, with its Idempotency-Key, gets the first answer.
    retry = await api.http.post(url, headers=api.auth("ops") | {"Idempotency-Key": "ack-2098"})
    assert retry.status_code == 200 and retry.json() == first.json()


async def test_alert_stream_sends_each_new_alert_as_it_is_raised(
    sandbox_app: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, sandbox = sandbox_app
    port = free_port()
    config = uvicorn.Config(app, port=port, log_level="warning", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110 - uvicorn offers only this flag
            await asyncio.sleep(0.02)
        auth = (await token(sandbox, "director"))["Authorization"].split()[1]
        url = f"http://127.0.0.1:{port}/api/v1/alerts/stream?token={auth}"
        async with httpx.AsyncClient(timeout=30) as http, http.stream("GET", url) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.aiter_lines()
            assert await anext(lines) == ": connected"
            case = await receive_case(sandbox)
            moving = asyncio.create_task(past_due(sandbox, case))
            received: list[dict[str, Any]] = []
            while len(received) < 2:
                line = await asyncio.wait_for(anext(lines), 30)
                if line.startswith("data: "):
                    alert = json.loads(line.removeprefix("data: "))
                    if alert["case_id"] == case["case_id"]:  # older cases climb on meanwhile
                        received.append(alert)
            await moving
        assert [a["kind"] for a in received] == ["warning", "overdue"]
    finally:
        server.should_exit = True
        await serving


async def test_alert_stream_needs_a_token(sandbox: httpx.AsyncClient) -> None:
    r = await sandbox.get("/alerts/stream")
    assert r.status_code == 401


async def test_alert_listeners_hear_again_after_postgres_restarts(
    api: Api, postgres: EmbeddedPostgres
) -> None:
    async with api.ctx.alerts.subscribe() as queue:
        await postgres.stop()
        await postgres.start()

        async def heard() -> bool:
            with contextlib.suppress(Exception):
                await api.ctx.pool.execute("select pg_notify($1, $2)", CHANNEL, "probe")
            return not queue.empty()

        await eventually(heard, within=30)
        assert await queue.get() == "probe"


async def test_the_director_sets_channels_and_their_secrets_are_never_shown(
    sandbox: httpx.AsyncClient,
) -> None:
    director = await token(sandbox, "director")
    body = {
        "level": "director",
        "kind": "dingtalk",
        "url": "https://oapi.dingtalk.com/robot/send?access_token=abc",
        "secret": "SECabc",
    }
    r = await sandbox.post("/alert-channels", json=body, headers=await token(sandbox, "mz-head"))
    assert r.status_code == 403
    r = await sandbox.post("/alert-channels", json=body, headers=director)
    assert r.status_code == 201, r.text
    channel = r.json()
    listed = await sandbox.get("/alert-channels", headers=director)
    assert channel in listed.json() and "SECabc" not in listed.text and "abc" not in listed.text
    r = await sandbox.delete(f"/alert-channels/{channel['id']}", headers=director)
    assert r.status_code == 204
    assert channel not in (await sandbox.get("/alert-channels", headers=director)).json()
    r = await sandbox.delete(f"/alert-channels/{channel['id']}", headers=director)
    assert r.status_code == 404 and r.json()["error"]["code"] == "channel_not_found"
    bad = {**body, "url": "ftp://example"}
    assert (await sandbox.post("/alert-channels", json=bad, headers=director)).status_code == 422
