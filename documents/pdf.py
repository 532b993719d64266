"""The printable pages as PDF: the notices' and the dossier's HTML drawn on A4 with ReportLab.

The Chinese text is set in ``STSong-Light``, one of the CID fonts every PDF reader
knows (Adobe's standard Simplified-Chinese Song). It is named, not embedded: no
font file ships with the service, none is needed on the server (one without any
Chinese font makes the same PDF), and the file stays small; the reader draws it
with its own Song font (宋体, on every office PC in China). A character the font's
encoding lacks (any beyond U+FFFF: a rare name's character, an emoji) shows as 〓.

It converts the HTML of ``documents.notices`` and ``documents.dossier`` and nothing
else: headings, paragraphs (their classes ``center``, ``no``, ``flat``, ``ok``,
``bad``, ``link``), tables (their header rows repeated on each page), the signature block, a
list, ``code``, and a QR code (``<div class="qr" data-link=…>``, drawn anew from its link; the
SVG inside it is the screen's). Any other tag, or text outside a block, is refused rather than
dropped. The stylesheet is not read: the layout here mirrors it. There is no bold
(the font has none), and a table row taller than a page cannot be drawn.
"""

from __future__ import annotations

import io
import re
import threading
from html.parser import HTMLParser
from typing import Any, NamedTuple
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from documents.qr import qr_drawing

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

_MARGIN_X, _MARGIN_Y = 22 * mm, 25 * mm
_WIDTH = A4[0] - 2 * _MARGIN_X - 12  # the frame pads 6 points each side
_PAD = 4.0
_BLOCKS = {"h1", "h2", "p", "li"}
_IGNORED = {"html", "head", "meta", "title", "style", "body", "thead", "tbody", "ul"}
_GREY = colors.HexColor("#eeeeee")
_ONE_AT_A_TIME = threading.Lock()
# The font's encoding (UniGB-UCS2-H) has the middle dot as U+30FB only, and no character
# beyond U+FFFF: readers drop or garble those, so they are drawn as 〓, the printer's mark
# for a missing character.
_GB_FORMS = {0xB7: 0x30FB}
_BEYOND_UCS2 = re.compile("[\U00010000-\U0010ffff]")


class _Cell(NamedTuple):
    markup: str
    plain: str
    th: bool


def _style(size: float, leading: float = 1.6, **kw: Any) -> ParagraphStyle:
    return ParagraphStyle(
        f"s{size}", fontName=FONT, fontSize=size, leading=size * leading, wordWrap="CJK", **kw
    )


_H1 = _style(20, alignment=TA_CENTER, spaceBefore=6, spaceAfter=6)
_H2 = _style(14, spaceBefore=10, spaceAfter=4)
_P = _style(12, firstLineIndent=24, spaceBefore=3, spaceAfter=3)
_CLASSES = {
    "center": {"alignment": TA_CENTER, "fontSize": 15, "leading": 24},
    "no": {"alignment": TA_RIGHT, "fontSize": 10.5, "spaceAfter": 12},
    "flat": {"firstLineIndent": 0},
    "ok": {"textColor": colors.HexColor("#006600")},
    "bad": {"textColor": colors.HexColor("#aa0000")},
    "link": {"fontSize": 10, "leading": 14},
}
_QR_SIZE = 30 * mm
_SIGN = _style(12, alignment=TA_RIGHT)


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.story: list[Any] = []
        self.title = ""
        self._open: list[str] = []  # the open tags; a signature block is "sign"
        self._text: list[str] = []  # ReportLab markup of the open block or cell
        self._plain: list[str] = []  # and its text
        self._classes: set[str] = set()
        self._rows: list[list[_Cell]] = []
        self._head_rows = 0
        self._inside_qr = 0  # the depth inside a QR code's block, whose SVG is not read

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._inside_qr:
            self._inside_qr += 1
            return
        classes = set((dict(attrs).get("class") or "").split())
        link = dict(attrs).get("data-link")
        if tag == "div" and classes == {"qr"} and link:
            drawing = qr_drawing(link, _QR_SIZE)
            drawing.hAlign = "RIGHT"
            self.story.append(drawing)
            self._inside_qr = 1
            return
        if tag in _BLOCKS or tag in ("th", "td"):
            self._text, self._plain, self._classes = [], [], classes
        elif tag == "table":
            self._rows, self._head_rows = [], 0
        elif tag == "tr":
            self._rows.append([])
            self._head_rows += "thead" in self._open
        elif tag == "div" and classes == {"sign"}:
            self.story.append(Spacer(1, 30))
            tag = "sign"
        elif tag == "code":
            self._text.append('<font face="Courier">')
            return
        elif tag not in _IGNORED:
            raise ValueError(f"<{tag}> is not part of the pages this converts")
        if tag != "meta":
            self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._inside_qr:
            self._inside_qr -= 1
            return
        if tag == "code":
            self._text.append("</font>")
            return
        opened = self._open.pop()
        if tag != ("div" if opened == "sign" else opened):
            raise ValueError(f"</{tag}> closes <{opened}>")
        markup, plain = "".join(self._text).strip(), "".join(self._plain).strip()
        if tag in ("th", "td"):
            self._rows[-1].append(_Cell(markup, plain, tag == "th"))
        elif tag in _BLOCKS:
            self.story.append(Paragraph(markup, self._paragraph_style(tag)))
        elif tag == "table":
            self.story.append(self._table())

    def handle_data(self, data: str) -> None:
        if self._inside_qr:
            return
        where = self._open[-1] if self._open else ""
        if where == "title":
            self.title += data
        elif where in _BLOCKS or where in ("th", "td"):
            data = _BEYOND_UCS2.sub("〓", data.translate(_GB_FORMS))
            self._text.append(escape(data))
            self._plain.append(data)
        elif where != "style" and data.strip():
            raise ValueError(f"text outside a block: {data.strip()[:20]!r}")

    def _paragraph_style(self, tag: str) -> ParagraphStyle:
        if tag in ("h1", "h2"):
            return _H1 if tag == "h1" else _H2
        if "sign" in self._open:
            return _SIGN
        changes: dict[str, Any] = {}
        if tag == "li":
            changes = {
                "firstLineIndent": 0,
                "leftIndent": 24,
                "bulletIndent": 12,
                "bulletText": "·",
            }
        for c in sorted(self._classes):
            changes.update(_CLASSES[c])
        return ParagraphStyle(f"p-{tag}", parent=_P, **changes)

    def _table(self) -> Table:
        # A wide table (the dossier's events) in smaller type.
        size = 10.5 if max(len(r) for r in self._rows) <= 4 else 8.5
        cell = _style(size, leading=1.35)
        data = [[Paragraph(c.markup, cell) for c in row] for row in self._rows]
        style: list[tuple[Any, ...]] = [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), _PAD),
            ("RIGHTPADDING", (0, 0), (-1, -1), _PAD),
        ]
        for r, row in enumerate(self._rows):
            style += [("BACKGROUND", (c, r), (c, r), _GREY) for c, x in enumerate(row) if x.th]
        widths = _widths(self._rows, size)
        return Table(data, colWidths=widths, repeatRows=self._head_rows, style=TableStyle(style))


def _widths(rows: list[list[_Cell]], size: float) -> list[float]:
    """Columns as wide as their longest text when that fits a fair share of the page;
    the others share what is left by their length, up to a third of the page (or the
    widest takes it)."""
    n = max(len(r) for r in rows)
    natural = [0.0] * n
    for row in rows:
        for i, cell in enumerate(row):
            need = pdfmetrics.stringWidth(cell.plain, FONT, size) + 2 * _PAD + 1
            natural[i] = max(natural[i], need)
    fixed: dict[int, float] = {}
    while fits := {
        i: w
        for i, w in enumerate(natural)
        if i not in fixed and w <= (_WIDTH - sum(fixed.values())) / (n - len(fixed))
    }:
        fixed.update(fits)
    free = _WIDTH - sum(fixed.values())
    rest = [i for i in range(n) if i not in fixed] or [natural.index(max(natural))]
    widths = [fixed.get(i, 0.0) for i in range(n)]
    weight = {i: min(natural[i], _WIDTH / 3) for i in rest}
    for i in rest:
        widths[i] += free * weight[i] / sum(weight.values())
    return widths


def _page_number(canvas: Any, doc: Any) -> None:
    canvas.saveState()
    canvas.setFont(FONT, 9)
    canvas.drawCentredString(A4[0] / 2, 12 * mm, f"第 {doc.page} 页")
    canvas.restoreState()


def html_to_pdf(html: str) -> bytes:
    """The PDF of a page rendered by ``render_notice`` or ``render_dossier``. One at a time:
    ReportLab keeps state in its modules and is not made for threads drawing at once."""
    with _ONE_AT_A_TIME:
        return _draw(html)


def _draw(html: str) -> bytes:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    out = io.BytesIO()
    margins = {"leftMargin": _MARGIN_X, "rightMargin": _MARGIN_X}
    margins |= {"topMargin": _MARGIN_Y, "bottomMargin": _MARGIN_Y}
    doc = SimpleDocTemplate(out, pagesize=A4, title=builder.title.strip(), **margins)
    doc.build(builder.story, onFirstPage=_page_number, onLaterPages=_page_number)
    return out.getvalue()
