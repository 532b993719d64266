"""Ratings through the applicant's link: one per stage, completion only once completed, a
bad one opens a rectification; rate limits; what staff read."""

from __future__ import annotations

from typing import Any

import httpx

from api.app import create_app
from api.ratelimit import PublicLimits, TokenBuckets
from tests.api.conftest import Api
from tests.api.test_cases import assert_error, projected, receive
from tests.conftest import eventually


async def linked_case(api: Api, staff: str = "mz-a") -> tuple[str, str]:
    """A new case, projected: its id and its token."""
    case = await receive(api, staff)
    cid = case["case_id"]
    await projected(api, cid, 1)
    r = await api.http.get(f"/cases/{cid}", headers=api.auth(staff))
    token: str = r.json()["rating_url"].rsplit("/", 1)[1]
    return cid, token


async def rate(api: Api, token: str, **body: Any) -> httpx.Response:
    return await api.http.post(f"/public/ratings/{token}", json=body)


async def complete(api: Api, cid: str) -> None:
    h = api.auth("mz-a")
    assert (await api.http.post(f"/cases/{cid}/start-review", headers=h)).status_code == 200
    body = {"outcome": "approved", "note": "符合条件"}
    r = await api.http.post(f"/cases/{cid}/complete", json=body, headers=h)
    assert r.status_code == 200, r.text
    await projected(api, cid, r.json()["last_seq"])


async def test_a_stage_is_rated_once_and_completion_only_once_completed(api: Api) -> None:
    cid, token = await linked_case(api)
    r = await rate(
        api, token, stage="received", level=5, tags=["attitude", "skill"], comment="很好"
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["level_name"] == "非常满意" and body["tags"] == ["attitude", "skill"]
    assert body["rectification"] is False and "case_id" not in body
    assert_error(await rate(api, token, stage="received", level=4), 409, "already_rated")
    assert_error(await rate(api, token, stage="completed", level=4), 409, "invalid_transition")
    assert_error(await rate(api, token, stage="followup", level=4), 409, "invalid_transition")
    await complete(api, cid)
    assert (await rate(api, token, stage="completed", level=3)).status_code == 201
    assert_error(await rate(api, token, stage="completed", level=5), 409, "already_rated")
    listed = (await api.http.get(f"/ratings?case_id={cid}", headers=api.auth("mz-a"))).json()
    assert [(x["stage"], x["level"]) for x in listed] == [("completed", 3), ("received", 5)]
    assert listed[1]["comment"] == "很好" and listed[0]["window"] == "minzheng"


async def test_an_unknown_link_is_404_and_bad_input_is_422(api: Api) -> None:
    assert_error(await rate(api, "x" * 43, stage="received", level=5), 404, "link_not_found")
    r = await api.http.get("/public/cases/" + "y" * 43)
    assert_error(r, 404, "link_not_found")
    _, token = await linked_case(api)
    assert_error(await rate(api, token, stage="received", level=6), 422, "validation_error")
    assert_error(await rate(api, token, stage="later", level=5), 422, "validation_error")
    assert_error(
        await rate(api, token, stage="received", level=5, tags=["x"]), 422, "validation_error"
    )
    assert_error(await rate(api, "short", stage="received", level=5), 422, "validation_error")


async def test_a_flood_on_one_link_or_from_one_address_is_429(api: Api) -> None:
    """Buckets that never refill here, so that what is spent is all there is."""
    _, token = await linked_case(api)
    app = create_app(api.ctx)
    app.state.public_limits = PublicLimits(TokenBuckets(8, 0.0), TokenBuckets(3, 0.0))
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://banjian.test/api/v1") as c:
        body = {"stage": "received", "level": 5}
        codes = [
            (await c.post(f"/public/ratings/{token}", json=body)).status_code for _ in range(4)
        ]
        assert codes == [201, 409, 409, 429]
        r = await c.get(f"/public/cases/{token}")
        assert token not in assert_error(r, 429, "rate_limited")["error"]["message"]
        # The same address trying one unknown link after another runs out of its own.
        codes = [(await c.get(f"/public/cases/{i:043d}")).status_code for i in range(4)]
        assert codes == [404, 404, 404, 429]
    # Another address, and the shared app's own buckets, are untouched.
    assert (await api.http.get(f"/public/cases/{token}")).status_code == 200


async def test_staff_read_ratings_of_their_own_window_and_the_director_all(api: Api) -> None:
    cid, token = await linked_case(api)
    assert (await rate(api, token, stage="received", level=4)).status_code == 201
    mine = (await api.http.get("/ratings", headers=api.auth("mz-a"))).json()
    assert any(x["case_id"] == cid for x in mine) and {x["window"] for x in mine} == {"minzheng"}
    assert_error(
        await api.http.get("/ratings?window=minzheng", headers=api.auth("sb-a")), 403, "forbidden"
    )
    theirs = (await api.http.get("/ratings", headers=api.auth("sb-a"))).json()
    assert all(x["case_id"] != cid for x in theirs)
    r = await api.http.get("/ratings?level=4&window=minzheng", headers=api.auth("director"))
    assert any(x["case_id"] == cid for x in r.json()) and {x["level"] for x in r.json()} == {4}
    assert_error(await api.http.get("/ratings"), 401, "unauthorized")


async def test_a_bad_rating_opens_a_rectification_and_its_answer_opens_a_followup(
    api: Api,
) -> None:
    cid, token = await linked_case(api)
    r = await rate(api, token, stage="received", level=1, tags=["attitude"], comment="态度差")
    assert r.status_code == 201 and r.json()["rectification"] is True
    rid = f"RECT-{cid}-received"

    async def listed(status: str) -> list[dict[str, Any]]:
        h = api.auth("mz-head")
        items: list[dict[str, Any]] = (
            await api.http.get(f"/rectifications?status={status}", headers=h)
        ).json()
        return [x for x in items if x["id"] == rid]

    async def opened() -> bool:
        return len(await listed("open")) == 1

    await eventually(opened)
    item = (await listed("open"))[0]
    assert item["case_id"] == cid and item["window"] == "minzheng" and item["level"] == 1
    assert item["contact_due_at"] < item["rectify_due_at"]
    h = api.auth("mz-a")
    assert_error(
        await api.http.post(f"/rectifications/{rid}/rectify", json={"action": "培训"}, headers=h),
        409,
        "invalid_transition",
    )
    assert_error(
        await api.http.post(
            f"/rectifications/{rid}/contact", json={"note": "已联系"}, headers=api.auth("sb-a")
        ),
        403,
        "forbidden",
    )
    r = await api.http.post(
        f"/rectifications/{rid}/contact", json={"note": "电话联系，核实情况"}, headers=h
    )
    assert r.status_code == 200 and r.json()["contacted_at"] is not None, r.text
    r = await api.http.post(
        f"/rectifications/{rid}/rectify", json={"action": "窗口人员服务规范培训"}, headers=h
    )
    assert r.status_code == 200, r.text
    assert_error(await rate(api, token, stage="followup", level=5), 409, "invalid_transition")
    r = await api.http.post(
        f"/rectifications/{rid}/answer", json={"text": "已向申请人致歉并说明整改"}, headers=h
    )
    assert r.status_code == 200 and r.json()["status"] == "done" and r.json()["on_time"] is True

    async def done() -> bool:
        return len(await listed("done")) == 1

    await eventually(done)
    assert_error(
        await api.http.post(f"/rectifications/{rid}/answer", json={"text": "再答"}, headers=h),
        409,
        "invalid_transition",
    )
    detail = (await api.http.get(f"/rectifications/{rid}", headers=h)).json()
    assert [e["type"] for e in detail["events"]] == [
        "rectification.opened",
        "rectification.contacted",
        "rectification.rectified",
        "rectification.answered",
    ]
    r = await rate(api, token, stage="followup", level=4)
    assert r.status_code == 201 and r.json()["rectification"] is False
    assert_error(await rate(api, token, stage="followup", level=4), 409, "already_rated")
    assert_error(
        await api.http.get("/rectifications/RECT-nothing", headers=h),
        404,
        "rectification_not_found",
    )


async def test_each_rating_is_a_rating_recorded_event_of_the_applicant_log(api: Api) -> None:
    cid, token = await linked_case(api)
    assert (await rate(api, token, stage="received", level=2, tags=["attitude"])).status_code == 201
    assert_error(await rate(api, token, stage="received", level=5), 409, "already_rated")
    rows = await api.ctx.pool.fetch(
        "select type, actor, data from applicant_events where subject_id = $1",
        f"{cid}-received",
    )
    assert [(r["type"], r["actor"]) for r in rows] == [("rating.recorded", "applicant")]
    data = rows[0]["data"]
    assert data["case_id"] == cid and data["level"] == 2 and data["tags"] == ["attitude"]
    assert data["rectification_id"] is not None  # a bad rating: its rectification named
