"""Tests for a linear trend over periods: proportions (Cochran–Armitage) and rates (Poisson)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import special

from datasmart.stats._common import FloatArray, z_value
from datasmart.stats._validation import (
    as_array,
    broadcast,
    check_confidence,
    check_finite,
    check_nonnegative,
    check_positive,
)
from datasmart.stats.proportions import validate_proportion_inputs

__all__ = ["TrendResult", "poisson_trend", "proportion_trend"]

INCREASING = "increasing"
DECREASING = "decreasing"
NO_TREND = "no_significant_trend"


class TrendResult(NamedTuple):
    """Result of a trend test; one value per series (leading axes)."""

    statistic: FloatArray
    """Chi-square statistic on 1 degree of freedom."""
    p_value: FloatArray
    """Two-sided p-value."""
    slope: FloatArray
    """Change per unit of score: proportion (Cochran–Armitage) or log rate ratio (Poisson)."""
    lower: FloatArray
    """Lower confidence limit of the slope."""
    upper: FloatArray
    """Upper confidence limit of the slope."""
    direction: npt.NDArray[np.str_]
    """``"increasing"``, ``"decreasing"`` or ``"no_significant_trend"`` at the
    chosen confidence; ``"not_tested"`` where the test is undefined."""


def _scores(scores: npt.ArrayLike | None, periods: int) -> FloatArray:
    if scores is None:
        return np.arange(periods, dtype=np.float64)
    s = as_array("scores", scores)
    check_finite("scores", s)
    if s.ndim != 1 or s.size != periods:
        raise ValueError(f"scores has shape {s.shape}; it needs one score per period ({periods},)")
    if np.ptp(s) == 0:
        raise ValueError("scores are all equal; a trend needs at least two distinct periods")
    return s


def _direction(slope: FloatArray, p_value: FloatArray, confidence: float) -> npt.NDArray[np.str_]:
    sig = p_value < 1.0 - confidence
    labels = np.select(
        [np.isnan(p_value), sig & (slope > 0), sig & (slope < 0)],
        ["not_tested", INCREASING, DECREASING],
        default=NO_TREND,
    )
    return np.asarray(labels, dtype=np.str_)


def _periods_axis(arr: FloatArray, name: str) -> int:
    if arr.ndim == 0 or arr.shape[-1] < 2:
        raise ValueError(f"{name} needs a last axis of at least 2 periods, got shape {arr.shape}")
    return arr.shape[-1]


def proportion_trend(
    x: npt.ArrayLike,
    n: npt.ArrayLike,
    scores: npt.ArrayLike | None = None,
    confidence: float = 0.95,
) -> TrendResult:
    r"""Chi-square test for linear trend in proportions (Cochran–Armitage).

    Parameters
    ----------
    x, n : array_like, shape (..., periods)
        Numerators and denominators per period (last axis); leading axes are
        independent series (e.g. one row per kommun).
    scores : array_like, shape (periods,), optional
        Score of each period (e.g. the year); default 0, 1, 2, ….
    confidence : float, default 0.95
        Level for the slope interval and the ``direction`` label.

    Returns
    -------
    TrendResult
        ``slope`` is the least-squares change in proportion per unit score.

    Notes
    -----
    With :math:`N = \sum n_i`, :math:`\bar p = \sum x_i / N`,
    :math:`\bar t = \sum n_i t_i / N` and :math:`S_{tt} = \sum n_i (t_i - \bar t)^2`:

    .. math::

        T = \sum x_i (t_i - \bar t), \qquad
        \chi^2_1 = \frac{T^2}{\bar p (1 - \bar p) S_{tt}}, \qquad
        b = T / S_{tt}

    with slope limits :math:`b \pm z\sqrt{\bar p(1-\bar p)/S_{tt}}`. Series with
    :math:`\bar p \in \{0, 1\}` are not tested (NaN).

    References
    ----------
    .. [1] Cochran WG. Some methods for strengthening the common χ² tests.
       Biometrics 1954;10:417–451.
    .. [2] Armitage P. Tests for linear trends in proportions and frequencies.
       Biometrics 1955;11:375–386.
    .. [3] Altman DG. Practical Statistics for Medical Research. Chapman & Hall
       1991, §10.7.4 (chi-square test for trend).

    Examples
    --------
    >>> r = proportion_trend([10, 15, 22, 30], [100, 100, 100, 100])
    >>> print(f"{r.statistic:.2f} {r.p_value:.5f} {r.slope:.4f} {r.direction}")
    14.44 0.00014 0.0670 increasing
    """
    c = check_confidence(confidence)
    xa, na = validate_proportion_inputs(x, n)
    periods = _periods_axis(xa, "x")
    t = _scores(scores, periods)
    big_n = na.sum(axis=-1)
    p_bar = xa.sum(axis=-1) / big_n
    t_bar = (na * t).sum(axis=-1) / big_n
    dt = t - t_bar[..., None]
    s_tt = (na * dt**2).sum(axis=-1)
    big_t = (xa * dt).sum(axis=-1)
    var0 = p_bar * (1.0 - p_bar)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(var0 > 0, big_t**2 / (var0 * s_tt), np.nan)
        slope = big_t / s_tt
        half = z_value(c) * np.sqrt(var0 / s_tt)
    p = special.chdtrc(1.0, stat)
    return TrendResult(
        statistic=stat,
        p_value=p,
        slope=slope,
        lower=np.where(var0 > 0, slope - half, np.nan),
        upper=np.where(var0 > 0, slope + half, np.nan),
        direction=_direction(slope, p, c),
    )


def poisson_trend(
    count: npt.ArrayLike,
    exposure: npt.ArrayLike,
    scores: npt.ArrayLike | None = None,
    confidence: float = 0.95,
    *,
    max_iter: int = 50,
    tol: float = 1e-10,
) -> TrendResult:
    r"""Trend in rates over periods by Poisson regression (log-linear slope).

    Parameters
    ----------
    count : array_like, shape (..., periods)
        Events per period (last axis); leading axes are independent series.
    exposure : array_like, shape (..., periods)
        Population or person-time per period, ``> 0``.
    scores : array_like, shape (periods,), optional
        Score of each period (e.g. the year); default 0, 1, 2, ….
    confidence : float, default 0.95
        Level for the slope interval and the ``direction`` label.
    max_iter, tol
        Newton–Raphson controls (all series are iterated together).

    Returns
    -------
    TrendResult
        ``slope`` is :math:`\hat\beta`, the log rate ratio per unit score
        (``np.exp(slope)`` is the rate ratio per period); ``statistic`` is the
        Wald :math:`z^2`.

    Notes
    -----
    Model :math:`\log \mu_i = \log E_i + \alpha + \beta t_i`, fitted by
    maximum likelihood (Newton–Raphson on the 2×2 information matrix, vectorised
    over series):

    .. math::

        \chi^2_1 = \left(\frac{\hat\beta}{\operatorname{SE}(\hat\beta)}\right)^2,
        \qquad \hat\beta \pm z\,\operatorname{SE}(\hat\beta)

    Series with no events are not tested (NaN).

    References
    ----------
    .. [1] Breslow NE, Day NE. Statistical Methods in Cancer Research, Vol. II.
       IARC 1987, ch. 4 (Poisson regression for rates).
    .. [2] McCullagh P, Nelder JA. Generalized Linear Models, 2nd ed. Chapman &
       Hall 1989.

    Examples
    --------
    >>> r = poisson_trend([50, 60, 75, 90], [10_000] * 4, scores=[2020, 2021, 2022, 2023])
    >>> print(f"{np.exp(r.slope):.4f} {r.p_value:.4f} {r.direction}")
    1.2196 0.0003 increasing
    """
    c = check_confidence(confidence)
    y = as_array("count", count)
    e = as_array("exposure", exposure)
    check_finite("count", y)
    check_finite("exposure", e)
    check_nonnegative("count", y)
    check_positive("exposure", e)
    y, e = broadcast(count=y, exposure=e)
    periods = _periods_axis(y, "count")
    t = _scores(scores, periods)
    t = t - t.mean()  # centring keeps the Newton steps well conditioned
    total = y.sum(axis=-1)
    ok = total > 0
    alpha = np.log(np.where(ok, total, 1.0) / e.sum(axis=-1))
    beta = np.zeros_like(alpha)
    for _ in range(max_iter):  # Newton iterations, vectorised over all series
        mu = e * np.exp(alpha[..., None] + beta[..., None] * t)
        u_a = (y - mu).sum(axis=-1)
        u_b = ((y - mu) * t).sum(axis=-1)
        i_aa = mu.sum(axis=-1)
        i_ab = (mu * t).sum(axis=-1)
        i_bb = (mu * t**2).sum(axis=-1)
        det = i_aa * i_bb - i_ab**2
        d_a = (i_bb * u_a - i_ab * u_b) / det
        d_b = (i_aa * u_b - i_ab * u_a) / det
        alpha = alpha + np.where(ok, d_a, 0.0)
        beta = beta + np.where(ok, d_b, 0.0)
        if np.all(np.abs(np.where(ok, d_b, 0.0)) < tol * (1.0 + np.abs(beta))):
            break
    mu = e * np.exp(alpha[..., None] + beta[..., None] * t)
    i_aa = mu.sum(axis=-1)
    i_ab = (mu * t).sum(axis=-1)
    i_bb = (mu * t**2).sum(axis=-1)
    se = np.sqrt(i_aa / (i_aa * i_bb - i_ab**2))
    slope = np.where(ok, beta, np.nan)
    stat = (slope / se) ** 2
    p = special.chdtrc(1.0, stat)
    half = z_value(c) * se
    return TrendResult(
        statistic=stat,
        p_value=p,
        slope=slope,
        lower=slope - half,
        upper=slope + half,
        direction=_direction(slope, p, c),
    )
