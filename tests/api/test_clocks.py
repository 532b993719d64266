"""The clocks through the API: the legal limit and its extension, the catalog's thresholds,
restart on supply, and the center's own alerts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from projections.alerts import raise_notice_missing
from tests.api.conftest import Api
from tests.api.test_cases import assert_error, new_case, projected, receive, required_materials


async def events(api: Api, case_id: str) -> list[dict[str, Any]]:
    r = await api.http.get(f"/cases/{case_id}/events", headers=api.auth("mz-a"))
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()
    return found


async def test_the_director_extends_the_legal_limit_once(api: Api) -> None:
    case = await receive(api)
    assert case["legal_due_at"] is not None and case["legal_due_at"] > case["due_at"]
    url = f"/cases/{case['case_id']}/extend"
    body = {"days": 10, "reason": "需要组织听证", "clock": "legal"}
    assert_error(await api.http.post(url, json=body, headers=api.auth("mz-head")), 403, "forbidden")
    bad = {**body, "clock": "notice"}
    assert_error(
        await api.http.post(url, json=bad, headers=api.auth("director")), 422, "validation_error"
    )
    r = await api.http.post(url, json=body, headers=api.auth("director"))
    assert r.status_code == 200, r.text
    extended = r.json()
    assert extended["legal_due_at"] > case["legal_due_at"]
    assert extended["due_at"] == case["due_at"]
    again = await api.http.post(url, json={**body, "days": 1}, headers=api.auth("director"))
    assert_error(again, 409, "invalid_transition")
    await projected(api, case["case_id"], extended["last_seq"])
    row = (await api.http.get(f"/cases/{case['case_id']}", headers=api.auth("mz-a"))).json()
    assert row["legal_due_at"] == extended["legal_due_at"]


async def test_a_service_s_own_thresholds_come_from_the_catalog(api: Api) -> None:
    body = new_case("GT-001", materials=required_materials(api, "GT-001"))
    r = await api.http.post("/cases", json=body, headers=api.auth("gt-a"))
    assert r.status_code == 201, r.text
    await projected(api, r.json()["case_id"], 1)
    received = (await events(api, r.json()["case_id"]))[0]
    assert received["data"]["clock_policy"] == {
        "warn_days": 2,  # the service's own
        "ladder": [["director", 1], ["discipline", 3]],  # the center's
        "on_supply": "pause",
        "signoff_days": 5,
    }


async def test_a_restarting_service_counts_anew_from_the_supply(api: Api) -> None:
    missing = "site_plan"
    materials = [m for m in required_materials(api, "GT-002") if m != missing]
    r = await api.http.post(
        "/cases", json=new_case("GT-002", materials=materials), headers=api.auth("gt-a")
    )
    assert r.status_code == 201, r.text
    case_id = r.json()["case_id"]
    h = api.auth("gt-a")
    r = await api.http.post(
        f"/cases/{case_id}/request-materials", json={"missing": [missing], "note": ""}, headers=h
    )
    assert r.status_code == 200, r.text
    r = await api.http.post(
        f"/cases/{case_id}/supply-materials", json={"materials": [missing]}, headers=h
    )
    assert r.status_code == 200, r.text
    await projected(api, case_id, r.json()["last_seq"])
    found = await events(api, case_id)
    restarted = [e for e in found if e["type"] == "clock.restarted"]
    assert len(restarted) == 1 and restarted[0]["data"]["due_at"] is not None


async def test_the_center_s_own_alert_is_listed_without_a_case_and_acknowledged_by_ops(
    api: Api,
) -> None:
    await raise_notice_missing(api.ctx.pool, 2099, datetime.now(UTC))
    r = await api.http.get("/alerts?level=ops&status=open", headers=api.auth("ops"))
    assert r.status_code == 200, r.text
    (alert,) = [a for a in r.json() if a["id"] == "CAL-2099-NOTICE"]
    # Listed only when asked for: the contract's list is of cases' alerts.
    everything = (await api.http.get("/alerts?limit=1000", headers=api.auth("ops"))).json()
    assert all(a["case_id"] is not None for a in everything)
    assert alert["case_id"] is None and alert["kind"] == "notice_missing"
    url = "/alerts/CAL-2099-NOTICE/ack"
    assert_error(await api.http.post(url, headers=api.auth("mz-head")), 403, "forbidden")
    r = await api.http.post(url, headers=api.auth("ops"))
    assert r.status_code == 200, r.text
    assert r.json()["acked_by"] == "ops"
    assert_error(
        await api.http.post("/alerts/CAL-1999-NOTICE/ack", headers=api.auth("ops")),
        404,
        "alert_not_found",
    )


async def test_a_late_department_in_the_sandbox_alerts_its_own_window(
    sandbox: httpx.AsyncClient,
) -> None:
    async def as_(staff: str) -> dict[str, str]:
        r = await sandbox.post("/sandbox/tokens", json={"staff_id": staff})
        return {"Authorization": f"Bearer {r.json()['token']}"}

    lead, canlian = await as_("mz-a"), await as_("cl-a")
    materials = ["id_card", "hukou_book", "application_form", "income_statement", "authorization"]
    r = await sandbox.post("/cases", json=new_case("MZ-002", materials=materials), headers=lead)
    assert r.status_code == 201, r.text
    url = f"/cases/{r.json()['case_id']}"
    assert (await sandbox.post(f"{url}/start-review", headers=lead)).status_code == 200
    r = await sandbox.post(
        f"{url}/request-signoff", json={"departments": ["canlian", "laodong"]}, headers=lead
    )
    assert r.status_code == 200, r.text
    assert all(x["due_at"] is not None for x in r.json()["signoffs"])
    body = {"department": "canlian", "decision": "approve", "comment": "同意"}
    assert (await sandbox.post(f"{url}/signoff", json=body, headers=canlian)).status_code == 200
    r = await sandbox.post("/sandbox/clock/advance", json={"days": 7})
    assert r.status_code == 200, r.text
    case = (await sandbox.get(url, headers=lead)).json()
    assert [(x["department"], x["overdue"]) for x in case["signoffs"]] == [
        ("canlian", False),
        ("laodong", True),
    ]
    alerts = (await sandbox.get("/alerts?window=laodong", headers=lead)).json()
    mine = [(a["kind"], a["level"], a["clock"]) for a in alerts if a["case_id"] == case["case_id"]]
    assert mine == [("overdue", "window_head", "signoff:laodong")]
