"""Idempotency-Key on the POST routes that write PostgreSQL directly: score deductions, alert
channels, calendar closures and staff leave. A retry with the same key and body answers the
first response and writes nothing; the same key with another body or path is
``409 idempotency_conflict`` and writes nothing; without a key every request writes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest
import pytest_asyncio

from projections.center import create_token
from tests.api.conftest import Api
from tests.api.test_cases import assert_error
from tests.api.test_leave import leave_body, today

CHANNEL_HOST = "https://idempotency.invalid"


class CutShort(Exception):
    """The API process dying at a given point of a request."""


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def keys_of(api: Api, staff: str, idempotency_key: str) -> int:
    n: int = await api.ctx.pool.fetchval(
        "select count(*) from idempotency_keys where staff_id = $1 and key = $2",
        staff,
        idempotency_key,
    )
    return n


# Deductions -------------------------------------------------------------------------------


def deduction(note: str, count: int = 1) -> dict[str, Any]:
    # A month no other test scores, so the rankings they check are untouched.
    return {
        "window": "zonghe",
        "kind": "late_arrival",
        "on": "2031-03-04",
        "count": count,
        "note": note,
    }


async def deductions_noted(api: Api, note: str) -> int:
    n: int = await api.ctx.pool.fetchval(
        "select count(*) from score_deductions where note = $1", note
    )
    return n


@pytest_asyncio.fixture
async def clean_deductions(api: Api) -> AsyncIterator[None]:
    yield
    await api.ctx.pool.execute("delete from score_deductions where month = '2031-03-01'")


async def test_a_retried_deduction_answers_the_first_response_and_records_one_row(
    api: Api, clean_deductions: None
) -> None:
    note = f"迟到 {uuid.uuid4()}"
    h = api.auth("director") | key()
    first = await api.http.post("/dashboard/deductions", json=deduction(note), headers=h)
    assert first.status_code == 201, first.text
    again = await api.http.post("/dashboard/deductions", json=deduction(note), headers=h)
    assert again.status_code == 201
    assert again.content == first.content
    assert await deductions_noted(api, note) == 1
    assert await keys_of(api, "director", h["Idempotency-Key"]) == 1


async def test_a_deduction_key_reused_with_another_body_is_a_conflict_and_records_nothing(
    api: Api, clean_deductions: None
) -> None:
    note = f"迟到 {uuid.uuid4()}"
    h = api.auth("director") | key()
    first = await api.http.post("/dashboard/deductions", json=deduction(note), headers=h)
    assert first.status_code == 201, first.text
    for other in (deduction(note, count=2), deduction(note + " 另一条")):
        r = await api.http.post("/dashboard/deductions", json=other, headers=h)
        body = assert_error(r, 409, "idempotency_conflict")
        assert "Idempotency-Key" in body["error"]["message"]
    assert await deductions_noted(api, note) == 1
    assert await deductions_noted(api, note + " 另一条") == 0


async def test_deductions_without_a_key_are_recorded_each_time(
    api: Api, clean_deductions: None
) -> None:
    note = f"迟到 {uuid.uuid4()}"
    for _ in range(2):
        r = await api.http.post(
            "/dashboard/deductions", json=deduction(note), headers=api.auth("director")
        )
        assert r.status_code == 201, r.text
    assert await deductions_noted(api, note) == 2


async def test_a_refused_deduction_keeps_no_key_and_the_key_serves_a_valid_request(
    api: Api, clean_deductions: None
) -> None:
    note = f"迟到 {uuid.uuid4()}"
    k = key()
    h = api.auth("director") | k
    bad = await api.http.post(
        "/dashboard/deductions", json={**deduction(note), "window": "nowhere"}, headers=h
    )
    assert_error(bad, 422, "validation_error")
    forbidden = await api.http.post(
        "/dashboard/deductions", json=deduction(note), headers=api.auth("mz-head") | k
    )
    assert_error(forbidden, 403, "forbidden")
    assert await keys_of(api, "director", k["Idempotency-Key"]) == 0
    assert await keys_of(api, "mz-head", k["Idempotency-Key"]) == 0
    r = await api.http.post("/dashboard/deductions", json=deduction(note), headers=h)
    assert r.status_code == 201, r.text
    assert await deductions_noted(api, note) == 1


async def test_concurrent_deductions_with_one_key_record_one_row_and_answer_alike(
    api: Api, clean_deductions: None
) -> None:
    note = f"迟到 {uuid.uuid4()}"
    h = api.auth("director") | key()
    answers = await asyncio.gather(
        *(api.http.post("/dashboard/deductions", json=deduction(note), headers=h) for _ in range(6))
    )
    assert {r.status_code for r in answers} == {201}
    assert len({r.content for r in answers}) == 1
    assert await deductions_noted(api, note) == 1


# Alert channels ---------------------------------------------------------------------------


@pytest_asyncio.fixture
async def channel_url(api: Api) -> AsyncIterator[str]:
    """A URL of its own for each test; its channels are deactivated afterwards, so no alert
    is ever sent there (and the level, discipline, is only reached days after a breach)."""
    url = f"{CHANNEL_HOST}/{uuid.uuid4()}"
    yield url
    await api.ctx.pool.execute(
        "update alert_channels set active = false where url like $1", url + "%"
    )


def channel(url: str) -> dict[str, str]:
    return {"level": "discipline", "kind": "webhook", "url": url}


async def channels_at(api: Api, url: str) -> int:
    n: int = await api.ctx.pool.fetchval("select count(*) from alert_channels where url = $1", url)
    return n


async def test_a_retried_channel_answers_the_first_response_and_adds_one_channel(
    api: Api, channel_url: str
) -> None:
    h = api.auth("director") | key()
    first = await api.http.post("/alert-channels", json=channel(channel_url), headers=h)
    assert first.status_code == 201, first.text
    again = await api.http.post("/alert-channels", json=channel(channel_url), headers=h)
    assert (again.status_code, again.content) == (201, first.content)
    assert await channels_at(api, channel_url) == 1


async def test_a_channel_key_reused_with_another_body_is_a_conflict_and_adds_nothing(
    api: Api, channel_url: str, clean_deductions: None
) -> None:
    h = api.auth("director") | key()
    first = await api.http.post("/alert-channels", json=channel(channel_url), headers=h)
    assert first.status_code == 201, first.text
    other = channel(channel_url + "/other")
    assert_error(
        await api.http.post("/alert-channels", json=other, headers=h), 409, "idempotency_conflict"
    )
    # Another route with the same key is another request too.
    assert_error(
        await api.http.post("/dashboard/deductions", json=deduction("x"), headers=h),
        409,
        "idempotency_conflict",
    )
    assert await channels_at(api, channel_url) == 1
    assert await channels_at(api, channel_url + "/other") == 0


async def test_channels_without_a_key_are_added_each_time(api: Api, channel_url: str) -> None:
    for _ in range(2):
        r = await api.http.post(
            "/alert-channels", json=channel(channel_url), headers=api.auth("director")
        )
        assert r.status_code == 201, r.text
    assert await channels_at(api, channel_url) == 2


# Calendar closures ------------------------------------------------------------------------


@pytest_asyncio.fixture
async def closure_day(api: Api) -> AsyncIterator[date]:
    """A day no open case counts through, closed by the test and reopened afterwards."""
    day = date(2031, 9, 1) + timedelta(days=uuid.uuid4().int % 200)
    yield day
    await api.ctx.pool.execute(
        "delete from calendar_days where day = $1 and origin = 'closure'", day
    )


async def closure(api: Api, day: date) -> tuple[str, Any]:
    row = await api.ctx.pool.fetchrow(
        "select name, recorded_at from calendar_days where day = $1 and origin = 'closure'", day
    )
    assert row is not None
    return row["name"], row["recorded_at"]


async def test_a_retried_closure_answers_the_first_response_and_does_not_rewrite_the_day(
    api: Api, closure_day: date
) -> None:
    h = api.auth("director") | key()
    body = {"date": closure_day.isoformat(), "reason": "停电检修"}
    first = await api.http.post("/calendar/closures", json=body, headers=h)
    assert first.status_code == 200, first.text
    recorded = await closure(api, closure_day)
    again = await api.http.post("/calendar/closures", json=body, headers=h)
    assert (again.status_code, again.content) == (200, first.content)
    assert await closure(api, closure_day) == recorded  # not even recorded_at moved

    other = {**body, "reason": "消防演练"}
    assert_error(
        await api.http.post("/calendar/closures", json=other, headers=h),
        409,
        "idempotency_conflict",
    )
    assert await closure(api, closure_day) == recorded


async def test_a_closure_cut_short_after_its_change_is_finished_by_its_retry(
    api: Api, closure_day: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = api.auth("director") | key()
    body = {"date": closure_day.isoformat(), "reason": "停电检修"}

    async def cut_short(*args: Any) -> Any:
        raise CutShort

    monkeypatch.setattr("api.routers.calendar.recount_closure", cut_short)
    with pytest.raises(CutShort):
        await api.http.post("/calendar/closures", json=body, headers=h)
    recorded = await closure(api, closure_day)  # the change is committed with its key
    assert await keys_of(api, "director", h["Idempotency-Key"]) == 1

    monkeypatch.undo()
    again = await api.http.post("/calendar/closures", json=body, headers=h)
    assert again.status_code == 200, again.text
    assert again.json()["first"] == closure_day.isoformat()
    assert await closure(api, closure_day) == recorded
    third = await api.http.post("/calendar/closures", json=body, headers=h)
    assert third.content == again.content


# Staff leave ------------------------------------------------------------------------------


LEAVE_STAFF = ["sb-a", "gt-a", "zh-a"]  # A posts whose leave no other test lists


@pytest_asyncio.fixture
async def clean_leave(api: Api) -> AsyncIterator[None]:
    """Every leave here is months ahead and ended at once; removed afterwards."""
    yield
    await api.ctx.pool.execute(
        "delete from staff_leave where staff_id = any($1) and from_day > $2",
        LEAVE_STAFF,
        today() + timedelta(days=100),
    )


async def leaves_of(api: Api, staff_id: str, first: date) -> list[int]:
    rows = await api.ctx.pool.fetch(
        "select id from staff_leave where staff_id = $1 and from_day = $2 order by id",
        staff_id,
        first,
    )
    return [r["id"] for r in rows]


async def test_leave_registered_and_ended_with_keys_happens_once_and_answers_the_first(
    api: Api, clean_leave: None
) -> None:
    first_day = today() + timedelta(days=150 + uuid.uuid4().int % 100)
    body = leave_body(first_day, first_day + timedelta(days=1))
    h = api.auth("director") | key()

    registered = await api.http.post("/staff/sb-a/leave", json=body, headers=h)
    assert registered.status_code == 201, registered.text
    leave_id = registered.json()["id"]
    again = await api.http.post("/staff/sb-a/leave", json=body, headers=h)
    assert (again.status_code, again.content) == (201, registered.content)
    other = {**body, "reason": "事假"}
    r = await api.http.post("/staff/sb-a/leave", json=other, headers=h)
    assert_error(r, 409, "idempotency_conflict")
    assert await leaves_of(api, "sb-a", first_day) == [leave_id]

    end = f"/staff/sb-a/leave/{leave_id}/end"
    e = api.auth("director") | key()
    ended = await api.http.post(end, headers=e)
    assert ended.status_code == 200, ended.text
    assert ended.json()["status"] == "ended"
    # The retry gets the first answer, where a new request is refused: the leave has ended.
    retried = await api.http.post(end, headers=e)
    assert (retried.status_code, retried.content) == (200, ended.content)
    assert_error(await api.http.post(end, headers=api.auth("director")), 409, "invalid_transition")
    refused = key()
    r = await api.http.post(end, headers=api.auth("director") | refused)
    assert_error(r, 409, "invalid_transition")
    assert await keys_of(api, "director", refused["Idempotency-Key"]) == 0
    # The key of one leave's end is not another's: the path is part of the request.
    later = first_day + timedelta(days=10)
    second = await api.http.post(
        "/staff/sb-a/leave", json=leave_body(later, later), headers=api.auth("director")
    )
    assert second.status_code == 201, second.text
    other_end = f"/staff/sb-a/leave/{second.json()['id']}/end"
    assert_error(await api.http.post(other_end, headers=e), 409, "idempotency_conflict")
    assert (await api.http.post(other_end, headers=api.auth("director"))).status_code == 200
    # A replayed registration is the first answer, whatever became of the leave since.
    replayed = await api.http.post("/staff/sb-a/leave", json=body, headers=h)
    assert replayed.content == registered.content and replayed.json()["status"] == "upcoming"


async def test_a_leave_key_is_its_staff_members_own(api: Api, clean_leave: None) -> None:
    first_day = today() + timedelta(days=400 + uuid.uuid4().int % 100)
    head = {"Authorization": f"Bearer {await create_token(api.ctx.pool, 'SFZ', 'gt-head')}"}
    shared = key()
    ids = []
    for who, day in ((api.auth("director"), first_day), (head, first_day + timedelta(days=5))):
        r = await api.http.post(
            "/staff/gt-a/leave", json=leave_body(day, day), headers=who | shared
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    assert ids[0] != ids[1]
    for leave_id in ids:
        r = await api.http.post(f"/staff/gt-a/leave/{leave_id}/end", headers=api.auth("director"))
        assert r.status_code == 200, r.text


async def test_a_repeated_leave_without_a_key_is_a_new_request_refused_as_overlapping(
    api: Api, clean_leave: None
) -> None:
    first_day = today() + timedelta(days=600 + uuid.uuid4().int % 100)
    body = leave_body(first_day, first_day)
    r = await api.http.post("/staff/zh-a/leave", json=body, headers=api.auth("director"))
    assert r.status_code == 201, r.text
    # Leave may not overlap: a second request without a key is a second leave, refused.
    twice = await api.http.post("/staff/zh-a/leave", json=body, headers=api.auth("director"))
    assert_error(twice, 422, "validation_error")
    assert await leaves_of(api, "zh-a", first_day) == [r.json()["id"]]
    ended = await api.http.post(
        f"/staff/zh-a/leave/{r.json()['id']}/end", headers=api.auth("director")
    )
    assert ended.status_code == 200, ended.text
