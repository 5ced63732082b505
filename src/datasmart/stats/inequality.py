"""Slope and relative index of inequality (SII, RII) across deprivation quantiles."""

from __future__ import annotations

import warnings
from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import special

from datasmart.stats._common import FloatArray, z_value
from datasmart.stats._validation import (
    as_array,
    check_confidence,
    check_finite,
    check_method,
    check_positive,
)

__all__ = ["SIIResult", "sii"]

ValueType = Literal["normal", "rate", "proportion"]


class SIIResult(NamedTuple):
    """Result of :func:`sii` for one area (one set of quantiles)."""

    sii: float
    sii_lower: float
    sii_upper: float
    rii: float
    rii_lower: float
    rii_upper: float
    intercept: float


def _forward(y: FloatArray, value_type: str) -> FloatArray:
    if value_type == "rate":
        return np.log(y)
    if value_type == "proportion":
        return np.asarray(special.logit(y), dtype=np.float64)
    return y


def _inverse(y: FloatArray, value_type: str) -> FloatArray:
    if value_type == "rate":
        return np.exp(y)
    if value_type == "proportion":
        return np.asarray(special.expit(y), dtype=np.float64)
    return y


MANY_QUANTILES = 10
"""Above this many quantiles :func:`sii` warns that small values make the SII unstable."""

_NAN_RESULT = SIIResult(*(float("nan"),) * 7)


def _missing_quantiles(quantile: npt.ArrayLike, k: int) -> list[int]:
    q = as_array("quantile", quantile)
    check_finite("quantile", q)
    if q.shape != (k,):
        raise ValueError(f"quantile {q.shape} must have one number per value ({k})")
    if np.any(q != np.round(q)) or np.any(q < 1):
        raise ValueError("quantile numbers must be whole numbers from 1")
    if np.unique(q).size != k:
        raise ValueError("quantile numbers must not repeat")
    return sorted(set(range(1, int(q.max()) + 1)) - {int(v) for v in q})


def _check_spread(arr: npt.ArrayLike, name: str, what: str, proportion: bool) -> FloatArray:
    """Standard errors or limits: present for every quantile (and ≥ 0 / within 0–1)."""
    a = as_array(name, arr)
    bad = np.isnan(a) | ((a < 0) if name == "se" else np.zeros(a.shape, dtype=bool))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name}[{i}] = {a[i]:g}: negative or missing {what}")
    check_finite(name, a)
    if proportion and name != "se":
        out = (a < 0) | (a > 1)
        if out.any():
            i = int(np.flatnonzero(out)[0])
            raise ValueError(
                f"{name}[{i}] = {a[i]:g}: confidence limits of a proportion must lie within 0-1"
            )
    return a


def sii(
    value: npt.ArrayLike | None,
    population: npt.ArrayLike,
    *,
    count: npt.ArrayLike | None = None,
    quantile: npt.ArrayLike | None = None,
    se: npt.ArrayLike | None = None,
    lower_cl: npt.ArrayLike | None = None,
    upper_cl: npt.ArrayLike | None = None,
    value_type: ValueType = "normal",
    transform: bool = False,
    multiplier: float = 1.0,
    confidence: float = 0.95,
    repetitions: int = 100_000,
    rii: bool = True,
    rng: np.random.Generator | int | None = None,
) -> SIIResult:
    r"""Slope index of inequality (SII) and relative index (RII) with simulated limits.

    Parameters
    ----------
    value : array_like, shape (k,), or None
        Indicator value per quantile, ordered from most to least deprived
        (quantile 1 first), ``5 <= k <= 100``; proportions on 0–1. None when
        *count* is given.
    population : array_like, shape (k,)
        Population of each quantile, ``> 0``.
    count : array_like, optional
        Proportions only: the count per quantile instead of *value*
        (value = count / population); every count must be positive.
    quantile : array_like, optional
        Quantile numbers of the rows. If a number between 1 and the largest is
        missing, the area is incomplete: a warning is given and every output is NaN
        (PHE drops such an area).
    se : array_like, optional
        Standard error of each value on the analysis scale (identity for
        ``"normal"``, log for ``"rate"``, logit for ``"proportion"``).
    lower_cl, upper_cl : array_like, optional
        95 % limits of each value, used to derive *se* when it is not given.
    value_type : {"normal", "rate", "proportion"}, default "normal"
        Scale of the values (proportions on 0–1).
    transform : bool, default False
        Fit on the log (rates) or logit (proportions) scale.
    multiplier : float, default 1
        Scales the SII; a negative multiplier flips the polarity (RII inverted).
    confidence : float, default 0.95
    repetitions : int, default 100 000
        Monte Carlo samples for the limits.
    rii : bool, default True
        False: only the SII and its limits (the RII outputs are NaN).
    rng : numpy Generator or seed, optional
        Source of random numbers (fix it for reproducible limits).

    Raises
    ------
    ValueError
        Negative or missing standard errors, missing limits, proportion values or
        limits outside 0–1, zero or negative counts, non-positive populations,
        fewer than 5 or more than 100 quantiles (the peer's error cases).

    Warns
    -----
    UserWarning
        More than 10 quantiles (small values make the SII unstable), or a missing
        quantile (the result is NaN).

    Returns
    -------
    SIIResult

    Notes
    -----
    Population shares :math:`a_j = P_j / \sum P`, mid-points
    :math:`b_j = \sum_{m<j} a_m + a_j/2`; fit :math:`y_j = \beta_0 + \beta_1 b_j`
    by weighted least squares (weights :math:`a_j`):

    .. math::

        \mathrm{SII} = \beta_1 m, \qquad \mathrm{RII} = \frac{\beta_0 + \beta_1}{\beta_0}

    (transformed: :math:`\mathrm{SII} = [g(\beta_0 + \beta_1) - g(\beta_0)]\,m`,
    :math:`\mathrm{RII} = g(\beta_0 + \beta_1)/g(\beta_0)` with :math:`g` the
    inverse transform). Limits: refit on values drawn from
    :math:`N(T(y_j), \mathrm{SE}_j^2)`, :math:`\mathrm{SE}_j = (T(U_j) -
    T(L_j)) / (2 \cdot 1.959964)`, and take the :math:`\alpha/2` and
    :math:`1-\alpha/2` order statistics.

    References
    ----------
    .. [1] Low A, Low A. Measuring the gap: quantifying and comparing local
       health inequalities. J Public Health 2004;26:388–395.
    .. [2] Public Health England. Technical Guide: Slope index of inequality
       (Fingertips Public Health Technical Guidance).

    Examples
    --------
    >>> r = sii([70, 72, 74, 76, 78], [100] * 5, se=[1] * 5, rng=1, repetitions=10_000)
    >>> print(f"{r.sii:.1f} ({r.sii_lower:.1f} to {r.sii_upper:.1f})")
    10.0 (6.9 to 13.1)
    """
    c = check_confidence(confidence)
    check_method(value_type, ("normal", "rate", "proportion"), "value_type")
    proportion = value_type == "proportion"
    p = as_array("population", population)
    check_finite("population", p)
    check_positive("population", p)
    if value is None:
        if count is None or not proportion:
            raise ValueError(
                "sii needs value, or count for a proportion (value = count / population)"
            )
        x = as_array("count", count)
        check_finite("count", x)
        if x.shape != p.shape:
            raise ValueError(f"count {x.shape} and population {p.shape} must have equal length")
        if np.any(x <= 0):
            i = int(np.flatnonzero(x <= 0)[0])
            raise ValueError(f"count[{i}] = {x[i]:g}: zero or negative count")
        y = x / p
    else:
        y = as_array("value", value)
        check_finite("value", y)
    if y.ndim != 1 or y.shape != p.shape:
        raise ValueError(f"value {y.shape} and population {p.shape} must be 1-D of equal length")
    k = y.size
    if quantile is not None:
        missing = _missing_quantiles(quantile, k)
        if missing:
            warnings.warn(
                f"quantile {', '.join(map(str, missing))} missing: the area is incomplete "
                "and its SII is not computed",
                UserWarning,
                stacklevel=2,
            )
            return _NAN_RESULT
    if not 5 <= k <= 100:
        raise ValueError(f"number of quantiles must be between 5 and 100, got {k}")
    if k > MANY_QUANTILES:
        warnings.warn(
            f"{k} quantiles: small values can make the SII unstable with more than "
            f"{MANY_QUANTILES} quantiles",
            UserWarning,
            stacklevel=2,
        )
    if proportion and (np.any(y < 0) or np.any(y > 1)):
        i = int(np.flatnonzero((y < 0) | (y > 1))[0])
        raise ValueError(f"value[{i}] = {y[i]:g}: proportions must lie between 0 and 1")
    if transform and value_type == "normal":
        raise ValueError("transform needs value_type 'rate' or 'proportion'")
    if repetitions < 1000:
        raise ValueError(f"repetitions = {repetitions} must be at least 1000")
    if se is not None:
        s = _check_spread(se, "se", "standard errors", proportion)
    else:
        if lower_cl is None or upper_cl is None:
            raise ValueError("give se, or both lower_cl and upper_cl")
        lo = _check_spread(lower_cl, "lower_cl", "lower or upper confidence limits", proportion)
        hi = _check_spread(upper_cl, "upper_cl", "lower or upper confidence limits", proportion)
        s = (_forward(hi, value_type) - _forward(lo, value_type)) / (2.0 * z_value(0.95))
    m = float(multiplier)

    a = p / p.sum()
    b = np.cumsum(a) - a / 2.0
    design = np.column_stack([np.sqrt(a), b * np.sqrt(a)])
    hat = np.linalg.solve(design.T @ design, design.T)  # 2 x k: beta = hat @ (sqrt(a) * y)

    fit_y = _forward(y, value_type) if transform else y
    beta0, beta1 = hat @ (np.sqrt(a) * fit_y)
    if transform:
        g0, g1 = _inverse(np.array([beta0, beta0 + beta1]), value_type)
        point_sii = (g1 - g0) * m
        point_rii = g1 / g0
        intercept = g0 * abs(m)
    else:
        point_sii = beta1 * m
        point_rii = (beta0 + beta1) / beta0
        intercept = beta0
    if m < 0:
        point_rii = 1.0 / point_rii

    gen = np.random.default_rng(rng)
    draws = gen.normal(_forward(y, value_type), s, size=(repetitions, k))
    if not transform:
        draws = _inverse(draws, value_type)
    params = (draws * np.sqrt(a)) @ hat.T  # repetitions x 2
    if transform:
        h = beta0 + beta1 / 2.0
        hi_g = _inverse(h + params[:, 1] / 2.0, value_type)
        lo_g = _inverse(h - params[:, 1] / 2.0, value_type)
        sim_sii = (hi_g - lo_g) * m
        sim_rii = hi_g / lo_g
    else:
        sim_sii = params[:, 1] * m
        sim_rii = (params[:, 0] + params[:, 1]) / params[:, 0]
    if m < 0:
        sim_rii = 1.0 / sim_rii
    alpha = 1.0 - c
    lo_pos = max(round(repetitions * alpha / 2.0), 1) - 1
    hi_pos = min(round(repetitions * (1.0 - alpha / 2.0)), repetitions) - 1
    sim_sii.sort()
    sim_rii.sort()
    nan = float("nan")
    return SIIResult(
        sii=float(point_sii),
        sii_lower=float(sim_sii[lo_pos]),
        sii_upper=float(sim_sii[hi_pos]),
        rii=float(point_rii) if rii else nan,
        rii_lower=float(sim_rii[lo_pos]) if rii else nan,
        rii_upper=float(sim_rii[hi_pos]) if rii else nan,
        intercept=float(intercept),
    )
