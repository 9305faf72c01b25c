"""Back-office forms. Types and presence are checked here; the rules about events live in
`portal.events.services`, whose errors the views attach to these fields."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import LazyString
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)
from wtforms.widgets import CheckboxInput, ListWidget

from portal.events.models import Event, EventFormat, ProgrammeItem, Speaker
from portal.events.photos import PHOTO_EXTENSIONS
from portal.events.services import EVENT_FIELDS, STREAM_LANGUAGES
from portal.i18n import CONTENT_LANGUAGES, LANGUAGES, _l, language_in, language_label, language_name
from portal.organizers.models import TokenScope
from portal.organizers.services import DEFAULT_TOKEN_DAYS, TOKEN_DAYS
from portal.registration.models import Attendance, ParticipantCategory, RegistrationState
from portal.timeutil import to_zone

_REQUIRED = _l("This field is required.")
_DATETIME = _l("Enter a date and time.")


class LoginForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(_REQUIRED), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_REQUIRED), Length(max=200)])


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(_REQUIRED)])
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_REQUIRED)],
        description=_l("At least 10 characters. A few unrelated words make a good password."),
    )
    confirm = PasswordField(
        _l("New password, again"),
        validators=[
            DataRequired(_REQUIRED),
            EqualTo("password", _l("The two passwords differ.")),
        ],
    )


class LanguageForm(FlaskForm):
    language = RadioField(
        _l("Language of the back office"),
        choices=[SelectChoice(code, language_name(code)) for code in LANGUAGES],
    )


class TokenForm(FlaskForm):
    label = StringField(
        _l("What is the token for?"),
        validators=[Length(max=100)],
        description=_l("For example: the website's publishing script."),
    )
    read_events = BooleanField(TokenScope.READ_EVENTS.title, default=True)
    write_events = BooleanField(TokenScope.WRITE_EVENTS.title, default=True)
    read_registrations = BooleanField(
        TokenScope.READ_REGISTRATIONS.title,
        description=_l("Only for a script that needs the attendee list: it holds personal data."),
    )
    write_registrations = BooleanField(
        TokenScope.WRITE_REGISTRATIONS.title,
        description=_l("Only for a script that erases people at their request."),
    )
    message_registrants = BooleanField(
        TokenScope.MESSAGE_REGISTRANTS.title,
        description=_l(
            "Only for a script that writes to registrants: it mails them in your name."
        ),
    )
    days = SelectField(
        _l("Valid for"),
        choices=[SelectChoice(str(days), _l("%(days)d days", days=days)) for days in TOKEN_DAYS],
        default=str(DEFAULT_TOKEN_DAYS),
    )

    def scopes(self) -> set[TokenScope]:
        chosen = {
            TokenScope.READ_EVENTS: self.read_events.data,
            TokenScope.WRITE_EVENTS: self.write_events.data,
            TokenScope.READ_REGISTRATIONS: self.read_registrations.data,
            TokenScope.WRITE_REGISTRATIONS: self.write_registrations.data,
            TokenScope.MESSAGE_REGISTRANTS: self.message_registrants.data,
        }
        return {scope for scope, wanted in chosen.items() if wanted}


class OrganizerForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(_REQUIRED)])
    name = StringField(_l("Name"), validators=[Length(max=200)])
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_REQUIRED)],
        description=_l("At least 10 characters. Give it to the person through a safe channel."),
    )
    is_admin = BooleanField(_l("Administrator (manages organizers and every event)"))


class EventManagerForm(FlaskForm):
    email = EmailField(_l("Email address of an organizer"), validators=[DataRequired(_REQUIRED)])


class EventForm(FlaskForm):
    """The event's own fields; texts have one input per language (English required)."""

    slug = StringField(
        _l("Web address"),
        validators=[DataRequired(_REQUIRED)],
        description=_l(
            "Lower-case letters, digits and hyphens: it ends the event's URL, "
            "as in /en/events/report-launch-2026/."
        ),
    )
    timezone = StringField(
        _l("Time zone"),
        validators=[DataRequired(_REQUIRED)],
        default="Europe/Zurich",
        description=_l(
            "The zone of the venue, by city, such as Europe/Zurich or America/New_York."
        ),
    )
    starts_at = DateTimeLocalField(
        _l("Starts"), validators=[InputRequired(_DATETIME)], format="%Y-%m-%dT%H:%M"
    )
    ends_at = DateTimeLocalField(
        _l("Ends"), validators=[InputRequired(_DATETIME)], format="%Y-%m-%dT%H:%M"
    )
    format = RadioField(
        _l("Format"),
        choices=[SelectChoice(member.value, member.title) for member in EventFormat],
        default=EventFormat.IN_PERSON.value,
    )
    capacity_in_person = IntegerField(
        _l("Seats in person"),
        validators=[Optional()],
        description=_l("Leave empty for no limit."),
    )
    capacity_online = IntegerField(
        _l("Places online"),
        validators=[Optional()],
        description=_l("Leave empty for no limit."),
    )
    moderated = BooleanField(_l("Registrations wait for an organizer's approval"))
    registration_opens_at = DateTimeLocalField(
        _l("Registration opens"),
        validators=[Optional()],
        format="%Y-%m-%dT%H:%M",
        description=_l("Optional. In the event's time zone."),
    )
    registration_closes_at = DateTimeLocalField(
        _l("Registration closes"),
        validators=[Optional()],
        format="%Y-%m-%dT%H:%M",
        description=_l("Optional. In the event's time zone."),
    )

    retention_days = IntegerField(
        _l("Days to keep registrants' personal data after the event"),
        validators=[Optional()],
    )

    TEXT_FIELDS = ("title", "summary", "description", "venue")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retention_days.description = _l(
            "From 1 to 3650. Leave empty for the site's default (%(days)d days). Then the "
            "names, addresses and answers are erased; anonymous counts remain.",
            days=int(current_app.config["RETENTION_DAYS"]),
        )

    def service_fields(self) -> dict[str, Any]:
        """The form's data under the names `portal.events.services` uses."""
        fields: dict[str, Any] = {
            name: self[name].data for name in EVENT_FIELDS if name not in self.TEXT_FIELDS
        }
        for text in self.TEXT_FIELDS:
            fields[text] = {lang: self[f"{text}_{lang}"].data or "" for lang in LANGUAGES}
        return fields

    @classmethod
    def data_from(cls, event: Event) -> dict[str, Any]:
        """An event's values as the form shows them: local wall-clock times, one text a field."""

        def local(moment: datetime | None) -> datetime | None:
            return moment and to_zone(moment, event.timezone).replace(tzinfo=None)

        data: dict[str, Any] = {
            "slug": event.slug,
            "timezone": event.timezone,
            "format": event.format.value,
            "capacity_in_person": event.capacity_in_person,
            "capacity_online": event.capacity_online,
            "moderated": event.moderated,
            "retention_days": event.retention_days,
        }
        for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
            data[name] = local(getattr(event, name))
        data.update(_texts_by_field(event, cls.TEXT_FIELDS))
        return data


class SpeakerForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_REQUIRED), Length(max=200)])
    photo = FileField(
        _l("Photo"),
        validators=[FileAllowed(PHOTO_EXTENSIONS, _l("Choose a JPEG, PNG or WebP image."))],
        description=_l("Optional. JPEG, PNG or WebP, at most 2 MB."),
    )
    remove_photo = BooleanField(_l("Remove the current photo"))

    TEXT_FIELDS = ("role", "function", "organization")

    def service_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {"name": self.name.data}
        for text in self.TEXT_FIELDS:
            fields[text] = {lang: self[f"{text}_{lang}"].data or "" for lang in LANGUAGES}
        return fields

    @classmethod
    def data_from(cls, speaker: Speaker) -> dict[str, Any]:
        return {"name": speaker.name, **_texts_by_field(speaker, cls.TEXT_FIELDS)}


class ProgrammeItemForm(FlaskForm):
    """One item of the programme: local start and end, and a title (and details) per language."""

    starts_at = DateTimeLocalField(
        _l("Starts"),
        validators=[InputRequired(_DATETIME)],
        format="%Y-%m-%dT%H:%M",
        description=_l("In the event's time zone."),
    )
    ends_at = DateTimeLocalField(
        _l("Ends"),
        validators=[InputRequired(_DATETIME)],
        format="%Y-%m-%dT%H:%M",
        description=_l("In the event's time zone."),
    )

    TEXT_FIELDS = ("title", "details")

    def service_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {"starts_at": self.starts_at.data, "ends_at": self.ends_at.data}
        for text in self.TEXT_FIELDS:
            fields[text] = {lang: self[f"{text}_{lang}"].data or "" for lang in LANGUAGES}
        return fields

    @classmethod
    def data_from(cls, item: ProgrammeItem) -> dict[str, Any]:
        return {
            "starts_at": item.local_starts_at and item.local_starts_at.replace(tzinfo=None),
            "ends_at": item.local_ends_at and item.local_ends_at.replace(tzinfo=None),
            **_texts_by_field(item, cls.TEXT_FIELDS),
        }

    @classmethod
    def data_for_next(cls, event: Event) -> dict[str, Any]:
        """A new item starts when the last one ends (or when the event starts)."""
        last = event.programme[-1].local_ends_at if event.programme else None
        start = (last or to_zone(event.starts_at, event.timezone)).replace(tzinfo=None)
        return {"starts_at": start}


class StreamsForm(FlaskForm):
    """Per broadcast language: the stream's URL, its recording's URL, and whether only
    registered participants see them (fields streams_en, streams_en_replay_url,
    streams_en_registrants_only, …)."""

    def settings(self) -> dict[str, dict[str, Any]]:
        """The form's data as `set_streams` takes it."""
        return {
            lang: {
                "url": (self[f"streams_{lang}"].data or "").strip(),
                "replay_url": (self[f"streams_{lang}_replay_url"].data or "").strip(),
                "registrants_only": bool(self[f"streams_{lang}_registrants_only"].data),
            }
            for lang in STREAM_LANGUAGES
        }

    @classmethod
    def data_from(cls, event: Event) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for stream in event.streams:
            data[f"streams_{stream.language}"] = stream.url
            data[f"streams_{stream.language}_replay_url"] = stream.replay_url
            data[f"streams_{stream.language}_registrants_only"] = stream.registrants_only
        return data


class ConfirmForm(FlaskForm):
    """An empty form: a POST with a valid CSRF token confirms an action."""


class MoveForm(FlaskForm):
    direction = SelectField(choices=[SelectChoice("up"), SelectChoice("down")])

    @property
    def offset(self) -> int:
        """-1 to move an item up the order, +1 to move it down."""
        return -1 if self.direction.data == "up" else 1


def _texts_by_field(item: Any, names: tuple[str, ...]) -> dict[str, str]:
    """``{"title_en": …, "title_fr": …}`` from an object's per-language attributes."""
    return {
        f"{name}_{lang}": getattr(item, name).get(lang, "") for name in names for lang in LANGUAGES
    }


def _per_language(
    form_class: type[FlaskForm],
    name: str,
    make_field: Any,
    languages: tuple[str, ...] = CONTENT_LANGUAGES,
) -> None:
    """Give `form_class` one field per language, named ``<name>_<lang>``."""
    for lang in languages:
        setattr(form_class, f"{name}_{lang}", make_field(lang))


_per_language(
    EventForm, "title", lambda lang: StringField(_l("Title"), validators=[Length(max=300)])
)
_per_language(
    EventForm, "summary", lambda lang: TextAreaField(_l("Summary"), validators=[Length(max=1000)])
)
_per_language(
    EventForm,
    "description",
    lambda lang: TextAreaField(_l("Description"), validators=[Length(max=20000)]),
)
_per_language(
    EventForm,
    "venue",
    lambda lang: StringField(
        _l("Venue"),
        validators=[Length(max=300)],
        description=_l("Building and city. Leave empty for an online event."),
    ),
)
_per_language(
    SpeakerForm,
    "role",
    lambda lang: StringField(
        _l("Role in this event"),
        validators=[Length(max=300)],
        description=_l("For example: Opening remarks, Moderator."),
    ),
)
_per_language(
    SpeakerForm,
    "function",
    lambda lang: StringField(_l("Function"), validators=[Length(max=300)]),
)
_per_language(
    SpeakerForm,
    "organization",
    lambda lang: StringField(_l("Organization"), validators=[Length(max=300)]),
)
_per_language(
    ProgrammeItemForm,
    "title",
    lambda lang: StringField(_l("Title"), validators=[Length(max=300)]),
)
_per_language(
    ProgrammeItemForm,
    "details",
    lambda lang: StringField(
        _l("Details"),
        validators=[Length(max=1000)],
        description=_l("Optional. For example: who speaks, what is presented."),
    ),
)
_per_language(
    StreamsForm,
    "streams",
    lambda lang: URLField(
        LazyString(language_label, lang), validators=[Optional(), Length(max=2000)]
    ),
    STREAM_LANGUAGES,
)
for _lang in STREAM_LANGUAGES:
    setattr(
        StreamsForm,
        f"streams_{_lang}_replay_url",
        URLField(
            _l("Recording in %(language)s", language=LazyString(language_in, _lang)),
            validators=[Optional(), Length(max=2000)],
            description=_l("Optional. Offered on the live page once the event has ended."),
        ),
    )
    setattr(
        StreamsForm,
        f"streams_{_lang}_registrants_only",
        BooleanField(_l("For registered participants only")),
    )
del _lang


class MessageForm(FlaskForm):
    """A message to registrants: subject and body per language (fields subject_en, body_en,
    …) and the filter that picks the recipients."""

    statuses = SelectMultipleField(
        _l("Registrations in these statuses"),
        choices=[SelectChoice(state.value, state.title) for state in RegistrationState],
        default=[RegistrationState.CONFIRMED.value],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    attendance = SelectMultipleField(
        _l("Attending"),
        choices=[SelectChoice(mode.value, mode.title) for mode in Attendance],
        description=_l("Leave all unticked for everyone."),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    categories = SelectMultipleField(
        _l("Participant categories"),
        choices=[SelectChoice(category.value, category.title) for category in ParticipantCategory],
        description=_l("Leave all unticked for everyone."),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )

    def texts(self, name: str) -> dict[str, str]:
        """The subject or body by language, as `messages.clean_content` takes them."""
        return {lang: self[f"{name}_{lang}"].data or "" for lang in LANGUAGES}


_per_language(
    MessageForm,
    "subject",
    lambda lang: StringField(_l("Subject"), validators=[Length(max=200)]),
)
_per_language(
    MessageForm,
    "body",
    lambda lang: TextAreaField(
        _l("Message"),
        validators=[Length(max=10_000)],
        description=_l("Plain text; leave an empty line between paragraphs."),
    ),
)


class ReminderForm(FlaskForm):
    """One more reminder rule, as a number of minutes, hours or days before the start."""

    amount = IntegerField(
        _l("How long before the start"),
        validators=[
            InputRequired(_l("Enter a whole number.")),
            NumberRange(min=1, max=720, message=_l("Enter a whole number from 1 to 720.")),
        ],
    )
    unit = SelectField(
        _l("Unit"),
        choices=[
            SelectChoice("days", _l("days")),
            SelectChoice("hours", _l("hours")),
            SelectChoice("minutes", _l("minutes")),
        ],
        default="days",
    )

    def lead(self) -> timedelta:
        return timedelta(**{str(self.unit.data): int(self.amount.data or 0)})
