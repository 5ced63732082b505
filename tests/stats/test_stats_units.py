"""Unit tests for comparison, trend and suppression (no external reference data)."""

from __future__ import annotations

import numpy as np
import pytest

from datasmart.stats import (
    compare,
    poisson_trend,
    proportion_ci,
    proportion_trend,
    rate_ci,
    suppress,
)


class TestCompare:
    def test_labels(self):
        out = compare([12, 8, 9.5, 10, np.nan], [15, 9, 11, 12, np.nan], 10)
        assert out.tolist() == ["higher", "lower", "similar", "similar", "not_compared"]

    @pytest.mark.parametrize(
        "polarity,expected",
        [
            ("high_is_good", ["better", "worse", "similar"]),
            ("low_is_good", ["worse", "better", "similar"]),
            ("no_judgement", ["higher", "lower", "similar"]),
            (None, ["higher", "lower", "similar"]),
        ],
    )
    def test_polarity(self, polarity, expected):
        assert compare([12, 8, 9], [15, 9, 11], 10, polarity=polarity).tolist() == expected

    def test_missing_comparator(self):
        assert compare([1, 2], [3, 4], [np.nan, 0]).tolist() == ["not_compared", "higher"]

    def test_with_computed_intervals(self):
        lo, hi = proportion_ci([30, 70], [100, 100])
        assert compare(lo, hi, 0.5).tolist() == ["lower", "higher"]


class TestProportionTrend:
    def test_flat_series_has_no_trend(self):
        r = proportion_trend([20, 20, 20], [100, 100, 100])
        assert r.statistic == 0 and r.p_value == 1
        assert r.direction == "no_significant_trend"

    def test_decreasing(self):
        r = proportion_trend([40, 30, 20, 10], [100] * 4, scores=[2020, 2021, 2022, 2023])
        assert r.direction == "decreasing" and r.slope < 0 and r.upper < 0

    def test_vectorised_over_series(self):
        x = np.array([[10, 15, 22, 30], [20, 20, 20, 20], [0, 0, 0, 0]])
        r = proportion_trend(x, np.full((3, 4), 100))
        single = proportion_trend(x[0], [100] * 4)
        assert r.statistic[0] == pytest.approx(single.statistic)
        assert r.direction.tolist() == ["increasing", "no_significant_trend", "not_tested"]

    def test_textbook_example(self):
        # Altman (1991) table 10.16-style check: hand-computed statistic.
        x, n = np.array([5, 10, 20]), np.array([50, 50, 50])
        p_bar, t = x.sum() / n.sum(), np.arange(3)
        t_bar = (n * t).sum() / n.sum()
        expected = ((x * (t - t_bar)).sum()) ** 2 / (
            p_bar * (1 - p_bar) * (n * (t - t_bar) ** 2).sum()
        )
        assert proportion_trend(x, n).statistic == pytest.approx(expected, rel=1e-14)


class TestPoissonTrend:
    def test_constant_rate(self):
        r = poisson_trend([100, 100, 100], [1e5, 1e5, 1e5])
        assert r.slope == pytest.approx(0, abs=1e-12)
        assert r.direction == "no_significant_trend"

    def test_exact_exponential_growth_recovers_slope(self):
        t = np.arange(6)
        e = np.full(6, 1e6)
        y = 1000 * np.exp(0.1 * t)
        r = poisson_trend(y, e)
        assert r.slope == pytest.approx(0.1, rel=1e-9)
        assert r.lower < 0.1 < r.upper

    def test_no_events_not_tested(self):
        r = poisson_trend([[0, 0, 0], [5, 10, 20]], [[100, 100, 100], [100, 100, 100]])
        assert np.isnan(r.slope[0]) and r.direction.tolist() == ["not_tested", "increasing"]


class TestSuppress:
    def test_default_hides_one_to_four_shows_zero(self):
        r = suppress([0, 1, 4, 5, 100], secondary_axes=None)
        assert r.mask.tolist() == [False, True, True, False, False]

    def test_hide_zero_and_threshold(self):
        r = suppress([0, 1, 9, 10], threshold=10, hide_zero=True, secondary_axes=None)
        assert r.mask.tolist() == [True, True, True, False]

    def test_single_hidden_cell_gets_a_partner(self):
        r = suppress([12, 3, 40, 7, 0])
        assert r.status.tolist() == ["ok", "primary", "ok", "secondary", "ok"]

    def test_two_primary_cells_need_no_secondary(self):
        r = suppress([12, 3, 40, 2])
        assert r.status.tolist() == ["ok", "primary", "ok", "primary"]

    def test_zero_only_as_last_resort(self):
        assert suppress([3, 0, 0]).status.tolist() == ["primary", "secondary", "ok"]

    def test_rows_and_columns(self):
        table = np.array([[12, 3, 40], [20, 30, 25], [10, 10, 10]])
        r = suppress(table, secondary_axes=(0, 1))
        for axis in (0, 1):
            assert np.all(r.mask.sum(axis=axis) != 1)

    def test_missing_cells(self):
        r = suppress([3, np.nan, 8, 9], nan_policy="propagate")
        assert r.status.tolist() == ["primary", "missing", "secondary", "ok"]

    def test_groups_along_last_axis_are_independent(self):
        r = suppress([[3, 10, 11], [10, 11, 12]])
        assert r.mask.tolist() == [[True, True, False], [False, False, False]]


def test_byar_lower_is_missing_when_negative():
    lo, hi = rate_ci(1, 100, confidence=0.998, multiplier=100, method="byar")
    assert np.isnan(lo) and hi == pytest.approx(9.362180217908362, rel=1e-12)


def test_auto_switches_at_ten():
    lo_auto, _ = rate_ci([9, 10], 100, method="auto")
    lo_exact, _ = rate_ci(9, 100, method="exact")
    lo_byar, _ = rate_ci(10, 100, method="byar")
    assert lo_auto.tolist() == [lo_exact, lo_byar]
