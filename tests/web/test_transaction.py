"""The request's one transaction: what counts as a change, and what waits for the commit."""

from __future__ import annotations

from sqlalchemy import select, update

from portal.database import after_commit, has_written
from portal.extensions import db
from portal.organizers.models import Organizer
from tests.factories import create_organizer


def test_an_update_statement_run_through_the_session_counts_as_a_change(app):
    organizer = create_organizer()
    db.session.scalar(select(Organizer).where(Organizer.id == organizer.id))
    assert not has_written(db.session)

    db.session.execute(update(Organizer).where(Organizer.id == organizer.id).values(name="New"))

    assert has_written(db.session)
    db.session.rollback()
    assert not has_written(db.session)


def test_what_waits_for_the_commit_is_done_after_it_and_dropped_by_a_rollback(app):
    organizer = create_organizer()
    done: list[str] = []
    organizer.name = "Changed, then rolled back"
    db.session.flush()
    after_commit(lambda: done.append("dropped"))
    db.session.rollback()
    organizer.name = "Changed and kept"
    db.session.flush()
    after_commit(lambda: done.append("kept"))
    assert done == []

    db.session.commit()

    assert done == ["kept"]


def test_a_registration_says_how_long_it_held_the_write_lock(client):
    from tests.factories import create_event, registration_fields
    from tests.helpers import csrf_token

    event = create_event()
    url = f"/en/events/{event.slug}/register"
    fields = registration_fields(language="en")
    form = {name: value for name, value in fields.items() if name not in ("answers", "consent")}
    form.update(consent="y", csrf_token=csrf_token(client, url))

    page = client.get(url)
    response = client.post(url, data=form)

    assert response.status_code == 302
    assert "Server-Timing" not in page.headers  # a read takes no lock
    held = float(response.headers["Server-Timing"].removeprefix("lock;dur="))
    assert 0 < held < 5000
