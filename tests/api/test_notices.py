"""A case's written notices through the API: the list, each printable page, who reads them."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pypdf import PdfReader

from tests.api.conftest import Api
from tests.api.test_cases import ID_NUMBER, PHONE, assert_error, new_case, projected

TZ = ZoneInfo("Asia/Shanghai")
MISSING = ["hardship_proof", "hukou_book"]


def _date(iso: str) -> str:
    at = datetime.fromisoformat(iso).astimezone(TZ)
    return f"{at.year}年{at.month}月{at.day}日"


async def _act(api: Api, case_id: str, staff: str, action: str, body: dict[str, Any]) -> int:
    r = await api.http.post(f"/cases/{case_id}/{action}", json=body, headers=api.auth(staff))
    assert r.status_code == 200, r.text
    last_seq: int = r.json()["last_seq"]
    return last_seq


async def _case_with_every_notice(api: Api) -> str:
    """Received with two materials missing, asked for them, suspended, extended, returned."""
    body = new_case(materials=["id_card", "application_form"])
    r = await api.http.post("/cases", json=body, headers=api.auth("mz-a"))
    assert r.status_code == 201, r.text
    cid: str = r.json()["case_id"]
    await _act(api, cid, "mz-a", "request-materials", {"missing": MISSING, "note": "请携带原件"})
    await _act(api, cid, "mz-a", "supply-materials", {"materials": MISSING})
    await _act(api, cid, "mz-a", "suspend", {"reason": "需现场勘查住房情况", "expected_days": 5})
    await _act(api, cid, "mz-a", "resume", {})
    await _act(api, cid, "director", "extend", {"days": 3, "reason": "需入户核实家庭收入"})
    last = await _act(api, cid, "mz-a", "return", {"reason": "家庭收入高于救助标准"})
    await projected(api, cid, last)
    return cid


async def _page(api: Api, url: str, staff: str = "mz-a") -> str:
    r = await api.root.get(url, headers=api.auth(staff))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert ID_NUMBER not in r.text and PHONE not in r.text
    assert "110***********002X" in r.text and "王小明" in r.text
    return r.text


async def test_every_notice_of_a_case_is_listed_and_printable(api: Api) -> None:
    cid = await _case_with_every_notice(api)
    h = api.auth("mz-a")
    events = {e["type"]: e for e in (await api.http.get(f"/cases/{cid}/events", headers=h)).json()}
    r = await api.http.get(f"/cases/{cid}/notices", headers=h)
    assert r.status_code == 200, r.text
    listed = r.json()
    assert [n["kind"] for n in listed] == [
        "receipt",
        "materials",
        "suspension",
        "extension",
        "return",
    ]
    for n in listed:
        assert n["id"] == f"{cid}-N{n['seq']}" and n["issued_at"].endswith("+08:00")
        assert n["url"] == f"/api/v1/cases/{cid}/notices/{n['id']}"
    pages = {n["kind"]: await _page(api, n["url"]) for n in listed}

    received = events["case.received"]
    receipt = pages["receipt"]
    assert "受理通知书" in receipt and cid in receipt and "示范镇便民服务中心" in receipt
    assert f"您于{_date(received['at'])}提交的“临时救助申请”申请" in receipt
    assert f"5个工作日内办结，即于{_date(received['data']['due_at'])}前办结" in receipt
    legal_due = _date(received["data"]["legal_due_at"])
    assert f"法定办理时限为20个工作日，至{legal_due}止" in receipt
    assert "首问责任人：王秀兰" in receipt

    materials = pages["materials"]
    assert "一次性告知" in materials and "补正说明：请携带原件" in materials
    assert "户口簿" in materials and "遭遇困难的证明（医疗票据、事故证明等）" in materials

    suspension = pages["suspension"]
    assert "因需现场勘查住房情况" in suspension and "预计中止5日" in suspension

    extended = events["deadline.extended"]["data"]
    extension = pages["extension"]
    assert "承诺办理时限延长3个工作日" in extension and "因需入户核实家庭收入" in extension
    assert f"由{_date(extended['due_at_before'])}延至{_date(extended['due_at'])}" in extension
    assert "经办人：韩卫东" in extension

    returned = pages["return"]
    issued = _date(events["case.returned"]["at"])
    assert "退回理由：家庭收入高于救助标准" in returned
    assert f"自本通知书出具之日（{issued}）起15日内" in returned and "中心主任申请复核" in returned


async def test_all_staff_read_notices_and_unknown_ones_are_404(api: Api) -> None:
    cid = await _case_with_every_notice(api)
    for staff in ("sb-a", "mz-head", "director", "ops"):
        r = await api.http.get(f"/cases/{cid}/notices/{cid}-N1", headers=api.auth(staff))
        assert r.status_code == 200, (staff, r.text)
    h = api.auth("mz-a")
    assert_error(
        await api.http.get("/cases/BJ-NOSUCHCASE/notices", headers=h), 404, "case_not_found"
    )
    r = await api.http.get("/cases/BJ-NOSUCHCASE/notices/BJ-NOSUCHCASE-N1", headers=h)
    assert_error(r, 404, "case_not_found")
    r = await api.http.get(f"/cases/{cid}/notices/{cid}-N3", headers=h)  # the materials pause
    assert_error(r, 404, "notice_not_found")
    assert_error(await api.http.get(f"/cases/{cid}/notices"), 401, "unauthorized")


async def test_the_dossier_lists_the_notices(api: Api) -> None:
    cid = await _case_with_every_notice(api)
    r = await api.http.get(f"/cases/{cid}/dossier", headers=api.auth("director"))
    assert r.status_code == 200, r.text
    assert "书面通知" in r.text and f"{cid}-N1" in r.text and "退回通知书" in r.text


async def test_a_notice_is_also_an_a4_pdf_and_an_unknown_format_is_refused(api: Api) -> None:
    cid = await _case_with_every_notice(api)
    url, h = f"/cases/{cid}/notices/{cid}-N1", api.auth("mz-a")
    r = await api.http.get(url, params={"format": "pdf"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == f'inline; filename="{cid}-N1.pdf"'
    assert r.headers["cache-control"] == "no-store"
    assert r.content.startswith(b"%PDF-") and r.content.rstrip().endswith(b"%%EOF")
    pages = PdfReader(io.BytesIO(r.content)).pages
    text = pages[0].extract_text()
    assert len(pages) == 1 and "受理通知书" in text and cid in text and ID_NUMBER not in text
    r = await api.http.get(url, params={"format": "html"}, headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    body = assert_error(
        await api.http.get(url, params={"format": "docx"}, headers=h), 422, "validation_error"
    )
    assert body["error"]["details"][0]["loc"] == ["query", "format"]
