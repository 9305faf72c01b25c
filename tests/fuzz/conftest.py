"""Fixtures of the fuzz tests: an app without rate limits (hundreds of requests come from one
address in a few seconds), and a summary of how many examples each test tried."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from flask import Flask

from portal import create_app
from portal.extensions import db
from tests.conftest import FreshContextClient, _empty_tables
from tests.fuzz.strategies import EXAMPLES, Tally
from tests.helpers import app_config


@pytest.fixture
def app(migrated_database: str, tmp_path) -> Iterator[Flask]:
    app = create_app(
        {**app_config(migrated_database), "RATELIMIT_ENABLED": False}, str(tmp_path / "instance")
    )
    app.test_client_class = FreshContextClient
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


@pytest.fixture
def examples(request: pytest.FixtureRequest) -> Iterator[Tally]:
    """Counts the examples a test tries; the summary at the end of the run lists them."""
    tally = Tally()
    started = time.monotonic()
    yield tally
    test = request.node.nodeid.rsplit("::", 1)[0] + "::" + request.node.name
    EXAMPLES[test] = (tally, time.monotonic() - started)


def pytest_terminal_summary(terminalreporter) -> None:
    if not EXAMPLES:
        return
    terminalreporter.section("fuzz examples")
    for test, (tally, seconds) in EXAMPLES.items():
        terminalreporter.write_line(f"{test}: {tally} in {seconds:.1f} s")
