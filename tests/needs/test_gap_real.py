"""Need against care delivered on real computed indicator results (issue #13 §3): the
ADHD medication file loaded and only methylphenidate computed, then the gap for
Hallands län checked by hand: delivered = Σ published rate per 1 000 × the population of
the same age group in the same year, expected in that year too."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from datasmart.accounts.audit import SYSTEM
from datasmart.needs import expected, gap, prevalence

pytestmark = pytest.mark.django_db

CODE = "adhd-medication-methylphenidate"


@pytest.fixture
def methylphenidate() -> None:
    from datasmart.indicators import results
    from datasmart.indicators.loaders import load_real_indicators
    from datasmart.indicators.models import Indicator

    load_real_indicators(only=["adhd_medication"])
    results.compute_indicator(Indicator.objects.get(code=CODE), by=SYSTEM)
    prevalence.load_prevalence()


def test_population_year_index_takes_the_cube_year_before_the_period() -> None:
    years = [2019, 2024, 2029]
    assert gap.population_year_index(years, 2024) == 1
    assert gap.population_year_index(years, 2023) == 0
    assert gap.population_year_index(years, 202603) == 1  # a month counts as its year
    assert gap.population_year_index(years, 2015) == 0
    assert gap.population_year_index(years, None) == 0


def test_adhd_gap_on_computed_results_halland(methylphenidate: None) -> None:
    from datasmart.indicators.models import Result

    row = next(r for r in gap.gap_rows("region", "13") if r["indicator"] == CODE)
    latest = (
        Result.objects.filter(indicator__code=CODE, unit__code="13", sex="T", status="ok")
        .exclude(age_group="")
        .order_by("-period")
        .first()
    )
    assert latest is not None and row["period"] == latest.period
    cube = expected.population_cube("region", "13")
    yi = gap.population_year_index(cube.years, latest.period)
    assert row["year"] == cube.years[yi] <= latest.period  # same year for both sides
    pop = cube.data[yi, 0]  # [sex, age]
    rates = dict(
        Result.objects.filter(indicator__code=CODE, unit__code="13", sex="T", period=latest.period)
        .exclude(age_group="")
        .values_list("age_group", "value")
    )
    assert set(rates) == {"5-9", "10-14", "15-19", "20-24"}
    by_hand = sum(
        rates[g] / 1000 * pop[:, int(g.split("-")[0]) : int(g.split("-")[1]) + 1].sum()
        for g in rates
    )
    assert row["delivered"] == pytest.approx(by_hand)
    # expected: 6–17 (central 5 %) and 18–24 (central 3.5 %), both sexes, same year
    adhd = {
        (e.age_from, e.age_to): e.central
        for e in prevalence.basis_estimates()
        if e.condition == "adhd"
    }
    want = adhd[(6, 17)] * pop[:, 6:18].sum() + adhd[(18, None)] * pop[:, 18:25].sum()
    assert row["expected_central"] == pytest.approx(want)
    assert row["coverage"] == pytest.approx(by_hand / want)
    assert row["gap_per_10000"] == pytest.approx((want - by_hand) / pop.sum() * 10_000)
    # plausible on the real data: some thousands of patients, coverage within 0.5–2
    assert 1000 < row["delivered"] < 10_000 and 0.5 < row["coverage"] < 2
    assert row["coverage_low"] < row["coverage"] < row["coverage_high"]
    assert np.isfinite(row["gap_per_10000_low"]) and np.isfinite(row["gap_per_10000_high"])


def test_gap_without_results_is_missing_not_zero() -> None:
    prevalence.load_prevalence()
    rows = gap.gap_rows("region", "13")
    assert rows and all(r["delivered"] is None and r["coverage"] is None for r in rows)


def test_lan_page_shows_key_indicators_from_the_unit_profile(client: Any) -> None:
    """The län page's compact table holds the unit profile's figures, rounded by the
    platform's one rounding function (NASP suicide rate 15+, one decimal)."""
    from datasmart.indicators import results
    from datasmart.indicators.loaders import load_real_indicators
    from datasmart.indicators.models import Indicator
    from datasmart.indicators.rounding import format_value

    load_real_indicators(only=["nasp_suicide_15plus"])
    for ind in Indicator.objects.filter(code__startswith="suicide-rate-15plus"):
        results.compute_indicator(ind, by=SYSTEM)
    prevalence.load_prevalence()
    profile = {r["code"]: r for r in results.unit_profile("13") if r.get("value") is not None}
    assert profile, "no unit profile rows"
    page = client.get("/behov/lan/13/").content.decode()
    table = page[
        page.index('id="lan-indicators"') : page.index(
            "</table>", page.index('id="lan-indicators"')
        )
    ]
    for code, row in profile.items():
        assert f"/indikatorer/{code}/" in table
        assert f">{format_value(row['value'], 1)}<" in table
