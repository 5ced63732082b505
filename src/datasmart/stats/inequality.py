"""Slope and relative index of inequality (SII, RII) across deprivation quantiles."""

from __future__ import annotations

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


def sii(
    value: npt.ArrayLike,
    population: npt.ArrayLike,
    *,
    se: npt.ArrayLike | None = None,
    lower_cl: npt.ArrayLike | None = None,
    upper_cl: npt.ArrayLike | None = None,
    value_type: ValueType = "normal",
    transform: bool = False,
    multiplier: float = 1.0,
    confidence: float = 0.95,
    repetitions: int = 100_000,
    rng: np.random.Generator | int | None = None,
) -> SIIResult:
    r"""Slope index of inequality (SII) and relative index (RII) with simulated limits.

    Parameters
    ----------
    value : array_like, shape (k,)
        Indicator value per quantile, ordered from most to least deprived
        (quantile 1 first), ``5 <= k <= 100``.
    population : array_like, shape (k,)
        Population of each quantile, ``> 0``.
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
    rng : numpy Generator or seed, optional
        Source of random numbers (fix it for reproducible limits).

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
    y = as_array("value", value)
    p = as_array("population", population)
    check_finite("value", y)
    check_finite("population", p)
    check_positive("population", p)
    if y.ndim != 1 or y.shape != p.shape:
        raise ValueError(f"value {y.shape} and population {p.shape} must be 1-D of equal length")
    k = y.size
    if not 5 <= k <= 100:
        raise ValueError(f"number of quantiles must be between 5 and 100, got {k}")
    if transform and value_type == "normal":
        raise ValueError("transform needs value_type 'rate' or 'proportion'")
    if repetitions < 1000:
        raise ValueError(f"repetitions = {repetitions} must be at least 1000")
    if se is not None:
        s = as_array("se", se)
        check_finite("se", s)
        if np.any(s < 0):
            raise ValueError(f"se[{int(np.flatnonzero(s < 0)[0])}] is negative")
    else:
        if lower_cl is None or upper_cl is None:
            raise ValueError("give se, or both lower_cl and upper_cl")
        lo = as_array("lower_cl", lower_cl)
        hi = as_array("upper_cl", upper_cl)
        check_finite("lower_cl", lo)
        check_finite("upper_cl", hi)
        if value_type == "proportion" and (np.any(lo < 0) or np.any(hi > 1)):
            raise ValueError("proportion limits must lie within 0-1")
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
    return SIIResult(
        sii=float(point_sii),
        sii_lower=float(sim_sii[lo_pos]),
        sii_upper=float(sim_sii[hi_pos]),
        rii=float(point_rii),
        rii_lower=float(sim_rii[lo_pos]),
        rii_upper=float(sim_rii[hi_pos]),
        intercept=float(intercept),
    )
