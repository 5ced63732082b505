"""End-to-end (issue #14 §2): Debian's chromium builds, corrects and signs a delarena's
handslag.

The server is set up like the other browser tests (``tests/browser_support.py``) on a
temporary SQLite database, in one ``manage shell`` process: migrations (which write
Kraftsamling's reference data), the geography, two participant organisations with a
coordinator each, and a delarena convened by the region with the association taking part
(through ``kraftsamling.services``, as SYSTEM).

In the browser the region's coordinator creates the handslag (2026–2028), adds a goal and
an initiative, then corrects the initiative (what, who, when) in its edit form; each
participant's coordinator signs in its own browser context, the handslag shows as signed
only after the last signature, the edit forms are gone, and its PDF downloads.
Screenshots go to ``screenshots/kraftsamling-*.png``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser_support import (
    BROWSER_MARKS,
    CHROMIUM,
    CHROMIUM_ARGS,
    MANAGE,
    SCREENSHOTS,
    running_platform,
    watch,
)

pytestmark = BROWSER_MARKS

PASSWORD = "korrekt-hast-batteri-42"  # throwaway users in a temporary database
DELARENA = "Suicidprevention i Blekinge"
#: (unit code, organisation, kind, coordinator's username); the first convenes.
PARTICIPANTS = [
    ("10", "Region Blekinge – psykiatri", "region_psychiatry", "samordnare-region"),
    ("10", "Föreningen Psykisk hälsa Blekinge", "civil_society", "samordnare-forening"),
]

SETUP = f"""
from django.core.management import call_command
from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import Membership, Organisation, Role, User
from datasmart.geo.loaders import load_reference_data
from datasmart.geo.models import Unit
from datasmart.kraftsamling import services

call_command("migrate", interactive=False, verbosity=0)
load_reference_data()
orgs = []
for code, name, kind, username in {PARTICIPANTS!r}:
    org = Organisation.objects.create(name=name, kind=kind, unit=Unit.objects.get(code=code))
    user = User.objects.create_user(username=username, password={PASSWORD!r})
    Membership.objects.create(user=user, organisation=org, role=Role.COORDINATOR)
    orgs.append(org)
delarena = services.create_delarena(
    orgs[0], name={DELARENA!r}, area_letters=["G", "I"], by=SYSTEM
)
services.add_participant(delarena, orgs[1], by=SYSTEM)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_platform(
        tmp_path_factory.mktemp("kraftsamling-browser"), [[*MANAGE, "shell", "-c", SETUP]]
    ) as url:
        yield url


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"kraftsamling-{name}.png"), full_page=True)


def test_handslag_built_corrected_signed_and_downloaded(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    pages: list[Any] = []

    def sign_in(browser: Any, username: str, path: str) -> Any:
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="sv-SE", accept_downloads=True
        )
        page = watch(context.new_page(), server)
        pages.append(page)
        page.goto(f"{server}/konto/logga-in/?next={path}")
        page.get_by_label("Användarnamn").fill(username)
        page.get_by_label("Lösenord").fill(PASSWORD)
        page.get_by_role("button", name="Logga in").click()
        page.wait_for_url(server + path)
        return page

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            region = sign_in(browser, PARTICIPANTS[0][3], "/kraftsamling/")
            region.get_by_role("link", name=DELARENA).first.click()
            expect(region.locator("h1")).to_have_text(DELARENA)
            for _code, name, _kind, _user in PARTICIPANTS:
                expect(region.locator(".ks-group td", has_text=name)).to_have_count(1)

            # The handslag: a 3-year plan owned by the region.
            region.get_by_label("Första år").fill("2026")
            region.get_by_label("Sista år").fill("2028")
            region.get_by_role("button", name="Skapa handslaget").click()
            expect(region.get_by_text("Handslaget är skapat som utkast.")).to_be_visible()
            match = re.fullmatch(rf"{re.escape(server)}(/kraftsamling/handslag/\d+/)", region.url)
            assert match, region.url
            handslag_path = match[1]

            # A goal under Kraftsamling's goal 3, area G, and an initiative for it.
            region.locator("#id_goal_text").fill("Färre självmord bland unga i Blekinge")
            region.locator("#id_goal_number").select_option("3")
            region.locator("#id_goal_area").select_option("G")
            region.get_by_role("button", name="Lägg till målet").click()
            expect(region.get_by_text("Målet är tillagt.")).to_be_visible()
            region.locator("#id_act_title").fill("Utbilda skolpersonal")
            region.locator("form[action$='/aktivitet/'] input[name=goals]").first.check()
            region.locator("#id_who").select_option(label=PARTICIPANTS[0][1])
            region.locator("#id_start").fill("2026-02-01")
            region.locator("#id_end").fill("2026-12-31")
            region.locator("#id_kind").select_option("knowledge")
            region.locator("#id_how").fill("Halvdagsutbildning i varje skola")
            region.get_by_role("button", name="Lägg till initiativet").click()
            expect(region.get_by_text("Aktiviteten är tillagd.")).to_be_visible()

            # Correct it: what, who and when, in its edit form.
            item = region.locator("li.ks-edit", has_text="Utbilda skolpersonal")
            item.locator("summary").click()
            item.locator("input[name=title]").fill("Utbilda skolpersonal och elevhälsa")
            item.locator("select[name=who]").select_option(label=PARTICIPANTS[1][1])
            item.locator("input[name=end]").fill("2027-06-30")
            shot(region, "edit-form")
            item.get_by_role("button", name="Spara initiativet").click()
            expect(region.get_by_text("Initiativet är ändrat.")).to_be_visible()
            row = region.locator(".goal-block tbody tr").first
            expect(row).to_contain_text("Utbilda skolpersonal och elevhälsa")
            expect(row).to_contain_text(PARTICIPANTS[1][1])
            expect(row).to_contain_text("2027-06-30")

            # Each participant's coordinator signs; signed only after the last.
            region.get_by_role(
                "button", name=f"Underteckna handslaget för {PARTICIPANTS[0][1]}"
            ).click()
            expect(
                region.get_by_text(f"{PARTICIPANTS[0][1]} har undertecknat handslaget.")
            ).to_be_visible()
            facts = region.locator(".ks-facts")
            expect(facts).to_contain_text("Utkast")
            expect(region.locator("li.ks-edit")).to_have_count(0)  # frozen at the first
            forening = sign_in(browser, PARTICIPANTS[1][3], handslag_path)
            forening.get_by_role(
                "button", name=f"Underteckna handslaget för {PARTICIPANTS[1][1]}"
            ).click()
            expect(forening.locator(".ks-facts")).to_contain_text("Undertecknat")
            signatures = forening.locator("table.signatures tbody tr")
            expect(signatures).to_have_count(2)
            for _code, _name, _kind, username in PARTICIPANTS:
                expect(signatures.filter(has_text=username)).to_have_count(1)
            shot(forening, "signed")

            with forening.expect_download() as download_info:
                forening.get_by_role("link", name="Handslaget (PDF)").click()
            path = download_info.value.path()
            assert path is not None
            with open(path, "rb") as fh:
                assert fh.read(5) == b"%PDF-"
            for page in pages:
                assert page.problems == []
        finally:
            browser.close()
