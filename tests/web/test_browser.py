"""End-to-end: Debian's chromium against a real server with the real reference data.

pytest-django's ``live_server`` is not used: it flushes the test database after each test
and would remove the session-loaded reference data other tests rely on. Instead a fixture
builds its own SQLite database in a temporary folder, loads the data, creates a user and
runs ``manage runserver`` in a subprocess. Screenshots go to ``screenshots/`` (gitignored).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator

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

USERNAME = "webtest"
PASSWORD = "korrekt-hast-batteri-42"  # throwaway user in a temporary database
LOAD = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'datasmart.config.settings';"
    " django.setup(); from datasmart.geo.loaders import load_reference_data;"
    " load_reference_data()"
)

#: A 200-character word and a long URL, stored where a phone page and a staff page show
#: them (once 2 548 and 31 360 px wide).
LONG_WORD = "Långtord" + "x" * 192
LONG_URL = "https://example.org/" + "lang/" * 36
LONG = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'datasmart.config.settings';"
    " django.setup(); from datasmart.geo.models import Unit;"
    " from datasmart.accounts.audit import SYSTEM, record_event;"
    f" Unit.objects.filter(code='2584').update(official_name='{LONG_WORD} {LONG_URL}'[:160]);"
    f" record_event('test.long', actor=SYSTEM, organisation='{LONG_WORD}',"
    f" detail={{'note': '{LONG_URL} {LONG_WORD}'}})"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_platform(
        tmp_path_factory.mktemp("web-browser"),
        [
            [*MANAGE, "migrate", "--noinput", "-v0"],
            [sys.executable, "-c", LOAD],
            [sys.executable, "-c", LONG],
            [*MANAGE, "createsuperuser", "--noinput"],
        ],
        env={
            "DJANGO_SUPERUSER_USERNAME": USERNAME,
            "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
            "DJANGO_SUPERUSER_EMAIL": "webtest@example.org",
        },
    ) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):  # type: ignore[no-untyped-def]
    """A Swedish-speaking page that records errors and any request leaving the server."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    pg = watch(context.new_page(), server)
    SCREENSHOTS.mkdir(exist_ok=True)
    yield pg
    context.close()


def _shot(pg, name: str, *, full: bool = True) -> None:  # type: ignore[no-untyped-def]
    pg.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full)


def _wait_chart(pg, selector: str) -> None:  # type: ignore[no-untyped-def]
    pg.wait_for_selector(f"{selector}[data-drawn='true']", timeout=30_000)


def _sign_in(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("link", name="Logga in").click()
    page.get_by_label("Användarnamn").fill(USERNAME)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_load_state()


def test_map_click_opens_kommun_page(page, server) -> None:  # type: ignore[no-untyped-def]
    """The issue's journey: sign in, open the map, click a kommun, see its page."""
    page.goto(server + "/")
    _sign_in(page)
    page.goto(server + "/")
    assert page.get_by_role("button", name=f"Logga ut {USERNAME}").count() == 1
    _wait_chart(page, "#map")
    paths = page.locator("#map path.choroplethlocation")
    assert paths.count() == 290
    _shot(page, "start", full=False)
    # Kiruna, the largest kommun, has a big solid shape: its bounding-box centre is inside
    index = page.evaluate(
        "() => JSON.parse(document.getElementById('map-figure').textContent)"
        ".data[0].locations.indexOf('2584')"
    )
    box = paths.nth(index).bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.wait_for_selector(".hoverlayer .hovertext", timeout=5_000)
    assert "Kiruna" in (page.locator(".hoverlayer").text_content() or "")
    with page.expect_navigation():
        page.mouse.click(x, y)
    assert page.url == server + "/enhet/2584/"
    assert page.locator("h1").inner_text() == "Kiruna"
    _wait_chart(page, "#pyramid")
    _wait_chart(page, "#series")
    assert page.locator("#pyramid .bars path").count() > 20
    assert page.get_by_role("button", name=f"Logga ut {USERNAME}").count() == 1
    _shot(page, "kommun")
    assert page.problems == []


def test_region_level_switch_and_table_sort(page, server) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/")
    _wait_chart(page, "#map")
    page.get_by_role("link", name="Regioner/län").click()
    page.wait_for_url(re.compile(r".*level=region.*"))
    _wait_chart(page, "#map")
    assert page.locator("#map path.choroplethlocation").count() == 21
    page.get_by_label("År").select_option("1968")
    page.get_by_role("button", name="Visa").click()
    page.wait_for_url(re.compile(r".*year=1968.*"))
    _wait_chart(page, "#map")
    _shot(page, "start-regions-1968", full=False)
    # sorting by name (keyboard) swaps the table in place (htmx), keeps the map and focus
    page.locator("#sort-name").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("th[aria-sort='ascending'] #sort-name")
    page.wait_for_function("() => document.activeElement && document.activeElement.id")
    assert page.evaluate("() => document.activeElement.id") == "sort-name"
    assert "sort=name" in page.url
    first = page.locator("#map-table tbody tr").first.locator("th").inner_text()
    assert first == "Blekinge"
    assert page.locator("#map[data-drawn='true']").count() == 1
    assert page.problems == []


@pytest.mark.parametrize(
    ("code", "name"),
    [("12", "region"), ("sodra", "sjukvardsregion"), ("00", "nation"), ("13", "region-split")],
)
def test_unit_pages_draw(page, server, code: str, name: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/enhet/{code}/")
    _wait_chart(page, "#pyramid")
    _wait_chart(page, "#series")
    # the breadcrumb links up; the table alternative opens with the keyboard
    assert page.locator("nav.breadcrumb a[aria-current='page']").count() == 1
    table_details = page.locator("main details.table-details").first
    table_details.locator("summary").focus()
    page.keyboard.press("Enter")
    assert table_details.get_attribute("open") is not None
    _shot(page, name)
    assert page.problems == []


def test_search_live_and_without_js(page, server, browser) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/sok/")
    page.get_by_label("Namn eller kod").fill("örebro")
    page.wait_for_selector("#search-results a[href='/enhet/1880/']")
    assert page.locator("#search-results a[href='/enhet/18/']").count() == 1
    assert "q=%C3%B6rebro" in page.url or "q=örebro" in page.url
    _shot(page, "search")
    assert page.problems == []
    # the header form works without JavaScript
    ctx = browser.new_context(java_script_enabled=False, locale="sv-SE")
    nojs = ctx.new_page()
    nojs.goto(server + "/")
    nojs.locator("#header-q").fill("MALMÖ")
    nojs.locator("#header-q").press("Enter")
    nojs.wait_for_url(re.compile(r".*/sok/\?q=.*"))
    nojs.get_by_role("link", name="Malmö", exact=True).click()
    nojs.wait_for_url(re.compile(r".*/enhet/1280/$"))
    ctx.close()


def test_english_switch(page, server) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/enhet/1280/")
    page.get_by_role("button", name="In English").click()
    page.wait_for_url(server + "/enhet/1280/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Key figures").count() == 1
    _wait_chart(page, "#pyramid")
    _shot(page, "kommun-english")
    page.goto(server + "/")
    _wait_chart(page, "#map")
    _shot(page, "start-english", full=False)
    page.get_by_role("button", name="På svenska").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "sv"
    assert page.problems == []


def test_sign_in_and_out(page, server) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/")
    _sign_in(page)
    logout = page.get_by_role("button", name=f"Logga ut {USERNAME}")
    assert logout.count() == 1
    _shot(page, "signed-in", full=False)
    logout.click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="Logga in").count() == 1
    assert page.problems == []


def test_keyboard_skip_link_and_focus(page, server) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.className")
    assert "skip-link" in focused
    _shot(page, "skip-link-focus", full=False)
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"


def test_long_words_do_not_widen_a_phone_page(browser, server) -> None:  # type: ignore[no-untyped-def]
    """A 200-character word or URL wraps: at 390 px the page is no wider than the phone,
    on a public page (a kommun's official name) and a staff page (the audit log)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="sv-SE")
    pg = watch(context.new_page(), server)
    pg.goto(server + "/enhet/2584/")
    assert pg.get_by_text(LONG_WORD[:40], exact=False).count() >= 1
    widths = {"unit": pg.evaluate("document.documentElement.scrollWidth")}
    _shot(pg, "phone-long-word", full=False)
    pg.locator(".site-menu summary").click()  # the phone menu is folded
    _sign_in(pg)
    pg.goto(server + "/konto/granskningslogg/")
    assert pg.get_by_text(LONG_WORD[:40], exact=False).count() >= 1
    widths["audit log"] = pg.evaluate("document.documentElement.scrollWidth")
    _shot(pg, "phone-long-word-audit", full=False)
    assert all(w <= 390 for w in widths.values()), widths
    assert pg.problems == []
    context.close()
