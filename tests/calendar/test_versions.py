"""How fast public pages and calendar files follow changes: at once for this process's own
commits, within `VERSION_TTL_SECONDS` for changes made by other processes or servers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.calendar import versions
from portal.events.services import update_event
from portal.extensions import db
from tests.factories import create_event, create_organizer


def _change_elsewhere(database_url: str, slug: str, title: str) -> None:
    """Retitle the event as another server would: through an engine of its own."""
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "UPDATE events SET title = :title, sequence = sequence + 1, "
                    "updated_at = CURRENT_TIMESTAMP WHERE slug = :slug"
                ),
                {"title": f'{{"en": "{title}"}}', "slug": slug},
            )
    finally:
        engine.dispose()


@pytest.mark.parametrize("kind", ["event .ics", "feed .ics", "event page"])
def test_another_servers_change_shows_once_the_version_is_old(
    client, migrated_database, monkeypatch, kind
):
    event = create_event()
    url = {
        "event .ics": f"/events/{event.slug}.ics?lang=en",
        "feed .ics": "/calendar.ics?lang=en",
        "event page": f"/en/events/{event.slug}/",
    }[kind]
    monkeypatch.setattr(versions, "VERSION_TTL_SECONDS", 3600)
    assert "Renamed elsewhere" not in client.get(url).text

    _change_elsewhere(migrated_database, event.slug, "Renamed elsewhere")

    # Within the time a version is trusted, this process answers as before...
    assert "Renamed elsewhere" not in client.get(url).text
    # ...and once it is older than that, it reads the new version and answers with it.
    monkeypatch.setattr(versions, "VERSION_TTL_SECONDS", 0)
    assert "Renamed elsewhere" in client.get(url).text


def test_this_processs_own_change_shows_at_once(client, monkeypatch):
    monkeypatch.setattr(versions, "VERSION_TTL_SECONDS", 3600)
    organizer = create_organizer()
    event = create_event()
    url = f"/events/{event.slug}.ics?lang=en"
    first = client.get(url)

    update_event(event, organizer, {"venue": "Centre international de conférences Genève"})
    db.session.commit()

    changed = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    assert "Centre international de conférences Genève" in changed.text
    assert client.get(f"/en/events/{event.slug}/").text.count("conférences Genève") >= 1


def test_rows_read_while_a_commit_lands_are_not_kept(monkeypatch):
    """A read that a commit overtook may hold the old version: the next reader asks again."""
    monkeypatch.setattr(versions, "VERSION_TTL_SECONDS", 3600)
    reads = versions._RecentReads()
    answers = iter([(("old",),), (("new",),), (("newer",),)])

    def read_overtaken_by_a_commit():
        rows = next(answers)
        reads.forget()  # what a commit on the same engine does meanwhile
        return rows

    assert reads.get("key", read_overtaken_by_a_commit) == (("old",),)
    assert reads.get("key", lambda: next(answers)) == (("new",),)
    assert reads.get("key", lambda: next(answers)) == (("new",),)  # now kept


def test_readers_without_a_session_get_no_cookie(client):
    event = create_event()

    for url in (f"/en/events/{event.slug}/", f"/events/{event.slug}.ics", "/calendar.ics"):
        response = client.get(url)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers
        assert "Cookie" in response.headers["Vary"]


def test_a_forged_session_cookie_is_a_fresh_session(client):
    event = create_event()
    client.set_cookie("session", "forged.value.here")

    response = client.get(f"/en/events/{event.slug}/register")

    assert response.status_code == 200
    assert "csrf_token" in response.text
