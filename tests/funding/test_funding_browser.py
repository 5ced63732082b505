"""End-to-end: sign in and open the 2020 agreement page in Debian's chromium.

Same set-up as ``tests/web/test_browser.py``: a temporary SQLite database, ``datasmart
migrate``, ``datasmart data load`` (reference data) and ``datasmart funding load``, a
superuser from the environment, ``runserver`` in a subprocess. Run with ``-m browser``.
"""

from __future__ import annotations

import os
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
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "screenshots"
USERNAME = "medeltest"
PASSWORD = "korrekt-hast-batteri-42"  # throwaway user in a temporary database

if not Path(CHROMIUM).exists():  # pragma: no cover - depends on the machine
    pytest.skip("Debian chromium is not installed", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("funding-browser")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "DATASMART_VAR_DIR": str(tmp),
        "DJANGO_SUPERUSER_USERNAME": USERNAME,
        "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
        "DJANGO_SUPERUSER_EMAIL": "medeltest@example.org",
        "PYTHONUNBUFFERED": "1",
    }
    cli = [sys.executable, "-m", "datasmart.cli"]
    manage = [sys.executable, "-m", "datasmart.manage"]
    for cmd in (
        [*cli, "migrate"],
        [*cli, "data", "load", "--no-indicators"],
        [*cli, "funding", "load"],
        [*manage, "createsuperuser", "--noinput"],
    ):
        subprocess.run(cmd, env=env, cwd=REPO, check=True, capture_output=True, timeout=300)  # noqa: S603
    port = _free_port()
    log = (tmp / "server.log").open("w")
    proc = subprocess.Popen(  # noqa: S603 - fixed argv, our own interpreter
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
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
