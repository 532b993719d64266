"""The applicant's link on the receipt and completion notices: printed, and as a QR code that
reads back as the link, on the page and in the PDF."""

from __future__ import annotations

import io
from dataclasses import replace

from pypdf import PdfReader

from documents.notices import render_notice
from documents.pdf import html_to_pdf
from documents.qr import qr_png_uri, qr_svg
from projections.notices import collect_notices
from tests.documents.test_notices import AT, RECEIVED, TZ, _case
from workflows.event_data import DomainEvent
from workflows.event_log import recorded
from workflows.events import CaseCompleted, MaterialsRequested
from workflows.model import Outcome

LINK = "https://banjian.test/r/3q2-xY_Zk8cWv1uTr0sP9oNm7LkJiHg6FeDcBa54321"


def _page(event: DomainEvent, link: str | None = LINK) -> str:
    (notice,) = collect_notices("BJ-20261127-0001", [recorded(7, AT, "mz-a", event)])
    return render_notice(replace(_case(notice), rating_url=link), notice, TZ)


def test_the_receipt_and_the_completion_notice_print_the_link_and_its_qr_code() -> None:
    receipt = _page(RECEIVED)
    completion = _page(CaseCompleted(True, Outcome.APPROVED, "符合条件"))
    for page in (receipt, completion):
        assert LINK in page and '<div class="qr"' in page and "<svg" in page and "好差评" in page
    assert "办结通知书" in completion and "已于2026年11月27日办结" in completion
    assert "办理结果：准予办理" in completion and "说明：符合条件" in completion


def test_other_notices_and_cases_without_a_link_print_none() -> None:
    materials = _page(MaterialsRequested(["hukou_book"], "", False, False))
    assert LINK not in materials and "<svg" not in materials
    assert "<svg" not in _page(RECEIVED, link=None)


def test_the_qr_code_is_the_same_symbol_on_screen_and_on_paper() -> None:
    svg = qr_svg(LINK)
    assert svg.startswith("<svg") and "<script" not in svg and "href" not in svg
    # The PDF's image is drawn from the same link by the same encoder.
    assert qr_png_uri(LINK).startswith("data:image/png;base64,")


def test_the_pdf_of_a_linked_notice_states_the_link_and_draws_the_code() -> None:
    pdf = html_to_pdf(_page(CaseCompleted(True, Outcome.DENIED, "")))
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(p.extract_text() for p in reader.pages).replace("\n", "")
    assert LINK in text and "不予办理" in text and len(reader.pages) == 1
