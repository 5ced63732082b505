"""End-to-end: Debian's chromium against a real server with the real data and results.

As in ``tests/web/test_browser.py``, a fixture builds its own SQLite database in a
temporary folder, runs ``datasmart data load`` (reference data, indicators and their
computed results) and serves it with ``runserver`` in a subprocess. The server mounts
the indicator pages at ``/indikatorer/`` itself, so the test does not depend on
``config/urls.py``. Screenshots go to ``screenshots/indicators-*.png`` (gitignored).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "screenshots"
SERVE = """
import os, sys, types
os.environ["DJANGO_SETTINGS_MODULE"] = "datasmart.config.settings"
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.urls import include, path
from datasmart.config import urls as base
module = types.ModuleType("indicator_browser_urls")
mounted = any(getattr(p, "namespace", None) == "indicators" for p in base.urlpatterns)
extra = [] if mounted else [path("indikatorer/", include("datasmart.indicators.urls"))]
module.urlpatterns = [*extra, *base.urlpatterns]
sys.modules["indicator_browser_urls"] = module
settings.ROOT_URLCONF = "indicator_browser_urls"
call_command("runserver", sys.argv[1], use_reloader=False)
"""

if not Path(CHROMIUM).exists():  # pragma: no cover - depends on the machine
    pytest.skip("Debian chromium is not installed", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("indicator-browser")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "DATASMART_VAR_DIR": str(tmp),
        "PYTHONUNBUFFERED": "1",
    }
    for cmd in (
        [sys.executable, "-m", "datasmart.manage", "migrate", "--noinput", "-v0"],
        [sys.executable, "-m", "datasmart.cli", "data", "load"],
    ):
        subprocess.run(cmd, env=env, cwd=REPO, check=True, capture_output=True, timeout=600)  # noqa: S603
    port = _free_port()
    log = (tmp / "server.log").open("w")
    proc = subprocess.Popen(  # noqa: S603 - fixed argv, our own interpreter
        [sys.executable, "-c", SERVE, f"127.0.0.1:{port}"],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/static/web/site.css", timeout=2):  # noqa: S310
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((tmp / "server.log").read_text()) from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
        log.close()


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
    pg = context.new_page()
    pg.problems = []  # type: ignore[attr-defined]
    pg.on("pageerror", lambda e: pg.problems.append(f"page error: {e}"))
    pg.on(
        "console",
        lambda m: pg.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    pg.on(
        "request",
        lambda r: (
            None
            if r.url.startswith((server, "data:", "blob:"))
            else pg.problems.append(f"external request: {r.url}")
        ),
    )
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
