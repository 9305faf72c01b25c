"""The back office through HTTP: signing in, events, speakers, streams, organizers, tokens."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from portal.events.models import EventStatus
from portal.events.services import get_event
from portal.extensions import db
from portal.organizers.audit import event_history
from portal.organizers.services import find_api_token
from tests.factories import create_event, create_organizer
from tests.helpers import csrf_token, sign_in


def _event_form(**overrides):
    data = {
        "title_en": "Launch of the regional review",
        "title_fr": "Lancement de l'examen régional",
        "title_es": "Presentación del examen regional",
        "summary_en": "A short summary.",
        "description_en": "A longer description.",
        "timezone": "Europe/Zurich",
        "starts_at": "2027-03-30T15:00",
        "ends_at": "2027-03-30T16:30",
        "format": "hybrid",
        "venue_en": "Palais des Nations, Genève",
        "capacity_in_person": "80",
        "capacity_online": "",
        "registration_opens_at": "",
        "registration_closes_at": "",
        "slug": "regional-review-launch",
    }
    data.update(overrides)
    return data


def _post(client, url, data=None, form_url=None, **kwargs):
    token = csrf_token(client, form_url or url)
    return client.post(url, data={**(data or {}), "csrf_token": token}, **kwargs)


def _png(size=(300, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (11, 79, 138)).save(buffer, "PNG")
    return buffer.getvalue()


# --- Signing in ------------------------------------------------------------------------------


def test_sign_in_and_out(client, organizer):
    assert client.get("/manage/").status_code == 302
    response = sign_in(client, organizer.email)
    assert response.status_code == 302 and response.headers["Location"] == "/manage/"
    home = client.get("/manage/")
    assert home.status_code == 200 and "Olga Organizer" not in home.text  # nav, not a greeting
    assert home.headers["Cache-Control"] == "no-store"
    _post(client, "/manage/logout", form_url="/manage/")
    assert client.get("/manage/").status_code == 302


def test_wrong_password_and_unknown_address_answer_the_same(client, organizer):
    wrong_password = sign_in(client, organizer.email, "not the password")
    unknown = sign_in(client, "nobody@example.org", "not the password")
    assert wrong_password.status_code == unknown.status_code == 422
    message = "The email address or the password is not right."
    assert message in wrong_password.text and message in unknown.text
    assert client.get("/manage/").status_code == 302


def test_session_cookie_is_secure_httponly_and_lax(client, organizer):
    response = sign_in(client, organizer.email)
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires=" in cookie  # the session ends after PERMANENT_SESSION_LIFETIME


def test_repeated_failed_sign_ins_are_slowed_down(client, organizer):
    statuses = [sign_in(client, organizer.email, f"guess {n}").status_code for n in range(12)]
    assert statuses[:10] == [422] * 10
    assert statuses[-1] == 429
    assert "Too many requests" in client.post("/manage/login", data={}).text


def test_next_only_leads_inside_the_back_office(client, organizer):
    token = csrf_token(client, "/manage/login")
    data = {"email": organizer.email, "password": "correct horse battery", "csrf_token": token}
    response = client.post("/manage/login?next=//evil.example/", data=data)
    assert response.headers["Location"] == "/manage/"


def test_missing_csrf_token_is_refused(organizer_client):
    response = organizer_client.post("/manage/events/new", data=_event_form())
    assert response.status_code == 400
    assert get_event("regional-review-launch") is None


# --- Events ----------------------------------------------------------------------------------


def test_organizer_creates_event_with_speakers_and_streams_and_publishes_it(client, runner, app):
    result = runner.invoke(
        args=["create-organizer", "secretariat@example.org", "--password", "a long passphrase"]
    )
    assert result.exit_code == 0
    sign_in(client, "secretariat@example.org", "a long passphrase")

    response = _post(client, "/manage/events/new", _event_form())
    assert response.status_code == 302
    assert response.headers["Location"] == "/manage/events/regional-review-launch/"
    event = get_event("regional-review-launch")
    assert event.status is EventStatus.DRAFT
    assert event.title["fr"] == "Lancement de l'examen régional"
    assert client.get("/en/events/regional-review-launch/").status_code == 404

    speakers_url = "/manage/events/regional-review-launch/speakers"
    first = {
        "name": "Amina Diallo",
        "role_en": "Moderator",
        "role_fr": "Modératrice",
        "function_en": "Head of secretariat",
        "organization_en": "UN Network on Migration",
        "photo": (io.BytesIO(_png()), "amina.png"),
    }
    assert _post(client, speakers_url, first, content_type="multipart/form-data").status_code == 302
    second = {"name": "Lubinda Mwale", "role_en": "Panellist", "role_fr": "Intervenant"}
    assert _post(client, speakers_url, second).status_code == 302

    streams = {
        "streams_en": "https://stream.example.org/en",
        "streams_es": "https://stream.example.org/es",
        "streams_fr": "https://stream.example.org/fr",
    }
    assert (
        _post(client, "/manage/events/regional-review-launch/streams", streams).status_code == 302
    )
    assert (
        _post(
            client,
            "/manage/events/regional-review-launch/publish",
            form_url="/manage/events/regional-review-launch/",
        ).status_code
        == 302
    )

    page = client.get("/fr/events/regional-review-launch/").text
    assert "Lancement de l&#39;examen régional" in page
    assert page.index("Amina Diallo") < page.index("Lubinda Mwale")
    assert "Modératrice" in page
    assert sorted(
        re.findall(r'hreflang="(\w\w)" lang="\w\w">', page.split('class="streams"')[1])
    ) == ["en", "es", "fr"]
    photo_url = re.search(r'src="(/media/speakers/[0-9a-f]{32}\.png)"', page).group(1)
    with client.get(photo_url) as photo:
        assert photo.status_code == 200 and photo.mimetype == "image/png"
        assert photo.headers["X-Content-Type-Options"] == "nosniff"
        assert Image.open(io.BytesIO(photo.data)).size == (300, 200)


def test_invalid_event_shows_field_errors_in_the_organizers_language(organizer_client, organizer):
    organizer.language = "fr"
    db.session.commit()
    bad = _event_form(
        title_en="",
        ends_at="2027-03-30T14:00",
        timezone="Mars/Olympus",
        slug="Not A Slug",
        capacity_in_person="-3",
    )
    response = _post(organizer_client, "/manage/events/new", bad)
    assert response.status_code == 422
    assert '<html lang="fr"' in response.text
    assert "Il y a un problème" in response.text
    assert 'aria-invalid="true"' in response.text
    # Every problem at once: title, zone, address and seats (the end is checked once the
    # zone is valid).
    assert response.text.count('class="field-error"') == 4
    assert get_event("not-a-slug") is None and get_event("regional-review-launch") is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "Choose a time zone from the list"),
        ({"ends_at": "2027-03-30T14:00"}, "The end must be after the start."),
        ({"slug": "Not A Slug"}, "Use lower-case letters"),
        ({"title_en": ""}, "The English text is required."),
        ({"starts_at": "30/03/2027"}, "Not a valid datetime value."),
        ({"capacity_in_person": "-3"}, "Enter a whole number of seats"),
        ({"venue_en": "", "format": "in_person"}, "Say where the event takes place."),
        ({"title_en": "Bell\x07"}, "Remove the control characters"),
    ],
)
def test_each_invalid_field_is_explained_and_nothing_is_stored(
    organizer_client, overrides, message
):
    response = _post(organizer_client, "/manage/events/new", _event_form(**overrides))
    assert response.status_code == 422
    assert message in response.text
    assert get_event("regional-review-launch") is None


def test_slug_taken(organizer_client):
    create_event(slug="regional-review-launch")
    response = _post(organizer_client, "/manage/events/new", _event_form())
    assert "Another event already uses this address." in response.text


def test_edit_reschedules_and_raises_the_sequence(organizer_client, organizer):
    event = create_event(slug="briefing", managers=[organizer])
    edit = f"/manage/events/{event.slug}/edit"
    form_page = organizer_client.get(edit).text
    assert 'value="briefing"' in form_page
    response = _post(
        organizer_client,
        edit,
        _event_form(slug="briefing", starts_at="2027-04-01T10:00", ends_at="2027-04-01T12:00"),
    )
    assert response.status_code == 302
    assert (
        "The event has been rescheduled." in organizer_client.get(response.headers["Location"]).text
    )
    db.session.refresh(event)
    assert event.sequence == 1
    assert event.local_starts_at.strftime("%Y-%m-%d %H:%M") == "2027-04-01 10:00"


def test_cancel_asks_first_then_cancels(organizer_client, organizer):
    event = create_event(managers=[organizer])
    url = f"/manage/events/{event.slug}/cancel"
    assert "Cancel the event?" in organizer_client.get(url).text
    assert _post(organizer_client, url).status_code == 302
    db.session.refresh(event)
    assert event.is_cancelled
    assert (
        "This event has been cancelled." in organizer_client.get(f"/en/events/{event.slug}/").text
    )


def test_other_organizers_events_are_forbidden_and_admins_see_all(client, organizer_client):
    someone_else = create_organizer()
    theirs = create_event(managers=[someone_else], title={"en": "Their event"})
    assert organizer_client.get(f"/manage/events/{theirs.slug}/").status_code == 403
    assert organizer_client.get(f"/manage/events/{theirs.slug}/edit").status_code == 403
    assert "Their event" not in organizer_client.get("/manage/").text
    assert organizer_client.get("/manage/events/no-such-event/").status_code == 404

    admin = create_organizer("admin@example.org", is_admin=True)
    sign_in(client, admin.email)
    assert "Their event" in client.get("/manage/").text
    assert client.get(f"/manage/events/{theirs.slug}/").status_code == 200


def test_history_is_shown_to_admins_only(client, organizer_client, organizer):
    event = create_event(managers=[organizer])
    _post(
        organizer_client,
        f"/manage/events/{event.slug}/streams",
        {"streams_en": "https://stream.example.org/en"},
    )
    assert "History" not in organizer_client.get(f"/manage/events/{event.slug}/").text
    admin = create_organizer("admin@example.org", is_admin=True)
    sign_in(client, admin.email)
    page = client.get(f"/manage/events/{event.slug}/").text
    assert "History" in page and "Streams changed" in page and "Olga Organizer" in page


def test_giving_an_event_to_another_organizer(organizer_client, organizer, client):
    colleague = create_organizer("colleague@example.org")
    event = create_event(managers=[organizer])
    url = f"/manage/events/{event.slug}/organizers"
    assert _post(organizer_client, url, {"email": "nobody@example.org"}).status_code == 422
    assert _post(organizer_client, url, {"email": "Colleague@Example.org"}).status_code == 302
    sign_in(client, colleague.email)
    assert client.get(f"/manage/events/{event.slug}/").status_code == 200


# --- Speakers and streams ------------------------------------------------------------------


def test_speakers_can_be_reordered_edited_and_removed(organizer_client, organizer):
    event = create_event(managers=[organizer], speakers=[{"name": "Ana"}, {"name": "Bo"}])
    ana, bo = event.speakers
    base = f"/manage/events/{event.slug}/speakers"
    _post(organizer_client, f"{base}/{bo.id}/move", {"direction": "up"}, form_url=base)
    db.session.refresh(event)
    assert [speaker.name for speaker in event.speakers] == ["Bo", "Ana"]
    response = _post(
        organizer_client, f"{base}/{ana.id}", {"name": "Ana María", "function_fr": "Directrice"}
    )
    assert response.status_code == 302
    _post(organizer_client, f"{base}/{bo.id}/delete", form_url=base)
    db.session.refresh(event)
    assert [(s.name, s.function) for s in event.speakers] == [("Ana María", {"fr": "Directrice"})]


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        ((b"this is not an image", "photo.png"), "This file is not a JPEG, PNG or WebP image."),
        ((b"GIF89a....", "photo.gif"), "Choose a JPEG, PNG or WebP image."),
    ],
)
def test_photos_must_really_be_images(organizer_client, organizer, upload, message):
    event = create_event(managers=[organizer])
    data, name = upload
    response = _post(
        organizer_client,
        f"/manage/events/{event.slug}/speakers",
        {"name": "Ana", "photo": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and message in response.text
    db.session.refresh(event)
    assert event.speakers == []


def test_oversized_uploads_are_refused(organizer_client, organizer):
    event = create_event(managers=[organizer])
    response = organizer_client.post(
        f"/manage/events/{event.slug}/speakers",
        data=b"-" * (3 * 1024 * 1024),
        content_type="multipart/form-data; boundary=x",
    )
    assert response.status_code == 413
    assert "What you sent is too large" in response.text


def test_streams_must_be_web_addresses(organizer_client, organizer):
    event = create_event(managers=[organizer])
    url = f"/manage/events/{event.slug}/streams"
    response = _post(organizer_client, url, {"streams_en": "javascript:alert(1)"})
    assert response.status_code == 422
    assert "Enter a web address that starts with https://" in response.text
    assert event.streams == []


# --- Account, organizers, tokens -----------------------------------------------------------


def test_changing_the_password_signs_out_other_sessions(app, organizer_client, organizer):
    other_device = app.test_client()
    sign_in(other_device, organizer.email)
    response = _post(
        organizer_client,
        "/manage/account",
        {
            "password-current_password": "correct horse battery",
            "password-password": "a brand new passphrase",
            "password-confirm": "a brand new passphrase",
        },
        form_url="/manage/account",
    )
    assert response.status_code == 302
    assert organizer_client.get("/manage/").status_code == 200
    assert other_device.get("/manage/").status_code == 302


def test_organizer_chooses_the_back_office_language(organizer_client):
    _post(organizer_client, "/manage/account", {"language-language": "es"})
    page = organizer_client.get("/manage/").text
    assert '<html lang="es"' in page and "Cerrar sesión" in page


def test_only_admins_manage_organizers(client, organizer_client):
    assert organizer_client.get("/manage/organizers/").status_code == 403
    admin = create_organizer("admin@example.org", is_admin=True)
    sign_in(client, admin.email)
    response = _post(
        client,
        "/manage/organizers/",
        {"email": "new@example.org", "name": "New Person", "password": "a long passphrase"},
    )
    assert response.status_code == 302
    newcomer = app_organizer("new@example.org")
    assert newcomer.name == "New Person" and not newcomer.is_admin
    _post(client, f"/manage/organizers/{newcomer.id}/toggle-active", form_url="/manage/organizers/")
    assert not app_organizer("new@example.org").is_active


def app_organizer(email):
    from portal.organizers.services import find_organizer

    db.session.expire_all()
    return find_organizer(email)


@pytest.mark.parametrize("label", ["script\x00", "\u202egnihsilbup", "tab\tbed"])
def test_a_token_label_with_control_characters_is_refused_and_no_token_is_made(
    organizer_client, organizer, label
):
    """Found by fuzzing: the label was stored as typed (a NUL failed PostgreSQL with a 500)."""
    form = {"label": label, "read_events": "y", "days": "90"}
    response = _post(organizer_client, "/manage/account/tokens", form)
    assert response.status_code == 422
    assert "Remove the control characters or line breaks." in response.text
    assert organizer.tokens == []


def test_a_token_label_is_trimmed_and_normalised(organizer_client, organizer):
    form = {"label": "  Cafe\u0301 script ", "read_events": "y", "days": "90"}
    assert _post(organizer_client, "/manage/account/tokens", form).status_code == 200
    assert [token.label for token in organizer.tokens] == ["Caf\u00e9 script"]


def test_api_tokens_are_shown_once_and_can_be_revoked(organizer_client, organizer):
    form = {"label": "website", "read_events": "y", "write_events": "y", "days": "90"}
    page = _post(organizer_client, "/manage/account/tokens", form).text
    secret = re.search(r'<code class="token">([^<]+)</code>', page).group(1)
    assert find_api_token(secret).organizer == organizer
    listing = organizer_client.get("/manage/account/tokens").text
    assert secret not in listing and "website" in listing
    token = organizer.tokens[0]
    _post(
        organizer_client,
        f"/manage/account/tokens/{token.id}/revoke",
        form_url="/manage/account/tokens",
    )
    assert find_api_token(secret) is None
    assert [entry.action for entry in event_history(create_event())] == []
