"""HTTP headers that every response carries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from flask import Flask, Response

#: The policy's directives for every page; a page may add others (see
#: `content_security_policy`), never loosen these.
_BASE_DIRECTIVES: tuple[tuple[str, str], ...] = (
    ("default-src", "'self'"),
    ("img-src", "'self' data:"),
    ("object-src", "'none'"),
    ("base-uri", "'self'"),
    ("form-action", "'self'"),
    ("frame-ancestors", "'none'"),
)


def content_security_policy(extra: Mapping[str, Sequence[str]] | None = None) -> str:
    """The Content-Security-Policy value, with `extra` directives (name -> sources) added.

    A page that needs more (the live page's players) sets the header itself with this;
    `_add_security_headers` then leaves it alone.
    """
    directives = [f"{name} {sources}" for name, sources in _BASE_DIRECTIVES]
    directives += [f"{name} {' '.join(sources)}" for name, sources in (extra or {}).items()]
    return "; ".join(directives)


CONTENT_SECURITY_POLICY = content_security_policy()

#: Powerful browser features no page uses; a page that needs one (the check-in page's
#: camera) sets the header itself with `permissions_policy`.
_DENIED_FEATURES = ("camera", "microphone", "geolocation")


def permissions_policy(allow_self: Sequence[str] = ()) -> str:
    """The Permissions-Policy value: every feature of `_DENIED_FEATURES` off, except those in
    `allow_self`, which this page's own origin (not its frames) may use."""
    return ", ".join(
        f"{name}=(self)" if name in allow_self else f"{name}=()" for name in _DENIED_FEATURES
    )


PERMISSIONS_POLICY = permissions_policy()


#: Browsers keep to https for a year once they have seen it (sent only when the public URL
#: is https: a plain-http demo must stay reachable).
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    headers = _SECURITY_HEADERS
    if urlsplit(app.config["PUBLIC_URL"]).scheme == "https":
        headers += (("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY),)
    keys = tuple(name.lower() for name, _ in headers)

    def add_security_headers(response: Response) -> Response:
        return _add_security_headers(response, headers, keys)

    app.after_request(add_security_headers)


_SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("Permissions-Policy", PERMISSIONS_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
)


def _add_security_headers(
    response: Response, headers: tuple[tuple[str, str], ...], keys: tuple[str, ...]
) -> Response:
    """Each header of `headers` (named `keys` in lower case) that the view has not set itself
    (this runs on every response: one pass over the headers rather than one per header).

    A 304 goes without them: the client keeps the headers of the answer it already has and
    updates only those the 304 carries (RFC 9111, 4.3.4), and calendar clients polling a
    feed get these answers by the thousand."""
    if response.status_code == 304:
        return response
    present = {name.lower() for name, _ in response.headers}
    response.headers.extend(
        header
        for header, key in zip(headers, keys, strict=True)
        if key not in present
    )
    return response
