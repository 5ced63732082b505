"""Shared set-up for the browser tests (Playwright driving Debian's chromium).

pytest-django's ``live_server`` is not used: it flushes the test database after each test
and would remove the session-loaded reference data other tests rely on. Instead each
browser test module builds its own SQLite database in a temporary folder with the real
CLI commands (:func:`running_platform`) and serves it in a subprocess, so what the browser
sees is what ``make run`` would serve. Screenshots go to ``screenshots/`` (gitignored).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO / "screenshots"
CLI = [sys.executable, "-m", "datasmart.cli"]
MANAGE = [sys.executable, "-m", "datasmart.manage"]

#: ``pytestmark`` for a browser test module: marked ``browser`` and skipped (not failed)
#: on a machine without Debian's chromium.
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def runserver(port: int) -> list[str]:
    """The default server: Django's runserver without the reloader."""
    return [*MANAGE, "runserver", f"127.0.0.1:{port}", "--noreload"]


@contextmanager
def running_platform(
    tmp: Path,
    setup: Sequence[Sequence[str]],
    *,
    env: dict[str, str] | None = None,
    ready_path: str = "/static/web/site.css",
    server: Callable[[int], list[str]] = runserver,
    setup_timeout: int = 600,
    ready_timeout: int = 60,
) -> Iterator[str]:
    """Run ``setup`` commands against a fresh SQLite database in ``tmp``, serve it, and
    yield the base URL; the server is stopped afterwards. A server that dies or is not up
    within ``ready_timeout`` seconds fails the test with its log."""
    full_env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "DATASMART_VAR_DIR": str(tmp),
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    for cmd in setup:
        subprocess.run(  # noqa: S603 - fixed argv, our own interpreter
            list(cmd),
            env=full_env,
            cwd=REPO,
            check=True,
            capture_output=True,
            timeout=setup_timeout,
        )
    port = free_port()
    log_path = tmp / "server.log"
    log = log_path.open("w")
    proc = subprocess.Popen(  # noqa: S603 - fixed argv, our own interpreter
        server(port), env=full_env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_timeout
        while True:
            try:
                with urllib.request.urlopen(url + ready_path, timeout=2):  # noqa: S310
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log_path.read_text()) from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
        log.close()


def watch(page: Any, server: str) -> Any:
    """Record on ``page.problems`` every page error, console error and request that leaves
    ``server`` (no CDN may ever be used); tests end with ``assert page.problems == []``."""
    page.problems = []
    page.on("pageerror", lambda e: page.problems.append(f"page error: {e}"))
    page.on(
        "console",
        lambda m: (
            page.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
        ),
    )
    page.on(
        "request",
        lambda r: (
            None
            if r.url.startswith((server, "data:", "blob:"))
            else page.problems.append(f"external request: {r.url}")
        ),
    )
    return page
