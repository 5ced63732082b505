"""Funnel plot control limits, point significance and plotted points (PHE method).

Funnel plots show each unit's indicator value against its size (denominator,
expected or observed events) with 95 % ("2s") and 99.8 % ("3s") control limits
around the overall average; points outside the limits are flagged. The limits,
axis and labels follow PHE's ``calculate_funnel_limits``,
``assign_funnel_significance`` and ``calculate_funnel_points``.
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import special

from datasmart.stats._common import FloatArray, z_value
from datasmart.stats._validation import (
    as_array,
    broadcast,
    check_finite,
    check_method,
    check_nonnegative,
    check_positive,
    check_positive_scalar,
    format_position,
)
from datasmart.stats.proportions import validate_proportion_inputs
from datasmart.stats.rates import _poisson_limits

__all__ = [
    "FUNNEL_LEVELS",
    "ZONES",
    "ControlLimits",
    "FunnelLimits",
    "funnel_axis",
    "funnel_control_limits",
    "funnel_limits",
    "funnel_points",
    "funnel_significance",
    "funnel_tail_probabilities",
    "funnel_zones",
]

Statistic = Literal["proportion", "ratio", "rate"]
RatioType = Literal["ratio", "count", "isr"]
RateType = Literal["crude", "dsr"]
PoissonLimitMethod = Literal["exact", "phe"]

FUNNEL_LEVELS: dict[str, float] = {"2s": 0.95, "3s": 0.998}
"""Two-sided confidence of the two limit pairs: "2s" (≈2 SD, 95 %) and "3s" (≈3 SD, 99.8 %)."""

NOT_SIGNIFICANT = "Not significant"
DSR_TOO_FEW = "Not applicable for events less than 10 for dsrs"


class FunnelLimits(NamedTuple):
    """Control limits of a funnel plot along its x axis (see :func:`funnel_limits`)."""

    axis: FloatArray
    """x values: population (proportions), observed events (ratios, rates)."""
    lower_2s: FloatArray
    upper_2s: FloatArray
    lower_3s: FloatArray
    upper_3s: FloatArray
    baseline: float | None
    """Average the funnel is drawn around (× multiplier); None for ratios."""
    lower_2s_denominator: FloatArray | None
    """Ratios: expected events at which ``axis`` observed events sit on the limit;
    rates: the population per year at which they do. None for proportions."""
    upper_2s_denominator: FloatArray | None
    lower_3s_denominator: FloatArray | None
    upper_3s_denominator: FloatArray | None
    statistic: str
    """Description as PHE writes it, e.g. ``"rate (dsr per 100,000)"``."""
    method: str
    """``"Wilson"`` (proportions) or ``"Poisson"``."""


# --- axis --------------------------------------------------------------------------


def _int_digits(value: float) -> int:
    return len(str(math.floor(value))) if value >= 1 else 1


def _axis_start(lo: float, hi: float) -> float:
    if hi > 2 * lo:
        return 0.0
    v = 0.95 * lo
    p = 10.0 ** (_int_digits(v) - 1)
    return math.floor(v / p) * p


def _axis_end(hi: float) -> float:
    v = 1.05 * hi
    p = 10.0 ** (_int_digits(v) - 2)
    return math.ceil(v / p) * p


def _axis_points(start: float, end: float, offset: int) -> FloatArray:
    # Geometric steps whose ratio is recomputed at each point; Python's round() is
    # half-to-even like R's.
    out = np.empty(100)
    out[0] = max(1.0, start)
    for j in range(2, 101):  # 99 scalar steps: a fixed-size loop, not a per-row loop
        prev = out[j - 2]
        out[j - 1] = max(round((end / prev) ** (1.0 / (offset - j)) * prev), prev + 1)
    return out


def funnel_axis(
    smallest: float, largest: float, *, statistic: Statistic = "proportion"
) -> FloatArray:
    r"""The 100 x-axis points PHE uses to draw funnel limits.

    Parameters
    ----------
    smallest, largest : float
        Smallest and largest denominator (proportions), expected count (ratios) or
        events count bounds (rates: already converted to events).
    statistic : {"proportion", "ratio", "rate"}
        Ratios use a slightly different step exponent.

    Returns
    -------
    ndarray, shape (100,)
        Increasing whole numbers from ``max(1, A)`` towards ``B``.

    Notes
    -----
    :math:`A = 0` if :math:`M > 2m`, else :math:`0.95m` floored to its leading
    digit; :math:`B` is :math:`1.05M` ceiled to two leading digits;
    :math:`v_1 = \max(1, A)` and

    .. math::

        v_j = \max\left(\operatorname{round}\left((B / v_{j-1})^{1/(k - j)}
        v_{j-1}\right),\ v_{j-1} + 1\right), \quad j = 2, \dots, 100

    with :math:`k = 101` (102 for ratios) [1]_.

    References
    ----------
    .. [1] UKHSA. PHEindicatormethods R package, ``calculate_funnel_limits``
       (v2.1.0), axis construction as documented in the project's conformance notes.

    Examples
    --------
    >>> funnel_axis(16000, 30990)[[0, 1, -1]].tolist()
    [10000.0, 10121.0, 33000.0]
    """
    check_method(statistic, ("proportion", "ratio", "rate"), "statistic")
    return _axis_points(
        _axis_start(smallest, largest), _axis_end(largest), 102 if statistic == "ratio" else 101
    )


# --- Poisson "expected count at the limit" -------------------------------------------


def _mu_for_upper(o: FloatArray, tail: float) -> FloatArray:
    """μ with P(X >= O | μ) = tail (defines the upper limit); 0 when O = 0."""
    pos = o > 0
    mu = special.gammaincinv(np.where(pos, o, 1.0), tail)
    return np.asarray(np.where(pos, mu, 0.0), dtype=np.float64)


def _mu_for_lower(o: FloatArray, tail: float) -> FloatArray:
    """μ with P(X <= O | μ) = tail (defines the lower limit)."""
    return np.asarray(special.gammainccinv(o + 1.0, tail), dtype=np.float64)


def _series_end(mu: FloatArray) -> FloatArray:
    """Where PHE stops summing the Poisson series: the first k > μ whose term is
    below 1e-10 of the running total (found by a vectorised binary search)."""
    lo = np.floor(mu) + 1.0
    hi = lo + 40.0 * np.sqrt(mu) + 100.0
    while np.any(hi > lo):
        mid = np.floor((lo + hi) / 2.0)
        pmf = np.exp(special.xlogy(mid, mu) - mu - special.gammaln(mid + 1.0))
        ok = pmf < 1e-10 * special.pdtr(mid, mu)
        hi = np.where(ok, mid, hi)
        lo = np.where(ok, lo, mid + 1.0)
    return hi


def _mu_bisection(o: FloatArray, tail: float, upper: bool) -> FloatArray:
    """PHE's bisection on v, μ = (1 + O) v / (1 − v), stopped when the step is ≤ 1e-7.

    The Poisson probabilities are normalised by the truncated series total, as
    PHE's summation does; this decides the last bisection step the same way and
    reproduces its limits to ~3e-8 rather than ~5e-7.
    """
    v = np.full(o.shape, 0.5)
    step = 0.5
    pos = o > 0
    while step > 1e-7:  # 23 vectorised iterations
        step /= 2.0
        mu = (1.0 + o) * v / (1.0 - v)
        total = special.pdtr(_series_end(mu), mu)
        if upper:
            below = np.where(pos, special.pdtr(np.where(pos, o - 1.0, 0.0), mu), 0.0)
            prob = (total - below) / total  # P(X >= O)
            down = prob > tail
        else:
            prob = special.pdtr(o, mu) / total  # P(X <= O)
            down = prob < tail
        v = np.where(down, v - step, v + step)
    return np.asarray((1.0 + o) * v / (1.0 - v), dtype=np.float64)


def _limit_mus(o: FloatArray, method: str) -> dict[str, FloatArray]:
    out: dict[str, FloatArray] = {}
    for label, conf in FUNNEL_LEVELS.items():
        tail = (1.0 - conf) / 2.0
        if method == "phe":
            out[f"lower_{label}"] = _mu_bisection(o, tail, upper=False)
            out[f"upper_{label}"] = _mu_bisection(o, tail, upper=True)
        else:
            out[f"lower_{label}"] = _mu_for_lower(o, tail)
            out[f"upper_{label}"] = _mu_for_upper(o, tail)
    return out


# --- inputs ----------------------------------------------------------------------------


def _rate_denominators(
    numerator: npt.ArrayLike,
    rate: npt.ArrayLike | None,
    denominator: npt.ArrayLike | None,
    rate_type: str,
    multiplier: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return (events, derived denominator, usable mask) for rate funnels."""
    check_method(rate_type, ("crude", "dsr"), "rate_type")
    o = as_array("numerator", numerator)
    check_finite("numerator", o)
    check_nonnegative("numerator", o)
    if rate is None:
        if rate_type == "dsr" or denominator is None:
            raise ValueError("rate is required for rate funnels (denominator alone: crude only)")
        d = as_array("denominator", denominator)
        check_finite("denominator", d)
        check_positive("denominator", d)
        o, d = broadcast(numerator=o, denominator=d)
        return o, d.copy(), np.ones(o.shape, dtype=bool)
    r = as_array("rate", rate)
    zero = o == 0
    check_finite("rate", np.where(zero, 0.0, r) if r.shape == o.shape else r)
    bad = ~zero & ~(r > 0)
    if bad.any():
        i = int(np.flatnonzero(bad.ravel())[0])
        raise ValueError(
            f"{format_position('rate', r, i)} = {r.ravel()[i]} must be > 0 where events > 0"
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        derived = o / r * multiplier
    if rate_type == "dsr":
        return o, np.where(zero, np.nan, derived), ~zero
    if zero.any():
        if denominator is None:
            i = int(np.flatnonzero(zero.ravel())[0])
            raise ValueError(
                f"{format_position('numerator', o, i)} = 0: a crude rate with no events "
                "needs a denominator"
            )
        d = np.broadcast_to(as_array("denominator", denominator), o.shape)
        dz = np.where(zero, d, 1.0)
        check_finite("denominator", dz)
        check_positive("denominator", dz)
        derived = np.where(zero, d, derived)
    return o, derived, np.ones(o.shape, dtype=bool)


def _per_label(multiplier: float) -> str:
    text = f"{multiplier:,.0f}" if float(multiplier).is_integer() else f"{multiplier:g}"
    return f"per {text}"


# --- limits ----------------------------------------------------------------------------


def funnel_limits(
    numerator: npt.ArrayLike,
    denominator: npt.ArrayLike | None = None,
    *,
    statistic: Statistic,
    rate: npt.ArrayLike | None = None,
    multiplier: float | None = None,
    ratio_type: RatioType = "ratio",
    rate_type: RateType = "crude",
    years_of_data: float = 1,
    axis: npt.ArrayLike | None = None,
    poisson_method: PoissonLimitMethod = "exact",
) -> FunnelLimits:
    r"""Funnel plot control limits at 95 % ("2s") and 99.8 % ("3s").

    Parameters
    ----------
    numerator : array_like
        Per unit: numerators (proportions), observed events (ratios) or events (rates).
    denominator : array_like, optional
        Proportions: denominators (required). Ratios: expected events (required).
        Rates: population, used for units with 0 events (crude rates) or when
        *rate* is not given (crude rates).
    statistic : {"proportion", "ratio", "rate"}
    rate : array_like, optional
        Rates: each unit's rate × multiplier (crude or DSR); the unit's
        denominator is derived as ``events / rate × multiplier``.
    multiplier : float, optional
        Scale of proportions (default 100, percentages) and rates (default 100 000).
    ratio_type : {"ratio", "count", "isr"}, default "ratio"
        Ratios are reported as O/E, O/E − 1 (``"count"``) or O/E × 100 (``"isr"``).
    rate_type : {"crude", "dsr"}, default "crude"
        DSR units with 0 events are left out of the average.
    years_of_data : float, default 1
        Rates: years pooled in the data; the limit populations are reported per year.
    axis : array_like, optional
        x values to evaluate the limits at; default: PHE's 100-point axis
        (:func:`funnel_axis`) spanning the data.
    poisson_method : {"exact", "phe"}, default "exact"
        Ratios and rates: ``"exact"`` takes the expected count at the limit from
        chi-square (gamma) quantiles; ``"phe"`` reproduces PHE's bisection, which
        differs from it by up to 5e-5 relative.

    Returns
    -------
    FunnelLimits

    Notes
    -----
    Proportions, average :math:`\bar p = \sum x / \sum n`, at denominator
    :math:`N` (clipped to [0, multiplier]):

    .. math::

        \bar p \pm z \sqrt{\bar p (1 - \bar p) / N}

    Ratios and rates, for :math:`O` observed events on the axis and tail
    :math:`t` (0.025 or 0.001): the expected counts at which :math:`O` sits on a
    limit are

    .. math::

        \mu_{hi} = \tfrac12\chi^2_{1-t}(2O + 2), \qquad \mu_{lo} = \tfrac12\chi^2_{t}(2O)

    giving ratio limits :math:`O/\mu_{hi}` (lower) and :math:`O/\mu_{lo}` (upper);
    rate limits :math:`O \bar r / \mu \times m` with :math:`\bar r = \sum O /
    \sum D` and :math:`D = O / \text{rate} \times m`; limit population
    :math:`\mu / \bar r / \text{years}`.

    References
    ----------
    .. [1] Spiegelhalter DJ. Funnel plots for comparing institutional performance.
       Stat Med 2005;24:1185–1202.
    .. [2] Public Health England. Technical Guide: Funnel plots for comparing
       performance (Fingertips Public Health Technical Guidance).
    .. [3] Wilson EB. Probable inference, the law of succession, and statistical
       inference. J Am Stat Assoc 1927;22:209–212.

    Examples
    --------
    >>> f = funnel_limits([80, 45, 300], [100, 50, 400], statistic="proportion",
    ...                   axis=[100, 1000])
    >>> round(f.baseline, 3), f.lower_2s.round(2).tolist()
    (77.273, [69.06, 74.68])
    """
    check_method(statistic, ("proportion", "ratio", "rate"), "statistic")
    check_method(poisson_method, ("exact", "phe"), "poisson_method")
    ax: FloatArray | None = None
    if axis is not None:
        ax = as_array("axis", axis)
        check_finite("axis", ax)
        check_nonnegative("axis", ax)

    if statistic == "proportion":
        if denominator is None:
            raise ValueError("denominator is required for proportion funnels")
        m = check_positive_scalar("multiplier", 100 if multiplier is None else multiplier)
        x, n = validate_proportion_inputs(numerator, denominator)
        p = float(x.sum() / n.sum())
        if ax is None:
            ax = funnel_axis(float(n.min()), float(n.max()), statistic="proportion")
        check_positive("axis", ax)
        lim: dict[str, FloatArray] = {}
        for label, conf in FUNNEL_LEVELS.items():
            half = z_value(conf) * np.sqrt(p * (1 - p) / ax)
            lim[f"lower_{label}"] = np.clip((p - half) * m, 0.0, m)
            lim[f"upper_{label}"] = np.clip((p + half) * m, 0.0, m)
        return FunnelLimits(
            ax, lim["lower_2s"], lim["upper_2s"], lim["lower_3s"], lim["upper_3s"],
            p * m, None, None, None, None, "proportion", "Wilson",
        )  # fmt: skip

    if statistic == "ratio":
        check_method(ratio_type, ("ratio", "count", "isr"), "ratio_type")
        if denominator is None:
            raise ValueError("denominator (expected events) is required for ratio funnels")
        o = as_array("numerator", numerator)
        e = as_array("denominator", denominator)
        check_finite("numerator", o)
        check_finite("denominator", e)
        check_nonnegative("numerator", o)
        check_positive("denominator", e)
        o, e = broadcast(numerator=o, denominator=e)
        if ax is None:
            ax = funnel_axis(float(e.min()), float(e.max()), statistic="ratio")
        mus = _limit_mus(ax, poisson_method)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = {k: ax / mu for k, mu in mus.items()}
        scale = {"ratio": (1.0, 0.0), "count": (1.0, -1.0), "isr": (100.0, 0.0)}[ratio_type]
        lim = {k: r * scale[0] + scale[1] for k, r in ratios.items()}
        return FunnelLimits(
            ax, lim["lower_2s"], lim["upper_2s"], lim["lower_3s"], lim["upper_3s"], None,
            mus["lower_2s"], mus["upper_2s"], mus["lower_3s"], mus["upper_3s"],
            f"ratio ({ratio_type})", "Poisson",
        )  # fmt: skip

    m = check_positive_scalar("multiplier", 100_000 if multiplier is None else multiplier)
    years = check_positive_scalar("years_of_data", years_of_data)
    o, d, use = _rate_denominators(numerator, rate, denominator, rate_type, m)
    rbar = float(o[use].sum() / d[use].sum())
    if ax is None:
        dd = d[use]
        start = _axis_start(float(dd.min()) / years, float(dd.max()) / years) * years
        end = _axis_end(float(dd.max()) / years) * years
        ax = _axis_points(math.floor(start * rbar), math.ceil(end * rbar), 101)
    mus = _limit_mus(ax, poisson_method)
    pops = {k: mu / rbar for k, mu in mus.items()}
    with np.errstate(divide="ignore", invalid="ignore"):
        lim = {k: ax / pop * m for k, pop in pops.items()}
    per_year = {k: pop / years for k, pop in pops.items()}
    return FunnelLimits(
        ax, lim["lower_2s"], lim["upper_2s"], lim["lower_3s"], lim["upper_3s"], rbar * m,
        per_year["lower_2s"], per_year["upper_2s"], per_year["lower_3s"], per_year["upper_3s"],
        f"rate ({rate_type} {_per_label(m)})", "Poisson",
    )  # fmt: skip


# --- significance ------------------------------------------------------------------------


def _label(
    target_above_upper3: npt.NDArray[np.bool_],
    target_above_upper2: npt.NDArray[np.bool_],
    target_below_lower3: npt.NDArray[np.bool_],
    target_below_lower2: npt.NDArray[np.bool_],
) -> npt.NDArray[np.str_]:
    labels = np.select(
        [target_below_lower3, target_below_lower2, target_above_upper3, target_above_upper2],
        ["High (0.001)", "High (0.025)", "Low (0.001)", "Low (0.025)"],
        default=NOT_SIGNIFICANT,
    )
    return np.asarray(labels, dtype=np.str_)


def funnel_significance(
    numerator: npt.ArrayLike,
    denominator: npt.ArrayLike | None = None,
    *,
    statistic: Statistic,
    rate: npt.ArrayLike | None = None,
    multiplier: float = 100_000,
    rate_type: RateType = "crude",
) -> npt.NDArray[np.str_]:
    r"""Label each unit of a funnel plot as high, low or not significant.

    Parameters
    ----------
    numerator, denominator, statistic, rate, rate_type
        As for :func:`funnel_limits` (proportions: x, n; ratios: observed,
        expected; rates: events, population for 0-event crude units, and rate).
    multiplier : float, default 100 000
        Rates only: the scale of *rate*.

    Returns
    -------
    ndarray of str
        ``"High (0.001)"``, ``"High (0.025)"``, ``"Low (0.001)"``,
        ``"Low (0.025)"`` or ``"Not significant"``; DSR units with fewer than 10
        events: ``"Not applicable for events less than 10 for dsrs"``.

    Notes
    -----
    Proportions: :math:`p = x/n` outside :math:`\bar p \pm z\sqrt{\bar p(1-\bar
    p)/n}` at :math:`z` for 99.8 % (0.001) or 95 % (0.025). Ratios and rates: the
    unit's own Poisson interval :math:`[O_L, O_U]` (exact below 10 events, Byar's
    from 10) divided by :math:`E` (ratios) or :math:`D` (rates) is compared with the
    target (1, or :math:`\bar r`): target :math:`< O_L/E` means high.

    .. math::

        \text{High} \iff \text{target} < \frac{O_L}{E}, \qquad
        \text{Low} \iff \text{target} > \frac{O_U}{E}

    References
    ----------
    .. [1] Spiegelhalter DJ. Funnel plots for comparing institutional performance.
       Stat Med 2005;24:1185–1202.
    .. [2] Public Health England. Technical Guide: Funnel plots (Fingertips).
    .. [3] Breslow NE, Day NE. Statistical Methods in Cancer Research, Vol. II.
       IARC 1987 (Byar's method).

    Examples
    --------
    >>> funnel_significance([80, 20, 300], [100, 50, 400], statistic="proportion").tolist()
    ['Not significant', 'Low (0.001)', 'Not significant']
    """
    check_method(statistic, ("proportion", "ratio", "rate"), "statistic")
    if statistic == "proportion":
        if denominator is None:
            raise ValueError("denominator is required for proportion funnels")
        x, n = validate_proportion_inputs(numerator, denominator)
        p_bar = x.sum() / n.sum()
        p = x / n
        sd = np.sqrt(p_bar * (1 - p_bar) / n)
        z2, z3 = z_value(FUNNEL_LEVELS["2s"]), z_value(FUNNEL_LEVELS["3s"])
        # "Target below the unit's range" (= High) is the unit above the funnel.
        return _label(
            p < p_bar - z3 * sd, p < p_bar - z2 * sd, p > p_bar + z3 * sd, p > p_bar + z2 * sd
        )
    if statistic == "ratio":
        if denominator is None:
            raise ValueError("denominator (expected events) is required for ratio funnels")
        o = as_array("numerator", numerator)
        e = as_array("denominator", denominator)
        check_finite("numerator", o)
        check_finite("denominator", e)
        check_nonnegative("numerator", o)
        check_positive("denominator", e)
        o, d = broadcast(numerator=o, denominator=e)
        target = 1.0
        use = np.ones(o.shape, dtype=bool)
    else:
        m = check_positive_scalar("multiplier", multiplier)
        o, d, use = _rate_denominators(numerator, rate, denominator, rate_type, m)
        target = float(o[use].sum() / d[use].sum())
    lo2, hi2 = _poisson_limits(o, FUNNEL_LEVELS["2s"], "auto")
    lo3, hi3 = _poisson_limits(o, FUNNEL_LEVELS["3s"], "auto")
    with np.errstate(divide="ignore", invalid="ignore"):
        labels = _label(target > hi3 / d, target > hi2 / d, target < lo3 / d, target < lo2 / d)
    if statistic == "rate" and rate_type == "dsr":
        labels = np.where(o < 10, DSR_TOO_FEW, labels).astype(np.str_)
    return labels


def funnel_points(
    numerator: npt.ArrayLike,
    rate: npt.ArrayLike,
    denominator: npt.ArrayLike | None = None,
    *,
    rate_type: RateType = "crude",
    multiplier: float = 100_000,
    years_of_data: float = 1,
) -> tuple[FloatArray, FloatArray]:
    r"""Points to plot on a rate funnel: the rate and the derived yearly denominator.

    Parameters
    ----------
    numerator : array_like
        Events per unit.
    rate : array_like
        Rate per unit × multiplier.
    denominator : array_like, optional
        Population, needed for crude-rate units with 0 events.
    rate_type : {"crude", "dsr"}, default "crude"
        DSR units with fewer than 10 events are not plotted (NaN).
    multiplier : float, default 100 000
    years_of_data : float, default 1

    Returns
    -------
    rate_chart, denominator_derived : ndarray
        The rate as given (NaN for DSRs below 10 events) and
        :math:`D / \text{years}`.

    Notes
    -----
    .. math::

        D = \frac{O}{\text{rate}} \times m \quad (O > 0), \qquad D = n \quad (O = 0)

    References
    ----------
    .. [1] Public Health England. Technical Guide: Funnel plots (Fingertips).
    .. [2] Spiegelhalter DJ. Funnel plots for comparing institutional performance.
       Stat Med 2005;24:1185–1202.

    Examples
    --------
    >>> r, d = funnel_points([414, 5], [184, 83], rate_type="dsr", years_of_data=3)
    >>> r.tolist(), d.round(1).tolist()
    ([184.0, nan], [75000.0, nan])
    """
    m = check_positive_scalar("multiplier", multiplier)
    years = check_positive_scalar("years_of_data", years_of_data)
    o, d, _ = _rate_denominators(numerator, rate, denominator, rate_type, m)
    r = np.broadcast_to(as_array("rate", rate), o.shape).astype(np.float64)
    d = d / years
    if rate_type == "dsr":
        few = o < 10
        r = np.where(few, np.nan, r)
        d = np.where(few, np.nan, d)
    return r, d


# --- control limits at a unit's own size, and zones ------------------------------------

ZoneStatistic = Literal["proportion", "rate"]

ZONES = ("below_998", "below_95", "within", "above_95", "above_998")
"""Position of a unit against the funnel, from far below to far above."""


def _size_target(
    size: npt.ArrayLike, target: npt.ArrayLike, statistic: str
) -> tuple[FloatArray, FloatArray]:
    check_method(statistic, ("proportion", "rate"), "statistic")
    n = as_array("size", size)
    tgt = as_array("target", target)
    check_finite("size", n)
    check_finite("target", tgt)
    check_positive("size", n)
    check_nonnegative("target", tgt)
    if statistic == "proportion" and (tgt > 1).any():
        raise ValueError("target must be a proportion between 0 and 1")
    n, tgt = broadcast(size=n, target=tgt)
    return n, tgt


def _lower_tail(count: FloatArray, n: FloatArray, tgt: FloatArray, statistic: str) -> FloatArray:
    """P(X ≤ count), X ~ Poisson(n·target) or Binomial(n, target), continuous in
    ``count`` through the regularised incomplete gamma / beta function."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if statistic == "rate":
            p = special.gammaincc(np.maximum(count, 0.0) + 1.0, n * tgt)
        else:
            c = np.clip(count, 0.0, n)
            p = special.betainc(np.maximum(n - c, 1e-300), c + 1.0, 1.0 - tgt)
            p = np.where(count >= n, 1.0, p)
    return np.asarray(np.where(count < 0, 0.0, p), dtype=np.float64)


def _upper_tail(count: FloatArray, n: FloatArray, tgt: FloatArray, statistic: str) -> FloatArray:
    """P(X ≥ count), continuous in ``count`` like :func:`_lower_tail`."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if statistic == "rate":
            p = special.gammainc(np.maximum(count, 1e-300), n * tgt)
        else:
            c = np.clip(count, 0.0, n)
            p = special.betainc(np.maximum(c, 1e-300), n - c + 1.0, tgt)
            p = np.where(count > n, 0.0, p)
    return np.asarray(np.where(count <= 0, 1.0, p), dtype=np.float64)


def funnel_tail_probabilities(
    observed: npt.ArrayLike,
    size: npt.ArrayLike,
    target: npt.ArrayLike,
    *,
    statistic: ZoneStatistic,
) -> tuple[FloatArray, FloatArray]:
    r"""Exact lower and upper tail probabilities of each unit's count under the target.

    Parameters
    ----------
    observed : array_like
        Observed count (numerator, events) per unit, ≥ 0.
    size : array_like
        The unit's own denominator (proportions) or population (rates), > 0.
    target : array_like
        The funnel's centre as a fraction: average proportion :math:`\bar p` or
        rate per person :math:`\bar r` (not multiplied).
    statistic : {"proportion", "rate"}

    Returns
    -------
    lower, upper : ndarray
        :math:`P(X \le O)` and :math:`P(X \ge O)`.

    Notes
    -----
    Rates, :math:`X \sim \text{Poisson}(E)` with :math:`E = N \bar r`; proportions,
    :math:`X \sim \text{Bin}(n, \bar p)`:

    .. math::

        P(X \le O) = Q(O + 1, E), \quad P(X \ge O) = P(O, E); \qquad
        P(X \ge O) = I_{\bar p}(O, n - O + 1), \quad
        P(X \le O) = I_{1 - \bar p}(n - O, O + 1)

    with :math:`P, Q` the regularised incomplete gamma functions and :math:`I` the
    regularised incomplete beta function. Both are continuous in :math:`O`, which
    defines the control limits of :func:`funnel_control_limits` as the counts where
    a tail equals 0.025 or 0.001
    [1]_ [2]_.

    References
    ----------
    .. [1] Spiegelhalter DJ. Funnel plots for comparing institutional performance.
       Stat Med 2005;24:1185–1202 (exact Poisson and binomial limits).
    .. [2] Public Health England. Technical Guide: Funnel plots for comparing
       performance (Fingertips Public Health Technical Guidance).

    Examples
    --------
    >>> lo, hi = funnel_tail_probabilities([115], [122_120], [4047 / 5_239_262],
    ...                                    statistic="rate")
    >>> round(float(hi[0]), 3)
    0.021
    """
    n, tgt = _size_target(size, target, statistic)
    o = as_array("observed", observed)
    check_finite("observed", o)
    check_nonnegative("observed", o)
    o, n, tgt = (np.asarray(a, dtype=np.float64) for a in np.broadcast_arrays(o, n, tgt))
    return _lower_tail(o, n, tgt, statistic), _upper_tail(o, n, tgt, statistic)


class ControlLimits(NamedTuple):
    """Funnel control limits at given sizes (see :func:`funnel_control_limits`)."""

    size: FloatArray
    """Denominator (proportions) or population (rates) the limits are taken at."""
    lower_2s: FloatArray
    upper_2s: FloatArray
    lower_3s: FloatArray
    upper_3s: FloatArray
    lower_2s_count: FloatArray
    """The same limits as counts (continuous): the observed count on the limit."""
    upper_2s_count: FloatArray
    lower_3s_count: FloatArray
    upper_3s_count: FloatArray


def _limit_count(
    n: FloatArray, tgt: FloatArray, tail: float, upper: bool, statistic: str
) -> FloatArray:
    """The count where a tail probability equals ``tail``, by vectorised bisection on
    the monotone continuous tails (stops at the double-precision floor).

    Upper limit: P(X ≥ c) decreases in c; lower limit: P(X ≤ c) increases. Where
    even the most extreme count stays inside (P(X ≤ 0) ≥ t, or P(X ≥ n) ≥ t for
    proportions), the limit is that edge (0 or n)."""
    mu = n * tgt
    lo = np.zeros(n.shape)
    hi = mu + 12.0 * np.sqrt(mu) + 60.0 if statistic == "rate" else n.copy()
    edge = _upper_tail(hi, n, tgt, statistic) if upper else _lower_tail(lo, n, tgt, statistic)
    done = edge >= tail  # the limit is the edge: nothing to search
    lo, hi = np.where(done & upper, hi, lo), np.where(done & ~upper, lo, hi)
    for _ in range(1100):  # bounded: ~60 halvings reach adjacent doubles
        mid = (lo + hi) / 2.0
        if np.all((mid == lo) | (mid == hi)):
            break
        if upper:
            right = _upper_tail(mid, n, tgt, statistic) > tail
        else:
            right = _lower_tail(mid, n, tgt, statistic) < tail
        lo = np.where(right, mid, lo)
        hi = np.where(right, hi, mid)
    out = np.where(done, lo, (lo + hi) / 2.0)
    return np.asarray(out, dtype=np.float64)


def funnel_control_limits(
    size: npt.ArrayLike,
    target: npt.ArrayLike,
    *,
    statistic: ZoneStatistic,
    multiplier: float,
) -> ControlLimits:
    r"""Funnel control limits at each given size: the one source of drawn lines and zones.

    The chart draws these limits along a grid of sizes (and at every unit's own
    size); :func:`funnel_zones` classifies units against the same tail
    probabilities, so a point's zone always matches the lines drawn around it.

    Parameters
    ----------
    size : array_like
        Denominators (proportions) or populations (rates) to take the limits at.
    target : array_like
        Average proportion :math:`\bar p` or rate per person :math:`\bar r`
        (a fraction, not multiplied); scalar or one per size.
    statistic : {"proportion", "rate"}
    multiplier : float
        Scale of the returned limit values (100 for percentages, 100 000 for rates).

    Returns
    -------
    ControlLimits

    Notes
    -----
    At size :math:`N` the limit counts :math:`U` and :math:`L` solve

    .. math::

        P(X \ge U) = t, \qquad P(X \le L) = t, \qquad
        \text{limits} = \frac{U}{N} m, \ \frac{L}{N} m

    for :math:`t = 0.025` (95 %) or 0.001 (99.8 %), with the continuous tails of
    :func:`funnel_tail_probabilities`: Poisson with mean :math:`E = N\bar r` for
    rates (PHE's exact Poisson limits, [2]_: the limit is read at the unit's own
    expected count), binomial :math:`(N, \bar p)` for proportions (Spiegelhalter's
    exact binomial limits, [1]_). A count is beyond a limit exactly when its tail
    probability is below :math:`t`. For rates the curve passes through PHE's
    plotted points of :func:`funnel_limits` (population :math:`\mu/\bar r`, limit
    :math:`O\bar r/\mu \times m`). For large :math:`N` the binomial limits approach
    PHE's normal/Wilson proportion limits :math:`\bar p \pm z\sqrt{\bar p(1-\bar p)/N}`.

    References
    ----------
    .. [1] Spiegelhalter DJ. Funnel plots for comparing institutional performance.
       Stat Med 2005;24:1185–1202.
    .. [2] Public Health England. Technical Guide: Funnel plots for comparing
       performance (Fingertips Public Health Technical Guidance).

    Examples
    --------
    >>> f = funnel_control_limits([122_120], 4047 / 5_239_262, statistic="rate",
    ...                           multiplier=100_000)
    >>> round(float(f.upper_2s_count[0]), 2), round(float(f.upper_2s[0]), 2)
    (114.32, 93.62)
    """
    n, tgt = _size_target(size, target, statistic)
    m = check_positive_scalar("multiplier", multiplier)
    counts: dict[str, FloatArray] = {}
    for label, conf in FUNNEL_LEVELS.items():
        tail = (1.0 - conf) / 2.0
        counts[f"lower_{label}"] = _limit_count(n, tgt, tail, False, statistic)
        counts[f"upper_{label}"] = _limit_count(n, tgt, tail, True, statistic)
    vals = {k: c / n * m for k, c in counts.items()}
    return ControlLimits(
        n, vals["lower_2s"], vals["upper_2s"], vals["lower_3s"], vals["upper_3s"],
        counts["lower_2s"], counts["upper_2s"], counts["lower_3s"], counts["upper_3s"],
    )  # fmt: skip


def funnel_zones(
    observed: npt.ArrayLike,
    size: npt.ArrayLike,
    target: npt.ArrayLike,
    *,
    statistic: ZoneStatistic,
) -> npt.NDArray[np.str_]:
    r"""Each unit's zone against the funnel of :func:`funnel_control_limits`.

    Parameters
    ----------
    observed, size, target, statistic
        As for :func:`funnel_tail_probabilities`.

    Returns
    -------
    ndarray of str
        ``"above_998"``, ``"above_95"``, ``"below_998"``, ``"below_95"`` or
        ``"within"``.

    Notes
    -----
    A unit with count :math:`O` at size :math:`N` lies above or below the 99.8 %
    (:math:`t = 0.001`) or 95 % (:math:`t = 0.025`) limit when

    .. math::

        \text{above} \iff P(X \ge O) < t, \qquad \text{below} \iff P(X \le O) < t

    with the tails of
    :func:`funnel_tail_probabilities` at the unit's own size — the condition
    :math:`O > U(N)` / :math:`O < L(N)` against the limits drawn at :math:`N`
    [1]_ [2]_. Evaluating the tails directly (rather than inverting them per unit)
    is exact and fast.

    References
    ----------
    .. [1] Spiegelhalter DJ. Funnel plots for comparing institutional performance.
       Stat Med 2005;24:1185–1202.
    .. [2] Public Health England. Technical Guide: Funnel plots for comparing
       performance (Fingertips Public Health Technical Guidance).

    Examples
    --------
    >>> funnel_zones([115, 0], [122_120, 3_300], 4047 / 5_239_262, statistic="rate").tolist()
    ['above_95', 'within']
    """
    low, high = funnel_tail_probabilities(observed, size, target, statistic=statistic)
    t2 = (1.0 - FUNNEL_LEVELS["2s"]) / 2.0
    t3 = (1.0 - FUNNEL_LEVELS["3s"]) / 2.0
    zones = np.select(
        [high < t3, high < t2, low < t3, low < t2],
        ["above_998", "above_95", "below_998", "below_95"],
        default="within",
    )
    return np.asarray(zones, dtype=np.str_)
