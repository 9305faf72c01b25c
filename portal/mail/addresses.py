"""The configured sender, taken apart once for every place that needs a piece of it.

``MAIL_DEFAULT_SENDER`` may be a bare address (``events@example.org``) or one with a display
name (``Events <events@example.org>``, possibly quoted or encoded); splitting the raw setting
at its last ``@`` would keep the ``>`` of the second form in every Message-ID and Content-ID
made from it.
"""

from __future__ import annotations

from email.utils import parseaddr

from flask import current_app

#: The domain used when the sender has none (``events`` alone), as a local setup may have.
FALLBACK_DOMAIN = "localhost"


def address_domain(address: str) -> str:
    """The domain of `address`, with or without a display name; `FALLBACK_DOMAIN` if it has
    none or cannot be read."""
    _, bare = parseaddr(address)
    _, at, domain = bare.rpartition("@")
    return domain if at and domain else FALLBACK_DOMAIN


def sender_domain() -> str:
    """The domain of the app's ``MAIL_DEFAULT_SENDER``: the right-hand side of the
    Message-IDs and Content-IDs the app makes."""
    return address_domain(current_app.config["MAIL_DEFAULT_SENDER"])
