"""Complaints through the API, on the sandbox (time-skipping Temporal, its clock moved by the API):
the answer's limit, its alerts, who sees the complainant, the upheld finding's deduction and the
written answer to a letter."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.context import AppContext
from projections.calendar import load_calendar
from projections.center import create_token
from workdays.calendar import OfficeHours

Sandbox = tuple[FastAPI, httpx.AsyncClient]
NAME, PHONE = "钱多多", "13812345678"


def context(app: FastAPI) -> AppContext:
    ctx: AppContext = app.state.context
    return ctx


async def auth(sandbox: httpx.AsyncClient, staff_id: str) -> dict[str, str]:
    r = await sandbox.post("/sandbox/tokens", json={"staff_id": staff_id})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


async def discipline(app: FastAPI) -> dict[str, str]:
    """The demo center's discipline inspection (纪检监察)."""
    token = await create_token(context(app).pool, "SFZ", "discipline")
    return {"Authorization": f"Bearer {token}"}


def complaint(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "phone",
        "about": {"window": "minzheng"},
        "complainant": {"name": NAME, "phone": PHONE},
        "text": "窗口工作人员态度生硬，未一次性告知所需材料。",
    }
    return {**body, **changes}


async def file(sandbox: httpx.AsyncClient, h: dict[str, str], **changes: Any) -> dict[str, Any]:
    r = await sandbox.post("/complaints", json=complaint(**changes), headers=h)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def advance_past(sandbox: httpx.AsyncClient, due_at: str) -> None:
    """Move the sandbox's clock an hour past ``due_at``."""
    now = datetime.fromisoformat((await sandbox.get("/sandbox/clock")).json()["now"])
    hours = (datetime.fromisoformat(due_at) - now).total_seconds() / 3600 + 1
    r = await sandbox.post("/sandbox/clock/advance", json={"hours": hours})
    assert r.status_code == 200, r.text


async def due_after(app: FastAPI, received_at: str, days: int) -> datetime:
    ctx = context(app)
    hours = OfficeHours.parse(ctx.settings.office_hours, ctx.settings.timezone)
    cal = await load_calendar(ctx.pool, "SFZ", hours)
    return cal.due_at(datetime.fromisoformat(received_at), days)


async def test_a_simple_complaint_is_due_by_the_close_of_the_next_working_day(
    sandbox_app: Sandbox,
) -> None:
    app, sandbox = sandbox_app
    c = await file(sandbox, await auth(sandbox, "mz-a"))
    assert c["id"].startswith("TS-") and c["status"] == "open" and c["limit_days"] == 1
    assert c["window"] == "minzheng" and c["units"] == ["minzheng"]
    due = datetime.fromisoformat(c["due_at"])
    assert due == await due_after(app, c["received_at"], 1)
    received = datetime.fromisoformat(c["received_at"])
    assert due.date() > received.date() and (due.hour, due.minute) == (17, 30)


async def test_a_complicated_complaint_or_one_of_two_units_has_five_working_days(
    sandbox_app: Sandbox,
) -> None:
    app, sandbox = sandbox_app
    h = await auth(sandbox, "director")
    hard = await file(sandbox, h, complicated=True)
    assert hard["limit_days"] == 5
    assert datetime.fromisoformat(hard["due_at"]) == await due_after(app, hard["received_at"], 5)
    two = await file(sandbox, h, about={"window": "minzheng", "staff": "sb-a"})
    assert two["limit_days"] == 5 and two["units"] == ["minzheng", "shebao"]
    assert two["window"] == "minzheng"


async def test_an_unanswered_complaint_alerts_the_director_and_climbs_to_discipline(
    sandbox_app: Sandbox,
) -> None:
    app, sandbox = sandbox_app
    director = await auth(sandbox, "director")
    c = await file(sandbox, await auth(sandbox, "mz-a"))
    await advance_past(sandbox, c["due_at"])
    events = (await sandbox.get(f"/complaints/{c['id']}/events", headers=director)).json()
    assert [e["type"] for e in events] == [
        "complaint.received",
        "complaint.warned",
        "complaint.breached",
    ]
    breach = events[2]
    due = datetime.fromisoformat(c["due_at"])
    assert due <= datetime.fromisoformat(breach["at"]) < due + timedelta(minutes=1)
    assert breach["data"]["level"] == "director" and breach["actor"] == "system"
    row = (await sandbox.get(f"/complaints/{c['id']}", headers=director)).json()
    assert row["overdue"] and row["warned"] and row["status"] == "open"
    alerts = (await sandbox.get("/alerts?status=open", headers=director)).json()
    mine = sorted((a["threshold"], a["level"]) for a in alerts if a["complaint_id"] == c["id"])
    assert mine == [("overdue", "director"), ("warning", "director")]
    ours = [a for a in alerts if a["complaint_id"] == c["id"]]
    assert all(a["kind"] == "complaint" and a["case_id"] is None for a in ours)
    r = await sandbox.post("/sandbox/clock/advance", json={"days": 7})
    assert r.status_code == 200, r.text
    alerts = (await sandbox.get("/alerts?status=open&level=discipline", headers=director)).json()
    escalated = [a for a in alerts if a["complaint_id"] == c["id"]]
    assert [a["threshold"] for a in escalated] == ["escalation"]
    # The inspector acknowledges the alert that reached them; a window head may not.
    r = await sandbox.post(
        f"/alerts/{escalated[0]['id']}/ack", headers=await auth(sandbox, "mz-head")
    )
    assert r.status_code == 403, r.text
    r = await sandbox.post(f"/alerts/{escalated[0]['id']}/ack", headers=await discipline(app))
    assert r.status_code == 200, r.text
    assert r.json()["acked_by"] == "discipline" and r.json()["complaint_id"] == c["id"]
    r = await sandbox.post(f"/alerts/{c['id']}-A99/ack", headers=director)
    assert r.status_code == 404 and r.json()["error"]["code"] == "alert_not_found"


async def test_acknowledging_the_breach_stops_the_climb(sandbox_app: Sandbox) -> None:
    _, sandbox = sandbox_app
    director = await auth(sandbox, "director")
    c = await file(sandbox, director)
    await advance_past(sandbox, c["due_at"])
    alerts = (await sandbox.get("/alerts?status=open", headers=director)).json()
    breach = next(a for a in alerts if a["complaint_id"] == c["id"] and a["threshold"] == "overdue")
    r = await sandbox.post(f"/alerts/{breach['id']}/ack", headers=director)
    assert r.status_code == 200, r.text
    r = await sandbox.post(f"/alerts/{breach['id']}/ack", headers=director)
    assert r.status_code == 409 and r.json()["error"]["code"] == "invalid_transition"
    await sandbox.post("/sandbox/clock/advance", json={"days": 7})
    events = (await sandbox.get(f"/complaints/{c['id']}/events", headers=director)).json()
    assert "complaint.escalated" not in [e["type"] for e in events]


async def test_the_complainant_is_shown_to_the_director_and_discipline_only(
    sandbox_app: Sandbox, capfd: pytest.CaptureFixture[str]
) -> None:
    app, sandbox = sandbox_app
    c = await file(sandbox, await auth(sandbox, "mz-a"))
    assert c["complainant"] == {"name": "***", "phone": "138****5678", "masked": True}
    for who in (await auth(sandbox, "director"), await discipline(app)):
        r = await sandbox.get(f"/complaints/{c['id']}", headers=who)
        assert r.json()["complainant"] == {"name": NAME, "phone": PHONE, "masked": False}
    head = await auth(sandbox, "mz-head")
    r = await sandbox.get(f"/complaints/{c['id']}", headers=head)
    assert r.status_code == 200 and r.json()["complainant"]["masked"] is True
    listed = (await sandbox.get("/complaints?window=minzheng", headers=head)).json()
    assert c["id"] in [x["id"] for x in listed]
    assert NAME not in str(listed) and PHONE not in str(listed)
    events = (await sandbox.get(f"/complaints/{c['id']}/events", headers=head)).text
    alerts = (await sandbox.get("/alerts", headers=head)).text
    for text in (events, alerts):
        assert NAME not in text and PHONE not in text
    await advance_past(sandbox, c["due_at"])  # its alerts raised, projected and sent
    logged = capfd.readouterr()
    assert c["id"] in logged.out + logged.err  # the log is there, and names the complaint only
    assert NAME not in logged.out + logged.err and PHONE not in logged.out + logged.err


async def test_an_upheld_complaint_costs_the_window_ten_points(sandbox_app: Sandbox) -> None:
    _, sandbox = sandbox_app
    director = await auth(sandbox, "director")
    c = await file(sandbox, director, about={"window": "canlian"})
    month = (await sandbox.get("/sandbox/clock")).json()["now"][:7]

    async def score() -> tuple[int, int]:
        ranking = (await sandbox.get(f"/dashboard/ranking?month={month}", headers=director)).json()
        w = next(x for x in ranking["windows"] if x["window"] == "canlian")
        return w["deducted"], w["by_kind"].get("complaint_upheld", 0)

    before = await score()
    answer = {"finding": "upheld", "text": "经核实，窗口工作人员未一次性告知，已批评教育。"}
    r = await sandbox.post(f"/complaints/{c['id']}/answer", json=answer, headers=director)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "answered" and body["finding"] == "upheld" and body["on_time"]
    assert await score() == (before[0] + 10, before[1] + 10)
    deductions = (
        await sandbox.get(f"/dashboard/deductions?month={month}&window=canlian", headers=director)
    ).json()
    assert [d["points"] for d in deductions if c["id"] in d["note"]] == [10]
    # Answered once: again is a conflict, and costs nothing more.
    r = await sandbox.post(f"/complaints/{c['id']}/answer", json=answer, headers=director)
    assert r.status_code == 409 and r.json()["error"]["code"] == "invalid_transition"
    assert await score() == (before[0] + 10, before[1] + 10)


async def test_a_complaint_not_upheld_costs_nothing(sandbox_app: Sandbox) -> None:
    _, sandbox = sandbox_app
    director = await auth(sandbox, "director")
    c = await file(sandbox, director, about={"window": "nongye"})
    answer = {"finding": "not_upheld", "text": "经调阅监控，窗口服务规范。"}
    r = await sandbox.post(f"/complaints/{c['id']}/answer", json=answer, headers=director)
    assert r.status_code == 200, r.text
    month = r.json()["answered_at"][:7]
    rows = (
        await sandbox.get(f"/dashboard/deductions?month={month}&window=nongye", headers=director)
    ).json()
    assert not [d for d in rows if c["id"] in d["note"]]


async def test_a_letter_gets_a_written_answer_as_html_and_pdf(sandbox_app: Sandbox) -> None:
    _, sandbox = sandbox_app
    director = await auth(sandbox, "director")
    c = await file(sandbox, director, channel="letter", about={"staff": "mz-b"})
    assert c["notice_url"] is None
    r = await sandbox.get(f"/complaints/{c['id']}/notice", headers=director)
    assert r.status_code == 404 and r.json()["error"]["code"] == "notice_not_found"
    answer = {"finding": "upheld", "text": "已对相关工作人员进行批评教育。\n感谢您的监督。"}
    r = await sandbox.post(f"/complaints/{c['id']}/answer", json=answer, headers=director)
    assert r.status_code == 200, r.text
    url = r.json()["notice_url"]
    assert url == f"/api/v1/complaints/{c['id']}/notice"
    page = await sandbox.get(url.removeprefix("/api/v1"), headers=director)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "投诉处理答复书" in page.text and NAME in page.text and "问题属实" in page.text
    assert "李建国" in page.text and PHONE not in page.text
    assert page.headers["cache-control"] == "no-store"
    pdf = await sandbox.get(url.removeprefix("/api/v1") + "?format=pdf", headers=director)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    r = await sandbox.get(url.removeprefix("/api/v1"), headers=await auth(sandbox, "mz-head"))
    assert r.status_code == 403
    spoken = await file(sandbox, director)
    await sandbox.post(f"/complaints/{spoken['id']}/answer", json=answer, headers=director)
    r = await sandbox.get(f"/complaints/{spoken['id']}/notice", headers=director)
    assert r.status_code == 404 and r.json()["error"]["code"] == "notice_not_found"


@pytest.mark.parametrize(
    "changes",
    [
        {"about": {}},
        {"about": {"window": "nowhere"}},
        {"about": {"staff": "nobody"}},
        {"complainant": {"name": NAME, "phone": "12345"}},
        {"complainant": {"name": " ", "phone": PHONE}},
        {"channel": "fax"},
        {"text": "   "},
    ],
)
async def test_a_complaint_that_is_not_valid_is_422_and_echoes_nothing(
    sandbox_app: Sandbox, changes: dict[str, Any]
) -> None:
    _, sandbox = sandbox_app
    r = await sandbox.post(
        "/complaints", json=complaint(**changes), headers=await auth(sandbox, "mz-a")
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error", r.text
    assert "12345" not in r.text


async def test_the_errors_of_receiving_and_answering(sandbox_app: Sandbox) -> None:
    _, sandbox = sandbox_app
    r = await sandbox.post("/complaints", json=complaint(), headers=await auth(sandbox, "ops"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = await sandbox.post("/complaints", json=complaint())
    assert r.status_code == 401
    director = await auth(sandbox, "director")
    r = await sandbox.post(
        "/complaints", json=complaint(about={"case_id": "BJ-NOSUCHCASE"}), headers=director
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "case_not_found"
    c = await file(sandbox, await auth(sandbox, "mz-a"))
    answer = {"finding": "upheld", "text": "属实"}
    r = await sandbox.post(
        f"/complaints/{c['id']}/answer", json=answer, headers=await auth(sandbox, "mz-head")
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = await sandbox.post(
        f"/complaints/{c['id']}/answer", json={"finding": "maybe", "text": "?"}, headers=director
    )
    assert r.status_code == 422
    r = await sandbox.post("/complaints/TS-0000000000/answer", json=answer, headers=director)
    assert r.status_code == 404 and r.json()["error"]["code"] == "complaint_not_found"
    r = await sandbox.get("/complaints/TS-0000000000", headers=director)
    assert r.status_code == 404 and r.json()["error"]["code"] == "complaint_not_found"
    r = await sandbox.get("/complaints?window=nowhere", headers=director)
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"


async def test_a_retried_complaint_or_answer_with_its_key_changes_nothing(
    sandbox_app: Sandbox,
) -> None:
    _, sandbox = sandbox_app
    director = await auth(sandbox, "director")
    key = {**director, "Idempotency-Key": f"complaint-{datetime.now().timestamp()}"}
    first = await file(sandbox, key)
    again = await file(sandbox, key)
    assert again["id"] == first["id"] and again["received_at"] == first["received_at"]
    r = await sandbox.post("/complaints", json=complaint(text="另一件事"), headers=key)
    assert r.status_code == 409 and r.json()["error"]["code"] == "idempotency_conflict"
    answer = {"finding": "not_upheld", "text": "经核实不属实。"}
    url = f"/complaints/{first['id']}/answer"
    a = await sandbox.post(url, json=answer, headers=key)
    b = await sandbox.post(url, json=answer, headers=key)
    assert a.status_code == b.status_code == 200, b.text
    assert a.json()["answered_at"] == b.json()["answered_at"]
    events = (await sandbox.get(f"/complaints/{first['id']}/events", headers=director)).json()
    assert [e["type"] for e in events].count("complaint.answered") == 1


async def test_the_summary_counts_complaints_received_and_upheld_per_1000_cases(
    sandbox_app: Sandbox,
) -> None:
    _, sandbox = sandbox_app
    director = await auth(sandbox, "director")

    async def figures() -> dict[str, Any]:
        r = await sandbox.get("/dashboard/summary?window=guotu", headers=director)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    before = (await figures())["complaints"]
    upheld = await file(sandbox, director, about={"window": "guotu"})
    await file(sandbox, director, about={"staff": "gt-a"})
    await file(sandbox, director, about={"window": "laodong"})  # another window's
    answer = {"finding": "upheld", "text": "属实，已整改。"}
    r = await sandbox.post(f"/complaints/{upheld['id']}/answer", json=answer, headers=director)
    assert r.status_code == 200, r.text
    after = await figures()
    assert after["complaints"]["received"] == before["received"] + 2
    assert after["complaints"]["upheld"] == before["upheld"] + 1
    cases = after["received"]
    expected = round(after["complaints"]["received"] * 1000 / cases, 2) if cases else None
    assert after["complaints"]["per_1000_cases"] == expected
    far = await sandbox.get(
        "/dashboard/summary?window=guotu&from=2001-01-01&to=2001-01-31", headers=director
    )
    assert far.json()["complaints"] == {"received": 0, "upheld": 0, "per_1000_cases": None}
