"""Importing registrations from a file: the dry run stores nothing and tells each problem,
the import registers through the services, and bad files are refused clearly."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from portal.extensions import db
from portal.mail.delivery import deliver_due_messages
from portal.mail.models import OutboxMessage
from portal.organizers.audit import AuditEntry
from portal.registration.models import Registration, RegistrationState
from tests.factories import create_event, create_registration
from tests.helpers import csrf_token

HEADER = "Given name,Family name,Email,Country code,Participant category,Attendance,Language"


def _csv(*rows: str, header: str = HEADER, encoding: str = "utf-8-sig") -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode(encoding)


def _upload(client, event, data: bytes, filename: str = "people.csv"):
    url = f"/manage/events/{event.slug}/registrations/import"
    return client.post(
        url,
        data={"csrf_token": csrf_token(client, url), "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def _confirm(client, preview, event, notify: bool = True):
    upload = re.search(r'name="upload" type="hidden" value="([0-9a-f]+)"', preview.text)
    assert upload, "no import to confirm"
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', preview.text).group(1)
    data = {"csrf_token": token, "upload": upload.group(1)}
    if notify:
        data["notify"] = "y"
    return client.post(f"/manage/events/{event.slug}/registrations/import/confirm", data=data)


def _row_counts() -> dict[str, int]:
    with db.engine.connect() as connection:
        return {
            table.name: connection.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }


@pytest.fixture
def event(organizer):
    return create_event(managers=[organizer], format="hybrid", capacity_in_person=2)


def test_the_dry_run_changes_nothing_and_reports_each_bad_row(organizer_client, event):
    create_registration(event, email="known@example.org")
    before = _row_counts()
    data = _csv(
        "Amina,Diallo,amina@example.org,SN,Member State,In person,French",
        "Bad,Address,not-an-address,FR,member_state,online,fr",
        ",Nameless,nameless@example.org,ZZ,Astronaut,by pigeon,Klingon",
        "Known,Person,KNOWN@example.org,,Media,Online,English",
        "Amina,Again,amina@example.org,SN,Member State,Online,fr",
        "Carlos,Pérez,carlos@example.org,MX,Sociedad civil,En línea,es",
    )
    response = _upload(organizer_client, event, data)
    assert response.status_code == 200
    page = response.text
    assert _row_counts() == before
    assert "6 rows read." in page and "2 rows have errors." in page and "2 duplicates." in page
    errors = re.findall(
        r'<tr><th scope="row">(\d+)</th><td>([^<]*)</td><td>([^<]*)</td></tr>',
        page.split('id="errors-heading"')[1].split("</table>")[0],
    )
    assert ("3", "Email", "Enter a valid email address.") in errors or any(
        row == "3" and column == "Email" for row, column, _ in errors
    )
    columns_of_row_4 = {column for row, column, _ in errors if row == "4"}
    assert columns_of_row_4 == {
        "Given name",
        "Country code",
        "Participant category",
        "Attendance",
        "Language",
    }
    assert "“Astronaut” is not one of the accepted values." in page
    assert "Same address as row 2." in page and "Already registered for this event." in page
    assert "Import 2 registrations" in page
    people = page.split('id="people-heading"')[1]
    assert "Amina Diallo" in people and "Carlos Pérez" in people


def test_the_import_registers_through_the_services(organizer_client, event):
    create_registration(event, email="first@example.org")  # one of two seats taken
    data = _csv(
        "Amina,Diallo,amina@example.org,SN,Member State,In person,French",
        "Ben,Okafor,ben@example.org,NG,Civil society,In person,en",
        "Chen,Li,chen@example.org,CN,Academia,Online,es",
    )
    preview = _upload(organizer_client, event, data)
    assert "Confirmed: 2" in preview.text and "On the waiting list: 1" in preview.text
    response = _confirm(organizer_client, preview, event)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/events/{event.slug}/registrations")
    states = dict(db.session.execute(sa.select(Registration.email, Registration.state)).all())
    assert states["amina@example.org"] is RegistrationState.CONFIRMED
    assert states["ben@example.org"] is RegistrationState.WAITLISTED
    assert states["chen@example.org"] is RegistrationState.CONFIRMED
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "registration.imported")
    ).all()
    assert sorted(entry.details["name"] for entry in entries) == [
        "Amina Diallo",
        "Ben Okafor",
        "Chen Li",
    ]
    assert all(entry.organizer.email == "organizer@example.org" for entry in entries)
    mails = {m.to_address: m.kind for m in db.session.scalars(sa.select(OutboxMessage))}
    assert mails["ben@example.org"] == "registration_waitlisted"
    assert mails["amina@example.org"] == "registration_confirmed"
    amina = db.session.scalar(sa.select(Registration).filter_by(email="amina@example.org"))
    assert amina.language == "fr" and amina.country == "SN"
    assert amina.links == []  # each mail gets its link when the worker writes it
    deliver_due_messages()
    db.session.expire_all()
    assert len(db.session.get(Registration, amina.id).links) == 1
    # The same file again: everyone is already registered, nothing to import.
    again = _upload(organizer_client, event, data)
    assert "3 duplicates." in again.text and "There is nobody to import." in again.text


def test_an_import_without_mail_sends_nothing(organizer_client, event):
    preview = _upload(
        organizer_client, event, _csv("Amina,Diallo,a@example.org,SN,Media,Online,fr")
    )
    assert _confirm(organizer_client, preview, event, notify=False).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    assert db.session.scalar(sa.select(Registration.email)) == "a@example.org"


def test_the_import_reads_the_file_again_and_cannot_be_replayed(organizer_client, event):
    preview = _upload(
        organizer_client, event, _csv("Amina,Diallo,a@example.org,SN,Media,Online,fr")
    )
    assert _confirm(organizer_client, preview, event).status_code == 302
    replay = _confirm(organizer_client, preview, event)
    assert replay.status_code == 302 and replay.headers["Location"].endswith("/import")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 1
    forged = organizer_client.post(
        f"/manage/events/{event.slug}/registrations/import/confirm",
        data={
            "csrf_token": csrf_token(
                organizer_client, f"/manage/events/{event.slug}/registrations/import"
            ),
            "upload": "../../etc/passwd",
        },
    )
    assert forged.status_code == 400


def test_an_excel_semicolon_csv_and_an_xlsx_are_read(organizer_client, event):
    semicolons = _csv(
        "Élodie;Façon;elodie@example.org;FR;État membre;En ligne;Français",
        header="Prénom;Nom de famille;Courriel;Code du pays;Catégorie de participant;"
        "Modalité de participation;Langue",
    )
    preview = _upload(organizer_client, event, semicolons)
    assert "1 row read." in preview.text and "0 rows have errors." in preview.text, preview.text

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(
        ["Given name", "Family name", "Email", "Participant category", "Attendance", "Organization"]
    )
    sheet.append(["Zoe", "Formula", "zoe@example.org", "Media", "Online", '=HYPERLINK("http://x")'])
    buffer = io.BytesIO()
    workbook.save(buffer)
    preview = _upload(organizer_client, event, buffer.getvalue(), "people.xlsx")
    assert "0 rows have errors." in preview.text
    assert _confirm(organizer_client, preview, event).status_code == 302
    zoe = db.session.scalar(sa.select(Registration).filter_by(email="zoe@example.org"))
    assert zoe.organization == '=HYPERLINK("http://x")'  # kept as the text it is


def test_the_csv_exports_apostrophe_before_a_formula_is_taken_off(organizer_client, event):
    data = _csv(
        "Amina,Diallo,amina@example.org,SN,Media,Online,fr",
        header=HEADER.replace("Language", "Organization"),
    ).replace(b",fr\r\n", b",'=Mission\r\n")
    preview = _upload(organizer_client, event, data)
    assert _confirm(organizer_client, preview, event).status_code == 302
    assert db.session.scalar(sa.select(Registration.organization)) == "=Mission"


def _forged_workbook() -> bytes:
    """A zip that says it is a workbook, with broken XML inside."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types><broken")
        archive.writestr("xl/workbook.xml", "<workbook")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"%PDF-1.4 not a table", "people.pdf", "Choose a CSV file or an Excel workbook (XLSX)."),
        (b"PK\x03\x04 broken", "people.xlsx", "The file is not a valid Excel workbook (XLSX)."),
        (_forged_workbook(), "people.xlsx", "The file is not a valid Excel workbook (XLSX)."),
        ("Prénom,Nom\r\n".encode("latin-1"), "people.csv", "The file is not in UTF-8."),
        (b"Name,Address\r\nA,B\r\n", "people.csv", "The file lacks these columns: Given name,"),
        (b"\xef\xbb\xbf\r\n\r\n", "people.csv", "The file is empty."),
        (b'Given name,"unclosed\r\n', "people.csv", "The file is not a valid CSV file."),
    ],
)
def test_bad_files_are_refused_clearly(organizer_client, event, data, filename, message):
    response = _upload(organizer_client, event, data, filename)
    assert response.status_code == 422
    assert message in response.text
    assert 'aria-invalid="true"' in response.text


def _raw_upload(client, event, data: bytes):
    """An upload sent as raw bytes: the test client would spool a large file to a temporary
    file that it never closes."""
    url = f"/manage/events/{event.slug}/registrations/import"
    token = csrf_token(client, url).encode()
    body = b"".join(
        [
            b'--x\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n',
            token,
            b'\r\n--x\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n',
            b"Content-Type: text/csv\r\n\r\n",
            data,
            b"\r\n--x--\r\n",
        ]
    )
    return client.post(url, data=body, content_type="multipart/form-data; boundary=x")


@pytest.mark.parametrize("size", [5 * 2**20 + 1, 6 * 2**20])
def test_too_big_files_are_refused(organizer_client, event, size):
    response = _raw_upload(organizer_client, event, _csv(header="x" * size))
    assert response.status_code == 422 and "The file is larger than 5 MB." in response.text


def test_too_long_files_are_refused(organizer_client, event, monkeypatch):
    from portal.exports import imports

    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    rows = [f"A,B,p{n}@example.org,SN,Media,Online,fr" for n in range(4)]
    response = _upload(organizer_client, event, _csv(*rows))
    assert response.status_code == 422 and "The file has more than 3 rows." in response.text
    assert _upload(organizer_client, event, _csv(*rows[:3])).status_code == 200


def test_a_missing_file_is_asked_for(organizer_client, event):
    url = f"/manage/events/{event.slug}/registrations/import"
    response = organizer_client.post(url, data={"csrf_token": csrf_token(organizer_client, url)})
    assert response.status_code == 422 and "Choose a file to import." in response.text


def test_only_the_events_organizers_import(client, organizer_client):
    other = create_event()
    url = f"/manage/events/{other.slug}/registrations/import"
    assert organizer_client.get(url).status_code == 403
    assert client.get(url).status_code == 302


def test_answers_to_the_events_questions_are_read_by_their_labels(organizer_client, organizer):
    from portal.events.models import Question, QuestionKind

    event = create_event(managers=[organizer])
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
                {"value": "a", "label": {"en": "Panel A"}},
                {"value": "b", "label": {"en": "Panel B"}},
            ],
        ),
        Question(position=2, kind=QuestionKind.CHECKBOX, label={"en": "Press?"}, required=True),
    ]
    db.session.commit()
    data = _csv(
        "Amina,Diallo,amina@example.org,Media,Végétarien,Panel A; Panel B,Oui",
        "Ben,Okafor,ben@example.org,Media,Pizza,Panel Z,No",
        header="Given name,Family name,Email,Participant category,Repas,Sessions,Press?",
    )
    preview = _upload(organizer_client, event, data)
    errors = preview.text.split('id="errors-heading"')[1].split("</table>")[0]
    assert re.findall(r'<th scope="row">(\d+)</th><td>([^<]*)</td>', errors) == [
        ("3", "Repas"),
        ("3", "Sessions"),
        ("3", "Press?"),
    ]
    assert _confirm(organizer_client, preview, event).status_code == 302
    amina = db.session.scalar(sa.select(Registration))
    meal, sessions, press = (str(question.id) for question in event.questions)
    assert amina.answers == {meal: "veg", sessions: ["a", "b"], press: True}
