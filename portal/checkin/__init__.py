"""Checking people in at the door: each confirmed registration has an opaque code, shown as a
QR code in the confirmation email and on the registrant's page; organizers find a registration
by that code (scanned or typed) or by name, and check it in once."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Let templates draw a registration's QR code (the registrant's page includes it)."""
    from portal.checkin import qr

    app.add_template_global(qr.qr_svg, "checkin_qr_svg")
    app.add_template_global(qr.format_code, "format_checkin_code")
