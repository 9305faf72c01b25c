"""Absolute links for messages that leave the site (emails, calendar files and feeds).

They are built from ``PUBLIC_URL`` only, never from the request's Host header: a request
sent with a forged host must not get a registrant mailed a link to someone else's site.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values: object) -> str:
    """The absolute URL of `endpoint` under ``PUBLIC_URL``."""
    base = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)
