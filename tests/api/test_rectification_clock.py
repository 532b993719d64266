"""A bad rating's rectification keeps time on the sandbox's clock (the time-skipping server):
its contact limit of 1 working day goes overdue and alerts the window head, the alert climbs
to the director unacknowledged, and an answer within 15 working days is on time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from tests.api.test_cases import new_case
from tests.conftest import eventually


async def _token(sandbox: httpx.AsyncClient, staff: str) -> dict[str, str]:
    r = await sandbox.post("/sandbox/tokens", json={"staff_id": staff})
    return {"Authorization": f"Bearer {r.json()['token']}"}


async def _advance(sandbox: httpx.AsyncClient, days: int) -> None:
    r = await sandbox.post("/sandbox/clock/advance", json={"days": days})
    assert r.status_code == 200, r.text


async def _to_a_tuesday_morning(sandbox: httpx.AsyncClient) -> None:
    """Move the clock to the next Tuesday 09:00 in the center's zone, so that a limit of one
    working day and the moves that follow never straddle a weekend, whenever the suite runs."""
    now = datetime.fromisoformat((await sandbox.get("/sandbox/clock")).json()["now"])
    target = (now + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    while target.weekday() != 1:
        target += timedelta(days=1)
    r = await sandbox.post(
        "/sandbox/clock/advance", json={"hours": (target - now) / timedelta(hours=1)}
    )
    assert r.status_code == 200, r.text


async def _rated_badly(sandbox: httpx.AsyncClient, h: dict[str, str]) -> tuple[str, str]:
    body = new_case(materials=["id_card", "hukou_book", "application_form", "hardship_proof"])
    r = await sandbox.post("/cases", json=body, headers=h)
    assert r.status_code == 201, r.text
    cid: str = r.json()["case_id"]
    url: dict[str, Any] = {}

    async def linked() -> bool:
        url["v"] = (await sandbox.get(f"/cases/{cid}", headers=h)).json().get("rating_url")
        return bool(url["v"])

    await eventually(linked)
    token = str(url["v"]).rsplit("/", 1)[1]
    r = await sandbox.post(f"/public/ratings/{token}", json={"stage": "received", "level": 2})
    assert r.status_code == 201 and r.json()["rectification"] is True, r.text
    rid = f"RECT-{cid}-received"

    async def opened() -> bool:
        return (await sandbox.get(f"/rectifications/{rid}", headers=h)).status_code == 200

    await eventually(opened)
    return cid, rid


async def test_the_contact_limit_goes_overdue_and_climbs_to_the_director(
    sandbox: httpx.AsyncClient,
) -> None:
    clerk, head = await _token(sandbox, "mz-a"), await _token(sandbox, "mz-head")
    await _to_a_tuesday_morning(sandbox)
    cid, rid = await _rated_badly(sandbox, clerk)
    opened = (await sandbox.get(f"/rectifications/{rid}", headers=clerk)).json()
    assert not opened["contact_overdue"]
    await _advance(sandbox, 2)
    row = (await sandbox.get(f"/rectifications/{rid}", headers=clerk)).json()
    assert row["contact_overdue"] and row["status"] == "open"
    overdue = [e for e in row["events"] if e["type"] == "deadline.overdue"]
    assert [e["data"]["clock"] for e in overdue] == ["contact"]
    assert datetime.fromisoformat(overdue[0]["at"]) >= datetime.fromisoformat(row["contact_due_at"])
    alerts = (await sandbox.get("/alerts?status=open", headers=head)).json()
    mine = [a for a in alerts if a["case_id"] == cid and a["kind"] == "rectification"]
    assert [(a["kind"], a["level"], a["clock"]) for a in mine] == [
        ("rectification", "window_head", "contact")
    ]
    await _advance(sandbox, 5)
    alerts = (await sandbox.get("/alerts?status=open", headers=head)).json()
    # The case's own alerts (it is late too by now) stand apart: these are the rectification's.
    climbed = [a for a in alerts if a["case_id"] == cid and a["kind"] == "rectification"]
    assert sorted((a["level"], a["clock"]) for a in climbed) == [
        ("director", "contact"),
        ("discipline", "contact"),
        ("window_head", "contact"),
    ]
    # The window head acknowledges the first rung's alert; a clerk may not.
    first = next(a for a in mine if a["level"] == "window_head")
    r = await sandbox.post(f"/alerts/{first['id']}/ack", headers=clerk)
    assert r.status_code == 403, r.text
    r = await sandbox.post(f"/alerts/{first['id']}/ack", headers=head)
    assert r.status_code == 200 and r.json()["acked_by"] == "mz-head", r.text
    r = await sandbox.post(f"/alerts/{first['id']}/ack", headers=head)
    assert r.status_code == 409 and r.json()["error"]["code"] == "invalid_transition"
    r = await sandbox.post(f"/alerts/{rid}-A99/ack", headers=head)
    assert r.status_code == 404 and r.json()["error"]["code"] == "alert_not_found"


async def test_an_answer_within_fifteen_working_days_is_on_time_and_settles_the_alerts(
    sandbox: httpx.AsyncClient,
) -> None:
    clerk = await _token(sandbox, "mz-a")
    cid, rid = await _rated_badly(sandbox, clerk)
    await _advance(sandbox, 3)  # the contact is late
    for step, body in (
        ("contact", {"note": "电话联系申请人"}),
        ("rectify", {"action": "调整窗口排班"}),
        ("answer", {"text": "已答复申请人"}),
    ):
        r = await sandbox.post(f"/rectifications/{rid}/{step}", json=body, headers=clerk)
        assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "done" and done["on_time"] is True and done["contact_overdue"]

    async def settled() -> bool:
        alerts = (await sandbox.get("/alerts?status=open", headers=clerk)).json()
        return not [a for a in alerts if a["case_id"] == cid and a["kind"] == "rectification"]

    await eventually(settled)


async def test_the_fifteen_working_days_warn_a_day_ahead_then_go_overdue(
    sandbox: httpx.AsyncClient,
) -> None:
    clerk = await _token(sandbox, "mz-a")
    _, rid = await _rated_badly(sandbox, clerk)
    r = await sandbox.post(f"/rectifications/{rid}/contact", json={"note": "已联系"}, headers=clerk)
    assert r.status_code == 200, r.text
    row = r.json()
    opened, due = (datetime.fromisoformat(row[k]) for k in ("opened_at", "rectify_due_at"))
    assert (due - opened).days >= 19  # 15 working days span three weekends at least
    await _advance(sandbox, 30)
    row = (await sandbox.get(f"/rectifications/{rid}", headers=clerk)).json()
    assert row["overdue"] and not row["contact_overdue"] and row["status"] == "open"
    rectify = [e for e in row["events"] if e["data"].get("clock") == "rectify"]
    thresholds = [e["data"]["threshold"] for e in rectify]
    assert thresholds[:2] == ["warning", "overdue"] and set(thresholds[2:]) <= {"escalation"}
    warned, late = (datetime.fromisoformat(e["at"]) for e in rectify[:2])
    assert warned < due <= late
    # The answer comes late: done, but not on time.
    for step, body in (("rectify", {"action": "整改"}), ("answer", {"text": "已答复"})):
        r = await sandbox.post(f"/rectifications/{rid}/{step}", json=body, headers=clerk)
        assert r.status_code == 200, r.text
    assert r.json()["status"] == "done" and r.json()["on_time"] is False


async def test_a_step_retried_with_its_key_is_taken_once(sandbox: httpx.AsyncClient) -> None:
    clerk = await _token(sandbox, "mz-a")
    _, rid = await _rated_badly(sandbox, clerk)
    keyed = {**clerk, "Idempotency-Key": "contact-1"}
    url = f"/rectifications/{rid}/contact"
    first = await sandbox.post(url, json={"note": "已联系"}, headers=keyed)
    again = await sandbox.post(url, json={"note": "已联系"}, headers=keyed)
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    other = await sandbox.post(url, json={"note": "另一次"}, headers=keyed)
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_conflict"
    ops = await _token(sandbox, "ops")
    r = await sandbox.post(f"/rectifications/{rid}/rectify", json={"action": "x"}, headers=ops)
    assert r.status_code == 403
    # Another window's staff do not see it at all.
    r = await sandbox.get(f"/rectifications/{rid}", headers=await _token(sandbox, "sb-a"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "rectification_not_found"
    events = (await sandbox.get(f"/rectifications/{rid}", headers=clerk)).json()["events"]
    assert [e["type"] for e in events].count("rectification.contacted") == 1
