"""The center's calendar through the API: closures and notices recount open cases' limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio

from tests.api.conftest import Api
from tests.api.test_cases import assert_error, projected, receive
from tests.conftest import eventually
from workdays.calendar import OfficeHours, WorkingCalendar

CALENDAR = WorkingCalendar(OfficeHours.default())
SAMPLES = Path(__file__).parent.parent / "workdays"


@pytest_asyncio.fixture
async def clean_calendar(api: Api) -> AsyncIterator[None]:
    """Other tests count in the package's calendar: undo what these tests import."""
    yield
    await api.ctx.pool.execute("delete from calendar_days")
    await api.ctx.pool.execute("delete from calendar_notices")


async def followed(api: Api, answer: httpx.Response) -> dict[str, Any]:
    """The recount a calendar change answered with, followed until it is done."""
    href = answer.json()["recount"]["href"]
    progress: dict[str, Any] = {}

    async def done() -> bool:
        r = await api.root.get(href, headers=api.auth("director"))
        assert r.status_code == 200, r.text
        progress.update(r.json())
        return bool(progress["status"] == "done")

    await eventually(done)
    return progress


def working_day_after(day: date) -> date:
    day += timedelta(days=1)
    while not CALENDAR.is_working_day(day):
        day += timedelta(days=1)
    return day


async def test_a_closure_recounts_the_open_cases_it_touches(api: Api, clean_calendar: None) -> None:
    case = await receive(api)
    await projected(api, case["case_id"], 1)  # the recount finds open cases in the read model
    received = datetime.fromisoformat(case["received_at"])
    closed = working_day_after(received.date())
    r = await api.http.post(
        "/calendar/closures",
        json={"date": closed.isoformat(), "reason": "停电检修"},
        headers=api.auth("director"),
    )
    assert r.status_code == 200, r.text
    assert (await followed(api, r))["recalculated"] >= 1
    live = await api.http.get(f"/cases/{case['case_id']}?consistent=true", headers=api.auth("mz-a"))
    expected = replace(CALENDAR, closures=frozenset({closed})).due_at(received, 5)
    assert datetime.fromisoformat(live.json()["due_at"]) == expected
    events = await api.http.get(
        f"/cases/{case['case_id']}/events?consistent=true", headers=api.auth("mz-a")
    )
    last = events.json()[-1]
    assert last["type"] == "deadline.recalculated" and last["actor"] == "director"
    before = datetime.fromisoformat(last["data"]["due_at_before"])
    assert before == datetime.fromisoformat(case["due_at"])


async def test_only_the_director_closes_the_center(api: Api) -> None:
    r = await api.http.post(
        "/calendar/closures",
        json={"date": "2026-12-01", "reason": "x"},
        headers=api.auth("mz-head"),
    )
    assert r.status_code == 403


async def test_a_notice_is_imported_and_a_bad_one_refused_with_its_reason(
    api: Api, clean_calendar: None
) -> None:
    content = (SAMPLES / "notice_2027.json").read_text(encoding="utf-8")
    r = await api.http.post(
        "/calendar/notices",
        json={"filename": "notice_2027.json", "content": content},
        headers=api.auth("ops"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["first"].startswith("2027") or r.json()["first"].startswith("2026-12")
    bad = '{"year": 2027, "source": "x", "holidays": [], "workdays": [{"date": "2027-03-01"}]}'
    r = await api.http.post(
        "/calendar/notices",
        json={"filename": "bad.json", "content": bad},
        headers=api.auth("ops"),
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"
    assert "bad.json" in r.json()["error"]["message"]


async def test_a_closure_without_a_written_reason_is_refused_and_changes_nothing(api: Api) -> None:
    day = date(2035, 5, 8)
    for reason in [" ", "\t\n", "\u3000"]:  # the last, a full-width space
        r = await api.http.post(
            "/calendar/closures",
            json={"date": day.isoformat(), "reason": reason},
            headers=api.auth("director"),
        )
        details = assert_error(r, 422, "validation_error")["error"]["details"]
        assert [d["loc"] for d in details] == [["body", "reason"]]
    closed = await api.ctx.pool.fetchval("select count(*) from calendar_days where day = $1", day)
    assert closed == 0


async def test_a_notice_answers_at_once_with_its_recount_to_follow(
    api: Api, clean_calendar: None
) -> None:
    content = (SAMPLES / "notice_2027.json").read_text(encoding="utf-8")
    r = await api.http.post(
        "/calendar/notices",
        json={"filename": "notice_2027.json", "content": content},
        headers=api.auth("ops"),
    )
    assert r.status_code == 200, r.text
    recount = r.json()["recount"]
    assert recount["href"] == f"/api/v1/calendar/recounts/{recount['id']}"
    progress = await followed(api, r)
    assert progress["id"] == recount["id"] and progress["failed"] == []
    assert progress["recounted"] == progress["cases"]
    assert (progress["first"], progress["last"]) == (r.json()["first"], r.json()["last"])
    unknown = await api.http.get("/calendar/recounts/calendar-0-none", headers=api.auth("mz-a"))
    assert_error(unknown, 404, "recount_not_found")
    case_id = (await receive(api))["case_id"]  # the id of a workflow that is no recount
    not_a_recount = await api.http.get(f"/calendar/recounts/{case_id}", headers=api.auth("mz-a"))
    assert_error(not_a_recount, 404, "recount_not_found")
