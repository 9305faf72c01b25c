"""The registrations list with 2,000 registrations in a real browser: it fits a laptop screen
and a phone without scrolling sideways, and axe-core finds nothing. Screenshots go to the
git-ignored ``artefacts/`` folder, to be looked at."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from werkzeug.serving import make_server

from portal.events.models import EventFormat, Question, QuestionKind
from portal.extensions import db
from portal.registration.models import (
    Attendance,
    ParticipantCategory,
    Registration,
    RegistrationState,
)
from portal.registration.privacy import NOTICE_VERSION
from portal.timeutil import now_utc
from tests.factories import create_event, create_organizer
from tests.system.servers import ROOT, read_whole

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARTEFACTS = ROOT / "artefacts"
PASSWORD = "correct horse battery"

if not shutil.which(CHROMIUM):
    if os.environ.get("CI"):
        raise RuntimeError(f"browser tests need Debian's chromium at {CHROMIUM}")
    pytest.skip(
        "Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True
    )

from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

#: Long names and organizations, as a review forum's list holds them.
ORGANIZATIONS = [
    "Permanent Mission of the Plurinational State of Bolivia to the United Nations Office",
    "Mission permanente de la République démocratique du Congo",
    "International Organization for Migration",
    "Université Cheikh Anta Diop de Dakar, Faculté des sciences juridiques et politiques",
    "",
]
COUNTRIES = ["BO", "CD", "GB", "SN", "MA", "DE", "", "VE"]
STATES = [
    RegistrationState.CONFIRMED,
    RegistrationState.CONFIRMED,
    RegistrationState.WAITLISTED,
    RegistrationState.PENDING,
    RegistrationState.CANCELLED,
]


@pytest.fixture
def crowded_event(app):
    """An event with 2,000 registrations, written straight to the database (the services
    would take minutes), and its organizer."""
    organizer = create_organizer("list@example.org", password=PASSWORD)
    event = create_event(managers=[organizer], format=EventFormat.HYBRID, capacity_in_person=800)
    event.questions = [
        Question(
            position=0,
            kind=QuestionKind.SINGLE_CHOICE,
            label={"en": "Meal", "fr": "Repas", "es": "Comida"},
            choices=[
                {"value": "veg", "label": {"en": "Vegetarian", "fr": "Végétarien"}},
                {"value": "any", "label": {"en": "Anything", "fr": "Indifférent"}},
            ],
        ),
        Question(position=1, kind=QuestionKind.CHECKBOX, label={"en": "Press?"}),
    ]
    db.session.flush()
    meal, press = (str(question.id) for question in event.questions)
    categories = list(ParticipantCategory)
    start = now_utc() - timedelta(days=30)
    for number in range(2000):
        db.session.add(
            Registration(
                event_id=event.id,
                state=STATES[number % len(STATES)],
                attendance=Attendance.ONLINE if number % 3 else Attendance.IN_PERSON,
                email=f"delegate{number}@example.org",
                email_normalized=f"delegate{number}@example.org",
                given_name=["Élodie", "María José", "Oluwaseun", "Jean-Baptiste"][number % 4],
                family_name=f"Rakotomalala-Andrianarivo {number}",
                organization=ORGANIZATIONS[number % len(ORGANIZATIONS)],
                country=COUNTRIES[number % len(COUNTRIES)],
                category=categories[number % len(categories)],
                language=["en", "fr", "es"][number % 3],
                accessibility_needs="Wheelchair access to the room" if number % 7 == 0 else "",
                consented_at=start,
                consent_version=NOTICE_VERSION,
                consent_language="en",
                answers={meal: "veg" if number % 2 else "any", press: number % 5 == 0},
                queued_at=start + timedelta(minutes=number),
                created_at=start + timedelta(minutes=number),
                checked_in_at=start if number % 11 == 0 else None,
            )
        )
    db.session.commit()
    return event, organizer


@pytest.fixture
def live_server(app, crowded_event) -> Iterator[str]:
    app.config["SESSION_COOKIE_SECURE"] = False  # the test server speaks plain http
    server = make_server("127.0.0.1", 0, read_whole(app), threaded=True)
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
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def _signed_in(browser, live_server, organizer, **context_options):
    context = browser.new_context(bypass_csp=True, **context_options)
    page = context.new_page()
    page.goto(f"{live_server}/manage/login")
    page.fill("#email", organizer.email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert page.url == f"{live_server}/manage/"
    return context, page


def _no_violations(page) -> None:
    results = Axe().run(
        page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]}
    )
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize(
    ("name", "viewport", "mobile"),
    [("1280", {"width": 1280, "height": 800}, False), ("390", {"width": 390, "height": 844}, True)],
)
def test_the_list_of_2000_fits_the_screen_and_is_accessible(
    browser, live_server, crowded_event, name, viewport, mobile
):
    event, organizer = crowded_event
    context, page = _signed_in(
        browser, live_server, organizer, viewport=viewport, is_mobile=mobile, has_touch=mobile
    )
    try:
        url = f"{live_server}/manage/events/{event.slug}/registrations"
        page.goto(f"{url}?sort=name&page=3")
        assert page.locator("tbody tr").count() == 50
        assert "101–150 of 2,000" in page.locator(".list-range").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.locator("details").first.locator("summary").click()  # a row's details, open
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        ARTEFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTEFACTS / f"registrations-{name}.png", full_page=True)
        _no_violations(page)

        page.goto(f"{url}?q=ELODIE&category=member_state&accessibility=yes")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        _no_violations(page)

        page.locator("#scope-all").check()
        page.select_option("#bulk-action", "approve")
        page.click("#bulk-form button[type=submit]")
        page.wait_for_load_state()
        assert "people chosen" in page.locator("h1").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=ARTEFACTS / f"registrations-bulk-{name}.png", full_page=True)
        _no_violations(page)
    finally:
        context.close()
