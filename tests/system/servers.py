"""Real app servers: gunicorn on a free loopback port for tests that need separate processes,
and what the in-thread development server needs for browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REDIS_ADDRESS = ("127.0.0.1", 6379)


def read_whole(app):
    """The app with each answer read whole, and closed, before the server sends it.

    When a browser hangs up in the middle of an answer (a page left while its favicon was
    coming), Werkzeug's development server can fail in its clean-up before it closes the
    answer, and the open file's ResourceWarning then fails whichever test runs. gunicorn,
    which serves the portal, does not."""

    def wrapper(environ, start_response):
        answer = app(environ, start_response)
        try:
            return [b"".join(answer)]
        finally:
            if hasattr(answer, "close"):
                answer.close()

    return wrapper


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_redis() -> None:
    """Skip without Redis on this machine, but fail in CI, where it must be."""
    try:
        socket.create_connection(REDIS_ADDRESS, timeout=1).close()
    except OSError:
        if os.environ.get("CI"):
            pytest.fail("Redis is expected on 127.0.0.1:6379 in CI")
        pytest.skip("no Redis on 127.0.0.1:6379")


@contextmanager
def gunicorn_servers(
    database_url: str, logs: Path, count: int = 2, **settings: str
) -> Iterator[list[str]]:
    """`count` gunicorn servers (2 workers × 4 threads each) sharing one database and one
    secret key, as several hosts would; yields their base URLs.

    :param settings: more ``PORTAL_*`` variables, without the prefix.
    """
    env = {
        **os.environ,
        "PORTAL_SQLALCHEMY_DATABASE_URI": database_url,
        "PORTAL_SECRET_KEY": "shared-by-every-server",
        "PORTAL_SESSION_COOKIE_SECURE": "false",
        **{f"PORTAL_{name}": value for name, value in settings.items()},
    }
    processes, urls = [], []
    try:
        for number in range(count):
            port = free_port()
            with (logs / f"gunicorn-{number}.log").open("wb") as log:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "4",
                         "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                    )
                )  # fmt: skip
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            _wait_until_up(url)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)


def _wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"{url} did not start")
