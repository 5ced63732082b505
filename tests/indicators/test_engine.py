"""Unit tests of the indicator engine on a small hand-made hierarchy (pure, no database).

Expected intervals and tests come from independent oracles: statsmodels
(``proportion_confint``, ``proportions_ztest``, ``test_poisson_2indep``), scipy
(chi-square quantiles for exact Poisson limits) and ``datasmart.stats`` itself
where the engine only arranges its output (DSR, funnels, trends).
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint, proportions_ztest
from statsmodels.stats.rates import test_poisson_2indep as poisson_2indep
from test_engine_support import KOMMUNER, exposed_cells, obs_frame, row, units_frame

from datasmart.indicators.engine import OUTPUT_COLUMNS, TREND_COLUMNS, IndicatorSpec, compute, trend
from datasmart.stats import dsr, funnel_limits, poisson_trend, proportion_trend, rate_ci

PROP = IndicatorSpec("p", "proportion", 100, "higher_is_better", "wilson")
RATE = IndicatorSpec("r", "rate", 100_000, "lower_is_better", "byar")

# Numerators and denominators large enough that nothing is suppressed.
BIG = {k: (10.0 * (i + 1), 100.0 * (i + 2)) for i, k in enumerate(KOMMUNER)}


def big_sum(kommuner: list[str]) -> tuple[float, float]:
    return sum(BIG[k][0] for k in kommuner), sum(BIG[k][1] for k in kommuner)


# --- shape and aggregation ------------------------------------------------------------


def test_one_row_per_unit_and_cell_with_all_columns():
    out = compute(obs_frame(BIG), units_frame(), PROP)
    assert tuple(out.columns) == OUTPUT_COLUMNS
    assert out.height == 1 + 3 + 4 + len(KOMMUNER)
    assert out["level"].to_list()[:4] == [
        "nation",
        "sjukvardsregion",
        "sjukvardsregion",
        "sjukvardsregion",
    ]
    assert set(out["status"]) == {"ok"}


def test_aggregates_sum_numerators_and_denominators_up_every_path():
    out = compute(obs_frame(BIG), units_frame(), PROP)
    expected = {
        "01": big_sum(["0101", "0102", "0103"]),
        "03": big_sum(["0301", "0302", "0303"]),
        # split region 03: its kommuner go to their own sjukvårdsregion
        "sa": big_sum(["0101", "0102", "0103", "0301"]),
        "sb": big_sum(["0201", "0202", "0203", "0302", "0303"]),
        "sc": big_sum(["0401", "0402"]),
        "00": big_sum(list(KOMMUNER)),
    }
    for unit, (x, n) in expected.items():
        r = row(out, unit)
        assert (r["numerator"], r["denominator"]) == (x, n), unit
        assert r["value"] == pytest.approx(x / n * 100)  # a ratio of sums, never a mean of rates
        assert r["aggregated_from"] == "kommun"
    assert row(out, "0101")["aggregated_from"] is None  # stored


def test_group_value_is_summed_over_the_kommungrupp():
    out = compute(obs_frame(BIG), units_frame(), PROP)
    x, n = big_sum(["0101", "0201", "0301", "0401"])
    r = row(out, "0201")
    assert r["group_code"] == "A"
    assert r["group_value"] == pytest.approx(x / n * 100)
    assert row(out, "01")["group_code"] is None


def test_missing_kommun_makes_its_parents_missing():
    counts = {k: v for k, v in BIG.items() if k != "0102"}
    out = compute(obs_frame(counts), units_frame(), PROP)
    for unit in ("0102", "01", "sa", "00"):
        r = row(out, unit)
        assert r["status"] == "missing" and r["value"] is None, unit
    assert row(out, "02")["status"] == "ok"
    assert row(out, "sb")["status"] == "ok"  # sb has no kommun of region 01
    assert row(out, "0202")["group_value"] is None  # kommungrupp B is incomplete
    assert row(out, "0202")["vs_group"] == "not_compared"
    assert row(out, "0201")["group_value"] is not None


def test_missing_status_row_counts_as_missing():
    out = compute(obs_frame(BIG, status={"0402": "missing"}), units_frame(), PROP)
    assert row(out, "04")["status"] == "missing"
    assert row(out, "sc")["status"] == "missing"


def test_not_applicable_children_add_nothing():
    counts = dict(BIG)
    out = compute(obs_frame(counts, status={"0103": "not_applicable"}), units_frame(), PROP)
    assert row(out, "0103")["status"] == "not_applicable"
    assert row(out, "0103")["numerator"] is None
    assert row(out, "01")["numerator"] == big_sum(["0101", "0102"])[0]
    all_na = compute(
        obs_frame(
            {k: BIG[k] for k in ("0401", "0402")},
            status={"0401": "not_applicable", "0402": "not_applicable"},
        ),
        units_frame(),
        PROP,
    )
    assert row(all_na, "04")["status"] == "not_applicable"


def test_region_rows_only_aggregate_to_nation_and_unsplit_sjukvardsregioner():
    regions = {"01": (50.0, 500.0), "02": (60.0, 400.0), "03": (70.0, 900.0), "04": (80.0, 800.0)}
    out = compute(obs_frame(regions), units_frame(), PROP)
    nation = row(out, "00")
    assert (nation["numerator"], nation["denominator"]) == (260.0, 2600.0)
    assert nation["aggregated_from"] == "region"
    sc = row(out, "sc")
    assert (sc["numerator"], sc["aggregated_from"]) == (80.0, "region+kommun")
    # sa and sb contain parts of the split region 03: not derivable from län rows
    assert row(out, "sa")["status"] == "missing"
    assert row(out, "sb")["status"] == "missing"
    assert row(out, "0101")["status"] == "missing"


def test_split_region_kommuner_complete_a_sjukvardsregion_built_from_regions():
    counts = {"01": (50.0, 500.0), "0301": (20.0, 100.0)}
    out = compute(obs_frame(counts), units_frame(), PROP)
    sa = row(out, "sa")
    assert (sa["numerator"], sa["denominator"], sa["aggregated_from"]) == (
        70.0,
        600.0,
        "region+kommun",
    )


def test_stored_parent_wins_over_aggregate():
    counts = dict(BIG) | {"01": (999.0, 5000.0)}
    out = compute(obs_frame(counts), units_frame(), PROP)
    r = row(out, "01")
    assert (r["numerator"], r["aggregated_from"]) == (999.0, None)
    # the nation is summed from the finest complete level (kommuner)
    assert row(out, "00")["numerator"] == big_sum(list(KOMMUNER))[0]


def test_not_aggregatable_leaves_parents_missing():
    spec = IndicatorSpec("p", "proportion", 100, "higher_is_better", "wilson", aggregatable=False)
    out = compute(obs_frame(BIG), units_frame(), spec)
    assert set(out.filter(pl.col("level") != "kommun")["status"]) == {"missing"}


# --- intervals ---------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "sm_method"), [("wilson", "wilson"), ("exact", "beta")])
def test_proportion_interval_matches_statsmodels(method, sm_method):
    spec = IndicatorSpec("p", "proportion", 100, "higher_is_better", method)
    out = compute(obs_frame(BIG), units_frame(), spec)
    for unit in ("0101", "0303", "01", "sb", "00"):
        r = row(out, unit)
        lo, hi = proportion_confint(r["numerator"], r["denominator"], alpha=0.05, method=sm_method)
        assert (r["lower"], r["upper"]) == pytest.approx((lo * 100, hi * 100), rel=1e-9), unit


def test_rate_interval_byar_and_exact():
    out = compute(obs_frame(BIG), units_frame(), RATE)
    r = row(out, "02")
    lo, hi = rate_ci(r["numerator"], r["denominator"], 0.95, 100_000, "byar")
    assert (r["lower"], r["upper"]) == pytest.approx((lo, hi), rel=1e-12)
    assert r["value"] == pytest.approx(r["numerator"] / r["denominator"] * 100_000)
    exact = IndicatorSpec("r", "rate", 100_000, "lower_is_better", "exact", confidence=0.9)
    r = row(compute(obs_frame(BIG), units_frame(), exact), "0402")
    x, n = BIG["0402"]
    lo, hi = sps.chi2.ppf(0.05, 2 * x) / 2, sps.chi2.ppf(0.95, 2 * x + 2) / 2  # Garwood
    assert (r["lower"], r["upper"]) == pytest.approx((lo / n * 1e5, hi / n * 1e5), rel=1e-9)
    assert "90 %" in r["method"]


def test_count_indicator_has_poisson_limits_and_no_comparisons():
    spec = IndicatorSpec("c", "count", 1, "no_judgement", "exact")
    counts = {k: (v[0], None) for k, v in BIG.items()}
    out = compute(obs_frame(counts), units_frame(), spec)
    r = row(out, "0101")
    assert r["value"] == 10.0
    assert (r["lower"], r["upper"]) == pytest.approx(
        (sps.chi2.ppf(0.025, 20) / 2, sps.chi2.ppf(0.975, 22) / 2), rel=1e-9
    )
    assert row(out, "00")["numerator"] == big_sum(list(KOMMUNER))[0]
    assert r["funnel_zone"] is None
    assert (r["vs_nation"], r["vs_group"]) == ("not_compared", "not_compared")


def test_mean_has_no_interval():
    spec = IndicatorSpec("m", "mean", 1, "no_judgement", "none")
    out = compute(obs_frame(BIG), units_frame(), spec)
    r = row(out, "01")
    assert r["value"] == pytest.approx(
        big_sum(["0101", "0102", "0103"])[0] / big_sum(["0101", "0102", "0103"])[1]
    )
    assert r["lower"] is None and r["vs_nation"] == "not_compared"


def test_dsr_from_age_bands_matches_stats_dsr():
    bands = ("0-39", "40-64", "65+")
    spec = IndicatorSpec(
        "d", "dsr", 100_000, "lower_is_better", "byar", age_bands=bands,
        standard_population=(50_000.0, 32_000.0, 18_000.0),
    )  # fmt: skip
    rng = np.random.default_rng(3)
    frames = []
    counts = {}
    for k in KOMMUNER:
        c = rng.integers(5, 40, size=3).astype(float)
        p = rng.integers(2_000, 9_000, size=3).astype(float)
        counts[k] = (c, p)
        for b, x, n in zip(bands, c, p, strict=True):
            frames.append(obs_frame({k: (x, n)}, age_group=b))
    out = compute(pl.concat(frames), units_frame(), spec)
    assert set(out["age_group"]) == {""}
    std = np.array(spec.standard_population)
    for unit, members in (("0101", ["0101"]), ("02", ["0201", "0202", "0203"])):
        c = sum(counts[k][0] for k in members)
        p = sum(counts[k][1] for k in members)
        want = dsr(c, p, std, 0.95, 100_000)
        r = row(out, unit)
        assert (r["value"], r["lower"], r["upper"]) == pytest.approx(
            (float(want.value), float(want.lower), float(want.upper)), rel=1e-12
        )
        assert (r["numerator"], r["denominator"]) == (c.sum(), p.sum())
    assert "Dobson" in row(out, "00")["method"]


def test_dsr_below_ten_events_is_not_applicable_but_shows_counts():
    bands = ("young", "old")
    spec = IndicatorSpec(
        "d", "dsr", 100_000, "lower_is_better", "byar", age_bands=bands,
        standard_population=(60.0, 40.0), levels=("kommun",),
    )  # fmt: skip
    frames = [
        obs_frame({k: (3.0 if b == "young" else 4.0, 1000.0)}, age_group=b)
        for k in KOMMUNER
        for b in bands
    ]
    out = compute(pl.concat(frames), units_frame(), spec)
    r = row(out, "0101")
    assert (r["status"], r["numerator"], r["value"]) == ("not_applicable", 7.0, None)


# --- suppression ----------------------------------------------------------------------------


def test_primary_and_secondary_suppression_in_a_region():
    counts = dict(BIG) | {"0101": (3.0, 50.0), "0102": (8.0, 60.0), "0103": (30.0, 400.0)}
    out = compute(obs_frame(counts), units_frame(), PROP)
    p = row(out, "0101")
    assert (p["status"], p["suppression"]) == ("suppressed", "primary")
    assert all(p[c] is None for c in ("numerator", "denominator", "value", "lower", "upper"))
    assert (p["rank"], p["quintile"], p["vs_nation"], p["funnel_zone"]) == (
        None,
        None,
        "not_compared",
        None,
    )
    s = row(out, "0102")  # the smallest shown sibling protects it
    assert (s["status"], s["suppression"]) == ("suppressed", "secondary")
    assert row(out, "0103")["status"] == "ok"
    assert row(out, "01")["numerator"] == 41.0  # the region total stays published
    assert exposed_cells(out) == []


def test_rate_keeps_population_denominator_of_suppressed_rows():
    counts = dict(BIG) | {"0101": (2.0, 5000.0)}
    r = row(compute(obs_frame(counts), units_frame(), RATE), "0101")
    assert (r["status"], r["numerator"], r["denominator"]) == ("suppressed", None, 5000.0)


def test_small_denominator_of_a_proportion_is_suppressed():
    counts = dict(BIG) | {"0402": (0.0, 3.0)}
    r = row(compute(obs_frame(counts), units_frame(), PROP), "0402")
    assert (r["suppression"], r["denominator"]) == ("primary", None)


def test_threshold_is_configurable():
    counts = dict(BIG) | {"0101": (7.0, 50.0)}
    assert row(compute(obs_frame(counts), units_frame(), PROP), "0101")["status"] == "ok"
    out = compute(obs_frame(counts), units_frame(), PROP, suppression_threshold=10)
    assert row(out, "0101")["suppression"] == "primary"
    out = compute(
        obs_frame(dict(BIG) | {"0101": (1.0, 50.0)}), units_frame(), PROP, suppression_threshold=1
    )
    assert row(out, "0101")["status"] == "ok"


def test_zero_is_shown():
    counts = dict(BIG) | {"0101": (0.0, 50.0)}
    r = row(compute(obs_frame(counts), units_frame(), PROP), "0101")
    assert (r["status"], r["value"]) == ("ok", 0.0)


def test_split_region_suppression_protects_both_sjukvardsregioner():
    # 0301 (sa) is small; its region 03 also holds 0302 and 0303 (sb). Hiding a
    # sibling in sb alone would leave sa = 01 + 0301 exposing 0301.
    counts = dict(BIG) | {"0301": (2.0, 40.0), "0302": (6.0, 40.0), "0303": (90.0, 400.0)}
    out = compute(obs_frame(counts), units_frame(), RATE)
    assert row(out, "0301")["suppression"] == "primary"
    assert row(out, "sa")["numerator"] is not None
    hidden_in_sa = out.filter(
        pl.col("unit_code").is_in(["0101", "0102", "0103", "0301"])
        & (pl.col("status") == "suppressed")
    )
    assert hidden_in_sa.height >= 2
    assert exposed_cells(out) == []


def test_suppressed_at_source_is_protected_and_not_aggregated():
    counts = dict(BIG) | {"0202": (None, None)}
    out = compute(obs_frame(counts, status={"0202": "suppressed_at_source"}), units_frame(), PROP)
    r = row(out, "0202")
    assert (r["status"], r["suppression"]) == ("suppressed", "at_source")
    assert row(out, "02")["status"] == "missing"  # its total cannot be known
    stored = dict(BIG) | {"02": (None, None)}
    out = compute(obs_frame(stored, status={"02": "suppressed_at_source"}), units_frame(), PROP)
    assert row(out, "02")["status"] == "suppressed"  # never recomputed from its kommuner
    assert exposed_cells(out) == []


def test_sex_breakdown_is_protected():
    men = {k: (BIG[k][0], BIG[k][1]) for k in KOMMUNER} | {"0101": (2.0, 100.0)}
    women = {k: (BIG[k][0] + 5, BIG[k][1]) for k in KOMMUNER}
    total = {k: (men[k][0] + women[k][0], men[k][1] + women[k][1]) for k in KOMMUNER}
    obs = pl.concat([obs_frame(men, sex="1"), obs_frame(women, sex="2"), obs_frame(total, sex="T")])
    out = compute(obs, units_frame(), RATE)
    assert row(out, "0101", sex="1")["suppression"] == "primary"
    assert exposed_cells(out) == []


def test_unpublished_levels_need_no_protection():
    counts = dict(BIG) | {"0101": (3.0, 50.0)}
    spec = IndicatorSpec("p", "proportion", 100, "higher_is_better", "wilson", levels=("region",))
    out = compute(obs_frame(counts), units_frame(), spec)
    assert set(out["level"]) == {"region"}
    assert set(out["status"]) == {"ok"}


# --- value-only indicators ------------------------------------------------------------------


def value_obs(
    values: dict[str, float | None], status: dict[str, str] | None = None
) -> pl.DataFrame:
    return obs_frame({u: (None, None) for u in values}, status=status).with_columns(
        value=pl.Series([values[u] for u in values], dtype=pl.Float64)
    )


VALUE = IndicatorSpec("v", "value", 1, "higher_is_better", "none", aggregatable=False)


def test_value_only_indicator_ranks_but_does_not_aggregate_or_compare():
    values = {k: float(i * 7 % 11) + 0.5 for i, k in enumerate(KOMMUNER)}
    values["0303"] = None
    status = {"0303": "suppressed_at_source", "0402": "not_applicable"}
    out = compute(value_obs(values, status), units_frame(), VALUE)
    assert set(out.filter(pl.col("level") != "kommun")["status"]) == {"missing"}
    r = row(out, "0101")
    assert r["value"] == values["0101"]
    assert (r["lower"], r["upper"], r["numerator"]) == (None, None, None)
    assert {r["vs_nation"], r["vs_group"], r["vs_previous"]} == {"not_compared"}
    assert r["funnel_zone"] is None and r["group_code"] == "A" and r["group_value"] is None
    assert row(out, "0303")["status"] == "suppressed"
    assert row(out, "0402")["status"] == "not_applicable"
    ranked = out.filter(pl.col("rank").is_not_null()).sort("rank")
    assert ranked.height == 9 and ranked["n_ranked"].unique().to_list() == [9]
    assert ranked["value"].to_list() == sorted(ranked["value"].to_list(), reverse=True)
    assert ranked["quintile"].to_list()[0] == 1 and ranked["quintile"].to_list()[-1] == 5
    assert r["method"].startswith("published value")


def test_value_only_with_stored_parents_shows_them():
    values = {"00": 42.0, "01": 40.0, "0101": 38.5}
    out = compute(value_obs(values), units_frame(), VALUE)
    assert row(out, "01")["value"] == 40.0
    assert row(out, "0101")["national_value"] == 42.0
    assert row(out, "0101")["vs_nation"] == "not_compared"
    assert row(out, "02")["status"] == "missing"


# --- comparisons ---------------------------------------------------------------------------


def test_vs_nation_and_vs_group_follow_fingertips_rule():
    counts = {k: (50.0, 1000.0) for k in KOMMUNER} | {
        "0101": (150.0, 1000.0),
        "0402": (10.0, 1000.0),
    }
    out = compute(obs_frame(counts), units_frame(), PROP)
    nat = row(out, "00")["value"]
    for unit, word in (("0101", "better"), ("0402", "worse"), ("0202", "similar")):
        r = row(out, unit)
        assert r["national_value"] == nat
        assert r["vs_nation"] == word, unit
    assert row(out, "00")["vs_nation"] == "not_compared"
    no_pol = IndicatorSpec("p", "proportion", 100, "no_judgement", "wilson")
    assert row(compute(obs_frame(counts), units_frame(), no_pol), "0101")["vs_nation"] == "higher"
    assert row(compute(obs_frame(counts), units_frame(), RATE), "0101")["vs_nation"] == "worse"
    r = row(out, "0401")
    assert r["group_value"] == pytest.approx((50 * 3 + 150) / 4000 * 100)
    assert r["vs_group"] == "worse"  # 5 % against group A's 7.5 %
    assert row(out, "0101")["vs_group"] == "better"


def test_vs_previous_two_proportion_z_test():
    y1 = {k: (300.0, 1000.0) for k in KOMMUNER}
    y2 = {k: (300.0, 1000.0) for k in KOMMUNER} | {"0101": (360.0, 1000.0), "0102": (320.0, 1000.0)}
    out = compute(
        pl.concat([obs_frame(y1, period=2022), obs_frame(y2, period=2023)]), units_frame(), PROP
    )
    r = row(out, "0101", period=2023)
    assert (r["previous_period"], r["previous_value"]) == (2022, 30.0)
    _, p = proportions_ztest([360, 300], [1000, 1000])
    assert p < 0.05 and r["vs_previous"] == "better"
    _, p = proportions_ztest([320, 300], [1000, 1000])
    assert p > 0.05 and row(out, "0102", period=2023)["vs_previous"] == "similar"
    assert row(out, "0101", period=2022)["vs_previous"] == "not_compared"


@pytest.mark.parametrize(("x1", "x0"), [(60.0, 40.0), (52.0, 40.0), (25.0, 40.0)])
def test_vs_previous_rates_use_the_score_test(x1, x0):
    y1 = {k: (40.0, 10_000.0) for k in KOMMUNER}
    y2 = dict(y1) | {"0101": (x1, 10_000.0)}
    out = compute(
        pl.concat([obs_frame(y1, period=2022), obs_frame(y2, period=2023)]), units_frame(), RATE
    )
    res = poisson_2indep(x1, 10_000, x0, 10_000, method="score", compare="diff")
    want = "similar" if res.pvalue >= 0.05 else ("worse" if x1 > x0 else "better")
    assert row(out, "0101", period=2023)["vs_previous"] == want


def test_ranks_and_quintiles_follow_polarity():
    counts = {k: (float(10 + 3 * i), 1000.0) for i, k in enumerate(KOMMUNER)}
    out = compute(obs_frame(counts), units_frame(), RATE)  # lower is better
    kommuner = out.filter(pl.col("level") == "kommun").sort("rank")
    assert kommuner["unit_code"].to_list() == list(KOMMUNER)
    assert kommuner["n_ranked"].unique().to_list() == [11]
    assert kommuner["quintile"].to_list()[0] == 1 and kommuner["quintile"].to_list()[-1] == 5
    high = (
        compute(obs_frame(counts), units_frame(), PROP)
        .filter(pl.col("level") == "kommun")
        .sort("rank")
    )
    assert high["unit_code"].to_list() == list(reversed(KOMMUNER))
    regions = out.filter(pl.col("level") == "region")
    assert sorted(regions["rank"].to_list()) == [1, 2, 3, 4]
    assert regions["quintile"].null_count() == 4  # fewer than 5 units: no quintiles


def test_funnel_zones_use_stats_funnel_limits():
    counts = {k: (50.0, 1000.0) for k in KOMMUNER} | {
        "0101": (90.0, 1000.0),
        "0102": (66.0, 1000.0),
        "0103": (20.0, 1000.0),
        "0201": (36.0, 1000.0),
    }
    for spec in (PROP, RATE):
        out = compute(obs_frame(counts), units_frame(), spec)
        nat = row(out, "00")
        rows = out.filter(pl.col("level") != "nation")
        den = rows["denominator"].to_numpy()
        axis = den if spec.type == "proportion" else den * nat["numerator"] / nat["denominator"]
        lim = funnel_limits(
            [nat["numerator"]],
            [nat["denominator"]],
            statistic=spec.type,
            multiplier=spec.multiplier,
            axis=axis,
        )
        v = rows["value"].to_numpy()
        want = np.select(
            [v > lim.upper_3s, v > lim.upper_2s, v < lim.lower_3s, v < lim.lower_2s],
            ["above_998", "above_95", "below_998", "below_95"],
            "within",
        )
        assert rows["funnel_zone"].to_list() == want.tolist()
        zones = dict(zip(rows["unit_code"], rows["funnel_zone"], strict=True))
        assert zones["0101"] == "above_998" and zones["0103"] == "below_998"
        assert zones["0202"] == "within"
    assert row(out, "00")["funnel_zone"] is None


# --- trend ---------------------------------------------------------------------------------


def series_obs(years: range, make) -> pl.DataFrame:
    return pl.concat([obs_frame({k: make(k, y) for k in KOMMUNER}, period=y) for y in years])


def test_trend_proportion_matches_cochran_armitage():
    years = range(2016, 2024)
    obs = series_obs(years, lambda k, y: (100.0 + (y - 2016) * (20 if k == "0101" else 0), 1000.0))
    out = compute(obs, units_frame(), PROP)
    tr = trend(out, PROP)
    assert tuple(tr.columns) == TREND_COLUMNS
    r = row(tr, "0101")
    window = list(years)[-5:]
    x = np.array([100.0 + (y - 2016) * 20 for y in window])
    want = proportion_trend(x, np.full(5, 1000.0), np.array(window, float))
    assert (r["first_period"], r["last_period"], r["n_periods"]) == (2019, 2023, 5)
    assert r["slope"] == pytest.approx(float(want.slope) * 100)
    assert r["p_value"] == pytest.approx(float(want.p_value))
    assert (r["direction"], r["assessment"]) == ("increasing", "improving")
    assert row(tr, "0102")["direction"] == "no_significant_trend"
    assert row(trend(out, PROP, periods=None), "0101")["n_periods"] == 8


def test_trend_rate_matches_poisson_regression_and_skips_incomplete_series():
    years = range(2019, 2024)
    obs = series_obs(years, lambda k, y: (40.0 * 1.2 ** (y - 2019), 10_000.0))
    obs = obs.with_columns(
        numerator=pl.when((pl.col("unit_code") == "0402") & (pl.col("period") == 2021))
        .then(3.0)
        .otherwise("numerator")
    )
    out = compute(obs, units_frame(), RATE)
    tr = trend(out, RATE)
    r = row(tr, "00")
    nation = out.filter(pl.col("unit_code") == "00").sort("period")
    want = poisson_trend(
        nation["numerator"].to_numpy(), nation["denominator"].to_numpy(), np.arange(2019, 2024.0)
    )
    assert r["slope"] == pytest.approx(float(want.slope), rel=1e-8)
    assert r["p_value"] == pytest.approx(float(want.p_value), rel=1e-6)
    assert (r["direction"], r["assessment"]) == ("increasing", "worsening")
    hidden = row(tr, "0402")  # 2021 suppressed: not tested, and nothing leaks
    assert (hidden["n_periods"], hidden["direction"], hidden["slope"]) == (4, "not_tested", None)


def test_trend_of_value_indicator_is_not_tested():
    out = compute(value_obs({k: 1.0 for k in KOMMUNER}), units_frame(), VALUE)
    assert set(trend(out, VALUE)["direction"]) == {"not_tested"}


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (obs_frame({"9999": (1.0, 2.0)}), "not in units"),
        (pl.concat([obs_frame({"0101": (1.0, 2.0)})] * 2), "appears twice"),
        (obs_frame({"0101": (5.0, 2.0)}), "numerator > denominator"),
        (obs_frame({"0101": (-1.0, 2.0)}), "negative"),
        (obs_frame({"0101": (None, 2.0)}), "needs a numerator"),
        (obs_frame({"0101": (1.0, 2.0)}, sex="M"), "sex must be"),
        (obs_frame({"0101": (1.0, 2.0)}, status={"0101": "revised"}), "status must be"),
        (obs_frame({"0101": (float("nan"), 2.0)}), "NaN"),
    ],
)
def test_invalid_observations_are_refused_with_the_row(frame, message):
    with pytest.raises(ValueError, match=message) as err:
        compute(frame, units_frame(), PROP)
    assert "observations row 0" in str(err.value) or "row 1" in str(err.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"type": "ratio"}, "type"),
        ({"ci_method": "byar"}, "does not fit"),
        ({"polarity": "up"}, "polarity"),
        ({"levels": ("kommun", "county")}, "levels"),
        ({"confidence": 95}, "confidence"),
        ({"multiplier": 0}, "multiplier"),
    ],
)
def test_invalid_spec_is_refused(kwargs, message):
    args = {
        "id": "x",
        "type": "proportion",
        "multiplier": 100,
        "polarity": "no_judgement",
        "ci_method": "wilson",
    }
    with pytest.raises(ValueError, match=message):
        IndicatorSpec(**(args | kwargs))
    with pytest.raises(ValueError, match="aggregated"):
        IndicatorSpec("v", "value", 1, "no_judgement", "none")


def test_invalid_units_are_refused():
    units = units_frame()
    with pytest.raises(ValueError, match="exactly one nation"):
        compute(obs_frame(BIG), units.filter(pl.col("level") != "nation"), PROP)
    bad = units.with_columns(
        region_code=pl.when(pl.col("unit_code") == "0101")
        .then(pl.lit("77"))
        .otherwise("region_code")
    )
    with pytest.raises(ValueError, match="region_code"):
        compute(obs_frame(BIG), bad, PROP)
    bad = units.with_columns(
        sjukvardsregion_code=pl.when(pl.col("unit_code") == "0101")
        .then(pl.lit("sb"))
        .otherwise("sjukvardsregion_code")
    )
    with pytest.raises(ValueError, match="differs"):
        compute(obs_frame(BIG), bad, PROP)
