"""Computed indicator results: run the engine, store its output, and query it.

:func:`compute_indicator` builds the engine's input frames from :class:`Observation` rows
and the geography (:class:`~datasmart.geo.models.Unit`, kommungrupp edition 2017), calls
:func:`datasmart.indicators.engine.compute` and replaces the indicator's :class:`Result`
rows in one transaction, with an audit event. Suppression is applied by the engine before
anything is stored, so everything read from here is publishable: a suppressed cell has
``status = "suppressed"`` and no numerator, value or interval.

Units the engine reports as ``missing`` (no data at all) are not stored; queries list
every unit of a level and fill the gaps with ``status = "missing"``.

Reads (used by the API, the CLI export and the indicator pages):

- :func:`query_results` — one row per unit of a level for one period/sex/age group;
- :func:`available_filters` — periods, sexes, age groups and levels with results;
- :func:`national_series`, :func:`unit_series` — time series;
- :func:`unit_profile` — one row per indicator for a unit (spine chart);
- :func:`comparison_summary` — counts of better/similar/worse per comparison;
- the composite index lives in :mod:`datasmart.indicators.composite`, which builds on
  this module (not the other way round, so the two do not import each other).
"""

from __future__ import annotations

import csv
import json
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from datasmart.accounts.audit import SYSTEM, SystemActor, record_event
from datasmart.accounts.permissions import Permission
from datasmart.geo import kommungrupper
from datasmart.geo.loaders import bulk_insert
from datasmart.geo.models import ComparatorMembership, Unit
from datasmart.indicators.rights import require_national
from datasmart.stats.comparison import compare

from . import engine, engine_compare, rounding
from .models import Indicator, Observation, Result

__all__ = [
    "EXPORT_COLUMNS",
    "KOMMUNGRUPP_EDITION",
    "RESULT_FIELDS",
    "ComputeReport",
    "Progress",
    "ResultsError",
    "attribution_text",
    "available_filters",
    "comparison_summary",
    "compute_all",
    "compute_indicator",
    "distribution",
    "export_about",
    "indicator_spec",
    "national_series",
    "observations_frame",
    "quartile_position",
    "query_results",
    "stale_indicators",
    "unit_profile",
    "unit_series",
    "units_frame",
    "write_export",
]

KOMMUNGRUPP_KIND = "kommungrupp"
KOMMUNGRUPP_EDITION = "2017"
LEVELS: tuple[str, ...] = ("nation", "sjukvardsregion", "region", "kommun")

Progress = Callable[[int, int, str], None]
"""``progress(done, total, label)``: called as work advances (for a progress bar)."""

RESULT_FIELDS: tuple[str, ...] = (
    "period", "sex", "age_group", "numerator", "denominator", "value", "lower", "upper",
    "status", "suppression", "aggregated_from", "national_value", "vs_nation", "group_code",
    "group_value", "vs_group", "group_edition", "previous_period", "previous_value",
    "vs_previous", "rank", "n_ranked", "quintile", "funnel_zone", "method", "denominator_year",
)  # fmt: skip
"""Stored engine columns returned by :func:`query_results` (besides the unit's)."""

EXPORT_COLUMNS: tuple[str, ...] = (
    "indicator", "unit_code", "unit_name", "level", "period", "sex", "age_group",
    "value", "value_rounded", "lower", "upper", "status", "numerator", "denominator",
    "national_value", "vs_nation", "group_code", "group_value", "vs_group", "group_edition",
    "previous_period", "previous_value", "vs_previous", "rank", "n_ranked", "quintile",
    "funnel_zone", "method", "denominator_year", "denominator_note", "source",
)  # fmt: skip
"""Columns of CSV/Excel/JSON exports (Kolada-style: ``value`` blank, ``status`` says why:
``ok``, ``missing``, ``suppressed`` — by us or at the source, e.g. Kolada's "Privacy" —
or ``not_applicable``). The suppression reason is not exported: "primary" would tell a
reader that the hidden count is 1 … threshold − 1.
``value`` is full precision; ``value_rounded`` is the value as the pages show it
(:func:`datasmart.indicators.rounding.rounded` with the indicator's decimals).
``denominator_year`` / ``denominator_note`` say when the denominator is another year's
population (:func:`denominator_note`); blank when it is the period's own.
``source`` is the attribution the source's licence asks for ("Källa: Kolada"), on every
row: the way statistical agencies tag open-data extracts, and the one place a CSV parser
never trips over (no comment or footer lines); the Excel file also has a sheet "källa"
with source, licence and attribution (:func:`write_export`)."""

_HIDDEN_UNLESS_OK = ("numerator", "value", "lower", "upper")
_CI_FOR_ENGINE = {"wilson": "wilson", "byar": "byar", "dobson": "byar", "normal": "none"}


class ResultsError(ValueError):
    """An indicator cannot be computed or queried; the message is safe to show."""


@dataclass
class ComputeReport:
    """What one :func:`compute_indicator` call did."""

    indicator: str
    rows: int = 0
    periods: list[int] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None
    linked: list[ComputeReport] = field(default_factory=list)
    """Reports of the other members of the indicator's disclosure group, computed and
    stored with it (same transaction)."""

    @property
    def ok(self) -> bool:
        return self.error is None


# --- engine input -----------------------------------------------------------------------


def units_frame(edition: str = KOMMUNGRUPP_EDITION) -> pl.DataFrame:
    """The engine's ``units`` frame from the geography, kommuner in the kommungrupper of
    SKR's ``edition`` (see :mod:`datasmart.geo.kommungrupper`)."""
    groups = dict(
        ComparatorMembership.objects.filter(
            group__kind=KOMMUNGRUPP_KIND, group__edition=edition
        ).values_list("unit_id", "group__code")
    )
    units = list(
        Unit.objects.select_related("parent", "region", "sjukvardsregion").order_by("code")
    )
    rows = []
    for u in units:
        region = sjvr = None
        if u.level == "kommun":
            if u.region is None:
                continue  # not part of the geography (e.g. a test organisation's unit)
            region = u.region.code
            sjvr = u.sjukvardsregion.code if u.sjukvardsregion else None
        elif u.level == "region" and not u.is_split:
            if u.sjukvardsregion is not None:
                sjvr = u.sjukvardsregion.code
            elif u.parent is not None and u.parent.level == "sjukvardsregion":
                sjvr = u.parent.code
        rows.append(
            {
                "unit_code": u.code,
                "level": u.level,
                "region_code": region,
                "sjukvardsregion_code": sjvr,
                "kommungrupp": groups.get(u.pk) if u.level == "kommun" else None,
                "name": u.name,
            }
        )
    schema = {
        "unit_code": pl.Utf8,
        "level": pl.Utf8,
        "region_code": pl.Utf8,
        "sjukvardsregion_code": pl.Utf8,
        "kommungrupp": pl.Utf8,
        "name": pl.Utf8,
    }
    return pl.DataFrame(rows, schema=schema)


def indicator_spec(indicator: Indicator) -> engine.IndicatorSpec:
    """The engine's :class:`~datasmart.indicators.engine.IndicatorSpec` for an indicator.

    ``composite`` indicators are taken as published values; the catalogue's CI methods
    map to the engine's (``dobson`` → the engine's DSR interval, ``normal`` → none), and a
    method the type does not support falls back to none.
    """
    kind = indicator.type if indicator.type in engine.INDICATOR_TYPES else "value"
    ci = _CI_FOR_ENGINE.get(indicator.ci_method, "none")
    if ci not in engine.ALLOWED_CI[kind]:
        ci = "none"
    aggregatable = kind != "value"
    stored = [lv for lv in LEVELS if lv in (indicator.levels or [])]
    levels = LEVELS if aggregatable else tuple(dict.fromkeys(["nation", *stored]))
    bands = tuple(a for a in (indicator.age_groups or []) if a)
    return engine.IndicatorSpec(
        id=indicator.code,
        type=kind,  # type: ignore[arg-type]
        multiplier=1.0 if kind == "count" else float(indicator.multiplier or 1),
        polarity=indicator.polarity,  # type: ignore[arg-type]
        ci_method=ci,  # type: ignore[arg-type]
        levels=levels,
        aggregatable=aggregatable,
        age_bands=bands if kind != "dsr" else (),
    )


def denominator_years_frame(indicator: Indicator) -> pl.DataFrame:
    """Cells whose denominator is another year's population: unit_code, period, sex,
    age_group, denominator_year (see :class:`~.population.PopulationLookup`)."""
    rows = (
        Observation.objects.filter(indicator=indicator, denominator_year__isnull=False)
        .values_list("unit__code", "period", "sex", "age_group", "denominator_year")
        .order_by()
    )
    schema = {
        "unit_code": pl.Utf8,
        "period": pl.Int64,
        "sex": pl.Utf8,
        "age_group": pl.Utf8,
        "denominator_year": pl.Int64,
    }
    return pl.DataFrame(list(rows), schema=schema, orient="row")


def with_denominator_years(out: pl.DataFrame, years: pl.DataFrame) -> pl.DataFrame:
    """``out`` (engine results) with ``denominator_year`` carried from the observations.

    A unit's own cell takes its observation's year. A unit summed from others (a region
    from its kommuner) takes the year when the fallback observations of that period, sex
    and age group all name the same one: the population files cover all units of a level
    for the same years, so the fallback is the same for every part in practice; a mixed
    set gives no single year to name and stays blank rather than claim one.
    """
    if not out.height:
        return out.with_columns(denominator_year=pl.lit(None, pl.Int64))
    keys = ["period", "sex", "age_group"]
    cast = [pl.col("period").cast(pl.Int64), pl.col("sex").cast(pl.Utf8)]
    base = out.with_columns(*cast, pl.col("age_group").cast(pl.Utf8).fill_null(""))
    if not years.height:
        return base.with_columns(denominator_year=pl.lit(None, pl.Int64))
    shared = (
        years.group_by(keys)
        .agg(pl.col("denominator_year").unique().alias("years"))
        .filter(pl.col("years").list.len() == 1)
        .select(*keys, pl.col("years").list.first().alias("shared_year"))
    )
    return (
        base.join(years, on=["unit_code", *keys], how="left")
        .join(shared, on=keys, how="left")
        .with_columns(
            denominator_year=pl.when(pl.col("aggregated_from").is_not_null())
            .then(pl.coalesce("denominator_year", "shared_year"))
            .otherwise(pl.col("denominator_year"))
        )
        .drop("shared_year")
    )


def denominator_note(period: int | None, denominator_year: int | None) -> str:
    """The note shown with a figure whose denominator is another year's population
    ("" when it is the period's own); the text is :func:`.population.fallback_note`'s."""
    if period is None or denominator_year is None or denominator_year == period:
        return ""
    from .population import fallback_note

    return str(fallback_note(int(period), int(denominator_year)))


def observations_frame(indicator: Indicator) -> pl.DataFrame:
    """The engine's ``observations`` frame for one indicator."""
    rows = Observation.objects.filter(indicator=indicator).values_list(
        "unit__code", "period", "sex", "age_group", "numerator", "denominator", "value", "status"
    )
    schema = {
        "unit_code": pl.Utf8,
        "period": pl.Int64,
        "sex": pl.Utf8,
        "age_group": pl.Utf8,
        "numerator": pl.Float64,
        "denominator": pl.Float64,
        "value": pl.Float64,
        "status": pl.Utf8,
    }
    return pl.DataFrame(list(rows), schema=schema, orient="row")


# --- compute ----------------------------------------------------------------------------

_STORED_COLUMNS = (
    "indicator_id", "unit_id", "level", "period", "sex", "age_group", "numerator",
    "denominator", "value", "lower", "upper", "status", "suppression", "aggregated_from",
    "national_value", "vs_nation", "group_code", "group_value", "vs_group", "group_edition",
    "previous_period", "previous_value", "vs_previous", "rank", "n_ranked", "quintile",
    "funnel_zone", "method", "denominator_year", "computed_at",
)  # fmt: skip


def _check(by: Any) -> None:
    """Computing rewrites an indicator's results for every unit: a national write."""
    if not isinstance(by, SystemActor):
        require_national(by, Permission.EDIT_INDICATORS, what="Att beräkna indikatorresultat")


def compute_indicator(
    indicator: Indicator | str,
    *,
    by: Any = SYSTEM,
    progress: Progress | None = None,
    units: pl.DataFrame | None = None,
    suppression_threshold: float = 5,
    request: Any = None,
    frames: dict[str, pl.DataFrame] | None = None,
) -> ComputeReport:
    """Compute one indicator and replace its stored results (one transaction, audited).

    An indicator in a disclosure group (``Indicator.disclosure_group``) is computed
    together with every other member of the group (:func:`engine.compute_linked`: the
    same units hidden in all of them), and all their results are replaced in the same
    transaction; the report lists the others in ``linked``.

    A user ``by`` needs ``EDIT_INDICATORS`` (a denial is audited); ``SYSTEM`` is the CLI
    and the data load. Raises :class:`ResultsError` when the engine refuses the data.
    """
    _check(by)
    if isinstance(indicator, str):
        try:
            indicator = Indicator.objects.get(code=indicator)
        except Indicator.DoesNotExist:
            raise ResultsError(f"Ingen indikator med koden '{indicator}' finns.") from None
    started = time.monotonic()

    def step(done: int, label: str) -> None:
        if progress is not None:
            progress(done, 4, label)

    members = [indicator]
    if indicator.disclosure_group:
        members = list(
            Indicator.objects.filter(disclosure_group=indicator.disclosure_group).order_by("code")
        )
    step(0, f"{indicator.code}: läser observationer")
    observed = [(member, observations_frame(member)) for member in members]
    step(1, f"{indicator.code}: beräknar")
    with_data = [(member, obs) for member, obs in observed if obs.height]

    def run(unit_frame: pl.DataFrame) -> list[pl.DataFrame]:
        if len(members) == 1:
            return [
                engine.compute(
                    obs,
                    unit_frame,
                    indicator_spec(member),
                    suppression_threshold=suppression_threshold,
                )
                for member, obs in with_data
            ]
        return engine.compute_linked(
            [(obs, indicator_spec(member)) for member, obs in with_data],
            unit_frame,
            suppression_threshold=suppression_threshold,
        )

    # The kommungrupp comparison (and the suppression protecting the group values) uses
    # the edition in force for each period: one engine run per edition the periods need,
    # each period's rows taken from its edition's run (cells never span periods).
    periods_seen = {int(p) for _m, obs in with_data for p in obs["period"].unique().to_list()}
    editions = sorted({kommungrupper.edition_for_period(p) for p in periods_seen}) or [
        KOMMUNGRUPP_EDITION
    ]
    try:
        runs = {e: run(units if units is not None else _units_for(e, frames)) for e in editions}
    except ValueError as exc:
        raise ResultsError(f"{indicator.code}: {exc}") from exc
    edition_of = kommungrupper.edition_expr(pl.col("period"))
    outs = [
        pl.concat(
            [
                runs[e][i]
                .filter(edition_of == e)
                .with_columns(
                    group_edition=pl.when(pl.col("level") == "kommun")
                    .then(pl.lit(e))
                    .otherwise(pl.lit(""))
                )
                for e in editions
            ]
        )
        for i in range(len(with_data))
    ]
    empty = pl.DataFrame(schema={c: pl.Utf8 for c in (*engine.OUTPUT_COLUMNS, "group_edition")})
    computed = {
        member.pk: out.filter(pl.col("status") != "missing")
        for (member, _), out in zip(with_data, outs, strict=True)
    }
    step(2, f"{indicator.code}: sparar")
    ids = dict(Unit.objects.values_list("code", "pk"))
    now = timezone.now()
    reports = {member.pk: ComputeReport(indicator=member.code) for member in members}
    with transaction.atomic():
        for member in members:
            stored = reports[member.pk]
            out = computed.get(member.pk, empty)
            stored.rows, stored.periods = _store(member, out, ids, now, by, request)
    step(4, f"{indicator.code}: klar")
    report = reports.pop(indicator.pk)
    report.linked = list(reports.values())
    report.seconds = time.monotonic() - started
    for other in report.linked:
        other.seconds = report.seconds
    return report


def _units_for(edition: str, frames: dict[str, pl.DataFrame] | None) -> pl.DataFrame:
    """The units frame of ``edition``, from ``frames`` (compute_all's cache) if given."""
    if frames is None:
        return units_frame(edition)
    if edition not in frames:
        frames[edition] = units_frame(edition)
    return frames[edition]


def _store(
    indicator: Indicator,
    out: pl.DataFrame,
    ids: dict[str, int],
    now: Any,
    by: Any,
    request: Any,
) -> tuple[int, list[int]]:
    """Replace one indicator's results by ``out`` (inside the caller's transaction)."""
    frame = pl.DataFrame()
    if out.height:
        frame = (
            with_denominator_years(out, denominator_years_frame(indicator))
            .with_columns(
                indicator_id=pl.lit(indicator.pk, pl.Int64),
                unit_id=pl.col("unit_code").replace_strict(ids, return_dtype=pl.Int64),
                computed_at=pl.lit(now.isoformat()),
                method=pl.col("method").str.slice(0, 300),
            )
            .select(_STORED_COLUMNS)
        )
    deleted, _ = Result.objects.filter(indicator=indicator).delete()
    if frame.height:
        bulk_insert(Result._meta.db_table, list(_STORED_COLUMNS), frame)
    periods = sorted(int(p) for p in out["period"].unique().to_list()) if out.height else []
    record_event(
        "indicators.compute",
        actor=by,
        target=indicator,
        detail={
            "indicator": indicator.code,
            "rows": frame.height,
            "replaced": deleted,
            "periods": periods[-30:],
        },
        request=request,
    )
    return frame.height, periods


def compute_all(
    by: Any = SYSTEM,
    progress: Progress | None = None,
    *,
    codes: Sequence[str] | None = None,
) -> list[ComputeReport]:
    """Compute every indicator (or those in ``codes``); one failure does not stop the rest.

    Each indicator is its own transaction; a failed one keeps its previous results and
    its report carries the error. A disclosure group is computed once, as one
    transaction (its other members' reports are also in the first one's ``linked``).
    """
    _check(by)
    qs = Indicator.objects.order_by("code")
    if codes is not None:
        qs = qs.filter(code__in=list(codes))
    indicators = list(qs)
    frames: dict[str, pl.DataFrame] = {}
    done: dict[str, ComputeReport] = {}
    for i, ind in enumerate(indicators):
        if progress is not None:
            progress(i, len(indicators), ind.code)
        if ind.code in done:
            continue  # computed with another member of its disclosure group
        try:
            report = compute_indicator(ind, by=by, frames=frames)
        except ResultsError as exc:
            report = ComputeReport(indicator=ind.code, error=str(exc))
        for r in (report, *report.linked):
            done[r.indicator] = r
    reports = [done[ind.code] for ind in indicators if ind.code in done]
    if progress is not None:
        progress(len(indicators), len(indicators), "klart")
    return reports


# --- queries ----------------------------------------------------------------------------


def _public(row: dict[str, Any], indicator_type: str) -> dict[str, Any]:
    """Blank the numbers of a row that is not ``ok`` (belt and braces over the engine).

    The denominator of a suppressed row is blanked as the engine does it: for
    proportions and means (it counts the numerator's people); a rate's, count's or
    DSR's population stays (``engine.PERSON_DENOMINATOR_TYPES``, docs/methods/indicators.md).
    """
    if row.get("status") != "ok":
        for name in _HIDDEN_UNLESS_OK:
            row[name] = None
        if row.get("status") == "suppressed" and indicator_type in engine.PERSON_DENOMINATOR_TYPES:
            row["denominator"] = None
    return row


def _missing_row(unit: Unit, period: int | None, sex: str, age_group: str) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(RESULT_FIELDS)
    row.update(
        unit_code=unit.code,
        unit_name=unit.name,
        level=unit.level,
        period=period,
        sex=sex,
        age_group=age_group,
        status="missing",
        method="",
    )
    return row


def _indicator(indicator: Indicator | str) -> Indicator:
    if isinstance(indicator, Indicator):
        return indicator
    try:
        return Indicator.objects.get(code=indicator)
    except Indicator.DoesNotExist:
        raise ResultsError(f"Ingen indikator med koden '{indicator}' finns.") from None


def latest_period(
    indicator: Indicator, *, level: str | None = None, sex: str = "T", age_group: str = ""
) -> int | None:
    """The latest period with results (at ``level``, for the sex/age group), or None."""
    qs = Result.objects.filter(indicator=indicator, sex=sex, age_group=age_group)
    if level:
        qs = qs.filter(level=level)
    period = qs.order_by("-period").values_list("period", flat=True).first()
    return int(period) if period is not None else None


def geography_units(level: str) -> QuerySet[Unit]:
    """Units of ``level`` that are part of the geography (a kommun has a region)."""
    units = Unit.objects.filter(level=level).order_by("code")
    if level == "kommun":
        units = units.filter(region__isnull=False)
    return units


def kommungrupp_members(code: str, edition: str = KOMMUNGRUPP_EDITION) -> set[str]:
    """Unit codes of kommungrupp ``code`` in SKR's ``edition``."""
    return kommungrupper.members(edition, code)


def _edition(edition: str | None, period: int | None) -> str:
    """The asked edition, else the one in force for ``period``; ResultsError if unknown."""
    try:
        asked = kommungrupper.check_edition(edition)
    except ValueError as exc:
        raise ResultsError(str(exc)) from None
    return asked or kommungrupper.edition_for_period(period)


def _regroup(
    ind: Indicator, rows: list[dict[str, Any]], edition: str, cell: QuerySet[Result]
) -> None:
    """Compare kommun ``rows`` with their kommungrupp of ``edition`` where the stored
    comparison used another edition (in place; ``group_edition`` says which was used).

    Why not rerun the engine: the stored results are suppressed for the edition in force,
    so the other edition's group value is derived from *published* rows only — the sum of
    the members' numerators over the sum of their denominators (times the multiplier;
    a count's is the sum), exactly the engine's aggregate when every member is shown, and
    nothing a reader could not compute. A group with a suppressed or missing member, and
    DSR or value-only indicators (no summable numerators), get no group value (None,
    ``vs_group = "not_compared"``). ``vs_group`` is the Fingertips interval test
    (:func:`datasmart.stats.comparison.compare`) for proportions and rates with intervals.
    """
    todo = [r for r in rows if r.get("level") == "kommun" and r.get("group_edition") != edition]
    if not todo:
        return
    grouping = kommungrupper.membership(edition)
    published = {
        code: (status, num, den)
        for code, status, num, den in cell.filter(level="kommun").values_list(
            "unit__code", "status", "numerator", "denominator"
        )
    }
    totals: dict[str, tuple[float, float] | None] = {}
    for code, group in grouping.items():
        if group in totals and totals[group] is None:
            continue
        status, num, den = published.get(code, ("missing", None, None))
        if status == "not_applicable":
            totals.setdefault(group, (0.0, 0.0))
            continue
        if status != "ok" or num is None or den is None:
            totals[group] = None
            continue
        acc = totals.setdefault(group, (0.0, 0.0))
        if acc is not None:
            totals[group] = (acc[0] + float(num), acc[1] + float(den))
    summable = ind.type in ("proportion", "rate", "mean", "count")
    multiplier = float(ind.multiplier or 1)
    polarity = engine_compare.STATS_POLARITY.get(ind.polarity)
    for row in todo:
        group_code = grouping.get(row["unit_code"])
        total = totals.get(group_code) if group_code else None
        value = None
        if summable and total is not None and total[1] > 0:
            value = total[0] if ind.type == "count" else total[0] / total[1] * multiplier
        vs = engine_compare.NOT_COMPARED
        if (
            value is not None
            and ind.type in ("proportion", "rate")
            and row.get("lower") is not None
            and row.get("upper") is not None
        ):
            vs = str(compare([row["lower"]], [row["upper"]], [value], polarity=polarity)[0])
        row.update(group_code=group_code, group_value=value, vs_group=vs, group_edition=edition)


def query_results(
    indicator: Indicator | str,
    *,
    level: str = "kommun",
    period: int | None = None,
    sex: str = "T",
    age_group: str = "",
    kommungrupp: str | None = None,
    unit: str | None = None,
    kommungrupp_edition: str | None = None,
) -> list[dict[str, Any]]:
    """One row per unit of ``level`` (by code) for one period, sex and age group.

    ``kommungrupp_edition`` (``"2017"``/``"2023"``) compares kommuner with the groups of
    that SKR edition instead of the one in force for the period (:func:`_regroup`); it
    also decides the members of ``kommungrupp``. Each row's ``group_edition`` says which
    edition its ``group_*`` columns use.

    ``period`` None → the latest period with results at that level. Rows have
    ``unit_code``, ``unit_name``, ``level`` and :data:`RESULT_FIELDS`; a unit without a
    result gets ``status = "missing"``; rows that are not ``ok`` carry no value, interval
    or numerator. ``kommungrupp`` (a code such as ``"B3"``) and ``unit`` narrow the units.
    """
    ind = _indicator(indicator)
    if level not in LEVELS:
        raise ResultsError(f"Okänd nivå '{level}'; välj bland {', '.join(LEVELS)}.")
    if period is None:
        period = latest_period(ind, level=level, sex=sex, age_group=age_group)
    units = geography_units(level)
    if unit:
        units = units.filter(code=unit)
    edition = _edition(kommungrupp_edition, period)
    if kommungrupp:
        units = units.filter(code__in=kommungrupp_members(kommungrupp, edition))
    cell = Result.objects.filter(indicator=ind, level=level, sex=sex, age_group=age_group)
    stored = (
        {r["unit_id"]: r for r in cell.filter(period=period).values("unit_id", *RESULT_FIELDS)}
        if period is not None
        else {}
    )
    rows = []
    for u in units:
        found = stored.get(u.pk)
        if found is None:
            rows.append(_missing_row(u, period, sex, age_group))
            continue
        found.pop("unit_id")
        row = {"unit_code": u.code, "unit_name": u.name, "level": u.level, **found}
        rows.append(_public(row, ind.type))
    if level == "kommun" and period is not None:
        _regroup(ind, rows, edition, cell.filter(period=period))
    return rows


def available_filters(indicator: Indicator | str) -> dict[str, list[Any]]:
    """What :func:`query_results` can be asked for: ``periods`` (ascending), ``sexes``
    (T, 1, 2 order), ``age_groups`` ("" first) and ``levels`` (nation first)."""
    ind = _indicator(indicator)
    qs = Result.objects.filter(indicator=ind).order_by()
    periods = sorted(set(qs.values_list("period", flat=True).distinct()))
    sexes = set(qs.values_list("sex", flat=True).distinct())
    ages = set(qs.values_list("age_group", flat=True).distinct())
    levels = set(qs.values_list("level", flat=True).distinct())
    return {
        "periods": periods,
        "sexes": [s for s in ("T", "1", "2") if s in sexes],
        "age_groups": sorted(ages, key=_age_key),
        "levels": [lv for lv in LEVELS if lv in levels],
    }


def _age_key(age_group: str) -> tuple[int, int, str]:
    """ "" first, then by the band's first age ("5-9" before "10-14")."""
    digits = ""
    for ch in age_group:
        if not ch.isdigit():
            break
        digits += ch
    return (age_group != "", int(digits) if digits else -1, age_group)


def stale_indicators() -> list[str]:
    """Codes of indicators whose results are older than their data or definition.

    Stale: observations but no results, an import batch newer than the newest result, or
    a definition edited (catalogue sync, admin) after it.
    """
    from django.db.models import Exists, OuterRef, Subquery

    from .models import ImportBatch

    newest_result = Result.objects.filter(indicator=OuterRef("pk")).order_by("-computed_at")
    newest_batch = ImportBatch.objects.filter(indicators=OuterRef("pk")).order_by("-created_at")
    qs = (
        Indicator.objects.filter(Exists(Observation.objects.filter(indicator=OuterRef("pk"))))
        .annotate(
            computed=Subquery(newest_result.values("computed_at")[:1]),
            loaded=Subquery(newest_batch.values("created_at")[:1]),
        )
        .order_by("code")
    )
    return [
        i.code
        for i in qs
        if i.computed is None  # type: ignore[attr-defined]
        or (i.loaded is not None and i.loaded > i.computed)  # type: ignore[attr-defined]
        or i.updated_at > i.computed  # type: ignore[attr-defined]
    ]


def national_series(
    indicator: Indicator | str, sex: str = "T", age_group: str = ""
) -> list[tuple[int, float | None, float | None, float | None]]:
    """``(period, value, lower, upper)`` for the nation, one per period with any results
    for this sex and age group (None where the nation is not ``ok``, e.g. missing)."""
    ind = _indicator(indicator)
    base = Result.objects.filter(indicator=ind, sex=sex, age_group=age_group)
    periods = sorted(set(base.order_by().values_list("period", flat=True).distinct()))
    nation = {
        r["period"]: r
        for r in base.filter(level="nation").values("period", "value", "lower", "upper", "status")
    }
    out: list[tuple[int, float | None, float | None, float | None]] = []
    for p in periods:
        r = nation.get(p)
        if r is None or r["status"] != "ok":
            out.append((int(p), None, None, None))
        else:
            out.append((int(p), r["value"], r["lower"], r["upper"]))
    return out


def unit_series(
    indicator: Indicator | str, unit_code: str, sex: str = "T", age_group: str = ""
) -> list[dict[str, Any]]:
    """A unit's results by period (all :data:`RESULT_FIELDS`, status-aware)."""
    ind = _indicator(indicator)
    try:
        unit = Unit.objects.get(code=unit_code)
    except Unit.DoesNotExist:
        raise ResultsError(f"Ingen enhet med koden '{unit_code}' finns.") from None
    rows = Result.objects.filter(indicator=ind, unit=unit, sex=sex, age_group=age_group)
    return [
        _public(
            {"unit_code": unit.code, "unit_name": unit.name, "level": unit.level, **r}, ind.type
        )
        for r in rows.order_by("period").values(*RESULT_FIELDS)
    ]


def _quartiles(values: list[float]) -> dict[str, float | None]:
    """Minimum, quartiles and maximum of ``values``.

    Quartiles by linear interpolation between order statistics, Hyndman & Fan (1996)
    definition 7 (R's default, numpy's ``linear``; ``statistics.quantiles(method=
    "inclusive")``): with sorted values x(1) <= … <= x(n), h = (n − 1)·p + 1 and
    Q(p) = x(⌊h⌋) + (h − ⌊h⌋)·(x(⌊h⌋ + 1) − x(⌊h⌋)), so the median of an even count is
    the mean of the two middle values and Q1/Q3 never leave the data's range.
    Reference: Hyndman, R. J. & Fan, Y. (1996), Sample quantiles in statistical
    packages, *The American Statistician* 50(4), 361–365."""
    if not values:
        return {"min": None, "q1": None, "median": None, "q3": None, "max": None}
    values = sorted(values)
    if len(values) == 1:
        q1 = med = q3 = values[0]
    else:
        q1, med, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return {"min": values[0], "q1": q1, "median": med, "q3": q3, "max": values[-1]}


QUARTILE_POSITIONS: tuple[str, ...] = ("below_q1", "q1_q3", "above_q3")
"""Where a value lies against the quartiles of its level (:func:`quartile_position`)."""


def quartile_position(value: float | None, q1: float | None, q3: float | None) -> str | None:
    """``below_q1`` (value < Q1), ``above_q3`` (value > Q3) or ``q1_q3`` (the middle
    half, bounds included); None without a value or quartiles.

    Why: value-only indicators (Kolada's kommun KPIs) have no national value to compare
    with, so a unit is placed in the distribution of all units of its level instead —
    a description, not a significance test (there are no intervals)."""
    if value is None or q1 is None or q3 is None:
        return None
    if value < q1:
        return "below_q1"
    if value > q3:
        return "above_q3"
    return "q1_q3"


def distribution(
    indicator: Indicator | str,
    *,
    level: str,
    period: int,
    sex: str = "T",
    age_group: str = "",
    kommungrupp: str | None = None,
    kommungrupp_edition: str | None = None,
) -> dict[str, Any]:
    """``n``, ``min``, ``q1``, ``median``, ``q3``, ``max`` of the ``ok`` values of all
    units of ``level`` (or only the members of ``kommungrupp``) in one cell — the
    reference that value-only indicators are compared with (see :func:`_quartiles` for
    the quantile definition). The group's members are those of ``kommungrupp_edition``,
    by default the edition in force for ``period``; ``edition`` in the answer says which."""
    ind = _indicator(indicator)
    edition = _edition(kommungrupp_edition, period)
    cell = Result.objects.filter(
        indicator=ind, level=level, period=period, sex=sex, age_group=age_group, status="ok"
    )
    if kommungrupp:
        cell = cell.filter(unit__code__in=kommungrupp_members(kommungrupp, edition))
    values = [float(v) for v in cell.values_list("value", flat=True) if v is not None]
    return {"n": len(values), "edition": edition, **_quartiles(values)}


def unit_kommungrupp(unit: Unit, edition: str = KOMMUNGRUPP_EDITION) -> ComparatorMembership | None:
    """The kommun's SKR kommungrupp in ``edition``, or None."""
    return (
        ComparatorMembership.objects.filter(
            unit=unit, group__kind=KOMMUNGRUPP_KIND, group__edition=edition
        )
        .select_related("group")
        .first()
    )


def unit_profile(
    unit_code: str,
    period: int | None = None,
    *,
    sex: str = "T",
    age_group: str = "",
    kommungrupp_edition: str | None = None,
) -> list[dict[str, Any]]:
    """One row per indicator with results at the unit's level (Fingertips spine chart).

    Each row: indicator ``code``, ``title_sv``, ``value_unit``, ``polarity``, ``domain``,
    ``period`` (``period`` if given, else the indicator's latest at that level), the
    unit's ``value``/``lower``/``upper``/``status``/``vs_nation``, ``national_value``,
    ``n``, ``min``, ``q1``, ``median``, ``q3``, ``max`` of the level's ok values and
    ``vs_quartiles`` (:func:`quartile_position` against them); for a kommun also its
    kommungrupp's ``group_code``, ``group_name``, ``group_n``, ``group_q1``,
    ``group_median``, ``group_q3`` and ``vs_group_quartiles``. Indicators without a
    national value (Kolada's kommun KPIs) are compared with these instead. The
    kommungrupp is that of ``kommungrupp_edition``, by default the edition in force for
    each indicator's period; ``group_edition`` says which.
    """
    try:
        unit = Unit.objects.get(code=unit_code)
    except Unit.DoesNotExist:
        raise ResultsError(f"Ingen enhet med koden '{unit_code}' finns.") from None
    out = []
    by_edition: dict[str, tuple[ComparatorMembership | None, set[str]]] = {}

    def group_of(edition: str) -> tuple[ComparatorMembership | None, set[str]]:
        if edition not in by_edition:
            found = unit_kommungrupp(unit, edition) if unit.level == "kommun" else None
            by_edition[edition] = (
                found,
                kommungrupp_members(found.group.code, edition) if found else set(),
            )
        return by_edition[edition]

    indicator_ids = (
        Result.objects.filter(level=unit.level, sex=sex, age_group=age_group)
        .order_by()
        .values_list("indicator_id", flat=True)
        .distinct()
    )
    for ind in Indicator.objects.filter(pk__in=list(indicator_ids)).order_by("code"):
        per = (
            period
            if period is not None
            else latest_period(ind, level=unit.level, sex=sex, age_group=age_group)
        )
        if per is None:
            continue
        edition = _edition(kommungrupp_edition, per)
        membership, group_members = group_of(edition)
        cell = Result.objects.filter(
            indicator=ind, level=unit.level, period=per, sex=sex, age_group=age_group
        )
        ok_values = [
            (code, float(v))
            for code, v in cell.filter(status="ok").values_list("unit__code", "value")
            if v is not None
        ]
        values = [v for _c, v in ok_values]
        group = _quartiles([v for c, v in ok_values if c in group_members])
        spread = _quartiles(values)
        own = cell.filter(unit=unit).values("value", "lower", "upper", "status", "vs_nation")
        mine = _public(dict(own[0]), ind.type) if own else {"status": "missing"}
        own_value = float(mine["value"]) if mine.get("value") is not None else None
        national = (
            Result.objects.filter(
                indicator=ind, level="nation", period=per, sex=sex, age_group=age_group,
                status="ok",
            )
            .values_list("value", flat=True)
            .first()
        )  # fmt: skip
        out.append(
            {
                "code": ind.code,
                "title_sv": ind.title_sv,
                "title_en": ind.title_en,
                "value_unit": ind.value_unit,
                "polarity": ind.polarity,
                "domain": ind.domain,
                "period": per,
                "unit_code": unit.code,
                "unit_name": unit.name,
                "level": unit.level,
                "value": mine.get("value"),
                "lower": mine.get("lower"),
                "upper": mine.get("upper"),
                "status": mine.get("status", "missing"),
                "vs_nation": mine.get("vs_nation"),
                "national_value": national,
                "n": len(values),
                **spread,
                "vs_quartiles": quartile_position(own_value, spread["q1"], spread["q3"]),
                "group_code": membership.group.code if membership else None,
                "group_name": membership.group.name if membership else None,
                "group_edition": edition if membership else None,
                "group_n": sum(1 for c, _v in ok_values if c in group_members),
                "group_q1": group["q1"],
                "group_median": group["median"],
                "group_q3": group["q3"],
                "vs_group_quartiles": quartile_position(own_value, group["q1"], group["q3"])
                if membership
                else None,
            }
        )
    return out


def comparison_summary(
    indicator: Indicator | str,
    *,
    level: str = "kommun",
    period: int | None = None,
    sex: str = "T",
    age_group: str = "",
) -> dict[str, Any]:
    """Counts of each outcome of ``vs_nation``, ``vs_group`` and ``vs_previous`` (and of
    ``status``) over the units of a level in one period (latest by default)."""
    rows = query_results(indicator, level=level, period=period, sex=sex, age_group=age_group)
    summary: dict[str, Any] = {
        "period": rows[0]["period"] if rows else period,
        "level": level,
        "sex": sex,
        "age_group": age_group,
        "units": len(rows),
    }
    for name in ("status", "vs_nation", "vs_group", "vs_previous"):
        counts: dict[str, int] = {}
        for r in rows:
            key = r.get(name) or "not_compared"
            counts[key] = counts.get(key, 0) + 1
        summary[name] = dict(sorted(counts.items()))
    return summary


# --- export -----------------------------------------------------------------------------


def attribution_text(indicator: Indicator) -> str:
    """The catalogue's attribution ("Källa: Kolada") with "Källa" in the active language.

    Why here: pages, API answers and every export of the indicator's figures carry the
    same text, as the source licences ask (Kolada: "Källa: Kolada"); the publisher's name
    is a proper name and stays as written.
    """
    from django.utils.translation import gettext as _

    text = indicator.attribution or ""
    prefix = "Källa: "
    return f"{_('Källa')}: {text[len(prefix) :]}" if text.startswith(prefix) else text


def export_about(indicator: Indicator) -> list[tuple[str, str]]:
    """(label, text) rows of the export's "källa" sheet: what a reader must cite and may do."""
    from django.utils.translation import gettext as _

    return [
        (_("Indikator"), f"{indicator.code}: {indicator.title_sv}"),
        (_("Källa"), indicator.source or ""),
        (_("Licens"), indicator.licence or ""),
        (_("Källhänvisning"), attribution_text(indicator)),
    ]


def export_rows(indicator: Indicator | str, **filters: Any) -> list[dict[str, Any]]:
    """:func:`query_results` rows shaped as :data:`EXPORT_COLUMNS`; ``value_rounded`` by
    the one rounding the pages use; ``source`` the attribution on every row."""
    ind = _indicator(indicator)
    rows = query_results(ind, **filters)
    decimals = rounding.decimals_for(ind)
    source = attribution_text(ind)
    for r in rows:
        r["value_rounded"] = rounding.rounded(r.get("value"), decimals)
        r["denominator_note"] = denominator_note(r.get("period"), r.get("denominator_year"))
        r["source"] = source
    return [{"indicator": ind.code, **{c: r.get(c) for c in EXPORT_COLUMNS[1:]}} for r in rows]


def write_export(
    rows: Iterable[dict[str, Any]],
    fmt: str,
    path: Path,
    *,
    about: Sequence[tuple[str, str]] = (),
) -> int:
    """Write export rows as ``csv`` (UTF-8 with BOM, blank for empty), ``xlsx`` or ``json``.

    ``about`` (:func:`export_about`) becomes a second Excel sheet "källa" with source,
    licence and attribution; CSV and JSON carry the attribution in each row's ``source``.
    Returns the number of rows written.
    """
    rows = list(rows)
    columns = list(EXPORT_COLUMNS)
    if fmt == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:  # BOM: Excel reads å
            writer = csv.writer(fh)
            writer.writerow(columns)
            for r in rows:
                writer.writerow(["" if r.get(c) is None else r.get(c) for c in columns])
    elif fmt == "json":
        path.write_text(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    elif fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("resultat")
        ws.append(columns)
        for r in rows:
            ws.append([r.get(c) for c in columns])
        if about:
            sheet = wb.create_sheet("källa")
            for label, text in about:
                sheet.append([label, text])
        wb.save(path)
    else:
        raise ResultsError(f"Okänt format '{fmt}'; välj csv, xlsx eller json.")
    return len(rows)
