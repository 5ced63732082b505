"""Indicator computation engine: pure polars + numpy on top of :mod:`datasmart.stats`.

No Django imports: the engine takes observations and the unit hierarchy as polars
frames and returns result frames; services load and store them.

* :func:`compute` — values with confidence intervals for every unit × period × sex ×
  age group at every level, aggregating up the hierarchy by summing numerators and
  denominators, small-number suppression (primary and secondary), and comparisons
  with the nation, the kommungrupp and the previous period, ranks, quintiles and
  funnel zones.
* :func:`compute_linked` — the same for a disclosure group (indicators counting the same
  population), with one suppression pattern shared by all of them.
* :func:`trend` — a trend test per unit over the most recent periods.

The rules are written out in ``docs/methods/indicators.md``.

Examples
--------
>>> units = pl.DataFrame({
...     "unit_code": ["00", "01", "0101", "0102"],
...     "level": ["nation", "region", "kommun", "kommun"],
...     "region_code": [None, None, "01", "01"],
...     "sjukvardsregion_code": [None, None, None, None],
...     "kommungrupp": [None, None, "A1", "A1"],
...     "name": ["Sverige", "Län", "K1", "K2"],
... })
>>> obs = pl.DataFrame({
...     "unit_code": ["0101", "0102"], "period": [2023, 2023], "sex": ["T", "T"],
...     "age_group": ["", ""], "numerator": [40.0, 3.0], "denominator": [100.0, 50.0],
...     "value": [None, None], "status": ["ok", "ok"],
... })
>>> spec = IndicatorSpec("andel", "proportion", 100, "higher_is_better", "wilson")
>>> out = compute(obs, units, spec)
>>> out.select("unit_code", "numerator", "value", "status", "suppression").rows()
[('00', 43.0, 28.666666666666668, 'ok', None), ('01', 43.0, 28.666666666666668, 'ok', None), \
('0101', None, None, 'suppressed', 'secondary'), ('0102', None, None, 'suppressed', 'primary')]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from datasmart.indicators.engine_compare import add_comparisons, estimate, method_text, standardise
from datasmart.indicators.engine_disclosure import linked_suppression, suppression
from datasmart.indicators.engine_hierarchy import (
    CELL,
    LEVELS,
    Hierarchy,
    aggregate,
    build_hierarchy,
)
from datasmart.indicators.engine_spec import (
    ALLOWED_CI,
    CI_METHODS,
    INDICATOR_TYPES,
    POLARITIES,
    IndicatorSpec,
)
from datasmart.indicators.periods import period_index
from datasmart.stats import poisson_trend, proportion_trend

__all__ = [
    "ALLOWED_CI",
    "CI_METHODS",
    "INDICATOR_TYPES",
    "LEVELS",
    "OUTPUT_COLUMNS",
    "POLARITIES",
    "TREND_COLUMNS",
    "IndicatorSpec",
    "compute",
    "compute_linked",
    "trend",
]

INPUT_STATUSES: tuple[str, ...] = ("ok", "missing", "suppressed_at_source", "not_applicable")
SEXES: tuple[str, ...] = ("T", "1", "2")

OUTPUT_COLUMNS: tuple[str, ...] = (
    "indicator_id", "unit_code", "level", "period", "sex", "age_group",
    "numerator", "denominator", "value", "lower", "upper", "status", "suppression",
    "aggregated_from", "national_value", "vs_nation", "group_code", "group_value",
    "vs_group", "previous_period", "previous_value", "vs_previous", "rank", "n_ranked",
    "quintile", "funnel_zone", "method",
)  # fmt: skip
"""Columns of :func:`compute`'s result, in order."""

TREND_COLUMNS: tuple[str, ...] = (
    "indicator_id", "unit_code", "level", "sex", "age_group", "first_period",
    "last_period", "n_periods", "method", "slope", "slope_lower", "slope_upper",
    "slope_unit", "statistic", "p_value", "direction", "assessment",
)  # fmt: skip
"""Columns of :func:`trend`'s result, in order."""


# --- input validation -------------------------------------------------------------------


def _fail(frame: pl.DataFrame, condition: pl.Expr, message: str) -> None:
    bad = frame.filter(condition.fill_null(False))
    if bad.height:
        first = bad.row(0, named=True)
        row = first.pop("input_row", None)
        raise ValueError(f"observations row {row}: {message} ({first}; {bad.height} row(s) in all)")


def _prepare_observations(
    observations: pl.DataFrame, hierarchy: Hierarchy, spec: IndicatorSpec
) -> pl.DataFrame:
    required = ("unit_code", "period", "sex", "status")
    missing = [c for c in required if c not in observations.columns]
    if missing:
        raise ValueError(f"observations lacks column(s) {missing}")
    obs = observations.with_row_index("input_row")
    for name in ("numerator", "denominator", "value"):
        if name not in obs.columns:
            obs = obs.with_columns(pl.lit(None, pl.Float64).alias(name))
    if "age_group" not in obs.columns:
        obs = obs.with_columns(age_group=pl.lit(""))
    try:
        obs = obs.select(
            "input_row",
            pl.col("unit_code").cast(pl.Utf8),
            pl.col("period").cast(pl.Int64),
            pl.col("sex").cast(pl.Utf8),
            pl.col("age_group").cast(pl.Utf8).fill_null(""),
            pl.col("numerator", "denominator", "value").cast(pl.Float64),
            pl.col("status").cast(pl.Utf8),
        )
    except pl.exceptions.PolarsError as exc:
        raise ValueError(f"observations has a column of the wrong type: {exc}") from exc
    for name in ("unit_code", "period", "sex", "status"):
        _fail(obs, pl.col(name).is_null(), f"{name} is null")
    _fail(obs, ~pl.col("sex").is_in(SEXES), f"sex must be one of {SEXES}")
    _fail(obs, ~pl.col("status").is_in(INPUT_STATUSES), f"status must be one of {INPUT_STATUSES}")
    _fail(
        obs,
        pl.struct("unit_code", "period", "sex", "age_group").is_duplicated(),
        "the same unit, period, sex and age group appears twice",
    )
    known = hierarchy.units.filter(pl.col("level") != "kommungrupp").select(
        "unit_code", "level", "depth"
    )
    obs = obs.join(known, on="unit_code", how="left")
    _fail(obs, pl.col("level").is_null(), "unit_code is not in units")
    for name in ("numerator", "denominator", "value"):
        _fail(obs, ~pl.col(name).is_finite(), f"{name} is NaN or infinite (use null)")
    for name in ("numerator", "denominator"):
        _fail(obs, pl.col(name) < 0, f"{name} is negative")
    ok = pl.col("status") == "ok"
    if spec.type == "value":
        _fail(obs, ok & pl.col("value").is_null(), "an ok row of a value indicator needs value")
    else:
        _fail(obs, ok & pl.col("numerator").is_null(), "an ok row needs a numerator")
        if spec.type != "count":
            _fail(obs, ok & pl.col("denominator").is_null(), "an ok row needs a denominator")
            _fail(
                obs,
                ok & (pl.col("denominator") == 0) & (pl.col("numerator") > 0),
                "events with a denominator of 0",
            )
    if spec.type == "proportion":
        _fail(obs, ok & (pl.col("numerator") > pl.col("denominator")), "numerator > denominator")
    if spec.type == "dsr":
        _fail(
            obs,
            ~pl.col("age_group").is_in(list(spec.age_bands)),
            f"age_group of a dsr must be one of the bands {spec.age_bands}",
        )
    keep_numbers = ok & pl.lit(spec.type != "value")
    # Canonical order: sums (and so the output) do not depend on the input row order.
    return obs.sort("depth", "unit_code", *CELL).select(
        "level",
        "unit_code",
        *CELL,
        numerator=pl.when(keep_numbers).then("numerator"),
        denominator=pl.when(keep_numbers).then("denominator"),
        value=pl.when(ok & pl.lit(spec.type == "value")).then("value"),
        state=pl.col("status"),
        aggregated_from=pl.lit(None, pl.Utf8),
    )


# --- compute ----------------------------------------------------------------------------


def _grid(resolved: pl.DataFrame, hierarchy: Hierarchy, cells: pl.DataFrame) -> pl.DataFrame:
    """Every unit (and kommungrupp) × every cell, canonically sorted; no data → missing."""
    cells = cells.unique().sort(*CELL).with_row_index("cell_id")
    units = hierarchy.units.select("level", "unit_code", "depth", "kommungrupp")
    return (
        units.join(cells, how="cross")
        .join(resolved, on=["level", "unit_code", *CELL], how="left")
        .with_columns(pl.col("state").fill_null("missing"))
        .sort("depth", "unit_code", *CELL)
    )


def compute(
    observations: pl.DataFrame,
    units: pl.DataFrame,
    spec: IndicatorSpec,
    *,
    suppression_threshold: float = 5,
) -> pl.DataFrame:
    """Compute an indicator for every unit × period × sex × age group at every level.

    Parameters
    ----------
    observations : DataFrame
        ``unit_code`` (str), ``period`` (int), ``sex`` ("T", "1", "2"),
        ``age_group`` (str, "" = all ages), ``numerator``, ``denominator``,
        ``value`` (float, nullable; ``value`` only for value indicators) and
        ``status`` (ok, missing, suppressed_at_source, not_applicable). Numbers on
        rows that are not ``ok`` are ignored.
    units : DataFrame
        ``unit_code``, ``level`` (nation, sjukvardsregion, region, kommun),
        ``region_code`` (a kommun's län), ``sjukvardsregion_code`` (kommuner and
        non-split regions; null for a split region such as Halland),
        ``kommungrupp`` (kommuner), ``name``. Exactly one nation.
    spec : IndicatorSpec
    suppression_threshold : float, default 5
        Numerators (and, for proportions and means, denominators) of
        ``1 … threshold − 1`` are suppressed; 1 switches primary suppression off.

    Returns
    -------
    DataFrame
        One row per unit of ``spec.levels`` × cell, columns :data:`OUTPUT_COLUMNS`,
        sorted by level (nation first), unit, period, sex, age group. Cells are the
        period × sex × age-group combinations present in *observations* (for a
        dsr: period × sex with age group "").

    Raises
    ------
    ValueError
        Invalid units, observations (the message names the input row) or threshold.
    """
    if not isinstance(spec, IndicatorSpec):
        raise TypeError(f"spec must be an IndicatorSpec, got {type(spec).__name__}")
    threshold = _threshold(suppression_threshold)
    hierarchy = build_hierarchy(units)
    grid, published = _prepare_grid(observations, hierarchy, spec)
    if spec.type == "value":
        reason = np.full(grid.height, None, dtype=object)
        reason[grid["state"].to_numpy() == "suppressed_at_source"] = "at_source"
    else:
        reason = suppression(
            grid,
            hierarchy,
            threshold=threshold,
            published_levels=published,
            person_denominator=_person_denominator(spec),
            age_bands=_protected_bands(spec),
        )
    return _finish(grid, reason, spec)


def compute_linked(
    members: Sequence[tuple[pl.DataFrame, IndicatorSpec]],
    units: pl.DataFrame,
    *,
    suppression_threshold: float = 5,
) -> list[pl.DataFrame]:
    """:func:`compute` for a disclosure group: indicators that count the same population.

    Each member is computed as by :func:`compute`, except that small-number
    suppression is done jointly (``engine_disclosure.linked_suppression``): a cell
    (unit, period, sex, age group) hidden in one member is hidden in all, and secondary
    suppression protects every member's sums at once, so a count hidden in one cannot
    be recomputed from a number another one shows (e.g. plans started, and the
    denominator of a proportion of those plans). Hundepool et al., *Statistical
    Disclosure Control* (Wiley 2012), §5.5, linked tables.

    Parameters
    ----------
    members : sequence of (observations, spec)
        As for :func:`compute`. Every spec must publish counts (not ``value``: a value
        indicator has no count to protect) and the ids must differ.
    units : DataFrame
    suppression_threshold : float, default 5

    Returns
    -------
    list of DataFrame
        One result per member, in order, shaped as :func:`compute`'s. A group of one
        gives exactly :func:`compute`'s result.
    """
    specs = [spec for _obs, spec in members]
    for spec in specs:
        if not isinstance(spec, IndicatorSpec):
            raise TypeError(f"spec must be an IndicatorSpec, got {type(spec).__name__}")
        if spec.type == "value":
            raise ValueError(
                f"IndicatorSpec {spec.id!r}: a value indicator publishes no count and "
                "cannot be in a disclosure group"
            )
    if len({s.id for s in specs}) != len(specs):
        raise ValueError("the members of a disclosure group must have different ids")
    threshold = _threshold(suppression_threshold)
    hierarchy = build_hierarchy(units)
    prepared = [_prepare_grid(obs, hierarchy, spec) for obs, spec in members]
    reasons = linked_suppression(
        [grid for grid, _ in prepared],
        hierarchy,
        threshold=threshold,
        published_levels=[published for _, published in prepared],
        person_denominator=[_person_denominator(s) for s in specs],
        age_bands=[_protected_bands(s) for s in specs],
    )
    return [
        _finish(grid, reason, spec)
        for (grid, _), reason, spec in zip(prepared, reasons, specs, strict=True)
    ]


def _threshold(value: float) -> float:
    threshold = float(value)
    if not threshold >= 1:
        raise ValueError(f"suppression_threshold = {value!r} must be >= 1")
    return threshold


PERSON_DENOMINATOR_TYPES: tuple[str, ...] = ("proportion", "mean")
"""Types whose denominator counts the same people as the numerator: on a suppressed row
the denominator is hidden too (with a hidden numerator ≥ 1 a small denominator bounds
it; "0 of 3" speaks about all three). Rates, counts and DSRs divide by a population,
public statistics that the shown parent minus the shown siblings give anyway, so it
stays."""


def _person_denominator(spec: IndicatorSpec) -> bool:
    return spec.type in PERSON_DENOMINATOR_TYPES


def _protected_bands(spec: IndicatorSpec) -> tuple[str, ...]:
    return spec.age_bands if spec.type != "dsr" else ()


def _prepare_grid(
    observations: pl.DataFrame, hierarchy: Hierarchy, spec: IndicatorSpec
) -> tuple[pl.DataFrame, list[str]]:
    """The estimated grid of one indicator and the levels that leave the engine."""
    prepared = _prepare_observations(observations, hierarchy, spec)
    # A "missing" row declares its cell but holds nothing: a parent may still be
    # aggregated into its place (the grid marks it missing otherwise).
    stored = prepared.filter(pl.col("state") != "missing")
    resolved = aggregate(stored, hierarchy) if spec.aggregatable else stored
    cells = prepared.select(CELL)
    if spec.type == "dsr":
        resolved = standardise(resolved, spec)
        cells = cells.with_columns(age_group=pl.lit(""))
    grid = estimate(_grid(resolved, hierarchy, cells), spec)
    published = [*spec.levels, "nation"]
    if "kommun" in spec.levels:
        published.append("kommungrupp")
    return grid, published


def _finish(grid: pl.DataFrame, reason: Any, spec: IndicatorSpec) -> pl.DataFrame:
    """Blank the hidden cells, add the comparisons, select :data:`OUTPUT_COLUMNS`."""
    shown = pl.col("suppression").is_null()
    hide_den = _person_denominator(spec)
    grid = grid.with_columns(suppression=pl.Series(reason.tolist(), dtype=pl.Utf8)).with_columns(
        status=pl.when(shown).then("status").otherwise(pl.lit("suppressed")),
        numerator=pl.when(shown).then("numerator"),
        denominator=pl.when(shown | pl.lit(not hide_den)).then("denominator"),
        value=pl.when(shown).then("value"),
        lower=pl.when(shown).then("lower"),
        upper=pl.when(shown).then("upper"),
    )
    grid = add_comparisons(grid, spec)
    return (
        grid.filter(pl.col("level").is_in(list(spec.levels)))
        .sort("depth", "unit_code", *CELL)
        .select(
            indicator_id=pl.lit(spec.id),
            unit_code="unit_code",
            level="level",
            period="period",
            sex="sex",
            age_group="age_group",
            numerator=pl.col("numerator").cast(pl.Float64),
            denominator=pl.col("denominator").cast(pl.Float64),
            value=pl.col("value").cast(pl.Float64),
            lower=pl.col("lower").cast(pl.Float64),
            upper=pl.col("upper").cast(pl.Float64),
            status="status",
            suppression="suppression",
            aggregated_from="aggregated_from",
            national_value=pl.col("national_value").cast(pl.Float64),
            vs_nation="vs_nation",
            group_code="group_code",
            group_value=pl.col("group_value").cast(pl.Float64),
            vs_group="vs_group",
            previous_period=pl.col("previous_period").cast(pl.Int64),
            previous_value=pl.col("previous_value").cast(pl.Float64),
            vs_previous="vs_previous",
            rank="rank",
            n_ranked="n_ranked",
            quintile="quintile",
            funnel_zone="funnel_zone",
            method=pl.lit(method_text(spec)),
        )
    )


# --- trend --------------------------------------------------------------------------------


def trend(results: pl.DataFrame, spec: IndicatorSpec, *, periods: int | None = 5) -> pl.DataFrame:
    """Trend per unit × sex × age group over the most recent periods of *results*.

    Parameters
    ----------
    results : DataFrame
        Output of :func:`compute` for *spec* (only published numbers are used, so
        suppressed cells stay hidden).
    spec : IndicatorSpec
    periods : int or None, default 5
        Length of the window: the last *periods* distinct periods in *results*
        (None: all). A series is tested only when every period of the window has
        a shown numerator and denominator (Fingertips' "recent trend" rule).

    Returns
    -------
    DataFrame
        Columns :data:`TREND_COLUMNS`. Proportions: Cochran–Armitage test
        (:func:`datasmart.stats.proportion_trend`), ``slope`` in value units per
        period (× multiplier). Rates and counts: Poisson regression
        (:func:`datasmart.stats.poisson_trend`; counts with exposure 1), ``slope``
        the log rate ratio per period. DSR, mean and value indicators and
        incomplete series: ``direction = "not_tested"``. ``assessment`` applies the
        polarity: improving, worsening, no_significant_change, not_assessed.
    """
    if periods is not None and periods < 2:
        raise ValueError(f"periods = {periods!r}: a trend needs at least 2 periods")
    if "indicator_id" in results.columns:
        ids = results["indicator_id"].unique().to_list()
        if ids and ids != [spec.id]:
            raise ValueError(f"results hold indicator(s) {ids}, not {spec.id!r}")
    keys = ["level", "unit_code", "sex", "age_group"]
    all_periods = sorted(results["period"].unique().to_list())
    window = all_periods[-periods:] if periods is not None else all_periods
    k = len(window)
    usable = pl.col("numerator").is_not_null() & (pl.col("status") == "ok")
    if spec.type != "count":
        usable &= pl.col("denominator").is_not_null() & (pl.col("denominator") > 0)
    rows = results.filter(pl.col("period").is_in(window) & usable)
    counts = rows.group_by(keys).agg(
        n_periods=pl.len(),
        first_period=pl.col("period").min(),
        last_period=pl.col("period").max(),
    )
    out = (
        results.select(keys)
        .unique()
        .join(counts, on=keys, how="left")
        .with_columns(pl.col("n_periods").fill_null(0).cast(pl.Int64))
    )
    testable = spec.type in ("proportion", "rate", "count") and k >= 2
    full = out.filter(pl.col("n_periods") == k) if testable else out.clear()
    method = {
        "proportion": "Cochran–Armitage chi-square test for trend",
        "rate": "Poisson regression (Wald test), log rate ratio per period",
        "count": "Poisson regression of counts (Wald test), log rate ratio per period",
    }.get(spec.type, "not tested")
    unit = {"proportion": "value per period", "rate": "log rate ratio per period"}
    stats_cols: dict[str, pl.Series] = {}
    if full.height:
        wide = (
            rows.join(full.select(keys), on=keys, how="semi")
            .sort(*keys, "period")
            .group_by(keys, maintain_order=True)
            .agg(pl.col("numerator"), pl.col("denominator"))
        )
        x = np.asarray(wide["numerator"].to_list(), dtype=np.float64).reshape(-1, k)
        # Evenly spaced scores: monthly periods (YYYYMM) as months, so Dec → Jan is 1 step.
        scores = np.asarray([period_index(int(p)) for p in window], dtype=np.float64)
        if spec.type == "proportion":
            n = np.asarray(wide["denominator"].to_list(), dtype=np.float64).reshape(-1, k)
            res = proportion_trend(x, n, scores, spec.confidence)
            scale = float(spec.multiplier)
        else:
            exposure = (
                np.ones_like(x)
                if spec.type == "count"
                else np.asarray(wide["denominator"].to_list(), dtype=np.float64).reshape(-1, k)
            )
            res = poisson_trend(x, exposure, scores, spec.confidence)
            scale = 1.0
        stats_cols = {
            "slope": pl.Series(np.atleast_1d(res.slope) * scale),
            "slope_lower": pl.Series(np.atleast_1d(res.lower) * scale),
            "slope_upper": pl.Series(np.atleast_1d(res.upper) * scale),
            "statistic": pl.Series(np.atleast_1d(res.statistic)),
            "p_value": pl.Series(np.atleast_1d(res.p_value)),
            "direction": pl.Series(np.atleast_1d(res.direction).astype(str), dtype=pl.Utf8),
        }
        tested = wide.select(keys).with_columns(**stats_cols).fill_nan(None)
        out = out.join(tested, on=keys, how="left")
    else:
        out = out.with_columns(
            slope=pl.lit(None, pl.Float64),
            slope_lower=pl.lit(None, pl.Float64),
            slope_upper=pl.lit(None, pl.Float64),
            statistic=pl.lit(None, pl.Float64),
            p_value=pl.lit(None, pl.Float64),
            direction=pl.lit(None, pl.Utf8),
        )
    direction = pl.col("direction").fill_null("not_tested")
    good, bad = "increasing", "decreasing"
    if spec.polarity == "lower_is_better":
        good, bad = bad, good
    assessment = (
        pl.when(direction == "no_significant_trend")
        .then(pl.lit("no_significant_change"))
        .when((direction == good) & pl.lit(spec.polarity != "no_judgement"))
        .then(pl.lit("improving"))
        .when((direction == bad) & pl.lit(spec.polarity != "no_judgement"))
        .then(pl.lit("worsening"))
        .otherwise(pl.lit("not_assessed"))
    )
    level_order = pl.col("level").replace_strict(
        {lv: i for i, lv in enumerate(LEVELS)}, default=len(LEVELS), return_dtype=pl.Int8
    )
    return out.sort(level_order, "unit_code", "sex", "age_group").select(
        indicator_id=pl.lit(spec.id),
        unit_code="unit_code",
        level="level",
        sex="sex",
        age_group="age_group",
        first_period=pl.col("first_period").cast(pl.Int64),
        last_period=pl.col("last_period").cast(pl.Int64),
        n_periods="n_periods",
        method=pl.lit(method),
        slope="slope",
        slope_lower="slope_lower",
        slope_upper="slope_upper",
        slope_unit=pl.lit(unit.get(spec.type, "log rate ratio per period"))
        if testable
        else pl.lit(None, pl.Utf8),
        statistic="statistic",
        p_value="p_value",
        direction=direction,
        assessment=assessment,
    )
