"""Linked tables: a count hidden in one SIP indicator cannot be recomputed from another.

``sip-started`` and the denominator of ``sip-first-meeting-within-target`` count the same
plans for every month whose target time has passed. Suppressed one indicator at a time,
their secondary patterns differed: Luleå's count was hidden (secondary) in
``sip-started`` but shown as a denominator in the proportion, so Kiruna's 3 followed as
"Norrbotten minus the kommuner shown". The attack below uses only what the API's CSV
publishes (and the public geography); the catalogue's ``disclosure_group`` makes the
engine hide the same units in both (docs/indicators.md, "Disclosure groups").
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from ninja.testing import TestClient

from datasmart.accounts.models import Role
from datasmart.indicators.api import router
from datasmart.indicators.results import units_frame
from datasmart.sip.stats.publish import publish_sip_indicators
from tests.accounts.factories import make_token, member
from tests.indicators.disclosure_attack import equations_of, subtraction_attack
from tests.sip.statistics_support import KIRUNA, LULEA, at, build_plan, kommun_org

pytestmark = pytest.mark.django_db

NOW = at(2026, 6, 15, 12)
MARCH = 202603  # target time (30 days) long passed: denominator == plans started
BODEN = "2582"
LEVELS = ("kommun", "region", "sjukvardsregion", "nation")
api = TestClient(router)


def _published(code: str, headers: dict[str, str]) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for level in LEVELS:
        res = api.get(
            f"/indicators/{code}/values?level={level}&period={MARCH}&format=csv", headers=headers
        )
        assert res.status_code == 200, res.content
        rows += csv.DictReader(io.StringIO(res.content.decode("utf-8-sig")))
    return rows


def _counts(rows: list[dict[str, str]], column: str) -> dict[str, float]:
    """Published counts by unit code (kommungrupp totals of a count too)."""
    known = {r["unit_code"]: float(r[column]) for r in rows if r["status"] == "ok" and r[column]}
    if column == "numerator":  # a count's group_value is the kommungrupp's count
        known |= {r["group_code"]: float(r["group_value"]) for r in rows if r["group_value"]}
    return known


@pytest.fixture
def march_plans() -> None:
    """Norrbotten in March 2026: Kiruna 3 plans, Luleå 5, Boden 9 (2 met in time)."""
    for code, n, in_time in ((KIRUNA, 3, 3), (LULEA, 5, 5), (BODEN, 9, 2)):
        org = kommun_org(code)
        for i in range(n):
            late = dt.timedelta(days=4 if i < in_time else 40)
            build_plan(org, at(2026, 3, 2 + i), first_held_after=late)
    publish_sip_indicators(now=NOW)


def test_started_count_cannot_be_recovered_through_the_proportions_denominator(
    march_plans: None,
) -> None:
    _token, secret = make_token(member(Role.VIEWER))
    headers = {"Authorization": f"Bearer {secret}"}
    started = _published("sip-started", headers)
    first = _published("sip-first-meeting-within-target", headers)
    kiruna = next(r for r in started if r["unit_code"] == KIRUNA)
    assert kiruna["status"] == "suppressed" and kiruna["numerator"] == ""
    equations = equations_of(units_frame())
    # Each table alone is protected ...
    assert KIRUNA not in subtraction_attack(_counts(started, "numerator"), equations)
    assert KIRUNA not in subtraction_attack(_counts(first, "denominator"), equations)
    # ... and so are both together (same plans: one count per unit).
    linked = _counts(first, "denominator") | _counts(started, "numerator")
    recovered = subtraction_attack(linked, equations)
    assert KIRUNA not in recovered, f"Kiruna's 3 plans recomputed: {recovered}"
    # The same units are hidden in both indicators.
    hidden = {r["unit_code"] for r in started if r["status"] == "suppressed"}
    assert hidden == {r["unit_code"] for r in first if r["status"] == "suppressed"}
