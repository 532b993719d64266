"""Staff leave through the API: the B post takes over the A post's open cases and hands back
those it has not acted on (AB岗); the first receiver never changes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from centers.leave import LeaveClient, LeaveRefused, cover_for, leave_input
from projections import leave as store
from projections.center import Directory, StaffMember
from tests.api.conftest import Api
from tests.api.test_cases import ID_NUMBER, PHONE, assert_error, projected
from workflows.model import Role

TZ = ZoneInfo("Asia/Shanghai")


def today() -> date:
    return datetime.now(TZ).date()


async def receive(api: Api, service: str, clerk: str) -> str:
    materials = [
        m.code for m in api.ctx.directories["SFZ"].services[service].materials if m.required
    ]
    body = {
        "service_code": service,
        "applicant": {"name": "赵小红", "id_number": ID_NUMBER, "phone": PHONE},
        "materials": materials,
    }
    r = await api.http.post("/cases", json=body, headers=api.auth(clerk))
    assert r.status_code == 201, r.text
    case: dict[str, Any] = r.json()
    await projected(api, case["case_id"], case["last_seq"])
    return str(case["case_id"])


async def reassignments(api: Api, case_id: str) -> list[dict[str, Any]]:
    r = await api.http.get(
        f"/cases/{case_id}/events", params={"consistent": "true"}, headers=api.auth("director")
    )
    assert r.status_code == 200, r.text
    return [e for e in r.json() if e["type"] == "case.reassigned"]


async def live(api: Api, case_id: str) -> dict[str, Any]:
    r = await api.http.get(
        f"/cases/{case_id}", params={"consistent": "true"}, headers=api.auth("director")
    )
    assert r.status_code == 200, r.text
    case: dict[str, Any] = r.json()
    return case


def leave_body(first: date, last: date) -> dict[str, str]:
    return {"from": first.isoformat(), "to": last.isoformat(), "reason": "病假"}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


async def sandbox_auth(sandbox: httpx.AsyncClient, staff: str) -> dict[str, str]:
    r = await sandbox.post("/sandbox/tokens", json={"staff_id": staff})
    return {"Authorization": f"Bearer {r.json()['token']}"}


async def sandbox_now(sandbox: httpx.AsyncClient) -> datetime:
    return datetime.fromisoformat((await sandbox.get("/sandbox/clock")).json()["now"])


async def advance_to(sandbox: httpx.AsyncClient, instant: datetime) -> None:
    """Move the sandbox's clock on to ``instant`` (it must lie ahead)."""
    hours = (instant - await sandbox_now(sandbox)).total_seconds() / 3600
    assert hours > 0, f"{instant} has passed on the sandbox's clock"
    r = await sandbox.post("/sandbox/clock/advance", json={"hours": hours})
    assert r.status_code == 200, r.text


async def sandbox_receive(
    sandbox: httpx.AsyncClient, app: FastAPI, service: str, clerk: dict[str, str]
) -> str:
    materials = [m.code for m in app.state.context.directories["SFZ"].services[service].materials]
    body = {
        "service_code": service,
        "applicant": {"name": "赵小红", "id_number": ID_NUMBER, "phone": PHONE},
        "materials": materials,
    }
    r = await sandbox.post("/cases", json=body, headers=clerk)
    assert r.status_code == 201, r.text
    return str(r.json()["case_id"])


async def sandbox_assignee(sandbox: httpx.AsyncClient, case_id: str, h: dict[str, str]) -> str:
    case = (await sandbox.get(f"/cases/{case_id}?consistent=true", headers=h)).json()
    return str(case["assignee"])


async def test_the_b_post_takes_over_and_hands_back_what_it_has_not_acted_on(api: Api) -> None:
    cases = [await receive(api, "WJ-002", "wj-a") for _ in range(3)]
    head = api.auth("wj-head") | {"Idempotency-Key": "leave-wj-a-1"}
    body = leave_body(today(), today() + timedelta(days=2))

    r = await api.http.post("/staff/wj-a/leave", json=body, headers=head)
    assert r.status_code == 201, r.text
    leave = r.json()
    assert (leave["from"], leave["to"], leave["status"]) == (body["from"], body["to"], "current")
    assert leave["cover_staff"] == "wj-b" and leave["registered_by"] == "wj-head"
    taken = {t["case_id"]: t for t in leave["takeovers"]}
    assert set(cases) <= set(taken)
    for case_id in cases:
        [event] = await reassignments(api, case_id)
        assert event["actor"] == "wj-head" and event["data"]["kind"] == "takeover"
        assert (event["data"]["from_staff"], event["data"]["to_staff"]) == ("wj-a", "wj-b")
        assert event["data"]["reason"].startswith("AB岗顶岗：赵丽娟 请假")
        assert taken[case_id]["takeover_seq"] == event["seq"]
        case = await live(api, case_id)
        assert (case["assignee"], case["first_receiver"]) == ("wj-b", "wj-a")

    # A retried registration, and its workflow started again, add nothing.
    again = await api.http.post("/staff/wj-a/leave", json=body, headers=head)
    assert again.status_code == 201 and again.json()["id"] == leave["id"]
    leaves = LeaveClient(api.ctx.client, api.ctx.task_queue)
    assert not await leaves.start(
        leave_input(leave["id"], today(), today() + timedelta(days=2), TZ)
    )
    await leaves.settled(leave["id"])
    assert [len(await reassignments(api, c)) for c in cases] == [1, 1, 1]

    acted = await api.http.post(
        f"/cases/{cases[0]}/start-review", json={}, headers=api.auth("wj-b")
    )
    assert acted.status_code == 200, acted.text

    r = await api.http.post(f"/staff/wj-a/leave/{leave['id']}/end", headers=api.auth("wj-head"))
    assert r.status_code == 200, r.text
    ended = r.json()
    assert ended["status"] == "ended" and ended["returned_on"] == today().isoformat()
    outcome = {t["case_id"]: t for t in ended["takeovers"]}
    assert outcome[cases[0]]["outcome"] == "kept" and "acted" in outcome[cases[0]]["why"]
    assert (await live(api, cases[0]))["assignee"] == "wj-b"
    for case_id in cases[1:]:
        assert outcome[case_id]["outcome"] == "handed_back"
        _, handback = await reassignments(api, case_id)
        assert handback["data"]["kind"] == "handback" and handback["data"]["to_staff"] == "wj-a"
        assert outcome[case_id]["handback_seq"] == handback["seq"]
        case = await live(api, case_id)
        assert (case["assignee"], case["first_receiver"]) == ("wj-a", "wj-a")

    # Ending twice, or its workflow told again that A is back, changes nothing more.
    twice = await api.http.post(f"/staff/wj-a/leave/{leave['id']}/end", headers=api.auth("wj-head"))
    assert_error(twice, 409, "invalid_transition")
    recorded = await store.get_leave(api.ctx.pool, leave["id"])
    assert recorded is not None
    await leaves.end_early(recorded, TZ)
    assert [len(await reassignments(api, c)) for c in cases] == [1, 2, 2]

    history = await api.http.get("/staff/wj-a/leave", headers=api.auth("wj-a"))
    assert [x["id"] for x in history.json()] == [leave["id"]]
    running = await api.http.get("/leave", params={"window": "weijian"}, headers=head)
    assert leave["id"] not in [x["id"] for x in running.json()]


async def test_a_future_leave_starts_when_its_day_comes_and_ends_after_its_last(
    sandbox_app: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, sandbox = sandbox_app
    clerk, head = await sandbox_auth(sandbox, "cl-a"), await sandbox_auth(sandbox, "cl-head")
    case_id = await sandbox_receive(sandbox, app, "CL-002", clerk)
    now = await sandbox_now(sandbox)
    # Tomorrow, unless tomorrow is less than an hour away.
    tomorrow = now.date() + timedelta(days=1 if now.hour < 23 else 2)
    r = await sandbox.post("/staff/cl-a/leave", json=leave_body(tomorrow, tomorrow), headers=head)
    assert r.status_code == 201, r.text
    leave = r.json()
    assert leave["status"] == "upcoming" and leave["takeovers"] == []
    upcoming = await sandbox.get("/leave", params={"window": "canlian"}, headers=clerk)
    assert leave["id"] in [x["id"] for x in upcoming.json()]
    assert await sandbox_assignee(sandbox, case_id, clerk) == "cl-a"

    await advance_to(sandbox, at(tomorrow, 0) - timedelta(minutes=5))  # the evening before
    assert await sandbox_assignee(sandbox, case_id, clerk) == "cl-a"
    await advance_to(sandbox, at(tomorrow, 9))
    assert await sandbox_assignee(sandbox, case_id, clerk) == "cl-b"
    await advance_to(sandbox, at(tomorrow + timedelta(days=1), 9))
    assert await sandbox_assignee(sandbox, case_id, clerk) == "cl-a"
    [after] = (await sandbox.get("/staff/cl-a/leave", headers=head)).json()
    assert after["status"] == "ended"
    assert [(t["case_id"], t["outcome"]) for t in after["takeovers"]] == [(case_id, "handed_back")]


async def test_a_leave_registered_for_next_monday_takes_over_on_monday_and_hands_back_on_return(
    sandbox_app: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, sandbox = sandbox_app
    clerk, head = await sandbox_auth(sandbox, "ld-a"), await sandbox_auth(sandbox, "ld-head")
    case_id = await sandbox_receive(sandbox, app, "LD-004", clerk)
    today_ = (await sandbox_now(sandbox)).date()
    days = 7 - today_.weekday()  # next Monday, or the one after when that is tomorrow
    monday = today_ + timedelta(days=days if days > 1 else days + 7)
    tuesday, wednesday = monday + timedelta(days=1), monday + timedelta(days=2)
    r = await sandbox.post("/staff/ld-a/leave", json=leave_body(monday, tuesday), headers=head)
    assert r.status_code == 201, r.text
    leave_id = r.json()["id"]
    assert r.json()["status"] == "upcoming"

    await advance_to(sandbox, at(monday, 0) - timedelta(hours=1))  # Sunday night
    assert await sandbox_assignee(sandbox, case_id, clerk) == "ld-a"
    await advance_to(sandbox, at(monday, 8, 30))
    assert await sandbox_assignee(sandbox, case_id, clerk) == "ld-b"
    [current] = [
        x for x in (await sandbox.get("/leave", headers=clerk)).json() if x["id"] == leave_id
    ]
    assert current["status"] == "current"
    assert datetime.fromisoformat(current["started_at"]).date() == monday
    [taken] = [t for t in current["takeovers"] if t["case_id"] == case_id]
    assert taken["takeover_seq"] is not None and taken["outcome"] is None

    await advance_to(sandbox, at(tuesday, 17, 30))  # still the leave's last day
    assert await sandbox_assignee(sandbox, case_id, clerk) == "ld-b"
    await advance_to(sandbox, at(wednesday, 8, 30))
    assert await sandbox_assignee(sandbox, case_id, clerk) == "ld-a"
    [ended] = [
        x
        for x in (await sandbox.get("/staff/ld-a/leave", headers=head)).json()
        if x["id"] == leave_id
    ]
    assert ended["status"] == "ended"
    assert datetime.fromisoformat(ended["ended_at"]).date() == wednesday
    [back] = [t for t in ended["takeovers"] if t["case_id"] == case_id]
    assert back["outcome"] == "handed_back" and back["handback_seq"] > taken["takeover_seq"]


async def test_only_the_window_head_or_the_director_registers_leave(api: Api) -> None:
    body = leave_body(today() + timedelta(days=30), today() + timedelta(days=31))
    for staff in ("wj-a", "wj-b", "mz-head"):
        r = await api.http.post("/staff/wj-a/leave", json=body, headers=api.auth(staff))
        assert_error(r, 403, "forbidden")
    r = await api.http.post("/staff/nobody/leave", json=body, headers=api.auth("director"))
    assert_error(r, 404, "staff_not_found")


async def test_leave_is_for_an_a_post_clerk_with_a_b_post_and_sensible_dates(api: Api) -> None:
    h = api.auth("wj-head")
    later = today() + timedelta(days=40)
    for staff in ("wj-b", "wj-head"):
        r = await api.http.post(f"/staff/{staff}/leave", json=leave_body(later, later), headers=h)
        assert_error(r, 422, "validation_error")
    bad = [
        leave_body(later, later - timedelta(days=1)),
        leave_body(today() - timedelta(days=3), today() - timedelta(days=1)),
        {"from": "2026-13-01", "to": "2026-13-02", "reason": "事假"},
        {"from": later.isoformat(), "to": later.isoformat(), "reason": ""},
    ]
    for body in bad:
        r = await api.http.post("/staff/wj-a/leave", json=body, headers=h)
        assert_error(r, 422, "validation_error")


def test_a_window_without_a_b_post_cannot_cover_an_absence() -> None:
    staff = {
        "x-a": StaffMember("x-a", "甲", Role.CLERK, "x", "A", "T"),
        "x-head": StaffMember("x-head", "乙", Role.WINDOW_HEAD, "x", None, "T"),
    }
    directory = Directory("T", "测试中心", {}, {"x": "某窗口"}, staff, {}, {})
    with pytest.raises(LeaveRefused, match="no B-post clerk"):
        cover_for(directory, "x-a")
    staff["x-b"] = StaffMember("x-b", "丙", Role.CLERK, "x", "B", "T")
    assert cover_for(directory, "x-a")[1].id == "x-b"


async def test_in_the_sandbox_the_days_of_a_leave_are_the_sandbox_clocks(
    sandbox_app: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, sandbox = sandbox_app

    async def auth(staff: str) -> dict[str, str]:
        r = await sandbox.post("/sandbox/tokens", json={"staff_id": staff})
        return {"Authorization": f"Bearer {r.json()['token']}"}

    clerk, head = await auth("ny-a"), await auth("ny-head")
    materials = [m.code for m in app.state.context.directories["SFZ"].services["NY-002"].materials]
    body = {
        "service_code": "NY-002",
        "applicant": {"name": "赵小红", "id_number": ID_NUMBER, "phone": PHONE},
        "materials": materials,
    }
    case_id = (await sandbox.post("/cases", json=body, headers=clerk)).json()["case_id"]
    moved = await sandbox.post("/sandbox/clock/advance", json={"days": 3})
    day = datetime.fromisoformat(moved.json()["now"]).date()
    assert day > today()

    r = await sandbox.post("/staff/ny-a/leave", json=leave_body(day, day), headers=head)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "current"
    case = (await sandbox.get(f"/cases/{case_id}?consistent=true", headers=clerk)).json()
    assert case["assignee"] == "ny-b"

    await sandbox.post("/sandbox/clock/advance", json={"days": 1})  # A is back
    case = (await sandbox.get(f"/cases/{case_id}?consistent=true", headers=clerk)).json()
    assert (case["assignee"], case["first_receiver"]) == ("ny-a", "ny-a")
