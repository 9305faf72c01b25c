"""Check-in at the door: finding people by name, email or code, checking them in exactly once
(even when two organizers do it at the same moment), undoing, the counts, and the QR code in
confirmation emails and on the registrant's page."""

from __future__ import annotations

import email
import io
import re
import threading
from datetime import UTC, datetime
from email import policy
from pathlib import Path

import pytest
import segno
from PIL import Image
from sqlalchemy import select

from portal import create_app
from portal.events.models import EventFormat
from portal.extensions import db
from portal.mail import smtp
from portal.mail.delivery import deliver_due_messages
from portal.mail.models import OutboxMessage
from portal.organizers.audit import REGISTRANT, SYSTEM, AuditEntry
from portal.organizers.models import Organizer
from portal.registration import checkin
from portal.registration import services as registration_services
from portal.registration.models import Registration, RegistrationState
from tests.factories import create_event, create_organizer, create_registration
from tests.helpers import app_config, csrf_token, run_at_once, sign_in
from tests.mail.helpers import Mail, outbox


def _page_url(event, **args) -> str:
    query = "&".join(f"{name}={value}" for name, value in args.items())
    return f"/manage/events/{event.slug}/check-in" + (f"?{query}" if query else "")


def _send_code(client, event, code, query=""):
    token = csrf_token(client, _page_url(event))
    return client.post(
        f"/manage/events/{event.slug}/check-in/code{query}",
        data={"code": code, "csrf_token": token},
        follow_redirects=True,
    )


def _post(client, event, registration, action="", query=""):
    token = csrf_token(client, _page_url(event))
    url = f"/manage/events/{event.slug}/check-in/{registration.id}{action}{query}"
    return client.post(url, data={"csrf_token": token})


def _reload(registration) -> Registration:
    return db.session.get(Registration, registration.id)


def _audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _spaced_lower(code: str) -> str:
    """A code as someone might type it: lower case, in groups, with spaces and a dash."""
    return f"  {code[:4].lower()} {code[4:8].lower()}-{code[8:12]} {code[12:].lower()} "


# --- Finding people ---------------------------------------------------------------------------


def test_a_search_by_name_or_email_lists_only_this_events_people(organizer_client, organizer):
    event = create_event(managers=[organizer])
    other = create_event(managers=[organizer])
    create_registration(event, given_name="Aïcha", family_name="Benali", email="aicha@un.org")
    create_registration(event, given_name="Jonas", family_name="Berg", email="jonas@example.org")
    create_registration(other, given_name="Aïcha", family_name="Other", email="a2@un.org")

    by_name = organizer_client.get(_page_url(event, q="aïcha"))
    by_email = organizer_client.get(_page_url(event, q="JONAS@EXAMPLE"))

    assert by_name.status_code == 200
    assert "Aïcha Benali" in by_name.text and "Jonas Berg" not in by_name.text
    assert "Aïcha Other" not in by_name.text
    assert "1 person expected at the door matches" in by_name.text
    assert "Jonas Berg" in by_email.text and "Aïcha Benali" not in by_email.text
    assert ">Check in<" in by_name.text


def test_the_desk_finds_only_people_expected_at_the_door_and_every_one_of_them(
    organizer_client, organizer
):
    event = create_event(managers=[organizer], format=EventFormat.HYBRID)
    for number in range(30):
        create_registration(event, given_name=f"Maria {number:02d}", family_name="Silva")
    create_registration(event, given_name="Maria", family_name="Online", attendance="online")
    waiting = create_registration(event, given_name="Maria", family_name="Waiting")
    gone = create_registration(event, given_name="Maria", family_name="Gone")
    waiting.state = RegistrationState.WAITLISTED
    gone.state = RegistrationState.CANCELLED
    db.session.commit()

    page = organizer_client.get(_page_url(event, q="maria")).text

    assert "30 people expected at the door match" in page
    assert page.count('class="checkin-person"') == 30
    assert "Maria 00 Silva" in page and "Maria 29 Silva" in page
    for name in ("Maria Online", "Maria Waiting", "Maria Gone"):
        assert name not in page
    nobody = organizer_client.get(_page_url(event, q="waiting")).text
    assert "Nobody expected at the door matches" in nobody


def test_without_a_search_nobody_is_listed(organizer_client, organizer):
    event = create_event(managers=[organizer])
    create_registration(event, given_name="Aïcha", family_name="Benali")
    page = organizer_client.get(_page_url(event))
    assert page.status_code == 200
    assert "Aïcha Benali" not in page.text
    assert 'id="code-form"' in page.text  # the manual entry form is always there


def test_a_code_is_found_however_it_is_typed_but_only_in_its_own_event(app):
    event = create_event()
    other = create_event()
    registration = create_registration(event)
    code = registration.checkin_code
    assert re.fullmatch(r"[0-9A-F]{16}", code)
    assert checkin.find_by_code(event, _spaced_lower(code)) == registration
    assert checkin.find_by_code(event, "–".join([code[:8], code[8:]])) == registration
    assert checkin.find_by_code(other, code) is None
    assert checkin.find_by_code(event, "") is None
    assert checkin.find_by_code(event, " - ") is None
    assert checkin.find_by_code(event, code[:-1]) is None


def test_each_registration_gets_its_own_code(app):
    event = create_event()
    codes = {create_registration(event).checkin_code for _ in range(5)}
    assert len(codes) == 5


# --- Checking in ------------------------------------------------------------------------------


def test_checking_in_by_a_typed_code_records_who_and_when(organizer_client, organizer):
    event = create_event(managers=[organizer])
    registration = create_registration(event, given_name="Aïcha", family_name="Benali")

    page = _send_code(organizer_client, event, _spaced_lower(registration.checkin_code))

    assert page.status_code == 200
    assert "Aïcha Benali is checked in (In person)." in page.text
    assert 'id="result"' in page.text and ">Undo check-in<" in page.text
    checked = _reload(registration)
    assert checked.checked_in_at is not None
    assert checked.checked_in_by_id == organizer.id
    [entry] = _audit("registration.checked_in")
    assert entry.organizer_id == organizer.id and entry.details["registration_id"] == checked.id


def test_a_second_check_in_changes_nothing_and_says_when_it_was_done(
    organizer_client, organizer, app
):
    event = create_event(managers=[organizer])
    registration = create_registration(event, given_name="Aïcha", family_name="Benali")
    colleague = create_organizer(name="Carla Colleague")
    checkin.check_in(registration, colleague)
    db.session.commit()
    first = _reload(registration).checked_in_at

    page = _send_code(organizer_client, event, registration.checkin_code)

    assert "Aïcha Benali was already checked in, at" in page.text
    assert "by Carla Colleague" in page.text
    assert _reload(registration).checked_in_at == first
    assert _reload(registration).checked_in_by_id == colleague.id
    assert len(_audit("registration.checked_in")) == 1


def test_the_row_button_checks_in_and_comes_back_to_the_same_search(organizer_client, organizer):
    event = create_event(managers=[organizer])
    registration = create_registration(event, family_name="Benali")

    response = _post(organizer_client, event, registration, query="?q=benali")

    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"/manage/events/{event.slug}/check-in?")
    assert "q=benali" in location and f"shown={registration.id}" in location
    assert _reload(registration).checked_in_at is not None


def test_a_check_in_can_be_undone(organizer_client, organizer):
    event = create_event(managers=[organizer])
    registration = create_registration(event, given_name="Aïcha", family_name="Benali")
    _post(organizer_client, event, registration)
    assert _reload(registration).checked_in_at is not None

    undone = _post(organizer_client, event, registration, "/undo")
    again = _post(organizer_client, event, registration, "/undo")

    assert undone.status_code == again.status_code == 302
    registration = _reload(registration)
    assert registration.checked_in_at is None and registration.checked_in_by_id is None
    assert len(_audit("registration.check_in_undone")) == 1
    page = organizer_client.get(again.headers["Location"])
    assert "Aïcha Benali was not checked in: nothing was changed." in page.text
    assert ">Check in<" in page.text


def test_a_code_of_another_event_is_not_found(organizer_client, organizer):
    event = create_event(managers=[organizer])
    other = create_event(managers=[organizer])
    elsewhere = create_registration(other)

    page = _send_code(organizer_client, event, elsewhere.checkin_code.lower())

    assert (
        f"No registration of this event has the check-in code {elsewhere.checkin_code}."
        in page.text
    )
    assert _reload(elsewhere).checked_in_at is None


def test_an_empty_code_asks_for_one(organizer_client, organizer):
    event = create_event(managers=[organizer])
    page = _send_code(organizer_client, event, "   ")
    assert "Enter a check-in code." in page.text


def test_a_registration_of_another_event_cannot_be_checked_in_by_id(organizer_client, organizer):
    event = create_event(managers=[organizer])
    elsewhere = create_registration(create_event(managers=[organizer]))
    assert _post(organizer_client, event, elsewhere).status_code == 404
    assert _reload(elsewhere).checked_in_at is None


def _in_state(state: RegistrationState) -> Registration:
    if state is RegistrationState.PENDING:
        return create_registration(create_event(moderated=True))
    if state is RegistrationState.WAITLISTED:
        event = create_event(capacity_in_person=1, waitlist_enabled=True)
        create_registration(event)
        return create_registration(event)
    registration = create_registration(create_event())
    if state is RegistrationState.DECLINED:
        registration_services.decline(registration, SYSTEM)
    else:
        registration_services.cancel(registration, REGISTRANT)
    db.session.commit()
    return registration


@pytest.mark.parametrize(
    ("state", "title"),
    [
        (RegistrationState.PENDING, "awaiting approval"),
        (RegistrationState.WAITLISTED, "on the waiting list"),
        (RegistrationState.DECLINED, "declined"),
        (RegistrationState.CANCELLED, "cancelled"),
    ],
)
def test_only_confirmed_registrations_can_be_checked_in(app, client, organizer, state, title):
    registration = _in_state(state)
    assert registration.state is state
    event = registration.event
    event.managers.append(organizer)
    db.session.commit()
    assert sign_in(client, organizer.email).status_code == 302

    by_code = _send_code(client, event, registration.checkin_code)
    by_button = _post(client, event, registration)

    message = f"cannot be checked in: their registration is {title}, not confirmed."
    assert message in by_code.text
    assert by_button.status_code == 302
    assert _reload(registration).checked_in_at is None
    assert not _audit("registration.checked_in")
    with pytest.raises(checkin.NotConfirmed):
        checkin.check_in(_reload(registration), organizer)


def test_check_in_and_undo_need_a_csrf_token(organizer_client, organizer):
    event = create_event(managers=[organizer])
    registration = create_registration(event)
    base = f"/manage/events/{event.slug}/check-in"

    by_code = organizer_client.post(f"{base}/code", data={"code": registration.checkin_code})
    by_button = organizer_client.post(f"{base}/{registration.id}")

    assert by_code.status_code == by_button.status_code == 400
    assert _reload(registration).checked_in_at is None
    checkin.check_in(registration, organizer)
    db.session.commit()
    assert organizer_client.post(f"{base}/{registration.id}/undo").status_code == 400
    assert _reload(registration).checked_in_at is not None


# --- Access -----------------------------------------------------------------------------------


def test_only_the_events_organizers_and_admins_reach_the_check_in(app, organizer):
    event = create_event(managers=[organizer])
    registration = create_registration(event)
    base = f"/manage/events/{event.slug}/check-in"
    outsider = create_organizer("outsider@example.org")
    admin = create_organizer("admin@example.org", is_admin=True)

    stranger = app.test_client()
    sign_in(stranger, outsider.email)
    token = csrf_token(stranger, "/manage/account")
    assert stranger.get(base).status_code == 403
    assert stranger.get(f"{base}/counts").status_code == 403
    assert stranger.post(f"{base}/{registration.id}", data={"csrf_token": token}).status_code == 403
    refused = stranger.post(
        f"{base}/code", data={"code": registration.checkin_code, "csrf_token": token}
    )
    assert refused.status_code == 403
    assert _reload(registration).checked_in_at is None

    boss = app.test_client()
    sign_in(boss, admin.email)
    assert boss.get(base).status_code == 200
    assert _send_code(boss, event, registration.checkin_code).status_code == 200
    assert _reload(registration).checked_in_by_id == admin.id

    anonymous = app.test_client()
    assert anonymous.get(base).headers["Location"].startswith("/manage/login")


def test_the_event_and_registrations_pages_link_to_the_check_in(organizer_client, organizer):
    event = create_event(managers=[organizer])
    link = f'href="/manage/events/{event.slug}/check-in"'
    assert link in organizer_client.get(f"/manage/events/{event.slug}/").text
    assert link in organizer_client.get(f"/manage/events/{event.slug}/registrations").text


def test_only_the_check_in_page_may_use_the_camera(organizer_client, organizer):
    event = create_event(managers=[organizer])
    page = organizer_client.get(_page_url(event))
    policy_header = page.headers["Permissions-Policy"]
    assert "camera=(self)" in policy_header and "microphone=()" in policy_header
    assert "*" not in policy_header
    assert "script-src" not in page.headers["Content-Security-Policy"]  # 'self' only, as ever
    for other in (f"/manage/events/{event.slug}/registrations", "/en/", "/manage/"):
        assert "camera=()" in organizer_client.get(other).headers["Permissions-Policy"]
    assert (
        "camera=()"
        in organizer_client.get(f"{_page_url(event)}/counts").headers["Permissions-Policy"]
    )


# --- Counts -----------------------------------------------------------------------------------


def test_counts_by_attendance_mode_in_the_page_and_as_json(organizer_client, organizer):
    event = create_event(managers=[organizer], format=EventFormat.HYBRID, moderated=False)
    present = create_registration(event, attendance="in_person")
    create_registration(event, attendance="in_person")
    online = create_registration(event, attendance="online")
    create_registration(create_event(), attendance="in_person")  # another event
    cancelled = create_registration(event, attendance="online")
    registration_services.cancel(cancelled, REGISTRANT)
    db.session.commit()
    _post(organizer_client, event, present)
    _post(organizer_client, event, online)

    counts = organizer_client.get(f"{_page_url(event)}/counts").get_json()
    page = organizer_client.get(_page_url(event)).text

    assert counts == {
        "confirmed": 3,
        "checked_in": 2,
        "by_mode": {
            "in_person": {"confirmed": 2, "checked_in": 1},
            "online": {"confirmed": 1, "checked_in": 1},
        },
    }
    assert '<td data-count="checked_in">2</td><td data-count="confirmed">3</td>' in page
    assert '<td data-count="online.checked_in">1</td>' in page


# --- The QR code in confirmation emails -------------------------------------------------------


def _mails(registration) -> list[Mail]:
    return outbox(registration.email)


def _parsed(row: Mail, app) -> email.message.EmailMessage:
    envelope = smtp.build_envelope(row, app.config["MAIL_DEFAULT_SENDER"])
    return email.message_from_bytes(envelope.data, policy=policy.default)


def _modules(png: bytes) -> list[list[bool]]:
    """The dark modules of a QR code image made by `qr.qr_png` (scale 8, quiet zone 4)."""
    image = Image.open(io.BytesIO(png)).convert("L")
    size = image.width // 8
    return [
        [image.getpixel((x * 8 + 4, y * 8 + 4)) < 128 for x in range(4, size - 4)]
        for y in range(4, size - 4)
    ]


def _assert_carries_the_code(message: email.message.EmailMessage, code: str) -> None:
    """The image is inline next to the HTML that shows it, and holds `code` and only it."""
    [image] = [part for part in message.walk() if part.get_content_type() == "image/png"]
    related = [part for part in message.walk() if part.get_content_type() == "multipart/related"]
    assert len(related) == 1 and image in related[0].iter_parts()
    html = related[0].get_body(("html",)).get_content()
    content_id = image["Content-ID"].strip("<>")
    assert f'src="cid:{content_id}"' in html
    assert image.get_content_disposition() == "inline"
    png = image.get_content()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    # Same modules as the QR code of the bare code: nothing else (no name, no link) inside.
    expected = [[bool(bit) for bit in row] for row in segno.make_qr(code, error="m").matrix]
    assert _modules(png) == expected
    grouped = "-".join(code[i : i + 4] for i in range(0, len(code), 4))
    assert f"Your check-in code: {grouped}" in message.get_body(("plain",)).get_content()
    assert grouped in html


def test_a_direct_confirmation_carries_the_qr_code_inline_and_the_code_as_text(app):
    event = create_event()
    registration = create_registration(event, language="en")
    [row] = _mails(registration)
    message = _parsed(row, app)
    _assert_carries_the_code(message, registration.checkin_code)
    # The calendar invitation is still attached, beside the message, not inline.
    [invite] = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert invite.get_content_disposition() == "attachment"
    assert message.get_content_type() == "multipart/mixed"


def test_approval_and_promotion_mails_carry_the_code_and_other_mails_do_not(app):
    moderated = create_event(moderated=True)
    pending = create_registration(moderated, language="en")
    with app.test_request_context():
        registration_services.approve(pending, SYSTEM)
        db.session.commit()
    full = create_event(capacity_in_person=1, waitlist_enabled=True)
    first = create_registration(full, language="en")
    waiting = create_registration(full, language="en")
    with app.test_request_context():
        registration_services.cancel(first, REGISTRANT)
        db.session.commit()

    received, approved = _mails(pending)
    waitlisted, promoted = _mails(waiting)
    _assert_carries_the_code(_parsed(approved, app), pending.checkin_code)
    _assert_carries_the_code(_parsed(promoted, app), waiting.checkin_code)
    for row in (received, waitlisted, *_mails(first)[1:]):
        assert not any(part.get("inline") for part in row.attachments)
        assert "check-in code" not in row.text_body
        assert pending.checkin_code not in row.text_body
        assert waiting.checkin_code not in row.text_body


def test_the_eml_copy_holds_the_inline_image(app):
    registration = create_registration(create_event(), language="en")
    report = deliver_due_messages()
    assert report.sent == 1
    [path] = Path(app.instance_path, "outbox").glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    _assert_carries_the_code(message, registration.checkin_code)


@pytest.mark.parametrize(
    "attachment",
    [
        {"content_type": "text/plain", "content": "x"},
        {"content_type": "image/png", "content": "not base64!"},
    ],
)
def test_an_inline_part_that_is_not_an_image_fails_to_build(app, attachment):
    row = OutboxMessage(
        message_id="<x@localhost>",
        to_address="a@example.org",
        subject="S",
        text_body="T",
        html_body="<p>H</p>",
        attachments=[{"filename": "f", "inline": True, "content_id": "c@x", **attachment}],
        language="en",
    )
    row.created_at = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises((ValueError, TypeError)):
        smtp.build_envelope(row, "events@localhost")


# --- The registrant's page --------------------------------------------------------------------


def _personal_link(registration) -> str:
    row = _mails(registration)[0]
    return re.search(r"https?://[^/\s]+(/\w\w/registrations/[\w-]+/)", row.text_body).group(1)


def test_the_registrants_page_shows_the_qr_code_while_confirmed(app, client):
    registration = create_registration(create_event(), language="en")
    link = _personal_link(registration)
    code = registration.checkin_code
    grouped = "-".join(code[i : i + 4] for i in range(0, len(code), 4))

    page = client.get(link).text

    assert re.search(r'<svg role="img" aria-label="QR code of your check-in code"', page)
    assert grouped in page

    registration_services.cancel(_reload(registration), REGISTRANT)
    db.session.commit()
    after = client.get(link).text
    assert "<svg" not in after and grouped not in after


def test_a_pending_registrant_sees_no_code(app, client):
    registration = create_registration(create_event(moderated=True), language="en")
    page = client.get(_personal_link(registration)).text
    assert "<svg" not in page and "check-in code" not in page


# --- Two organizers at once -------------------------------------------------------------------


WORKERS = 6


def test_simultaneous_check_ins_record_one_and_everyone_sees_it(app, migrated_database, tmp_path):
    """Several organizers, each with their own app, engine and session, check the same
    person in at the same moment: one check-in is recorded and all of them see it."""
    event = create_event()
    registration = create_registration(event)
    organizers = [create_organizer() for _ in range(WORKERS)]
    ids = (registration.id, [organizer.id for organizer in organizers])
    db.session.remove()  # nothing of the test's own session stands in the way

    ready = threading.Barrier(WORKERS)
    outcomes: list[tuple[bool, object, int]] = []
    lock = threading.Lock()

    # Made here, one after the other: building an app compiles its URL rules with
    # `ast.parse`, which failed with a SystemError in CI (CPython 3.11.7) when several
    # threads ran it at once.
    apps = [
        create_app(app_config(migrated_database), str(tmp_path / f"instance-{number}"))
        for number in range(WORKERS)
    ]

    def organizer_at_the_door(number: int) -> None:
        own = apps[number]
        with own.app_context():
            found = db.session.get(Registration, ids[0])
            organizer = db.session.get(Organizer, ids[1][number])
            assert found.checked_in_at is None
            ready.wait(timeout=30)
            result = checkin.check_in(found, organizer)
            db.session.commit()
            with lock:
                outcomes.append((result.new, found.checked_in_at, found.checked_in_by_id))
            db.session.remove()
            db.engine.dispose()

    errors = run_at_once(organizer_at_the_door, WORKERS)

    assert not errors, errors
    assert len(outcomes) == WORKERS
    assert [new for new, _, _ in outcomes].count(True) == 1
    assert len({(when, who) for _, when, who in outcomes}) == 1
    stored = _reload(registration)
    assert (stored.checked_in_at, stored.checked_in_by_id) == outcomes[0][1:]
    assert len(_audit("registration.checked_in")) == 1
