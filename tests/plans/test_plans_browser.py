"""End-to-end (issue #14 §5): Debian's chromium walks a joint län plan from draft through
every party's approval to a follow-up report.

Blekinge (10) is the län: the region and its five kommuner make six parties, enough to see
that one party's approval is not the agreement, and few enough to stay fast. The server is
set up like the other browser tests (``tests/browser_support.py``) on a temporary SQLite
database, in one ``manage shell`` process to stay fast: what ``datasmart migrate`` and
``datasmart data load --no-indicators`` run, then each party's organisation with a
coordinator and an indicator with five years of stored results for the län (numerators,
denominators and Wilson intervals, as the engine stores a proportion).

In the browser the region's coordinator creates the joint plan, a goal and the goal's
indicator through the forms (the baseline is the latest result, 2024); each party's
coordinator signs in (a context per user) and approves; the plan is "Överenskommen" only
after the last. Then the 2025 result arrives (as the next data load would store it), and
the follow-up page judges the goal with the rule written out, and the PDF report is
downloaded. Screenshots (and the report) go to ``screenshots/plans-*``.
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

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
LAN = "10"
#: The parties in the order ``plans.services.party_organisations`` gives them: the region
#: (län) first, then the kommuner by code: (unit code, organisation, coordinator's username).
PARTIES = [
    ("10", "Region Blekinge – psykiatri", "samordnare-10"),
    ("1060", "Olofströms kommun – socialtjänst", "samordnare-1060"),
    ("1080", "Karlskrona kommun – socialtjänst", "samordnare-1080"),
    ("1081", "Ronneby kommun – socialtjänst", "samordnare-1081"),
    ("1082", "Karlshamns kommun – socialtjänst", "samordnare-1082"),
    ("1083", "Sölvesborgs kommun – socialtjänst", "samordnare-1083"),
]
CODE = "unga-vuxna-kontakt-psykiatri"
TITLE = "Andel unga vuxna med psykisk ohälsa som har kontakt med specialistpsykiatrin"
PLAN = "Gemensam handlingsplan psykisk hälsa Blekinge 2026–2029"
GOAL = "Fler unga vuxna med psykisk ohälsa får vård i tid"

N = 5000
#: Numerators per year out of N (a proportion per 100): 29,0 % in 2020 to 31,8 % in 2024.
STORED = {2020: 1450, 2021: 1490, 2022: 1525, 2023: 1560, 2024: 1590}
#: The result of the next data load: 33,2 %, ahead of the straight line to 36 % in 2029.
NEW_PERIOD, NEW_NUMERATOR = 2025, 1660


def result(x: int, n: int = N, z: float = 1.959964) -> dict[str, float]:
    """A proportion per 100 with its Wilson 95 % interval, as the engine stores it."""
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return {
        "numerator": x,
        "denominator": n,
        "value": 100 * p,
        "lower": 100 * (centre - half),
        "upper": 100 * (centre + half),
    }


SETUP = f"""
from django.core.management import call_command
from django.utils import timezone
from datasmart.accounts.models import Membership, Organisation, OrganisationKind, Role, User
from datasmart.geo.loaders import load_reference_data
from datasmart.geo.models import Unit
from datasmart.indicators.services import Result
from tests.plans.plans_support import make_indicator_with_result

call_command("migrate", interactive=False, verbosity=0)
load_reference_data()
for code, name, username in {PARTIES!r}:
    kind = OrganisationKind.REGION_PSYCHIATRY if code == {LAN!r} else OrganisationKind.KOMMUN_SOCIAL
    org = Organisation.objects.create(name=name, kind=kind, unit=Unit.objects.get(code=code))
    user = User.objects.create_user(username=username, password={PASSWORD!r})
    Membership.objects.create(user=user, organisation=org, role=Role.COORDINATOR)
indicator = make_indicator_with_result({CODE!r}, {LAN!r}, {{}})
indicator.title_sv = {TITLE!r}
indicator.save()
lan = Unit.objects.get(code={LAN!r})
for period, figures in { ({y: result(x) for y, x in STORED.items()})!r}.items():
    Result.objects.create(
        indicator=indicator, unit=lan, level=lan.level, period=period, status="ok",
        computed_at=timezone.now(), **figures,
    )
"""


def store_next_year(db: Path) -> None:
    """The next data load: the län's 2025 result, written straight into the served
    database (a ``manage shell`` would cost seconds) as a copy of its 2024 row with the
    new period and figures."""
    new = {"period": NEW_PERIOD, **result(NEW_NUMERATOR)}
    with closing(sqlite3.connect(db, timeout=30)) as con, con:
        columns = [r[1] for r in con.execute("PRAGMA table_info(indicators_result)")]
        columns.remove("id")
        names = ", ".join(f'"{c}"' for c in columns)
        picks = ", ".join("?" if c in new else f'r."{c}"' for c in columns)
        params = [new[c] for c in columns if c in new]
        con.execute(
            f"INSERT INTO indicators_result ({names}) SELECT {picks} "  # noqa: S608 - column names from the schema
            "FROM indicators_result r JOIN indicators_indicator i ON i.id = r.indicator_id "
            "WHERE i.code = ? AND r.period = ?",
            [*params, CODE, max(STORED)],
        )


@dataclass
class Platform:
    url: str
    db: Path


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    tmp = tmp_path_factory.mktemp("plans-browser")
    with running_platform(tmp, [[*MANAGE, "shell", "-c", SETUP]]) as url:
        yield Platform(url, tmp / "db.sqlite3")


def shot(page: object, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"plans-{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_joint_plan_from_draft_to_follow_up_report(platform: Platform) -> None:
    from playwright.sync_api import expect, sync_playwright

    server = platform.url
    SCREENSHOTS.mkdir(exist_ok=True)
    pages = []

    def sign_in(browser: object, username: str, path: str) -> object:
        """A fresh context for ``username``, signed in on the way to ``path`` (a public
        plan's page does not ask for it, so through the sign-in page's ``next``)."""
        context = browser.new_context(  # type: ignore[attr-defined]
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
            # The region's coordinator starts the joint plan for Blekinge.
            owner = sign_in(browser, PARTIES[0][2], "/planer/ny-gemensam/")
            for _code, name, _user in PARTIES:
                expect(owner.locator("details.plan-parties li", has_text=name)).to_have_count(1)
            owner.get_by_label("Län").select_option(LAN)
            owner.get_by_label("Titel").fill(PLAN)
            owner.get_by_label("Första år").fill("2026")
            owner.get_by_label("Sista år").fill("2029")
            owner.get_by_role("button", name="Skapa utkast").click()
            expect(owner.get_by_text("Den gemensamma planen är skapad som utkast.")).to_be_visible()
            match = re.fullmatch(rf"{re.escape(server)}/planer/(\d+)/", owner.url)
            assert match, owner.url
            plan_path = f"/planer/{match[1]}/"

            # A political goal with an effect indicator; the baseline is the 2024 result.
            owner.get_by_role("link", name="Nytt mål").click()
            owner.get_by_label("Mål", exact=True).fill(GOAL)
            owner.get_by_label("Beslutat av").fill("Regionfullmäktige och kommunfullmäktige")
            owner.get_by_role("button", name="Spara målet").click()
            expect(owner.get_by_text("Målet är sparat.")).to_be_visible()
            owner.get_by_role("link", name="Lägg till indikator").click()
            chooser = owner.get_by_label("Indikator", exact=True)
            option = chooser.locator("option", has_text=CODE)
            expect(option).to_contain_text("utgångsvärde 31,8 (2024)")
            chooser.select_option(CODE)
            owner.get_by_label("Riktning").select_option(label="Öka")
            owner.get_by_label("Målvärde").fill("36")
            owner.get_by_label("Målår").fill("2029")
            owner.get_by_role("button", name="Lägg till").click()
            row = owner.locator(".goal-tree tbody tr", has_text=CODE)
            expect(row).to_contain_text("Effektindikator")
            expect(row).to_contain_text("31,8 (2024)")
            expect(row).to_contain_text("36,0 (2029)")
            status = owner.locator(".plan-facts dt:text-is('Status') + dd")
            expect(status).to_have_text("Utkast")
            shot(owner, "draft")

            # Each party approves in its own name; agreed only after the last.
            for i, (_code, name, username) in enumerate(PARTIES):
                page = owner if i == 0 else sign_in(browser, username, plan_path)
                page.get_by_role("button", name=f"Godkänn planen för {name}").click()
                expect(page.get_by_text(f"{name} har godkänt planen.")).to_be_visible()
                party = page.locator("table tr", has_text=name)
                expect(party).to_contain_text(username)
                last = i == len(PARTIES) - 1
                status = page.locator(".plan-facts dt:text-is('Status') + dd")
                expect(status).to_contain_text("Överenskommen" if last else "Utkast")
                expect(page.get_by_role("button", name=re.compile("^Godkänn"))).to_have_count(0)
                if i == 1:
                    shot(page, "approved-by-two")
                if page is not owner and not last:
                    page.context.close()
            shot(page, "agreed")

            # The next data load stores 2025; the owner opens the follow-up.
            store_next_year(platform.db)
            owner.goto(server + plan_path)
            expect(owner.locator(".plan-facts dt:text-is('Status') + dd")).to_contain_text(
                "Överenskommen"
            )
            owner.get_by_role("link", name="Uppföljning", exact=True).click()
            # the page opens on this year; the plan's first year is asked for so the test
            # reads the same in any year
            owner.get_by_label("Uppföljningsår").fill("2026")
            owner.get_by_role("button", name="Visa").click()
            expect(owner.locator("h1")).to_have_text(f"Uppföljning 2026: {PLAN}")
            judged = owner.locator("#followup-indicators tbody tr", has_text=TITLE)
            expect(judged).to_have_count(1)
            expect(judged).to_contain_text(GOAL)
            expect(judged).to_contain_text("33,2 (2025)")
            expect(judged.locator(".judgement")).to_have_text("På väg mot målet")
            expect(judged).to_contain_text("i minst den takt som behövs för att nå målet i tid")
            owner.get_by_text("Så bedöms målen").click()
            expect(owner.locator("#followup-rule")).to_be_visible()
            expect(owner.locator("#followup-rule")).to_contain_text("Bedömningsregel.")
            expect(owner.locator("#followup-rule")).to_contain_text("På väg mot målet:")
            shot(owner, "follow-up")

            with owner.expect_download() as download:
                owner.get_by_role("link", name="Ladda ner rapport (PDF)").click()
            assert download.value.suggested_filename == (f"uppfoljning-plan-{match[1]}-2026.pdf")
            pdf = Path(download.value.path()).read_bytes()
            assert pdf.startswith(b"%PDF")
            (SCREENSHOTS / "plans-report.pdf").write_bytes(pdf)

            for page in pages:
                assert page.problems == [], page.problems
        finally:
            browser.close()
