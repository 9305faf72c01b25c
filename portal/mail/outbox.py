"""Writing messages into the outbox, each rendered in its recipient's language."""

from __future__ import annotations

import uuid
from typing import Any

from flask import render_template
from flask_babel import force_locale

from portal.extensions import db
from portal.mail.addresses import sender_domain
from portal.mail.models import OutboxMessage


def queue_mail(
    to_address: str,
    template: str,
    language: str,
    attachments: list[dict[str, Any]] | None = None,
    **context: Any,
) -> OutboxMessage:
    """Render ``emails/<template>.{subject,txt,html}`` in `language` and add it to the outbox.

    It joins the caller's transaction: the message exists if and only if the change it
    reports is committed.
    """
    with force_locale(language):
        context = {"lang": language, **context}
        subject = render_template(f"emails/{template}.subject.txt", **context).strip()
        text_body = render_template(f"emails/{template}.txt", **context)
        html_body = render_template(f"emails/{template}.html", **context)
    message = OutboxMessage(
        message_id=f"<{uuid.uuid4()}@{sender_domain()}>",
        to_address=to_address,
        subject=" ".join(subject.split()),
        text_body=text_body,
        html_body=html_body,
        attachments=attachments or [],
        language=language,
    )
    db.session.add(message)
    return message
