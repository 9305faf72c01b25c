"""Flask's signed cookie session, without its work for readers who have none.

Most requests to the public site and the calendar files come without a session cookie; Flask
would still build the cookie signer to open the session, and read the cookie settings to save
it, only to find nothing to do.
"""

from __future__ import annotations

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class CookieSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SecureCookieSession, response: Response) -> None:
        # Empty and unchanged: as Flask would, set no cookie and vary on it if it was read
        # (Flask-Login reads it on every request), without reading the cookie settings.
        if not session and not session.modified:
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)
