"""Attendee list exports, CSV and XLSX, from the back office and the API.

The files are read back with `csv` and `openpyxl`, as a program or a spreadsheet would.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from flask_babel import force_locale, gettext
from openapi_core.testing import MockRequest
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape
from werkzeug.test import TestResponse

from portal.events.models import Question, QuestionKind
from portal.exports import registrations as export_registrations
from portal.exports import writers
from portal.exports.registrations import COLUMNS, parse_statuses, registration_table
from portal.extensions import db
from portal.i18n import language_label
from portal.registration.models import Registration, RegistrationState
from portal.validation import InvalidField
from tests.factories import create_event, create_organizer, create_registration
from tests.helpers import api_token, sign_in
from tests.openapi_check import check_exchange

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ENGLISH_HEADER = [
    "Registration ID",
    "Status",
    "Registered at (UTC)",
    "Form of address",
    "Given name",
    "Family name",
    "Email",
    "Organization",
    "Function",
    "Country code",
    "Country",
    "Participant category",
    "Attendance",
    "Language",
    "Accessibility needs",
]
CHECKED_IN = "Checked in at (UTC)"
#: Texts a spreadsheet would run, and how the CSV must write them (XLSX keeps them as they are,
#: in text cells).
DANGEROUS = {
    '=HYPERLINK("https://evil.example","x")': '\'=HYPERLINK("https://evil.example","x")',
    "+41 22 917 12 34": "'+41 22 917 12 34",
    "-2+3": "'-2+3",
    "@SUM(A1)": "'@SUM(A1)",
    "\t=1+1": "'\t=1+1",
    "\r=1+1": "'\r=1+1",
}


def _read_csv(response: TestResponse) -> list[list[str]]:
    data = response.get_data()
    response.close()  # as a WSGI server does once sent
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def _read_xlsx(response: TestResponse):
    data = response.get_data()
    response.close()  # as a WSGI server does once sent: the temporary file goes
    assert response.status_code == 200
    assert response.content_type == XLSX_TYPE
    return load_workbook(io.BytesIO(data)).active


def _xlsx_rows(sheet) -> list[list[Any]]:
    """The sheet's values as Excel shows them: openpyxl leaves the ``_x000D_`` escapes of
    control characters in text as they are stored."""
    return [
        [
            "" if value is None else unescape(value) if isinstance(value, str) else value
            for value in row
        ]
        for row in sheet.values
    ]


def _set(registration: Registration, **values: Any) -> Registration:
    """Store values as they are, past the form's checks, as an old or imported row could."""
    for name, value in values.items():
        setattr(registration, name, value)
    db.session.commit()
    return registration


def _event_with_questions(organizer, **fields: Any):
    fields.setdefault("managers", [organizer])
    event = create_event(**fields)
    event.questions = [
        Question(
            position=0,
            kind=QuestionKind.SINGLE_CHOICE,
            label={"en": "Meal", "fr": "Repas"},
            choices=[
                {"value": "veg", "label": {"en": "Vegetarian", "fr": "Végétarien"}},
                {"value": "fish", "label": {"en": "Fish", "fr": "Poisson"}},
            ],
        ),
        Question(
            position=1,
            kind=QuestionKind.MULTIPLE_CHOICE,
            label={"en": "Sessions"},
            choices=[
                {"value": "a", "label": {"en": "Panel A, morning"}},
                {"value": "b", "label": {"en": "Panel B"}},
                {"value": "c", "label": {"en": "Panel C"}},
            ],
        ),
        Question(position=2, kind=QuestionKind.CHECKBOX, label={"en": "Press?"}),
        Question(position=3, kind=QuestionKind.LONG_TEXT, label={"en": "Remarks"}),
    ]
    db.session.commit()
    return event


def _answers(event, meal: str, sessions: list[str], press: bool, remarks: str) -> dict:
    meal_q, sessions_q, press_q, remarks_q = (str(q.id) for q in event.questions)
    return {meal_q: meal, sessions_q: sessions, press_q: press, remarks_q: remarks}


# --- Content ---------------------------------------------------------------------------------


def test_csv_has_the_documented_columns_and_readable_answers(
    frozen_now, organizer_client, organizer
):
    event = _event_with_questions(organizer, slug="launch")
    first = create_registration(
        event,
        given_name="Aïcha",
        family_name="Benali",
        email="aicha@example.org",
        organization="Mission permanente du Maroc",
        function="Conseillère",
        country="MA",
        category="member_state",
        language="fr",
        accessibility_needs="Wheelchair access",
        answers=_answers(event, "veg", ["a", "c"], True, "Line one\nLine two"),
    )
    second = create_registration(
        event, country="", answers=_answers(event, "", [], False, ""), language="es"
    )
    _set(second, checked_in_at=frozen_now)

    response = organizer_client.get("/manage/events/launch/registrations.csv")

    assert response.headers["Content-Disposition"] == (
        'attachment; filename="launch-registrations-2026-11-02.csv"'
    )
    rows = _read_csv(response)
    assert rows[0] == ENGLISH_HEADER + ["Meal", "Sessions", "Press?", "Remarks", CHECKED_IN]
    assert rows[1] == [
        str(first.id),
        "Confirmed",
        "2026-11-02T12:00:00Z",
        "",
        "Aïcha",
        "Benali",
        "aicha@example.org",
        "Mission permanente du Maroc",
        "Conseillère",
        "MA",
        "Morocco",
        "Member State",
        "In person",
        "French",
        "Wheelchair access",
        "Vegetarian",
        "Panel A, morning; Panel C",
        "Yes",
        "Line one\nLine two",
        "",
    ]
    assert rows[2][0] == str(second.id)
    assert rows[2][9:11] == ["", ""]
    assert rows[2][13] == "Spanish"
    assert rows[2][-5:] == ["", "", "No", "", "2026-11-02T12:00:00Z"]
    assert len(rows) == 3


def test_csv_is_crlf_with_rfc_4180_quoting(organizer_client, organizer):
    event = create_event(managers=[organizer])
    registration = create_registration(event, organization='Say "hello", then go')
    _set(registration, accessibility_needs="Line one\nLine two\r\nLine three")

    data = organizer_client.get(f"/manage/events/{event.slug}/registrations.csv").data

    assert data.count(b"\r\n") == 3  # header, row, and the CRLF inside the value
    assert b'"Say ""hello"", then go"' in data
    assert b'"Line one\nLine two\r\nLine three"' in data
    assert data.endswith(b"\r\n")


def test_unanswered_and_unknown_answers_are_kept_readable(organizer_client, organizer):
    event = _event_with_questions(organizer)
    registration = create_registration(event)
    meal, sessions, press, remarks = (str(q.id) for q in event.questions)
    # Answers given before an option was removed, or before a question existed.
    _set(registration, answers={meal: "beef", sessions: ["b", "gone"]})

    rows = _read_csv(organizer_client.get(f"/manage/events/{event.slug}/registrations.csv"))

    assert rows[1][15:19] == ["beef", "Panel B; gone", "", ""]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_accents_arabic_and_emoji_round_trip(organizer_client, organizer, kind):
    event = create_event(managers=[organizer])
    names = [
        ("Zoë", "Núñez-Ångström"),
        ("محمد", "العربي"),
        ("Ana 🌍", "Ĳssel 👩🏽‍💻"),
    ]
    for given_name, family_name in names:
        create_registration(event, given_name=given_name, family_name=family_name)

    response = organizer_client.get(f"/manage/events/{event.slug}/registrations.{kind}")

    rows = _read_csv(response) if kind == "csv" else _xlsx_rows(_read_xlsx(response))
    assert [(row[4], row[5]) for row in rows[1:]] == names


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_formulas_are_neutralised_in_csv_and_typed_text_in_xlsx(organizer_client, organizer, kind):
    event = create_event(managers=[organizer])
    for number, text in enumerate(DANGEROUS):
        registration = create_registration(event, email=f"d{number}@example.org")
        _set(registration, organization=text, function="#N/A", accessibility_needs="a=b")

    response = organizer_client.get(f"/manage/events/{event.slug}/registrations.{kind}")

    if kind == "csv":
        rows = _read_csv(response)
        assert [row[7] for row in rows[1:]] == list(DANGEROUS.values())
    else:
        sheet = _read_xlsx(response)
        cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
        assert cells and all(cell.data_type in ("s", "n") for cell in cells)
        assert [cell.data_type for cell in sheet["G"][1:]] == ["s"] * len(DANGEROUS)
        rows = _xlsx_rows(sheet)
        # A text cell never runs: the value stays as typed, "+41 22 917 12 34" and all.
        assert [row[7] for row in rows[1:]] == list(DANGEROUS)
    assert {row[8] for row in rows[1:]} == {"#N/A"}
    assert {row[14] for row in rows[1:]} == {"a=b"}


def test_xlsx_has_a_bold_frozen_header_widths_and_text_cells(
    frozen_now, organizer_client, organizer
):
    event = _event_with_questions(organizer, slug="launch")
    registration = create_registration(
        event,
        given_name="Aïcha",
        organization="00123",
        answers=_answers(event, "fish", ["b"], False, "Première ligne\nDeuxième ligne"),
    )
    _set(registration, function="2026-11-02", accessibility_needs="1e5")

    response = organizer_client.get("/manage/events/launch/registrations.xlsx")

    assert response.headers["Content-Disposition"] == (
        'attachment; filename="launch-registrations-2026-11-02.xlsx"'
    )
    sheet = _read_xlsx(response)
    assert int(response.headers["Content-Length"]) == len(response.data)
    rows = _xlsx_rows(sheet)
    assert rows[0] == ENGLISH_HEADER + ["Meal", "Sessions", "Press?", "Remarks", CHECKED_IN]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    # XlsxWriter stores a width with the padding Excel adds, so that Excel shows 32.
    assert 32 <= sheet.column_dimensions["G"].width < 33  # email
    assert all(sheet.column_dimensions[letter].width >= 8 for letter in "ABCDEFGHIJKLMNOPQRST")
    assert rows[1][0] == registration.id  # the one number
    assert rows[1][1:3] == ["Confirmed", "2026-11-02T12:00:00Z"]
    # Text that looks like a number or a date stays the text it was.
    assert rows[1][7:9] == ["00123", "2026-11-02"]
    assert rows[1][14] == "1e5"
    assert rows[1][15:19] == ["Fish", "Panel B", "No", "Première ligne\nDeuxième ligne"]


def test_headers_and_words_follow_the_organizers_language(app, organizer):
    francophone = create_organizer("francoise@example.org", language="fr")
    event = _event_with_questions(organizer, managers=[organizer, francophone])
    create_registration(
        event, form_of_address="ms", answers=_answers(event, "veg", [], True, "")
    )
    create_registration(event, answers=_answers(event, "veg", [], True, ""))
    client = app.test_client()
    sign_in(client, francophone.email)

    rows = _read_csv(client.get(f"/manage/events/{event.slug}/registrations.csv"))

    assert rows[0][1] == "Statut"
    assert (rows[0][3], rows[1][3], rows[2][3]) == ("Civilité", "Mme", "")
    assert rows[0][15] == "Repas"
    assert rows[1][10:12] == ["Maroc", "État Membre"]
    assert rows[1][13] == "français".capitalize()
    assert rows[1][15] == "Végétarien"


# --- Filter by status ------------------------------------------------------------------------


def _event_with_every_status(organizer):
    event = create_event(managers=[organizer])
    ids = {}
    for state in RegistrationState:
        registration = create_registration(event)
        ids[state] = _set(registration, state=state).id
    return event, ids


@pytest.mark.parametrize(
    ("query", "wanted"),
    [
        ("", list(RegistrationState)),
        ("?status=confirmed", [RegistrationState.CONFIRMED]),
        (
            "?status=confirmed&status=waitlisted",
            [RegistrationState.CONFIRMED, RegistrationState.WAITLISTED],
        ),
        (
            "?status=pending,+cancelled",
            [RegistrationState.PENDING, RegistrationState.CANCELLED],
        ),
    ],
)
def test_filter_by_status(organizer_client, organizer, query, wanted):
    event, ids = _event_with_every_status(organizer)

    rows = _read_csv(organizer_client.get(f"/manage/events/{event.slug}/registrations.csv{query}"))

    assert [int(row[0]) for row in rows[1:]] == sorted(ids[state] for state in wanted)


def test_an_unknown_status_in_the_back_office_says_so(organizer_client, organizer):
    event = create_event(managers=[organizer])

    response = organizer_client.get(
        f"/manage/events/{event.slug}/registrations.xlsx?status=confirmed,gone"
    )

    assert response.status_code == 302
    assert response.headers["Location"] == f"/manage/events/{event.slug}/registrations"
    page = organizer_client.get(response.headers["Location"]).text
    assert "Unknown status “gone”" in page


def test_parse_statuses():
    assert parse_statuses([]) == frozenset()
    assert parse_statuses(["", " , "]) == frozenset()
    assert parse_statuses(["declined", "confirmed,declined"]) == {
        RegistrationState.DECLINED,
        RegistrationState.CONFIRMED,
    }
    with pytest.raises(InvalidField) as raised:
        parse_statuses(["Confirmed"])
    assert raised.value.field == "status"


def test_the_list_links_to_both_exports_with_its_status(organizer_client, organizer):
    event = create_event(managers=[organizer])
    base = f"/manage/events/{event.slug}/registrations"

    page = organizer_client.get(base).text
    filtered = organizer_client.get(f"{base}?status=waitlisted").text
    bad = organizer_client.get(f"{base}?status=nonsense").text

    assert f'href="{base}.csv"' in page and f'href="{base}.xlsx"' in page
    assert f'href="{base}.csv?status=waitlisted"' in filtered
    assert f'href="{base}.xlsx?status=waitlisted"' in filtered
    assert f'href="{base}.csv"' in bad


# --- Streaming -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_rows_are_read_in_batches_and_all_arrive(organizer_client, organizer, monkeypatch, kind):
    monkeypatch.setattr(export_registrations, "BATCH_SIZE", 2)
    monkeypatch.setattr(writers, "CSV_ROWS_PER_CHUNK", 2)
    event = create_event(managers=[organizer])
    ids = [create_registration(event).id for _ in range(7)]

    response = organizer_client.get(f"/manage/events/{event.slug}/registrations.{kind}")

    rows = _read_csv(response) if kind == "csv" else _xlsx_rows(_read_xlsx(response))
    assert [int(row[0]) for row in rows[1:]] == ids


def test_csv_is_sent_in_chunks_as_rows_are_read(app, organizer, monkeypatch):
    monkeypatch.setattr(writers, "CSV_ROWS_PER_CHUNK", 2)
    event = create_event(managers=[organizer])
    for _ in range(5):
        create_registration(event)

    with app.test_request_context():
        chunks = list(writers.csv_chunks(registration_table(event, frozenset(), "en")))

    assert len(chunks) == 3  # header and rows 1-2, rows 3-4, then row 5
    assert chunks[0].startswith(b"\xef\xbb\xbfRegistration ID,")
    assert b"".join(chunks).count(b"\r\n") == 6


def test_the_csv_response_is_streamed(organizer_client, organizer):
    event = create_event(managers=[organizer])
    create_registration(event)

    response = organizer_client.get(
        f"/manage/events/{event.slug}/registrations.csv", buffered=False
    )

    assert response.is_streamed
    assert "Content-Length" not in response.headers
    assert response.get_data().count(b"\r\n") == 2


# --- Access ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_back_office_exports_need_a_manager(app, client, organizer, kind):
    event = create_event(managers=[organizer])
    create_registration(event, given_name="Secret")
    url = f"/manage/events/{event.slug}/registrations.{kind}"
    stranger = create_organizer("stranger@example.org")
    admin = create_organizer("admin@example.org", is_admin=True)

    anonymous = client.get(url)
    sign_in(client, stranger.email)
    forbidden = client.get(url)
    unknown = client.get(f"/manage/events/no-such-event/registrations.{kind}")
    admin_client = app.test_client()
    sign_in(admin_client, admin.email)
    allowed = admin_client.get(url)
    allowed.get_data()
    allowed.close()

    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/manage/login")
    assert forbidden.status_code == 403
    assert b"Secret" not in forbidden.data
    assert unknown.status_code == 404
    assert allowed.status_code == 200
    assert allowed.headers["Cache-Control"] == "no-store"


# --- API -------------------------------------------------------------------------------------


def _api_get(client, path: str, token: str | None, query: str = "", **headers: str):
    """GET through the API, checking the answer (and a successful request) against the
    OpenAPI document."""
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = client.get(f"{path}{query}", headers=headers)
    response.get_data()
    response.close()
    args = [tuple(pair.split("=", 1)) for pair in query.lstrip("?").split("&") if pair]
    request = MockRequest("http://localhost", "get", path, args=dict(args), headers=headers)
    repeated_names = len({name for name, _ in args}) < len(args)  # a dict keeps only one
    check_exchange(request, response, request_is_checked=not repeated_names)
    return response


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_api_exports_with_a_managers_token(frozen_now, client, manager, token, kind):
    event = create_event(slug="launch", managers=[manager])
    registration = create_registration(event, given_name="Zoë")
    path = f"/api/v1/events/launch/registrations.{kind}"

    response = _api_get(client, path, token)

    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="launch-registrations-2026-11-02.{kind}"'
    )
    rows = _read_csv(response) if kind == "csv" else _xlsx_rows(_read_xlsx(response))
    assert rows[0][:15] == ENGLISH_HEADER
    assert str(rows[1][0]) == str(registration.id)
    assert rows[1][4] == "Zoë"


def test_api_export_language_and_status(client, manager, token):
    event, ids = _event_with_every_status(manager)
    path = f"/api/v1/events/{event.slug}/registrations.csv"

    by_parameter = _read_csv(_api_get(client, path, token, "?lang=es&status=declined"))
    by_header = _read_csv(
        _api_get(client, path, token, "?status=declined,cancelled", **{"Accept-Language": "fr"})
    )

    assert by_parameter[0][1] == "Estado"
    assert [int(row[0]) for row in by_parameter[1:]] == [ids[RegistrationState.DECLINED]]
    assert by_header[0][1] == "Statut"
    assert [int(row[0]) for row in by_header[1:]] == [
        ids[RegistrationState.DECLINED],
        ids[RegistrationState.CANCELLED],
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?status=maybe", "status"),
        ("?status=confirmed,Declined", "status"),
        ("?status=confirmed&status=", None),
        ("?lang=de", "lang"),
        ("?lang=", "lang"),
    ],
)
def test_api_export_refuses_bad_parameters_with_422(client, manager, token, query, field):
    event = create_event(managers=[manager])
    create_registration(event)
    path = f"/api/v1/events/{event.slug}/registrations.xlsx"

    response = _api_get(client, path, token, query)

    if field is None:  # an empty status filters nothing
        assert response.status_code == 200
        return
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid_field"
    assert response.json["error"]["field"] == field


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_api_export_access(client, manager, kind):
    event = create_event(managers=[manager])
    create_registration(event, given_name="Secret")
    path = f"/api/v1/events/{event.slug}/registrations.{kind}"
    stranger = api_token(create_organizer("stranger@example.org"))
    admin = api_token(create_organizer("admin@example.org", is_admin=True))

    anonymous = _api_get(client, path, None)
    bad_token = _api_get(client, path, "ptk_not-a-token")
    forbidden = _api_get(client, path, stranger)
    unknown = _api_get(client, f"/api/v1/events/nothing-here/registrations.{kind}", admin)
    allowed = _api_get(client, path, admin)

    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert bad_token.status_code == 401
    assert forbidden.status_code == 403
    assert b"Secret" not in forbidden.data
    assert unknown.status_code == 404
    assert allowed.status_code == 200


def test_characters_xml_cannot_hold_are_replaced_in_xlsx_only(organizer_client, organizer):
    event = create_event(managers=[organizer])
    _set(create_registration(event), accessibility_needs="Bell\x07 and\x0bform feed")
    base = f"/manage/events/{event.slug}/registrations"

    in_csv = _read_csv(organizer_client.get(f"{base}.csv"))
    in_xlsx = _xlsx_rows(_read_xlsx(organizer_client.get(f"{base}.xlsx")))

    assert in_csv[1][14] == "Bell\x07 and\x0bform feed"
    assert in_xlsx[1][14] == "Bell\ufffd and\ufffdform feed"


# --- Documentation ---------------------------------------------------------------------------


def test_the_documented_columns_are_the_specified_ones(app):
    """docs/exports.md's table of columns says what `COLUMNS` holds, row for row."""
    doc = (Path(__file__).parents[2] / "docs" / "exports.md").read_text()
    section = doc.split("## Columns", 1)[1].split("\n## ", 1)[0]
    table = [line for line in section.splitlines() if line.startswith("| ")]
    documented = [tuple(cell.strip() for cell in line.strip("|").split(" | ")) for line in table]

    with app.test_request_context(), force_locale("en"):
        specified = [(spec.documented_header, spec.content) for spec in COLUMNS]

    assert documented == [("header (English)", "content"), *specified]


@pytest.mark.parametrize(("lang", "header"), [("ar", "ar-EG"), ("zh", "zh-CN"), ("ru", "ru")])
def test_api_export_in_the_new_languages(client, manager, token, lang, header):
    """Headers and words in Arabic, Chinese and Russian, by parameter or by Accept-Language;
    the registrant's language is named in the export's."""
    event = create_event(managers=[manager])
    create_registration(event, language="fr")
    path = f"/api/v1/events/{event.slug}/registrations.csv"

    by_parameter = _read_csv(_api_get(client, path, token, f"?lang={lang}"))
    by_header = _read_csv(_api_get(client, path, token, **{"Accept-Language": header}))

    with force_locale(lang):
        assert by_parameter[0][1] == gettext("Status")
    assert by_header[0] == by_parameter[0]
    assert language_label("fr", lang) in by_parameter[1]  # "Французский"
