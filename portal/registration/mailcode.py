"""The check-in code in confirmation emails: a QR code shown inline, and the code as text.

Only people who come to the door get one: an online seat has no door to show it at.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from typing import Any

from portal.registration.models import Attendance, Registration, RegistrationState
from portal.registration.qr import format_code, qr_png

#: Messages that carry the check-in code: those that confirm a seat, and the reminder before
#: the event, which a delegate is likely to open at the door.
CONFIRMATION_TEMPLATES = frozenset(
    {"registration_confirmed", "registration_promoted", "registration_reminder"}
)


@dataclass(frozen=True)
class MailCode:
    """What the templates show (`code`, and the image as ``cid:<content_id>``) and the
    outbox's inline part that holds the image."""

    code: str
    content_id: str
    #: Width and height of the image, in pixels.
    size: int
    attachment: dict[str, Any]


def mail_code(
    registration: Registration, template: str, domain: str, filename: str
) -> MailCode | None:
    """The check-in code for the confirmation of a seat in the room; None for any other
    message, and for an online registrant. `filename` names the image in the reader's
    language."""
    if template not in CONFIRMATION_TEMPLATES:
        return None
    if registration.state is not RegistrationState.CONFIRMED:
        return None
    if registration.attendance is not Attendance.IN_PERSON:
        return None
    content_id = f"checkin-{uuid.uuid4().hex}@{domain}"
    image, size = qr_png(registration.checkin_code)
    return MailCode(
        code=format_code(registration.checkin_code),
        content_id=content_id,
        size=size,
        attachment={
            "filename": filename,
            "content_type": "image/png",
            "content": base64.b64encode(image).decode(),
            "inline": True,
            "content_id": content_id,
        },
    )
