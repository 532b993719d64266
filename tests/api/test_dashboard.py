"""The dashboard endpoints and /metrics, driven by real cases through the API.

The database is shared with every other test, so each test works in a window
no other test uses and checks what its own cases changed.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from projections.alerts import raise_notice_missing
from projections.center import create_token
from tests.api.conftest import Api
from tests.api.test_alerts import past_due
from tests.api.test_cases import new_case
from tests.conftest import eventually


async def ld_clerk(api: Api) -> dict[str, str]:
    if "ld-a" not in api.tokens:
        api.tokens["ld-a"] = await create_token(api.ctx.pool, "SFZ", "ld-a")
    return api.auth("ld-a")


async def summary(api: Api, staff: str = "director", **query: str) -> dict[str, Any]:
    r = await api.http.get("/dashboard/summary", params=query, headers=api.auth(staff))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def receive(api: Api, service: str, materials: list[str]) -> dict[str, Any]:
    r = await api.http.post(
        "/cases", json=new_case(service, materials=materials), headers=await ld_clerk(api)
    )
    assert r.status_code == 201, r.text
    case: dict[str, Any] = r.json()
    return case


async def test_summary_counts_the_cases_of_a_window_and_a_range(api: Api) -> None:
    before = await summary(api, window="laodong")
    today = date.fromisoformat(
        (await api.http.get("/dashboard/me", headers=api.auth("director"))).json()["today"]
    )
    clerk = await ld_clerk(api)
    quick = await receive(api, "LD-001", ["id_card", "labor_contract"])
    r = await api.http.post(
        f"/cases/{quick['case_id']}/complete",
        json={"outcome": "approved", "note": "当场办结"},
        headers=clerk,
    )
    assert r.status_code == 200, r.text
    review = await receive(api, "LD-004", ["id_card", "application_form"])
    r = await api.http.post(f"/cases/{review['case_id']}/start-review", headers=clerk)
    assert r.status_code == 200, r.text
    await receive(api, "LD-004", ["id_card", "application_form"])

    async def projected() -> bool:
        s = await summary(api, window="laodong")
        return bool(
            s["received"] == before["received"] + 3 and s["completed"] > before["completed"]
        )

    await eventually(projected)
    after = await summary(api, window="laodong")
    delta = {k: after["by_status"][k] - before["by_status"][k] for k in after["by_status"]}
    assert delta == {
        "received": 1,
        "needs_materials": 0,
        "under_review": 1,
        "joint_signoff": 0,
        "completed": 1,
    }
    assert after["by_kind"]["immediate"] - before["by_kind"]["immediate"] == 1
    assert after["by_kind"]["promised"] - before["by_kind"]["promised"] == 2
    assert after["completed"] - before["completed"] == 1
    assert after["completed_on_time"] - before["completed_on_time"] == 1
    assert 0 <= after["on_time_rate"] <= 1 and after["window"] == "laodong"
    assert after["handling"]["immediate"]["completed"] >= 1
    lin = next(c for c in after["by_clerk"] if c["staff_id"] == "ld-a")
    assert lin["name"] == "林晓东" and lin["open"] >= 2

    day = today.isoformat()
    same_day = await summary(api, window="laodong", **{"from": day, "to": day})
    assert same_day["received"] >= 3 and same_day["completed"] >= 1
    yesterday = (today - timedelta(days=1)).isoformat()
    nothing = await summary(api, window="laodong", **{"from": "2001-01-01", "to": yesterday})
    assert nothing["received"] == 0 and nothing["completed"] == 0
    assert nothing["on_time_rate"] is None and nothing["by_status"]["received"] == 0
    centre = await summary(api)
    assert centre["window"] is None and centre["received"] >= after["received"]


async def test_summary_rejects_bad_dates_and_windows_with_validation_error(api: Api) -> None:
    for query in (
        {"from": "2026-13-01"},
        {"to": "2026-3-1"},
        {"from": "1700000000"},
        {"from": "2026-03-10", "to": "2026-03-01"},
        {"window": "nowhere"},
    ):
        r = await api.http.get("/dashboard/summary", params=query, headers=api.auth("director"))
        assert r.status_code == 422, (query, r.text)
        assert r.json()["error"]["code"] == "validation_error"
    r = await api.http.get("/dashboard/summary")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"


async def test_window_staff_see_their_window_by_default_and_the_director_the_center(
    api: Api,
) -> None:
    assert (await summary(api, "mz-head"))["window"] == "minzheng"
    assert (await summary(api, "mz-a"))["window"] == "minzheng"
    assert (await summary(api, "mz-head", window="all"))["window"] is None
    assert (await summary(api, "mz-head", window="shebao"))["window"] == "shebao"
    assert (await summary(api, "director"))["window"] is None
    assert (await summary(api, "ops"))["window"] is None


async def test_the_director_enters_deductions_and_the_ranking_shows_them(api: Api) -> None:
    month = "2030-05"
    body = {
        "window": "laodong",
        "kind": "complaint_upheld",
        "on": "2030-05-06",
        "note": "投诉查证属实",
    }
    r = await api.http.post("/dashboard/deductions", json=body, headers=api.auth("mz-head"))
    assert r.status_code == 403
    for bad in (
        {**body, "kind": "case_overdue"},
        {**body, "on": "2030-5-6"},
        {**body, "window": "nowhere"},
        {**body, "extra": 1},
    ):
        r = await api.http.post("/dashboard/deductions", json=bad, headers=api.auth("director"))
        assert r.status_code == 422, (bad, r.text)
    r = await api.http.post("/dashboard/deductions", json=body, headers=api.auth("director"))
    assert r.status_code == 201, r.text
    assert r.json()["points"] == 10 and r.json()["recorded_by"] == "director"
    r = await api.http.get(f"/dashboard/ranking?month={month}", headers=api.auth("mz-a"))
    assert r.status_code == 200, r.text
    ranking = r.json()
    scores = {w["window"]: w for w in ranking["windows"]}
    assert scores["laodong"]["score"] == 90 and scores["laodong"]["by_kind"] == {
        "complaint_upheld": 10
    }
    assert (
        ranking["windows"][-1]["window"] == "laodong" and ranking["points"]["higher_notice"] == 50
    )
    assert len(ranking["windows"]) == 8
    listed = await api.http.get(
        f"/dashboard/deductions?month={month}&window=laodong", headers=api.auth("director")
    )
    assert [d["kind"] for d in listed.json()] == ["complaint_upheld"]
    r = await api.http.get("/dashboard/ranking?month=2030-13", headers=api.auth("director"))
    assert r.status_code == 422


async def test_trend_and_lists_answer_for_the_page(api: Api) -> None:
    r = await api.http.get("/dashboard/trend?window=laodong", headers=api.auth("director"))
    assert r.status_code == 200 and len(r.json()["days"]) == 30
    r = await api.http.get(
        "/dashboard/trend?from=2020-01-01&to=2026-01-01", headers=api.auth("director")
    )
    assert r.status_code == 422
    for which in ("overdue", "at_risk"):
        r = await api.http.get(f"/dashboard/cases?list={which}", headers=api.auth("ops"))
        assert r.status_code == 200 and r.json()["window"] is None
    r = await api.http.get("/dashboard/cases?list=late", headers=api.auth("ops"))
    assert r.status_code == 422


def metric(text: str, name: str, **labels: str) -> float:
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        m = re.fullmatch(rf"{name}(?:\{{(.*)\}})? (\S+)", line)
        if m and ",".join(sorted((m.group(1) or "").split(","))) == want:
            return float(m.group(2))
    return 0.0


async def test_metrics_report_the_read_model_and_the_actions(api: Api) -> None:
    before = (await api.root.get("/metrics")).text
    case = await receive(api, "LD-002", ["id_card", "registration_form"])
    r = await api.http.post(
        f"/cases/{case['case_id']}/supply-materials",
        json={"materials": ["id_card"]},
        headers=await ld_clerk(api),
    )
    assert r.status_code == 409
    s = await summary(api, window="laodong")
    pool = api.ctx.pool

    async def agrees() -> bool:
        text = (await api.root.get("/metrics")).text
        received = metric(text, "banjian_cases", status="received", window="laodong")
        return bool(received == (await summary(api, window="laodong"))["by_status"]["received"])

    await eventually(agrees)
    text = (await api.root.get("/metrics")).text
    assert s["received"] >= 1
    for labels in (
        {"action": "receive", "outcome": "accepted"},
        {"action": "supply-materials", "outcome": "rejected"},
    ):
        grew = metric(text, "banjian_actions_total", **labels)
        assert grew == metric(before, "banjian_actions_total", **labels) + 1, labels
    assert 'banjian_action_seconds_bucket{action="receive",le="+Inf"}' in text
    for r_ in await pool.fetch(
        "select kind, level, acked_at is null as open, count(*) as n from alerts group by 1, 2, 3"
    ):
        state = "open" if r_["open"] else "acked"
        got = metric(
            text, "banjian_alerts_raised_total", kind=r_["kind"], level=r_["level"], state=state
        )
        assert got == r_["n"]
    delivered = await pool.fetchval(
        "select count(distinct alert_id) from alert_deliveries where ok"
    )
    assert metric(text, "banjian_alerts_delivered_total") == delivered
    assert "banjian_timers_pending " in text


async def test_overdue_cases_and_their_alerts_reach_the_summary_and_the_score(
    sandbox: httpx.AsyncClient,
) -> None:
    token = (await sandbox.post("/sandbox/tokens", json={"staff_id": "zh-a"})).json()["token"]
    head = (await sandbox.post("/sandbox/tokens", json={"staff_id": "zh-head"})).json()["token"]
    h, hh = {"Authorization": f"Bearer {token}"}, {"Authorization": f"Bearer {head}"}

    async def figures() -> dict[str, Any]:
        r = await sandbox.get("/dashboard/summary", headers=hh)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    before = await figures()
    body = new_case("ZH-001", materials=["id_card", "photo", "residence_proof"])
    r = await sandbox.post("/cases", json=body, headers=h)
    assert r.status_code == 201, r.text
    case = r.json()
    await past_due(sandbox, case)
    after = await figures()
    assert after["window"] == "zonghe"
    assert after["overdue_now"] - before["overdue_now"] == 1
    assert after["open_alerts"] - before["open_alerts"] >= 2  # the warning and the breach
    listed = (await sandbox.get("/dashboard/cases?list=overdue", headers=hh)).json()["items"]
    assert case["case_id"] in [c["case_id"] for c in listed]
    assert "applicant" not in listed[0]
    month = (await sandbox.get("/sandbox/clock")).json()["now"][:7]
    ranking = (await sandbox.get(f"/dashboard/ranking?month={month}", headers=hh)).json()
    zonghe = next(w for w in ranking["windows"] if w["window"] == "zonghe")
    assert zonghe["by_kind"].get("case_overdue", 0) >= 2


async def test_the_summary_counts_the_open_alerts_the_list_shows_and_the_center_s_apart(
    api: Api,
) -> None:
    await raise_notice_missing(api.ctx.pool, 2097, datetime.now(UTC))
    h = api.auth("director")
    try:
        whole = await summary(api)
        listed = (await api.http.get("/alerts?status=open&limit=1000", headers=h)).json()
        center = (await api.http.get("/alerts?status=open&level=ops", headers=h)).json()
        assert whole["window"] is None
        assert whole["open_alerts"] == len(listed)
        assert whole["open_alerts_by_level"] == {
            level: sum(a["level"] == level for a in listed)
            for level in {a["level"] for a in listed}
        }
        assert "CAL-2097-NOTICE" in [a["id"] for a in center]
        assert whole["center_alerts_open"] == len(center)
        assert (await summary(api, window="laodong"))["center_alerts_open"] == 0
    finally:
        r = await api.http.post("/alerts/CAL-2097-NOTICE/ack", headers=h)
        assert r.status_code == 200, r.text
