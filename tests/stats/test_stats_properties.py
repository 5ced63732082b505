"""Property tests against independent oracles (statsmodels, scipy.stats) and invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from datasmart.stats import (
    compare,
    dsr,
    mean_ci,
    poisson_limits,
    poisson_trend,
    proportion_ci,
    proportion_trend,
    rate_ci,
    suppress,
)

FAST = settings(max_examples=60, deadline=None)

confidences = st.floats(min_value=0.5, max_value=0.9999)


@st.composite
def x_n(draw, max_n=100_000):
    n = draw(st.integers(min_value=1, max_value=max_n))
    x = draw(st.integers(min_value=0, max_value=n))
    return x, n


@st.composite
def x_n_arrays(draw, max_n=5_000):
    size = draw(st.integers(min_value=1, max_value=30))
    n = np.array(draw(st.lists(st.integers(1, max_n), min_size=size, max_size=size)), float)
    frac = np.array(draw(st.lists(st.floats(0, 1), min_size=size, max_size=size)))
    return np.floor(frac * n), n


# --- oracles -------------------------------------------------------------------------------


@FAST
@given(x_n(), confidences)
def test_wilson_matches_statsmodels(xn, confidence):
    x, n = xn
    lo, hi = proportion_ci(x, n, confidence, method="wilson")
    elo, ehi = proportion_confint(x, n, alpha=1 - confidence, method="wilson")
    np.testing.assert_allclose([lo, hi], [elo, ehi], rtol=1e-9, atol=1e-12)


@FAST
@given(x_n(max_n=10_000), confidences)
def test_exact_matches_statsmodels_beta(xn, confidence):
    x, n = xn
    lo, hi = proportion_ci(x, n, confidence, method="exact")
    elo, ehi = proportion_confint(x, n, alpha=1 - confidence, method="beta")
    np.testing.assert_allclose([lo, hi], [elo, ehi], rtol=1e-9, atol=1e-12)


@FAST
@given(st.integers(0, 100_000), confidences)
def test_exact_poisson_matches_scipy_chi2(x, confidence):
    alpha = 1 - confidence
    lo, hi = poisson_limits(x, confidence, method="exact")
    elo = stats.chi2.ppf(alpha / 2, 2 * x) / 2 if x > 0 else 0.0
    ehi = stats.chi2.ppf(1 - alpha / 2, 2 * x + 2) / 2
    np.testing.assert_allclose([lo, hi], [elo, ehi], rtol=1e-9)
    # …and the gamma form, from scipy.stats.gamma
    if x > 0:
        np.testing.assert_allclose(lo, stats.gamma.ppf(alpha / 2, x), rtol=1e-9)


@pytest.mark.filterwarnings("ignore:Perfect separation")  # statsmodels flags exact fits
@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(1, 500), min_size=3, max_size=8), st.integers(1000, 100_000))
def test_poisson_trend_matches_statsmodels_glm(counts, exposure):
    import statsmodels.api as sm

    y = np.array(counts, float)
    t = np.arange(y.size, dtype=float)
    e = np.full(y.size, float(exposure))
    fit = sm.GLM(y, sm.add_constant(t), family=sm.families.Poisson(), offset=np.log(e)).fit(
        tol=1e-13
    )
    r = poisson_trend(y, e)
    np.testing.assert_allclose(r.slope, fit.params[1], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(r.p_value, fit.pvalues[1], rtol=1e-5, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(x_n_arrays(max_n=500))
def test_proportion_trend_matches_statsmodels_linear_by_linear(xn):
    from statsmodels.stats.contingency_tables import Table

    x, n = xn
    if x.size < 2 or x.sum() in (0, n.sum()):
        return
    table = np.column_stack([x, n - x])
    res = Table(table, shift_zeros=False).test_ordinal_association(
        row_scores=np.arange(x.size, dtype=float), col_scores=np.array([1.0, 0.0])
    )
    big_n = n.sum()
    # Mantel–Haenszel's (N − 1) r² differs from Cochran–Armitage's N r² by N/(N − 1).
    expected = res.zscore**2 * big_n / (big_n - 1)
    np.testing.assert_allclose(proportion_trend(x, n).statistic, expected, rtol=1e-8)


def test_mean_ci_matches_scipy_t_interval():
    rng = np.random.default_rng(1)
    v = rng.normal(50, 10, size=37)
    lo, hi = mean_ci(v, 0.9)
    elo, ehi = stats.t.interval(0.9, v.size - 1, loc=v.mean(), scale=stats.sem(v))
    np.testing.assert_allclose([lo, hi], [elo, ehi], rtol=1e-12)


# --- invariants ------------------------------------------------------------------------------


@FAST
@given(x_n_arrays(), confidences, st.sampled_from(["wilson", "exact"]))
def test_proportion_bounds_contain_estimate(xn, confidence, method):
    x, n = xn
    lo, hi = proportion_ci(x, n, confidence, method=method)
    p = x / n
    assert np.all((lo >= 0) & (hi <= 1))
    assert np.all(lo <= p + 1e-12) and np.all(p <= hi + 1e-12)


@FAST
@given(x_n_arrays(), st.floats(0.5, 0.99), st.floats(0.001, 0.0099),
       st.sampled_from(["wilson", "exact"]))  # fmt: skip
def test_proportion_interval_widens_with_confidence(xn, c1, gap, method):
    x, n = xn
    c2 = min(c1 + gap, 0.9999)
    lo1, hi1 = proportion_ci(x, n, c1, method=method)
    lo2, hi2 = proportion_ci(x, n, c2, method=method)
    assert np.all(lo2 <= lo1 + 1e-12) and np.all(hi2 >= hi1 - 1e-12)


@FAST
@given(x_n_arrays(), st.sampled_from(["wilson", "exact"]))
def test_proportion_vectorised_equals_scalar(xn, method):
    x, n = xn
    lo, hi = proportion_ci(x, n, method=method)
    for i in range(x.size):
        slo, shi = proportion_ci(float(x[i]), float(n[i]), method=method)
        assert np.isscalar(slo) and np.isscalar(shi)
        assert slo == pytest.approx(lo[i], rel=1e-13, abs=1e-15)
        assert shi == pytest.approx(hi[i], rel=1e-13, abs=1e-15)


@FAST
@given(st.lists(st.integers(0, 20_000), min_size=1, max_size=30), st.floats(1, 1e6),
       confidences, st.sampled_from(["exact", "auto", "byar"]))  # fmt: skip
def test_rate_bounds_contain_estimate(counts, denominator, confidence, method):
    x = np.array(counts, float)
    if method == "byar":
        x = x + 10  # Byar's lower limit is undefined (NaN) for the smallest counts
    lo, hi = rate_ci(x, denominator, confidence, multiplier=1000, method=method)
    rate = x / denominator * 1000
    assert np.all(lo >= 0)
    assert np.all(lo <= rate * (1 + 1e-12)) and np.all(rate <= hi)


@FAST
@given(st.lists(st.integers(0, 20_000), min_size=1, max_size=30), st.floats(0.5, 0.99),
       st.sampled_from(["exact", "auto", "byar"]))  # fmt: skip
def test_rate_interval_widens_with_confidence(counts, c1, method):
    x = np.array(counts, float) + (10 if method == "byar" else 0)
    lo1, hi1 = rate_ci(x, 1000, c1, method=method)
    lo2, hi2 = rate_ci(x, 1000, min(c1 + 0.005, 0.9999), method=method)
    assert np.all(lo2 <= lo1) and np.all(hi2 >= hi1)


@FAST
@given(
    st.lists(st.integers(0, 20_000), min_size=1, max_size=20), st.sampled_from(["exact", "auto"])
)
def test_rate_vectorised_equals_scalar(counts, method):
    x = np.array(counts, float)
    lo, hi = rate_ci(x, 5000, method=method)
    for i in range(x.size):
        slo, shi = rate_ci(float(x[i]), 5000, method=method)
        assert np.isscalar(slo)
        assert slo == pytest.approx(lo[i], rel=1e-13, abs=1e-15)
        assert shi == pytest.approx(hi[i], rel=1e-13)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 300), min_size=19, max_size=19),
       st.lists(st.integers(100, 50_000), min_size=19, max_size=19))  # fmt: skip
def test_dsr_contains_value_and_scales(counts, pops):
    c, n = np.array(counts, float), np.array(pops, float)
    r = dsr(c, n, min_count=10)
    if c.sum() < 10:
        assert np.isnan(r.value)
        return
    assert r.lower <= r.value <= r.upper
    # The DSR of identical age-specific rates is that rate, whatever the standard.
    flat = dsr(n * 0.01, n, multiplier=1, min_count=0)
    assert flat.value == pytest.approx(0.01, rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 60), st.just(3)), min_size=2, max_size=12),
       st.integers(2, 10))  # fmt: skip
def test_suppression_cannot_be_recomputed_from_the_total(cells, threshold):
    c = np.array(cells, float)
    r = suppress(c, threshold)
    primary = (c >= 1) & (c < threshold)
    assert np.all(r.mask[primary])
    # A single hidden cell in a group with a published total could be recomputed.
    assert int(r.mask.sum()) != 1
    # Secondary cells are chosen among positive counts whenever one is available.
    secondary = r.mask & ~primary
    if secondary.any() and (c[~primary] > 0).any():
        assert np.all(c[secondary] > 0)


@FAST
@given(
    st.lists(st.floats(-100, 100), min_size=1, max_size=20), st.floats(0, 50), st.floats(-100, 100)
)
def test_compare_is_consistent(lows, width, comparator):
    lo = np.array(lows)
    hi = lo + width
    out = compare(lo, hi, comparator)
    assert np.all((out == "higher") == (lo > comparator))
    assert np.all((out == "lower") == (hi < comparator))
