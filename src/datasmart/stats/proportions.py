"""Confidence intervals for proportions (Wilson score and Clopper–Pearson exact)."""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

from datasmart.stats._common import FloatArray, z_value
from datasmart.stats._validation import (
    as_array,
    broadcast,
    check_confidence,
    check_finite,
    check_method,
    check_nan_policy,
    check_nonnegative,
    check_not_greater,
    check_positive,
    scalar_or_array,
)

__all__ = ["proportion_ci", "validate_proportion_inputs"]

ProportionMethod = Literal["wilson", "exact"]
_METHODS = ("wilson", "exact")


def validate_proportion_inputs(
    x: npt.ArrayLike, n: npt.ArrayLike, nan_policy: str = "raise"
) -> tuple[FloatArray, FloatArray]:
    """Validate and broadcast a numerator/denominator pair for a proportion.

    Rules: ``x >= 0``, ``n > 0``, ``x <= n``, no infinities, NaN only with
    ``nan_policy="propagate"``, shapes broadcastable. Non-integer counts are
    allowed (weighted or modelled counts are common in survey data).

    Returns the two arrays as float64, broadcast to a common shape.

    >>> validate_proportion_inputs([1, 7], [5, 6])
    Traceback (most recent call last):
    ...
    ValueError: x[1] = 7 is greater than n[1] = 6
    """
    check_nan_policy(nan_policy)
    xa = as_array("x", x)
    na = as_array("n", n)
    check_finite("x", xa, nan_policy)
    check_finite("n", na, nan_policy)
    check_nonnegative("x", xa)
    check_positive("n", na)
    xb, nb = broadcast(x=xa, n=na)
    check_not_greater("x", xb, "n", nb)
    return xb, nb


def _wilson(x: FloatArray, n: FloatArray, z: float) -> tuple[FloatArray, FloatArray]:
    # In-place ufuncs into three buffers: on a million rows, fresh allocations
    # (page faults) cost as much as the arithmetic.
    shape = x.shape
    x = np.atleast_1d(x)
    n = np.atleast_1d(n)
    z2 = z * z
    lower = np.divide(x, n)  # becomes the half-width z*sqrt(z^2 + 4x(1 - x/n))
    np.subtract(1.0, lower, out=lower)
    np.multiply(lower, x, out=lower)
    np.multiply(lower, 4.0, out=lower)
    np.add(lower, z2, out=lower)
    np.sqrt(lower, out=lower)
    np.multiply(lower, z, out=lower)
    upper = np.multiply(x, 2.0)  # centre 2x + z^2
    np.add(upper, z2, out=upper)
    denom = np.add(n, z2)
    np.multiply(denom, 2.0, out=denom)
    np.subtract(upper, lower, out=lower)  # centre - half
    np.multiply(upper, 2.0, out=upper)
    np.subtract(upper, lower, out=upper)  # 2 centre - (centre - half) = centre + half
    np.divide(lower, denom, out=lower)
    np.divide(upper, denom, out=upper)
    np.clip(lower, 0.0, 1.0, out=lower)
    np.clip(upper, 0.0, 1.0, out=upper)
    return lower.reshape(shape), upper.reshape(shape)


def _clopper_pearson(x: FloatArray, n: FloatArray, alpha: float) -> tuple[FloatArray, FloatArray]:
    # Beta quantiles are undefined for a shape parameter of 0: substitute a valid
    # dummy argument and overwrite those positions with the exact limits 0 and 1.
    zero = x == 0
    full = x == n
    with np.errstate(invalid="ignore"):
        lower = stats.beta.ppf(alpha / 2.0, np.where(zero, 1.0, x), n - x + 1.0)
        upper = stats.beta.ppf(1.0 - alpha / 2.0, x + 1.0, np.where(full, 1.0, n - x))
    lower = np.where(zero, 0.0, lower)
    upper = np.where(full, 1.0, upper)
    return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)


def proportion_ci(
    x: npt.ArrayLike,
    n: npt.ArrayLike,
    confidence: float = 0.95,
    method: ProportionMethod = "wilson",
    *,
    nan_policy: Literal["raise", "propagate"] = "raise",
) -> tuple[FloatArray, FloatArray]:
    r"""Confidence interval for a proportion ``x / n``.

    Parameters
    ----------
    x : array_like
        Numerator (number of people with the outcome). Non-integer values are
        accepted (Wilson only makes sense for them; the exact method treats them
        as continuous beta parameters).
    n : array_like
        Denominator (number of people), ``> 0``; must broadcast with *x*.
    confidence : float, default 0.95
        Two-sided confidence level, strictly between 0 and 1 (0.998 for the
        "3 standard deviation" limits used in PHE funnel plots).
    method : {"wilson", "exact"}, default "wilson"
        ``"wilson"``: Wilson score interval [1]_, the PHE/Fingertips default [4]_.
        ``"exact"``: Clopper–Pearson interval from beta quantiles [2]_.
    nan_policy : {"raise", "propagate"}, default "raise"
        ``"propagate"`` gives NaN limits for rows where *x* or *n* is missing.

    Returns
    -------
    lower, upper : ndarray or float
        Limits on the 0–1 scale (multiply by 100 for percentages). Scalars in,
        scalars out.

    Raises
    ------
    ValueError
        ``x < 0``, ``n <= 0``, ``x > n``, NaN (unless propagated), infinities,
        shapes that do not broadcast, a confidence outside (0, 1) or an unknown
        method. The message names the argument and index, e.g. ``x[3] = -1 is
        negative``.

    Notes
    -----
    Wilson score interval, with :math:`z = \Phi^{-1}(1 - \alpha/2)`:

    .. math::

        L, U = \frac{2x + z^2 \mp z\sqrt{z^2 + 4x(1 - x/n)}}{2(n + z^2)}

    Clopper–Pearson exact interval, with :math:`B^{-1}(p; a, b)` the beta quantile
    (``scipy.stats.beta.ppf``):

    .. math::

        L = B^{-1}(\alpha/2;\ x,\ n - x + 1), \qquad
        U = B^{-1}(1 - \alpha/2;\ x + 1,\ n - x)

    with :math:`L = 0` when :math:`x = 0` and :math:`U = 1` when :math:`x = n`.

    References
    ----------
    .. [1] Wilson EB. Probable inference, the law of succession, and statistical
       inference. J Am Stat Assoc 1927;22:209–212.
    .. [2] Clopper CJ, Pearson ES. The use of confidence or fiducial limits
       illustrated in the case of the binomial. Biometrika 1934;26:404–413.
    .. [3] Newcombe RG, Altman DG. Proportions and their differences. In: Altman
       DG et al. (eds) Statistics with Confidence, 2nd ed. BMJ Books 2000.
    .. [4] Public Health England. Technical Guide: Confidence Intervals. 2018.

    Examples
    --------
    >>> lo, hi = proportion_ci(65, 100)
    >>> print(f"{lo:.4f} {hi:.4f}")
    0.5525 0.7364
    >>> lo, hi = proportion_ci([0, 5], [10, 10], method="exact")
    >>> lo.round(4).tolist(), hi.round(4).tolist()
    ([0.0, 0.1871], [0.3085, 0.8129])
    """
    c = check_confidence(confidence)
    check_method(method, _METHODS)
    xa, na = validate_proportion_inputs(x, n, nan_policy)
    if method == "wilson":
        lower, upper = _wilson(xa, na, z_value(c))
    else:
        lower, upper = _clopper_pearson(xa, na, 1.0 - c)
    return scalar_or_array(lower), scalar_or_array(upper)
