"""An event's reminder rules: how long before the start confirmed registrants are reminded.

A rule is an ISO 8601 duration. It is kept in one canonical form, in the largest single unit
that measures it exactly (``PT24H`` becomes ``P1D``, ``PT90M`` stays ``PT90M``), so that two
spellings of the same time are one rule and the back office can name it in one sentence.
`portal.registration.reminders` sends them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta

from flask import current_app
from flask_babel import ngettext

from portal.events.models import Event
from portal.i18n import _l
from portal.organizers import audit
from portal.organizers.audit import Actor
from portal.organizers.models import Organizer
from portal.validation import InvalidField

#: The longest time before the start a reminder may go out.
LONGEST = timedelta(days=30)
#: Rules an event may have.
MAX_RULES = 10
#: Weeks, days, hours, minutes and seconds; years and months have no fixed length.
_DURATION = re.compile(
    r"P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)
_UNITS = (("D", timedelta(days=1)), ("H", timedelta(hours=1)), ("M", timedelta(minutes=1)))


def parse_rule(rule: str) -> timedelta:
    """The time a canonical rule (as stored) stands for."""
    return _parse(rule)


def _parse(value: str) -> timedelta:
    match = _DURATION.fullmatch(value.strip().upper())
    if match is None or value.strip().upper() in ("P", "PT"):
        raise ValueError(value)
    parts = {name: int(number) for name, number in match.groupdict(default="0").items()}
    return timedelta(**parts)


def canonical(lead: timedelta) -> str:
    """`lead` as a rule in its largest exact unit: ``P1D``, ``PT36H``, ``PT90M``."""
    for unit, size in _UNITS:
        if lead % size == timedelta(0):
            count = lead // size
            return f"P{count}D" if unit == "D" else f"PT{count}{unit}"
    raise ValueError(lead)


def clean_rules(values: object, field: str = "reminders") -> list[str]:
    """Check rules as sent, each positive, whole minutes, at most 30 days, none twice; the
    canonical rules, longest first."""
    if not isinstance(values, list | tuple):
        raise InvalidField(field, _l('Give the reminders as a list, for example ["P1D", "PT1H"].'))
    if len(values) > MAX_RULES:
        raise InvalidField(field, _l("Give at most %(count)d reminders.", count=MAX_RULES))
    leads: list[timedelta] = []
    for value in values:
        try:
            lead = _parse(value) if isinstance(value, str) else None
        except (ValueError, OverflowError):
            lead = None
        if lead is None:
            raise InvalidField(
                field,
                _l(
                    "Give each reminder as an ISO 8601 duration before the start, such as P1D "
                    "(one day) or PT1H (one hour)."
                ),
            )
        if lead <= timedelta(0) or lead % timedelta(minutes=1) or lead > LONGEST:
            raise InvalidField(
                field, _l("Each reminder must come from 1 minute to 30 days before the start.")
            )
        if lead in leads:
            raise InvalidField(field, _l("Give each reminder once."))
        leads.append(lead)
    return [canonical(lead) for lead in sorted(leads, reverse=True)]


def default_rules() -> list[str]:
    """The rules new events get (the ``REMINDERS`` setting)."""
    return clean_rules(list(current_app.config["REMINDERS"]))


def set_reminders(event: Event, actor: Actor | Organizer, rules: Iterable[str]) -> bool:
    """Replace the event's rules with `rules` (as `clean_rules` returns them); whether they
    changed. A rule whose time has already passed will not be sent late
    (`portal.registration.reminders`)."""
    rules = list(rules)
    if rules == list(event.reminders or []):
        return False
    old = list(event.reminders or [])
    event.reminders = rules
    audit.record(
        "event.reminders_changed",
        event=event,
        actor=actor,
        changes={"reminders": [old, rules]},
    )
    return True


def describe(rule: str) -> str:
    """The rule as a person reads it: "1 day before the start"."""
    lead = parse_rule(rule)
    if lead % timedelta(days=1) == timedelta(0):
        days = lead // timedelta(days=1)
        return ngettext("%(num)d day before the start", "%(num)d days before the start", days)
    if lead % timedelta(hours=1) == timedelta(0):
        hours = lead // timedelta(hours=1)
        return ngettext("%(num)d hour before the start", "%(num)d hours before the start", hours)
    minutes = lead // timedelta(minutes=1)
    return ngettext("%(num)d minute before the start", "%(num)d minutes before the start", minutes)
