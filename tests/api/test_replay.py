"""Replay and the dossier through the API: ops only, the contract's errors, what is reported."""

from __future__ import annotations

import io

from pypdf import PdfReader

from tests.api.conftest import Api
from tests.api.test_cases import (
    ID_NUMBER,
    PHONE,
    assert_error,
    projected,
    receive,
)


async def _case(api: Api) -> str:
    body = await receive(api)
    case_id: str = body["case_id"]
    r = await api.http.post(f"/cases/{case_id}/start-review", headers=api.auth("mz-a"))
    assert r.status_code == 200, r.text
    await projected(api, case_id, r.json()["last_seq"])
    return case_id


async def test_ops_replays_a_case_and_it_is_consistent(api: Api) -> None:
    case_id = await _case(api)
    r = await api.http.get(f"/cases/{case_id}/replay", headers=api.auth("ops"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["consistent"] is True and body["differences"] == []
    assert [s["type"] for s in body["timeline"]] == ["case.received", "review.started"]
    step = body["timeline"][0]
    assert step["label"] == {"zh": "受理", "en": "case received"}
    assert step["at"].endswith("+08:00") and step["clock"]["due_after"] is not None
    assert ID_NUMBER not in r.text and PHONE not in r.text
    assert body["case"]["applicant"]["id_number_masked"].startswith("110")


async def test_a_tampered_row_shows_in_the_replay(api: Api) -> None:
    case_id = await _case(api)
    await api.ctx.pool.execute(
        "update case_events set at = at + interval '1 hour' where case_id = $1 and seq = 2",
        case_id,
    )
    body = (await api.http.get(f"/cases/{case_id}/replay", headers=api.auth("ops"))).json()
    assert body["consistent"] is False
    assert [(d["kind"], d["key"], d["field"]) for d in body["differences"]] == [
        ("altered_event", "2", "at")
    ]


async def test_other_roles_may_not_replay_and_an_unknown_case_is_not_found(api: Api) -> None:
    case_id = await _case(api)
    for staff in ("mz-a", "mz-head", "director"):
        r = await api.http.get(f"/cases/{case_id}/replay", headers=api.auth(staff))
        assert_error(r, 403, "forbidden")
    r = await api.http.get("/cases/BJ-NOSUCHCASE/replay", headers=api.auth("ops"))
    assert_error(r, 404, "case_not_found")
    assert_error(await api.http.get(f"/cases/{case_id}/replay"), 401, "unauthorized")


async def test_the_dossier_is_a_printable_page_in_chinese(api: Api) -> None:
    case_id = await _case(api)
    r = await api.http.get(f"/cases/{case_id}/dossier", headers=api.auth("director"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert f"办件档案 · {case_id}" in r.text and "受理" in r.text and "尚未归档" in r.text
    assert ID_NUMBER not in r.text
    # It names the applicant: never kept by a browser or a proxy, never framed.
    assert r.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert_error(
        await api.http.get(f"/cases/{case_id}/dossier", headers=api.auth("mz-a")), 403, "forbidden"
    )


async def test_the_dossier_is_also_an_a4_pdf_and_an_unknown_format_is_refused(api: Api) -> None:
    case_id = await _case(api)
    url, h = f"/cases/{case_id}/dossier", api.auth("ops")
    r = await api.http.get(url, params={"format": "pdf"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == f'inline; filename="{case_id}-dossier.pdf"'
    assert r.content.startswith(b"%PDF-") and r.content.rstrip().endswith(b"%%EOF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
    assert "办件档案" in text and case_id in text and "尚未归档" in text
    assert ID_NUMBER not in text
    r = await api.http.get(url, params={"format": "docx"}, headers=h)
    assert_error(r, 422, "validation_error")
    r = await api.http.get(url, params={"format": "pdf"}, headers=api.auth("mz-a"))
    assert_error(r, 403, "forbidden")
