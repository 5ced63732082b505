"""Benchmark: 200 concurrent SIP plan updates against PostgreSQL — no lost update, and
latency as a ratio against the platform's own health endpoint in the same run.

Run: ``uv run python benchmarks/bench_sip_updates.py`` (needs PostgreSQL on 127.0.0.1:5432;
``BENCH_PG_URL`` overrides the database). The platform runs under gunicorn on loopback as
``datasmart serve`` runs it (see ``platform_server.py``).

The load generator is bounded: exactly ``BENCH_CONCURRENCY`` (default 200) client threads,
each with its own keep-alive connection, released together by a barrier. Every thread
writes one new version of one of ``BENCH_PLANS`` (default 20) plans, so about ten writers
race for each plan with the same ``expected_version``. A writer answered 409 takes the
``current_version`` from the answer and tries again (up to ``BENCH_RETRIES`` times), as a
client should. Each write carries a unique marker in the plan's goals, so afterwards the
database proves, per plan, that

- every write answered 200 is exactly one stored plan version (none lost, none doubled),
- no write answered 409 was stored, and
- the plan's ``version`` counter moved once per applied write;

and that no request got anything but 200 or 409. Latency p50/p95 of the update requests
(409s included) is compared with ``GET /api/health`` driven by the same 200 threads in the
same run; the ratio is the result. Repeated ``BENCH_ROUNDS`` times (default 3).
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from platform_server import REPO, gunicorn, platform_env, prepare_database

PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/datasmart_bench_sip")
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "200"))
PLANS = int(os.environ.get("BENCH_PLANS", "20"))
RETRIES = int(os.environ.get("BENCH_RETRIES", "20"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WORKERS = os.environ.get("BENCH_WORKERS", "2")
API = "/api/sip"


def seed(env: dict[str, str]) -> tuple[str, list[str], int]:
    """Plans owned by one kommun's social services, a caseworker's API token, the owner id.

    Built with the same test support the SIP tests use, i.e. through the real services.
    """
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "datasmart.config.settings")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from tests.accounts.factories import make_token
    from tests.sip.sip_support import CHILD_BIRTH, make_world, personnummer

    worlds = [
        make_world(person_number=personnummer(CHILD_BIRTH, serial=100 + i)) for i in range(PLANS)
    ]
    _token, secret = make_token(worlds[0].owner_staff.user, name="bench")
    return secret, [str(w.sip.pk) for w in worlds], worlds[0].owner.pk


class Client:
    """One simulated user: a new connection per request (``Connection: close``), so an
    idle keep-alive connection never waits at the barrier and times out; connection set-up
    is inside every timing, for the updates and the baseline alike."""

    def __init__(self, base: str, token: str, organisation: int) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.headers = {
            "Authorization": f"Bearer {token}",
            "X-Organisation": str(organisation),
            "Content-Type": "application/json",
            "Connection": "close",
        }

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any, float]:
        payload = None if body is None else json.dumps(body)
        started = time.perf_counter()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            conn.request(method, path, body=payload, headers=self.headers)
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        elapsed = time.perf_counter() - started
        is_json = response.getheader("Content-Type", "").startswith("application/json")
        return response.status, json.loads(raw) if raw and is_json else None, elapsed


def content_for(plan: dict[str, Any], marker: str) -> dict[str, Any]:
    """The plan's current content with one more goal: the writer's unique marker."""
    current = dict(plan["plan"]["content"])
    current["goals"] = [*current["goals"][:3], marker]
    return current


def writer(
    base: str, token: str, org: int, sip_id: str, marker: str, barrier: threading.Barrier
) -> dict[str, Any]:
    client = Client(base, token, org)
    status, plan, _ = client.request("GET", f"{API}/sips/{sip_id}")
    assert status == 200, (status, plan)
    version = plan["version"]
    body = content_for(plan, marker)
    barrier.wait()
    outcome: dict[str, Any] = {"sip": sip_id, "marker": marker, "latencies": [], "statuses": []}
    for _ in range(RETRIES + 1):
        status, data, elapsed = client.request(
            "PUT", f"{API}/sips/{sip_id}/plan", {"expected_version": version, "content": body}
        )
        outcome["latencies"].append(elapsed)
        outcome["statuses"].append(status)
        if status != 409:
            break
        version = data["current_version"]
    outcome["applied"] = outcome["statuses"][-1] == 200
    return outcome


def health(base: str, barrier: threading.Barrier) -> float:
    client = Client(base, "-", 0)
    client.headers = {"Connection": "close"}
    barrier.wait()
    status, _, elapsed = client.request("GET", "/api/health")
    assert status == 200
    return elapsed


def verify(outcomes: list[dict[str, Any]], versions_before: dict[str, int]) -> dict[str, int]:
    """Check the database against what the clients were told; raise on any lost update."""
    from datasmart.sip.models import PlanVersion, Sip

    problems = []
    for sip_id, before in versions_before.items():
        mine = [o for o in outcomes if o["sip"] == sip_id]
        applied = {o["marker"] for o in mine if o["applied"]}
        refused = {o["marker"] for o in mine if not o["applied"]}
        stored = Counter(
            goal
            for content in PlanVersion.objects.filter(sip_id=sip_id).values_list(
                "content", flat=True
            )
            for goal in content["goals"]
            if goal.startswith("bench-")
        )
        if any(stored[m] != 1 for m in applied):
            problems.append(f"{sip_id}: an applied write is missing or doubled")
        if any(stored[m] for m in refused):
            problems.append(f"{sip_id}: a refused write was stored")
        version = Sip.objects.values_list("version", flat=True).get(pk=sip_id)
        if version != before + len(applied):
            problems.append(f"{sip_id}: version {version}, expected {before + len(applied)}")
    statuses = Counter(s for o in outcomes for s in o["statuses"])
    if set(statuses) - {200, 409}:
        problems.append(f"unexpected statuses: {dict(statuses)}")
    if problems:
        raise SystemExit("LOST OR WRONG UPDATES:\n" + "\n".join(problems))
    return {
        "applied": sum(o["applied"] for o in outcomes),
        "given_up": sum(not o["applied"] for o in outcomes),
        "answered_409": statuses[409],
    }


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] * 1000


def one_round(base: str, token: str, org: int, sips: list[str], round_no: int) -> dict[str, Any]:
    from datasmart.sip.models import Sip

    before = {str(pk): v for pk, v in Sip.objects.filter(pk__in=sips).values_list("id", "version")}
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        barrier = threading.Barrier(CONCURRENCY)
        baseline = list(pool.map(lambda _: health(base, barrier), range(CONCURRENCY)))
        barrier = threading.Barrier(CONCURRENCY)
        outcomes = list(
            pool.map(
                lambda i: writer(
                    base, token, org, sips[i % len(sips)], f"bench-{round_no}-{i}", barrier
                ),
                range(CONCURRENCY),
            )
        )
    counts = verify(outcomes, before)
    first = [o["latencies"][0] for o in outcomes]
    return {
        **counts,
        "health_p50": pct(baseline, 50),
        "health_p95": pct(baseline, 95),
        "first_p50": pct(first, 50),
        "first_p95": pct(first, 95),
        "requests": sum(len(o["statuses"]) for o in outcomes),
    }


def main() -> int:
    env = platform_env(PG_URL)
    prepare_database(PG_URL, env)
    token, sips, org = seed(env)
    with gunicorn(env, workers=WORKERS) as base:
        rounds = [one_round(base, token, org, sips, r) for r in range(ROUNDS)]
    print(
        f"SIP plan updates on loopback: gunicorn {WORKERS} workers x 4 threads, PostgreSQL; "
        f"{CONCURRENCY} concurrent writers over {PLANS} plans, 409 → retry with the current "
        f"version (≤ {RETRIES}); {ROUNDS} rounds"
    )
    print(
        f"{'round':<6}{'applied':>8}{'gave up':>8}{'409s':>6}{'requests':>9}"
        f"{'health p50/p95 ms':>19}{'1st PUT p50/p95 ms':>20}{'p50 ratio':>10}{'p95 ratio':>10}"
    )
    for i, r in enumerate(rounds, 1):
        print(
            f"{i:<6}{r['applied']:>8}{r['given_up']:>8}{r['answered_409']:>6}{r['requests']:>9}"
            f"{r['health_p50']:>9.0f}/{r['health_p95']:<9.0f}{r['first_p50']:>10.0f}/"
            f"{r['first_p95']:<9.0f}{r['first_p50'] / r['health_p50']:>9.2f}x"
            f"{r['first_p95'] / r['health_p95']:>9.2f}x"
        )
    print("no lost update: every write was applied exactly once or answered 409 (checked in DB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
