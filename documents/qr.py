"""The QR code of the applicant's link, printed on the notices: inline SVG for the page, a PNG
image of the same symbol for the PDF.

One encoder (``segno``, pure Python) makes both, so the printed sheet and the page on screen
carry the same symbol. Error correction level M: a creased or smudged sheet still scans.
"""

from __future__ import annotations

import segno

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


def qr_png_uri(text: str, scale: int = 6) -> str:
    """The symbol as a ``data:image/png`` URI, for the PDF (drawn from the link, not the SVG)."""
    uri: str = _symbol(text).png_data_uri(scale=scale, border=BORDER)
    return uri
