"""The printable pages as PDF: the notices' and the dossier's HTML drawn on A4 by xhtml2pdf.

The Chinese text is set in ``STSong-Light``, one of the CID fonts every PDF reader
knows (Adobe's standard Simplified-Chinese Song). It is named, not embedded: no
font file ships with the service, none is needed on the server (one without any
Chinese font makes the same PDF), and the file stays small; the reader draws it
with its own Song font (宋体, on every office PC in China). A character the font's
encoding lacks (any beyond U+FFFF: a rare name's character, an emoji) shows as 〓.

The page's own stylesheet is for screens and browsers' printing, which know other
fonts; the PDF is laid out by ``_STYLE`` here, which covers what the pages of
``documents.notices`` and ``documents.dossier`` are made of: headings, paragraphs
(their classes ``center``, ``no``, ``flat``, ``ok``, ``bad``), tables (their header
rows repeated on each page), the signature block, a list, ``code``. A page with any
other element, or text outside a block, is refused rather than printed in a layout
nobody has looked at (there is no bold, for one: the font has none).
"""

from __future__ import annotations

import io
import re
from xml.etree.ElementTree import Element, SubElement, tostring

import html5lib
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.pdfmetrics import registerFont, stringWidth
from xhtml2pdf import pisa

from documents.qr import qr_png_uri

FONT = "STSong-Light"
registerFont(UnicodeCIDFont(FONT))  # measured here before xhtml2pdf draws with it

# The font's encoding (UniGB-UCS2-H) has the middle dot as U+30FB only, and no character
# beyond U+FFFF: readers drop or garble those, so they are drawn as 〓, the printer's mark
# for a missing character.
_GB_FORMS = {0xB7: 0x30FB}
_BEYOND_UCS2 = re.compile("[\U00010000-\U0010ffff]")

_TEXT_BLOCKS = {"title", "h1", "h2", "p", "li", "th", "td"}
_STRUCTURE = {"html", "head", "meta", "style", "body", "table", "thead", "tbody", "tr", "ul"}
_CLASSES = {
    "p": {"center", "no", "flat", "ok", "bad", "link"},
    "table": {"facts"},
    "div": {"sign"},
    "img": {"qr"},
}
_QR_SIZE = 30 * mm
_WIDE = 5  # columns from which a table (the dossier's events) is set in smaller type
_PAD = 4.0  # points each side of a cell's text
_WIDTH = A4[0] - 2 * 22 * mm  # the frame, between the page's margins

_STYLE = f"""
@page {{
  size: a4 portrait; margin: 25mm 22mm;
  @frame footer {{ -pdf-frame-content: page-number; bottom: 8mm; height: 8mm;
                   left: 22mm; right: 22mm; }}
}}
html, body, h1, h2, p, li, table, th, td, div {{
  font-family: {FONT}; -pdf-word-wrap: CJK; color: #000;
}}
body {{ font-size: 12pt; line-height: 1.6; }}
h1 {{ font-size: 20pt; font-weight: normal; text-align: center; margin: 6pt 0; }}
h2 {{ font-size: 14pt; font-weight: normal; margin: 10pt 0 4pt; }}
p {{ text-indent: 24pt; margin: 3pt 0; }}
p.flat {{ text-indent: 0; }}
p.center {{ text-align: center; font-size: 15pt; }}
p.no {{ text-align: right; font-size: 10.5pt; margin-bottom: 12pt; }}
p.ok {{ color: #006600; }}
p.bad {{ color: #aa0000; }}
ul {{ margin: 0; padding-left: 24pt; }}
li {{ font-size: 12pt; }}
code {{ font-family: Courier; font-size: 10pt; }}
table {{ width: 100%; margin: 6pt 0; font-size: 10.5pt; line-height: 1.35; }}
table.wide {{ font-size: 8.5pt; }}
th, td {{ border: 0.5pt solid #000; padding: 3pt 4pt 1pt 4pt; text-align: left;
          vertical-align: top; font-weight: normal; }}
th {{ background-color: #eeeeee; }}
div.sign {{ margin-top: 30pt; }}
div.sign p {{ text-align: right; text-indent: 0; margin: 0; }}
#page-number {{ text-align: center; font-size: 9pt; }}
"""


def html_to_pdf(html: str) -> bytes:
    """The PDF of a page rendered by ``render_notice`` or ``render_dossier``. xhtml2pdf
    draws one document at a time in a process (ReportLab keeps state in its modules)."""
    out = io.BytesIO()
    status = pisa.CreatePDF(_for_print(html), dest=out, encoding="utf-8")
    if status.err:
        raise RuntimeError(f"xhtml2pdf reported {status.err} error(s) drawing the page")
    return out.getvalue()


def _for_print(html: str) -> str:
    """The page checked, with the PDF's stylesheet in place of its own and a page number."""
    text = _BEYOND_UCS2.sub("〓", html.translate(_GB_FORMS))
    page: Element = html5lib.parse(text, treebuilder="etree", namespaceHTMLElements=False)
    _draw_qr_codes(page)
    _check(page)
    head, body = page.find("head"), page.find("body")
    assert head is not None and body is not None  # html5lib always makes both
    for style in head.findall("style"):
        head.remove(style)
    SubElement(head, "style").text = _STYLE
    for table in page.iter("table"):
        _size_columns(table)
    footer = SubElement(body, "div", id="page-number")
    footer.text = "第 "
    SubElement(footer, "pdf:pagenumber").tail = " 页"
    return "<!doctype html>" + tostring(page, encoding="unicode", method="html")


def _draw_qr_codes(page: Element) -> None:
    """A QR code's block (``<div class="qr" data-link=…>``, an SVG for screens) becomes an
    image drawn anew from its link, which the PDF can print."""
    for parent in page.iter():
        for i, child in enumerate(list(parent)):
            link = child.get("data-link")
            if child.tag == "div" and child.get("class") == "qr" and link:
                size = f"{_QR_SIZE:.1f}pt"
                img = Element("img", {"class": "qr", "src": qr_png_uri(link)})
                img.set("width", size)
                img.set("height", size)
                img.tail = child.tail
                parent.remove(child)
                parent.insert(i, img)


def _size_columns(table: Element) -> None:
    """Columns as wide as their longest text when that fits a fair share of the page; the
    others share what is left by their length, up to a third of the page (or the widest
    takes it). A wide table (the dossier's events) is set in smaller type."""
    rows = [["".join(cell.itertext()).strip() for cell in row] for row in table.iter("tr")]
    n = max(map(len, rows), default=0)
    if n == 0:
        return
    size = 10.5
    if n >= _WIDE:
        table.set("class", f"{table.get('class', '')} wide".strip())
        size = 8.5
    natural = [0.0] * n
    for row in rows:
        for i, text in enumerate(row):
            natural[i] = max(natural[i], stringWidth(text, FONT, size) + 2 * _PAD + 1)
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
    first = next(table.iter("tr"))
    for cell, width in zip(first, widths, strict=False):
        cell.set("width", f"{width:.1f}pt")


def _check(element: Element) -> None:
    """Every element is one the stylesheet lays out, and all text is inside a block."""
    tag, classes = element.tag, set(element.get("class", "").split())
    if tag in _TEXT_BLOCKS:
        for child in element:
            if child.tag != "code" or len(child):
                raise ValueError(f"<{child.tag}> inside <{tag}> is not part of these pages")
    elif tag == "img" and classes == {"qr"} and element.get("src", "").startswith("data:image/"):
        pass  # a QR code drawn from its link (``_draw_qr_codes``)
    elif tag in _STRUCTURE or (tag == "div" and classes == {"sign"}):
        loose = [element.text or "", *(child.tail or "" for child in element)]
        if tag != "style" and "".join(loose).strip():
            raise ValueError(f"text outside a block: {''.join(loose).strip()[:20]!r}")
        for child in element:
            _check(child)
    else:
        raise ValueError(f"<{tag}> is not part of the pages this converts")
    if classes - _CLASSES.get(tag, set()):
        raise ValueError(f"<{tag} class={element.get('class')!r}> is not part of these pages")
