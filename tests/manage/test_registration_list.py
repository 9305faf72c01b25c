"""The registrations list at scale: order, filters, accent-insensitive search, pages, counts,
the filtered export, access, and query strings that make no sense."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from flask_babel import force_locale

from portal.events.models import EventFormat, Question, QuestionKind
from portal.extensions import db
from portal.manage.registrations import _range_text
from portal.registration.models import Registration
from portal.registration.queries import Page, fold
from portal.timeutil import now_utc
from tests.factories import create_event, create_organizer, create_registration
from tests.helpers import sign_in


def _url(event, suffix="") -> str:
    return f"/manage/events/{event.slug}/registrations{suffix}"


def _names(page) -> list[str]:
    return re.findall(r'<th scope="row"[^>]*>(?:<bdi>)?([^<]+)(?:</bdi>)?<br>', page.text)


def _list(client, event, **args) -> list[str]:
    page = client.get(_url(event), query_string=args)
    assert page.status_code == 200, args
    return _names(page)


def test_fold_drops_case_and_accents():
    assert fold("ÉLODIE") == fold("élodie") == fold("Elodie") == "elodie"
    assert fold("Straße Øresund Çağlar") == "strasse øresund caglar"


def test_search_ignores_case_and_accents(organizer_client, organizer):
    event = create_event(managers=[organizer])
    create_registration(event, given_name="élodie", family_name="Martin")
    create_registration(event, given_name="Elodie", family_name="Dupont")
    create_registration(event, given_name="Héloïse", family_name="Durand", organization="ÖFFA")
    create_registration(event, given_name="Jonas", family_name="Berg", email="j.berg@UNDP.org")

    assert sorted(_list(organizer_client, event, q="ÉLODIE")) == ["Elodie Dupont", "élodie Martin"]
    assert _list(organizer_client, event, q="heloise") == ["Héloïse Durand"]
    assert _list(organizer_client, event, q="durand héloïse") == ["Héloïse Durand"]
    assert _list(organizer_client, event, q="offa") == ["Héloïse Durand"]
    assert _list(organizer_client, event, q="  undp.ORG ") == ["Jonas Berg"]
    assert _list(organizer_client, event, q="%") == []  # taken literally


def test_a_changed_name_is_found_by_its_new_spelling(app, organizer_client, organizer):
    event = create_event(managers=[organizer])
    registration = create_registration(event, given_name="Ana", family_name="Lopez")
    registration.family_name = "López Núñez"
    db.session.commit()
    assert _list(organizer_client, event, q="NUNEZ") == ["Ana López Núñez"]
    assert _list(organizer_client, event, q="lopez") == ["Ana López Núñez"]


@pytest.fixture
def varied(organizer):
    """Five registrations that differ in every sortable column."""
    event = create_event(managers=[organizer], format=EventFormat.HYBRID, capacity_in_person=2)
    people = [
        ("Zoé", "Ébert", "Zeta", "FR", "media", "in_person"),
        ("Adam", "Zimmer", "alpha", "DE", "academia", "online"),
        ("Bea", "Maier", "Mu", "MA", "member_state", "in_person"),
        ("Carl", "Maier", "beta", "", "observer", "in_person"),
        ("Dana", "Ng", "", "DZ", "member_state", "online"),
    ]
    for given, family, organization, country, category, attendance in people:
        create_registration(
            event,
            given_name=given,
            family_name=family,
            organization=organization,
            country=country,
            category=category,
            attendance=attendance,
        )
    return event


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        # Family name without regard to accents or case, then given name.
        ("name", ["Zoé Ébert", "Bea Maier", "Carl Maier", "Dana Ng", "Adam Zimmer"]),
        ("organization", ["Dana Ng", "Adam Zimmer", "Carl Maier", "Bea Maier", "Zoé Ébert"]),
        # Algeria, France, Germany, Morocco, then no country.
        ("country", ["Dana Ng", "Zoé Ébert", "Adam Zimmer", "Bea Maier", "Carl Maier"]),
        # The categories' order of the form; equal ones in the order of their ids.
        ("category", ["Bea Maier", "Dana Ng", "Carl Maier", "Adam Zimmer", "Zoé Ébert"]),
        ("attendance", ["Zoé Ébert", "Bea Maier", "Carl Maier", "Adam Zimmer", "Dana Ng"]),
        # Confirmed first (the third in person waits).
        ("status", ["Zoé Ébert", "Adam Zimmer", "Bea Maier", "Dana Ng", "Carl Maier"]),
        ("registered", ["Zoé Ébert", "Adam Zimmer", "Bea Maier", "Carl Maier", "Dana Ng"]),
    ],
)
def test_every_column_sorts_both_ways(organizer_client, varied, sort, expected):
    assert _list(organizer_client, varied, sort=sort) == expected
    assert _list(organizer_client, varied, sort=sort, order="asc") == expected
    assert _list(organizer_client, varied, sort=sort, order="desc") == expected[::-1]


def test_countries_sort_in_the_readers_language(organizer_client, organizer, varied):
    organizer.language = "fr"
    db.session.commit()
    # Algérie, Allemagne, France, Maroc, then no country.
    assert _list(organizer_client, varied, sort="country") == [
        "Dana Ng",
        "Adam Zimmer",
        "Zoé Ébert",
        "Bea Maier",
        "Carl Maier",
    ]


def test_checked_in_sorts_by_time_with_those_not_in_last(organizer_client, varied):
    rows = {r.given_name: r for r in db.session.query(Registration)}
    rows["Bea"].checked_in_at = now_utc() - timedelta(hours=2)
    rows["Zoé"].checked_in_at = now_utc() - timedelta(hours=1)
    db.session.commit()
    ascending = _list(organizer_client, varied, sort="checked_in")
    descending = _list(organizer_client, varied, sort="checked_in", order="desc")
    assert ascending[:2] == ["Bea Maier", "Zoé Ébert"]
    assert descending[:2] == ["Zoé Ébert", "Bea Maier"]
    not_in = ["Adam Zimmer", "Carl Maier", "Dana Ng"]
    assert sorted(ascending[2:]) == sorted(descending[2:]) == not_in


def test_the_current_order_is_announced_and_its_heading_reverses_it(organizer_client, varied):
    page = organizer_client.get(_url(varied), query_string={"sort": "name", "q": "a"})
    heading = re.search(
        r'<th scope="col" class="col-name" aria-sort="ascending">(.*?)</th>', page.text, re.S
    )
    assert heading and "sort=name&amp;order=desc" in heading.group(1)
    assert "q=a" in heading.group(1)


def test_filters_by_country_check_in_and_accessibility(organizer_client, varied):
    rows = {r.given_name: r for r in db.session.query(Registration)}
    rows["Bea"].checked_in_at = now_utc()
    rows["Dana"].accessibility_needs = "Wheelchair access"
    db.session.commit()

    assert _list(organizer_client, varied, country="ma") == ["Bea Maier"]
    assert _list(organizer_client, varied, checked_in="yes") == ["Bea Maier"]
    assert len(_list(organizer_client, varied, checked_in="no")) == 4
    assert _list(organizer_client, varied, accessibility="yes") == ["Dana Ng"]
    assert "Dana Ng" not in _list(organizer_client, varied, accessibility="no")
    assert _list(organizer_client, varied, category="member_state", attendance="online") == [
        "Dana Ng"
    ]
    assert sorted(_list(organizer_client, varied, status=["confirmed", "waitlisted"])) == sorted(
        _list(organizer_client, varied)
    )


@pytest.fixture
def with_questions(organizer):
    event = create_event(managers=[organizer])
    event.questions = [
        Question(
            position=0,
            kind=QuestionKind.SINGLE_CHOICE,
            label={"en": "Meal"},
            choices=[
                {"value": "veg", "label": {"en": "Vegetarian"}},
                {"value": "fish", "label": {"en": "Fish"}},
            ],
        ),
        Question(
            position=1,
            kind=QuestionKind.MULTIPLE_CHOICE,
            label={"en": "Sessions"},
            choices=[
                {"value": "a", "label": {"en": "Panel A"}},
                {"value": "b", "label": {"en": "Panel B"}},
            ],
        ),
        Question(position=2, kind=QuestionKind.CHECKBOX, label={"en": "Press?"}),
        Question(position=3, kind=QuestionKind.SHORT_TEXT, label={"en": "Remarks"}),
    ]
    db.session.commit()
    meal, sessions, press, _remarks = (str(q.id) for q in event.questions)
    create_registration(
        event, given_name="Ann", answers={meal: "veg", sessions: ["a", "b"], press: True}
    )
    create_registration(event, given_name="Bob", answers={meal: "fish", sessions: ["b"]})
    create_registration(event, given_name="Cid", answers={})
    return event


def test_filters_by_answers_to_the_events_questions(organizer_client, with_questions):
    meal, sessions, press, remarks = (q.id for q in with_questions.questions)

    def given(**args):
        return sorted(name.split()[0] for name in _list(organizer_client, with_questions, **args))

    assert given(**{f"answer_{meal}": "veg"}) == ["Ann"]
    assert given(**{f"answer_{sessions}": "b"}) == ["Ann", "Bob"]
    assert given(**{f"answer_{sessions}": "a", f"answer_{meal}": "fish"}) == []
    assert given(**{f"answer_{press}": "yes"}) == ["Ann"]
    assert given(**{f"answer_{press}": "no"}) == ["Bob", "Cid"]
    # Not an option, not a filterable question, not a question of this event: no filter.
    assert len(given(**{f"answer_{meal}": "beef", f"answer_{remarks}": "x"})) == 3
    assert len(given(**{"answer_999999": "veg"})) == 3


def test_answers_and_accessibility_needs_are_in_each_rows_details(organizer_client, with_questions):
    page = organizer_client.get(_url(with_questions), query_string={"q": "ann"})
    details = page.text.split("<details>")[1]
    assert "Vegetarian" in details and "Panel A; Panel B" in details and "Yes" in details
    assert "None stated" in details
    assert re.search(r'<label class="label" for="answer_\d+">Meal</label>', page.text)


def test_pages_jump_and_count(organizer_client, organizer):
    event = create_event(managers=[organizer])
    for number in range(30):
        create_registration(event, given_name=f"P{number:02d}", family_name="Smith")

    first = organizer_client.get(_url(event), query_string={"per_page": 25, "sort": "name"})
    second = organizer_client.get(_url(event), query_string={"per_page": 25, "page": 2})
    assert len(_names(first)) == 25 and len(_names(second)) == 5
    assert "1–25 of 30" in first.text and "26–30 of 30" in second.text
    assert "Last page" in first.text and "First page" not in first.text
    assert "First page" in second.text and "Next page" not in second.text
    assert re.search(r'<a aria-current="page" href="[^"]*page=2', second.text)
    assert len(_names(organizer_client.get(_url(event)))) == 30  # 50 a page by default


def test_counts_are_written_in_the_readers_locale(app):
    page = Page(items=[None] * 50, number=25, per_page=50, total=2001)
    with app.test_request_context():
        with force_locale("en"):
            assert _range_text(page) == "1,201–1,250 of 2,001"
        with force_locale("fr"):
            assert _range_text(page) == "1\u202f201–1\u202f250 sur 2\u202f001"
        with force_locale("es"):
            assert _range_text(page) == "1.201–1.250 de 2.001"
    assert list(Page([None], 1, 50, 2001).window) == [1, 2, 3, 4, 5]
    assert list(page.window) == [23, 24, 25, 26, 27]
    assert list(Page([None], 41, 50, 2001).window) == [39, 40, 41]


@pytest.mark.parametrize(
    "args",
    [
        {"sort": "bogus", "order": "sideways"},
        {"page": "-3", "per_page": "7"},
        {"page": "abc", "per_page": "x"},
        {"page": "99999999999999999999"},
        {"country": "ZZ", "checked_in": "maybe", "accessibility": "0"},
        {"status": "bogus", "category": "nope", "attendance": "x"},
        {"answer_1": "x", "answer_abc": "y", "answer_99999999999": "z"},
        {"q": "a\x00b" + "x" * 5000},
        {"q": "%_\\"},
    ],
)
def test_query_strings_that_make_no_sense_still_show_the_list(organizer_client, varied, args):
    page = organizer_client.get(_url(varied), query_string=args)
    assert page.status_code == 200


def test_the_export_offers_the_current_filter_or_everything(organizer_client, varied):
    page = organizer_client.get(_url(varied), query_string={"q": "maier", "sort": "name"})
    links = re.findall(r'href="(/manage/events/[^"]+\.csv[^"]*)"', page.text)
    assert len(links) == 2  # the filter's, and everything

    def family_names(response):
        text = response.get_data(as_text=True)
        response.close()
        rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
        return sorted(row["Family name"] for row in rows)

    filtered = family_names(organizer_client.get(links[0].replace("&amp;", "&")))
    everything = family_names(organizer_client.get(links[1]))

    assert "q=maier" in links[0] and "sort" not in links[0] and "?" not in links[1]
    assert filtered == ["Maier", "Maier"]
    assert len(everything) == 5
    online = organizer_client.get(_url(varied, ".csv"), query_string={"attendance": "online"})
    assert family_names(online) == ["Ng", "Zimmer"]
    waiting = organizer_client.get(_url(varied, ".csv"), query_string={"status": "waitlisted"})
    assert family_names(waiting) == ["Maier"]
    bad = organizer_client.get(_url(varied, ".csv"), query_string={"status": "bogus"})
    assert bad.status_code == 302


def test_only_the_events_organizers_see_its_list_act_on_it_or_export_it(app, varied):
    other = create_organizer("other@example.org")
    client = app.test_client()
    sign_in(client, other.email)
    for url in (
        _url(varied),
        _url(varied, ".csv"),
        _url(varied, ".xlsx"),
        _url(varied, "/bulk?action=approve&scope=all"),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(_url(varied, "/bulk"), data={"action": "cancel"}).status_code in (400, 403)
    assert client.get("/manage/events/no-such-event/registrations").status_code == 404
    anonymous = app.test_client().get(_url(varied))
    assert anonymous.status_code == 302 and "/manage/login" in anonymous.headers["Location"]
