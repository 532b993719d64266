"""The applicant's link: one unguessable token per case, in GET /cases/{id} and on the notices."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.api.conftest import Api
from tests.api.test_cases import projected, receive


async def _link(api: Api, case_id: str) -> str:
    r = await api.http.get(f"/cases/{case_id}", headers=api.auth("mz-a"))
    assert r.status_code == 200, r.text
    url: str = r.json()["rating_url"]
    return url


async def test_every_case_has_its_own_unguessable_link_in_its_read(api: Api) -> None:
    cases = [await receive(api) for _ in range(3)]
    for c in cases:
        await projected(api, c["case_id"], 1)
    urls = [await _link(api, c["case_id"]) for c in cases]
    tokens = [urlsplit(u).path.rsplit("/", 1)[1] for u in urls]
    assert all(u.startswith(api.ctx.settings.pages_url() + "/r/") for u in urls)
    assert len(set(tokens)) == 3
    for token, c in zip(tokens, cases, strict=True):
        # 32 random bytes, URL-safe: nothing of the case number, the date or a counter.
        assert len(token) >= 43 and c["case_id"] not in token
        assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    # The live read carries the same link; reading again issues no other.
    first = cases[0]["case_id"]
    r = await api.http.get(f"/cases/{first}?consistent=true", headers=api.auth("mz-a"))
    assert r.json()["rating_url"] == urls[0] == await _link(api, first)


async def test_the_receipt_notice_prints_the_cases_link(api: Api) -> None:
    case = await receive(api)
    cid = case["case_id"]
    await projected(api, cid, 1)
    url = await _link(api, cid)
    r = await api.http.get(f"/cases/{cid}/notices/{cid}-N1", headers=api.auth("mz-a"))
    assert r.status_code == 200 and url in r.text and "<svg" in r.text
    pdf = await api.http.get(f"/cases/{cid}/notices/{cid}-N1?format=pdf", headers=api.auth("mz-a"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
