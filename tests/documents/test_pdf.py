"""The notices and the dossier as PDF: A4 pages that carry their Chinese text, rows not lost.

The text is read back with pypdf. ReportLab writes Chinese as UCS-2 codes under
the standard UniGB-UCS2-H encoding of the named (not embedded) font, and pypdf
decodes them through that encoding: the check proves the PDF states the text;
how it looks depends on the reader's Song font.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, PdfObject

from documents.dossier import render_dossier
from documents.pdf import FONT, html_to_pdf
from documents.replay_report import Finding, ReplayReport
from documents.timeline import Step
from tests.documents.test_notices import ID_NUMBER, RECEIVED, _render
from workflows.event_data import DomainEvent
from workflows.event_log import recorded
from workflows.events import CaseReturned, ClockPaused, DeadlineExtended, MaterialsRequested

TZ = ZoneInfo("Asia/Shanghai")
CASE = "BJ-20261127-0001"
AT = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)


def _read(pdf: bytes) -> tuple[int, list[str]]:
    """The number of pages and each page's text."""
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), [p.extract_text() for p in reader.pages]


def _receipt() -> str:
    return _render(RECEIVED)


def test_a_notice_is_one_a4_page_that_states_its_chinese_text() -> None:
    pdf = html_to_pdf(_receipt())
    pages, texts = _read(pdf)
    assert pages == 1
    text = texts[0]
    assert "受理通知书" in text and "示范镇便民服务中心" in text and f"{CASE}-N3" in text
    assert "5个工作日内办结，即于2026年12月4日前办结" in text
    assert "首问责任人：王秀兰" in text and "110***********002X" in text
    assert ID_NUMBER not in text and "第 1 页" in text
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert [round(float(x)) for x in page.mediabox[2:]] == [595, 842]  # A4 in points
    fonts = [_dict(f) for f in _dict(_dict(page["/Resources"])["/Font"]).values()]
    song = next(f for f in fonts if str(f["/BaseFont"]) == f"/{FONT}")
    assert str(song["/Encoding"]) == "/UniGB-UCS2-H"
    descendant = song["/DescendantFonts"]
    assert isinstance(descendant, ArrayObject)
    descriptor = _dict(_dict(descendant[0])["/FontDescriptor"])
    assert not {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), "font embedded"


def _dict(value: PdfObject) -> DictionaryObject:
    found = value.get_object()
    assert isinstance(found, DictionaryObject)
    return found


@pytest.mark.parametrize(
    ("event", "says"),
    [
        (MaterialsRequested(["hukou_book", "id_card"], "请带原件", False, False), "户口簿"),
        (CaseReturned(True, "不符合临时救助条件", False, 15, None), "退回理由：不符合临时救助条件"),
        (DeadlineExtended("promised", 10, "需组织专家评审", None, None), "延长10个工作日"),
        (ClockPaused("suspended", "需现场勘查", 0), "中止计时"),
    ],
)
def test_every_kind_of_notice_converts(event: DomainEvent, says: str) -> None:
    pages, texts = _read(html_to_pdf(_render(event)))
    assert pages == 1 and says in texts[0] and "经办人：王秀兰" in texts[0]


def _report(events: int) -> ReplayReport:
    # The receipt that gives the dossier its one notice, stating little.
    brief = replace(RECEIVED, materials=[], materials_missing=[], due_at=None, legal_due_at=None)
    received = recorded(1, AT, "mz-a", brief)
    steps = [
        Step(
            seq=i,
            at=(AT + timedelta(minutes=i)).astimezone(TZ),
            actor="mz-a",
            type="case.received" if i == 1 else "note",
            label_zh=f"节{i:03d}",
            label_en="note",
            clock="promised",
            due_before=None,
            due_after=AT + timedelta(days=5),
            data=received.data if i == 1 else {"note": "需要补充说明的内容" * (1 + i % 4)},
            projected=True,
            schema_version=received.schema_version if i == 1 else 1,
        )
        for i in range(1, events + 1)
    ]
    case = {
        "service_code": "MZ-001",
        "service_name": "临时救助申请",
        "kind": "promised",
        "applicant": {"name": "王小明", "id_number_masked": "110***********002X"},
    }
    archive = {
        "position": 7,
        "archived_at": "2026-12-01T10:00:00+08:00",
        "history_sha256": "a1" * 32,
        "chain_hash": "b2" * 32,
    }
    finding = Finding("altered_event", "2", "at", "09:00", "10:00")
    return ReplayReport(CASE, "archive", True, True, "completed", case, archive, steps, [finding])


def test_a_long_dossier_runs_over_pages_and_keeps_every_event() -> None:
    pages, texts = _read(html_to_pdf(render_dossier(_report(120))))
    assert pages >= 4
    for n, text in enumerate(texts, 1):
        assert f"第 {n} 页" in text
        assert "办理人" in text, f"the events' header is repeated on page {n}"
    everything = "\n".join(texts)
    assert f"办件档案 ・ {CASE}" in everything  # the middle dot as the font's encoding has it
    assert [s for s in range(1, 121) if f"节{s:03d}" not in everything] == []
    assert everything.index("节119") < everything.index("节120") < everything.index("书面通知")
    assert f"{CASE}-N1" in everything and "受理通知书" in everything
    assert "发现 1 处差异" in everything and "event #2: at is '10:00'" in everything
    assert "a1" * 32 in "".join(texts[-1].split()) and "b2" * 32 in "".join(texts[-1].split())


def test_a_character_the_font_cannot_encode_is_marked_not_garbled() -> None:
    html = _receipt().replace("王小明", "王𠀀明")
    _, texts = _read(html_to_pdf(html))
    assert "王〓明" in texts[0] and "𠀀" not in texts[0]


@pytest.mark.parametrize(
    "html",
    [
        "<body><p>准予<b>办结</b></p></body>",
        "<body>办结<p>x</p></body>",
        "<body><div>x</div></body>",
    ],
)
def test_html_it_was_not_written_for_is_refused(html: str) -> None:
    with pytest.raises(ValueError):
        html_to_pdf(html)
