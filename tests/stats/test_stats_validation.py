"""Bad inputs raise ValueError naming the argument and the position of the first bad element."""

from __future__ import annotations

import numpy as np
import pytest

from datasmart.stats import (
    compare,
    dsr,
    funnel_limits,
    isr,
    mean_ci,
    mean_ci_summary,
    poisson_limits,
    poisson_trend,
    proportion_ci,
    proportion_trend,
    rate_ci,
    suppress,
)

NAN = np.nan


@pytest.mark.parametrize(
    "call,message",
    [
        # proportions
        (lambda: proportion_ci([1, 2, 3, -1], 10), r"^x\[3\] = -1 is negative$"),
        (lambda: proportion_ci([1, 2], [5, 0]), r"^n\[1\] = 0 is not positive \(must be > 0\)$"),
        (lambda: proportion_ci([1, 2], [-5, 3]), r"^n\[0\] = -5 is not positive"),
        (lambda: proportion_ci([1, 7], [5, 6]), r"^x\[1\] = 7 is greater than n\[1\] = 6$"),
        (lambda: proportion_ci([1, 7], 6), r"^x\[1\] = 7 is greater than n\[1\] = 6$"),
        (lambda: proportion_ci([1, NAN], 6), r"^x\[1\] is NaN \(missing\)"),
        (lambda: proportion_ci(1, [6, NAN]), r"^n\[1\] is NaN"),
        (lambda: proportion_ci([1, np.inf], 6), r"^x\[1\] = inf is not finite$"),
        (
            lambda: proportion_ci([1, 2, 3], [4, 5]),
            r"^shapes do not match: x has shape \(3,\), n has shape \(2,\)$",
        ),
        (
            lambda: proportion_ci(1, 2, confidence=95),
            r"^confidence = 95 must be strictly between 0 and 1",
        ),
        (lambda: proportion_ci(1, 2, confidence=0), r"^confidence = 0 must be strictly between"),
        (lambda: proportion_ci(1, 2, confidence=1.0), r"^confidence = 1 must be strictly between"),
        (lambda: proportion_ci(1, 2, confidence="high"), r"^confidence = 'high' is not a number$"),
        (
            lambda: proportion_ci(1, 2, method="wald"),
            r"^method = 'wald' is not one of 'wilson', 'exact'$",
        ),
        (lambda: proportion_ci(["a"], [2]), r"^x must be numeric"),
        (lambda: proportion_ci([[1, 2], [3, -4]], 10), r"^x\[1, 1\] = -4 is negative$"),
        (lambda: proportion_ci(1, 2, nan_policy="omit"), r"^nan_policy = 'omit' is not one of"),
        # rates and Poisson limits
        (lambda: rate_ci([5, -2], 100), r"^x\[1\] = -2 is negative$"),
        (lambda: rate_ci([5, 2], [100, 0]), r"^denominator\[1\] = 0 is not positive"),
        (lambda: rate_ci(5, 100, multiplier=0), r"^multiplier = 0 must be a finite number > 0$"),
        (
            lambda: rate_ci(5, 100, method="wilson"),
            r"^method = 'wilson' is not one of 'byar', 'exact', 'auto'$",
        ),
        (lambda: rate_ci([NAN], 100), r"^x\[0\] is NaN"),
        (
            lambda: rate_ci([1, 2], [1, 2, 3]),
            r"^shapes do not match: x has shape \(2,\), denominator has shape \(3,\)$",
        ),
        (lambda: poisson_limits([3, -0.5]), r"^count\[1\] = -0.5 is negative$"),
        # means
        (lambda: mean_ci([1.0]), r"values has 1 value\(s\); at least 2 are needed"),
        (lambda: mean_ci([1.0, NAN, 3.0]), r"^values\[1\] is NaN"),
        (lambda: mean_ci_summary([1, 2], [1, -1], [5, 5]), r"^sd\[1\] = -1 is negative$"),
        (lambda: mean_ci_summary([1, 2], [1, 1], [5, 1]), r"^count\[1\] = 1 must be at least 2"),
        # standardisation
        (lambda: dsr([1, 2, -3], [10, 10, 10], [1, 1, 1]), r"^count\[2\] = -3 is negative$"),
        (lambda: dsr([1, 2, 3], [10, 0, 10], [1, 1, 1]), r"^population\[1\] = 0 is not positive"),
        (
            lambda: dsr([1, 2, 3], [10, 10, 10], [1, -1, 1]),
            r"^standard_population\[1\] = -1 is negative$",
        ),
        (lambda: dsr([1, 2, 3], [10, NAN, 10], [1, 1, 1]), r"^population\[1\] is NaN"),
        (lambda: dsr([1, 2, 3], [10, 10, 10], [1, 1]), r"^standard_population has shape \(2,\)"),
        (
            lambda: dsr([1, 2, 3], [10, 10, 10], [1, 1, 1], multiplier=-5),
            r"^multiplier = -5 must be",
        ),
        (lambda: isr([1, -2], [10, 10], [1, 1], [100, 100]), r"^count\[1\] = -2 is negative$"),
        (
            lambda: isr([1, 2], [10, 10], [1, 1], [100, 0]),
            r"^reference_population\[1\] = 0 is not positive",
        ),
        # funnels, comparison, trend, suppression
        (
            lambda: funnel_limits([1, 2], [3, 1], statistic="proportion"),
            r"^x\[1\] = 2 is greater than n\[1\] = 1$",
        ),
        (lambda: compare([1, 5], [2, 4], 3), r"^lower\[1\] = 5 is greater than upper\[1\] = 4$"),
        (lambda: compare([1], [2], 3, polarity="up"), r"^polarity = 'up' is not one of"),
        (
            lambda: proportion_trend([1, 2, 9], [5, 5, 5]),
            r"^x\[2\] = 9 is greater than n\[2\] = 5$",
        ),
        (lambda: proportion_trend([1, 2], [5, 5], scores=[1, 1]), r"scores are all equal"),
        (lambda: poisson_trend([1, 2], [5, 0]), r"^exposure\[1\] = 0 is not positive"),
        (lambda: poisson_trend([1], [5]), r"needs a last axis of at least 2 periods"),
        (lambda: suppress([3, -1]), r"^counts\[1\] = -1 is negative$"),
        (lambda: suppress([3, NAN]), r"^counts\[1\] is NaN"),
        (lambda: suppress([3, 4], threshold=0), r"^threshold = 0 must be"),
        (lambda: suppress([3, 4], secondary_axes=2), r"secondary_axes contains 2, out of range"),
    ],
)
def test_bad_input_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_nan_policy_propagate_gives_nan_rows():
    lo, hi = proportion_ci([1, NAN, 3], [10, 10, NAN], nan_policy="propagate")
    assert np.isnan(lo[1]) and np.isnan(hi[2]) and not np.isnan(lo[0])
    lo, hi = rate_ci([NAN, 4], 100, method="auto", nan_policy="propagate")
    assert np.isnan(lo[0]) and hi[1] > 0


def test_validation_error_names_first_bad_element_only():
    with pytest.raises(ValueError, match=r"^x\[2\] = -1 is negative$"):
        proportion_ci([1, 2, -1, -5], 10)
