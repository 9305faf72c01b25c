"""Delivering the outbox: through a real SMTP server in this process, or into .eml files."""

from __future__ import annotations

import base64
import email
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select, update

from portal.extensions import db
from portal.mail.addresses import sender_domain
from portal.mail.delivery import (
    CLAIM_LEASE,
    LEASE_MARGIN,
    DeliveryReport,
    deliver_due_messages,
    retry_delay,
)
from portal.mail.models import OutboxMessage, OutboxStatus
from tests.factories import create_event, create_registration
from tests.helpers import NOW

SENDER = "Réseau des Nations Unies sur les migrations <evenements@un-migration.example>"
SUBJECT = "Inscription confirmée : « Lancement du rapport » — إطلاق التقرير 🎉"
TEXT = "Bonjour António Vitorino,\n\nVotre inscription est confirmée.\nمرحبا بكم 🎉\n"
HTML = "<p>Bonjour António Vitorino,</p>\n<p>Votre inscription est confirmée. مرحبا بكم 🎉</p>\n"
INVITE = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Portal//EN\r\nMETHOD:REQUEST\r\n"
    "BEGIN:VEVENT\r\nUID:event-1@un-migration.example\r\nSUMMARY:Lancement du rapport — Genève\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


class Mailbox:
    """An aiosmtpd handler that keeps every message, refuses chosen recipients and checks
    logins."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.logins: list[tuple[str, str]] = []
        #: Recipient → the server's reply to RCPT TO.
        self.refusals: dict[str, str] = {}
        #: Called with each accepted message, from the server's thread.
        self.on_message: Callable[[], None] = lambda: None
        self.received = threading.Event()
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refusals:
            return self.refusals[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.envelopes.append(envelope)
        self.on_message()
        self.received.set()
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.logins.append((login, password))
        # Not handled here: aiosmtpd answers 235 or 535 itself.
        return AuthResult(success=(login, password) == ("mailer", "s3cret pass"), handled=False)

    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(envelope.original_content, policy=policy.default)
            for envelope in self.envelopes
        ]

    def message_ids(self) -> Counter[str]:
        return Counter(message["Message-ID"] for message in self.messages())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(mailbox: Mailbox, port: int, **smtp_options: Any) -> Iterator[None]:
    """Run an SMTP server on 127.0.0.1:`port` that delivers into `mailbox`."""
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **smtp_options)
    controller.start()
    try:
        yield
    finally:
        controller.stop()


@pytest.fixture
def mail_app(app):
    """The app with mail from a French-named sender."""
    app.config.update(MAIL_DEFAULT_SENDER=SENDER, MAIL_TIMEOUT=5)
    return app


@pytest.fixture
def mailbox(mail_app) -> Iterator[Mailbox]:
    """A running SMTP server that the app is configured to use."""
    mailbox = Mailbox()
    port = _free_port()
    mail_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    with serving(mailbox, port):
        yield mailbox


@pytest.fixture
def dead_server(mail_app) -> int:
    """Point the app at a port where nothing listens; return the port."""
    port = _free_port()
    mail_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    return port


def outbox_row(to_address: str = "delegate@example.org", **fields: Any) -> OutboxMessage:
    """An outbox row as `queue_mail` makes one, without its templates."""
    values: dict[str, Any] = {
        "message_id": f"<{uuid.uuid4()}@un-migration.example>",
        "to_address": to_address,
        "subject": SUBJECT,
        "text_body": TEXT,
        "html_body": HTML,
        "attachments": [],
        "language": "fr",
    }
    values.update(fields)
    return OutboxMessage(**values)


def queue_row(to_address: str = "delegate@example.org", **fields: Any) -> OutboxMessage:
    """A committed outbox row."""
    row = outbox_row(to_address, **fields)
    db.session.add(row)
    db.session.commit()
    return row


def reload(row: OutboxMessage) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, row.id)


def _lines(text: str) -> str:
    """Text with the CRLF line ends of the wire turned back into newlines."""
    return text.replace("\r\n", "\n")


def test_a_message_arrives_once_with_its_headers_text_and_invite(mailbox, frozen_now):
    invite = {
        "filename": "invitation.ics",
        "content_type": "text/calendar; method=REQUEST",
        "content": INVITE,
    }
    row = queue_row(attachments=[invite])

    report = deliver_due_messages()

    assert report == DeliveryReport(sent=1)
    [envelope] = mailbox.envelopes
    assert envelope.mail_from == "evenements@un-migration.example"
    assert envelope.rcpt_tos == ["delegate@example.org"]
    assert envelope.original_content.isascii()  # 7-bit clean: any server takes it
    [message] = mailbox.messages()
    assert message["Subject"] == SUBJECT
    assert message["From"].addresses[0].display_name == (
        "Réseau des Nations Unies sur les migrations"
    )
    assert message["To"] == "delegate@example.org"
    assert message["Message-ID"] == row.message_id
    assert message["Date"].datetime == NOW
    assert message["Content-Language"] == "fr"
    assert _lines(message.get_body(("plain",)).get_content()) == TEXT
    assert _lines(message.get_body(("html",)).get_content()) == HTML
    [attachment] = message.iter_attachments()
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "REQUEST"
    assert attachment.get_content_charset() == "utf-8"
    assert attachment.get_filename() == "invitation.ics"
    assert attachment.get_content() == INVITE  # CRLF, as RFC 5545 wants

    row = reload(row)
    assert (row.status, row.sent_at, row.claimed_until, row.attempts) == (
        OutboxStatus.SENT,
        NOW,
        None,
        0,
    )
    assert deliver_due_messages() == DeliveryReport()
    assert len(mailbox.envelopes) == 1


def test_an_address_that_is_not_ascii_goes_out_with_smtputf8(mail_app, frozen_now):
    mailbox = Mailbox()
    port = _free_port()
    mail_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    row = queue_row("délégué@exemple.fr")

    with serving(mailbox, port, enable_SMTPUTF8=True):
        assert deliver_due_messages() == DeliveryReport(sent=1)

    [envelope] = mailbox.envelopes
    assert envelope.rcpt_tos == ["délégué@exemple.fr"]
    assert "SMTPUTF8" in envelope.mail_options
    [message] = mailbox.messages()
    assert message["To"] == "délégué@exemple.fr"
    assert message["Subject"] == SUBJECT
    assert reload(row).status is OutboxStatus.SENT


def test_other_attachments_travel_as_base64(mailbox, frozen_now):
    pdf = b"%PDF-1.7\n\x00\xff binary"
    attachment = {
        "filename": "programme.pdf",
        "content_type": "application/pdf",
        "content": base64.b64encode(pdf).decode(),
    }
    queue_row(attachments=[attachment])

    assert deliver_due_messages() == DeliveryReport(sent=1)

    [message] = mailbox.messages()
    [part] = message.iter_attachments()
    assert (part.get_content_type(), part.get_filename()) == ("application/pdf", "programme.pdf")
    assert part.get_content() == pdf


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"to_address": "not an address"}, "ValueError: the recipient is not one email address"),
        ({"to_address": "a@example.org, b@example.org"}, "ValueError: the recipient"),
        ({"subject": "Hello\r\nBcc: everyone@example.org"}, "ValueError: Header values"),
        (
            {"attachments": [{"filename": "x.pdf", "content_type": "application/pdf"}]},
            "KeyError: 'content'",
        ),
        (
            {
                "attachments": [
                    {"filename": "x.pdf", "content_type": "application/pdf", "content": "?"}
                ]
            },
            "Error: ",
        ),
    ],
)
def test_a_row_that_cannot_make_an_email_fails_at_once(mailbox, frozen_now, fields, error):
    broken = queue_row(**fields)
    fine = queue_row()

    assert deliver_due_messages() == DeliveryReport(sent=1, failed=1)

    broken = reload(broken)
    assert (broken.status, broken.attempts) == (OutboxStatus.FAILED, 1)
    assert broken.last_error.startswith(error)
    assert mailbox.message_ids() == Counter({fine.message_id: 1})


def test_without_a_server_each_message_becomes_an_eml_file_with_the_smtp_bytes(
    mailbox, mail_app, frozen_now
):
    row = queue_row()
    mail_app.config["MAIL_SERVER"] = None

    assert deliver_due_messages() == DeliveryReport(sent=1)

    outbox = Path(mail_app.instance_path) / "outbox"
    [path] = outbox.iterdir()  # no half-written leftovers beside it
    assert path.name.startswith(f"{row.id}-") and path.suffix == ".eml"
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["Subject"] == SUBJECT
    assert message["Message-ID"] == row.message_id
    assert _lines(message.get_body(("plain",)).get_content()) == TEXT
    assert reload(row).status is OutboxStatus.SENT

    # The same row through the SMTP server gives the same bytes (but for fresh MIME boundaries).
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row.id)
        .values(status="pending", subject=SUBJECT, text_body=TEXT, html_body=HTML)
    )
    db.session.commit()
    mail_app.config["MAIL_SERVER"] = "127.0.0.1"
    assert deliver_due_messages() == DeliveryReport(sent=1)
    boundary = re.compile(rb"={15}\d+==")
    assert boundary.sub(b"-", mailbox.envelopes[0].original_content) == boundary.sub(
        b"-", path.read_bytes()
    )


def test_a_dead_server_loses_nothing_and_the_message_goes_once_it_is_back(mail_app, dead_server):
    mailbox = Mailbox()
    with time_machine.travel(NOW, tick=False) as traveller:
        row = queue_row()

        assert deliver_due_messages() == DeliveryReport(retrying=1)

        row = reload(row)
        assert (row.status, row.attempts, row.claimed_until) == (OutboxStatus.PENDING, 1, None)
        assert "Connection refused" in row.last_error
        assert row.next_attempt_at == NOW + timedelta(minutes=1)

        with serving(mailbox, dead_server):
            traveller.shift(timedelta(seconds=30))
            assert deliver_due_messages() == DeliveryReport()  # not due yet
            assert mailbox.envelopes == []

            traveller.move_to(NOW + timedelta(minutes=1, seconds=1))
            assert deliver_due_messages() == DeliveryReport(sent=1)
            assert deliver_due_messages() == DeliveryReport()

    assert mailbox.message_ids() == Counter({row.message_id: 1})
    row = reload(row)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 1)


def test_failures_back_off_and_give_up_after_the_last_attempt(mail_app, dead_server):
    mail_app.config["MAIL_MAX_ATTEMPTS"] = 4
    with time_machine.travel(NOW, tick=False) as traveller:
        row = queue_row()
        waits = []
        for _ in range(3):
            assert deliver_due_messages() == DeliveryReport(retrying=1)
            row = reload(row)
            waits.append(row.next_attempt_at - NOW - sum(waits, timedelta()))
            traveller.move_to(row.next_attempt_at)

        assert deliver_due_messages() == DeliveryReport(failed=1)

        traveller.shift(timedelta(days=1))
        assert deliver_due_messages() == DeliveryReport()
    assert waits == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    row = reload(row)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 4)


@pytest.mark.parametrize(
    ("attempts", "minutes"), [(1, 1), (2, 2), (3, 4), (6, 32), (7, 60), (10, 60), (500, 60)]
)
def test_the_wait_doubles_up_to_an_hour(attempts, minutes):
    assert retry_delay(attempts) == timedelta(minutes=minutes)


def test_a_refused_recipient_fails_at_once_a_busy_one_is_retried(mailbox, frozen_now):
    mailbox.refusals = {
        "nobody@example.org": "550 5.1.1 No such user",
        "busy@example.org": "450 4.2.1 Mailbox busy, try later",
    }
    nobody = queue_row("nobody@example.org")
    busy = queue_row("busy@example.org")
    fine = queue_row("fine@example.org")

    assert deliver_due_messages() == DeliveryReport(sent=1, retrying=1, failed=1)

    nobody, busy, fine = reload(nobody), reload(busy), reload(fine)
    assert (nobody.status, nobody.attempts) == (OutboxStatus.FAILED, 1)
    assert nobody.last_error == "SMTP 550 5.1.1 No such user"
    assert (busy.status, busy.attempts) == (OutboxStatus.PENDING, 1)
    assert busy.last_error == "SMTP 450 4.2.1 Mailbox busy, try later"
    assert busy.next_attempt_at == NOW + timedelta(minutes=1)
    assert fine.status is OutboxStatus.SENT  # the same session went on after the refusals
    assert mailbox.message_ids() == Counter({fine.message_id: 1})


def test_a_server_that_hangs_up_leaves_the_rest_of_the_batch_for_later(mailbox, frozen_now):
    mailbox.refusals = {"second@example.org": "421 4.3.2 Shutting down"}
    first, second, third = (
        queue_row(f"{name}@example.org") for name in ("first", "second", "third")
    )

    assert deliver_due_messages() == DeliveryReport(sent=1, retrying=2)

    second, third = reload(second), reload(third)
    assert second.last_error == "SMTP 421 4.3.2 Shutting down"
    assert third.last_error.startswith("SMTPServerDisconnected")
    for row in (second, third):
        assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert mailbox.message_ids() == Counter({first.message_id: 1})


def test_two_workers_at_once_deliver_every_message_exactly_once(mailbox, mail_app):
    rows = [queue_row(f"delegate{number}@example.org") for number in range(50)]
    start = threading.Barrier(2)

    def worker() -> list[DeliveryReport]:
        reports = []
        with mail_app.app_context():
            start.wait()
            while (report := deliver_due_messages(limit=5)).claimed:
                reports.append(report)
        return reports

    with ThreadPoolExecutor(2) as pool:
        results = [future.result() for future in [pool.submit(worker) for _ in range(2)]]

    assert mailbox.message_ids() == Counter({row.message_id: 1 for row in rows})
    assert sum(report.sent for reports in results for report in reports) == 50
    statuses = db.session.scalars(select(OutboxMessage.status)).all()
    assert statuses == [OutboxStatus.SENT] * 50


def test_a_crashed_workers_claim_is_taken_over_when_its_lease_ends(mailbox):
    with time_machine.travel(NOW, tick=False) as traveller:
        row = queue_row(claimed_until=NOW + CLAIM_LEASE)  # claimed, then the worker died

        assert deliver_due_messages() == DeliveryReport()
        traveller.move_to(NOW + CLAIM_LEASE)
        assert deliver_due_messages() == DeliveryReport()
        assert mailbox.envelopes == []

        traveller.shift(timedelta(seconds=1))
        assert deliver_due_messages() == DeliveryReport(sent=1)

    assert mailbox.message_ids() == Counter({row.message_id: 1})


def test_a_batch_stops_before_its_lease_could_run_out(mailbox):
    with time_machine.travel(NOW, tick=False) as traveller:
        first, second, third = queue_row(), queue_row(), queue_row()
        # The first message takes so long that too little of the lease is left for another.
        mailbox.on_message = lambda: traveller.shift(CLAIM_LEASE - LEASE_MARGIN)

        assert deliver_due_messages() == DeliveryReport(sent=1, released=2)

        for row in (reload(second), reload(third)):
            assert (row.status, row.attempts, row.claimed_until) == (
                OutboxStatus.PENDING,
                0,
                None,
            )
        mailbox.on_message = lambda: None
        assert deliver_due_messages() == DeliveryReport(sent=2)

    assert mailbox.message_ids() == Counter({row.message_id: 1 for row in (first, second, third)})


def test_send_mail_delivers_everything_due_in_batches(mailbox, runner, frozen_now):
    rows = [queue_row() for _ in range(3)]

    result = runner.invoke(args=["send-mail", "--limit", "2"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Mail: 2 sent, 0 to retry, 0 failed.",
        "Mail: 1 sent, 0 to retry, 0 failed.",
    ]
    assert mailbox.message_ids() == Counter({row.message_id: 1 for row in rows})

    again = runner.invoke(args=["send-mail"])
    assert (again.exit_code, again.output) == (0, "No mail due.\n")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_send_mail_loop_runs_until_a_signal_then_stops_cleanly(mailbox, runner, signum):
    row = queue_row()
    original = signal.getsignal(signum)

    def stop_once_delivered() -> None:
        mailbox.received.wait(10)
        if signal.getsignal(signum) is not original:  # only the worker's own handler
            os.kill(os.getpid(), signum)

    stopper = threading.Thread(target=stop_once_delivered)
    stopper.start()
    result = runner.invoke(args=["send-mail", "--loop", "--interval", "0.05"])
    stopper.join()

    assert result.exit_code == 0, result.output
    assert result.output == "Mail: 1 sent, 0 to retry, 0 failed.\nStopped.\n"
    assert signal.getsignal(signum) is original
    assert mailbox.message_ids() == Counter({row.message_id: 1})


@pytest.fixture(scope="session")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_server(mail_app, certificate, monkeypatch, request):
    """An SMTP server with TLS and login, trusted by the app; the parameter picks STARTTLS
    or TLS from the first byte."""
    cert, key = certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # what ssl.create_default_context trusts
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    mailbox = Mailbox()
    port = _free_port()
    if request.param == "starttls":
        options = {"tls_context": context, "require_starttls": True}
        mail_app.config["MAIL_USE_TLS"] = True
    else:
        # aiosmtpd only counts STARTTLS as TLS when it decides whether to offer AUTH.
        options = {"ssl_context": context, "auth_require_tls": False}
        mail_app.config["MAIL_USE_SSL"] = True
    mail_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USERNAME="mailer")
    with serving(mailbox, port, authenticator=mailbox.authenticate, **options):
        yield mailbox


@pytest.mark.parametrize("tls_server", ["starttls", "ssl"], indirect=True)
def test_mail_goes_over_tls_after_login(tls_server, mail_app, frozen_now):
    mail_app.config["MAIL_PASSWORD"] = "s3cret pass"
    row = queue_row()

    assert deliver_due_messages() == DeliveryReport(sent=1)

    assert tls_server.logins == [("mailer", "s3cret pass")]
    assert tls_server.message_ids() == Counter({row.message_id: 1})


@pytest.mark.parametrize("tls_server", ["starttls"], indirect=True)
def test_a_refused_login_is_retried_and_the_password_is_not_recorded(
    tls_server, mail_app, frozen_now
):
    mail_app.config["MAIL_PASSWORD"] = "wrong horse"
    row = queue_row()

    assert deliver_due_messages() == DeliveryReport(retrying=1)

    row = reload(row)
    assert row.last_error.startswith("SMTP 535")
    assert "wrong horse" not in row.last_error
    assert tls_server.envelopes == []


# --- The sender's domain in Message-IDs and Content-IDs ------------------------------------

#: A sender with a display name, as a deployment configures it.
NAMED_SENDER = "Events <events@example.org>"
#: A Message-ID or Content-ID header made on the sender's domain: one pair of brackets.
ID_ON_SENDERS_DOMAIN = re.compile(r"<[^<>@\s]+@example\.org>")


@pytest.mark.parametrize(
    ("sender", "domain"),
    [
        ("events@example.org", "example.org"),
        (NAMED_SENDER, "example.org"),
        ('"Events, Geneva" <events@example.org>', "example.org"),
        (SENDER, "un-migration.example"),
        ("events", "localhost"),
        ("", "localhost"),
    ],
)
def test_the_senders_domain_is_read_with_or_without_a_display_name(app, sender, domain):
    app.config["MAIL_DEFAULT_SENDER"] = sender

    assert sender_domain() == domain


def _confirmation_through_smtp(mail_app, mailbox) -> EmailMessage:
    """Register someone (their confirmation is queued, then rendered with its QR code when
    delivered), deliver the outbox to the SMTP server, and return the message it received."""
    mail_app.config["MAIL_DEFAULT_SENDER"] = NAMED_SENDER
    create_registration(create_event())
    assert deliver_due_messages() == DeliveryReport(sent=1)
    [message] = mailbox.messages()
    return message


def test_a_message_id_made_from_a_named_sender_is_well_formed(mail_app, mailbox, frozen_now):
    message = _confirmation_through_smtp(mail_app, mailbox)

    assert ID_ON_SENDERS_DOMAIN.fullmatch(message["Message-ID"])
    assert message["From"].addresses[0].addr_spec == "events@example.org"


def test_the_qr_codes_content_id_from_a_named_sender_is_well_formed(mail_app, mailbox, frozen_now):
    message = _confirmation_through_smtp(mail_app, mailbox)

    [image] = [part for part in message.walk() if part.get_content_type() == "image/png"]
    content_id = image["Content-ID"]
    assert ID_ON_SENDERS_DOMAIN.fullmatch(content_id)
    html = message.get_body(("html",)).get_content()
    assert f'src="cid:{content_id[1:-1]}"' in html
