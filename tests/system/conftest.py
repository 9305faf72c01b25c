"""Fixtures of the browser tests (see `browsing.py`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from tests.system.browsing import CHROMIUM
from tests.system.servers import read_whole


@pytest.fixture
def live_server(app, runner, frozen_now) -> Iterator[str]:
    """The test app with the demo data, served in a thread for the browser."""
    runner.invoke(args=["seed-demo"])
    server = make_server("127.0.0.1", 0, read_whole(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page_in(browser):
    """Open a page in a fresh context (cookies of its own); options as Playwright takes them.

    axe-core is injected into the page, which the portal's Content-Security-Policy would
    refuse: the contexts bypass it."""
    contexts = []

    def open_page(**context_options):
        context = browser.new_context(bypass_csp=True, **context_options)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
