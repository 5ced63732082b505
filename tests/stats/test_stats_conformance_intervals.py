"""Conformance with PHEindicatormethods: Byar's/Wilson helpers, proportions, rates, means.

Files and tolerances are those of ``shared/conformance/phe/README.md`` sections 4.1–4.4.
"""

from __future__ import annotations

import numpy as np
import pytest
from stats_support import assert_close

from datasmart.stats import mean_ci, mean_ci_summary, poisson_limits, proportion_ci, rate_ci

LEVELS = [(0.95, "95_0"), (0.998, "99_8")]


def _conf(text: str) -> float:
    return {"95%": 0.95, "99.8%": 0.998}[text]


def test_byars_wilson_helpers(phe):
    t = phe("byars_wilson_expected.csv")
    assert len(t) == 13
    for i, row in enumerate(t.rows):
        c = _conf(row["confidence"])
        x = float(row["x"])
        if row["method"] == "Byars":
            lo, hi = poisson_limits(x, c, method="byar")
        else:
            lo, hi = proportion_ci(x, float(row["n"]), c, method="wilson")
        exp_lo = float(row["lowercl"]) if row["lowercl"] else np.nan
        assert_close([lo, hi], [exp_lo, float(row["uppercl"])], label=f"row {i + 1}")


def test_wilson_confidence_one_is_refused():
    # Peer fact: confidence 1 returns (0, 1). We refuse it: a 100 % interval is
    # never a useful answer and usually means 100 was meant as a percentage.
    with pytest.raises(ValueError, match="confidence = 1 must be strictly between 0 and 1"):
        proportion_ci(65, 100, confidence=1)


@pytest.mark.parametrize("confidence,suffix", LEVELS)
def test_proportion_rows(phe, confidence, suffix):
    t = phe("proportion_expected.csv")
    x, n, m = t.num("Numerator"), t.num("Denominator"), t.num("multiplier")
    lo, hi = proportion_ci(x, n, confidence, nan_policy="propagate")
    assert_close(x / n * m, t.num("value"), label="value")
    assert_close(lo * m, t.num(f"lower{suffix}cl"), label="lower")
    assert_close(hi * m, t.num(f"upper{suffix}cl"), label="upper")
    assert set(t.text("method")) == {"Wilson"}


def test_proportion_missing_inputs_raise_by_default(phe):
    t = phe("proportion_expected.csv")
    with pytest.raises(ValueError, match=r"x\[16\] is NaN"):
        proportion_ci(t.num("Numerator"), t.num("Denominator"))


def _group_sums(keys: list[str], *cols: np.ndarray) -> tuple[list[str], list[np.ndarray]]:
    """Sum columns within groups (a missing value makes the group sum missing)."""
    uniq, inv = np.unique(np.array(keys), return_inverse=True)
    return list(uniq), [np.bincount(inv, weights=c, minlength=len(uniq)) for c in cols]


def test_proportion_grouped(phe):
    t = phe("proportion_expected.csv")
    areas, (x, n) = _group_sums(t.text("Area"), t.num("Numerator"), t.num("Denominator"))
    e = phe("proportion_grouped_expected.csv")
    order = np.argsort(e.text("Area"))
    assert areas == [e.text("Area")[i] for i in order]
    lo, hi = proportion_ci(x, n, 0.95, nan_policy="propagate")
    assert_close(x / n, e.num("value")[order], label="value")
    assert_close(lo, e.num("lowercl")[order], label="lower")
    assert_close(hi, e.num("uppercl")[order], label="upper")


@pytest.mark.parametrize("confidence,suffix", LEVELS)
def test_rate_rows(phe, confidence, suffix):
    t = phe("rate_expected.csv")
    x, n, m = t.num("Numerator"), t.num("Denominator"), t.num("multiplier")
    lo, hi = rate_ci(x, n, confidence, multiplier=1, method="auto", nan_policy="propagate")
    assert_close(x / n * m, t.num("value"), label="value")
    assert_close(lo * m, t.num(f"lower{suffix}cl"), label="lower")
    assert_close(hi * m, t.num(f"upper{suffix}cl"), label="upper")
    # The method label follows the < 10 rule.
    expected_method = t.text("method")
    for xi, label in zip(x, expected_method, strict=True):
        if np.isnan(xi):
            assert label == ""
        else:
            assert label == ("Exact" if xi < 10 else "Byars")


def test_rate_with_multiplier_argument(phe):
    t = phe("rate_expected.csv").subset(lambda r: r["value"] != "")
    for m in (100.0, 100_000.0):
        sub = t.subset(lambda r, m=m: float(r["multiplier"]) == m)
        lo, hi = rate_ci(sub.num("Numerator"), sub.num("Denominator"), multiplier=m, method="auto")
        assert_close(lo, sub.num("lower95_0cl"))
        assert_close(hi, sub.num("upper95_0cl"))


def test_rate_grouped(phe):
    t = phe("rate_expected.csv")
    areas, (x, n) = _group_sums(t.text("Area"), t.num("Numerator"), t.num("Denominator"))
    e = phe("rate_grouped_expected.csv")
    order = np.argsort(e.text("Area"))
    assert areas == [e.text("Area")[i] for i in order]
    lo, hi = rate_ci(x, n, method="auto", nan_policy="propagate")
    assert_close(x / n * 1e5, e.num("value")[order], label="value")
    assert_close(lo, e.num("lowercl")[order], label="lower")
    assert_close(hi, e.num("uppercl")[order], label="upper")


def test_mean(phe):
    inp = phe("mean_input.csv")
    exp = phe("mean_expected.csv")
    values = inp.num("values")
    areas = np.array(inp.text("area"))
    groups = {"Area1": values[areas == "Area1"], "Area2": values[areas == "Area2"]}
    groups["No grouping"] = values
    for i, area in enumerate(exp.text("area")):
        v = groups[area]
        assert v.sum() == pytest.approx(exp.num("value_sum")[i], rel=1e-12)
        assert v.size == exp.num("value_count")[i]
        assert v.std(ddof=1) == pytest.approx(exp.num("stdev")[i], rel=1e-12)
        for confidence, suffix in LEVELS:
            lo, hi = mean_ci(v, confidence)
            assert_close(
                [v.mean(), lo, hi],
                [
                    exp.num("value")[i],
                    exp.num(f"lower{suffix}cl")[i],
                    exp.num(f"upper{suffix}cl")[i],
                ],
                label=f"{area} {suffix}",
            )
    # The summary-statistics form gives the same limits, vectorised over groups.
    lo, hi = mean_ci_summary(exp.num("value"), exp.num("stdev"), exp.num("value_count"))
    assert_close(lo, exp.num("lower95_0cl"))
    assert_close(hi, exp.num("upper95_0cl"))
