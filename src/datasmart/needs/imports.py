"""Import of an official population projection (e.g. SCB's befolkningsframskrivning) as
a second scenario beside the platform's own.

File: UTF-8 CSV, comma separated, header ``region,age,sex,year,population`` (extra columns
are ignored). ``region`` is a unit code as the platform spells it (kommun ``0180``, län
``01``, the nation ``00``); ``age`` 0–100 (100 = 100 or older; ``100+`` is accepted);
``sex`` SCB's ``1`` (men) / ``2`` (women); ``year`` the 31 December of the projected year;
``population`` a number ≥ 0 (SCB gives whole persons; other producers give decimals).
Every region and year in the file must have all 101 ages for both sexes, so sums are
complete.

Everything is checked before anything is written; every problem is reported with file, row
(the header is row 1) and column, and the import is refused whole (one transaction).
Nothing in the repository is shipped as SCB's: the importer only stores what it is given,
with the file's name and SHA-256.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from django.db import transaction
from django.utils.translation import gettext as _

from datasmart.geo.loaders import bulk_insert
from datasmart.geo.models import Unit
from datasmart.geo.validation import DataLoadError, Problem
from datasmart.needs.models import ImportedProjection, ImportedProjectionCell
from datasmart.needs.projection import N_AGES

COLUMNS = ("region", "age", "sex", "year", "population")
MAX_PROBLEMS_PER_COLUMN = 20
SCENARIO_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
RESERVED_SCENARIOS = {"platform"}


@dataclass(frozen=True)
class ImportReport:
    scenario: str
    rows: int
    regions: int
    first_year: int
    last_year: int
    sha256: str


def import_projection(
    path: Path,
    *,
    scenario: str,
    title: str,
    publisher: str,
    source: str = "",
) -> ImportReport:
    """Validate ``path`` whole, then replace the scenario's cells in one transaction.

    Raises :class:`DataLoadError` listing every problem (nothing written)."""
    name = path.name
    if not SCENARIO_PATTERN.match(scenario) or scenario in RESERVED_SCENARIOS:
        raise DataLoadError(
            [
                Problem(
                    name,
                    None,
                    None,
                    _(
                        "scenariots namn '%(s)s' är ogiltigt: små bokstäver, siffror och "
                        "bindestreck ('platform' är reserverat)"
                    )
                    % {"s": scenario},
                )
            ]
        )
    if not title.strip() or not publisher.strip():
        raise DataLoadError([Problem(name, None, None, _("titel och utgivare måste anges"))])
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataLoadError(
            [Problem(name, None, None, _("filen kan inte läsas: %(e)s") % {"e": exc.strerror})]
        ) from None
    frame = _parse(name, raw)
    units = dict(Unit.objects.values_list("code", "id"))
    frame = _validate(name, frame, units)
    sha = hashlib.sha256(raw).hexdigest()
    with transaction.atomic():
        record, _created = ImportedProjection.objects.update_or_create(
            scenario=scenario,
            defaults={
                "title": title.strip(),
                "publisher": publisher.strip(),
                "source": source.strip(),
                "file_name": name,
                "sha256": sha,
                "rows": frame.height,
                "first_year": int(frame["year"].min()),  # type: ignore[arg-type]
                "last_year": int(frame["year"].max()),  # type: ignore[arg-type]
            },
        )
        record.cells.all().delete()
        cells = frame.select(
            pl.lit(record.pk).alias("projection_id"),
            pl.col("region").replace_strict(units, return_dtype=pl.Int64).alias("unit_id"),
            "year",
            "age",
            "sex",
            "population",
        )
        # COPY on PostgreSQL, executemany elsewhere (the geo loader's bulk path)
        bulk_insert(ImportedProjectionCell._meta.db_table, cells.columns, cells)
    return ImportReport(
        scenario=scenario,
        rows=frame.height,
        regions=frame["region"].n_unique(),
        first_year=record.first_year,
        last_year=record.last_year,
        sha256=sha,
    )


def _parse(name: str, raw: bytes) -> pl.DataFrame:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataLoadError(
            [Problem(name, None, None, _("filen är inte UTF-8 (byte %(n)d)") % {"n": exc.start})]
        ) from None
    if not text.strip():
        raise DataLoadError([Problem(name, None, None, _("filen är tom"))])
    try:
        frame = pl.read_csv(text.encode(), infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise DataLoadError(
            [Problem(name, None, None, _("filen är ingen läsbar CSV: %(e)s") % {"e": exc})]
        ) from None
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DataLoadError(
            [
                Problem(
                    name,
                    1,
                    None,
                    _("kolumner saknas: %(m)s (väntade: %(c)s)")
                    % {"m": ", ".join(missing), "c": ",".join(COLUMNS)},
                )
            ]
        )
    if frame.height == 0:
        raise DataLoadError([Problem(name, None, None, _("filen har inga datarader"))])
    return frame.select(COLUMNS).with_row_index("row", offset=2)


def _validate(name: str, frame: pl.DataFrame, units: dict[str, int]) -> pl.DataFrame:
    problems: list[Problem] = []
    frame = frame.with_columns(pl.col(c).str.strip_chars() for c in COLUMNS).with_columns(
        pl.col("age").str.replace(r"^100\+$", "100"),
    )
    typed = frame.with_columns(
        pl.col("age").cast(pl.Int64, strict=False).alias("age_n"),
        pl.col("year").cast(pl.Int64, strict=False).alias("year_n"),
        pl.col("population").cast(pl.Float64, strict=False).alias("pop_n"),
    )
    checks: list[tuple[str, pl.Expr, str]] = [
        (
            "region",
            ~pl.col("region").is_in(list(units)) | pl.col("region").is_null(),
            _("okänd enhetskod '{v}'"),
        ),
        (
            "age",
            pl.col("age_n").is_null() | (pl.col("age_n") < 0) | (pl.col("age_n") >= N_AGES),
            _("'{v}' är ingen ålder 0–100 (100 = 100 år och äldre)"),
        ),
        (
            "sex",
            ~pl.col("sex").is_in(["1", "2"]) | pl.col("sex").is_null(),
            _("'{v}' är inget kön (1 = män, 2 = kvinnor)"),
        ),
        (
            "year",
            pl.col("year_n").is_null() | (pl.col("year_n") < 1900) | (pl.col("year_n") > 2100),
            _("'{v}' är inget år 1900–2100"),
        ),
        (
            "population",
            pl.col("pop_n").is_null()
            | (pl.col("pop_n") < 0)
            | pl.col("pop_n").is_nan()
            | pl.col("pop_n").is_infinite(),
            _("'{v}' är inget antal ≥ 0"),
        ),
    ]
    for column, bad, message in checks:
        for row, value in (
            typed.filter(bad).select("row", column).head(MAX_PROBLEMS_PER_COLUMN).iter_rows()
        ):
            problems.append(Problem(name, row, column, message.format(v=value or "")))
    if problems:
        raise DataLoadError(problems)
    typed = typed.select(
        "row",
        "region",
        pl.col("age_n").alias("age"),
        "sex",
        pl.col("year_n").alias("year"),
        pl.col("pop_n").alias("population"),
    )
    dupes = typed.filter(pl.struct("region", "year", "age", "sex").is_duplicated())
    for row, region, year, age, sex in (
        dupes.select("row", "region", "year", "age", "sex")
        .head(MAX_PROBLEMS_PER_COLUMN)
        .iter_rows()
    ):
        problems.append(
            Problem(
                name,
                row,
                None,
                _("dubblett: %(r)s år %(y)s ålder %(a)s kön %(s)s finns redan")
                % {"r": region, "y": year, "a": age, "s": sex},
            )
        )
    if problems:
        raise DataLoadError(problems)
    counts = typed.group_by("region", "year").agg(pl.len().alias("n"), pl.col("row").min())
    for region, year, n, row in (
        counts.filter(pl.col("n") != N_AGES * 2)
        .sort("row")
        .select("region", "year", "n", "row")
        .head(MAX_PROBLEMS_PER_COLUMN)
        .iter_rows()
    ):
        problems.append(
            Problem(
                name,
                row,
                None,
                _(
                    "%(r)s år %(y)s har %(n)d rader; varje enhet och år behöver alla åldrar "
                    "0–100 för båda könen (202 rader)"
                )
                % {"r": region, "y": year, "n": n},
            )
        )
    if problems:
        raise DataLoadError(problems)
    return typed
