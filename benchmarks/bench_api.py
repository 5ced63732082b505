"""Benchmark: API throughput and p95 latency against the platform's own health endpoint.

Run: ``uv run python benchmarks/bench_api.py`` (needs PostgreSQL on 127.0.0.1:5432 and
``wrk`` from Debian; ``BENCH_PG_URL`` overrides the database). Starts the platform with
gunicorn exactly as ``datasmart serve`` does, on loopback, and drives it with wrk, a bounded
load generator (fixed connections and duration). Every endpoint is measured in the same run
as ``/api/health``; the ratio of their throughputs is the result (aim: domain endpoints
reach at least half the health endpoint's requests/s).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request

from platform_server import gunicorn, platform_env, prepare_database

PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/datasmart_bench_api")
DURATION = os.environ.get("BENCH_DURATION", "8s")
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
WORKERS = os.environ.get("BENCH_WORKERS", "2")
ENDPOINTS = [
    ("health (baseline)", "/api/health"),
    ("units, level=kommun", "/api/units?level=kommun"),
    ("population, kommun by age+sex", "/api/population?unit=0180&year=2019&by=age,sex"),
    ("population, nation by sex", "/api/population?unit=00&year=2019&by=sex"),
    ("unit detail", "/api/units/1380"),
]
LUA = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %f %f %f\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), summary.errors.status + summary.errors.timeout))
end
"""


def wrk(url: str, script: str) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "-s", script, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+)", out)
    if not match:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    requests, duration_us, p50, p95, errors = (float(g) for g in match.groups())
    return {
        "rps": requests / (duration_us / 1e6),
        "p50_ms": p50 / 1000,
        "p95_ms": p95 / 1000,
        "errors": errors,
    }


def main() -> int:
    if not shutil.which("wrk"):
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 1
    env = platform_env(PG_URL)
    prepare_database(PG_URL, env)
    with gunicorn(env, workers=WORKERS) as base:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            f.write(LUA)
        for _, path in ENDPOINTS:  # warm caches and connections
            urllib.request.urlopen(base + path, timeout=10).read()
        results = []
        for label, path in ENDPOINTS:
            results.append((label, path, wrk(base + path, f.name)))
        baseline = results[0][2]
        print(
            f"API on loopback: gunicorn {WORKERS} workers x 4 threads, PostgreSQL; "
            f"wrk {CONNECTIONS} connections, {DURATION} per endpoint"
        )
        print(
            f"{'endpoint':<34}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'vs health':>11}{'p95 ratio':>11}"
        )
        for label, _path, r in results:
            print(
                f"{label:<34}{r['rps']:>9.0f}{r['p50_ms']:>9.2f}{r['p95_ms']:>9.2f}"
                f"{r['rps'] / baseline['rps']:>10.2f}x{r['p95_ms'] / baseline['p95_ms']:>10.2f}x"
                + ("  ERRORS" if r["errors"] else "")
            )
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
