"""What the browser tests share: Debian's Chromium (never a downloaded browser), a live server
of the test app with the demo data, and fresh pages.

The fixtures are in `conftest.py`; a test module calls `require_chromium()` before it imports
Playwright or axe, so that a machine without Chromium skips it with a note."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"
#: Where the screenshots of the journeys go (git-ignored; CI keeps them as artefacts).
SCREENSHOTS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "artifacts", "screenshots")


def require_chromium() -> None:
    """Skip the calling module when Chromium is missing (fail in CI, where it must be)."""
    if shutil.which(CHROMIUM):
        return
    if os.environ.get("CI"):
        raise RuntimeError(f"browser tests need Debian's chromium at {CHROMIUM}")
    pytest.skip(
        "Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True
    )
