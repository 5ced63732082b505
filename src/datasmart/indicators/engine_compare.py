"""Values, confidence intervals and comparisons for the indicator engine.

Every statistic comes from :mod:`datasmart.stats`; this module only decides which
rows get which statistic and arranges the results in columns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import special

from datasmart.stats import (
    compare,
    dsr,
    funnel_zones,
    poisson_limits,
    proportion_ci,
    quantile_groups,
    rate_ci,
)

if TYPE_CHECKING:
    from datasmart.indicators.engine_spec import IndicatorSpec

__all__ = ["add_comparisons", "estimate", "funnel_applies", "method_text", "standardise"]

FloatArray = npt.NDArray[np.float64]
NOT_COMPARED = "not_compared"
COMPARED_TYPES = ("proportion", "rate", "dsr")
"""Types compared with the nation and kommungrupp (a count is not comparable with a total)."""
FUNNEL_TYPES = ("proportion", "rate")


def funnel_applies(type_: str, ci_method: str) -> bool:
    """Whether a funnel plot (and funnel zones) makes sense for an indicator.

    A funnel's limits are the sampling variation expected around the national value
    (binomial or Poisson, Spiegelhalter 2005). A complete count — a census share such as
    "share of the population aged 0–17", whose numerator and denominator are the whole
    registered population — has no sampling variation: the catalogue says so with
    ``ci_method = "none"`` for a proportion or rate. Drawing limits there flags most
    kommuner as "outside 99.8 %" (about 200 of 290 for the population shares) for
    differences that are real, not chance. So: proportions and rates with an interval
    method only.
    """
    return type_ in FUNNEL_TYPES and ci_method != "none"


STATS_POLARITY: dict[str, Literal["high_is_good", "low_is_good"] | None] = {
    "higher_is_better": "high_is_good",
    "lower_is_better": "low_is_good",
    "no_judgement": None,
}


def _np(frame: pl.DataFrame, column: str) -> FloatArray:
    return frame[column].cast(pl.Float64).fill_null(np.nan).to_numpy().astype(np.float64)


def _str_series(labels: npt.ArrayLike) -> pl.Series:
    """A polars string column from a numpy label array (few distinct values).

    Converting a numpy unicode array directly is about 6× slower than going
    through a Python list.
    """
    return pl.Series(np.asarray(labels, dtype=str).tolist(), dtype=pl.Utf8)


def _confidence_text(confidence: float) -> str:
    return f"{confidence * 100:g} %"


def method_text(spec: IndicatorSpec) -> str:
    """The ``method`` column: how the value and its interval were computed."""
    conf = _confidence_text(spec.confidence)
    if spec.type == "value":
        return "published value; no confidence interval"
    if spec.ci_method == "none":
        return f"{spec.type}; no confidence interval"
    if spec.type == "proportion":
        name = {"wilson": "Wilson score", "exact": "Clopper–Pearson exact"}[spec.ci_method]
        return f"proportion; {name} interval ({conf})"
    if spec.type == "dsr":
        return f"directly standardised rate; Dobson interval with Byar's limits ({conf})"
    name = {
        "byar": "Byar's approximation",
        "exact": "exact Poisson (Garwood)",
        "auto": "exact Poisson below 10 events, Byar's from 10",
    }[spec.ci_method]
    return f"{spec.type}; {name} interval ({conf})"


# --- standardisation (DSR) -------------------------------------------------------------


def standardise(resolved: pl.DataFrame, spec: IndicatorSpec) -> pl.DataFrame:
    """Collapse age-band rows into one directly standardised row per unit × period × sex.

    A unit's DSR needs every band of ``spec.age_bands`` in state ``ok`` (band
    populations > 0); bands all ``not_applicable`` give ``not_applicable``; a band
    suppressed at source makes the row ``suppressed_at_source``; anything else is
    missing (no row). The row's numerator and denominator are the total events and
    population; value and limits come from :func:`datasmart.stats.dsr`.
    """
    bands = list(spec.age_bands)
    keys = ["level", "unit_code", "period", "sex"]
    summary = resolved.group_by(keys).agg(
        n_ok=((pl.col("state") == "ok") & pl.col("age_group").is_in(bands)).sum(),
        n_na=(pl.col("state") == "not_applicable").sum(),
        n_src=(pl.col("state") == "suppressed_at_source").sum(),
        source=pl.col("aggregated_from").first(),
    )
    full = summary.filter(pl.col("n_ok") == len(bands))
    wide = (
        resolved.join(full.select(keys), on=keys, how="semi")
        .with_columns(band=pl.col("age_group").replace_strict(bands, list(range(len(bands)))))
        .sort(*keys, "band")
        .group_by(keys, maintain_order=True)
        .agg(pl.col("numerator"), pl.col("denominator"))
    )
    count = np.asarray(wide["numerator"].to_list(), dtype=np.float64).reshape(-1, len(bands))
    pop = np.asarray(wide["denominator"].to_list(), dtype=np.float64).reshape(-1, len(bands))
    usable = (pop > 0).all(axis=1)
    value = np.full(wide.height, np.nan)
    lower = np.full(wide.height, np.nan)
    upper = np.full(wide.height, np.nan)
    if usable.any():
        res = dsr(
            count[usable],
            pop[usable],
            np.asarray(spec.standard_population, dtype=np.float64),
            spec.confidence,
            spec.multiplier,
        )
        value[usable], lower[usable], upper[usable] = res.value, res.lower, res.upper
    if spec.ci_method == "none":
        lower[:] = np.nan
        upper[:] = np.nan
    computed = wide.select(
        *keys,
        age_group=pl.lit(""),
        numerator=pl.Series(count.sum(axis=1)),
        denominator=pl.Series(pop.sum(axis=1)),
        value=pl.Series(value),
        lower=pl.Series(lower),
        upper=pl.Series(upper),
        state=pl.lit("ok"),
    ).fill_nan(None)
    others = summary.filter(pl.col("n_ok") < len(bands)).select(
        *keys,
        age_group=pl.lit(""),
        state=pl.when(pl.col("n_src") > 0)
        .then(pl.lit("suppressed_at_source"))
        .when(pl.col("n_na") == len(bands))
        .then(pl.lit("not_applicable"))
        .otherwise(pl.lit("missing")),
    )
    out = pl.concat([computed, others], how="diagonal_relaxed")
    return out.join(summary.select(*keys, aggregated_from="source"), on=keys, how="left")


# --- values and intervals ---------------------------------------------------------------


def estimate(grid: pl.DataFrame, spec: IndicatorSpec) -> pl.DataFrame:
    """Add ``value``, ``lower``, ``upper`` and ``status`` to the complete grid."""
    state = grid["state"].to_numpy()
    has = state == "ok"
    num = _np(grid, "numerator")
    den = _np(grid, "denominator")
    m = float(spec.multiplier)
    value = _np(grid, "value")
    lower = _np(grid, "lower") if "lower" in grid.columns else np.full(grid.height, np.nan)
    upper = _np(grid, "upper") if "upper" in grid.columns else np.full(grid.height, np.nan)
    if spec.type in ("proportion", "rate", "mean"):
        valid = has & (den > 0)
        value = np.where(valid, num / np.where(valid, den, 1.0) * m, np.nan)
        if spec.ci_method != "none" and valid.any():
            x, d = num[valid], den[valid]
            if spec.type == "proportion":
                lo, hi = proportion_ci(x, d, spec.confidence, spec.ci_method)  # type: ignore[arg-type]
                lo, hi = lo * m, hi * m
            else:
                lo, hi = rate_ci(x, d, spec.confidence, m, spec.ci_method)  # type: ignore[arg-type]
            lower[valid], upper[valid] = lo, hi
    elif spec.type == "count":
        valid = has
        value = np.where(valid, num * m, np.nan)
        if spec.ci_method != "none" and valid.any():
            lo, hi = poisson_limits(num[valid], spec.confidence, spec.ci_method)  # type: ignore[arg-type]
            lower[valid], upper[valid] = lo * m, hi * m
    elif spec.type == "value":
        value = np.where(has, value, np.nan)
    # dsr: value and limits were set by standardise()
    status = np.select(
        [has & ~np.isnan(value), has, state == "suppressed_at_source", state == "not_applicable"],
        ["ok", "not_applicable", "suppressed", "not_applicable"],
        default="missing",
    )
    return grid.with_columns(
        value=pl.Series(value),
        lower=pl.Series(lower),
        upper=pl.Series(upper),
        status=_str_series(status),
    ).with_columns(pl.col("value", "lower", "upper").fill_nan(None))


# --- comparisons ------------------------------------------------------------------------


def _labels(
    higher: npt.NDArray[np.bool_],
    lower: npt.NDArray[np.bool_],
    compared: npt.NDArray[np.bool_],
    polarity: str,
) -> npt.NDArray[np.str_]:
    high_word, low_word = "higher", "lower"
    if polarity == "higher_is_better":
        high_word, low_word = "better", "worse"
    elif polarity == "lower_is_better":
        high_word, low_word = "worse", "better"
    out = np.select(
        [~compared, higher, lower], [NOT_COMPARED, high_word, low_word], default="similar"
    )
    return np.asarray(out, dtype=np.str_)


def _vs(
    lower: FloatArray, upper: FloatArray, target: FloatArray, spec: IndicatorSpec
) -> FloatArray:
    """Fingertips comparison of each interval with a comparator value (stats.compare)."""
    return np.asarray(compare(lower, upper, target, polarity=STATS_POLARITY[spec.polarity]))


def _vs_previous(frame: pl.DataFrame, spec: IndicatorSpec) -> npt.NDArray[np.str_]:
    """Significance of the change from the previous period (see docs for the tests)."""
    x1, n1 = _np(frame, "numerator"), _np(frame, "denominator")
    x0, n0 = _np(frame, "prev_numerator"), _np(frame, "prev_denominator")
    ok = ~np.isnan(_np(frame, "value")) & ~np.isnan(_np(frame, "previous_value"))
    t = spec.type
    if t == "count":  # the value is the count itself: compare counts, not rates
        n1 = n0 = np.ones(frame.height)
    if t in ("proportion", "rate", "count"):
        ok &= ~np.isnan(x1) & ~np.isnan(x0) & (n1 > 0) & (n0 > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            pooled = (x1 + x0) / (n1 + n0)
            spread = pooled * (1.0 - pooled) if t == "proportion" else pooled
            se = np.sqrt(spread * (1.0 / n1 + 1.0 / n0))
            z = np.where(se > 0, (x1 / n1 - x0 / n0) / se, 0.0)
        crit = float(special.ndtri(1.0 - (1.0 - spec.confidence) / 2.0))
        return _labels(ok & (z > crit), ok & (z < -crit), ok, spec.polarity)
    if t == "dsr" and spec.ci_method != "none":
        lo1, hi1 = _np(frame, "lower"), _np(frame, "upper")
        lo0, hi0 = _np(frame, "prev_lower"), _np(frame, "prev_upper")
        ok &= ~np.isnan(lo1) & ~np.isnan(hi1) & ~np.isnan(lo0) & ~np.isnan(hi0)
        return _labels(ok & (lo1 > hi0), ok & (hi1 < lo0), ok, spec.polarity)
    return np.full(frame.height, NOT_COMPARED)


def _funnel_zones(frame: pl.DataFrame, spec: IndicatorSpec) -> list[str | None]:
    """Position against the funnel around the national value (``stats.funnel_zones``).

    Each unit is classified at its own denominator (proportions) or population
    (rates) from its exact binomial / Poisson tail probabilities under the national
    average: the same tails that ``charts.funnel_lines`` inverts to draw the limits
    (``stats.funnel_control_limits``), so a point's zone and the lines around it
    agree (Spiegelhalter 2005; PHE Technical Guide "Funnel plots").
    """
    zones: npt.NDArray[np.object_] = np.full(frame.height, None, dtype=object)
    if not funnel_applies(spec.type, spec.ci_method):
        return zones.tolist()
    value = _np(frame, "value")
    num = _np(frame, "numerator")
    den = _np(frame, "denominator")
    nat_x, nat_n = _np(frame, "nat_numerator"), _np(frame, "nat_denominator")
    eligible = (
        (frame["level"] != "nation").to_numpy()
        & ~np.isnan(value)
        & (num >= 0)
        & (den > 0)
        & (nat_n > 0)
        & (nat_x >= 0)
    )
    if spec.type == "rate":
        eligible &= nat_x > 0  # a funnel around a rate of zero has no width
    else:
        eligible &= (nat_x <= nat_n) & (num <= den)
    idx = np.flatnonzero(eligible)
    if idx.size:
        statistic: Literal["proportion", "rate"] = "rate" if spec.type == "rate" else "proportion"
        zones[idx] = funnel_zones(
            num[idx], den[idx], nat_x[idx] / nat_n[idx], statistic=statistic
        ).tolist()
    return zones.tolist()


def add_comparisons(grid: pl.DataFrame, spec: IndicatorSpec) -> pl.DataFrame:
    """Add national and group comparators, change since the previous period, rank,
    quintile and funnel zone to the (already suppressed) grid."""
    cell = ["period", "sex", "age_group"]
    nation = grid.filter(pl.col("level") == "nation").select(
        *cell,
        national_value="value",
        nat_numerator=pl.when(pl.col("value").is_not_null()).then("numerator"),
        nat_denominator=pl.when(pl.col("value").is_not_null()).then("denominator"),
    )
    groups = grid.filter(pl.col("level") == "kommungrupp").select(
        *cell, group_code="unit_code", group_value="value"
    )
    g = (
        grid.join(nation, on=cell, how="left")
        .with_columns(group_code=pl.when(pl.col("level") == "kommun").then(pl.col("kommungrupp")))
        .join(groups, on=[*cell, "group_code"], how="left")
        .sort("depth", "unit_code", "sex", "age_group", "period")
    )
    # Sorted by series then period: the previous row of the same series is the
    # previous period (a global shift, masked where a new series starts).
    same = pl.all_horizontal(
        pl.col(c) == pl.col(c).shift(1) for c in ("depth", "unit_code", "sex", "age_group")
    ).fill_null(False)
    g = g.with_columns(
        pl.when(same).then(pl.col(c).shift(1)).alias(a)
        for c, a in (
            ("period", "previous_period"),
            ("value", "previous_value"),
            ("numerator", "prev_numerator"),
            ("denominator", "prev_denominator"),
            ("lower", "prev_lower"),
            ("upper", "prev_upper"),
        )
    )
    lower, upper = _np(g, "lower"), _np(g, "upper")
    with_ci = spec.type in COMPARED_TYPES and spec.ci_method != "none"
    not_nation = (g["level"] != "nation").to_numpy()
    if with_ci:
        vs_nation = _vs(lower, upper, np.where(not_nation, _np(g, "national_value"), np.nan), spec)
        vs_group = _vs(lower, upper, _np(g, "group_value"), spec)
    else:
        vs_nation = vs_group = np.full(g.height, NOT_COMPARED)

    # Rank within level × cell: 1 = best by polarity (highest without one), ties
    # broken by unit code; suppressed, missing and not-applicable rows are not ranked.
    value = _np(g, "value")
    ranked = (g["status"] == "ok").to_numpy() & ~np.isnan(value)
    cell_id = g["cell_id"].to_numpy().astype(np.int64)
    group = g["depth"].to_numpy().astype(np.int64) * (int(cell_id.max()) + 1) + cell_id
    score = np.where(ranked, value if spec.polarity == "lower_is_better" else -value, np.inf)
    order = np.lexsort((np.arange(g.height), score, ~ranked, group))
    sorted_group = group[order]
    start = np.r_[True, sorted_group[1:] != sorted_group[:-1]]
    position = np.arange(g.height)
    first = np.maximum.accumulate(np.where(start, position, 0))
    rank = np.empty(g.height, dtype=np.float64)
    rank[order] = position - first + 1.0
    rank = np.where(ranked, rank, np.nan)
    n_ranked = np.bincount(group, weights=ranked)[group]
    quintile = quantile_groups(
        np.where(ranked, value, np.nan), 5, groups=group, invert=spec.polarity != "lower_is_better"
    )
    g = g.with_columns(
        vs_nation=_str_series(vs_nation),
        vs_group=_str_series(vs_group),
        vs_previous=_str_series(_vs_previous(g, spec)),
        funnel_zone=pl.Series(_funnel_zones(g, spec), dtype=pl.Utf8),
        rank=pl.Series(rank).fill_nan(None).cast(pl.Int64),
        n_ranked=pl.Series(n_ranked).cast(pl.Int64),
    )
    return g.with_columns(quintile=pl.Series(quintile).fill_nan(None).cast(pl.Int64))
