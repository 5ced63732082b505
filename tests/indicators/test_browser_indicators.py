"""End-to-end: Debian's chromium against a real server with the real data and results.

As in ``tests/web/test_browser.py``, a fixture builds its own SQLite database in a
temporary folder, runs ``datasmart data load`` (reference data, indicators and their
computed results) and serves it with ``runserver`` in a subprocess (see
``tests/browser_support.py``). Screenshots go to ``screenshots/indicators-*.png``.
"""

from __future__ import annotations

import re
import time
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
    watch,
)

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_platform(
        tmp_path_factory.mktemp("indicator-browser"),
        [
            [*MANAGE, "migrate", "--noinput", "-v0"],
            [*CLI, "data", "load"],
        ],
        setup_timeout=600,
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


def _shot(pg, name: str) -> None:  # type: ignore[no-untyped-def]
    pg.screenshot(path=str(SCREENSHOTS / f"indicators-{name}.png"), full_page=True)


def _wait_drawn(pg) -> None:  # type: ignore[no-untyped-def]
    """Every figure on the page drawn by plotly."""
    pg.wait_for_selector("[data-figure]:not([data-drawn='true'])", state="detached", timeout=30_000)


def test_list_and_search(page, server) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/indikatorer/")
    assert page.get_by_role("heading", level=1).inner_text() == "Indikatorer"
    links = page.locator("#indicator-list a").count()
    assert links >= 30
    _shot(page, "list")
    page.get_by_label("Sök indikator").fill("metylfenidat")
    deadline = time.monotonic() + 10
    while page.locator("#indicator-list a").count() >= links and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert 1 <= page.locator("#indicator-list a").count() < links
    assert "q=metylfenidat" in page.url
    assert page.problems == []


def test_period_change_updates_map_and_table(page, server) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/indikatorer/population-share-0-17/?level=region")
    _wait_drawn(page)
    caption = page.locator("#results-caption")
    assert "2019" in caption.inner_text()
    row = page.locator("#results-table tbody tr", has_text="Stockholm").first
    before = row.locator("td.value").inner_text()
    assert re.fullmatch(r"\d+,\d", before)
    _shot(page, "detail")

    year = page.get_by_label("År", exact=True)
    year.focus()
    year.select_option("2015")  # htmx swaps the results
    deadline = time.monotonic() + 15
    while "2015" not in caption.inner_text() and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert "2015" in caption.inner_text()
    _wait_drawn(page)
    assert page.locator("#indicator-map[data-drawn='true'] .choroplethlocation").count() >= 21
    after = page.locator("#results-table tbody tr", has_text="Stockholm").first
    assert after.locator("td.value").inner_text() != before
    assert "period=2015" in page.url
    # the focus stays on the filter that was used (keyboard users)
    assert page.evaluate("() => document.activeElement && document.activeElement.id") == "f-period"
    _shot(page, "detail-2015")
    assert page.problems == []


def test_indicator_with_funnel_and_unit_trend(page, server) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/indikatorer/self-harm-inpatients/?enhet=01")
    _wait_drawn(page)
    assert page.locator("#funnel-plot .scatterlayer .trace").count() >= 5
    assert page.locator("#indicator-map .choroplethlocation").count() == 21
    _shot(page, "funnel")
    # sorting by value works without leaving the page
    page.locator("#results-table thead a", has_text="Värde").click()
    page.wait_for_url(re.compile(r"sort=value"))
    assert page.problems == []


def test_kolada_indicator_quintiles(page, server) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/indikatorer/kolada-n00943/")
    _wait_drawn(page)
    assert page.locator("#indicator-map .choroplethlocation").count() >= 280
    assert page.locator(".legend li", has_text="Kvintil 1").first.is_visible()
    _shot(page, "kolada")
    assert page.problems == []


def test_profile_and_index(page, server) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/indikatorer/profil/0180/")
    _wait_drawn(page)
    assert page.locator("#spine-chart .point").count() >= 10
    _shot(page, "profile")
    page.goto(f"{server}/indikatorer/profil/01/")
    _wait_drawn(page)
    _shot(page, "profile-region")
    page.goto(f"{server}/indikatorer/index/")
    _wait_drawn(page)
    assert page.locator("#index-map .choroplethlocation").count() >= 280
    _shot(page, "index")
    assert page.problems == []
