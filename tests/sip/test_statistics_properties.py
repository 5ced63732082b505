"""Property tests for the SIP statistics (hypothesis): for random sets of plans,

- the counts equal a plain-Python recount of the generated plans (an oracle);
- numerators never exceed denominators, raw or published;
- a region's (and the nation's) totals equal the sum of its kommuner's raw counts —
  suppressed and unsuppressed alike — before suppression, and every published figure
  equals that raw sum, while no published count lies in 1–4.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

import polars as pl
import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datasmart.geo.models import Unit
from datasmart.indicators import engine
from datasmart.indicators.models import Indicator, Result
from datasmart.indicators.periods import month_period
from datasmart.indicators.results import indicator_spec, observations_frame, units_frame
from datasmart.sip.models import CloseReason
from datasmart.sip.stats.publish import (
    CLOSED_CODES,
    INDICATOR_CODES,
    count_sips,
    publish_sip_indicators,
)
from tests.sip.statistics_support import (
    KIRUNA,
    KOMMUN_REGION,
    LULEA,
    NORRBOTTEN,
    UMEA,
    FollowUp,
    at,
    build_plan,
    kommun_org,
    region_org,
)

pytestmark = pytest.mark.django_db

NOW = at(2026, 6, 15, 12)
BASE = at(2026, 1, 1, 0)
TARGET = 30
OWNERS = (KIRUNA, LULEA, UMEA, "region+2580", "region")
PROPORTIONS = ("sip-first-meeting-within-target", "sip-follow-up-held")
SUMMED = ("sip-started", *PROPORTIONS, *CLOSED_CODES.values())


@dataclass(frozen=True)
class PlanSpec:
    owner: str
    start_hours: int
    first_days: int | None
    follow_ups: tuple[tuple[int, bool], ...]
    closed: tuple[int, str] | None

    @property
    def started_at(self) -> dt.datetime:
        return BASE + dt.timedelta(hours=self.start_hours)

    @property
    def kommun(self) -> str | None:
        if self.owner == "region":
            return None
        return LULEA if self.owner == "region+2580" else self.owner


plans_strategy = st.lists(
    st.builds(
        PlanSpec,
        owner=st.sampled_from(OWNERS),
        # up to ~5.3 months after 1 January, at any hour (month boundaries included)
        start_hours=st.integers(0, 160 * 24) | st.integers(58 * 24, 60 * 24),  # or near 1 March
        first_days=st.none() | st.integers(0, 60),
        follow_ups=st.lists(st.tuples(st.integers(1, 150), st.booleans()), max_size=2).map(tuple),
        closed=st.none() | st.tuples(st.integers(0, 150), st.sampled_from(CloseReason.values)),
    ),
    max_size=14,
)


def _local_month(moment: dt.datetime) -> int:
    return month_period(moment.astimezone(BASE.tzinfo).date())


def _oracle(specs: list[PlanSpec]) -> dict[str, Counter[tuple[str, int]]]:
    """Raw figures per (kommun code, month), recounted in Python from the specs."""
    out: dict[str, Counter[tuple[str, int]]] = defaultdict(Counter)
    for s in specs:
        if s.kommun is None:
            continue
        month = _local_month(s.started_at)
        out["started"][s.kommun, month] += 1
        if s.started_at <= NOW - dt.timedelta(days=TARGET):
            out["first_den"][s.kommun, month] += 1
            if s.first_days is not None and s.first_days <= TARGET:
                out["first_num"][s.kommun, month] += 1
        due: dict[int, bool] = {}
        for offset, held in s.follow_ups:
            when = s.started_at + dt.timedelta(days=offset)
            if when <= NOW:
                m = _local_month(when)
                due[m] = due.get(m, False) or held
        for m, held in due.items():
            out["follow_den"][s.kommun, m] += 1
            out["follow_num"][s.kommun, m] += int(held)
        if s.closed is not None:
            closed_at = s.started_at + dt.timedelta(days=s.closed[0])
            if closed_at <= NOW:
                out[f"closed:{s.closed[1]}"][s.kommun, _local_month(closed_at)] += 1
    return out


def _build(specs: list[PlanSpec]) -> None:
    bup = region_org(NORRBOTTEN)
    lulea = kommun_org(LULEA)
    for s in specs:
        owner = bup if s.owner.startswith("region") else kommun_org(s.owner)
        closed_at = reason = None
        if s.closed is not None:
            closed_at, reason = s.started_at + dt.timedelta(days=s.closed[0]), s.closed[1]
        build_plan(
            owner,
            s.started_at,
            first_held_after=dt.timedelta(days=s.first_days) if s.first_days is not None else None,
            follow_ups=tuple(
                FollowUp(s.started_at + dt.timedelta(days=o), held) for o, held in s.follow_ups
            ),
            closed_at=closed_at,
            closed_reason=reason or "",
            invited_kommun=lulea if s.owner == "region+2580" else None,
        )


def _frame_counter(frame: pl.DataFrame, column: str, codes: dict[int, str]) -> Counter:
    return Counter(
        {(codes[r["kommun_id"]], r["period"]): r[column] for r in frame.to_dicts() if r[column]}
    )


def _raw_kommun(code: str) -> dict[tuple[str, int], tuple[float, float | None]]:
    """(kommun code, period) → (numerator, denominator) from the stored observations."""
    ind = Indicator.objects.get(code=code)
    obs = observations_frame(ind).filter(pl.col("status") == "ok")
    return {
        (r["unit_code"], r["period"]): (r["numerator"], r["denominator"]) for r in obs.to_dicts()
    }


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=plans_strategy)
def test_counts_match_oracle_and_regions_sum_their_kommuner(specs: list[PlanSpec]) -> None:
    with transaction.atomic():
        _build(specs)
        codes = dict(Unit.objects.filter(level="kommun").values_list("pk", "code"))
        counts = count_sips(NOW, target_days=TARGET)
        oracle = _oracle(specs)

        # 1. The database counts are the recount.
        assert _frame_counter(counts.started, "n", codes) == oracle["started"]
        assert _frame_counter(counts.first_meeting, "numerator", codes) == oracle["first_num"]
        assert _frame_counter(counts.first_meeting, "denominator", codes) == oracle["first_den"]
        assert _frame_counter(counts.follow_up, "numerator", codes) == oracle["follow_num"]
        assert _frame_counter(counts.follow_up, "denominator", codes) == oracle["follow_den"]
        for reason in CloseReason.values:
            got = _frame_counter(counts.closed.filter(pl.col("reason") == reason), "n", codes)
            assert got == oracle[f"closed:{reason}"]
        assert counts.unplaced == sum(1 for s in specs if s.kommun is None)

        # 2. Numerators never exceed denominators (raw).
        for frame in (counts.first_meeting, counts.follow_up):
            assert (frame["numerator"] <= frame["denominator"]).all()

        report = publish_sip_indicators(now=NOW, target_days=TARGET)
        assert all(r.ok for r in report.computed)
        if not specs or all(s.kommun is None for s in specs):
            transaction.set_rollback(True)
            return
        units = units_frame()
        region_of = {
            r["unit_code"]: r["region_code"] for r in units.to_dicts() if r["level"] == "kommun"
        }
        for code in SUMMED:
            ind = Indicator.objects.get(code=code)
            raw = _raw_kommun(code)
            sums: dict[tuple[str, str, int], list[float]] = defaultdict(lambda: [0.0, 0.0])
            for (kommun, period), (num, den) in raw.items():
                for level, unit in (("region", region_of[kommun]), ("nation", "00")):
                    sums[level, unit, period][0] += num
                    sums[level, unit, period][1] += den or 0.0
            # 3. Before suppression, regions and the nation are the sums of their kommuner.
            plain = engine.compute(
                observations_frame(ind), units, indicator_spec(ind), suppression_threshold=1
            ).filter(pl.col("level").is_in(["region", "nation"]) & (pl.col("status") == "ok"))
            for r in plain.to_dicts():
                num, den = sums[r["level"], r["unit_code"], r["period"]]
                assert r["numerator"] == num, (code, r)
                if code in PROPORTIONS:
                    assert r["denominator"] == den and r["numerator"] <= r["denominator"]
            for (level, unit, _period), (num, _den) in sums.items():
                if num > 0 and level == "region":
                    assert unit in (NORRBOTTEN, KOMMUN_REGION[UMEA])
            # 4. Published: every shown figure is the raw figure; none is 1–4.
            for r in Result.objects.filter(indicator=ind).values(
                "unit__code", "level", "period", "numerator", "denominator", "value", "status"
            ):
                if r["status"] != "ok":
                    assert r["numerator"] is None and r["value"] is None
                    continue
                assert not 0 < r["numerator"] < 5, (code, r)
                key = (r["unit__code"], r["period"])
                if r["level"] == "kommun":
                    expected = raw.get(key, (0.0, None))[0]
                elif r["level"] in ("region", "nation"):
                    expected = sums.get((r["level"], *key), [0.0, 0.0])[0]
                else:
                    continue
                assert r["numerator"] == expected, (code, r)
                if code in PROPORTIONS:
                    assert r["numerator"] <= r["denominator"]
        assert set(INDICATOR_CODES) >= set(SUMMED)
        transaction.set_rollback(True)
