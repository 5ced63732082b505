"""Poisson confidence limits for counts and rates (Byar's approximation and exact)."""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import special

from datasmart.stats._common import FloatArray, z_value
from datasmart.stats._validation import (
    as_array,
    broadcast,
    check_confidence,
    check_finite,
    check_method,
    check_nan_policy,
    check_nonnegative,
    check_positive,
    check_positive_scalar,
    scalar_or_array,
)

__all__ = ["EXACT_BELOW", "poisson_limits", "rate_ci"]

PoissonMethod = Literal["byar", "exact", "auto"]
_METHODS = ("byar", "exact", "auto")

EXACT_BELOW = 10
"""With ``method="auto"`` counts below this use the exact method, others Byar's
(PHE practice, see :func:`poisson_limits`)."""


def _byar(o: FloatArray, z: float) -> tuple[FloatArray, FloatArray]:
    # Written with in-place ufuncs into three buffers: on a million rows fresh
    # allocations (page faults) and a**3 (pow) cost more than the arithmetic.
    shape = o.shape
    o = np.atleast_1d(o)
    k = z / 3.0
    with np.errstate(divide="ignore", invalid="ignore"):
        # lower = O (1 - 1/(9O) - z/(3 sqrt O))^3
        lower = np.sqrt(o)
        np.divide(k, lower, out=lower)
        upper = np.divide(1.0 / 9.0, o)
        np.add(lower, upper, out=lower)
        np.subtract(1.0, lower, out=lower)
        np.multiply(lower, lower, out=upper)
        np.multiply(lower, upper, out=lower)
        np.multiply(lower, o, out=lower)
        # upper = (O+1) (1 - 1/(9(O+1)) + z/(3 sqrt(O+1)))^3
        np.add(o, 1.0, out=upper)
        base = np.sqrt(upper)
        np.divide(k, base, out=base)
        np.divide(1.0 / 9.0, upper, out=upper)
        np.subtract(base, upper, out=base)
        np.add(base, 1.0, out=base)
        np.multiply(base, base, out=upper)
        np.multiply(base, upper, out=base)
        np.add(o, 1.0, out=upper)
        np.multiply(upper, base, out=upper)
    # Byar's lower limit is undefined at 0 (the exact limit is 0) and negative
    # (meaningless) for tiny counts at high confidence: PHE reports it as missing.
    if not (lower > 0).all():
        lower = np.where(o == 0, 0.0, np.where(lower < 0, np.nan, lower))
    return lower.reshape(shape), upper.reshape(shape)


def _exact(o: FloatArray, alpha: float) -> tuple[FloatArray, FloatArray]:
    # ½χ²_{α/2}(2O) is the α/2 quantile of Gamma(O, 1); its regularised-gamma
    # inverse is undefined at O = 0, where the limit is 0.
    zero = o == 0
    lower = special.gammaincinv(np.where(zero, 1.0, o), alpha / 2.0)
    lower = np.where(zero, 0.0, lower)
    upper = special.gammainccinv(o + 1.0, alpha / 2.0)
    return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)


def _poisson_limits(o: FloatArray, confidence: float, method: str) -> tuple[FloatArray, FloatArray]:
    """Unvalidated core of :func:`poisson_limits` (used by other modules)."""
    if method == "byar":
        return _byar(o, z_value(confidence))
    if method == "exact":
        return _exact(o, 1.0 - confidence)
    small = o < EXACT_BELOW
    if not small.any():
        return _byar(o, z_value(confidence))
    bl, bu = _byar(o, z_value(confidence))
    el, eu = _exact(np.where(small, o, 0.0), 1.0 - confidence)
    return np.where(small, el, bl), np.where(small, eu, bu)


def poisson_limits(
    count: npt.ArrayLike,
    confidence: float = 0.95,
    method: PoissonMethod = "auto",
    *,
    nan_policy: Literal["raise", "propagate"] = "raise",
) -> tuple[FloatArray, FloatArray]:
    r"""Confidence limits for a Poisson count ``O`` (on the count scale).

    Parameters
    ----------
    count : array_like
        Observed number of events, ``>= 0`` (non-integer accepted).
    confidence : float, default 0.95
        Two-sided confidence level in (0, 1).
    method : {"auto", "byar", "exact"}, default "auto"
        ``"byar"``: Byar's approximation [1]_; ``"exact"``: exact limits from
        chi-square/gamma quantiles [2]_; ``"auto"``: exact below
        :data:`EXACT_BELOW` (10) events, Byar's from 10, as PHE does [3]_.
    nan_policy : {"raise", "propagate"}, default "raise"
        ``"propagate"`` returns NaN limits for missing counts.

    Returns
    -------
    lower, upper : ndarray or float
        Limits for the expected count. Byar's lower limit is NaN where its formula
        goes negative (counts of 1–2 at 99.8 %), as in PHEindicatormethods.

    Notes
    -----
    Byar's approximation, :math:`z = \Phi^{-1}(1 - \alpha/2)`:

    .. math::

        O_L = O\left(1 - \frac{1}{9O} - \frac{z}{3\sqrt{O}}\right)^3, \qquad
        O_U = (O + 1)\left(1 - \frac{1}{9(O+1)} + \frac{z}{3\sqrt{O+1}}\right)^3

    Exact limits (:math:`O_L = 0` when :math:`O = 0`):

    .. math::

        O_L = \tfrac12 \chi^2_{\alpha/2}(2O), \qquad
        O_U = \tfrac12 \chi^2_{1-\alpha/2}(2O + 2)

    computed as gamma quantiles (``scipy.special.gammaincinv`` /
    ``gammainccinv``), which equal the halved chi-square quantiles.

    References
    ----------
    .. [1] Breslow NE, Day NE. Statistical Methods in Cancer Research, Vol. II:
       The Design and Analysis of Cohort Studies. IARC Sci Publ 82, 1987 (Byar's
       method, p. 69).
    .. [2] Garwood F. Fiducial limits for the Poisson distribution. Biometrika
       1936;28:437–442.
    .. [3] Public Health England. Technical Guide: Confidence Intervals. 2018.

    Examples
    --------
    >>> lo, hi = poisson_limits(65, method="byar")
    >>> print(f"{lo:.4f} {hi:.4f}")
    50.1632 82.8491
    >>> lo, hi = poisson_limits([0, 5], method="exact")
    >>> lo.round(4).tolist(), hi.round(4).tolist()
    ([0.0, 1.6235], [3.6889, 11.6683])
    """
    c = check_confidence(confidence)
    check_method(method, _METHODS)
    check_nan_policy(nan_policy)
    o = as_array("count", count)
    check_finite("count", o, nan_policy)
    check_nonnegative("count", o)
    lower, upper = _poisson_limits(o, c, method)
    return scalar_or_array(lower), scalar_or_array(upper)


def rate_ci(
    x: npt.ArrayLike,
    denominator: npt.ArrayLike,
    confidence: float = 0.95,
    multiplier: float = 100_000,
    method: PoissonMethod = "byar",
    *,
    nan_policy: Literal["raise", "propagate"] = "raise",
) -> tuple[FloatArray, FloatArray]:
    r"""Confidence interval for a crude rate ``x / denominator × multiplier``.

    Parameters
    ----------
    x : array_like
        Number of events, ``>= 0``. May exceed the denominator (a rate is not a
        proportion).
    denominator : array_like
        Population or person-time at risk, ``> 0``; broadcasts with *x*.
    confidence : float, default 0.95
        Two-sided confidence level in (0, 1).
    multiplier : float, default 100 000
        Rate scale (per 100 000 population by default).
    method : {"byar", "exact", "auto"}, default "byar"
        See :func:`poisson_limits`. ``"auto"`` reproduces PHE's ``phe_rate``
        (exact below 10 events, Byar's from 10) [3]_.
    nan_policy : {"raise", "propagate"}, default "raise"
        ``"propagate"`` gives NaN limits where an input is missing.

    Returns
    -------
    lower, upper : ndarray or float
        Limits already multiplied by *multiplier*.

    Notes
    -----
    With :math:`O_L, O_U` the Poisson limits of :math:`O = x` (see
    :func:`poisson_limits`) and :math:`n` the denominator:

    .. math::

        L = \frac{O_L}{n} \times m, \qquad U = \frac{O_U}{n} \times m

    References
    ----------
    .. [1] Breslow NE, Day NE. Statistical Methods in Cancer Research, Vol. II.
       IARC 1987 (Byar's method).
    .. [2] Garwood F. Fiducial limits for the Poisson distribution. Biometrika
       1936;28:437–442.
    .. [3] Public Health England. Technical Guide: Confidence Intervals. 2018.

    Examples
    --------
    >>> lo, hi = rate_ci(65, 100, multiplier=100)
    >>> print(f"{lo:.3f} {hi:.3f}")
    50.163 82.849
    >>> lo, hi = rate_ci([1, 20], [100, 100], multiplier=100, method="auto")
    >>> lo.round(4).tolist(), hi.round(4).tolist()
    ([0.0253, 12.2114], [5.5716, 30.8899])
    """
    c = check_confidence(confidence)
    check_method(method, _METHODS)
    check_nan_policy(nan_policy)
    m = check_positive_scalar("multiplier", multiplier)
    xa = as_array("x", x)
    da = as_array("denominator", denominator)
    check_finite("x", xa, nan_policy)
    check_finite("denominator", da, nan_policy)
    check_nonnegative("x", xa)
    check_positive("denominator", da)
    xb, db = broadcast(x=xa, denominator=da)
    lower, upper = _poisson_limits(xb, c, method)
    lower, upper = np.atleast_1d(lower, upper)  # the core returns fresh arrays: scale in place
    for limit in (lower, upper):
        np.multiply(limit, m, out=limit)
        np.divide(limit, db, out=limit)
    return scalar_or_array(lower.reshape(xb.shape)), scalar_or_array(upper.reshape(xb.shape))
