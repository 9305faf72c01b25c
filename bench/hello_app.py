"""The baseline of bench/pages.py: a plain Flask route answering a short text, nothing else.

Served as ``gunicorn 'hello_app:create_app()'`` from bench/.
"""

from __future__ import annotations

from flask import Flask


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def hello() -> str:
        return "Hello, world!"

    return app
