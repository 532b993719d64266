"""Inquiries (咨询件): logged at the token's window, listed, counted by window and day."""

from __future__ import annotations

from typing import Any

import pytest

from projections.center import create_token
from tests.api.conftest import Api


async def token(api: Api, staff: str) -> dict[str, str]:
    if staff not in api.tokens:
        api.tokens[staff] = await create_token(api.ctx.pool, "SFZ", staff)
    return api.auth(staff)


async def ask(api: Api, staff: str, **body: Any) -> dict[str, Any]:
    r = await api.http.post(
        "/inquiries", json={"topic": "低保申请条件", **body}, headers=await token(api, staff)
    )
    assert r.status_code == 201, r.text
    answer: dict[str, Any] = r.json()
    return answer


async def test_a_clerk_logs_an_inquiry_at_their_window(api: Api) -> None:
    q = await ask(api, "ny-a", outcome="answered", service_code="NY-001", note="已一次性告知")
    assert isinstance(q["id"], int) and q["window"] == "nongye" and q["staff_id"] == "ny-a"
    assert q["outcome"] == "answered" and q["referred_to"] is None
    assert q["service_code"] == "NY-001" and q["note"] == "已一次性告知"
    assert q["day"] == q["asked_at"][:10]
    referred = await ask(api, "ny-a", outcome="referred", referred_to="shebao")
    assert referred["referred_to"] == "shebao"
    listed = (await api.http.get("/inquiries", headers=await token(api, "ny-a"))).json()
    assert [x["id"] for x in listed][:2] == [referred["id"], q["id"]]
    assert all(x["window"] == "nongye" for x in listed)  # a clerk's own window by default


async def test_inquiries_are_counted_by_window_and_day(api: Api) -> None:
    director = api.auth("director")
    today = (await api.http.get("/dashboard/me", headers=director)).json()["today"]
    span = {"from": today, "to": today}

    async def counted() -> tuple[int, int, dict[str, int]]:
        s = (await api.http.get("/dashboard/summary", params=span, headers=director)).json()
        mine = await api.http.get(
            "/dashboard/summary", params={**span, "window": "laodong"}, headers=director
        )
        t = (await api.http.get("/dashboard/inquiries", params=span, headers=director)).json()
        days = {d["day"]: d for d in t["days"]}
        by_window = days[today]["by_window"] if today in days else {}
        return s["inquiries"], mine.json()["inquiries"], by_window

    center, laodong, by_window = await counted()
    await ask(api, "ld-a", outcome="answered")
    await ask(api, "ld-a", outcome="referred", referred_to="zonghe")
    await ask(api, "zh-a", outcome="answered")
    after = await counted()
    assert after[0] == center + 3 and after[1] == laodong + 2
    assert after[2]["laodong"] == by_window.get("laodong", 0) + 2
    assert after[2]["zonghe"] == by_window.get("zonghe", 0) + 1
    r = await api.http.get("/inquiries", params={**span, "window": "laodong"}, headers=director)
    assert r.status_code == 200 and {x["window"] for x in r.json()} == {"laodong"}
    old = {"from": "2001-01-01", "to": "2001-01-02"}
    r = await api.http.get("/inquiries", params=old, headers=director)
    assert r.json() == []


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"outcome": "referred"}, 422, "validation_error"),
        ({"outcome": "referred", "referred_to": "minzheng"}, 422, "validation_error"),
        ({"outcome": "referred", "referred_to": "nowhere"}, 422, "validation_error"),
        ({"outcome": "answered", "referred_to": "shebao"}, 422, "validation_error"),
        ({"outcome": "maybe"}, 422, "validation_error"),
        ({"outcome": "answered", "topic": "  "}, 422, "validation_error"),
        ({"outcome": "answered", "service_code": "XX-999"}, 404, "service_not_found"),
    ],
)
async def test_an_inquiry_that_does_not_hold_is_refused(
    api: Api, body: dict[str, Any], status: int, code: str
) -> None:
    r = await api.http.post(
        "/inquiries", json={"topic": "咨询", **body}, headers=await token(api, "mz-a")
    )
    assert r.status_code == status and r.json()["error"]["code"] == code, r.text


async def test_staff_of_no_window_log_no_inquiry_and_a_retry_logs_it_once(api: Api) -> None:
    for staff in ("director", "ops"):
        r = await api.http.post(
            "/inquiries", json={"topic": "咨询", "outcome": "answered"}, headers=api.auth(staff)
        )
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = await api.http.get("/inquiries?window=nowhere", headers=api.auth("director"))
    assert r.status_code == 422
    h = {**await token(api, "cl-a"), "Idempotency-Key": "inquiry-once"}
    body = {"topic": "残疾人证办理", "outcome": "answered"}
    first = await api.http.post("/inquiries", json=body, headers=h)
    again = await api.http.post("/inquiries", json=body, headers=h)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    other = await api.http.post("/inquiries", json={**body, "topic": "别的"}, headers=h)
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_conflict"


async def test_each_inquiry_is_an_inquiry_logged_event_of_the_applicant_log(api: Api) -> None:
    q = await ask(api, "ny-a", outcome="referred", referred_to="shebao", note="带至社保窗口")
    rows = await api.ctx.pool.fetch(
        "select type, actor, at, data from applicant_events where type = 'inquiry.logged'"
        " and subject_id = $1",
        str(q["id"]),
    )
    assert len(rows) == 1 and rows[0]["actor"] == "ny-a"
    data = rows[0]["data"]
    assert data["day"] == q["day"] and data["referred_to"] == "shebao"
    assert data["note"] == "带至社保窗口" and data["window"] == "nongye"
