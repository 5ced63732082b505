"""Conformance with PHEindicatormethods funnel functions (README section 4.8)."""

from __future__ import annotations

import numpy as np
import pytest
from stats_support import assert_close

from datasmart.stats import (
    funnel_control_limits,
    funnel_limits,
    funnel_points,
    funnel_significance,
)

LIMITS = ["lower_2s", "upper_2s", "lower_3s", "upper_3s"]


# --- proportions -------------------------------------------------------------------------


def test_proportion_significance(phe):
    t = phe("funnel_proportion_input_significance.csv")
    labels = funnel_significance(t.num("numerator"), t.num("denominator"), statistic="proportion")
    assert labels.tolist() == t.text("significance")


def test_proportion_limits(phe):
    t = phe("funnel_proportion_input_significance.csv")
    e = phe("funnel_proportion_limits_expected.csv")
    f = funnel_limits(
        t.num("numerator"), t.num("denominator"), statistic="proportion", multiplier=100
    )
    assert_close(f.axis, e.num("Population"), rtol=0)
    for name in LIMITS:
        assert_close(getattr(f, name), e.num(f"{name}_limit"), rtol=0, atol=1e-6, label=name)
    assert_close(np.full(100, f.baseline), e.num("baseline"), rtol=0, atol=1e-6)


def test_proportion_limits_axis_variation(phe):
    t = phe("funnel_proportion_input_significance.csv")
    t = t.subset(lambda r: float(r["denominator"]) < 31000)
    e = phe("funnel_proportion_limits_axis_variation_expected.csv")
    f = funnel_limits(
        t.num("numerator"), t.num("denominator"), statistic="proportion", multiplier=100
    )
    assert f.axis[0] == 10000  # axis starts above zero: max denominator <= 2 x min
    assert_close(f.axis, e.num("Population"), rtol=0)
    for name in LIMITS:
        assert_close(getattr(f, name), e.num(f"{name}_limit"), rtol=0, atol=1e-8, label=name)
    assert_close(np.full(100, f.baseline), e.num("baseline"), rtol=0, atol=1e-8)
    assert {f.statistic} == set(e.text("statistic"))
    assert {f.method} == set(e.text("method"))


# --- ratios ------------------------------------------------------------------------------


def test_ratio_significance(phe):
    t = phe("funnel_ratio_input_significance.csv")
    labels = funnel_significance(t.num("obs"), t.num("expected"), statistic="ratio")
    assert labels.tolist() == t.text("significance")


@pytest.mark.parametrize(
    "method,rtol,atol", [("phe", 1e-6, 1e-8), ("exact", 1e-4, 0.0)], ids=["bisection", "closed"]
)
@pytest.mark.parametrize("ratio_type", ["count", "isr"])
def test_ratio_limits(phe, method, rtol, atol, ratio_type):
    t = phe("funnel_ratio_input_significance.csv")
    e = phe("funnel_ratio_limits_expected.csv")
    f = funnel_limits(
        t.num("obs"), t.num("expected"), statistic="ratio", multiplier=100,
        ratio_type=ratio_type, poisson_method=method,
    )  # fmt: skip
    assert_close(f.axis, e.num("Observed_events"), rtol=0)
    for name in LIMITS:
        assert_close(getattr(f, f"{name}_denominator"), e.num(f"{name}_exp_events"),
                     rtol=rtol, atol=atol, label=name)  # fmt: skip
        assert_close(getattr(f, name), e.num(f"{name}_{ratio_type}"), rtol=rtol, atol=atol,
                     label=name)  # fmt: skip
    assert f.baseline is None
    assert f.method == "Poisson"
    if ratio_type == "count":
        assert f.statistic == "ratio (count)"


# --- rates -------------------------------------------------------------------------------

SIG_CASES = [
    ("dsr", 100_000, "rate_dsr"),
    ("dsr", 100, "rate_dsr"),
    ("crude", 100_000, "rate_crude_per_100000"),
    ("crude", 100, "rate_crude_per_100"),
]


@pytest.mark.parametrize("rate_type,multiplier,rate_col", SIG_CASES)
@pytest.mark.parametrize("with_zero", [True, False])
def test_rate_significance(phe, rate_type, multiplier, rate_col, with_zero):
    t = phe("funnel_rate_input_significance.csv")
    if not with_zero:
        t = t.subset(lambda r: float(r["count"]) != 0)
    labels = funnel_significance(
        t.num("count"), t.num("pop"), statistic="rate", rate=t.num(rate_col),
        multiplier=multiplier, rate_type=rate_type,
    )  # fmt: skip
    column = f"{rate_type}_per_{multiplier}_{'with' if with_zero else 'without'}_0"
    assert labels.tolist() == t.text(column)


def _points_input(phe):
    t = phe("funnel_rate_input_and_points_expected.csv")
    return t, t.num("ev"), t.num("rate"), t.num("pop")


def test_rate_points(phe):
    t, ev, rate, pop = _points_input(phe)
    big = int(np.argmax(ev))
    ev5 = ev.copy()
    ev5[big] = 5
    r, d = funnel_points(ev5, rate, rate_type="dsr", years_of_data=3, multiplier=1e5)
    assert_close(r, t.num("rate_chart"), rtol=1e-9)
    assert_close(d, t.num("denominator_derived"), rtol=1e-9)
    r, d = funnel_points(ev, rate, rate_type="crude", years_of_data=3, multiplier=1e5)
    assert_close(r, t.num("rate_chart_crude"), rtol=1e-9)
    assert_close(d, t.num("denominator_derived_crude"), rtol=1e-9)
    ev0 = ev.copy()
    ev0[big] = 0
    r, d = funnel_points(ev0, rate, pop, rate_type="crude", years_of_data=5, multiplier=1e5)
    assert_close(r, t.num("rate_chart_crude_with_denom"), rtol=1e-9)
    assert_close(d, t.num("denominator_derived_crude_with_denom"), rtol=1e-9)


def _rate_limits_case(phe, name):
    _, ev, rate, pop = _points_input(phe)
    big = int(np.argmax(ev))
    if name == "dsr":
        return dict(numerator=ev, rate=rate, rate_type="dsr"), "rate (dsr per 100,000)"
    if name == "crude_lt10":
        ev = ev.copy()
        ev[big] = 5
        return dict(numerator=ev, rate=rate, rate_type="crude"), "rate (crude per 100,000)"
    pop = 1e5 * ev / rate
    ev, rate = ev.copy(), rate.copy()
    ev[big] = 0
    rate[big] = 0
    keep = pop > pop.max() / 2
    return (
        dict(numerator=ev[keep], rate=rate[keep], denominator=pop[keep], rate_type="crude"),
        "rate (crude per 100,000)",
    )


@pytest.mark.parametrize("name", ["dsr", "crude_lt10", "crude_zero"])
@pytest.mark.parametrize(
    "method,rtol,atol", [("phe", 1e-6, 1e-8), ("exact", 1e-4, 0.0)], ids=["bisection", "closed"]
)
def test_rate_limits(phe, name, method, rtol, atol):
    kwargs, statistic = _rate_limits_case(phe, name)
    e = phe(f"funnel_rate_limits_{name}_expected.csv")
    f = funnel_limits(statistic="rate", multiplier=1e5, years_of_data=3, poisson_method=method,
                      **kwargs)  # fmt: skip
    assert_close(f.axis, e.num("Events"), rtol=0)
    for name_ in LIMITS:
        assert_close(getattr(f, name_), e.num(f"{name_}_limit"), rtol=rtol, atol=atol, label=name_)
        assert_close(getattr(f, f"{name_}_denominator"), e.num(f"{name_}_population_1_year"),
                     rtol=rtol, atol=atol, label=name_)  # fmt: skip
    assert_close(np.full(100, f.baseline), e.num("baseline"), rtol=1e-9)
    assert {f.statistic} == set(e.text("statistic")) == {statistic}
    assert {f.method} == set(e.text("method"))


@pytest.mark.parametrize("name", ["dsr", "crude_lt10", "crude_zero"])
def test_rate_limit_points_lie_on_the_drawn_control_limits(phe, name):
    """PHE's limit points (population, rate) lie on ``funnel_control_limits`` taken at
    that population: the curve the chart draws and the zones are read from."""
    e = phe(f"funnel_rate_limits_{name}_expected.csv")
    target = e.num("baseline")[0] / 1e5
    for name_ in LIMITS:
        population = e.num(f"{name_}_population_1_year") * 3  # years_of_data = 3
        f = funnel_control_limits(population, target, statistic="rate", multiplier=1e5)
        # the peer's bisection is accurate to ~5e-5 relative (README 4.8)
        assert_close(getattr(f, name_), e.num(f"{name_}_limit"), rtol=1e-4, label=name_)
        assert_close(getattr(f, f"{name_}_count"), e.num("Events"), rtol=1e-4, label=name_)


# --- errors (README 4.8 "Errors (peer)") ---------------------------------------------------


def test_funnel_errors(phe):
    with pytest.raises(ValueError, match="statistic = 'mean' is not one of"):
        funnel_limits([1], [2], statistic="mean")
    with pytest.raises(ValueError, match=r"x\[1\] = 5 is greater than n\[1\] = 4"):
        funnel_significance([1, 5], [2, 4], statistic="proportion")
    with pytest.raises(ValueError, match=r"n\[0\] = 0 is not positive"):
        funnel_limits([0, 1], [0, 4], statistic="proportion")
    with pytest.raises(ValueError, match=r"x\[0\] is NaN"):
        funnel_limits([np.nan, 1], [3, 4], statistic="proportion")
    with pytest.raises(ValueError, match=r"numerator\[1\] = 0: a crude rate with no events"):
        funnel_limits([3, 0], statistic="rate", rate=[10, 0])
    with pytest.raises(ValueError, match=r"denominator\[1\] = 0 is not positive"):
        funnel_significance([3, 0], [100, 0], statistic="rate", rate=[10, 0])
    with pytest.raises(ValueError, match=r"numerator\[0\] is NaN"):
        funnel_significance([np.nan, 4], statistic="rate", rate=[10, 20])
    with pytest.raises(ValueError, match="rate is required"):
        funnel_limits([3, 4], statistic="rate", rate_type="dsr")
