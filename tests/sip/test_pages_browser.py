"""End-to-end in Debian's chromium: a caseworker starts a SIP, records consent, writes the
plan (meeting a validation error on the way), revises it, compares the versions and makes
a link for the person; then a fresh browser opens the link, reads the plan and agrees.

Same set-up as ``tests/funding/test_funding_browser.py``: a temporary SQLite database,
``datasmart migrate``, ``datasmart data load``, two organisations and a caseworker made
with the CLI, ``runserver`` in a subprocess. Screenshots go to ``screenshots/sip-*.png``.
Run with ``-m browser``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from tests.browser_support import (
    BROWSER_MARKS,
    CHROMIUM,
    CHROMIUM_ARGS,
    CLI,
    MANAGE,
    SCREENSHOTS,
    running_platform,
)
from tests.sip.sip_support import CHILD_BIRTH, personnummer

pytestmark = BROWSER_MARKS

USERNAME = "handlaggare"
PASSWORD = "korrekt-hast-batteri-42"  # throwaway user in a temporary database
OWNER = "Kiruna kommun – socialtjänst"
BUP = "Region Norrbotten – BUP"

MAKE_ORGANISATIONS = f"""
from datasmart.accounts.models import Organisation
from datasmart.geo.models import Unit
unit = Unit.objects.get
Organisation.objects.create(name={OWNER!r}, kind="kommun_social", unit=unit(code="2584"))
Organisation.objects.create(name={BUP!r}, kind="region_bup", unit=unit(code="25"))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_platform(
        tmp_path_factory.mktemp("sip-browser"),
        [
            [*CLI, "migrate"],
            [*CLI, "data", "load", "--no-indicators"],
            [*MANAGE, "shell", "-c", MAKE_ORGANISATIONS],
            [
                *CLI,
                "users",
                "create",
                "--username",
                USERNAME,
                "--org",
                OWNER,
                "--role",
                "caseworker",
                "--password",
                PASSWORD,
            ],
        ],
        ready_path="/static/sip/sip.css",
    ) as url:
        yield url


def str_pk(page: object, organisation: str) -> str:
    """The value of ``organisation`` in the first organisation list on the page."""
    option = page.locator(  # type: ignore[attr-defined]
        "#id_participants-0-organisation option", has_text=organisation
    )
    return str(option.get_attribute("value"))


def test_caseworker_and_person(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    number = personnummer(CHILD_BIRTH, 123)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            staff = browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
            page = staff.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))

            # Sign in on the way to the list.
            page.goto(server + "/sip/")
            assert "/konto/" in page.url
            page.get_by_label("Användarnamn").fill(USERNAME)
            page.get_by_label("Lösenord").fill(PASSWORD)
            page.get_by_role("button", name="Logga in").click()
            page.wait_for_url(server + "/sip/")
            expect(page.get_by_role("link", name="SIP", exact=True)).to_have_attribute(
                "aria-current", "page"
            )

            # Start a SIP: a mistyped number first.
            page.get_by_role("link", name="Starta SIP").first.click()
            page.get_by_label("Nummer", exact=True).fill(number[:-1] + "0")
            page.get_by_label("Namn", exact=True).fill("Elsa Exempel")
            page.get_by_label("Upptäckt behov").fill(
                "Skolfrånvaro och sömnsvårigheter; behöver stöd från både kommun och BUP."
            )
            page.get_by_label("Ja", exact=True).check()
            page.get_by_role("button", name="Starta SIP").click()
            summary = page.locator(".error-summary")
            expect(summary).to_contain_text("fel kontrollsiffra")
            expect(summary).to_be_focused()
            summary.get_by_role("link").first.click()
            expect(page.get_by_label("Nummer", exact=True)).to_be_focused()
            page.get_by_label("Nummer", exact=True).fill(number)
            page.get_by_role("button", name="Starta SIP").click()
            expect(page.locator("h1")).to_have_text("SIP för Elsa Exempel")
            expect(page.get_by_text("SIP:en är startad")).to_be_visible()

            # Consent from the guardian, covering BUP.
            page.get_by_role("link", name="Registrera samtycke").click()
            page.get_by_label("Vårdnadshavare", exact=True).check()
            page.get_by_label("Vårdnadshavarens namn").fill("Per Exempel")
            page.get_by_label(BUP).check()
            page.get_by_role("button", name="Spara samtycket").click()
            expect(page.get_by_text("Vårdnadshavaren Per Exempel gav samtycke")).to_be_visible()

            # Invite BUP and the guardian (both suggested from the consent) to the first meeting.
            page.get_by_role("link", name="Bjud in till möte").click()
            expect(page.locator("#id_participants-0-organisation")).to_have_value(str_pk(page, BUP))
            expect(page.locator("#id_participants-1-name")).to_have_value("Per Exempel")
            page.locator("#id_participants-0-unit_name").fill("BUP Kiruna")
            meeting_day = dt.date.today() + dt.timedelta(days=10)
            page.get_by_label("Datum", exact=True).fill(meeting_day.isoformat())
            page.get_by_label("Klockan").fill("10:00")
            page.get_by_label("Plats").fill("Socialkontoret, Kiruna")
            page.get_by_role("button", name="Skicka inbjudan").click()
            expect(page.get_by_text("Inbjudan är registrerad")).to_be_visible()
            expect(page.locator("#participants-heading + div")).to_contain_text("BUP Kiruna")

            # Write the plan; the end date is before the start date.
            page.get_by_role("link", name="Skriv planen").click()
            page.locator("#id_goals-0-text").fill("Att kunna gå till skolan varje dag")
            page.locator("#id_goals-1-text").fill("Att sova bättre")
            page.locator("#id_needs-0-text").fill("Stöd i vardagen")
            page.locator("#id_interventions-0-title").fill("Stödsamtal i hemmet")
            page.locator("#id_interventions-0-organisation").select_option(label=OWNER)
            page.locator("#id_interventions-0-start").fill("2026-12-01")
            page.locator("#id_interventions-0-end").fill("2026-11-01")
            page.locator("#id_interventions-1-title").fill("Utredning och behandling")
            page.locator("#id_interventions-1-organisation").select_option(label=BUP)
            page.locator("#id_interventions-1-unit_name").fill("BUP Kiruna")
            page.locator("#id_others-0-who").fill("mamma")
            page.locator("#id_others-0-what").fill("Följer med till första besöket")
            page.get_by_label("Huvudansvarig organisation").select_option(label=OWNER)
            page.get_by_label("Samordnare", exact=True).fill("Anna Samordnare")
            page.locator("#id_follow_up_dates-0-day").fill("2027-02-15")
            page.get_by_role("button", name="Spara planen").click()
            expect(page.locator(".error-summary")).to_contain_text(
                "Slutdatumet får inte vara före startdatumet"
            )
            expect(page.locator("#id_interventions-1-title")).to_have_value(
                "Utredning och behandling"
            )
            page.screenshot(path=str(SCREENSHOTS / "sip-edit-error.png"), full_page=True)
            page.locator("#id_interventions-0-end").fill("2027-06-30")
            page.get_by_role("button", name="Spara planen").click()
            expect(page.get_by_text("Planen är sparad som version 1")).to_be_visible()

            # Revise: add a goal with "Lägg till ett mål", change a need.
            page.get_by_role("link", name="Ändra planen").click()
            page.get_by_role("button", name="Lägg till ett mål").click()
            new_goal = page.locator("#id_goals-2-text")
            expect(new_goal).to_be_focused()
            new_goal.fill("Att ha en vän i klassen")
            page.locator("#id_needs-0-text").fill("Stöd i vardagen och i skolan")
            page.get_by_role("button", name="Spara planen").click()
            expect(page.get_by_text("Planen är sparad som version 2")).to_be_visible()
            page.screenshot(path=str(SCREENSHOTS / "sip-plan.png"), full_page=True)

            page.get_by_role("link", name="Alla versioner av planen och jämförelse").click()
            page.get_by_role("button", name="Jämför").click()
            expect(page.locator("h1")).to_have_text("Jämför version 1 och 2")
            expect(page.locator(".compare-table ins").first).to_contain_text(
                "Att ha en vän i klassen"
            )
            page.screenshot(path=str(SCREENSHOTS / "sip-compare.png"), full_page=True)

            # A link for the person, shown once.
            page.get_by_role("link", name="Elsa Exempel").click()
            page.get_by_role("link", name="Skapa länk till personen").click()
            page.get_by_role("button", name="Skapa länk").click()
            link = page.locator("#new-link").input_value()
            assert "/sip/lank/" in link
            expect(page.get_by_role("button", name="Kopiera länken")).to_be_visible()

            page.goto(server + "/sip/")
            row = page.get_by_role("row", name="Elsa Exempel")
            expect(row).to_contain_text("20120517-****")
            assert number not in page.content()
            page.screenshot(path=str(SCREENSHOTS / "sip-list.png"), full_page=True)
            assert errors == []

            # The person, in a fresh browser.
            person = browser.new_context(viewport={"width": 800, "height": 900}, locale="sv-SE")
            ppage = person.new_page()
            ppage.on("pageerror", lambda e: errors.append(str(e)))
            ppage.goto(link)
            expect(ppage.locator("h1")).to_have_text("Öppna din plan")
            ppage.get_by_role("button", name="Öppna min plan").click()
            expect(ppage.locator("h1")).to_have_text("Planen för Elsa Exempel")
            expect(ppage.get_by_text("Att ha en vän i klassen")).to_be_visible()
            ppage.get_by_role("button", name="Jag håller med om planen").click()
            expect(ppage.get_by_text("Tack! Vi har noterat")).to_be_visible()
            ppage.screenshot(path=str(SCREENSHOTS / "sip-person.png"), full_page=True)
            # The link is used up.
            other = browser.new_context(locale="sv-SE").new_page()
            other.goto(link)
            expect(other.locator("h1")).to_have_text("Länken fungerar inte längre")

            # The caseworker sees the answer.
            page.get_by_role("link", name="Elsa Exempel").click()
            expect(page.locator("#responses-heading + ul")).to_contain_text(
                "Jag håller med om planen"
            )
            assert errors == []
        finally:
            browser.close()
