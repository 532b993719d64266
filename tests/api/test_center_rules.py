"""The center's rules through the API: urgent cases first, withdrawal, orphan matters,
upward cases, the review of a return, and the one-time notice."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.api.test_cases import assert_error, new_case, receive, required_materials
from tests.conftest import eventually


async def attempt(api: Api, staff: str, path: str, body: dict[str, Any]) -> Any:
    return await api.http.post(path, json=body, headers=api.auth(staff))


async def post(api: Api, staff: str, path: str, body: dict[str, Any] | None = None) -> Any:
    r = await api.http.post(path, json=body or {}, headers=api.auth(staff))
    assert r.status_code in (200, 201), r.text
    return r.json()


async def test_only_the_director_makes_a_case_urgent_and_urgent_cases_come_first(api: Api) -> None:
    # Received by a clerk no other test receives with, so the list holds these two only.
    first, second = await receive(api, "mz-b"), await receive(api, "mz-b")
    mine = "/cases?first_receiver=mz-b&status=received"
    url = f"/cases/{first['case_id']}/designate-urgent"
    assert_error(
        await api.http.post(url, json={"reason": "急需"}, headers=api.auth("mz-a")),
        403,
        "forbidden",
    )
    urgent = await post(api, "director", url, {"reason": "群众就医急需"})
    assert urgent["urgent"] is True

    async def listed_first() -> bool:
        r = await api.http.get(f"{mine}&limit=2", headers=api.auth("mz-a"))
        items = r.json()["items"]
        return bool(items) and items[0]["case_id"] == first["case_id"]

    await eventually(listed_first)
    # Paging past the urgent ones reaches the rest, newest first.
    page = (await api.http.get(f"{mine}&limit=1", headers=api.auth("mz-a"))).json()
    rest = await api.http.get(
        f"{mine}&limit=1&cursor={page['next_cursor']}", headers=api.auth("mz-a")
    )
    assert rest.status_code == 200
    assert [c["case_id"] for c in rest.json()["items"]] == [second["case_id"]]


async def test_the_applicant_withdraws_through_staff(api: Api) -> None:
    case = await receive(api)
    url = f"/cases/{case['case_id']}/withdraw"
    assert_error(
        await api.http.post(url, json={}, headers=api.auth("mz-a")), 422, "validation_error"
    )
    done = await post(api, "mz-a", url, {"reason": "申请人已在异地办理"})
    assert (done["status"], done["outcome"]) == ("completed", "withdrawn")


async def test_an_orphan_matter_is_assigned_and_completed(api: Api) -> None:
    body = new_case("ZH-900", materials=[])
    case = await post(api, "director", "/cases", body)
    assert case["kind"] == "orphan" and case["due_at"] is None
    url = f"/cases/{case['case_id']}"
    bad = {"to_staff": "director", "days": 3, "reason": "x"}
    assert_error(
        await api.http.post(f"{url}/assign", json=bad, headers=api.auth("director")),
        422,
        "validation_error",
    )
    assigned = await post(
        api,
        "director",
        f"{url}/assign",
        {"to_staff": "gt-a", "days": 3, "reason": "由国土村建牵头"},
    )
    assert (assigned["window"], assigned["assignee"]) == ("guotu", "gt-a")
    assert assigned["due_at"] is not None
    await post(api, "gt-a", f"{url}/start-review")
    done = await post(api, "gt-a", f"{url}/complete", {"outcome": "approved", "note": "已协调解决"})
    assert done["status"] == "completed"


async def test_an_upward_case_is_forwarded_chased_and_decided(api: Api) -> None:
    body = new_case("SB-004", materials=required_materials(api, "SB-004"))
    case = await post(api, "sb-a", "/cases", body)
    url = f"/cases/{case['case_id']}"
    await post(api, "sb-a", f"{url}/start-review")
    r = await api.http.post(
        f"{url}/complete", json={"outcome": "approved"}, headers=api.auth("sb-a")
    )
    assert_error(r, 409, "invalid_transition")
    forwarded = await post(
        api,
        "sb-a",
        f"{url}/forward",
        {"authority": "县人社局", "reference": "县人社〔2026〕118号", "days": 10},
    )
    assert forwarded["upward"]["authority"] == "县人社局"
    assert forwarded["upward"]["due_at"].endswith("+08:00")
    chased = await post(api, "sb-a", f"{url}/chase", {"note": "电话催办"})
    assert chased["upward"]["chased"] == 1
    decided = await post(api, "sb-a", f"{url}/record-decision", {"decision": "approved"})
    assert decided["upward"]["decision"] == "approved"
    done = await post(api, "sb-a", f"{url}/complete", {"outcome": "approved", "note": "办结"})
    assert done["status"] == "completed"


async def test_a_return_is_reviewed_and_reopened_by_the_director(api: Api) -> None:
    case = await receive(api)
    url = f"/cases/{case['case_id']}"
    returned = await post(api, "mz-a", f"{url}/return", {"reason": "申请人不符合条件"})
    assert returned["outcome"] == "returned" and returned["review"]["until"] is not None
    await post(api, "mz-a", f"{url}/request-review", {"reason": "申请人请求复核"})
    decide = {"decision": "reopen", "note": "退回依据不足"}
    r = await api.http.post(f"{url}/decide-review", json=decide, headers=api.auth("mz-head"))
    assert_error(r, 403, "forbidden")
    reopened = await post(api, "director", f"{url}/decide-review", decide)
    assert (reopened["status"], reopened["outcome"]) == ("under_review", None)


async def test_a_materials_request_leaving_out_a_known_missing_material_is_refused(
    api: Api,
) -> None:
    required = required_materials(api, "MZ-001")
    case = await post(api, "mz-a", "/cases", new_case(materials=required[:-2]))
    url = f"/cases/{case['case_id']}/request-materials"
    r = await api.http.post(url, json={"missing": [required[-1]]}, headers=api.auth("mz-a"))
    body = assert_error(r, 422, "validation_error")
    assert "一次性告知" in body["error"]["message"] and required[-2] in body["error"]["message"]
    ok = await post(api, "mz-a", url, {"missing": required[-2:], "note": "请一次补齐"})
    assert ok["status"] == "needs_materials"
