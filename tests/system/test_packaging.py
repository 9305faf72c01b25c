"""A plain `pip install .` gets templates, migrations, compiled catalogs and the demo data."""

from __future__ import annotations

import gettext
import io
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--wheel-dir",
            str(out),
            str(ROOT),
        ],
        check=True,
    )
    (built,) = out.glob("portal-*.whl")
    return zipfile.ZipFile(built)


def test_wheel_carries_templates_static_and_migrations(wheel):
    names = set(wheel.namelist())
    assert "portal/templates/base.html" in names
    assert "portal/templates/errors/404.html" in names
    assert "portal/static/css/portal.css" in names
    assert "portal/migrations/env.py" in names
    assert "portal/registration/un_countries.json" in names
    assert any(name.startswith("portal/migrations/versions/") for name in names)


def test_wheel_carries_the_demo_data(wheel):
    data = tomllib.loads(wheel.read("portal/demo/events.toml").decode())
    assert "gcm-biennial-report-launch-2020" in [event["slug"] for event in data["events"]]


@pytest.mark.parametrize(("lang", "translated"), [("fr", "Intervenants"), ("es", "Oradores")])
def test_wheel_carries_compiled_catalogs(wheel, lang, translated):
    mo = wheel.read(f"portal/translations/{lang}/LC_MESSAGES/messages.mo")
    catalog = gettext.GNUTranslations(io.BytesIO(mo))
    assert catalog.gettext("Speakers") == translated
