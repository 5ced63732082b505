"""Load the real indicator data in ``DATASMART_DATA_DIR/indicators`` (see its SOURCE.md).

Each source file is read as text, mapped row by row to the standard import columns and
checked by the same :func:`~datasmart.indicators.imports.validate_rows` as a user's
upload, with problems reported in the source file's own row and column names. All files
are checked before anything is written; then one transaction writes every changed
dataset. A dataset whose file SHA-256 (and indicator set) equals its last load is skipped,
so :func:`load_real_indicators` is idempotent. The catalogue is synced first.

- ``self_harm_lan`` (self_harm_inpatient_lan_2023.csv) → ``self-harm-inpatients``: 21 län
  × sex; the Riket row is checked against the sum of the län, not stored.
- ``psychiatric_inpatients`` (psychiatric_inpatients_riket_1988_2023.csv) →
  ``psychiatric-inpatients``: Riket × sex × age group.
- ``self_harm_riket_rates`` (self_harm_inpatient_riket_rates_2001_2023.csv) →
  ``self-harm-inpatient-rate-national``: Riket, rates only.
- ``adhd_medication`` (adhd_medication_region_2006_2024.csv) → ``adhd-medication-*`` (5):
  21 regions + Riket, rates only.
- ``kolada_barn_unga`` (kolada_barn_unga_kommun_2010_2024.csv) → ``kolada-*`` (23): 290
  kommuner, values only.
- ``nasp_suicide_15plus``, ``nasp_suicide_agestd`` (NASP) and ``kolada_suicide_25plus``
  (Kolada N61603) → ``suicide-rate-15plus-nasp``, ``suicide-rate-agestd-nasp``,
  ``suicide-rate-25plus-kolada``: 21 län + Riket (the source's own row), rates only; the
  population each file defines (sex, age group, rate type) is checked on every row.
- ``riket_suicide_counts`` → ``suicide-deaths-certain-national`` (X60–X84) and
  ``suicide-deaths-certain-uncertain-national`` (X60–X84 + Y10–Y34), split by the
  ``definition`` column: the two definitions are never mixed.
- ``riket_suicide_2019`` → ``suicide-rate-certain-national-2019``: counts + rates, so the
  denominator is known and a Byar interval is computed.
- ``kolada_psychiatry_region`` → ``bup-started-within-30-days`` (U79119),
  ``adult-psychiatry-first-visit-90-days`` (U79049), ``psychiatry-overcrowding`` (U79149),
  ``psychiatry-cost-per-inhabitant`` (N74000): 21 regions + Riket, values only; U79119's
  published 0 % is stored as missing (a reporting failure, SOURCE.md).
- ``population:<code>`` (geo population) → ``population-share-0-17``,
  ``population-share-65plus``: every unit and year with population by age.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from django.conf import settings
from django.db import transaction

from datasmart.accounts.audit import SYSTEM
from datasmart.geo.models import NATION_CODE, Unit
from datasmart.geo.validation import DataLoadError, Problem

from .catalogue import SyncReport, sync_catalogue
from .imports import Context, RawRow, RawTable, read_csv_table, validate_rows
from .models import ImportBatch, ImportKind, Indicator
from .population import (
    PopulationLookup,
    population_dataset,
    population_fingerprint,
    population_rows,
)
from .writes import CleanRow, indicator_codes, write_batch

ProgressCallback = Callable[[str, int, int], None]

#: Kolada's status words → observation status.
KOLADA_STATUS: Final = {
    "": "ok",
    "Missing": "missing",
    "Privacy": "suppressed_at_source",
    "Not applicable": "not_applicable",
}
#: Kolada's gender → SCB sex code (M = män, K = kvinnor, T = totalt).
KOLADA_GENDER: Final = {"M": "1", "K": "2", "T": "T"}
#: The ADHD file's substance names → indicator codes. The file's atc_code column agrees
#: with every name and with the catalogue's ``source_code`` (tested), so either key works.
ADHD_SUBSTANCES: Final = {
    "Metylfenidat": "adhd-medication-methylphenidate",
    "Lisdexamfetamin": "adhd-medication-lisdexamfetamine",
    "Atomoxetin": "adhd-medication-atomoxetine",
    "Dexamfetamin": "adhd-medication-dexamfetamine",
    "Guanfacin": "adhd-medication-guanfacine",
}


def _all_ages(value: str | None) -> str:
    return "" if (value or "").strip() == "all" else (value or "").strip()


def _self_harm_lan(r: RawRow) -> RawRow | None:
    if r["lan_code"] == NATION_CODE:
        return None  # Riket is reproduced by summing the län (checked in _check_self_harm_sum)
    return {
        "indicator": "self-harm-inpatients",
        "unit_code": r["lan_code"],
        "period": r["year"],
        "sex": r["sex"],
        "numerator": r["patients"],
        "denominator": r["mean_population_derived"],
        "value": r["rate_per_100000"],
    }


def _psychiatric(r: RawRow) -> RawRow:
    return {
        "indicator": "psychiatric-inpatients",
        "unit_code": r["lan_code"],
        "period": r["year"],
        "sex": r["sex"],
        "age_group": _all_ages(r["age_group"]),
        "numerator": r["patients"],
        "denominator": r["mean_population_derived"],
        "value": r["rate_per_100000"],
    }


def _self_harm_rates(r: RawRow) -> RawRow:
    empty = not (r["rate_per_100000"] or "").strip()
    return {
        "indicator": "self-harm-inpatient-rate-national",
        "unit_code": r["lan_code"],
        "period": r["year"],
        "sex": r["sex"],
        "age_group": _all_ages(r["age_group"]),
        "value": r["rate_per_100000"],
        "status": "missing" if empty else "ok",
    }


def _adhd(r: RawRow) -> RawRow:
    substance = (r["substance"] or "").strip()
    return {
        "indicator": ADHD_SUBSTANCES.get(substance, f"okänd substans '{substance}'"),
        "unit_code": r["lan_code"],
        "period": r["year"],
        "sex": r["sex"],
        "age_group": r["age_group"],
        "value": r["patients_per_1000"],
    }


def _kolada(r: RawRow) -> RawRow:
    status = (r["status"] or "").strip()
    gender = (r["gender"] or "").strip()
    return {
        "indicator": f"kolada-{(r['kpi_id'] or '').strip().lower()}",
        "unit_code": r["kommun_code"],
        "period": r["year"],
        "sex": KOLADA_GENDER.get(gender, gender),
        "value": r["value"],
        "status": KOLADA_STATUS.get(status, status),
    }


#: The suicide files' ``definition`` column → indicator. The two definitions are never
#: mixed: each has its own indicator, and an unknown definition is refused (unknown code).
SUICIDE_DEFINITIONS: Final = {
    "X60-X84 (säkra)": "suicide-deaths-certain-national",
    "X60-X84 + Y10-Y34 (säkra och osäkra)": "suicide-deaths-certain-uncertain-national",
}
#: kolada_psychiatry_region.csv's KPI → indicator.
KOLADA_PSYCHIATRY: Final = {
    "U79119": "bup-started-within-30-days",
    "U79049": "adult-psychiatry-first-visit-90-days",
    "U79149": "psychiatry-overcrowding",
    "N74000": "psychiatry-cost-per-inhabitant",
}
#: KPIs where a published 0 is a reporting failure, not a real value (SOURCE.md: U79119
#: 0 % for Jämtland Härjedalen 2016–2017 and Sörmland 2023, "treat as missing").
KOLADA_ZERO_IS_MISSING: Final = frozenset({"U79119"})


def _suicide_rate(code: str) -> Callable[[RawRow], RawRow]:
    """A published län rate (no counts) → a ``value`` row; Riket ('00') is kept as the
    source's own national value. The file's population (age group, rate type) is fixed
    per file and checked by :attr:`Source.fixed`."""

    def transform(r: RawRow) -> RawRow:
        return {
            "indicator": code,
            "unit_code": r["lan_code"],
            "period": r["year"],
            "sex": r["sex"],
            "value": r["suicide_rate_per_100000"],
        }

    return transform


def _suicide_kolada(r: RawRow) -> RawRow:
    kpi = (r["kpi_id"] or "").strip()
    return {
        "indicator": "suicide-rate-25plus-kolada" if kpi == "N61603" else f"okänt KPI '{kpi}'",
        "unit_code": r["lan_code"],
        "period": r["year"],
        "sex": r["sex"],
        "value": r["suicide_rate_per_100000"],
    }


def _suicide_counts(r: RawRow) -> RawRow:
    definition = (r["definition"] or "").strip()
    return {
        "indicator": SUICIDE_DEFINITIONS.get(definition, f"okänd definition '{definition}'"),
        "unit_code": r["lan_code"],
        "period": r["year"],
        "sex": r["sex"],
        "age_group": _all_ages(r["age_group"]),
        "numerator": r["deaths"],
    }


def _suicide_2019(r: RawRow) -> RawRow:
    definition = (r["definition"] or "").strip()
    certain = definition == "X60-X84 (säkra)"
    return {
        "indicator": "suicide-rate-certain-national-2019"
        if certain
        else f"okänd definition '{definition}'",
        "unit_code": r["lan_code"],
        "period": r["year"],
        "sex": r["sex"],
        "age_group": _all_ages(r["age_group"]),
        "numerator": r["deaths"],
        "denominator": r["mean_population_derived"],
        "value": r["rate_per_100000"],
    }


def _kolada_psychiatry(r: RawRow) -> RawRow:
    kpi = (r["kpi_id"] or "").strip()
    value = (r["value"] or "").strip()
    zero = kpi in KOLADA_ZERO_IS_MISSING and value.replace(".", "").strip("0") == "" and value
    return {
        "indicator": KOLADA_PSYCHIATRY.get(kpi, f"okänt KPI '{kpi}'"),
        "unit_code": r["lan_code"],
        "period": r["year"],
        "value": "" if zero else value,
        "status": "missing" if zero else "ok",
    }


@dataclass(frozen=True)
class Source:
    """One reference file and how its rows become standard import rows."""

    dataset: str
    relpath: str
    columns: tuple[str, ...]
    column_names: dict[str, str]
    transform: Callable[[RawRow], RawRow | None]
    #: Columns every row must hold exactly this value in: the population an indicator
    #: defines (e.g. age group "15+") when the file repeats it on every row. A row with
    #: another value would otherwise be loaded as if it were the same measure.
    fixed: dict[str, str] = field(default_factory=dict)


SOURCES: Final = (
    Source(
        "self_harm_lan",
        "indicators/self_harm_inpatient_lan_2023.csv",
        ("year", "lan_code", "sex", "patients", "rate_per_100000", "mean_population_derived"),
        {
            "indicator": "lan_code",
            "unit_code": "lan_code",
            "period": "year",
            "numerator": "patients",
            "denominator": "mean_population_derived",
            "value": "rate_per_100000",
        },
        _self_harm_lan,
    ),
    Source(
        "psychiatric_inpatients",
        "indicators/psychiatric_inpatients_riket_1988_2023.csv",
        (
            "year",
            "lan_code",
            "sex",
            "age_group",
            "patients",
            "rate_per_100000",
            "mean_population_derived",
        ),
        {
            "indicator": "lan_code",
            "unit_code": "lan_code",
            "period": "year",
            "numerator": "patients",
            "denominator": "mean_population_derived",
            "value": "rate_per_100000",
        },
        _psychiatric,
    ),
    Source(
        "self_harm_riket_rates",
        "indicators/self_harm_inpatient_riket_rates_2001_2023.csv",
        ("year", "lan_code", "sex", "age_group", "rate_per_100000"),
        {
            "indicator": "lan_code",
            "unit_code": "lan_code",
            "period": "year",
            "value": "rate_per_100000",
        },
        _self_harm_rates,
    ),
    Source(
        "adhd_medication",
        "indicators/adhd_medication_region_2006_2024.csv",
        ("year", "substance", "lan_code", "sex", "age_group", "patients_per_1000"),
        {
            "indicator": "substance",
            "unit_code": "lan_code",
            "period": "year",
            "value": "patients_per_1000",
        },
        _adhd,
    ),
    Source(
        "kolada_barn_unga",
        "indicators/kolada_barn_unga_kommun_2010_2024.csv",
        ("kpi_id", "kommun_code", "year", "gender", "value", "status"),
        {
            "indicator": "kpi_id",
            "unit_code": "kommun_code",
            "period": "year",
            "sex": "gender",
        },
        _kolada,
    ),
    Source(
        "nasp_suicide_15plus",
        "indicators/nasp_lan_suicide_rate_15plus_2018_2022.csv",
        ("year", "lan_code", "sex", "age_group", "suicide_rate_per_100000"),
        {
            "indicator": "age_group",
            "unit_code": "lan_code",
            "period": "year",
            "value": "suicide_rate_per_100000",
        },
        _suicide_rate("suicide-rate-15plus-nasp"),
        {"sex": "T", "age_group": "15+"},
    ),
    Source(
        "nasp_suicide_agestd",
        "indicators/nasp_lan_suicide_rate_agestd_2006_2016.csv",
        ("year", "lan_code", "sex", "age_group", "rate_type", "suicide_rate_per_100000"),
        {
            "indicator": "rate_type",
            "unit_code": "lan_code",
            "period": "year",
            "value": "suicide_rate_per_100000",
        },
        _suicide_rate("suicide-rate-agestd-nasp"),
        {
            "sex": "T",
            "age_group": "all ages",
            "rate_type": "age-standardised (mean population 2000)",
        },
    ),
    Source(
        "kolada_suicide_25plus",
        "indicators/kolada_N61603_suicide_rate_25plus_region_2016_2024.csv",
        ("kpi_id", "year", "lan_code", "sex", "age_group", "rate_type", "suicide_rate_per_100000"),
        {
            "indicator": "kpi_id",
            "unit_code": "lan_code",
            "period": "year",
            "value": "suicide_rate_per_100000",
        },
        _suicide_kolada,
        {
            "sex": "T",
            "age_group": "25+",
            "rate_type": "age-standardised, 5-year mean, X60-X84 (säkra)",
        },
    ),
    Source(
        "riket_suicide_counts",
        "indicators/riket_suicide_counts_by_age_sex.csv",
        ("year", "lan_code", "sex", "age_group", "definition", "deaths"),
        {
            "indicator": "definition",
            "unit_code": "lan_code",
            "period": "year",
            "numerator": "deaths",
        },
        _suicide_counts,
    ),
    Source(
        "riket_suicide_2019",
        "indicators/riket_suicide_2019_counts_rates_age_sex.csv",
        (
            "year",
            "lan_code",
            "sex",
            "age_group",
            "definition",
            "deaths",
            "rate_per_100000",
            "mean_population_derived",
        ),
        {
            "indicator": "definition",
            "unit_code": "lan_code",
            "period": "year",
            "numerator": "deaths",
            "denominator": "mean_population_derived",
            "value": "rate_per_100000",
        },
        _suicide_2019,
    ),
    Source(
        "kolada_psychiatry_region",
        "indicators/kolada_psychiatry_region.csv",
        ("kpi_id", "year", "lan_code", "value"),
        {
            "indicator": "kpi_id",
            "unit_code": "lan_code",
            "period": "year",
        },
        _kolada_psychiatry,
    ),
)


@dataclass
class DatasetResult:
    dataset: str
    rows: int
    status: str  # "loaded" or "unchanged"
    indicators: list[str] = field(default_factory=list)


@dataclass
class RealLoadReport:
    """What :func:`load_real_indicators` did."""

    data_dir: Path
    catalogue: SyncReport
    datasets: list[DatasetResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows_loaded(self) -> int:
        return sum(d.rows for d in self.datasets if d.status == "loaded")

    @property
    def changed(self) -> bool:
        return self.catalogue.changed or any(d.status == "loaded" for d in self.datasets)


@dataclass
class _Prepared:
    dataset: str
    file_name: str
    sha256: str
    rows: list[CleanRow]
    indicators: list[Indicator]
    unchanged: bool


def _check_self_harm_sum(source: RawTable) -> list[Problem]:
    """The 21 län must sum exactly to Riket's patients for each sex."""
    lan: dict[str, float] = defaultdict(float)
    riket: dict[str, tuple[int, float]] = {}
    for line, r in source.rows:
        try:
            patients = float(r["patients"] or "")
        except ValueError:
            continue  # reported by the row checks
        if r["lan_code"] == NATION_CODE:
            riket[r["sex"] or ""] = (line, patients)
        else:
            lan[r["sex"] or ""] += patients
    problems = []
    for sex, (line, total) in sorted(riket.items()):
        if lan.get(sex, 0.0) != total:
            problems.append(
                Problem(
                    source.file,
                    line,
                    "patients",
                    f"länen summerar till {lan.get(sex, 0.0):g} patienter (kön {sex}) men riket "
                    f"har {total:g}",
                )
            )
    if not riket:
        problems.append(Problem(source.file, None, "lan_code", "raden för riket ('00') saknas"))
    return problems


def _last_reference_batch(dataset: str) -> ImportBatch | None:
    return (
        ImportBatch.objects.filter(kind=ImportKind.REFERENCE, dataset=dataset)
        .order_by("-created_at", "-id")
        .first()
    )


def _is_unchanged(dataset: str, sha256: str, codes: str) -> bool:
    last = _last_reference_batch(dataset)
    return (
        last is not None
        and last.sha256 == sha256
        and last.indicator_codes == codes
        and (last.row_count == 0 or last.observations.exists())
    )


def _prepare_source(
    source: Source, base: Path, context: Context, *, force: bool
) -> tuple[_Prepared | None, list[Problem]]:
    path = base / source.relpath
    name = source.relpath
    if not path.is_file():
        return None, [Problem(name, None, None, f"filen saknas (letade i {path})")]
    data = path.read_bytes()
    try:
        raw = read_csv_table(data, name)
    except DataLoadError as exc:
        return None, exc.problems
    missing = [c for c in source.columns if c not in raw.columns]
    if missing:
        return None, [
            Problem(name, 1, c, f"kolumnen saknas (rubrikraden har: {', '.join(raw.columns)})")
            for c in missing
        ]
    problems: list[Problem] = list(raw.problems)
    for line, row in raw.rows:
        for column, expected in source.fixed.items():
            if (row.get(column) or "").strip() != expected:
                problems.append(
                    Problem(
                        name,
                        line,
                        column,
                        f"'{row.get(column) or ''}' men filen ska bara innehålla '{expected}' "
                        "(indikatorns definition)",
                    )
                )
    if source.dataset == "self_harm_lan":
        problems += _check_self_harm_sum(raw)
    mapped: list[tuple[int, RawRow]] = []
    for line, row in raw.rows:
        out = source.transform(row)
        if out is not None:
            mapped.append((line, out))
    codes = sorted({r["indicator"] or "" for _, r in mapped})
    table = RawTable(
        name, ImportKind.REFERENCE, raw.sha256, list(mapped[0][1]) if mapped else [], mapped
    )
    unchanged = not force and _is_unchanged(source.dataset, raw.sha256, ",".join(codes))
    if unchanged:
        indicators = [context.indicators[c].indicator for c in codes if c in context.indicators]
        return _Prepared(source.dataset, name, raw.sha256, [], indicators, True), problems
    rows, found = validate_rows(table, context, column_names=source.column_names)
    problems += found
    if problems:
        return None, problems
    indicators = [context.indicators[c].indicator for c in codes]
    return _Prepared(source.dataset, name, raw.sha256, rows, indicators, False), []


def data_dir() -> Path:
    return Path(settings.DATA_DIR)


def load_real_indicators(
    base: Path | None = None,
    *,
    force: bool = False,
    progress: ProgressCallback | None = None,
    by: Any = SYSTEM,
    only: Collection[str] | None = None,
) -> RealLoadReport:
    """Sync the catalogue and load every real indicator dataset (all or nothing).

    Idempotent: unchanged files (same SHA-256) and unchanged population data are skipped;
    ``force`` reloads them. Needs the geography loaded first (``datasmart data load``).
    ``only`` limits the load to those :attr:`Source.dataset` names (no population-based
    indicators): a test or a repair of one file need not read 140 000 Kolada rows.
    Raises :class:`DataLoadError` listing every problem in every file.
    """
    started = time.perf_counter()
    base = base or data_dir()
    notify = progress or (lambda step, done, total: None)
    sources = [s for s in SOURCES if only is None or s.dataset in only]
    if only is not None and len(sources) != len(set(only)):
        known = ", ".join(s.dataset for s in SOURCES)
        raise DataLoadError(
            [Problem("indikatordata", None, None, f"okänd datamängd i {sorted(only)}: {known}")]
        )
    steps = len(sources) + 3
    if not Unit.objects.exists():
        raise DataLoadError(
            [Problem("geografi", None, None, "enheterna saknas: kör först `datasmart data load`")]
        )
    notify("Indikatorkatalog", 0, steps)
    catalogue = sync_catalogue(by=by)
    report = RealLoadReport(base, catalogue)
    context = Context.load()
    prepared: list[_Prepared] = []
    problems: list[Problem] = []
    for done, source in enumerate(sources, start=1):
        notify(f"Kontrollerar {source.relpath}", done, steps)
        item, found = _prepare_source(source, base, context, force=force)
        problems += found
        if item is not None:
            prepared.append(item)
    if problems:
        raise DataLoadError(problems)

    notify("Befolkningsbaserade indikatorer", len(sources) + 1, steps)
    lookup = PopulationLookup(context.unit_objects)
    population_based = Indicator.objects.filter(numerator_population__isnull=False)
    if only is not None:
        population_based = population_based.none()
    for indicator in population_based.order_by("code"):
        dataset = population_dataset(indicator)
        fingerprint = population_fingerprint([indicator])
        if not force and _is_unchanged(dataset, fingerprint, indicator.code):
            prepared.append(
                _Prepared(dataset, "datasmart.geo: befolkning", fingerprint, [], [indicator], True)
            )
            continue
        rows = population_rows(indicator, lookup)
        prepared.append(
            _Prepared(dataset, "datasmart.geo: befolkning", fingerprint, rows, [indicator], False)
        )

    notify("Skriver", len(sources) + 2, steps)
    with transaction.atomic():
        for item in prepared:
            codes = [i.code for i in item.indicators]
            if item.unchanged:
                last = _last_reference_batch(item.dataset)
                report.datasets.append(
                    DatasetResult(item.dataset, last.row_count if last else 0, "unchanged", codes)
                )
                continue
            write_batch(
                rows=item.rows,
                indicators=item.indicators,
                file_name=item.file_name,
                sha256=item.sha256,
                kind=ImportKind.REFERENCE,
                dataset=item.dataset,
                by=by,
                replace_all=True,
            )
            report.datasets.append(DatasetResult(item.dataset, len(item.rows), "loaded", codes))
    notify("Klart", steps, steps)
    report.seconds = time.perf_counter() - started
    return report


__all__ = ["SOURCES", "RealLoadReport", "indicator_codes", "load_real_indicators"]
