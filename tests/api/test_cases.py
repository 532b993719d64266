"""Cases through the HTTP API: intake to completion, errors, idempotency, PostgreSQL outages."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from banjian.embedded import EmbeddedPostgres
from tests.api.conftest import Api
from tests.conftest import eventually

# A valid resident identity number (check digit per GB 11643) and phone, for a made-up applicant.
ID_NUMBER = "11010519491231002X"
PHONE = "13912345678"


def new_case(service: str = "MZ-001", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "service_code": service,
        "applicant": {"name": "王小明", "id_number": ID_NUMBER, "phone": PHONE},
        "materials": [],
    }
    body.update(extra)
    return body


def required_materials(api: Api, service: str) -> list[str]:
    return [m.code for m in api.ctx.directories["SFZ"].services[service].materials if m.required]


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body


async def receive(api: Api, staff: str = "mz-a", **extra: Any) -> dict[str, Any]:
    body = new_case(materials=required_materials(api, "MZ-001"), **extra)
    r = await api.http.post("/cases", json=body, headers=api.auth(staff))
    assert r.status_code == 201, r.text
    case: dict[str, Any] = r.json()
    return case


async def projected(api: Api, case_id: str, last_seq: int) -> None:
    async def check() -> bool:
        r = await api.http.get(f"/cases/{case_id}", headers=api.auth("mz-a"))
        return r.status_code == 200 and r.json()["last_seq"] >= last_seq

    await eventually(check, within=60)


async def test_a_case_goes_from_intake_to_completion_with_its_events_in_order(api: Api) -> None:
    case = await receive(api)
    assert case["status"] == "received" and case["first_receiver"] == "mz-a"
    assert case["due_at"] is not None and case["due_at"].endswith("+08:00")
    assert case["applicant"]["id_number_masked"] == "110***********002X"
    assert isinstance(case["provisional"], bool)
    assert ID_NUMBER not in str(case)
    cid = case["case_id"]
    h = api.auth("mz-a")
    steps = [
        (
            "request-materials",
            {"missing": [required_materials(api, "MZ-001")[0]], "note": "复印件不清晰"},
        ),
        ("supply-materials", {"materials": [required_materials(api, "MZ-001")[0]]}),
        ("start-review", {}),
        ("complete", {"outcome": "approved", "note": "符合条件"}),
    ]
    for action, body in steps:
        r = await api.http.post(f"/cases/{cid}/{action}", json=body, headers=h)
        assert r.status_code == 200, r.text
    final = r.json()
    assert final["status"] == "completed" and final["outcome"] == "approved"
    await projected(api, cid, final["last_seq"])
    events = (await api.http.get(f"/cases/{cid}/events", headers=h)).json()
    assert [e["type"] for e in events] == [
        "case.received",
        "materials.requested",
        "clock.paused",
        "materials.supplied",
        "clock.resumed",
        "review.started",
        "case.completed",
    ]
    assert [e["seq"] for e in events] == list(range(1, 8))
    live = (await api.http.get(f"/cases/{cid}/events?consistent=true", headers=h)).json()
    assert live == events
    row = (await api.http.get(f"/cases/{cid}", headers=h)).json()
    assert row == (await api.http.get(f"/cases/{cid}?consistent=true", headers=h)).json()
    listed = (
        await api.http.get("/cases?status=completed&window=minzheng&limit=200", headers=h)
    ).json()
    assert cid in [c["case_id"] for c in listed["items"]]


async def test_missing_or_unknown_token_is_401(api: Api) -> None:
    assert_error(await api.http.get("/cases"), 401, "unauthorized")
    bad = {"Authorization": "Bearer bj_not-a-real-token"}
    assert_error(await api.http.get("/cases", headers=bad), 401, "unauthorized")


async def test_staff_outside_the_window_or_role_get_403(api: Api) -> None:
    r = await api.http.post("/cases", json=new_case(), headers=api.auth("sb-a"))
    assert_error(r, 403, "forbidden")
    case = await receive(api)
    r = await api.http.post(
        f"/cases/{case['case_id']}/start-review", json={}, headers=api.auth("ops")
    )
    assert_error(r, 403, "forbidden")
    r = await api.http.post(
        f"/cases/{case['case_id']}/extend",
        json={"days": 5, "reason": "现场核查"},
        headers=api.auth("mz-head"),
    )
    assert_error(r, 403, "forbidden")


async def test_unknown_case_and_service_are_404(api: Api) -> None:
    h = api.auth("mz-a")
    assert_error(await api.http.get("/cases/BJ-NOSUCHCASE", headers=h), 404, "case_not_found")
    r = await api.http.post("/cases/BJ-NOSUCHCASE/start-review", json={}, headers=h)
    assert_error(r, 404, "case_not_found")
    r = await api.http.post("/cases", json=new_case("NOPE-1"), headers=h)
    assert_error(r, 404, "service_not_found")


async def test_action_the_status_forbids_is_409_naming_action_and_status(api: Api) -> None:
    case = await receive(api)
    r = await api.http.post(
        f"/cases/{case['case_id']}/supply-materials",
        json={"materials": ["x"]},
        headers=api.auth("mz-a"),
    )
    body = assert_error(r, 409, "invalid_transition")
    assert "supply-materials" in body["error"]["message"] and "received" in body["error"]["message"]
    r = await api.http.post(
        f"/cases/{case['case_id']}/return", json={"reason": "不符合条件"}, headers=api.auth("mz-a")
    )
    assert r.status_code == 200
    r = await api.http.post(
        f"/cases/{case['case_id']}/start-review", json={}, headers=api.auth("mz-a")
    )
    body = assert_error(r, 409, "invalid_transition")
    assert "completed" in body["error"]["message"]


async def test_bad_input_is_422_and_never_echoes_personal_data(api: Api) -> None:
    h = api.auth("mz-a")
    bad_id = "110105194912310021"  # wrong check digit
    body = new_case()
    body["applicant"]["id_number"] = bad_id
    r = await api.http.post("/cases", json=body, headers=h)
    err = assert_error(r, 422, "validation_error")
    assert bad_id not in r.text and err["error"]["details"]
    r = await api.http.post("/cases", json=new_case(materials=["no-such-material"]), headers=h)
    assert_error(r, 422, "validation_error")
    case = await receive(api)
    r = await api.http.post(
        f"/cases/{case['case_id']}/complete", json={"outcome": "maybe"}, headers=h
    )
    assert_error(r, 422, "validation_error")
    r = await api.http.post(
        f"/cases/{case['case_id']}/reassign", json={"to_staff": "nobody"}, headers=h
    )
    assert_error(r, 422, "validation_error")


async def test_same_idempotency_key_creates_one_case_and_another_body_conflicts(api: Api) -> None:
    h = {**api.auth("mz-a"), "Idempotency-Key": str(uuid.uuid4())}
    body = new_case(materials=required_materials(api, "MZ-001"))
    first = await api.http.post("/cases", json=body, headers=h)
    again = await api.http.post("/cases", json=body, headers=h)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    other = {**body, "materials": body["materials"][:-1]}
    assert_error(await api.http.post("/cases", json=other, headers=h), 409, "idempotency_conflict")
    cid = first.json()["case_id"]
    act = {**api.auth("mz-a"), "Idempotency-Key": "review-" + cid}
    r1 = await api.http.post(f"/cases/{cid}/start-review", json={}, headers=act)
    r2 = await api.http.post(f"/cases/{cid}/start-review", json={}, headers=act)
    assert r1.status_code == r2.status_code == 200 and r1.json() == r2.json()
    live = (await api.http.get(f"/cases/{cid}/events?consistent=true", headers=h)).json()
    assert [e["type"] for e in live] == ["case.received", "review.started"]


async def test_an_action_key_reused_on_another_action_is_a_conflict_and_records_nothing(
    api: Api,
) -> None:
    case = await receive(api)
    cid = case["case_id"]
    act = {**api.auth("mz-a"), "Idempotency-Key": "key-" + cid}
    assert (await api.http.post(f"/cases/{cid}/start-review", json={}, headers=act)).is_success
    suspend = {"reason": "需现场核查", "expected_days": 5}
    r = await api.http.post(f"/cases/{cid}/suspend", json=suspend, headers=api.auth("mz-a"))
    assert r.is_success, r.text
    # The same key and the same empty body on another action: not a retry of the first.
    r = await api.http.post(f"/cases/{cid}/resume", json={}, headers=act)
    assert_error(r, 409, "idempotency_conflict")
    live = (await api.http.get(f"/cases/{cid}/events?consistent=true", headers=act)).json()
    assert [e["type"] for e in live][-1] != "clock.resumed"


async def test_actions_succeed_while_postgres_is_down_and_the_projection_catches_up(
    api: Api, postgres: EmbeddedPostgres
) -> None:
    case = await receive(api)
    cid, h = case["case_id"], api.auth("mz-a")
    await postgres.stop()
    try:
        for action, body in [
            ("start-review", {}),
            ("complete", {"outcome": "denied", "note": "不符"}),
        ]:
            r = await api.http.post(f"/cases/{cid}/{action}", json=body, headers=h)
            assert r.status_code == 200, r.text
            assert r.headers["Read-Model"] == "unavailable"  # done, not readable yet
        last_seq = r.json()["last_seq"]
    finally:
        await postgres.start()
    await projected(api, cid, last_seq)
    events = (await api.http.get(f"/cases/{cid}/events", headers=h)).json()
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert [e["type"] for e in events] == ["case.received", "review.started", "case.completed"]


NO_CASE = "/cases/BJ-0000000000"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/cases", new_case(applicant={"name": " ", "id_number": ID_NUMBER, "phone": PHONE}),
         ["applicant", "name"]),
        (f"{NO_CASE}/return", {"reason": " "}, ["reason"]),
        (f"{NO_CASE}/withdraw", {"reason": "\u3000"}, ["reason"]),
        (f"{NO_CASE}/designate-urgent", {"reason": "\t"}, ["reason"]),
        (f"{NO_CASE}/request-review", {"reason": " "}, ["reason"]),
        (f"{NO_CASE}/extend", {"days": 2, "reason": " \n"}, ["reason"]),
        (f"{NO_CASE}/suspend", {"reason": " ", "expected_days": 5}, ["reason"]),
        (f"{NO_CASE}/assign", {"to_staff": "mz-a", "days": 5, "reason": " "}, ["reason"]),
        (f"{NO_CASE}/forward", {"authority": "市民政局", "reference": " ", "days": 20},
         ["reference"]),
        (f"{NO_CASE}/chase", {"note": " "}, ["note"]),
        (f"{NO_CASE}/decide-review", {"decision": "confirm", "note": " "}, ["note"]),
        ("/staff/gt-a/leave", {"from": "2035-01-08", "to": "2035-01-09", "reason": " "},
         ["reason"]),
    ],
)  # fmt: skip
async def test_text_of_spaces_alone_is_refused_where_a_person_must_write_something(
    api: Api, path: str, body: dict[str, Any], field: list[str]
) -> None:
    r = await api.http.post(path, json=body, headers=api.auth("director"))
    details = assert_error(r, 422, "validation_error")["error"]["details"]
    assert [d["loc"] for d in details] == [["body", *field]]
