"""Period life expectancy from an abridged life table (Chiang II, Silcocks variance)."""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from datasmart.stats._common import FloatArray, z_value
from datasmart.stats._validation import (
    as_array,
    check_confidence,
    check_finite,
    check_method,
    check_nonnegative,
    check_not_greater,
    check_positive,
)

__all__ = ["LE_START_AGES", "LifeExpectancyResult", "life_expectancy"]

LE_START_AGES: tuple[int, ...] = (0, 1, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70,
                                  75, 80, 85, 90)  # fmt: skip
"""Start ages of the 20 bands PHE uses: 0, 1–4, 5–9, …, 85–89, 90+."""

_BLANK_Z = 1.96  # PHE blanks e_x when 1.96·SE > 10 years (interval wider than 20 years)


class LifeExpectancyResult(NamedTuple):
    """Result of :func:`life_expectancy`, shape (..., bands): one value per start age."""

    value: FloatArray
    """Life expectancy at each start age (NaN if invalid, or if the 95 % interval
    is wider than 20 years)."""
    lower: FloatArray
    upper: FloatArray
    population_used: FloatArray
    """Population at or above each start age."""
    deaths_used: FloatArray
    """Deaths at or above each start age."""
    valid: npt.NDArray[np.bool_]
    """Per group: False where the group failed a data rule (all outputs NaN)."""


def life_expectancy(
    deaths: npt.ArrayLike,
    population: npt.ArrayLike,
    start_ages: npt.ArrayLike = LE_START_AGES,
    confidence: float = 0.95,
    *,
    min_population: float = 5000,
    on_invalid: Literal["nan", "raise"] = "nan",
) -> LifeExpectancyResult:
    r"""Life expectancy at each start age by Chiang's abridged life table (method II).

    Parameters
    ----------
    deaths, population : array_like, shape (..., bands)
        Deaths and mid-year population per age band (last axis), one row per
        group (leading axes).
    start_ages : array_like, shape (bands,), default :data:`LE_START_AGES`
        Increasing start age of each band, the first 0; the last band is open.
    confidence : float, default 0.95
        Two-sided level of the limits.
    min_population : float, default 5000
        Groups whose total population is at or below this are not computed.
    on_invalid : {"nan", "raise"}, default "nan"
        A group with negative deaths, a population ≤ 0, deaths > population or
        too small a population returns NaN (PHE behaviour); ``"raise"`` raises
        ``ValueError`` naming the first offending element instead.

    Returns
    -------
    LifeExpectancyResult

    Notes
    -----
    With :math:`M_i = D_i/P_i`, widths :math:`n_i`, :math:`a_i = 0.1` for age 0
    and 0.5 otherwise:

    .. math::

        q_i = \frac{n_i M_i}{1 + n_i M_i (1 - a_i)}, \quad
        l_{i+1} = l_i (1 - q_i), \quad
        L_i = n_i (l_{i+1} + a_i d_i), \quad
        e_i = \frac{\sum_{j \ge i} L_j}{l_i}

    (last band: :math:`q = 1`, :math:`L = l / M`; :math:`q_i = 1` when
    :math:`D_i > P_i / (n_i a_i)`). Silcocks' variance:

    .. math::

        S_i^2 = \frac{q_i^2 (1 - q_i)}{D_i}, \quad
        \operatorname{Var}(e_i) = \frac{\sum_{j \ge i} l_j^2
        \left[(1 - a_j) n_j + e_{j+1}\right]^2 S_j^2}{l_i^2}

    with last-band term :math:`(l/2)^2 \cdot 4/(D M^2)`; limits
    :math:`e_i \pm z\sqrt{\operatorname{Var}(e_i)}`. As PHE does, :math:`e_i`
    is blanked (limits kept) when :math:`1.96\sqrt{\operatorname{Var}(e_i)} > 10`.

    References
    ----------
    .. [1] Chiang CL. Introduction to Stochastic Processes in Biostatistics.
       Wiley 1968.
    .. [2] Silcocks PBS, Jenner DA, Reza R. Life expectancy as a summary of
       mortality in a population: statistical considerations and suitability
       for use by health authorities. J Epidemiol Community Health
       2001;55:38–43.
    .. [3] Eayres D, Williams ES. Evaluation of methodologies for small area
       life expectancy estimation. J Epidemiol Community Health
       2004;58:243–249.
    .. [4] Public Health England / OHID. Fingertips Public Health Technical
       Guidance: Life expectancy.

    Examples
    --------
    >>> pops = [7060, 35059, 46974, 48489, 43219, 38561, 46009, 57208, 61435, 55601,
    ...         50209, 56416, 46411, 39820, 37978, 37039, 33288, 23306, 11936, 11936]
    >>> deaths = [17, 9, 4, 8, 20, 15, 24, 33, 50, 71, 100, 163, 263, 304, 536, 872,
    ...           1390, 1605, 1936, 1937]
    >>> r = life_expectancy(deaths, pops)
    >>> print(f"{r.value[0]:.2f} ({r.lower[0]:.2f}-{r.upper[0]:.2f})")
    80.17 (79.88-80.46)
    """
    c = check_confidence(confidence)
    check_method(on_invalid, ("nan", "raise"), "on_invalid")
    d = as_array("deaths", deaths)
    p = as_array("population", population)
    x = as_array("start_ages", start_ages)
    for name, arr in (("deaths", d), ("population", p), ("start_ages", x)):
        check_finite(name, arr)
    if x.ndim != 1 or x.size < 2 or x[0] != 0 or np.any(np.diff(x) <= 0):
        raise ValueError("start_ages must be increasing, start at 0 and have at least 2 bands")
    try:
        d, p = np.broadcast_arrays(d, p)
    except ValueError:
        raise ValueError(
            f"shapes do not match: deaths has shape {d.shape}, population {p.shape}"
        ) from None
    if d.ndim == 0 or d.shape[-1] != x.size:
        raise ValueError(
            f"deaths has shape {d.shape}; its last axis must have one value per band ({x.size})"
        )
    if on_invalid == "raise":
        check_nonnegative("deaths", d)
        check_positive("population", p)
        check_not_greater("deaths", d, "population", p)
        small = p.sum(axis=-1) <= min_population
        if small.any():
            raise ValueError(f"total population <= {min_population:g} in some group")
    valid = (
        np.all(d >= 0, axis=-1)
        & np.all(p > 0, axis=-1)
        & np.all(d <= p, axis=-1)
        & (p.sum(axis=-1) > min_population)
    )
    # Work on safe values; invalid groups are blanked at the end.
    p_safe = np.where(valid[..., None], p, 1.0)
    d_safe = np.where(valid[..., None], d, 0.0)

    bands = x.size
    n = np.diff(x)  # widths of the closed bands
    a = np.full(bands - 1, 0.5)
    a[0] = 0.1 if x[1] == 1 else 0.5
    m = d_safe / p_safe
    mc = m[..., :-1]
    q = n * mc / (1.0 + n * mc * (1.0 - a))
    q = np.where(d_safe[..., :-1] > p_safe[..., :-1] / (n * a), 1.0, q)
    lx = np.empty(d.shape)
    lx[..., 0] = 100_000.0
    lx[..., 1:] = 100_000.0 * np.cumprod(1.0 - q, axis=-1)
    dx = lx[..., :-1] - lx[..., 1:]
    big_l = np.empty(d.shape)
    big_l[..., :-1] = n * (lx[..., 1:] + a * dx)
    m_last = m[..., -1]
    with np.errstate(divide="ignore", invalid="ignore"):
        big_l[..., -1] = np.where(m_last > 0, lx[..., -1] / m_last, np.nan)
        big_t = np.cumsum(big_l[..., ::-1], axis=-1)[..., ::-1]
        e = np.where(lx > 0, big_t / lx, 0.0)
        s2 = np.where(dx > 0, q**2 * (1.0 - q) / d_safe[..., :-1], 0.0)
        s2_last = 4.0 / (d_safe[..., -1] * m_last**2)
        w = np.empty(d.shape)
        w[..., :-1] = lx[..., :-1] ** 2 * ((1.0 - a) * n + e[..., 1:]) ** 2 * s2
        w[..., -1] = (lx[..., -1] / 2.0) ** 2 * s2_last
        var = np.cumsum(w[..., ::-1], axis=-1)[..., ::-1] / lx**2
    se = np.sqrt(var)
    z = z_value(c)
    lower = e - z * se
    upper = e + z * se
    value = np.where(_BLANK_Z * se > 10.0, np.nan, e)
    blank = ~valid[..., None]
    return LifeExpectancyResult(
        value=np.where(blank, np.nan, value),
        lower=np.where(blank, np.nan, lower),
        upper=np.where(blank, np.nan, upper),
        population_used=np.where(blank, np.nan, np.cumsum(p[..., ::-1], axis=-1)[..., ::-1]),
        deaths_used=np.where(blank, np.nan, np.cumsum(d[..., ::-1], axis=-1)[..., ::-1]),
        valid=np.asarray(valid),
    )
