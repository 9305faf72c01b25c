"""QR codes of check-in codes, as inline SVG for pages and PNG for emails.

The symbol holds the check-in code and nothing else: no name, no address, no personal link.
"""

from __future__ import annotations

import io

import segno
from markupsafe import Markup, escape

#: Characters per group when a code is shown for a person to read or type.
GROUP = 4


def format_code(code: str) -> str:
    """``0A1B2C3D4E5F6789`` as ``0A1B-2C3D-4E5F-6789``: easier to read out and type."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def _symbol(code: str) -> segno.QRCode:
    # A full QR code, never a Micro QR (which segno picks for short data and which phone
    # cameras and our scanner cannot read); level M survives a scratched or creased print.
    return segno.make_qr(code, error="m")


def qr_png(code: str, *, scale: int = 8) -> tuple[bytes, int]:
    """The PNG image of `code`'s QR code, with the quiet zone scanners need around it, and
    its width (= height) in pixels."""
    symbol = _symbol(code)
    buffer = io.BytesIO()
    symbol.save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue(), symbol.symbol_size(scale=scale, border=4)[0]


def qr_svg(code: str, label: str, *, scale: int = 6) -> Markup:
    """`code`'s QR code as an inline ``<svg>`` image whose accessible name is `label`."""
    svg = _symbol(code).svg_inline(scale=scale, border=4, svgclass="checkin-qr", omitsize=False)
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1))
