"""The messages registrants get, rendered by the mail worker when it delivers them.

`services._notify` queues what to say; `render_registration_message` writes it when it goes
out: the bodies in the registrant's language, the personal calendar invitation and, for a
seat at the door, the check-in QR code. Whatever could change in between (the event's date,
the waiting-list position) is read then; what cannot be read later travels in the row.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale, gettext, lazy_pgettext
from markupsafe import Markup, escape

from portal.calendar.ics import invitation
from portal.extensions import db
from portal.i18n import localize
from portal.mail.addresses import sender_domain
from portal.mail.links import external_url
from portal.mail.models import OutboxMessage
from portal.mail.outbox import Rendered, Unrenderable, register_renderer, render_template_message
from portal.registration import messages
from portal.registration.mailcode import mail_code
from portal.registration.models import FormOfAddress, Registration, RegistrationState
from portal.registration.services import (
    add_personal_link,
    new_link_token,
    normalize_email,
    waitlist_position,
)
from portal.timeutil import now_utc

#: The reminder before an event starts (`portal.registration.reminders` queues it).
REMINDER_KIND = "registration_reminder"

#: Every message about a registration; each has its templates under ``emails/<kind>.*``.
KINDS = (
    "registration_received",
    "registration_confirmed",
    "registration_waitlisted",
    "registration_promoted",
    "registration_link",
    "registration_declined",
    "registration_cancelled",
    "event_rescheduled",
    "event_cancelled",
    messages.KIND,
    REMINDER_KIND,
)
#: Messages that carry a new personal link. The worker issues it when it writes the message,
#: never the transaction that queues it: that one stays short (a registration's, under the
#: seats' lock) or queues thousands in one statement (messages, reminders). Other messages
#: carry no link (the person has theirs).
LINK_AT_DELIVERY = frozenset(
    {
        "registration_received",
        "registration_confirmed",
        "registration_waitlisted",
        "registration_promoted",
        "registration_link",
        messages.KIND,
        REMINDER_KIND,
    }
)


def register_renderers() -> None:
    """Have the mail worker render every kind of registrant message."""
    for kind in KINDS:
        register_renderer(kind, render_registration_message)


def render_registration_message(message: OutboxMessage) -> Rendered:
    """Write `message` to its registrant. Raises `Unrenderable` when the registration was
    deleted or erased (no longer the same address) since it was queued."""
    registration = (
        db.session.get(Registration, message.registration_id)
        if message.registration_id is not None
        else None
    )
    if (
        registration is None
        or registration.email is None  # erased
        or normalize_email(registration.email) != normalize_email(message.to_address)
    ):
        raise Unrenderable("the registration no longer exists")
    kind = str(message.kind)  # only the kinds registered above come here
    event = registration.event
    lang = message.language
    extra = messages.message_context(message, lang) if kind == messages.KIND else {}
    if kind == REMINDER_KIND and (
        registration.state is not RegistrationState.CONFIRMED or event.is_cancelled
    ):
        raise Unrenderable("the registration or the event was cancelled since")
    event_url = external_url("public.event", lang=lang, slug=event.slug)
    with force_locale(lang):
        opening = salutation(registration)
        opening_html = salutation(registration, html=True)
        # File names in the reader's language, ASCII only: some mail clients mangle others.
        invitation_name = gettext("invitation.ics")
        code_image_name = gettext("check-in-code.png")
    attachments = []
    if message.invite:
        content = invitation(
            event,
            lang,
            event_url,
            current_app.config["MAIL_DEFAULT_SENDER"],
            attendee=(registration.full_name, registration.email),
            method=message.invite,
            stamp=now_utc(),
        )
        attachments.append(
            {
                "filename": invitation_name,
                "content_type": f"text/calendar; method={message.invite}",
                "content": content.decode(),
            }
        )
    checkin = mail_code(registration, kind, sender_domain(), code_image_name)
    if checkin:
        attachments.append(checkin.attachment)
    issue_link = kind in LINK_AT_DELIVERY
    token = new_link_token() if issue_link else None
    rendered = render_template_message(
        kind,
        lang,
        checkin=checkin,
        salutation=opening,
        salutation_html=opening_html,
        registration=registration,
        event=event,
        event_title=localize(event.title, lang),
        event_url=event_url,
        manage_url=external_url("registration.manage", lang=lang, token=token) if token else None,
        position=waitlist_position(registration),
        details=message.details,
        **extra,
    )
    if issue_link:
        # Only once the mail is written: a template's fault leaves no stray link behind.
        add_personal_link(registration, str(token))
    return Rendered(rendered.subject, rendered.text_body, rendered.html_body, attachments)


#: One catalogue entry per case of opening, by the person's form of address.
_SALUTATIONS = {
    FormOfAddress.MS: lazy_pgettext(
        "salutation: to a woman, by her family name", "Dear Ms. %(family_name)s,"
    ),
    FormOfAddress.MR: lazy_pgettext(
        "salutation: to a man, by his family name", "Dear Mr. %(family_name)s,"
    ),
    None: lazy_pgettext("salutation: no form of address given, by full name", "Dear %(name)s,"),
}


def salutation(registration: Registration, *, html: bool = False) -> str:
    """How a message opens, formally, in the current language: one catalogue entry per case,
    so that each language writes its own ("Dear Ms. Diallo," « Madame, » «Estimada señora:»;
    with no form of address, "Dear Aminata Diallo," « Madame, Monsieur, » «Señora, señor:»).
    For HTML the names are isolated (`<bdi>`), so that a Latin name keeps its order in an
    Arabic sentence.
    """
    opening = str(_SALUTATIONS[registration.form_of_address])
    names = {"family_name": registration.family_name, "name": registration.full_name}
    if not html:
        return opening % names
    isolated = {key: Markup("<bdi>{}</bdi>").format(value) for key, value in names.items()}
    return Markup(escape(opening)) % isolated
