"""Confidence intervals for means (Student's t distribution)."""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import special

from datasmart.stats._common import FloatArray
from datasmart.stats._validation import (
    as_array,
    broadcast,
    check_confidence,
    check_finite,
    check_nan_policy,
    check_nonnegative,
    format_position,
    scalar_or_array,
)

__all__ = ["mean_ci", "mean_ci_summary"]


def _t_half_width(sd: FloatArray, count: FloatArray, confidence: float) -> FloatArray:
    # stdtrit(df, p) is the Student t quantile (scipy.stats.t.ppf without overhead).
    t = special.stdtrit(count - 1.0, 1.0 - (1.0 - confidence) / 2.0)
    return np.asarray(t * sd / np.sqrt(count), dtype=np.float64)


def mean_ci_summary(
    mean: npt.ArrayLike,
    sd: npt.ArrayLike,
    count: npt.ArrayLike,
    confidence: float = 0.95,
    *,
    nan_policy: Literal["raise", "propagate"] = "raise",
) -> tuple[FloatArray, FloatArray]:
    r"""Student's t confidence interval from summary statistics (vectorised over groups).

    Parameters
    ----------
    mean : array_like
        Sample means.
    sd : array_like
        Sample standard deviations (divisor ``k − 1``), ``>= 0``.
    count : array_like
        Number of values ``k`` in each sample, ``>= 2``.
    confidence : float, default 0.95
        Two-sided confidence level in (0, 1).
    nan_policy : {"raise", "propagate"}, default "raise"
        ``"propagate"`` gives NaN limits where an input is missing.

    Returns
    -------
    lower, upper : ndarray or float

    Notes
    -----
    .. math::

        \bar{x} \pm t_{1-\alpha/2}(k - 1)\,\frac{s}{\sqrt{k}}

    References
    ----------
    .. [1] Student. The probable error of a mean. Biometrika 1908;6:1–25.
    .. [2] Public Health England. Technical Guide: Confidence Intervals. 2018
       (means, Student's t).

    Examples
    --------
    >>> lo, hi = mean_ci_summary(53.704345, 20.97557525770931, 8)
    >>> print(f"{lo:.4f} {hi:.4f}")
    36.1683 71.2404
    """
    c = check_confidence(confidence)
    check_nan_policy(nan_policy)
    m = as_array("mean", mean)
    s = as_array("sd", sd)
    k = as_array("count", count)
    for name, arr in (("mean", m), ("sd", s), ("count", k)):
        check_finite(name, arr, nan_policy)
    check_nonnegative("sd", s)
    few = k < 2
    if few.any():
        i = int(np.flatnonzero(few.ravel())[0])
        raise ValueError(
            f"{format_position('count', k, i)} = {k.ravel()[i]:g} must be at least 2 "
            "(a t interval needs a sample standard deviation)"
        )
    m, s, k = broadcast(mean=m, sd=s, count=k)
    half = _t_half_width(s, k, c)
    return scalar_or_array(m - half), scalar_or_array(m + half)


def mean_ci(
    values: npt.ArrayLike,
    confidence: float = 0.95,
    *,
    axis: int = -1,
    nan_policy: Literal["raise", "omit"] = "raise",
) -> tuple[FloatArray, FloatArray]:
    r"""Student's t confidence interval for the mean of *values*.

    Parameters
    ----------
    values : array_like
        The sample; for several samples of equal size use a 2-D array and *axis*
        (unequal sizes: compute summaries and use :func:`mean_ci_summary`).
    confidence : float, default 0.95
        Two-sided confidence level in (0, 1).
    axis : int, default -1
        Axis along which the sample runs.
    nan_policy : {"raise", "omit"}, default "raise"
        ``"omit"`` drops missing values (each sample must keep at least 2).

    Returns
    -------
    lower, upper : ndarray or float
        Limits of the mean, one per sample.

    Notes
    -----
    With :math:`k` values, mean :math:`\bar{x}` and sample SD :math:`s`
    (divisor :math:`k-1`):

    .. math::

        \bar{x} \pm t_{1-\alpha/2}(k - 1)\,\frac{s}{\sqrt{k}}

    References
    ----------
    .. [1] Student. The probable error of a mean. Biometrika 1908;6:1–25.
    .. [2] Public Health England. Technical Guide: Confidence Intervals. 2018.

    Examples
    --------
    >>> lo, hi = mean_ci([33.09375, 48.38596, 64.83495, 67.98475,
    ...                   22.93556, 71.23587, 38.78465, 82.37927])
    >>> print(f"{lo:.4f} {hi:.4f}")
    36.1683 71.2404
    """
    check_nan_policy(nan_policy, ("raise", "omit"))
    v = as_array("values", values)
    if v.ndim == 0:
        raise ValueError("values must be an array of at least 2 numbers, got a scalar")
    check_finite("values", v, "propagate" if nan_policy == "omit" else "raise")
    if nan_policy == "omit":
        k = np.sum(~np.isnan(v), axis=axis).astype(np.float64)
        mean = np.nanmean(v, axis=axis) if (k > 0).all() else np.full(k.shape, np.nan)
        sd = np.nanstd(v, axis=axis, ddof=1) if (k > 1).all() else np.full(k.shape, np.nan)
    else:
        k = np.full(np.delete(v.shape, axis % v.ndim), v.shape[axis], dtype=np.float64)
        mean = v.mean(axis=axis) if v.shape[axis] > 0 else np.full(k.shape, np.nan)
        sd = v.std(axis=axis, ddof=1) if v.shape[axis] > 1 else np.full(k.shape, np.nan)
    few = k < 2
    if few.any():
        i = int(np.flatnonzero(few.ravel())[0])
        where = "" if k.ndim == 0 else f" (sample {format_position('', k, i)})"
        raise ValueError(f"values{where} has {int(k.ravel()[i])} value(s); at least 2 are needed")
    return mean_ci_summary(mean, sd, k, confidence)
