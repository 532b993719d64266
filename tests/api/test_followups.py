"""Follow-up visits (回访): the director's draw of a month, reproducible from its seed; each visit
recorded by its window's staff; the open ones listed; the figures."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from applicant.followups import draw
from projections.center import create_token
from projections.followups import completed_in_month
from tests.api.conftest import Api
from tests.api.test_cases import PHONE, new_case
from tests.conftest import eventually


async def token(api: Api, staff: str) -> dict[str, str]:
    if staff not in api.tokens:
        api.tokens[staff] = await create_token(api.ctx.pool, "SFZ", staff)
    return api.auth(staff)


async def complete_on_the_spot(api: Api, staff: str, service: str, materials: list[str]) -> str:
    h = await token(api, staff)
    r = await api.http.post("/cases", json=new_case(service, materials=materials), headers=h)
    assert r.status_code == 201, r.text
    case_id: str = r.json()["case_id"]
    r = await api.http.post(
        f"/cases/{case_id}/complete", json={"outcome": "approved", "note": "当场办结"}, headers=h
    )
    assert r.status_code == 200, r.text

    async def projected() -> bool:
        r = await api.http.get(f"/cases/{case_id}", headers=h)
        return r.status_code == 200 and r.json()["status"] == "completed"

    await eventually(projected)
    return case_id


async def figures(api: Api, month: date, today: str) -> dict[str, int]:
    span = {"from": month.isoformat(), "to": today}
    r = await api.http.get("/dashboard/summary", params=span, headers=api.auth("director"))
    assert r.status_code == 200, r.text
    followups: dict[str, int] = r.json()["followups"]
    return followups


async def test_the_director_draws_a_months_visits_reproducibly_from_the_seed(api: Api) -> None:
    director = api.auth("director")
    today = (await api.http.get("/dashboard/me", headers=director)).json()["today"]
    month = date.fromisoformat(today).replace(day=1)
    ours = [await complete_on_the_spot(api, "wj-a", "WJ-001", ["id_card", "hukou_book"])]
    ours += [await complete_on_the_spot(api, "wj-a", "WJ-001", ["id_card", "hukou_book"])]
    ours += [await complete_on_the_spot(api, "mz-a", "MZ-005", ["id_card", "photo"])]
    before = await figures(api, month, today)
    body = {"month": f"{month:%Y-%m}", "rate": 0.5, "seed": 7}
    keyed = {**director, "Idempotency-Key": "followups-this-month"}
    r = await api.http.post("/followups/sample", json=body, headers=keyed)
    assert r.status_code == 201, r.text
    sample: dict[str, Any] = r.json()
    assert sample["seed"] == 7 and sample["rate"] == 0.5 and sample["drawn_by"] == "director"
    ratings = await api.ctx.pool.fetchval("select to_regclass('public.ratings')")
    assert sample["bad_ratings"] is (ratings is not None)
    drawn = {(i["window"], i["case_id"]) for i in sample["items"] if i["reason"] == "sample"}
    # Anyone can draw it again from the month's completed cases and the seed.
    completed = await completed_in_month(api.ctx.pool, "SFZ", month, ZoneInfo("Asia/Shanghai"))
    assert set(ours) <= {c for cases in completed.values() for c in cases}
    again = draw(completed, month, 7, rate=0.5)
    assert drawn == {(w, c) for w, cases in again.items() for c in cases}
    assert {w for w, _ in drawn} >= {"weijian", "minzheng"}
    assert all(i["status"] == "open" and not i["late"] for i in sample["items"])
    retry = await api.http.post("/followups/sample", json=body, headers=keyed)
    assert retry.status_code == 201 and retry.json() == sample
    r = await api.http.post("/followups/sample", json=body, headers=director)
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_sampled"
    after = await figures(api, month, today)
    assert after["due"] == before["due"] + len(sample["items"]) and after["done"] == before["done"]

    # A weijian clerk sees their window's visits, with the phone to call.
    clerk = await token(api, "wj-a")
    mine = (await api.http.get(f"/followups?month={month:%Y-%m}", headers=clerk)).json()
    assert mine and {i["window"] for i in mine} == {"weijian"}
    assert all(i["applicant"]["phone"] == PHONE for i in mine)
    other = await token(api, "mz-a")
    seen = await api.http.get(f"/followups?window=weijian&month={month:%Y-%m}", headers=other)
    assert all(i["applicant"]["phone_masked"] for i in seen.json())
    assert PHONE not in seen.text

    visit = mine[0]
    url = f"/followups/{visit['id']}/record"
    r = await api.http.post(url, json={"reached": True}, headers=other)
    assert r.status_code == 403
    record = {"reached": True, "level": 5, "note": "对办事效率满意"}
    r = await api.http.post(url, json=record, headers=clerk)
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "done" and done["level"] == 5 and done["recorded_by"] == "wj-a"
    r = await api.http.post(url, json=record, headers=clerk)
    assert r.status_code == 409 and r.json()["error"]["code"] == "invalid_transition"
    still_open = (
        await api.http.get(f"/followups?month={month:%Y-%m}&status=open", headers=director)
    ).json()
    assert visit["id"] not in [i["id"] for i in still_open]
    assert len(still_open) == len(sample["items"]) - 1
    final = await figures(api, month, today)
    assert final["done"] == before["done"] + 1


async def test_a_month_without_completed_cases_draws_no_visits(api: Api) -> None:
    body = {"month": "2001-01", "per_window": 3}
    r = await api.http.post("/followups/sample", json=body, headers=api.auth("director"))
    assert r.status_code == 201, r.text
    assert r.json()["items"] == [] and r.json()["per_window"] == 3 and r.json()["rate"] is None
    # A rate above 1 is a number of cases per window.
    r = await api.http.post(
        "/followups/sample", json={"month": "2001-02", "rate": 4}, headers=api.auth("director")
    )
    assert r.status_code == 201, r.text
    assert r.json()["per_window"] == 4 and r.json()["rate"] is None


async def test_the_errors_of_drawing_and_recording(api: Api) -> None:
    director = api.auth("director")
    for body, status in (
        ({"month": "2001-04"}, 403),
        ({"month": "2999-01"}, 422),
        ({"month": "2001-13"}, 422),
        ({"month": "200103"}, 422),
        ({"month": "2001-03", "rate": 0.2, "per_window": 2}, 422),
        ({"month": "2001-03", "rate": 1.5}, 422),
        ({"month": "2001-03", "rate": 0}, 422),
    ):
        who = await token(api, "mz-head") if status == 403 else director
        r = await api.http.post("/followups/sample", json=body, headers=who)
        assert r.status_code == status, (body, r.text)
    unknown = "/followups/HF-200101-9999/record"
    r = await api.http.post(unknown, json={"reached": False}, headers=director)
    assert r.status_code == 404 and r.json()["error"]["code"] == "followup_not_found"
    r = await api.http.post(unknown, json={"reached": False, "level": 3}, headers=director)
    assert r.status_code == 422
    r = await api.http.get("/followups?month=2001-1", headers=director)
    assert r.status_code == 422
