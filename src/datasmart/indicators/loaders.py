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
- ``population:<code>`` (geo population) → ``population-share-0-17``,
  ``population-share-65plus``: every unit and year with population by age.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
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


@dataclass(frozen=True)
class Source:
    """One reference file and how its rows become standard import rows."""

    dataset: str
    relpath: str
    columns: tuple[str, ...]
    column_names: dict[str, str]
    transform: Callable[[RawRow], RawRow | None]


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
) -> RealLoadReport:
    """Sync the catalogue and load every real indicator dataset (all or nothing).

    Idempotent: unchanged files (same SHA-256) and unchanged population data are skipped;
    ``force`` reloads them. Needs the geography loaded first (``datasmart data load``).
    Raises :class:`DataLoadError` listing every problem in every file.
    """
    started = time.perf_counter()
    base = base or data_dir()
    notify = progress or (lambda step, done, total: None)
    steps = len(SOURCES) + 3
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
    for done, source in enumerate(SOURCES, start=1):
        notify(f"Kontrollerar {source.relpath}", done, steps)
        item, found = _prepare_source(source, base, context, force=force)
        problems += found
        if item is not None:
            prepared.append(item)
    if problems:
        raise DataLoadError(problems)

    notify("Befolkningsbaserade indikatorer", len(SOURCES) + 1, steps)
    lookup = PopulationLookup(context.unit_objects)
    for indicator in Indicator.objects.filter(numerator_population__isnull=False).order_by("code"):
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

    notify("Skriver", len(SOURCES) + 2, steps)
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
