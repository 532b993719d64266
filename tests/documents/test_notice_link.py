"""The applicant's link on the receipt and completion notices: printed, and as a QR code that
reads back as the link, on the page and in the PDF."""

from __future__ import annotations

import io
from dataclasses import replace

from pypdf import PdfReader

from documents.notices import render_notice
from documents.pdf import html_to_pdf
from documents.qr import qr_drawing, qr_svg
from projections.notices import Notice
from tests.documents.test_notices import AT, TZ, _case

LINK = "https://banjian.test/r/3q2-xY_Zk8cWv1uTr0sP9oNm7LkJiHg6FeDcBa54321"


def _page(kind: str, **data: object) -> str:
    notice = Notice("BJ-20261127-0001", 7, kind, AT, "mz-a", data)
    return render_notice(replace(_case(notice), rating_url=LINK), notice, TZ)


def test_the_receipt_and_the_completion_notice_print_the_link_and_its_qr_code() -> None:
    receipt = _page("receipt", promised_days=5, due_at="2026-12-04T17:30:00+08:00")
    completion = _page("completion", outcome="approved", note="符合条件")
    for page in (receipt, completion):
        assert LINK in page and '<div class="qr"' in page and "<svg" in page and "好差评" in page
    assert "办结通知书" in completion and "已于2026年11月27日办结" in completion
    assert "办理结果：准予办理" in completion and "说明：符合条件" in completion


def test_other_notices_and_cases_without_a_link_print_none() -> None:
    materials = _page("materials", missing=["hukou_book"])
    assert LINK not in materials and "<svg" not in materials
    notice = Notice("BJ-20261127-0001", 1, "receipt", AT, "mz-a", {"promised_days": 5})
    assert "<svg" not in render_notice(_case(notice), notice, TZ)


def test_the_qr_code_is_the_same_symbol_on_screen_and_on_paper() -> None:
    svg = qr_svg(LINK)
    assert svg.startswith("<svg") and "<script" not in svg and "href" not in svg
    drawing = qr_drawing(LINK, 100)
    # A version-4 symbol or larger: 33 modules and the quiet zone, dark modules as squares.
    assert drawing.width == 100 and len(drawing.contents) > 200


def test_the_pdf_of_a_linked_notice_states_the_link_and_draws_the_code() -> None:
    pdf = html_to_pdf(_page("completion", outcome="denied"))
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(p.extract_text() for p in reader.pages).replace("\n", "")
    assert LINK in text and "不予办理" in text and len(reader.pages) == 1
