"""Limits on the registration form that stop floods without letting anyone lock a person out."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal import create_app
from portal.extensions import db
from portal.registration.models import Registration
from tests.factories import create_event, registration_fields
from tests.helpers import app_config, csrf_token


@pytest.fixture
def limited(app, migrated_database, tmp_path):
    """The app with its rate limits on and behind one proxy (each test reader has an address
    of their own), on the test database that `app` empties afterwards."""
    config = {**app_config(migrated_database), "TRUSTED_PROXIES": 1}
    limited = create_app(config, str(tmp_path / "limited"))
    yield limited
    with limited.app_context():
        db.engine.dispose()


def _post(app, event, address: str, **overrides):
    client = app.test_client()
    url = f"/en/events/{event.slug}/register"
    fields = registration_fields(language="en", **overrides)
    form = {name: value for name, value in fields.items() if name not in ("answers", "consent")}
    if fields["consent"]:
        form["consent"] = "y"
    form["csrf_token"] = csrf_token(client, url)
    return client.post(url, data=form, headers={"X-Forwarded-For": address})


def test_refused_forms_with_someones_address_never_lock_them_out(limited):
    event = create_event()
    for number in range(12):
        refused = _post(
            limited, event, f"203.0.113.{number}", email="victim@example.org", consent=False
        )
        assert refused.status_code == 422

    assert _post(limited, event, "198.51.100.7", email="victim@example.org").status_code == 302


def test_a_person_is_counted_per_event(limited):
    first, second = create_event(), create_event()
    for number in range(10):
        assert (
            _post(limited, first, f"203.0.113.{number}", email="busy@example.org").status_code
            == 302
        )
    refused = _post(limited, first, "203.0.113.99", email="busy@example.org")
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers

    assert _post(limited, second, "203.0.113.99", email="busy@example.org").status_code == 302


def test_a_burst_from_one_address_is_slowed(limited):
    event = create_event()
    statuses = [
        _post(limited, event, "203.0.113.7", email=f"person{number}@example.org").status_code
        for number in range(21)
    ]

    assert statuses == [302] * 20 + [429]
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 20
    assert _post(limited, event, "198.51.100.2", email="other@example.org").status_code == 302
