"""Every back-office page and every organizer API call refuses anyone not signed in.

The routes are read from the app's URL map, so a new route is covered without being listed.
"""

from __future__ import annotations

import pytest

from portal import create_app
from tests.factories import create_event, create_organizer
from tests.helpers import csrf_token


def _protected_routes() -> list[tuple[str, str]]:
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"}, "/tmp")
    routes = []
    for rule in app.url_map.iter_rules():
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        if rule.rule.startswith("/manage/") and rule.endpoint != "manage.login":
            routes += [(method, rule.rule) for method in methods]
        elif rule.rule.startswith("/api/"):
            routes += [(method, rule.rule) for method in methods if method != "GET"]
    return sorted(routes)


PROTECTED = _protected_routes()


def test_the_route_list_is_not_empty():
    assert len(PROTECTED) >= 20
    assert ("POST", "/manage/events/new") in PROTECTED


@pytest.mark.parametrize(("method", "rule"), PROTECTED)
def test_refused_without_sign_in_or_token(app, client, method, rule):
    owner = create_organizer()
    event = create_event(slug="guarded", managers=[owner], speakers=[{"name": "Ana"}])
    url = (
        rule.replace("<slug>", event.slug)
        .replace("<int:speaker_id>", str(event.speakers[0].id))
        .replace("<int:organizer_id>", str(owner.id))
        .replace("<int:token_id>", "1")
        .replace("<int:registration_id>", "1")
        .replace("<int:question_id>", "1")
        .replace("<int:item_id>", "1")
    )
    assert "<" not in url, f"fill in the parameters of {rule}"
    before = (event.title, event.status, event.sequence, len(event.speakers))

    if rule.startswith("/api/"):
        response = client.open(url, method=method, json={})
    else:
        # A valid CSRF token, so that it is the sign-in check that refuses, not the CSRF one.
        token = csrf_token(client, "/manage/login")
        response = client.open(url, method=method, data={"csrf_token": token})

    if rule.startswith("/api/"):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    else:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/manage/login")
    assert (event.title, event.status, event.sequence, len(event.speakers)) == before


def test_an_id_no_row_can_have_is_not_found(api, organizer_client, organizer, token, manager):
    """Found by schemathesis on PostgreSQL: an id beyond a 32-bit INTEGER was a 500."""
    create_event(slug="guarded", managers=[manager, organizer])
    too_large = 2**31
    erased = api.delete(f"/api/v1/events/guarded/registrations/{too_large}", token=token)
    assert erased.status_code == 404
    assert organizer_client.get(f"/manage/events/guarded/programme/{too_large}").status_code == 404
    assert organizer_client.get(f"/manage/events/guarded/speakers/{too_large}").status_code == 404
