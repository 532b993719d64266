"""The dashboard's summary counts ratings by level with the satisfaction rate, and bad ratings'
rectifications open, done and on time."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.api.test_ratings import linked_case, rate
from tests.conftest import eventually


async def _summary(api: Api, staff: str = "director", query: str = "") -> dict[str, Any]:
    r = await api.http.get(f"/dashboard/summary{query}", headers=api.auth(staff))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_ratings_and_rectifications_are_counted_on_the_summary(api: Api) -> None:
    before = await _summary(api)
    for level in (5, 3, 2):
        cid, token = await linked_case(api)
        assert (await rate(api, token, stage="received", level=level)).status_code == 201
    after = await _summary(api)
    ratings, was = after["ratings"], before["ratings"]
    assert ratings["count"] == was["count"] + 3
    assert set(ratings["by_level"]) == {"1", "2", "3", "4", "5"}
    for given in ("5", "3", "2"):
        assert ratings["by_level"][given] == was["by_level"].get(given, 0) + 1
    satisfied = sum(n for key, n in ratings["by_level"].items() if int(key) >= 3)
    assert ratings["satisfaction_rate"] == round(satisfied / ratings["count"], 4)

    async def opened() -> bool:
        now = (await _summary(api))["rectifications"]
        return bool(now["open"] == before["rectifications"]["open"] + 1)

    await eventually(opened)
    rid, h = f"RECT-{cid}-received", api.auth("mz-a")
    for step, body in (("contact", {"note": "已电话联系"}), ("rectify", {"action": "补充告知"})):
        assert (
            await api.http.post(f"/rectifications/{rid}/{step}", json=body, headers=h)
        ).is_success
    r = await api.http.post(f"/rectifications/{rid}/answer", json={"text": "已答复"}, headers=h)
    assert r.status_code == 200, r.text

    async def answered() -> bool:
        now = (await _summary(api))["rectifications"]
        return bool(now["done"] == before["rectifications"]["done"] + 1)

    await eventually(answered)
    rect = (await _summary(api))["rectifications"]
    assert rect["on_time_rate"] is not None and 0 < rect["on_time_rate"] <= 1
    # A clerk's summary is the window's: the ratings of the clerk's window only.
    mine = await _summary(api, "sb-a")
    assert mine["window"] == "shebao" and mine["ratings"]["count"] <= ratings["count"] - 3
    days = await _summary(api, query="?from=2000-01-01&to=2000-01-31")
    assert days["ratings"]["count"] == 0 and days["ratings"]["satisfaction_rate"] is None
    assert days["rectifications"] == {"open": 0, "done": 0, "on_time_rate": None}
