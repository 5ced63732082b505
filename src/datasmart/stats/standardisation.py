"""Direct and indirect age standardisation (DSR with Dobson limits; ISR ratio and rate)."""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from datasmart.stats._common import FloatArray
from datasmart.stats._validation import (
    as_array,
    check_confidence,
    check_finite,
    check_nan_policy,
    check_nonnegative,
    check_positive,
    check_positive_scalar,
    scalar_or_array,
)
from datasmart.stats.rates import _poisson_limits

__all__ = [
    "ESP2013",
    "ESP2013_AGEBANDS",
    "DSRResult",
    "ISRResult",
    "dsr",
    "isr",
]

ESP2013_AGEBANDS: tuple[str, ...] = (
    "0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44",
    "45-49", "50-54", "55-59", "60-64", "65-69", "70-74", "75-79", "80-84", "85-89",
    "90+",
)  # fmt: skip
"""Labels of the 19 five-year bands of :data:`ESP2013`."""

ESP2013: npt.NDArray[np.float64] = np.array(
    [
        5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000,
        7000, 6500, 6000, 5500, 5000, 4000, 2500, 1500, 1000,
    ],
    dtype=np.float64,
)  # fmt: skip
"""2013 European Standard Population in 19 bands (0–4, 5–9, …, 85–89, 90+), total 100 000.

Source: Eurostat. *Revision of the European Standard Population — Report of
Eurostat's task force*. Luxembourg: Publications Office of the European Union,
2013 (doi:10.2785/11470), in the 19-band form used by PHE/Fingertips (0 and 1–4
merged into 0–4; 90–94 and 95+ merged into 90+), identical to ``esp2013`` in
PHEindicatormethods and to ``shared/conformance/phe/esp2013.csv``. The array is
read-only; copy it to modify.
"""
ESP2013.setflags(write=False)


class DSRResult(NamedTuple):
    """Result of :func:`dsr`; each field has one value per group."""

    value: FloatArray
    """Directly standardised rate × multiplier (NaN when total count < ``min_count``)."""
    lower: FloatArray
    """Lower Dobson limit × multiplier."""
    upper: FloatArray
    """Upper Dobson limit × multiplier."""
    total_count: FloatArray
    """Σ events over age bands (Σ f·persons for non-independent events)."""
    total_population: FloatArray
    """Σ population over age bands."""


class ISRResult(NamedTuple):
    """Result of :func:`isr`; each field has one value per group."""

    observed: FloatArray
    """Observed events O."""
    expected: FloatArray
    """Expected events E = Σ (reference rate × population)."""
    ratio: FloatArray
    """Indirectly standardised ratio O/E × ``refvalue``."""
    ratio_lower: FloatArray
    ratio_upper: FloatArray
    reference_rate: FloatArray
    """Crude reference rate Σ X / Σ N × multiplier."""
    rate: FloatArray
    """Indirectly standardised rate O/E × reference rate."""
    rate_lower: FloatArray
    rate_upper: FloatArray


def _bands_match(name: str, arr: FloatArray, bands: int) -> None:
    if arr.ndim == 0 or arr.shape[-1] != bands:
        raise ValueError(
            f"{name} has shape {arr.shape}; its last axis must have one value per age band "
            f"({bands}, the length of the last axis of population)"
        )


def _count_nan(name: str, arr: FloatArray, nan_policy: str) -> FloatArray:
    check_finite(name, arr, "raise" if nan_policy == "raise" else "propagate")
    if nan_policy == "omit":
        return np.nan_to_num(arr, nan=0.0)
    return arr


def dsr(
    count: npt.ArrayLike,
    population: npt.ArrayLike,
    standard_population: npt.ArrayLike = ESP2013,
    confidence: float = 0.95,
    multiplier: float = 100_000,
    *,
    event_frequency: npt.ArrayLike | None = None,
    min_count: float = 10,
    nan_policy: Literal["raise", "propagate", "omit"] = "raise",
) -> DSRResult:
    r"""Directly standardised rate with Dobson confidence limits.

    Parameters
    ----------
    count : array_like, shape (..., bands) or (..., F, bands)
        Events per age band (last axis), one row per group (leading axes). With
        *event_frequency*, an extra axis of length F holds the number of
        *persons* with exactly ``event_frequency[f]`` events in each band.
    population : array_like, shape (..., bands)
        Population per band, ``> 0``.
    standard_population : array_like, shape (bands,), default :data:`ESP2013`
        Standard population weights, ``>= 0`` (e.g. a Swedish population built by
        the caller); matched to the bands by position.
    confidence : float, default 0.95
        Two-sided confidence level in (0, 1).
    multiplier : float, default 100 000
        Rate scale.
    event_frequency : array_like, shape (F,), optional
        Events per person for each slice of the F axis; switches on the variance
        adjustment for non-independent events (people with repeated events).
    min_count : float, default 10
        Groups whose total count is below this get NaN value and limits (PHE rule:
        Dobson limits are unreliable for very small counts). Use 0 to disable.
    nan_policy : {"raise", "propagate", "omit"}, default "raise"
        For missing counts only: ``"omit"`` counts them as 0 (the PHE convention),
        ``"propagate"`` makes the group's results NaN. Missing populations or
        standard populations always raise.

    Returns
    -------
    DSRResult
        ``value, lower, upper, total_count, total_population``, one per group.

    Notes
    -----
    With events :math:`O_i`, population :math:`n_i` and standard weights
    :math:`w_i` in band :math:`i`, :math:`O = \sum_i O_i` and Byar's limits
    :math:`O_L, O_U` of :math:`O` (see :func:`~datasmart.stats.poisson_limits`):

    .. math::

        \mathrm{DSR} = \frac{\sum_i w_i O_i / n_i}{\sum_i w_i}, \qquad
        V = \frac{\sum_i w_i^2 O_i / n_i^2}{\left(\sum_i w_i\right)^2}

        L, U = \mathrm{DSR} + \sqrt{V / O}\,(O_{L,U} - O)

    all multiplied by the multiplier. For non-independent events with
    :math:`P_{f,i}` persons having :math:`f` events: :math:`O_i = \sum_f f P_{f,i}`
    and :math:`V = \sum_f f^2 V_f`, :math:`V_f` being :math:`V` computed with
    :math:`P_{f,i}` in place of :math:`O_i` [3]_.

    References
    ----------
    .. [1] Dobson AJ, Kuulasmaa K, Eberle E, Scherer J. Confidence intervals for
       weighted sums of Poisson parameters. Stat Med 1991;10:457–462.
    .. [2] Breslow NE, Day NE. Statistical Methods in Cancer Research, Vol. II.
       IARC 1987 (Byar's method).
    .. [3] Public Health England / OHID. Fingertips Public Health Technical
       Guidance: Directly standardised rates (non-independent events).
    .. [4] Eurostat. Revision of the European Standard Population. 2013.

    Examples
    --------
    >>> count = [127, 25, 18, 21, 12, 27, 48, 27, 29, 32, 32, 34, 45, 65, 38, 68, 74, 82, 91]
    >>> pop = [636, 558, 609, 543, 384, 594, 669, 843, 660, 576, 606, 522, 426, 273, 300,
    ...        288, 153, 123, 207]
    >>> r = dsr(count, pop, multiplier=10_000)
    >>> print(f"{r.value:.2f} ({r.lower:.2f}-{r.upper:.2f}), n={r.total_count:.0f}")
    1043.02 (971.77-1117.89), n=895
    """
    c = check_confidence(confidence)
    m = check_positive_scalar("multiplier", multiplier)
    check_nan_policy(nan_policy, ("raise", "propagate", "omit"))
    o = _count_nan("count", as_array("count", count), nan_policy)
    n = as_array("population", population)
    w = as_array("standard_population", standard_population)
    check_finite("population", n)
    check_finite("standard_population", w)
    check_nonnegative("count", o)
    check_positive("population", n)
    check_nonnegative("standard_population", w)
    if n.ndim == 0:
        raise ValueError("population must have an age-band axis (its last axis)")
    bands = n.shape[-1]
    _bands_match("count", o, bands)
    _bands_match("standard_population", w, bands)
    if not np.all(w.sum(axis=-1) > 0):
        raise ValueError("standard_population sums to 0; at least one weight must be > 0")

    if event_frequency is not None:
        f = as_array("event_frequency", event_frequency)
        check_finite("event_frequency", f)
        check_positive("event_frequency", f)
        if f.ndim != 1 or o.ndim < 2 or o.shape[-2] != f.size:
            raise ValueError(
                f"with event_frequency of shape {f.shape}, count must have shape "
                f"(..., {f.size}, {bands}); got {o.shape}"
            )
        fcol = f[:, None]
        band_events = np.sum(o * fcol, axis=-2)  # O_i = Σ_f f P_fi
        var_weight = np.sum(o * fcol**2, axis=-2)  # Σ_f f² P_fi
    else:
        band_events = o
        var_weight = o
    try:
        band_events, n, w = np.broadcast_arrays(band_events, n, w)
        var_weight = np.broadcast_to(var_weight, n.shape)
    except ValueError:
        raise ValueError(
            f"shapes do not match: count has shape {o.shape}, population {n.shape}, "
            f"standard_population {w.shape}"
        ) from None

    wsum = w.sum(axis=-1)
    total = band_events.sum(axis=-1)
    value = np.sum(w * band_events / n, axis=-1) / wsum
    var = np.sum(w**2 * var_weight / n**2, axis=-1) / wsum**2
    o_lo, o_hi = _poisson_limits(total, c, "byar")
    with np.errstate(divide="ignore", invalid="ignore"):
        se_per_event = np.sqrt(var / total)
    lower = value + se_per_event * (o_lo - total)
    upper = value + se_per_event * (o_hi - total)
    small = ~(total >= min_count) if min_count > 0 else total == 0
    value = np.where(total < min_count, np.nan, value)
    lower = np.where(small, np.nan, lower)
    upper = np.where(small, np.nan, upper)
    return DSRResult(
        value=scalar_or_array(value * m),
        lower=scalar_or_array(lower * m),
        upper=scalar_or_array(upper * m),
        total_count=scalar_or_array(np.asarray(total, dtype=np.float64)),
        total_population=scalar_or_array(np.asarray(n.sum(axis=-1), dtype=np.float64)),
    )


def isr(
    count: npt.ArrayLike | None,
    population: npt.ArrayLike,
    reference_count: npt.ArrayLike,
    reference_population: npt.ArrayLike,
    confidence: float = 0.95,
    multiplier: float = 100_000,
    *,
    refvalue: float = 1,
    observed: npt.ArrayLike | None = None,
    nan_policy: Literal["raise", "propagate", "omit"] = "raise",
) -> ISRResult:
    r"""Indirectly standardised ratio and rate with Poisson confidence limits.

    Parameters
    ----------
    count : array_like, shape (..., bands), or None
        Observed events per age band and group. ``None`` when the observed totals
        are given through *observed* instead (e.g. deaths known only in total).
    population : array_like, shape (..., bands)
        Population per band, ``>= 0`` (a zero band is allowed).
    reference_count, reference_population : array_like, shape (bands,)
        Events and population of the reference (e.g. Sweden) per band; counts
        ``>= 0``, populations ``> 0``.
    confidence : float, default 0.95
        Two-sided confidence level in (0, 1).
    multiplier : float, default 100 000
        Scale of the reference and standardised rates.
    refvalue : float, default 1
        Scale of the ratio: 1, or 100 for an SMR-style "× 100" ratio.
    observed : array_like, shape (...), optional
        Observed totals per group, replacing ``count.sum(axis=-1)``.
    nan_policy : {"raise", "propagate", "omit"}, default "raise"
        ``"omit"`` counts missing counts, populations and reference counts as 0
        (the PHE convention); ``"propagate"`` gives NaN results.

    Returns
    -------
    ISRResult
        Observed, expected, the ratio with limits, the reference rate and the
        standardised rate with limits, one per group.

    Notes
    -----
    With reference rates :math:`r_i = X_i / N_i`, :math:`E = \sum_i r_i n_i`,
    :math:`O = \sum_i O_i` and Poisson limits :math:`O_L, O_U` of :math:`O`
    (exact below 10 events, Byar's from 10; see
    :func:`~datasmart.stats.poisson_limits`):

    .. math::

        \mathrm{ISRatio} = \frac{O}{E}\,v, \quad
        \left[\frac{O_L}{E}v,\ \frac{O_U}{E}v\right]; \qquad
        \mathrm{ISRate} = \frac{O}{E}\,R, \quad R = \frac{\sum_i X_i}{\sum_i N_i}\,m

    with the rate limits :math:`O_L R / E` and :math:`O_U R / E`. Groups with
    :math:`E = 0` get NaN.

    References
    ----------
    .. [1] Breslow NE, Day NE. Statistical Methods in Cancer Research, Vol. II.
       IARC 1987 (indirect standardisation, SMR; Byar's method).
    .. [2] Public Health England / OHID. Fingertips Public Health Technical
       Guidance: Indirectly standardised ratios and rates.
    .. [3] Public Health England. Technical Guide: Confidence Intervals. 2018.

    Examples
    --------
    >>> r = isr([30, 40], [1000, 2000], [500, 900], [20_000, 40_000], refvalue=100)
    >>> print(f"{r.expected:.1f} {r.ratio:.1f} ({r.ratio_lower:.1f}-{r.ratio_upper:.1f})")
    70.0 100.0 (78.0-126.3)
    """
    c = check_confidence(confidence)
    m = check_positive_scalar("multiplier", multiplier)
    v = check_positive_scalar("refvalue", refvalue)
    check_nan_policy(nan_policy, ("raise", "propagate", "omit"))
    n = _count_nan("population", as_array("population", population), nan_policy)
    x_ref = _count_nan("reference_count", as_array("reference_count", reference_count), nan_policy)
    n_ref = as_array("reference_population", reference_population)
    check_finite("reference_population", n_ref)
    check_nonnegative("population", n)
    check_nonnegative("reference_count", x_ref)
    check_positive("reference_population", n_ref)
    if n.ndim == 0:
        raise ValueError("population must have an age-band axis (its last axis)")
    bands = n.shape[-1]
    _bands_match("reference_count", x_ref, bands)
    _bands_match("reference_population", n_ref, bands)

    if observed is not None:
        if count is not None:
            raise ValueError("give either count or observed, not both")
        obs = _count_nan("observed", as_array("observed", observed), nan_policy)
        check_nonnegative("observed", obs)
    elif count is None:
        raise ValueError("count is None: give count per band or observed totals")
    else:
        o = _count_nan("count", as_array("count", count), nan_policy)
        check_nonnegative("count", o)
        _bands_match("count", o, bands)
        try:
            o = np.broadcast_to(o, np.broadcast_shapes(o.shape, n.shape))
        except ValueError:
            raise ValueError(
                f"shapes do not match: count has shape {o.shape}, population {n.shape}"
            ) from None
        obs = o.sum(axis=-1)

    ref_rate_band = x_ref / n_ref
    expected = np.sum(ref_rate_band * n, axis=-1)
    try:
        obs, expected = np.broadcast_arrays(obs, expected)
    except ValueError:
        raise ValueError(
            f"shapes do not match: observed has shape {np.shape(obs)}, "
            f"groups in population {n.shape[:-1]}"
        ) from None
    ref_rate = np.sum(x_ref, axis=-1) / np.sum(n_ref, axis=-1) * m
    o_lo, o_hi = _poisson_limits(obs, c, "auto")
    with np.errstate(divide="ignore", invalid="ignore"):
        expected_safe = np.where(expected > 0, expected, np.nan)
        ratio = obs / expected_safe
        lo = o_lo / expected_safe
        hi = o_hi / expected_safe
    return ISRResult(
        observed=scalar_or_array(np.asarray(obs, dtype=np.float64)),
        expected=scalar_or_array(np.asarray(expected, dtype=np.float64)),
        ratio=scalar_or_array(ratio * v),
        ratio_lower=scalar_or_array(lo * v),
        ratio_upper=scalar_or_array(hi * v),
        reference_rate=scalar_or_array(np.asarray(ref_rate, dtype=np.float64)),
        rate=scalar_or_array(ratio * ref_rate),
        rate_lower=scalar_or_array(lo * ref_rate),
        rate_upper=scalar_or_array(hi * ref_rate),
    )
