"""VTIMEZONE components built from the tz database, the way Outlook and Google write them.

Each zone becomes STANDARD and DAYLIGHT observances that recur by RRULE (``BYMONTH`` and a
``BYDAY`` such as ``2SU`` or ``-1SU``), derived from the transitions zoneinfo reports. We never
write multi-value RDATEs: vobject 0.9.9 (and so Radicale) keeps only their first date.

Limits: the rules are exact for the years they are built for (those of the events in the file,
and the year before, so that the first event follows an observance's onset). The newest rule
recurs without end, as the tz database itself assumes; a later change of a country's rules is
only reflected once the file is built again. A zone without transitions in those years gets a
single STANDARD observance with its fixed offset.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

from portal.timeutil import zone

_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Transition:
    """A change of a zone's offset: the wall-clock time it happens at, before and after."""

    local: datetime  # naive, in the offset in force before the change
    offset_from: timedelta
    offset_to: timedelta
    name: str
    is_dst: bool

    @property
    def rule(self) -> tuple[int, str]:
        """(month, BYDAY) that names this day in any year: ``2SU``, or ``-1SU`` for the last."""
        day, weekday = self.local.day, _WEEKDAYS[self.local.weekday()]
        last = day + 7 > calendar.monthrange(self.local.year, self.local.month)[1]
        return self.local.month, f"-1{weekday}" if last else f"{(day - 1) // 7 + 1}{weekday}"

    @property
    def kind(self) -> tuple[object, ...]:
        """What two transitions share when one yearly RRULE can describe both."""
        return (
            self.is_dst,
            self.offset_from,
            self.offset_to,
            self.name,
            self.rule,
            self.local.time(),
        )


@lru_cache(maxsize=256)
def zone_transitions(zone_name: str, year: int) -> tuple[Transition, ...]:
    """The offset changes of `zone_name` during `year`, in order, to the minute."""
    tz = zone(zone_name)
    moment = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    transitions = []
    while moment < end:
        following = min(moment + timedelta(days=1), end)
        if moment.astimezone(tz).utcoffset() != following.astimezone(tz).utcoffset():
            transitions.append(_transition(zone_name, moment, following))
        moment = following
    return tuple(transitions)


def _transition(zone_name: str, before: datetime, after: datetime) -> Transition:
    """Narrow an offset change between two instants down to the minute."""
    tz = zone(zone_name)
    offset = before.astimezone(tz).utcoffset()
    while after - before > timedelta(minutes=1):
        middle = before + (after - before) / 2
        middle = middle.replace(second=0, microsecond=0)
        if middle <= before:
            middle = before + timedelta(minutes=1)
        if middle.astimezone(tz).utcoffset() == offset:
            before = middle
        else:
            after = middle
    local_after = after.astimezone(tz)
    return Transition(
        local=(after + offset).replace(tzinfo=None),
        offset_from=offset,
        offset_to=local_after.utcoffset(),
        name=local_after.tzname() or "",
        is_dst=bool(local_after.dst()),
    )


def vtimezone(zone_name: str, years: Iterable[int]) -> Timezone:
    """A VTIMEZONE for `zone_name`, exact for `years` (and the year before the first)."""
    years = sorted(set(years))
    span = range(years[0] - 1, years[-1] + 1)
    component = Timezone()
    component.add("tzid", zone_name)
    transitions = [change for year in span for change in zone_transitions(zone_name, year)]
    if not transitions or transitions[0].local.year != span[0]:
        component.add_component(_fixed_observance(zone_name, span[0]))
    for run, open_ended in _runs(transitions, span[-1]):
        component.add_component(_observance(run, open_ended))
    return component


def _runs(transitions: list[Transition], last_year: int) -> list[tuple[list[Transition], bool]]:
    """Split transitions into runs of consecutive years that one RRULE describes; a run that
    reaches `last_year` stays open-ended."""
    runs: dict[tuple[object, ...], list[list[Transition]]] = {}
    for change in transitions:
        kind_runs = runs.setdefault(change.kind, [])
        if kind_runs and kind_runs[-1][-1].local.year == change.local.year - 1:
            kind_runs[-1].append(change)
        else:
            kind_runs.append([change])
    result = [
        (run, run[-1].local.year == last_year) for kind_runs in runs.values() for run in kind_runs
    ]
    return sorted(result, key=lambda item: item[0][0].local)


def _observance(run: list[Transition], open_ended: bool) -> TimezoneStandard | TimezoneDaylight:
    first = run[0]
    observance = TimezoneDaylight() if first.is_dst else TimezoneStandard()
    observance.add("dtstart", first.local)
    observance.add("tzoffsetfrom", first.offset_from)
    observance.add("tzoffsetto", first.offset_to)
    observance.add("tzname", first.name)
    if open_ended or len(run) > 1:
        month, byday = first.rule
        rule: dict[str, object] = {"freq": "yearly", "bymonth": month, "byday": byday}
        if not open_ended:
            rule["count"] = len(run)
        observance.add("rrule", rule)
    return observance


def _fixed_observance(zone_name: str, year: int) -> TimezoneStandard | TimezoneDaylight:
    """The offset in force at the start of `year`, as a single onset."""
    local = datetime(year, 1, 1, tzinfo=UTC).astimezone(zone(zone_name))
    observance = TimezoneDaylight() if local.dst() else TimezoneStandard()
    observance.add("dtstart", datetime(year, 1, 1))
    observance.add("tzoffsetfrom", local.utcoffset())
    observance.add("tzoffsetto", local.utcoffset())
    observance.add("tzname", local.tzname() or "")
    return observance
