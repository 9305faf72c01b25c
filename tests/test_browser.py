"""The public pages in a real browser: accessibility (axe-core), keyboard, phone width, and the
reader's own time zone."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
LAUNCH = "gcm-biennial-report-launch-2020"

if not shutil.which(CHROMIUM):
    if os.environ.get("CI"):
        raise RuntimeError(f"browser tests need Debian's chromium at {CHROMIUM}")
    pytest.skip(
        "Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True
    )

from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402


@pytest.fixture
def live_server(app, runner, frozen_now) -> Iterator[str]:
    runner.invoke(args=["seed-demo"])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page_in(browser):
    contexts = []

    def open_page(**context_options):
        context = browser.new_context(bypass_csp=True, **context_options)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
@pytest.mark.parametrize(
    "path",
    [
        "/",
        f"/events/{LAUNCH}/",
        "/events/country-networks-briefing/",
        "/events/no-such-event/",
        "/events/country-networks-briefing/register",
        "/privacy",
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
        "/manage/events/country-networks-briefing/streams",
        "/manage/organizers/",
        "/manage/account",
        "/manage/account/tokens",
        "/manage/events/country-networks-briefing/registrations",
        "/manage/events/country-networks-briefing/questions",
    ],
)
def test_back_office_pages_have_no_accessibility_violations(live_server, signed_in_page, path):
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
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert summary.locator("a").count() == 4  # English title, end, venue, address
    results = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21aa"]})
    assert results.violations_count == 0, results.generate_report()
    summary.locator("a[href='#slug']").click()
    assert page.evaluate("document.activeElement.id") == "slug"
