"""The live page: players by stream address, the broadcast's status, the language picker,
and its own Content-Security-Policy."""

from __future__ import annotations

import re
import shutil
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from werkzeug.serving import make_server

from portal.events.models import EventStatus
from portal.events.streams import BroadcastStatus, Player, PlayerKind, broadcast_status, player_for
from portal.web.security import CONTENT_SECURITY_POLICY
from tests.factories import create_event
from tests.system.servers import read_whole

NOCOOKIE = "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
KALTURA = (
    "https://cdnapisec.kaltura.com/p/2503451/sp/250345100/embedIframeJs/uiconf_id/43288482"
    "/partner_id/2503451?iframeembed=true&entry_id=1_abcdefgh"
)
PLAYKIT = "https://cdnapisec.kaltura.com/p/2503451/embedPlaykitJs/uiconf_id/49148882?entry_id=1_x"
HLS_EN = "https://cdn.example.org/live/en.m3u8"
HLS_ES = "https://media.example.net:8443/es/index.m3u8?token=abc"
CHROMIUM = "/usr/bin/chromium"
STREAMS = {
    "fr": "https://www.youtube.com/watch?v=fr_aaaaaaaa",
    "en": "https://youtu.be/en_aaaaaaaa",
    "es": "https://www.youtube.com/live/es_aaaaaaaa",
}

@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://youtube.com/watch?feature=share&v=dQw4w9WgXcQ&t=42",
        "https://m.youtube.com/watch?v=dQw4w9WgXcQ",
        "http://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://youtu.be/dQw4w9WgXcQ",
        "https://youtu.be/dQw4w9WgXcQ?si=abc",
        "https://www.youtube.com/live/dQw4w9WgXcQ",
        "https://www.youtube.com/live/dQw4w9WgXcQ?feature=shared",
        "https://www.youtube.com/embed/dQw4w9WgXcQ",
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
    ],
)
def test_youtube_addresses_play_in_the_nocookie_embed(url):
    assert player_for(url) == Player(PlayerKind.IFRAME, NOCOOKIE)


@pytest.mark.parametrize("url", [KALTURA, PLAYKIT])
def test_kaltura_iframe_embeds_play_as_they_are(url):
    assert player_for(url) == Player(PlayerKind.IFRAME, url)


@pytest.mark.parametrize(
    ("url", "src"),
    [
        (HLS_EN, HLS_EN),
        ("https://cdn.example.org/live/EN.M3U8#frag", "https://cdn.example.org/live/EN.M3U8"),
        (HLS_ES, HLS_ES),
    ],
)
def test_hls_playlists_play_in_a_video_element(url, src):
    assert player_for(url) == Player(PlayerKind.HLS, src)


@pytest.mark.parametrize(
    "url",
    [
        "https://webtv.un.org/en/asset/k1x/k1xq4ux3qs",
        "https://media.un.org/en/asset/k1x/k1xq4ux3qs",
        "https://cdnapisec.kaltura.com/index.php/extwidget/preview/partner_id/2503451",
        "http://cdnapisec.kaltura.com/p/2503451/embedPlaykitJs/uiconf_id/1",
        "https://evil.example.org/p/2503451/embedPlaykitJs/uiconf_id/1",
        "http://cdn.example.org/live/en.m3u8",
        "https://cdn.example.org/live/en.m3u8.html",
        "https://www.youtube.com/watch?v=short",
        "https://www.youtube.com/channel/UCabcdefghijk",
        "https://youtu.be.example.org/dQw4w9WgXcQ",
        "https://zoom.us/j/123456789",
        "javascript:alert(1)//.m3u8",
        "https://[::1/x.m3u8",
        "https://host:notaport/x.m3u8",
    ],
)
def test_anything_else_is_only_linked_to(url):
    assert player_for(url) == Player(PlayerKind.LINK)


START = datetime(2026, 11, 9, 14, 0, tzinfo=UTC)
END = START + timedelta(hours=2)
SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("moment", "status"),
    [
        (START - timedelta(days=1), BroadcastStatus.UPCOMING),
        (START - SECOND, BroadcastStatus.UPCOMING),
        (START, BroadcastStatus.LIVE),
        (END - SECOND, BroadcastStatus.LIVE),
        (END, BroadcastStatus.ENDED),
        (END + timedelta(days=400), BroadcastStatus.ENDED),
    ],
)
def test_the_broadcast_is_live_from_its_start_until_its_end(moment, status):
    assert broadcast_status(START, END, moment) is status


def test_a_cancelled_broadcast_is_cancelled_at_any_moment():
    for moment in (START - SECOND, START, END):
        assert broadcast_status(START, END, moment, cancelled=True) is BroadcastStatus.CANCELLED


# --- The page --------------------------------------------------------------------------------


def _current(html: str) -> str:
    """The language of the stream picker's current link."""
    picker = re.search(r'<nav aria-label="[^"]*">\s*<ul class="streams">(.*?)</nav>', html, re.S)
    assert picker, "no stream picker"
    match = re.search(r'hreflang="(\w+)"[^>]*\s+aria-current="page"[^>]*>', picker.group(1))
    assert match, "no current stream in the picker"
    return match.group(1)


def _iframe_src(html: str) -> str | None:
    match = re.search(r'<iframe[^>]*\ssrc="([^"]+)"', html)
    return match and match.group(1)


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_the_default_stream_is_in_the_readers_language(client, app, frozen_now, lang):
    event = create_event(streams=STREAMS)
    response = client.get(f"/{lang}/events/{event.slug}/live")
    assert response.status_code == 200
    assert _current(response.text) == lang
    assert _iframe_src(response.text) == f"https://www.youtube-nocookie.com/embed/{lang}_aaaaaaaa"


def test_without_a_stream_in_the_readers_language_the_first_one_plays(client, app, frozen_now):
    event = create_event(streams={"ru": HLS_EN, "zh": KALTURA})
    response = client.get(f"/fr/events/{event.slug}/live")
    assert _current(response.text) == "zh"
    assert _iframe_src(response.text) == KALTURA.replace("&", "&amp;")


def test_the_picker_lists_languages_in_un_order_by_their_own_names(client, app, frozen_now):
    event = create_event(streams={"ru": HLS_EN, "fr": HLS_EN, "ar": HLS_EN, "es": HLS_EN})
    html = client.get(f"/en/events/{event.slug}/live").text
    nav = re.search(r'<nav aria-label="Language of the stream">(.*?)</nav>', html, re.S)
    assert nav
    links = re.findall(r'href="([^"]+)" hreflang="(\w+)" lang="\w+"\s*[^>]*>([^<]+)<', nav[1])
    assert [(hreflang, name) for _, hreflang, name in links] == [
        ("es", "Español"),
        ("fr", "Français"),
        ("ar", "العربية"),
        ("ru", "Русский"),
    ]
    assert links[0][0] == f"/en/events/{event.slug}/live?stream=es"


def test_the_chosen_stream_is_in_the_url(client, app, frozen_now):
    event = create_event(streams=STREAMS)
    html = client.get(f"/en/events/{event.slug}/live?stream=es").text
    assert _current(html) == "es"
    assert _iframe_src(html) == "https://www.youtube-nocookie.com/embed/es_aaaaaaaa"
    assert 'href="https://www.youtube.com/live/es_aaaaaaaa" target="_blank"' in html
    # The interface language switcher keeps the chosen stream.
    assert f'href="/fr/events/{event.slug}/live?stream=es"' in html


@pytest.mark.parametrize("stream", ["de", "%00", "", "en%0d%0aX:1", "ES", "x" * 500])
def test_an_unknown_stream_falls_back_to_the_default(client, app, frozen_now, stream):
    event = create_event(streams=STREAMS)
    response = client.get(f"/fr/events/{event.slug}/live?stream={stream}")
    assert response.status_code == 200
    assert _current(response.text) == "fr"


def test_an_hls_stream_plays_in_a_video_with_a_link_beside_it(client, app, frozen_now):
    event = create_event(streams={"en": HLS_EN})
    html = client.get(f"/en/events/{event.slug}/live").text
    assert re.search(rf'<video[^>]*\ssrc="{re.escape(HLS_EN)}"[^>]*\scontrols', html)
    assert "vendor/hls.js/hls.light.min.js" in html
    assert f'<a href="{HLS_EN}" target="_blank"' in html
    assert "Open the stream in a new window" in html


def test_a_stream_that_cannot_be_embedded_is_only_linked(client, app, frozen_now):
    event = create_event(streams={"en": "https://webtv.un.org/en/asset/k1x/k1xq4ux3qs"})
    html = client.get(f"/en/events/{event.slug}/live").text
    assert "<iframe" not in html and "<video" not in html
    assert "hls.light.min.js" not in html
    assert 'href="https://webtv.un.org/en/asset/k1x/k1xq4ux3qs" target="_blank"' in html


def test_the_iframe_has_a_title(client, app, frozen_now):
    event = create_event(streams=STREAMS)
    html = client.get(f"/fr/events/{event.slug}/live?stream=es").text
    assert re.search(r'<iframe[^>]*\stitle="[^"]*Événement \d+[^"]*espagnol"', html)


def test_an_upcoming_event_shows_its_time_in_its_zone_and_a_countdown_slot(client, app, frozen_now):
    # Monday 9 November 2026, 14:00 UTC is 15:00 in Geneva.
    event = create_event(starts_at=START, streams=STREAMS)
    html = client.get(f"/fr/events/{event.slug}/live").text
    assert "lundi 9 novembre 2026" in html and "15:00" in html
    assert f'data-countdown\n       data-start="{START.isoformat()}"' in html
    assert "Live now" not in html


def test_a_live_event_says_so(client, app, frozen_now):
    event = create_event(starts_at=frozen_now - timedelta(minutes=30), streams=STREAMS)
    html = client.get(f"/en/events/{event.slug}/live").text
    assert "Live now" in html
    assert "data-countdown" not in html
    assert _iframe_src(html)


def test_an_ended_event_says_so(client, app, frozen_now):
    event = create_event(starts_at=frozen_now - timedelta(hours=2), streams=STREAMS)
    html = client.get(f"/en/events/{event.slug}/live").text
    assert "This event has taken place." in html
    assert "Live now" not in html and "data-countdown" not in html


def test_a_cancelled_event_shows_no_player(client, app, frozen_now):
    event = create_event(status=EventStatus.CANCELLED, streams=STREAMS)
    response = client.get(f"/en/events/{event.slug}/live")
    assert response.status_code == 200
    assert "This event has been cancelled." in response.text
    assert "<iframe" not in response.text
    assert "youtube" not in response.text


def test_a_draft_is_not_found(client, app, frozen_now):
    event = create_event(status=EventStatus.DRAFT, streams=STREAMS)
    assert client.get(f"/en/events/{event.slug}/live").status_code == 404
    assert client.get("/en/events/No_Such_Slug/live").status_code == 404


def test_the_event_page_links_to_the_live_page(client, app, frozen_now):
    event = create_event(streams=STREAMS)
    html = client.get(f"/fr/events/{event.slug}/").text
    assert f'href="/fr/events/{event.slug}/live"' in html


# --- Content-Security-Policy -----------------------------------------------------------------


def _directives(policy: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


def test_the_live_page_allows_exactly_its_players(client, app, frozen_now):
    event = create_event(streams={"en": HLS_EN, "es": HLS_ES, "fr": STREAMS["fr"], "ar": HLS_EN})
    response = client.get(f"/en/events/{event.slug}/live")
    directives = _directives(response.headers["Content-Security-Policy"])
    assert directives == {
        **_directives(CONTENT_SECURITY_POLICY),
        "frame-src": "https://www.youtube-nocookie.com https://cdnapisec.kaltura.com",
        "media-src": "'self' blob: https://cdn.example.org https://media.example.net:8443",
        "connect-src": "'self' https://cdn.example.org https://media.example.net:8443",
    }
    assert response.headers.getlist("Content-Security-Policy") == [
        response.headers["Content-Security-Policy"]
    ]


def test_without_hls_the_live_page_allows_media_from_itself_only(client, app, frozen_now):
    event = create_event(streams=STREAMS)
    directives = _directives(
        client.get(f"/en/events/{event.slug}/live").headers["Content-Security-Policy"]
    )
    assert directives["media-src"] == "'self' blob:"
    assert directives["connect-src"] == "'self'"


def test_other_pages_keep_the_default_policy(client, app, frozen_now):
    event = create_event(streams={"en": HLS_EN})
    for path in ("/en/", f"/en/events/{event.slug}/", "/en/events/no-such-event/live"):
        response = client.get(path)
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert "frame-src" not in CONTENT_SECURITY_POLICY


# --- In a browser ----------------------------------------------------------------------------


@pytest.fixture
def live_page(app, frozen_now):
    """Serve the app and open a Chromium page that enforces the page's own CSP."""
    if not shutil.which(CHROMIUM):
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    server = make_server("127.0.0.1", 0, read_whole(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(timezone_id="America/New_York")
        page.clock.install(time=frozen_now)  # the page's clock agrees with the server's
        yield f"http://127.0.0.1:{server.server_port}", page
        browser.close()
    server.shutdown()
    thread.join()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_the_live_page_is_accessible_and_counts_down(live_page, lang):
    from axe_playwright_python.sync_playwright import Axe

    base, page = live_page
    event = create_event(
        starts_at=START, streams={"en": "https://stream.example.invalid/live/en.m3u8"}
    )
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and violations.append(message.text)
        ),
    )
    page.goto(f"{base}/{lang}/events/{event.slug}/live")
    countdown = page.locator("[data-countdown]")
    countdown.wait_for(state="visible")
    # From Monday noon UTC to Monday 9 November 14:00 UTC: 7 days and 2 hours.
    assert re.search(r"7\s(days|jours|días)", countdown.inner_text())
    assert page.locator("video[controls]").count() == 1
    results = Axe().run(
        page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]}
    )
    assert results.violations_count == 0, results.generate_report()
    assert violations == []


# --- Pages kept per process ------------------------------------------------------------------


def test_pages_are_kept_for_readers_without_a_session(client, app, frozen_now):
    from sqlalchemy import text

    from portal.extensions import db

    event = create_event(streams=STREAMS, title={"en": "Kept title"})
    for path in (f"/en/events/{event.slug}/", f"/en/events/{event.slug}/live"):
        first = client.get(path)
        assert "Kept title" in first.text and "Cookie" in first.headers["Vary"]
    # A change behind the ORM's back moves no version: the kept pages are served again.
    db.session.execute(text('UPDATE events SET title = \'{"en": "Sneaky"}\''))
    db.session.commit()
    for path in (f"/en/events/{event.slug}/", f"/en/events/{event.slug}/live"):
        again = client.get(path)
        assert "Kept title" in again.text and "Cookie" in again.headers["Vary"]
    assert "Sneaky" in client.get(f"/fr/events/{event.slug}/").text  # another address
    live = client.get(f"/en/events/{event.slug}/live")
    assert live.headers["Content-Security-Policy"].count("frame-src") == 1


def test_kept_pages_follow_every_change(client, app, frozen_now):
    from portal.events import services
    from portal.events.models import ProgrammeItem
    from portal.extensions import db
    from tests.factories import create_organizer, create_registration

    organizer = create_organizer()
    event = create_event(
        managers=[organizer],
        streams={"en": HLS_EN},
        capacity_in_person=1,
        waitlist_enabled=False,
        registration_closes_at=frozen_now + timedelta(hours=1),
    )
    page, live = f"/en/events/{event.slug}/", f"/en/events/{event.slug}/live"
    assert "Register" in client.get(page).text
    client.get(live)

    services.set_streams(event, organizer, {"en": HLS_ES})
    db.session.commit()
    assert HLS_ES in client.get(page).text and HLS_ES in client.get(live).text

    services.add_speaker(event, organizer, {"name": "Ana Diallo"})
    db.session.commit()
    assert "Ana Diallo" in client.get(page).text

    event.programme.append(ProgrammeItem(title={"en": "Opening remarks"}))
    db.session.commit()
    assert "Opening remarks" in client.get(page).text

    create_registration(event)  # the only seat
    assert "This event is full." in client.get(page).text

    with time_machine.travel(frozen_now + timedelta(hours=2), tick=False):
        assert "Registration is closed." in client.get(page).text


def test_readers_with_a_session_get_their_own_page(client, app, frozen_now):
    event = create_event(streams=STREAMS)
    client.get(f"/en/events/{event.slug}/register")  # a form token: the reader has a session
    assert client.get_cookie("session") is not None
    response = client.get(f"/en/events/{event.slug}/")
    assert response.status_code == 200 and "Cookie" in response.headers["Vary"]
