"""The applicant's link shows where the case stands, in Chinese, and names no one: not the
applicant, not the staff, no staff note, no case but its own."""

from __future__ import annotations

from api.routers.public import loggable_path
from tests.api.conftest import Api
from tests.api.test_cases import ID_NUMBER, PHONE, assert_error, new_case, projected
from tests.api.test_ratings import complete, linked_case

# Whatever names a person: the applicant's data (raw and masked) and the staff's ids and names.
PERSONAL = [ID_NUMBER, PHONE, "110***********002X", "139****5678", "王小明"]
STAFF = ["mz-a", "mz-head", "王秀兰", "张志强"]


def assert_no_one_named(text: str, *also: str) -> None:
    for value in [*PERSONAL, *STAFF, *also]:
        assert value not in text, value


async def _case_missing_a_material(api: Api) -> tuple[str, str]:
    body = new_case(materials=["id_card", "hukou_book", "application_form"])
    r = await api.http.post("/cases", json=body, headers=api.auth("mz-a"))
    assert r.status_code == 201, r.text
    cid: str = r.json()["case_id"]
    await projected(api, cid, 1)
    url = (await api.http.get(f"/cases/{cid}", headers=api.auth("mz-a"))).json()["rating_url"]
    return cid, url.rsplit("/", 1)[1]


async def test_the_progress_is_in_chinese_with_what_is_missing_and_the_notices(api: Api) -> None:
    cid, token = await _case_missing_a_material(api)
    h = api.auth("mz-a")
    body = {"missing": ["hardship_proof"], "note": "请携带医院票据原件"}
    r = await api.http.post(f"/cases/{cid}/request-materials", json=body, headers=h)
    assert r.status_code == 200, r.text
    await projected(api, cid, r.json()["last_seq"])
    r = await api.http.get(f"/public/cases/{token}")
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["service_name"] == "临时救助申请" and p["status"] == "needs_materials"
    assert p["status_text"] == "待补正材料" and p["received_at"].endswith("+08:00")
    assert p["missing"] == ["遭遇困难的证明（医疗票据、事故证明等）"]
    assert [n["title"] for n in p["notices"]] == ["受理通知书", "补正材料通知书（一次性告知）"]
    assert p["can_rate"] == ["received"] and p["ratings"] == {}
    assert_no_one_named(r.text, cid)
    for n in p["notices"]:
        page = await api.root.get(n["url"])
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        assert "临时救助申请" in page.text and "经办人" not in page.text
        assert_no_one_named(page.text)
    materials = (await api.root.get(p["notices"][1]["url"])).text
    assert "补正说明：请携带医院票据原件" in materials  # the notice's own words to the applicant
    pdf = await api.root.get(p["notices"][0]["url"] + "?format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert_error(
        await api.root.get(f"/api/v1/public/cases/{token}/notices/99"), 404, "notice_not_found"
    )


async def test_a_completed_case_shows_its_outcome_and_no_staff_note(api: Api) -> None:
    cid, token = await linked_case(api)
    await complete(api, cid)
    p = (await api.http.get(f"/public/cases/{token}")).json()
    assert p["status_text"] == "已办结（准予办理）" and p["completed_at"] is not None
    assert p["missing"] == [] and p["can_rate"] == ["received", "completed"]
    done = next(n for n in p["notices"] if n["title"] == "办结通知书")
    page = (await api.root.get(done["url"])).text
    assert "办理结果：准予办理" in page and "符合条件" not in page
    assert_no_one_named(page)


async def test_the_page_is_the_same_for_every_link_and_leaks_nothing(api: Api) -> None:
    _, token = await _case_missing_a_material(api)
    r = await api.root.get(f"/r/{token}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert (
        r.headers["referrer-policy"] == "no-referrer" and r.headers["cache-control"] == "no-store"
    )
    assert "办件进度" in r.text and token not in r.text
    assert_no_one_named(r.text)
    other = await api.root.get("/r/" + "z" * 43)
    assert other.text == r.text
    for asset in ("/static/rate.js", "/static/rate.css"):
        assert (await api.root.get(asset)).status_code == 200


def test_a_links_token_never_reaches_the_request_log() -> None:
    token = "DCgigS43XJER0dJaNkIiCPz7zF5-SZ6DJT583HlWBd8"
    for path in (
        f"/api/v1/public/ratings/{token}",
        f"/api/v1/public/cases/{token}",
        f"/api/v1/public/cases/{token}/notices/3",
        f"/r/{token}",
    ):
        assert token not in loggable_path(path)
    assert loggable_path("/api/v1/cases/BJ-1") == "/api/v1/cases/BJ-1"


async def test_an_error_on_the_public_routes_never_repeats_the_token(api: Api) -> None:
    token = "q" * 43
    r = await api.http.post(f"/public/ratings/{token}", json={"stage": "received", "level": 9})
    assert r.status_code == 422 and token not in r.text
    r = await api.http.get(f"/public/cases/{token}")
    assert r.status_code == 404 and token not in r.text
