"""Two writers racing on real connections (PostgreSQL): exactly one wins.

The other SIP tests run inside one rolled-back transaction, which a second connection
cannot see. Here every query runs on a worker thread's own connection, in autocommit, so
the data is committed and two threads can race; everything this test commits is removed
afterwards. SQLite serialises writers on the whole database
(and its in-memory test database refuses a second writer outright), so the race is run on
PostgreSQL only; the deterministic interleaving in test_sip_services runs on both.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from django.db import connection, connections

from datasmart.sip import services
from datasmart.sip.domain.errors import StaleVersion

from .sip_support import make_world, plan_content

T = TypeVar("T")

# Tables this test writes to, children first, with the column that ties a row to "ours".
_CLEANUP = [
    ("sip_sipaccesslog", "sip_id IN ({sips})"),
    ("sip_personresponse", "sip_id IN ({sips})"),
    ("sip_planversion", "sip_id IN ({sips})"),
    ("sip_invitationlink", "sip_id IN ({sips})"),
    ("sip_participant", "sip_id IN ({sips})"),
    ("sip_meeting", "sip_id IN ({sips})"),
    ("sip_consent_organisations", "consent_id IN (SELECT id FROM sip_consent WHERE {consents})"),
    ("sip_consent", "sip_id IN ({sips})"),
    ("sip_sip", "id IN ({sips})"),
    ("sip_person", "NOT EXISTS (SELECT 1 FROM sip_sip WHERE sip_sip.person_id = sip_person.id)"),
    ("accounts_auditevent", "id > {audit}"),
    ("accounts_membership", "id > {membership}"),
    ("accounts_user", "id > {user}"),
    ("accounts_organisation", "id > {organisation}"),
]  # fmt: skip


def _max_ids() -> dict[str, int]:
    with connection.cursor() as cursor:
        result = {}
        for key, table in (
            ("audit", "accounts_auditevent"),
            ("membership", "accounts_membership"),
            ("user", "accounts_user"),
            ("organisation", "accounts_organisation"),
        ):
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
            result[key] = cursor.fetchone()[0]
    return result


def _cleanup(sip_ids: list[str], marks: dict[str, int]) -> None:
    sips = ", ".join(f"'{pk}'" for pk in sip_ids) or "NULL"
    with connection.cursor() as cursor:
        for table, where in _CLEANUP:
            condition = where.format(sips=sips, consents=f"sip_id IN ({sips})", **marks)
            cursor.execute(f"DELETE FROM {table} WHERE {condition}")  # noqa: S608


def in_thread(fn: Callable[[], T]) -> T:
    """Run ``fn`` on its own connection (autocommit, outside the test's transaction)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # re-raised in the caller
            box["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


def test_two_concurrent_writers_with_the_same_version(db):  # type: ignore[no-untyped-def]
    """``db`` makes pytest-django create the test database; the test's own transaction
    stays empty, everything happens on the threads' connections."""
    if connection.vendor != "postgresql":
        pytest.skip("the real race needs PostgreSQL (SQLite has one writer at a time)")
    marks = in_thread(_max_ids)
    world = None
    try:
        world = in_thread(make_world)
        version = in_thread(lambda: world.version)
        barrier = threading.Barrier(2)
        outcomes: list[Any] = []
        lock = threading.Lock()

        def write(actor: Any, goal: str) -> None:
            assert world is not None
            try:
                barrier.wait(timeout=10)
                result: Any = services.revise_plan(
                    actor,
                    world.sip.pk,
                    expected_version=version,
                    content=plan_content(world.owner, world.bup, goals=[goal]),
                ).number
            except StaleVersion as exc:
                result = ("stale", exc.current_version)
            except Exception as exc:  # reported by the assertion below
                result = exc
            finally:
                connections.close_all()
            with lock:
                outcomes.append(result)

        threads = [
            threading.Thread(target=write, args=(world.owner_staff, "A")),
            threading.Thread(target=write, args=(world.bup_staff, "B")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(outcomes, key=str) == sorted([2, ("stale", version + 1)], key=str)
        assert in_thread(lambda: world.version) == version + 1
        assert in_thread(lambda: world.sip.plan_versions.count()) == 2
    finally:
        sip_ids = [str(world.sip.pk)] if world else []
        in_thread(lambda: _cleanup(sip_ids, marks))
