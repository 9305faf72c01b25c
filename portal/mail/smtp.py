"""Turning an outbox row into the bytes of an email, and handing those bytes to an SMTP server,
or to `.eml` files under `<instance>/outbox/` when no server is configured."""

from __future__ import annotations

import base64
import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Protocol

from portal.mail.models import OutboxMessage

#: CRLF line ends and 7-bit bodies: what every SMTP server accepts, byte for byte.
_ASCII_POLICY = policy.SMTP.clone(cte_type="7bit")
#: Headers in UTF-8 for an address that is not ASCII (sent with the SMTPUTF8 extension);
#: names and subjects alone never need it: they travel as RFC 2047 encoded words.
_UTF8_POLICY = policy.SMTPUTF8
_UTF8_MAIL_OPTIONS = ("SMTPUTF8", "BODY=8BITMIME")

_UNSAFE_IN_FILE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Envelope:
    """One message ready to go: the SMTP envelope and the exact bytes of the message."""

    sender: str
    recipient: str
    data: bytes
    #: ESMTP options of MAIL FROM.
    mail_options: tuple[str, ...]
    #: Name of the `.eml` copy: unique, and the same on every attempt.
    file_name: str


def build_envelope(message: OutboxMessage, sender: str) -> Envelope:
    """Build `message` as a MIME email from `sender` (``"Name <address>"`` or an address).

    Raises `ValueError`, `KeyError`, `TypeError` or `email.errors.MessageError` for a row
    that cannot make an email, such as a malformed address or attachment.
    """
    email = EmailMessage(policy=_ASCII_POLICY)
    email["From"] = sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    # When the change it reports happened: a retried message keeps its date.
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = message.message_id
    # RFC 3834: out-of-office robots should not answer it.
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.text_body)
    email.add_alternative(message.html_body, subtype="html")
    # Inline images first: they join the HTML part (multipart/related), which `add_attachment`
    # then wraps with the rest into multipart/mixed.
    html_part = email.get_payload()[1]
    for attachment in message.attachments:
        if attachment.get("inline"):
            _attach_inline(html_part, attachment)
    for attachment in message.attachments:
        if not attachment.get("inline"):
            _attach(email, attachment)
    # Only now: setting the content drops every Content-* header set before.
    email["Content-Language"] = message.language
    envelope_sender = email["From"].addresses[0].addr_spec
    recipient = _recipient(email["To"].addresses)
    international = not (envelope_sender + recipient).isascii()
    token = message.message_id.strip("<>").partition("@")[0]
    return Envelope(
        sender=envelope_sender,
        recipient=recipient,
        data=email.as_bytes(policy=_UTF8_POLICY if international else _ASCII_POLICY),
        mail_options=_UTF8_MAIL_OPTIONS if international else (),
        file_name=f"{message.id}-{_UNSAFE_IN_FILE_NAME.sub('_', token)[:80]}.eml",
    )


def _recipient(addresses: tuple[Address, ...]) -> str:
    if len(addresses) != 1 or not (addresses[0].username and addresses[0].domain):
        raise ValueError("the recipient is not one email address")
    return addresses[0].addr_spec


def _attach(email: EmailMessage, attachment: Mapping[str, Any]) -> None:
    """Attach one ``{filename, content_type, content}`` entry of the outbox row.

    Text travels as a string; any other type as base64. Parameters of the stored content type
    are kept, so a calendar invite goes out as ``text/calendar; method=REQUEST`` in UTF-8,
    which Outlook and Gmail need to offer it as an invitation.
    """
    parsed = EmailMessage()
    parsed["Content-Type"] = attachment["content_type"]
    maintype, subtype = parsed.get_content_maintype(), parsed.get_content_subtype()
    params = dict(parsed["Content-Type"].params)
    params.pop("charset", None)
    if maintype == "text":
        email.add_attachment(
            attachment["content"],
            subtype=subtype,
            charset="UTF-8",
            filename=attachment["filename"],
            params=params,
        )
    else:
        email.add_attachment(
            base64.b64decode(attachment["content"], validate=True),
            maintype=maintype,
            subtype=subtype,
            filename=attachment["filename"],
            params=params,
        )


def _attach_inline(html_part: EmailMessage, attachment: Mapping[str, Any]) -> None:
    """Add an image that the HTML shows as ``<img src="cid:…">`` next to it: an outbox entry
    ``{filename, content_type, content (base64), inline: true, content_id}``, its
    `content_id` written without angle brackets, as the HTML refers to it."""
    maintype, _, subtype = attachment["content_type"].partition("/")
    if maintype != "image" or not subtype:
        raise ValueError("an inline part must be an image")
    html_part.add_related(
        base64.b64decode(attachment["content"], validate=True),
        maintype=maintype,
        subtype=subtype,
        cid=f"<{attachment['content_id']}>",
        disposition="inline",
        filename=attachment["filename"],
    )


class Transport(Protocol):
    def send(self, envelope: Envelope) -> None: ...

    def close(self) -> None: ...


def delete_eml_copies(instance_path: str, message_ids: Iterable[int]) -> int:
    """Delete the `.eml` copies of these outbox messages (written when no server is
    configured): the mail of an erased person goes with their data. Returns how many."""
    directory = Path(instance_path) / "outbox"
    deleted = 0
    for message_id in message_ids:
        for copy in directory.glob(f"{int(message_id)}-*.eml"):
            copy.unlink(missing_ok=True)
            deleted += 1
    return deleted


def open_transport(config: Mapping[str, Any], instance_path: str) -> Transport:
    """Connect to MAIL_SERVER, or, with none configured, write to `<instance>/outbox/`.

    Raises `OSError` (`smtplib.SMTPException` among them) when the server cannot be reached
    or refuses the login.
    """
    if not config["MAIL_SERVER"]:
        return EmlDirectory(Path(instance_path) / "outbox")
    return SMTPConnection(config)


class SMTPConnection:
    """One SMTP session for a whole batch: STARTTLS or implicit TLS, and login, as configured."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        host, port = config["MAIL_SERVER"], int(config["MAIL_PORT"])
        timeout = float(config["MAIL_TIMEOUT"])
        if config["MAIL_USE_SSL"]:
            self._smtp = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            self._smtp = smtplib.SMTP(host, port, timeout=timeout)
        try:
            if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
                self._smtp.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                self._smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        except BaseException:
            self._smtp.close()
            raise

    def send(self, envelope: Envelope) -> None:
        self._smtp.sendmail(
            envelope.sender,
            [envelope.recipient],
            envelope.data,
            mail_options=list(envelope.mail_options),
        )

    def close(self) -> None:
        try:
            self._smtp.quit()
        except OSError:
            # The server already hung up; what was sent stays sent.
            self._smtp.close()


class EmlDirectory:
    """Messages kept as `.eml` files (the bytes an SMTP server would get) for a person to open."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._directory = directory

    def send(self, envelope: Envelope) -> None:
        # Written under a temporary name and renamed, so nobody opens a half-written file.
        draft = tempfile.NamedTemporaryFile("wb", dir=self._directory, suffix=".part", delete=False)
        try:
            with draft:
                draft.write(envelope.data)
            os.replace(draft.name, self._directory / envelope.file_name)
        except BaseException:
            Path(draft.name).unlink(missing_ok=True)
            raise

    def close(self) -> None:
        pass


def describe_error(error: BaseException) -> str:
    """A short, secret-free account of a delivery failure, for `OutboxMessage.last_error`."""
    if isinstance(error, smtplib.SMTPRecipientsRefused) and error.recipients:
        code, reply = next(iter(error.recipients.values()))
        text = f"SMTP {code} {_reply_text(reply)}"
    elif isinstance(error, smtplib.SMTPResponseException):
        text = f"SMTP {error.smtp_code} {_reply_text(error.smtp_error)}"
    else:
        text = f"{type(error).__name__}: {error}"
    return " ".join(text.split())[:300]


def is_permanent_refusal(error: BaseException) -> bool:
    """Whether the server refused the recipient for good (5xx): retrying cannot help."""
    if not isinstance(error, smtplib.SMTPRecipientsRefused) or not error.recipients:
        return False
    return all(code >= 500 for code, _ in error.recipients.values())


def _reply_text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
