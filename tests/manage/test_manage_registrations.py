"""Organizers' registration list: search, filters, pages, counts, and decisions about seats."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import select

from portal.events.models import EventFormat, Question, QuestionKind
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.manage import registrations as registration_pages
from portal.organizers.audit import SYSTEM, AuditEntry
from portal.registration import services
from portal.registration.models import Registration, RegistrationState
from tests.factories import create_event, create_organizer, create_registration
from tests.helpers import csrf_token, sign_in
from tests.mail.helpers import outbox


def _list_url(event, **args) -> str:
    query = "&".join(f"{name}={value}" for name, value in args.items())
    return f"/manage/events/{event.slug}/registrations" + (f"?{query}" if query else "")


def _names(page) -> list[str]:
    """Names in the table's rows, top to bottom."""
    return re.findall(r'<th scope="row"[^>]*><bdi>([^<]+)</bdi><br>', page.text)


def _post(client, event, registration, action, data=None, query=""):
    url = f"/manage/events/{event.slug}/registrations/{registration.id}/{action}{query}"
    token = csrf_token(client, _list_url(event))
    return client.post(url, data={**(data or {}), "csrf_token": token})


def _reload(registration) -> Registration:
    return db.session.get(Registration, registration.id)


def _audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


# --- The list --------------------------------------------------------------------------------


def test_the_list_shows_each_registration_in_the_organizers_language(organizer_client, organizer):
    event = create_event(managers=[organizer], format=EventFormat.HYBRID, capacity_in_person=1)
    create_registration(event, given_name="Aïcha", family_name="Benali", country="MA")
    create_registration(
        event, given_name="Jonas", family_name="Berg", country="DE", category="academia"
    )
    create_registration(event, given_name="Li", family_name="Wei", organization="UNHCR")

    page = organizer_client.get(_list_url(event))

    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert _names(page) == ["Li Wei", "Jonas Berg", "Aïcha Benali"]  # newest first
    assert "Morocco" in page.text and "Germany" in page.text and "Academia" in page.text
    assert "UNHCR" in page.text and "In person" in page.text
    assert "Confirmed: 1" in page.text and "On the waiting list: 2" in page.text
    li_wei = page.text.split('id="registration-')[1]
    assert "No. 2 on the waiting list" in li_wei  # Li Wei is second in line
    organizer.language = "fr"
    db.session.commit()
    assert "Maroc" in organizer_client.get(_list_url(event)).text


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("benali", ["Aïcha Benali"]),
        ("AÏCHA BEN", ["Aïcha Benali"]),
        ("JONAS@EXAMPLE", ["Jonas Berg"]),
        ("unhcr", ["Li Wei"]),
        ("  wei  ", ["Li Wei"]),
        ("nobody", []),
    ],
)
def test_search_by_name_email_or_organization_in_any_case(
    organizer_client, organizer, search, expected
):
    event = create_event(managers=[organizer])
    create_registration(event, given_name="Aïcha", family_name="Benali")
    create_registration(event, given_name="Jonas", family_name="Berg", email="jonas@example.org")
    create_registration(event, given_name="Li", family_name="Wei", organization="UNHCR Geneva")
    other = create_event(managers=[organizer])
    create_registration(other, given_name="Li", family_name="Wei", organization="UNHCR")

    page = organizer_client.get(_list_url(event), query_string={"q": search})

    assert _names(page) == expected
    assert f'name="q" type="search" value="{search}"' in page.text  # the box keeps it


@pytest.mark.parametrize(("search", "expected"), [("%", "Percent"), ("_", "Underscore")])
def test_percent_and_underscore_are_not_wildcards(organizer_client, organizer, search, expected):
    event = create_event(managers=[organizer])
    create_registration(event, given_name="Percent", family_name="Org", organization="100% Aid")
    create_registration(event, given_name="Underscore", family_name="Org", organization="a_b")
    create_registration(event, given_name="Plain", family_name="Org", organization="Ab Aid")

    page = organizer_client.get(_list_url(event), query_string={"q": search})

    assert _names(page) == [f"{expected} Org"]


def test_control_characters_in_the_search_do_no_harm(organizer_client, organizer):
    event = create_event(managers=[organizer])
    create_registration(event, given_name="Ana", family_name="Silva")
    page = organizer_client.get(_list_url(event), query_string={"q": "an\x00a\u202e"})
    assert page.status_code == 200 and _names(page) == []


def test_filters_by_status_category_and_attendance_combine(organizer_client, organizer):
    event = create_event(
        managers=[organizer], format=EventFormat.HYBRID, capacity_in_person=1, capacity_online=5
    )
    create_registration(event, given_name="Seated", family_name="Member")
    create_registration(event, given_name="Waiting", family_name="Member")
    create_registration(event, given_name="Waiting", family_name="Scholar", category="academia")
    create_registration(event, given_name="Online", family_name="Member", attendance="online")

    def names(**args):
        return sorted(_names(organizer_client.get(_list_url(event), query_string=args)))

    assert names(status="waitlisted") == ["Waiting Member", "Waiting Scholar"]
    assert names(status="waitlisted", category="member_state") == ["Waiting Member"]
    assert names(category="member_state", attendance="online") == ["Online Member"]
    assert names(status="confirmed", attendance="in_person") == ["Seated Member"]
    assert names(status="cancelled") == []
    assert len(names(status="bogus", category="", attendance="x")) == 4  # unknown: no filter
    page = organizer_client.get(_list_url(event, status="waitlisted", category="academia"))
    assert re.search(r'<option selected value="waitlisted">|value="waitlisted" selected', page.text)


def test_pages_hold_a_fixed_number_and_link_to_each_other(organizer_client, organizer, monkeypatch):
    monkeypatch.setattr(registration_pages, "DEFAULT_PER_PAGE", 2)
    event = create_event(managers=[organizer])
    for number in range(5):
        create_registration(event, given_name=f"Person{number}", family_name="Smith")
    create_registration(event, given_name="Other", family_name="Person", organization="Else")

    first = organizer_client.get(_list_url(event, q="smith"))
    third = organizer_client.get(_list_url(event, q="smith", page=3))
    beyond = organizer_client.get(_list_url(event, q="smith", page=99))

    assert _names(first) == ["Person4 Smith", "Person3 Smith"]
    assert _names(third) == ["Person0 Smith"]
    assert "Page 1 of 3" in first.text and "Previous page" not in first.text
    assert "1–2 of 5" in first.text and "5–5 of 5" in third.text
    next_link = re.search(r'<a href="([^"]+)" rel="next">', first.text).group(1)
    assert parse_qs(urlsplit(next_link.replace("&amp;", "&")).query) == {
        "q": ["smith"],
        "page": ["2"],
    }
    assert "Previous page" in third.text and "Next page" not in third.text
    assert beyond.status_code == 200 and _names(beyond) == []
    assert "5 registrations found" in first.text


def test_each_row_offers_the_actions_its_state_allows(app, organizer_client, organizer):
    event = create_event(managers=[organizer], capacity_in_person=1)
    confirmed = create_registration(event, given_name="Con", family_name="Firmed")
    waiting = create_registration(event, given_name="Wai", family_name="Ting")
    event.moderated = True
    db.session.commit()
    pending = create_registration(event, given_name="Pen", family_name="Ding")
    declined = create_registration(event, given_name="De", family_name="Clined")
    with app.test_request_context():
        services.decline(_reload(declined), SYSTEM)
        db.session.commit()

    page = organizer_client.get(_list_url(event)).text

    def row(registration):
        return re.search(rf'<tr id="registration-{registration.id}">.*?</tr>', page, re.S).group(0)

    assert "Approve" in row(pending) and "Give a seat" not in row(pending)
    assert "Give a seat" in row(waiting) and "Approve" not in row(waiting)
    assert "Approve" not in row(confirmed) and "Give a seat" not in row(confirmed)
    for active in (pending, waiting, confirmed):
        assert "/decline" in row(active) and "/cancel" in row(active)
    assert "/decline" not in row(declined) and "/cancel" not in row(declined)


# --- Decisions -------------------------------------------------------------------------------


def test_approving_confirms_or_when_full_puts_on_the_waiting_list(organizer_client, organizer):
    event = create_event(managers=[organizer], moderated=True, capacity_in_person=1)
    first = create_registration(event, given_name="First", family_name="Person")
    second = create_registration(event, given_name="Second", family_name="Person")
    assert first.state is second.state is RegistrationState.PENDING

    confirmed = _post(organizer_client, event, first, "approve", query="?status=pending")
    waitlisted = _post(organizer_client, event, second, "approve")

    assert confirmed.status_code == 302
    assert confirmed.headers["Location"] == _list_url(event, status="pending")
    assert _reload(first).state is RegistrationState.CONFIRMED
    assert _reload(second).state is RegistrationState.WAITLISTED
    assert "No seat was free" in organizer_client.get(waitlisted.headers["Location"]).text
    entries = _audit("registration.approved")
    assert [entry.details for entry in entries] == [
        {"registration_id": first.id, "name": "First Person", "state": "confirmed"},
        {"registration_id": second.id, "name": "Second Person", "state": "waitlisted"},
    ]
    assert all(entry.organizer_id == organizer.id for entry in entries)
    assert first.email not in json.dumps([entry.details for entry in entries])


def test_approving_twice_changes_nothing_the_second_time(organizer_client, organizer):
    event = create_event(managers=[organizer], moderated=True)
    registration = create_registration(event)
    _post(organizer_client, event, registration, "approve")

    again = _post(organizer_client, event, registration, "approve")

    assert "Nothing was changed" in organizer_client.get(again.headers["Location"]).text
    assert len(_audit("registration.approved")) == 1


def test_declining_sends_the_note_to_the_person(organizer_client, organizer):
    event = create_event(managers=[organizer], moderated=True)
    registration = create_registration(event, language="en")
    url = f"/manage/events/{event.slug}/registrations/{registration.id}/decline?q=ben"
    form = organizer_client.get(url)
    assert form.status_code == 200 and 'name="note"' in form.text

    response = organizer_client.post(
        url,
        data={
            "note": "The room only holds member States' delegates.",
            "csrf_token": csrf_token(organizer_client, url),
        },
    )

    assert response.headers["Location"] == _list_url(event, q="ben")
    declined = _reload(registration)
    assert declined.state is RegistrationState.DECLINED
    assert declined.decision_note == "The room only holds member States' delegates."
    last = outbox(registration.email)[-1]
    assert "The room only holds member States" in last.text_body
    assert [entry.details["name"] for entry in _audit("registration.declined")] == [
        registration.full_name
    ]


def test_a_note_with_control_characters_comes_back_with_its_error(organizer_client, organizer):
    event = create_event(managers=[organizer], moderated=True)
    registration = create_registration(event)
    url = f"/manage/events/{event.slug}/registrations/{registration.id}/decline"

    response = organizer_client.post(
        url, data={"note": "Bell\x07", "csrf_token": csrf_token(organizer_client, url)}
    )

    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.text and "control characters" in response.text
    assert _reload(registration).state is RegistrationState.PENDING
    assert _audit("registration.declined") == []


def test_cancelling_a_seat_promotes_the_first_on_the_waiting_list(organizer_client, organizer):
    event = create_event(managers=[organizer], capacity_in_person=1)
    seated = create_registration(event, given_name="Seated", family_name="One")
    first = create_registration(event, given_name="First", family_name="Waiting")
    second = create_registration(event, given_name="Second", family_name="Waiting")
    url = f"/manage/events/{event.slug}/registrations/{seated.id}/cancel"
    assert "Yes, cancel the registration" in organizer_client.get(url).text

    response = organizer_client.post(url, data={"csrf_token": csrf_token(organizer_client, url)})

    assert response.status_code == 302
    assert _reload(seated).state is RegistrationState.CANCELLED
    assert _reload(first).state is RegistrationState.CONFIRMED
    assert _reload(second).state is RegistrationState.WAITLISTED
    promoted = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == first.email)
    ).all()
    assert len(promoted) == 2  # waitlisted, then promoted
    assert _audit("registration.cancelled")[0].details["registration_id"] == seated.id


def test_confirming_from_the_waiting_list_is_refused_when_no_seat_is_free(
    organizer_client, organizer
):
    event = create_event(managers=[organizer], capacity_in_person=1)
    create_registration(event)
    waiting = create_registration(event, given_name="Wai", family_name="Ting")

    refused = _post(organizer_client, event, waiting, "confirm")

    assert _reload(waiting).state is RegistrationState.WAITLISTED
    page = organizer_client.get(refused.headers["Location"])
    assert "Every seat is taken: Wai Ting stays on the waiting list." in page.text
    assert _audit("registration.confirmed") == []

    event.capacity_in_person = 2
    db.session.commit()
    _post(organizer_client, event, waiting, "confirm")
    assert _reload(waiting).state is RegistrationState.CONFIRMED
    assert len(_audit("registration.confirmed")) == 1


def test_decisions_need_a_csrf_token(organizer_client, organizer):
    event = create_event(managers=[organizer], moderated=True)
    registration = create_registration(event)
    base = f"/manage/events/{event.slug}/registrations/{registration.id}"

    organizer_client.post(f"{base}/approve")
    organizer_client.post(f"{base}/cancel")
    organizer_client.post(f"{base}/decline", data={"note": "No."})

    assert _reload(registration).state is RegistrationState.PENDING


def test_a_finished_registration_offers_no_decline_or_cancel_page(organizer_client, organizer):
    event = create_event(managers=[organizer])
    registration = create_registration(event)
    _post(organizer_client, event, registration, "cancel")
    assert _reload(registration).state is RegistrationState.CANCELLED

    for action in ("decline", "cancel"):
        url = f"/manage/events/{event.slug}/registrations/{registration.id}/{action}"
        assert organizer_client.get(url).status_code == 302
    assert len(_audit("registration.cancelled")) == 1


# --- Access ----------------------------------------------------------------------------------


def _new_routes(event, registration) -> list[tuple[str, str]]:
    base = f"/manage/events/{event.slug}"
    one = f"{base}/registrations/{registration.id}"
    question = f"{base}/questions/{event.questions[0].id}"
    return [
        ("GET", f"{base}/registrations"),
        ("POST", f"{one}/approve"),
        ("POST", f"{one}/confirm"),
        ("GET", f"{one}/decline"),
        ("POST", f"{one}/decline"),
        ("GET", f"{one}/cancel"),
        ("POST", f"{one}/cancel"),
        ("GET", f"{base}/questions"),
        ("POST", f"{base}/questions"),
        ("GET", question),
        ("POST", question),
        ("POST", f"{question}/move"),
        ("GET", f"{question}/remove"),
        ("POST", f"{question}/remove"),
    ]


def _event_with_a_question(organizer):
    event = create_event(managers=[organizer], moderated=True)
    event.questions.append(Question(kind=QuestionKind.SHORT_TEXT, label={"en": "Diet?"}))
    db.session.commit()
    return event


def test_another_organizer_is_forbidden_every_new_page(app, organizer):
    event = _event_with_a_question(organizer)
    registration = create_registration(event)
    stranger = create_organizer("stranger@example.org")
    client = app.test_client()
    sign_in(client, stranger.email)
    token = csrf_token(client, "/manage/")

    for method, url in _new_routes(event, registration):
        response = client.open(url, method=method, data={"csrf_token": token, "note": "x"})
        assert response.status_code == 403, (method, url)
    assert _reload(registration).state is RegistrationState.PENDING
    assert len(event.questions) == 1


def test_registrations_and_questions_of_another_event_are_404(organizer_client, organizer):
    mine = _event_with_a_question(organizer)
    theirs = _event_with_a_question(create_organizer())
    registration = create_registration(theirs)
    token = csrf_token(organizer_client, "/manage/")

    for method, url in _new_routes(theirs, registration):
        if url.endswith(("/registrations", "/questions")):
            continue  # pages of the event itself: 403, tested above
        url = url.replace(f"/events/{theirs.slug}/", f"/events/{mine.slug}/")
        response = organizer_client.open(url, method=method, data={"csrf_token": token})
        assert response.status_code == 404, (method, url)
    assert _reload(registration).state is RegistrationState.PENDING


# --- Counts on the event pages ---------------------------------------------------------------


def test_event_page_links_to_the_registrations_and_counts_them(organizer_client, organizer):
    event = create_event(managers=[organizer], capacity_in_person=1)
    create_registration(event)
    create_registration(event)

    page = organizer_client.get(f"/manage/events/{event.slug}/").text

    assert f'href="/manage/events/{event.slug}/registrations"' in page
    assert f'href="/manage/events/{event.slug}/questions"' in page
    assert "Confirmed: 1 · On the waiting list: 1 · Awaiting approval: 0" in page


def _statements_for(client, url) -> int:
    count = 0

    def counter(*args):
        nonlocal count
        count += 1

    engine = db.engine
    sqlalchemy_event.listen(engine, "before_cursor_execute", counter)
    try:
        response = client.get(url)
    finally:
        sqlalchemy_event.remove(engine, "before_cursor_execute", counter)
    assert response.status_code == 200
    return count


def test_home_page_counts_every_event_in_one_query(organizer_client, organizer):
    first = create_event(managers=[organizer], capacity_in_person=1)
    create_registration(first)
    create_registration(first)
    organizer_client.get("/manage/")  # the first page after signing in may do more
    one_event = _statements_for(organizer_client, "/manage/")
    for _ in range(4):
        create_registration(create_event(managers=[organizer], moderated=True))

    page = organizer_client.get("/manage/").text

    assert _statements_for(organizer_client, "/manage/") == one_event
    assert "Confirmed: 1 · On the waiting list: 1 · Awaiting approval: 0" in page
    assert page.count("Confirmed: 0 · On the waiting list: 0 · Awaiting approval: 1") == 4
