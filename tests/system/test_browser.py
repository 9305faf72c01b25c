"""The public pages in a real browser: accessibility (axe-core), keyboard, phone width, and the
reader's own time zone."""

from __future__ import annotations

import pytest

from portal.i18n import LANGUAGES
from tests.system.browsing import CHROMIUM, require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LAUNCH = "gcm-biennial-report-launch-2020"

require_chromium()

from axe_playwright_python.sync_playwright import Axe  # noqa: E402


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    "path",
    [
        "/",
        f"/events/{LAUNCH}/",
        "/events/country-networks-briefing/",
        "/events/no-such-event/",
        "/events/country-networks-briefing/register",
        "/privacy",
        "/privacy?event=country-networks-briefing",
        "/registrations/deleted",
    ],
)
def test_pages_have_no_accessibility_violations(live_server, page_in, lang, path):
    page = page_in()
    page.goto(f"{live_server}/{lang}{path}")
    results = Axe().run(
        page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]}
    )
    assert results.violations_count == 0, results.generate_report()


def test_skip_link_is_the_first_stop_and_visible_on_focus(live_server, page_in):
    page = page_in()
    page.goto(f"{live_server}/fr/events/{LAUNCH}/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Aller au contenu principal"
    box = page.locator(".skip-link").bounding_box()
    assert box is not None and box["y"] >= 0, "the focused skip link must be on screen"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


@pytest.mark.parametrize(
    "path", ["/fr/", f"/fr/events/{LAUNCH}/", "/fr/events/country-networks-briefing/register"]
)
def test_pages_fit_a_phone_screen(live_server, page_in, path):
    page = page_in(
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page.goto(f"{live_server}{path}")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def test_readers_in_another_zone_also_see_their_own_time(live_server, page_in):
    page = page_in(timezone_id="America/New_York", locale="fr-FR")
    page.goto(f"{live_server}/fr/events/{LAUNCH}/")
    slot = page.locator("[data-local-time]")
    # 15:00 in Geneva on 1 December 2020 is 09:00 in New York.
    assert slot.is_visible()
    assert "Dans votre fuseau horaire" in slot.inner_text()
    assert "mardi 1er décembre 2020, 09:00–10:30" in slot.inner_text()


def test_readers_in_the_events_zone_see_no_duplicate_time(live_server, page_in):
    page = page_in(timezone_id="Europe/Paris")  # same offset as Geneva
    page.goto(f"{live_server}/en/events/{LAUNCH}/")
    assert not page.locator("[data-local-time]").is_visible()


@pytest.fixture
def signed_in_page(live_server, page_in, app):
    from portal.demo import reset_demo_organizer

    app.config["SESSION_COOKIE_SECURE"] = False  # the test server speaks plain http
    email, password = reset_demo_organizer()
    page = page_in()
    page.goto(f"{live_server}/manage/")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert page.url == f"{live_server}/manage/"
    return page


@pytest.mark.parametrize(
    "path",
    [
        "/manage/",
        "/manage/events/new",
        "/manage/events/country-networks-briefing/",
        "/manage/events/country-networks-briefing/edit",
        "/manage/events/country-networks-briefing/speakers",
        "/manage/events/country-networks-briefing/programme",
        "/manage/events/country-networks-briefing/streams",
        "/manage/organizers/",
        "/manage/account",
        "/manage/account/tokens",
        "/manage/events/country-networks-briefing/registrations",
        "/manage/events/country-networks-briefing/questions",
        "/manage/events/country-networks-briefing/check-in",
        "/manage/events/country-networks-briefing/registrations/{registration}/erase",
        "/manage/events/country-networks-briefing/check-in/log",
        "/manage/events/country-networks-briefing/figures",
        "/manage/events/country-networks-briefing/registrations/import",
        "/manage/events/country-networks-briefing/messages/new",
        "/manage/events/country-networks-briefing/reminders",
    ],
)
def test_back_office_pages_have_no_accessibility_violations(live_server, signed_in_page, path):
    if "{registration}" in path:
        path = path.format(registration=_confirmed_delegate().id)
    signed_in_page.goto(f"{live_server}{path}")
    results = Axe().run(
        signed_in_page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]}
    )
    assert results.violations_count == 0, results.generate_report()


def test_a_form_with_errors_stays_accessible_and_links_to_each_field(live_server, signed_in_page):
    page = signed_in_page
    page.goto(f"{live_server}/manage/events/new")
    page.fill("#slug", "Not A Slug")
    page.fill("#starts_at", "2027-03-30T15:00")
    page.fill("#ends_at", "2027-03-30T14:00")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert summary.locator("a").count() == 4  # English title, end, venue, address
    results = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21aa"]})
    assert results.violations_count == 0, results.generate_report()
    summary.locator("a[href='#slug']").click()
    assert page.evaluate("document.activeElement.id") == "slug"


# --- Check-in ---------------------------------------------------------------------------------

BRIEFING = "country-networks-briefing"


def _confirmed_delegate(slug: str = BRIEFING, token: str | None = None):
    """A confirmed registration for a demo event (whose registration may not be open yet),
    reachable at /<lang>/registrations/<token>/ when `token` is given."""
    import secrets

    from portal.events.services import get_event
    from portal.extensions import db
    from portal.registration.models import (
        Attendance,
        ParticipantCategory,
        PersonalLink,
        Registration,
        RegistrationState,
    )
    from portal.registration.privacy import NOTICE_VERSION
    from portal.registration.services import hash_token
    from portal.timeutil import now_utc

    registration = Registration(
        event=get_event(slug),
        links=[PersonalLink(token_hash=hash_token(token or secrets.token_urlsafe(32)))],
        state=RegistrationState.CONFIRMED,
        attendance=Attendance.IN_PERSON,
        email="aicha@example.org",
        email_normalized="aicha@example.org",
        given_name="Aïcha",
        family_name="Benali",
        category=ParticipantCategory.MEMBER_STATE,
        language="en",
        consented_at=now_utc(),
        consent_version=NOTICE_VERSION,
        consent_language="en",
    )
    db.session.add(registration)
    db.session.commit()
    return registration


def test_the_preview_of_a_message_and_its_errors_are_accessible(live_server, signed_in_page):
    _confirmed_delegate()
    page = signed_in_page
    page.goto(f"{live_server}/manage/events/{BRIEFING}/messages/new")
    page.click("main form button[value=preview]")
    page.wait_for_load_state()
    assert page.locator(".error-summary").is_visible()  # no English subject or body
    axe = {"runOnly": ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]}
    results = Axe().run(page, options=axe)
    assert results.violations_count == 0, results.generate_report()
    page.fill("#subject_en", "Room change")
    page.fill("#body_en", "The meeting moves to Room XX.\n\nPlease bring your badge.")
    page.click("main form button[value=preview]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Check the message before sending it"
    assert "It will be sent to 1 person." in page.locator("main").inner_text()
    results = Axe().run(page, options=axe)
    assert results.violations_count == 0, results.generate_report()


def test_a_typed_code_checks_in_and_the_page_stays_accessible(live_server, signed_in_page):
    registration = _confirmed_delegate()
    code = registration.checkin_code
    page = signed_in_page
    page.goto(f"{live_server}/manage/events/{BRIEFING}/check-in")
    page.fill("#code", f"{code[:4].lower()} {code[4:]}")
    page.click("#code-form button[type=submit]")
    page.wait_for_load_state()
    assert "Aïcha Benali is checked in" in page.locator(".flashes").inner_text()
    page.fill("#q", "benali")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_selector(f"#registration-{registration.id}", state="visible")
    results = Axe().run(
        page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]}
    )
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_registrants_page_with_its_qr_code_is_accessible(live_server, page_in, lang):
    token = "a-personal-token-for-the-browser-test"
    _confirmed_delegate(token=token)
    page = page_in()
    page.goto(f"{live_server}/{lang}/registrations/{token}/")
    assert page.locator("svg.checkin-qr[role=img]").is_visible()
    results = Axe().run(
        page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]}
    )
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_registrants_deletion_page_is_accessible(live_server, page_in, lang):
    token = "a-personal-token-for-the-deletion-test"
    _confirmed_delegate(token=token)
    page = page_in()
    page.goto(f"{live_server}/{lang}/registrations/{token}/delete")
    assert page.locator("main form button[type=submit]").is_visible()
    results = Axe().run(
        page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]}
    )
    assert results.violations_count == 0, results.generate_report()


def _qr_video(path, code: str) -> None:
    """A Y4M video (what Chromium's fake camera plays) of a page showing `code`'s QR code."""
    import io

    from PIL import Image

    from portal.registration.qr import qr_png

    png, size = qr_png(code)
    frame = Image.new("L", (640, 480), 255)
    frame.paste(Image.open(io.BytesIO(png)).convert("L"), ((640 - size) // 2, (480 - size) // 2))
    chroma = bytes([128]) * (320 * 240)
    with open(path, "wb") as video:
        video.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(3):
            video.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)


def test_the_camera_scanner_checks_in_the_code_it_sees(live_server, app, browser, tmp_path):
    """Through the real Content-Security-Policy and Permissions-Policy, a (fake) camera
    pointed at a confirmation's QR code checks the person in."""
    from portal.demo import reset_demo_organizer
    from portal.extensions import db
    from portal.registration.models import Registration

    registration = _confirmed_delegate()
    video = tmp_path / "qr.y4m"
    _qr_video(video, registration.checkin_code)
    app.config["SESSION_COOKIE_SECURE"] = False
    email, password = reset_demo_organizer()
    # A browser of its own, whose fake camera films the QR code; no CSP bypass here.
    camera_browser = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        page = camera_browser.new_context(permissions=["camera"]).new_page()
        problems = []
        page.on(
            "console", lambda message: message.type == "error" and problems.append(message.text)
        )
        code_posts = []
        page.on(
            "request",
            lambda request: (
                request.method == "POST"
                and request.url.endswith("/check-in/code")
                and code_posts.append(request.url)
            ),
        )
        page.goto(f"{live_server}/manage/")
        page.fill("#email", email)
        page.fill("#password", password)
        page.click("main button[type=submit]")
        page.wait_for_load_state()
        page.goto(f"{live_server}/manage/events/{BRIEFING}/check-in")
        page.click("[data-scanner-start]")
        page.wait_for_selector(".flash--success", timeout=15000)
        assert "Aïcha Benali is checked in" in page.locator(".flashes").inner_text()
        # Scanning resumes after the reload with the same badge still in view: it must not
        # send that code again (which would replace the success with "already checked in").
        page.wait_for_selector("[data-scanner-video]:not([hidden])")
        page.wait_for_timeout(1500)
        assert code_posts == [f"{live_server}/manage/events/{BRIEFING}/check-in/code"]
        assert "Aïcha Benali is checked in" in page.locator(".flashes").inner_text()
        assert not problems, problems
    finally:
        camera_browser.close()
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).checked_in_at is not None


def _axe_violations(page) -> tuple[int, str]:
    results = Axe().run(
        page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]}
    )
    return results.violations_count, results.generate_report()


def test_figures_log_and_import_check_stay_accessible_with_data(
    live_server, signed_in_page, tmp_path
):
    registration = _confirmed_delegate()
    page = signed_in_page
    page.goto(f"{live_server}/manage/events/{BRIEFING}/check-in")
    page.fill("#code", registration.checkin_code)
    page.click("#code-form button[type=submit]")
    page.wait_for_load_state()

    page.goto(f"{live_server}/manage/events/{BRIEFING}/check-in/log")
    assert page.locator("main table tbody tr").count() == 1
    count, report = _axe_violations(page)
    assert count == 0, report

    page.goto(f"{live_server}/manage/events/{BRIEFING}/figures")
    assert page.locator("svg[role=img]").count() == 5
    for summary in page.locator("details.chart__data summary").all():
        summary.click()
    count, report = _axe_violations(page)
    assert count == 0, report

    page.goto(f"{live_server}/manage/events/{BRIEFING}/")
    count, report = _axe_violations(page)
    assert count == 0, report

    people = tmp_path / "people.csv"
    people.write_text(
        "Given name,Family name,Email,Participant category,Attendance\r\n"
        "Amina,Diallo,amina@example.org,Member State,In person\r\n"
        "Bad,Row,not-an-address,Astronaut,In person\r\n"
        "Again,Aïcha,AICHA@example.org,Media,In person\r\n",
        encoding="utf-8-sig",
    )
    page.goto(f"{live_server}/manage/events/{BRIEFING}/registrations/import")
    page.set_input_files("#file", str(people))
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#errors-heading").is_visible()
    count, report = _axe_violations(page)
    assert count == 0, report
