"""The worker renders and sends mail; web requests only queue it, whatever the mail server does."""

from __future__ import annotations

import email
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from email import policy
from pathlib import Path

import icalendar
import pytest
import time_machine
from flask import render_template
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from portal.calendar.ics import invitation
from portal.events.models import EventFormat
from portal.extensions import db
from portal.i18n import format_long_date
from portal.mail import delivery, outbox
from portal.mail.delivery import DeliveryReport, deliver_due_messages, deliver_until
from portal.mail.models import OutboxMessage, OutboxStatus
from portal.mail.outbox import Rendered, queue_mail, register_renderer
from portal.organizers.audit import REGISTRANT
from portal.registration import services
from portal.registration.mailcode import mail_code
from portal.registration.models import Registration
from portal.timeutil import now_utc, to_zone
from tests.factories import create_event, create_registration, registration_fields
from tests.helpers import NOW, csrf_token
from tests.mail.helpers import outbox as rendered_outbox
from tests.mail.test_mail_delivery import Mailbox, _free_port, serving

LINK = re.compile(r"https?://[^/\s]+(/\w\w/registrations/[\w-]+/)")


def _register(client, event, lang: str = "en", **overrides) -> float:
    """POST the registration form as a browser does; return how long the exchange took."""
    url = f"/{lang}/events/{event.slug}/register"
    fields = registration_fields(**overrides)
    data = {name: value for name, value in fields.items() if name not in ("answers", "consent")}
    data.update(consent="y", csrf_token=csrf_token(client, url))
    started = time.monotonic()
    response = client.post(url, data=data)
    response.close()  # as the WSGI server does once the answer has gone out
    took = time.monotonic() - started
    assert response.status_code == 302, response.text
    return took


def _rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.fixture
def silent_server(app) -> Iterator[int]:
    """An SMTP port that accepts connections and reads, but never answers a byte."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    port = listener.getsockname()[1]
    stop = threading.Event()
    connections: list[socket.socket] = []

    def accept_and_read() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            connection.settimeout(0.1)
            connections.append(connection)
        listener.close()

    def drain() -> None:
        while not stop.is_set():
            for connection in list(connections):
                try:
                    connection.recv(4096)
                except (TimeoutError, OSError):
                    pass
            stop.wait(0.05)

    threads = [threading.Thread(target=accept_and_read), threading.Thread(target=drain)]
    for thread in threads:
        thread.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    try:
        yield port
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        for connection in connections:
            connection.close()


def test_a_hanging_mail_server_slows_no_page_and_loses_no_message(app, client, silent_server):
    event = create_event(capacity_in_person=2, waitlist_enabled=True)

    timings = [_register(client, event, email=f"delegate{n}@example.org") for n in range(4)]
    started = time.monotonic()
    health = client.get("/healthz")
    health.close()
    timings.append(time.monotonic() - started)

    assert health.status_code == 200
    assert max(timings) < 1.0, timings  # the server would have held each for MAIL_TIMEOUT
    rows = _rows()
    assert [row.status for row in rows] == [OutboxStatus.PENDING] * 4
    assert all(row.subject is None for row in rows)  # nothing rendered in a request

    app.config["MAIL_TIMEOUT"] = 0.3
    started = time.monotonic()
    assert deliver_due_messages() == DeliveryReport(retrying=4)
    assert time.monotonic() - started < 5
    for row in _rows():
        assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
        assert row.next_attempt_at > now_utc()
        assert "timed out" in row.last_error

    mailbox = Mailbox()
    port = _free_port()
    app.config.update(MAIL_PORT=port, MAIL_TIMEOUT=5)
    with serving(mailbox, port), time_machine.travel(now_utc() + timedelta(minutes=2)):
        assert deliver_due_messages() == DeliveryReport(sent=4)
        assert deliver_due_messages() == DeliveryReport()

    assert mailbox.message_ids() == Counter({row.message_id: 1 for row in rows})
    assert sorted(envelope.rcpt_tos[0] for envelope in mailbox.envelopes) == [
        f"delegate{n}@example.org" for n in range(4)
    ]


def test_a_confirmation_rendered_at_delivery_reads_as_one_rendered_when_queued(app, client):
    """The worker writes what the request used to: the registrant's language (not the page's),
    the same subject and text, and the same personal invitation."""
    mailbox = Mailbox()
    port = _free_port()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    event = create_event(title={"en": "Launch", "fr": "Lancement du rapport"})
    _register(client, event, lang="en", email="aicha@example.org", language="fr")
    registration = db.session.scalar(select(Registration))
    [row] = _rows()
    assert (row.kind, row.language, row.invite) == ("registration_confirmed", "fr", "REQUEST")

    with serving(mailbox, port):
        assert deliver_due_messages() == DeliveryReport(sent=1)

    [message] = mailbox.messages()
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    token = LINK.search(text).group(1).split("/")[-2]
    event_url = f"http://localhost/fr/events/{event.slug}/"
    # What the request rendered before the worker did, with the same context.
    context = {
        "lang": "fr",
        "checkin": mail_code(registration, "registration_confirmed", "localhost", "code-acces.png"),
        "salutation": "Madame, Monsieur,",
        "registration": registration,
        "event": event,
        "event_title": "Lancement du rapport",
        "event_url": event_url,
        "manage_url": f"http://localhost/fr/registrations/{token}/",
        "position": None,
    }
    with app.test_request_context("/en/"), force_locale("fr"):
        expected_subject = render_template("emails/registration_confirmed.subject.txt", **context)
        expected_text = render_template("emails/registration_confirmed.txt", **context)
    assert message["Subject"] == expected_subject.strip()
    assert message["Subject"].startswith("Inscription confirmée\u00a0: ")
    assert message["Content-Language"] == "fr"
    assert text.rstrip("\n") == expected_text.rstrip("\n")
    assert format_long_date(to_zone(event.starts_at, event.timezone), "fr") in text
    assert event_url in text
    assert client.get(f"/fr/registrations/{token}/").status_code == 200
    [invite] = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert invite.get_param("method") == "REQUEST"
    sent = icalendar.Calendar.from_ical(invite.get_content())
    expected = icalendar.Calendar.from_ical(
        invitation(
            event,
            "fr",
            event_url,
            app.config["MAIL_DEFAULT_SENDER"],
            attendee=(registration.full_name, registration.email),
            method="REQUEST",
            stamp=now_utc(),
        )
    )
    [sent_event], [expected_event] = sent.walk("VEVENT"), expected.walk("VEVENT")
    for name in ("UID", "SEQUENCE", "SUMMARY", "DTSTART", "DTEND", "LOCATION", "ATTENDEE"):
        assert sent_event.get(name) == expected_event.get(name), name


def test_a_delivered_message_keeps_no_body_and_no_link(app, frozen_now):
    registration = create_registration(create_event(), email="ana@example.org")
    [row] = _rows()
    assert row.registration_id == registration.id and not row.rendered
    assert registration.links == []  # the link is issued when the message is written

    assert deliver_due_messages() == DeliveryReport(sent=1)  # as an .eml file
    assert len(db.session.get(Registration, registration.id).links) == 1

    [row] = _rows()
    assert row.status is OutboxStatus.SENT and row.sent_at == NOW
    assert (row.subject, row.text_body, row.html_body) == (None, None, None)
    assert (row.attachments, row.details) == ([], {})
    assert (row.to_address, row.kind, row.language, row.created_at) == (
        "ana@example.org",
        "registration_confirmed",
        "fr",
        NOW,
    )


def test_a_retry_sends_what_the_first_attempt_rendered_under_the_same_message_id(app):
    mailbox = Mailbox()
    port = _free_port()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)  # nothing listens yet
    with time_machine.travel(NOW, tick=False) as traveller:
        create_registration(create_event(), email="ana@example.org")
        [queued] = _rows()
        assert deliver_due_messages() == DeliveryReport(retrying=1)
        [tried] = _rows()
        # Rendered once, with the one link issued for it.
        assert tried.subject and len(db.session.get(Registration, tried.registration_id).links) == 1
        first_text = tried.text_body

        traveller.shift(timedelta(minutes=2))
        with serving(mailbox, port):
            assert deliver_due_messages() == DeliveryReport(sent=1)

    [message] = mailbox.messages()
    assert message["Message-ID"] == queued.message_id
    sent_text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert sent_text.rstrip("\n") == first_text.rstrip("\n")


@pytest.mark.parametrize("how", ["deleted", "erased"])
def test_a_message_whose_registration_is_gone_fails_cleanly(app, frozen_now, how):
    registration = create_registration(create_event(), email="ana@example.org")
    other = create_registration(create_event(), email="ben@example.org")
    if how == "deleted":
        db.session.delete(registration)
    else:
        registration.email = registration.email_normalized = "erased-1@invalid"
        registration.given_name = registration.family_name = ""
    db.session.commit()

    assert deliver_due_messages() == DeliveryReport(sent=1, failed=1)

    gone, fine = _rows()
    assert (gone.status, gone.attempts) == (OutboxStatus.FAILED, 1)
    assert gone.last_error == "Unrenderable: the registration no longer exists"
    assert gone.subject is None
    assert fine.status is OutboxStatus.SENT and fine.registration_id == other.id


def test_a_renderer_that_breaks_delays_its_message_and_no_other(app, frozen_now, monkeypatch):
    def broken(message: OutboxMessage) -> Rendered:
        raise RuntimeError("template bug")

    monkeypatch.setitem(outbox._renderers, "broken", broken)
    queue_mail("broken", "ana@example.org", "en")
    db.session.commit()
    create_registration(create_event(), email="ben@example.org")

    assert deliver_due_messages() == DeliveryReport(sent=1, retrying=1)

    broken_row, _ = _rows()
    assert (broken_row.status, broken_row.attempts) == (OutboxStatus.PENDING, 1)
    assert broken_row.last_error == "RuntimeError: template bug"


def test_renderers_are_found_by_the_kind_of_message(app, frozen_now, monkeypatch):
    monkeypatch.setattr(outbox, "_renderers", {})
    register_renderer("note", lambda row: Rendered(f"To {row.to_address}", "Text", "<p>HTML</p>"))
    queue_mail("note", "ana@example.org", "en", details={"n": 1})
    queue_mail("unknown", "ben@example.org", "en")
    db.session.commit()

    assert deliver_due_messages() == DeliveryReport(sent=1, failed=1)
    assert "no renderer" in _rows()[1].last_error


def test_a_promotion_mail_carries_a_new_personal_link(app, client, frozen_now):
    event = create_event(capacity_in_person=1, waitlist_enabled=True)
    first = create_registration(event, email="first@example.org")
    create_registration(event, email="second@example.org")
    [waitlisted] = rendered_outbox("second@example.org")
    old_link = LINK.search(waitlisted.text_body).group(1)

    services.cancel(first, REGISTRANT)
    db.session.commit()

    promoted = rendered_outbox("second@example.org")[-1]
    assert promoted.subject.startswith("Une place vous est attribuée")
    new_link = LINK.search(promoted.text_body).group(1)
    assert new_link != old_link
    assert client.get(new_link).status_code == 200
    assert client.get(old_link).status_code == 200  # links already mailed keep working


@pytest.mark.parametrize("event_format", [EventFormat.HYBRID, EventFormat.ONLINE])
def test_online_registrants_get_no_door_qr_code(app, client, frozen_now, event_format):
    event = create_event(format=event_format)
    online = create_registration(event, attendance="online", language="en")
    [mail] = rendered_outbox(online.email)

    assert not any(part.get("inline") for part in mail.attachments)
    assert "check-in code" not in mail.text_body + mail.html_body
    page = client.get(LINK.search(mail.text_body).group(1)).text
    assert "Your check-in code" not in page and online.checkin_code not in page.replace("-", "")
    if event_format is EventFormat.HYBRID:
        seated = create_registration(event, attendance="in_person", language="en")
        [mail] = rendered_outbox(seated.email)
        assert any(part.get("inline") for part in mail.attachments)
        assert "Your check-in code" in client.get(LINK.search(mail.text_body).group(1)).text


# --- How long mail has waited -----------------------------------------------------------------


def test_healthz_gives_the_age_of_the_oldest_message_still_to_send(app, client):
    with time_machine.travel(NOW, tick=False) as traveller:
        assert client.get("/healthz").json["mail"] == {"oldest_pending_seconds": None}
        queue_mail("registration_link", "ana@example.org", "en")
        later = queue_mail("registration_link", "ben@example.org", "en")
        later.next_attempt_at = NOW + timedelta(hours=1)  # not due yet: not late either
        db.session.commit()

        traveller.shift(timedelta(seconds=12))
        response = client.get("/healthz")

        assert response.status_code == 200
        assert response.json["mail"] == {"oldest_pending_seconds": 12}
        db.session.execute(OutboxMessage.__table__.update().values(status=OutboxStatus.SENT))
        db.session.commit()
        assert client.get("/healthz").json["mail"] == {"oldest_pending_seconds": None}


def test_a_message_waiting_for_its_retry_counts_as_waiting(app):
    with time_machine.travel(NOW, tick=False) as traveller:
        row = queue_mail("registration_link", "ana@example.org", "en")
        row.attempts, row.next_attempt_at = 3, NOW + timedelta(minutes=8)
        db.session.commit()
        traveller.shift(timedelta(minutes=6))

        assert outbox.oldest_waiting_age() == timedelta(minutes=6)


def test_the_back_office_warns_when_mail_has_waited_over_five_minutes(app, organizer_client):
    row = queue_mail("registration_link", "ana@example.org", "en")
    row.created_at = now_utc() - timedelta(minutes=4, seconds=50)
    db.session.commit()
    warning = "no mail worker may be running"

    assert warning not in organizer_client.get("/manage/").text

    row.created_at = now_utc() - timedelta(minutes=5, seconds=1)
    db.session.commit()
    assert warning in organizer_client.get("/manage/").text
    assert warning in organizer_client.get("/manage/account").text
    assert warning not in app.test_client().get("/manage/login").text  # signed in only


# --- The worker command -------------------------------------------------------------------------


def test_worker_once_delivers_what_is_due_and_exits(app, runner, frozen_now):
    create_registration(create_event(), email="ana@example.org")

    result = runner.invoke(args=["worker", "--once"])

    # The first run of the day also runs the daily retention purge.
    assert (result.exit_code, result.output) == (
        0,
        "Retention purge: 0 registrations erased in 0 events past their retention period.\n"
        "Mail: 1 sent, 0 to retry, 0 failed.\n",
    )
    assert [row.status for row in _rows()] == [OutboxStatus.SENT]
    assert runner.invoke(args=["worker", "--once"]).output == "No mail due.\n"


def test_the_worker_outlives_a_database_that_stops_answering(app, monkeypatch, caplog):
    """Two failures, then the database is back: the worker waits longer each time, logs
    each failure, delivers, and stops when asked."""
    stop = threading.Event()
    calls: list[str] = []
    pauses: list[float] = []

    def flaky(limit: int) -> DeliveryReport:
        calls.append("try")
        if len(calls) <= 2:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        stop.set()
        return DeliveryReport(sent=1)

    real_wait = stop.wait

    def wait(timeout: float | None = None) -> bool:
        pauses.append(timeout or 0)
        return real_wait(0)

    monkeypatch.setattr(delivery, "deliver_due_messages", flaky)
    monkeypatch.setattr(stop, "wait", wait)
    batches: list[DeliveryReport] = []

    # A full batch (the limit) is followed by the next at once, so the only pauses are the
    # database's.
    deliver_until(stop, limit=1, interval=0.5, on_batch=batches.append)

    assert calls == ["try"] * 3
    assert pauses == [0.5, 1.0]
    assert batches == [DeliveryReport(sent=1)]
    assert caplog.text.count("could not use the database") == 2


def test_a_single_run_lets_a_database_error_through(app, monkeypatch):
    def down(limit: int) -> DeliveryReport:
        raise OperationalError("SELECT 1", {}, Exception("no route to host"))

    monkeypatch.setattr(delivery, "deliver_due_messages", down)

    with pytest.raises(OperationalError):
        deliver_until(threading.Event(), limit=10, interval=None, on_batch=lambda report: None)


def test_the_eml_of_a_confirmation_is_complete(app, frozen_now):
    registration = create_registration(create_event(), email="ana@example.org", language="es")
    deliver_due_messages()

    [path] = Path(app.instance_path, "outbox").glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["Subject"].startswith("Inscripción confirmada")
    assert registration.checkin_code[:4] in message.get_body(("plain",)).get_content()
