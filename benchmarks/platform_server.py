"""Shared plumbing for benchmarks that drive the platform over HTTP.

A fresh PostgreSQL database with the real reference data, and the platform served by
gunicorn exactly as ``datasmart serve`` does, on loopback. Used by ``bench_api.py`` and
``bench_sip_updates.py`` so both measure the same server set-up.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def platform_env(pg_url: str) -> dict[str, str]:
    """Environment for the server and for Django set-up inside the benchmark process."""
    return {**os.environ, "DATABASE_URL": pg_url, "DATASMART_LOG_LEVEL": "ERROR"}


def prepare_database(pg_url: str, env: dict[str, str]) -> None:
    """Drop and create the database, migrate, and load the real reference data."""
    base, name = pg_url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([sys.executable, "-m", "datasmart.cli", "migrate"], env=env, check=True)
    subprocess.run(
        [sys.executable, "-m", "datasmart.cli", "data", "load"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


@contextmanager
def gunicorn(env: dict[str, str], *, workers: str = "2", threads: str = "4") -> Iterator[str]:
    """Serve the platform on a free loopback port; yield its base URL."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "datasmart.config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            workers,
            "--threads",
            threads,
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=REPO,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/api/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)
