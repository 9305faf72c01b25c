"""What only the web layer needs, shared by every audience's blueprints: security headers,
sessions, locale selection, templating helpers, error pages and the routes outside any
language prefix. Mail is never sent from here: the worker delivers it."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

#: The largest id a row can have (a 32-bit signed INTEGER on PostgreSQL).
LARGEST_ROW_ID = 2**31 - 1


class RowIdConverter(IntegerConverter):
    """`<int:…>` in every URL: a number no row can have is a 404, not a query that PostgreSQL
    refuses ("integer out of range") with a 500."""

    def __init__(self, map, fixed_digits=0, min=None, max=LARGEST_ROW_ID, signed=False):  # noqa: A002 (werkzeug's names)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app: Flask) -> None:
    from portal.mail.outbox import mail_is_late
    from portal.web import errors, routes, security, templating, transaction
    from portal.web.sessions import CookieSessionInterface

    app.url_map.converters["int"] = RowIdConverter
    app.session_interface = CookieSessionInterface()
    if proxies := int(app.config["TRUSTED_PROXIES"]):
        # The client's address and scheme only: the host is never taken from a header that a
        # client can forge (links come from PUBLIC_URL, and TRUSTED_HOSTS checks Host).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    templating.init_app(app)
    # The back office warns organizers when mail is late (templates/manage/base.html).
    app.add_template_global(mail_is_late)
    security.init_app(app)
    errors.init_app(app)
    app.register_blueprint(routes.bp)
    transaction.init_app(app)  # last: its hook runs first, see portal.web.transaction
