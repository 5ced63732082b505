"""End-to-end: sign in and open the 2020 agreement page in Debian's chromium.

Same set-up as ``tests/web/test_browser.py``: a temporary SQLite database, ``datasmart
migrate``, ``datasmart data load`` (reference data) and ``datasmart funding load``, a
superuser from the environment, ``runserver`` in a subprocess. Run with ``-m browser``.
"""

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
)

pytestmark = BROWSER_MARKS

USERNAME = "medeltest"
PASSWORD = "korrekt-hast-batteri-42"  # throwaway user in a temporary database


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_platform(
        tmp_path_factory.mktemp("funding-browser"),
        [
            [*CLI, "migrate"],
            [*CLI, "data", "load", "--no-indicators"],
            [*CLI, "funding", "load"],
            [*MANAGE, "createsuperuser", "--noinput"],
        ],
        env={
            "DJANGO_SUPERUSER_USERNAME": USERNAME,
            "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
            "DJANGO_SUPERUSER_EMAIL": "medeltest@example.org",
        },
    ) as url:
        yield url


def test_signed_in_user_sees_map_and_table(server: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="sv-SE")
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(server + "/medel/2020/")
            assert "/konto/" in page.url  # sign in first
            page.get_by_label("Användarnamn").fill(USERNAME)
            page.get_by_label("Lösenord").fill(PASSWORD)
            page.get_by_role("button", name="Logga in").click()
            page.wait_for_url(server + "/medel/2020/")
            assert "psykisk hälsa 2020" in page.locator("h1").inner_text()
            page.wait_for_selector("#map[data-drawn='true']", timeout=30_000)
            assert page.locator("#map path.choroplethlocation").count() == 21
            table = page.get_by_role("table", name="Belopp per mottagare")
            assert table.locator("tbody tr").count() == 21
            SCREENSHOTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "medel-2020.png"), full_page=True)
            assert errors == []
        finally:
            browser.close()
