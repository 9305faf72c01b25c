"""The event's overview beyond its summary: the history's filter and pages, the log of
check-ins, and the figures at a glance."""

from __future__ import annotations

from flask import render_template, request
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from portal.database import Page
from portal.events.models import Event
from portal.i18n import _, _l, current_language
from portal.manage import bp, load_managed_event
from portal.organizers import audit
from portal.organizers.audit import ActorKind
from portal.registration import figures
from portal.registration.countries import country_names

#: Entries on a page of the history or of the check-in log.
ENTRIES_PER_PAGE = 50


class HistoryFilterForm(FlaskForm):
    """Narrowing the history, sent with GET."""

    class Meta:
        csrf = False

    kind = SelectField(_l("Kind of action"))
    actor = SelectField(_l("Done by"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice("", _("Every kind of action"))] + [
            SelectChoice(value, str(kind.title)) for value, kind in audit.ACTION_KINDS.items()
        ]
        self.actor.choices = [SelectChoice("", _("Anyone"))] + [
            SelectChoice(actor.value, str(actor.title)) for actor in ActorKind
        ]

    @property
    def chosen_kind(self) -> str | None:
        return self.kind.data if self.kind.data in audit.ACTION_KINDS else None

    @property
    def chosen_actor(self) -> ActorKind | None:
        try:
            return ActorKind(self.actor.data)
        except ValueError:
            return None

    def args(self) -> dict[str, str]:
        """The query parameters that show the same filter again."""
        args = {}
        if self.chosen_kind:
            args["kind"] = self.chosen_kind
        if self.chosen_actor:
            args["actor"] = self.chosen_actor.value
        return args


def page_number() -> int:
    """The page asked for in the query string; the first one when none or nonsense."""
    return max(1, request.args.get("page", 1, type=int))


def event_history(event: Event) -> tuple[HistoryFilterForm, Page[audit.AuditEntry]]:
    """The overview's history section: its filter from the query string, and the page."""
    form = HistoryFilterForm(formdata=request.args)
    page = audit.history_page(
        event,
        kind=form.chosen_kind,
        actor_kind=form.chosen_actor,
        page=page_number(),
        per_page=ENTRIES_PER_PAGE,
    )
    return form, page


@bp.get("/events/<slug>/check-in/log")
def check_in_log(slug: str):
    event = load_managed_event(slug)
    page = audit.check_in_page(event, page=page_number(), per_page=ENTRIES_PER_PAGE)
    return render_template("manage/check_in_log.html", event=event, page=page)


@bp.get("/events/<slug>/figures")
def event_figures(slug: str):
    event = load_managed_event(slug)
    counts = figures.event_figures(event)
    names = country_names(current_language())
    countries = [
        (names.get(code, code) if code else _("Country not stated"), count)
        for code, count in counts.countries
    ]
    if counts.other_countries:
        countries.append((_("All other countries"), counts.other_countries))
    charts = {
        "categories": [(str(category.title), count) for category, count in counts.categories],
        "countries": countries,
        "attendance": [(str(mode.title), count) for mode, count in counts.attendance],
    }
    return render_template("manage/figures.html", event=event, figures=counts, charts=charts)
