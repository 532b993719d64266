"""The sandbox: tokens without sign-in, and a clock that fires timers and projects first."""

from __future__ import annotations

from datetime import datetime

import httpx

from tests.api.conftest import Api
from tests.api.test_cases import new_case


async def test_sandbox_hands_out_tokens_by_role_and_window(sandbox: httpx.AsyncClient) -> None:
    r = await sandbox.post("/sandbox/tokens", json={"role": "clerk", "window": "shebao"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["staff"]["window"] == "shebao" and body["staff"]["post"] == "A"
    me = await sandbox.get("/staff", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    r = await sandbox.post("/sandbox/tokens", json={"staff_id": "director"})
    assert r.json()["staff"]["role"] == "director"
    r = await sandbox.post("/sandbox/tokens", json={"staff_id": "nobody"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "staff_not_found"


async def test_advancing_the_clock_fires_timers_and_projects_before_answering(
    sandbox: httpx.AsyncClient,
) -> None:
    token = (await sandbox.post("/sandbox/tokens", json={"staff_id": "mz-a"})).json()["token"]
    h = {"Authorization": f"Bearer {token}"}
    before = datetime.fromisoformat((await sandbox.get("/sandbox/clock")).json()["now"])
    body = new_case()
    body["materials"] = ["id_card", "hukou_book", "application_form", "hardship_proof"]
    r = await sandbox.post("/cases", json=body, headers=h)
    assert r.status_code == 201, r.text
    case = r.json()
    r = await sandbox.post("/sandbox/clock/advance", json={"days": 15})
    assert r.status_code == 200, r.text
    now = datetime.fromisoformat(r.json()["now"])
    assert (now - before).days >= 15
    events = (await sandbox.get(f"/cases/{case['case_id']}/events", headers=h)).json()
    assert [e["type"] for e in events] == [
        "case.received",
        "deadline.warning",
        "deadline.overdue",
        "case.escalated",
        "case.escalated",
    ]
    overdue_at = datetime.fromisoformat(events[2]["at"])
    assert overdue_at >= datetime.fromisoformat(case["due_at"])
    assert [e["data"]["level"] for e in events[3:]] == ["director", "discipline"]
    row = (await sandbox.get(f"/cases/{case['case_id']}", headers=h)).json()
    assert row["overdue"] and row["warned"]
    alerts = (await sandbox.get("/alerts?status=open", headers=h)).json()
    mine = sorted((a["kind"], a["level"]) for a in alerts if a["case_id"] == case["case_id"])
    assert mine == [
        ("escalation", "director"),
        ("escalation", "discipline"),
        ("overdue", "window_head"),
        ("warning", "window_head"),
    ]


async def test_bad_advance_is_422_and_moves_nothing(sandbox: httpx.AsyncClient) -> None:
    before = (await sandbox.get("/sandbox/clock")).json()["now"]
    for body in ({}, {"days": 1, "hours": 2}, {"days": -1}):
        r = await sandbox.post("/sandbox/clock/advance", json=body)
        assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"
    after = (await sandbox.get("/sandbox/clock")).json()["now"]
    assert (
        after >= before
        and (datetime.fromisoformat(after) - datetime.fromisoformat(before)).total_seconds() < 3600
    )


async def test_sandbox_endpoints_are_404_outside_the_sandbox(api: Api) -> None:
    r = await api.http.get("/sandbox/clock")
    assert r.status_code == 404 and set(r.json()) == {"error"}


async def test_advancing_the_clock_settles_every_kind_of_threshold(
    sandbox: httpx.AsyncClient,
) -> None:
    token = (await sandbox.post("/sandbox/tokens", json={"staff_id": "mz-a"})).json()["token"]
    h = {"Authorization": f"Bearer {token}"}
    r = await sandbox.post("/cases", json=new_case(), headers=h)  # required materials missing
    assert r.status_code == 201, r.text
    await sandbox.post("/sandbox/clock/advance", json={"days": 20})
    types = [
        e["type"]
        for e in (await sandbox.get(f"/cases/{r.json()['case_id']}/events", headers=h)).json()
    ]
    assert types.count("notice.overdue") == 1
    assert types.count("case.escalated") == 2
