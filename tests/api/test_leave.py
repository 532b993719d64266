"""Staff leave through the API: the B post takes over the A post's open cases and hands back
those it has not acted on (AB岗); the first receiver never changes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from api.routers.leave import keeper
from centers.leave import LeaveKeeper, LeaveRefused, cover_for
from projections.center import Directory, StaffMember
from tests.api.conftest import Api
from tests.api.test_cases import ID_NUMBER, PHONE, assert_error, projected
from workflows.model import Role

TZ = ZoneInfo("Asia/Shanghai")


def today() -> date:
    return datetime.now(TZ).date()


async def receive(api: Api, service: str, clerk: str) -> str:
    materials = [m.code for m in api.ctx.directory.services[service].materials if m.required]
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

    # A retried registration, and the keeper running again, add nothing.
    again = await api.http.post("/staff/wj-a/leave", json=body, headers=head)
    assert again.status_code == 201 and again.json()["id"] == leave["id"]
    await keeper(api.ctx).start(leave["id"])
    await keeper(api.ctx).run_due()
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

    # Ending twice, or the keeper running again, changes nothing more.
    twice = await api.http.post(f"/staff/wj-a/leave/{leave['id']}/end", headers=api.auth("wj-head"))
    assert_error(twice, 409, "invalid_transition")
    await keeper(api.ctx).end(leave["id"])
    await keeper(api.ctx).run_due()
    assert [len(await reassignments(api, c)) for c in cases] == [1, 2, 2]

    history = await api.http.get("/staff/wj-a/leave", headers=api.auth("wj-a"))
    assert [x["id"] for x in history.json()] == [leave["id"]]
    running = await api.http.get("/leave", params={"window": "weijian"}, headers=head)
    assert leave["id"] not in [x["id"] for x in running.json()]


async def test_a_future_leave_starts_when_its_day_comes_and_ends_after_its_last(
    api: Api,
) -> None:
    case_id = await receive(api, "CL-002", "cl-a")
    tomorrow = today() + timedelta(days=1)
    r = await api.http.post(
        "/staff/cl-a/leave", json=leave_body(tomorrow, tomorrow), headers=api.auth("cl-head")
    )
    assert r.status_code == 201, r.text
    leave = r.json()
    assert leave["status"] == "upcoming" and leave["takeovers"] == []
    upcoming = await api.http.get("/leave", params={"window": "canlian"}, headers=api.auth("cl-a"))
    assert leave["id"] in [x["id"] for x in upcoming.json()]
    assert (await live(api, case_id))["assignee"] == "cl-a"

    def at(day: date) -> LeaveKeeper:
        async def now() -> datetime:
            return datetime(day.year, day.month, day.day, 9, tzinfo=TZ)

        return LeaveKeeper(api.ctx.client, api.ctx.pool, TZ, now)

    await at(today()).run_due()
    assert (await live(api, case_id))["assignee"] == "cl-a"
    await at(tomorrow).run_due()
    assert (await live(api, case_id))["assignee"] == "cl-b"
    await at(tomorrow + timedelta(days=1)).run_due()
    assert (await live(api, case_id))["assignee"] == "cl-a"
    [after] = (await api.http.get("/staff/cl-a/leave", headers=api.auth("cl-head"))).json()
    assert after["status"] == "ended"
    assert [(t["case_id"], t["outcome"]) for t in after["takeovers"]] == [(case_id, "handed_back")]


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
        "x-a": StaffMember("x-a", "甲", Role.CLERK, "x", "A"),
        "x-head": StaffMember("x-head", "乙", Role.WINDOW_HEAD, "x", None),
    }
    directory = Directory({"x": "某窗口"}, staff, {}, {})
    with pytest.raises(LeaveRefused, match="no B-post clerk"):
        cover_for(directory, "x-a")
    staff["x-b"] = StaffMember("x-b", "丙", Role.CLERK, "x", "B")
    assert cover_for(directory, "x-a")[1].id == "x-b"


async def test_in_the_sandbox_the_days_of_a_leave_are_the_sandbox_clocks(
    sandbox_app: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, sandbox = sandbox_app

    async def auth(staff: str) -> dict[str, str]:
        r = await sandbox.post("/sandbox/tokens", json={"staff_id": staff})
        return {"Authorization": f"Bearer {r.json()['token']}"}

    clerk, head = await auth("ny-a"), await auth("ny-head")
    materials = [m.code for m in app.state.context.directory.services["NY-002"].materials]
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
