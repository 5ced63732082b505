"""End-to-end (issue #13 §4): Debian's chromium opens a län's joint needs analysis on a
server set up with the real CLI commands (reference data without indicators, then
``datasmart needs load``), changes the horizon from 10 to 5 years and sees the figures
change. Screenshots go to ``screenshots/needs-lan-*.png``."""

from __future__ import annotations

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
        tmp_path_factory.mktemp("needs-browser"),
        [
            [*MANAGE, "migrate", "--noinput", "-v0"],
            [*CLI, "data", "load", "--no-indicators"],
            [*CLI, "needs", "load"],
        ],
        setup_timeout=600,
    ) as url:
        yield url


def test_lan_needs_analysis_horizon_changes_the_numbers(server: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
        page = watch(context.new_page(), server)
        SCREENSHOTS.mkdir(exist_ok=True)
        page.goto(f"{server}/behov/lan/13/")
        assert page.locator("h1").inner_text().startswith("Länsgemensam behovsanalys")
        assert page.locator("#horisont").input_value() == "10"
        later10 = page.locator("#pop-later").inner_text()
        cells10 = page.locator("#lan-expected td.later").all_inner_texts()
        header10 = page.locator("#lan-expected thead th").nth(3).inner_text()
        assert cells10 and all(any(ch.isdigit() for ch in c) for c in cells10)
        page.screenshot(path=str(SCREENSHOTS / "needs-lan-10.png"), full_page=True)
        page.select_option("#horisont", "5")
        with page.expect_navigation(wait_until="domcontentloaded"):
            # a button, not an inline onchange: the CSP (script-src 'self') blocks those
            page.get_by_role("button", name="Visa").click()
        assert "horisont=5" in page.url
        assert page.locator("#horisont").input_value() == "5"
        header5 = page.locator("#lan-expected thead th").nth(3).inner_text()
        assert int(header10) - int(header5) == 5
        assert page.locator("#pop-later").inner_text() != later10
        assert page.locator("#lan-expected td.later").all_inner_texts() != cells10
        page.screenshot(path=str(SCREENSHOTS / "needs-lan-5.png"), full_page=True)
        assert page.problems == []
        browser.close()
