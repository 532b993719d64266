"""The QR code of the applicant's link, printed on the notices: inline SVG for the page, the same
modules drawn as squares for the PDF.

One encoder (``segno``, pure Python) makes both, so the printed sheet and the page on screen
carry the same symbol. Error correction level M: a creased or smudged sheet still scans.
"""

from __future__ import annotations

import segno
from reportlab.graphics.shapes import Drawing, Rect
from reportlab.lib import colors

# The quiet zone around the symbol, in modules (the standard asks for 4; 2 scans on paper).
BORDER = 2


def _symbol(text: str) -> segno.QRCode:
    return segno.make(text, error="m", micro=False)


def qr_svg(text: str, scale: int = 3) -> str:
    """An ``<svg>`` element to inline in a page (no image fetched: the pages' CSP allows none)."""
    svg: str = _symbol(text).svg_inline(
        scale=scale, border=BORDER, svgclass="qr", lineclass=None, omitsize=False
    )
    return svg


def qr_drawing(text: str, size: float) -> Drawing:
    """The symbol as a ReportLab drawing ``size`` points wide, dark modules as filled squares."""
    rows = [list(row) for row in _symbol(text).matrix_iter(border=BORDER)]
    cell = size / len(rows)
    drawing = Drawing(size, size)
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                top = size - (y + 1) * cell
                drawing.add(
                    Rect(x * cell, top, cell, cell, fillColor=colors.black, strokeColor=None)
                )
    return drawing
