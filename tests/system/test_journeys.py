"""A delegate's whole visit, in a real browser, in each of the six languages and at phone and
desktop widths: find the event, register (a first attempt with errors), open the personal page
from the confirmation email, open the live page and switch the stream. Each step is
photographed into tests/artifacts/screenshots/ (git-ignored, kept by CI), and every Arabic
page is checked with axe-core."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal.i18n import LANGUAGES
from tests.system.browsing import SCREENSHOTS, require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]

require_chromium()

from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

BRIEFING = "country-networks-briefing"
VIEWPORTS = {
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}
AXE_RULES = {"runOnly": ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]}


class Journey:
    """One visit: takes each step's screenshot and, for Arabic, checks it with axe."""

    def __init__(self, page, lang: str, width: str) -> None:
        self.page = page
        self.lang = lang
        self.width = width
        self.folder = Path(SCREENSHOTS)
        self.folder.mkdir(parents=True, exist_ok=True)

    def step(self, name: str) -> None:
        page = self.page
        direction = "rtl" if self.lang == "ar" else "ltr"
        assert page.locator("html").get_attribute("lang") == self.lang, name
        assert page.locator("html").get_attribute("dir") == direction, name
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name}: the page is wider than the screen"
        path = self.folder / f"{self.lang}-{self.width}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if self.lang == "ar":
            results = Axe().run(page, options=AXE_RULES)
            assert results.violations_count == 0, f"{name}: {results.generate_report()}"


def _personal_link(email: str) -> str:
    from portal.extensions import db
    from tests.mail.helpers import outbox

    db.session.rollback()  # see what the server's requests committed
    (message,) = outbox(email)
    return re.search(r"/\w\w/registrations/[\w-]+/", message.text_body).group()


@pytest.mark.parametrize("width", VIEWPORTS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_delegate_finds_registers_and_follows_the_event(
    app, live_server, page_in, lang, width
):
    app.config["REGISTRATION_RATE_LIMIT"] = "1000 per minute"
    page = page_in(**VIEWPORTS[width], locale={"zh": "zh-CN", "ar": "ar-EG"}.get(lang, lang))
    journey = Journey(page, lang, width)

    page.goto(f"{live_server}/")
    assert page.url == f"{live_server}/{lang}/", "the browser's language chooses the site's"
    journey.step("1-index")

    page.click(f"a[href='/{lang}/events/{BRIEFING}/']")
    page.wait_for_url(f"{live_server}/{lang}/events/{BRIEFING}/")
    switcher = page.locator("nav.languages a")
    expect(switcher).to_have_count(6)
    assert [switcher.nth(i).get_attribute("hreflang") for i in range(6)] == list(LANGUAGES)
    journey.step("2-event")

    page.click(f"a.button[href='/{lang}/events/{BRIEFING}/register']")
    page.wait_for_url(f"{live_server}/{lang}/events/{BRIEFING}/register")
    journey.step("3-form")

    page.click("main form button[type=submit]")
    expect(page.locator(".error-summary")).to_be_visible()
    journey.step("4-form-errors")

    email = f"delegate-{lang}-{width}@example.org"
    page.fill("#given_name", "Sylvia")
    page.fill("#family_name", "Lopez-Ekra")
    page.fill("#email", email)
    page.fill("#organization", "United Nations Network on Migration")
    page.select_option("#country", "MA")
    page.select_option("#category", "un_system")
    page.check("#attendance-0")
    page.select_option("#language", lang)
    page.check("#consent")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server}/{lang}/events/{BRIEFING}/register/sent")
    journey.step("5-sent")

    page.goto(live_server + _personal_link(email))
    assert email in page.locator("main").inner_text()
    journey.step("6-personal-page")

    page.goto(f"{live_server}/{lang}/events/{BRIEFING}/live")
    streams = page.locator("nav ul.streams a")
    assert streams.count() == 6
    current = page.locator("nav ul.streams a[aria-current=page]").get_attribute("hreflang")
    assert current == lang, "the stream in the reader's language comes first"
    other = "en" if lang != "en" else "fr"
    page.click(f"nav ul.streams a[hreflang={other}]")
    page.wait_for_url(f"{live_server}/{lang}/events/{BRIEFING}/live?stream={other}")
    chosen = page.locator("nav ul.streams a[aria-current=page]")
    assert chosen.get_attribute("hreflang") == other
    journey.step("7-live-switched")


def test_the_arabic_privacy_notice_is_accessible(live_server, page_in):
    page = page_in()
    page.goto(f"{live_server}/ar/privacy")
    assert page.locator("html").get_attribute("dir") == "rtl"
    results = Axe().run(page, options=AXE_RULES)
    assert results.violations_count == 0, results.generate_report()


def test_arabic_pages_lay_out_from_the_right(live_server, page_in):
    """The mirroring itself: the brand starts on the right, the card's rule is on its right."""
    page = page_in(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server}/ar/")
    width = page.evaluate("window.innerWidth")
    brand = page.locator(".brand").bounding_box()
    assert brand["x"] > width / 2
    border = page.evaluate(
        "getComputedStyle(document.querySelector('.event-card')).borderRightWidth"
    )
    assert border == "4px"
