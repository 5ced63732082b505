"""Load the Swedish reference data (geography, kommungrupper, population) atomically.

All files are read and validated first; any problem in any file aborts the load before the
first write (:class:`~datasmart.geo.validation.DataLoadError` lists them all). The writes
then happen in one transaction, so the database is either fully updated or untouched.

Re-running is idempotent: a dataset whose file hash equals the recorded one is skipped, and
unit upserts only touch rows whose values differ. Population rows go in with PostgreSQL's
``COPY`` where available (the engine's own bulk path) and ``executemany`` on SQLite.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from django.conf import settings
from django.db import connection, transaction

from datasmart.geo import kommungrupper
from datasmart.geo.cache import forget_data_version
from datasmart.geo.datasets import DATASETS
from datasmart.geo.models import (
    NATION_CODE,
    DataLoad,
    Granularity,
    Level,
    PopulationBand,
    PopulationCount,
    PopulationTotal,
    Unit,
)
from datasmart.geo.population_checks import check_band_structure, check_population_identities
from datasmart.geo.validation import (
    DataLoadError,
    FileSpec,
    Kind,
    Problem,
    Table,
    read_table,
    unknown_references,
)

ProgressCallback = Callable[[str, int, int], None]
"""Called as ``progress(step_description, steps_done, steps_total)``."""

KOMMUNGRUPP_EDITION = "2017"  # the oldest stored edition; see geo.kommungrupper

SPECS: dict[str, FileSpec] = {
    spec.dataset: spec
    for spec in [
        *kommungrupper.SPECS,
        FileSpec(
            "sjukvardsregioner",
            "sjukvardsregioner/sjukvardsregioner.csv",
            {"sjukvardsregion_id": Kind.SLUG, "sjukvardsregion_name": Kind.TEXT},
            unique=("sjukvardsregion_id",),
        ),
        FileSpec(
            "counties",
            "geography/counties.csv",
            {
                "county_code": Kind.LAN_CODE,
                "county_name": Kind.TEXT,
                "county_name_short": Kind.TEXT,
            },
            unique=("county_code",),
        ),
        FileSpec(
            "lan_sjukvardsregion",
            "sjukvardsregioner/lan_sjukvardsregion.csv",
            {"lan_code": Kind.LAN_CODE, "sjukvardsregion_id": Kind.TEXT, "split": Kind.FLAG},
            unique=("lan_code",),
        ),
        FileSpec(
            "municipalities",
            "geography/municipalities.csv",
            {
                "municipality_code": Kind.KOMMUN_CODE,
                "municipality_name": Kind.TEXT,
                "municipality_name_short": Kind.TEXT,
                "county_code": Kind.LAN_CODE,
            },
            unique=("municipality_code",),
        ),
        FileSpec(
            "kommun_sjukvardsregion",
            "sjukvardsregioner/kommun_sjukvardsregion.csv",
            {"kommun_code": Kind.KOMMUN_CODE, "sjukvardsregion_id": Kind.SLUG},
            unique=("kommun_code",),
        ),
        FileSpec(
            "population_kommun_age_sex",
            "population/kommun_age_sex_2019.csv",
            {
                "year": Kind.YEAR,
                "kommun_code": Kind.KOMMUN_CODE,
                "age": Kind.AGE,
                "sex": Kind.SEX,
                "population": Kind.COUNT,
            },
            unique=("year", "kommun_code", "sex", "age"),
        ),
        FileSpec(
            "population_lan_age_sex",
            "population/lan_age_sex_1968_2015.csv",
            {
                "year": Kind.YEAR,
                "lan_code": Kind.LAN_CODE,
                "age": Kind.AGE,
                "sex": Kind.SEX,
                "population": Kind.COUNT,
            },
            unique=("year", "lan_code", "sex", "age"),
        ),
        FileSpec(
            "population_kommun_total",
            "population/kommun_total_2024.csv",
            {"year": Kind.YEAR, "kommun_code": Kind.KOMMUN_CODE, "population": Kind.COUNT},
            unique=("year", "kommun_code"),
        ),
        FileSpec(
            "population_lan_age5_sex",
            "population/lan_age5_sex_2013_2021.csv",
            {
                "year": Kind.YEAR,
                "lan_code": Kind.LAN_CODE,
                "sex": Kind.SEX,
                "age_group": Kind.TEXT,
                "age_from": Kind.AGE,
                "age_to": Kind.AGE_OR_EMPTY,
                "population": Kind.COUNT,
            },
            unique=("year", "lan_code", "sex", "age_from"),
        ),
        FileSpec(
            "population_lan_total",
            "population/lan_total_2011_2024.csv",
            {
                "year": Kind.YEAR,
                "lan_code": Kind.LAN_CODE,
                "lan_name": Kind.TEXT,
                "population": Kind.COUNT,
            },
            unique=("year", "lan_code"),
        ),
    ]
}

DETAILED_POPULATION = {
    "population_kommun_age_sex": "kommun_code",
    "population_lan_age_sex": "lan_code",
}
BAND_POPULATION = {"population_lan_age5_sex": "lan_code"}
TOTAL_POPULATION = {
    "population_kommun_total": "kommun_code",
    "population_lan_total": "lan_code",
}


@dataclass
class DatasetResult:
    dataset: str
    rows: int
    status: str  # "loaded" or "unchanged"


@dataclass
class LoadReport:
    """What a load did; ``rows_loaded`` counts rows actually written."""

    data_dir: Path
    datasets: list[DatasetResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows_loaded(self) -> int:
        return sum(d.rows for d in self.datasets if d.status == "loaded")

    @property
    def changed(self) -> bool:
        return any(d.status == "loaded" for d in self.datasets)


def data_dir() -> Path:
    """The configured reference-data folder (``DATASMART_DATA_DIR``)."""
    return Path(settings.DATA_DIR)


def read_all(base: Path) -> dict[str, Table]:
    """Read and cross-check every reference file; raise DataLoadError listing all problems."""
    if not base.is_dir():
        raise DataLoadError(
            [Problem(str(base), None, None, "datamappen finns inte (sätt DATASMART_DATA_DIR)")]
        )
    tables: dict[str, Table] = {}
    problems: list[Problem] = []
    for name, spec in SPECS.items():
        table, found = read_table(spec, base)
        problems.extend(found)
        if table is not None:
            tables[name] = table
    problems.extend(_cross_check(tables))
    if problems:
        raise DataLoadError(problems)
    return tables


def _cross_check(tables: dict[str, Table]) -> list[Problem]:
    """References between files: every code must exist where it points."""
    problems: list[Problem] = []
    lan = set(tables["counties"].frame["county_code"]) if "counties" in tables else None
    kommun = (
        set(tables["municipalities"].frame["municipality_code"])
        if "municipalities" in tables
        else None
    )
    svr = (
        set(tables["sjukvardsregioner"].frame["sjukvardsregion_id"])
        if "sjukvardsregioner" in tables
        else None
    )
    if lan is not None:
        for name, col in [
            ("municipalities", "county_code"),
            ("lan_sjukvardsregion", "lan_code"),
            ("population_lan_age_sex", "lan_code"),
            ("population_lan_age5_sex", "lan_code"),
        ]:
            if name in tables:
                problems += unknown_references(tables[name], col, lan, "länskod")
        if "population_lan_total" in tables:
            problems += unknown_references(
                tables["population_lan_total"], "lan_code", lan | {NATION_CODE}, "länskod"
            )
    if kommun is not None:
        for name, col in [
            ("kommun_sjukvardsregion", "kommun_code"),
            ("population_kommun_age_sex", "kommun_code"),
            ("population_kommun_total", "kommun_code"),
        ]:
            if name in tables:
                problems += unknown_references(tables[name], col, kommun, "kommunkod")
        if "municipalities" in tables:
            m = tables["municipalities"]
            wrong = m.frame.with_row_index("_row", offset=2).filter(
                pl.col("municipality_code").str.slice(0, 2) != pl.col("county_code")
            )
            for row, code, county in wrong.select(
                "_row", "municipality_code", "county_code"
            ).iter_rows():
                problems.append(
                    Problem(
                        m.spec.relpath,
                        row,
                        "county_code",
                        f"kommun {code} ligger enligt koden i län {code[:2]}, inte {county}",
                    )
                )
        if "kommun_sjukvardsregion" in tables:
            t = tables["kommun_sjukvardsregion"]
            absent = sorted(kommun - set(t.frame["kommun_code"]))
            if absent:
                problems.append(
                    Problem(
                        t.spec.relpath,
                        None,
                        "kommun_code",
                        f"kommuner saknar sjukvårdsregion: {', '.join(absent[:10])}",
                    )
                )
    if svr is not None:
        if "kommun_sjukvardsregion" in tables:
            problems += unknown_references(
                tables["kommun_sjukvardsregion"], "sjukvardsregion_id", svr, "sjukvårdsregion"
            )
        if "lan_sjukvardsregion" in tables:
            t = tables["lan_sjukvardsregion"]
            for row, value in (
                t.frame.with_row_index("_row", offset=2)
                .select("_row", "sjukvardsregion_id")
                .iter_rows()
            ):
                for part in value.split(";"):
                    if part not in svr:
                        problems.append(
                            Problem(
                                t.spec.relpath,
                                row,
                                "sjukvardsregion_id",
                                f"okänd sjukvårdsregion '{part}'",
                            )
                        )
    problems += kommungrupper.cross_check(tables, kommun)
    if "population_lan_age5_sex" in tables:
        problems += check_band_structure(tables["population_lan_age5_sex"])
    if not problems:
        problems += check_population_identities(tables)
    return problems


def load_reference_data(
    base: Path | None = None, *, force: bool = False, progress: ProgressCallback | None = None
) -> LoadReport:
    """Validate and load all reference data in one transaction.

    ``force`` reloads datasets even when their file hash is unchanged.
    """
    started = time.perf_counter()
    base = base or data_dir()
    notify = progress or (lambda step, done, total: None)
    steps = 2 + len(DETAILED_POPULATION) + len(BAND_POPULATION) + len(TOTAL_POPULATION)
    notify("Läser och kontrollerar filer", 0, steps)
    tables = read_all(base)
    report = LoadReport(base)
    recorded = {d.dataset: d.sha256 for d in DataLoad.objects.all()}

    def unchanged(name: str) -> bool:
        return not force and recorded.get(name) == tables[name].sha256

    with transaction.atomic():
        notify("Enheter och kommungrupper", 1, steps)
        unit_sets = [
            "sjukvardsregioner",
            "counties",
            "lan_sjukvardsregion",
            "municipalities",
            "kommun_sjukvardsregion",
            *kommungrupper.DATASETS,
        ]
        if all(unchanged(n) for n in unit_sets) and Unit.objects.exists():
            report.datasets += [
                DatasetResult(n, tables[n].frame.height, "unchanged") for n in unit_sets
            ]
        else:
            _load_units(tables)
            kommungrupper.load(tables)
            report.datasets += [
                DatasetResult(n, tables[n].frame.height, "loaded") for n in unit_sets
            ]
        ids = dict(Unit.objects.values_list("code", "id"))
        done = 2
        # Every detailed file reloaded: on PostgreSQL, rebuild the table in one go instead.
        rebuilt = not any(unchanged(n) for n in DETAILED_POPULATION) and _rebuild_population(
            [(tables[n].frame, c) for n, c in DETAILED_POPULATION.items()], ids
        )
        for name, code_col in DETAILED_POPULATION.items():
            notify(f"Befolkning: {tables[name].spec.relpath}", done, steps)
            if unchanged(name):
                report.datasets.append(DatasetResult(name, tables[name].frame.height, "unchanged"))
            else:
                if not rebuilt:
                    _replace_population(tables[name].frame, code_col, ids, kind=Granularity.AGE)
                report.datasets.append(DatasetResult(name, tables[name].frame.height, "loaded"))
            done += 1
        for name, code_col in BAND_POPULATION.items():
            notify(f"Befolkning: {tables[name].spec.relpath}", done, steps)
            if unchanged(name):
                report.datasets.append(DatasetResult(name, tables[name].frame.height, "unchanged"))
            else:
                _replace_population(tables[name].frame, code_col, ids, kind=Granularity.AGE_BAND)
                report.datasets.append(DatasetResult(name, tables[name].frame.height, "loaded"))
            done += 1
        for name, code_col in TOTAL_POPULATION.items():
            notify(f"Befolkning: {tables[name].spec.relpath}", done, steps)
            if unchanged(name):
                report.datasets.append(DatasetResult(name, tables[name].frame.height, "unchanged"))
            else:
                _replace_population(tables[name].frame, code_col, ids, kind=Granularity.TOTAL)
                report.datasets.append(DatasetResult(name, tables[name].frame.height, "loaded"))
            done += 1
        for name, table in tables.items():
            if not unchanged(name):
                DataLoad.objects.update_or_create(
                    dataset=name,
                    defaults={
                        "path": str(table.path),
                        "sha256": table.sha256,
                        "rows": table.frame.height,
                        **_provenance(name),
                    },
                )
        _refresh_provenance()
        notify("Klart", steps, steps)
        if report.changed:
            transaction.on_commit(forget_data_version)
    forget_data_version()  # also on rollback of an outer transaction (tests)
    report.seconds = time.perf_counter() - started
    return report


def _provenance(dataset: str) -> dict[str, str]:
    """Source, licence and attribution of ``dataset`` from the one table of datasets."""
    info = DATASETS.get(dataset)
    if info is None:
        return {"source": "", "licence": "", "attribution": ""}
    return {"source": info.source, "licence": info.licence, "attribution": info.attribution}


def _refresh_provenance() -> None:
    """Bring recorded provenance in line with :data:`DATASETS` (a changed table, or rows
    recorded before the fields existed) without touching ``loaded_at``: an unchanged file
    stays unchanged, and the data version (cache key) with it."""
    for load in DataLoad.objects.all():
        wanted = _provenance(load.dataset)
        if any(getattr(load, k) != v for k, v in wanted.items()):
            DataLoad.objects.filter(pk=load.pk).update(**wanted)


def _upsert_unit(existing: dict[str, Unit], code: str, **values: object) -> Unit:
    unit = existing.get(code)
    if unit is None:
        unit = Unit(code=code, **values)
        unit.save()
        existing[code] = unit
        return unit

    def current(key: str) -> object:
        # compare foreign keys by id, so an unchanged unit costs no query
        field = Unit._meta.get_field(key)
        return getattr(unit, f"{key}_id") if field.is_relation else getattr(unit, key)

    def wanted(value: object) -> object:
        return value.pk if isinstance(value, Unit) else value

    if any(current(k) != wanted(v) for k, v in values.items()):
        for k, v in values.items():
            setattr(unit, k, v)
        unit.save()
    return unit


def _load_units(tables: dict[str, Table]) -> None:
    existing = {u.code: u for u in Unit.objects.all()}
    nation = _upsert_unit(
        existing,
        NATION_CODE,
        name="Riket",
        official_name="Sverige",
        level=Level.NATION,
        parent=None,
        region=None,
        sjukvardsregion=None,
        is_split=False,
    )
    svr = {}
    for rec in tables["sjukvardsregioner"].frame.iter_rows(named=True):
        svr[rec["sjukvardsregion_id"]] = _upsert_unit(
            existing,
            rec["sjukvardsregion_id"],
            name=rec["sjukvardsregion_name"].split(" (")[0],
            official_name=rec["sjukvardsregion_name"],
            level=Level.SJUKVARDSREGION,
            parent=nation,
            region=None,
            sjukvardsregion=None,
            is_split=False,
        )
    lan_svr = {
        r["lan_code"]: (r["sjukvardsregion_id"], r["split"])
        for r in tables["lan_sjukvardsregion"].frame.iter_rows(named=True)
    }
    regions = {}
    for rec in tables["counties"].frame.iter_rows(named=True):
        code = rec["county_code"]
        svr_id, split = lan_svr.get(code, ("", 1))
        regions[code] = _upsert_unit(
            existing,
            code,
            name=rec["county_name_short"],
            official_name=rec["county_name"],
            level=Level.REGION,
            parent=nation if split else svr[svr_id],
            region=None,
            sjukvardsregion=None if split else svr[svr_id],
            is_split=bool(split),
        )
    kommun_svr = {
        r["kommun_code"]: r["sjukvardsregion_id"]
        for r in tables["kommun_sjukvardsregion"].frame.iter_rows(named=True)
    }
    for rec in tables["municipalities"].frame.iter_rows(named=True):
        code = rec["municipality_code"]
        region = regions[rec["county_code"]]
        _upsert_unit(
            existing,
            code,
            name=rec["municipality_name_short"],
            official_name=rec["municipality_name"],
            level=Level.KOMMUN,
            parent=region,
            region=region,
            sjukvardsregion=svr[kommun_svr[code]],
            is_split=False,
        )


_POPULATION_LAYOUT: dict[Granularity, tuple[list[str], list[str]]] = {
    Granularity.AGE: (
        ["unit_id", "year", "age", "sex", "population"],
        ["year", "unit_id", "sex", "age"],
    ),
    Granularity.AGE_BAND: (
        ["unit_id", "year", "sex", "age_from", "age_to", "population"],
        ["year", "unit_id", "sex", "age_from"],
    ),
    Granularity.TOTAL: (["unit_id", "year", "population"], ["year", "unit_id"]),
}
"""Columns written and the unique index's key order, per stored granularity."""

POPULATION_MODELS: dict[Granularity, type[PopulationCount | PopulationBand | PopulationTotal]] = {
    Granularity.AGE: PopulationCount,
    Granularity.AGE_BAND: PopulationBand,
    Granularity.TOTAL: PopulationTotal,
}


def _population_rows(
    frame: pl.DataFrame, code_col: str, ids: dict[str, int], *, kind: Granularity
) -> tuple[list[str], pl.DataFrame]:
    """The columns and rows to write for a population frame, in the unique index's order."""
    cols, order = _POPULATION_LAYOUT[kind]
    rows = frame.with_columns(
        pl.col(code_col).replace_strict(ids, return_dtype=pl.Int64).alias("unit_id")
    ).select(cols)
    # Insert in the unique index's key order: the btree then grows at its right edge
    # instead of splitting pages all over (5x faster COPY for the län file), and a rebuilt
    # index sorts presorted input.
    return cols, rows.sort(order)


def _replace_population(
    frame: pl.DataFrame, code_col: str, ids: dict[str, int], *, kind: Granularity
) -> None:
    """Replace the stored rows for the units and years in ``frame`` with its rows."""
    model = POPULATION_MODELS[kind]
    unit_ids = sorted({ids[c] for c in frame[code_col].unique()})
    years = sorted(frame["year"].unique().to_list())
    model.objects.filter(unit_id__in=unit_ids, year__in=years).delete()
    cols, rows = _population_rows(frame, code_col, ids, kind=kind)
    bulk_insert(model._meta.db_table, cols, rows)


REBUILD_MAINTENANCE_WORK_MEM = "256MB"


def _rebuild_population(parts: list[tuple[pl.DataFrame, str]], ids: dict[str, int]) -> bool:
    """Replace all of ``PopulationCount`` with ``parts`` the way PostgreSQL loads fastest.

    PostgreSQL's "Populating a Database" advice, inside the caller's transaction (TRUNCATE,
    DROP and CREATE INDEX are transactional, so a failure anywhere restores table and indexes):
    TRUNCATE, drop the primary key, unique constraints and indexes, ``COPY … FREEZE`` into the
    bare table, then rebuild them under the same names with more ``maintenance_work_mem``.

    Only when the result equals the row-by-row path: PostgreSQL, no foreign key pointing at
    the table, and every stored row belongs to a unit and year that ``parts`` replace (rows
    of other years or units would survive :func:`_replace_population`). Otherwise nothing is
    done and False returned. Note that TRUNCATE locks the table against readers until commit,
    where DELETE let them read the old rows meanwhile.
    """
    if connection.vendor != "postgresql":
        return False
    qn = connection.ops.quote_name
    table = PopulationCount._meta.db_table
    qtable = qn(table)
    covered, params = [], []
    for frame, code_col in parts:
        covered.append("(unit_id = ANY(%s) AND year = ANY(%s))")
        params += [
            sorted({ids[c] for c in frame[code_col].unique()}),
            sorted(frame["year"].unique().to_list()),
        ]
    with connection.cursor() as cur:
        cur.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE confrelid = %s::regclass)", [table]
        )
        if cur.fetchone()[0]:
            return False
        cur.execute(
            f"SELECT EXISTS (SELECT 1 FROM {qtable} WHERE NOT ({' OR '.join(covered)}))",  # noqa: S608
            params,
        )
        if cur.fetchone()[0]:
            return False
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype IN ('p', 'u') ORDER BY contype, conname",
            [table],
        )
        constraints = cur.fetchall()
        cur.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
            " WHERE indrelid = %s::regclass AND NOT EXISTS"
            " (SELECT 1 FROM pg_constraint WHERE conindid = indexrelid) ORDER BY 1",
            [table],
        )
        indexes = cur.fetchall()
        cur.execute(f"TRUNCATE {qtable}")
        for name, _ in constraints:
            cur.execute(f"ALTER TABLE {qtable} DROP CONSTRAINT {qn(name)}")
        for name, _ in indexes:
            cur.execute(f"DROP INDEX {name}")  # regclass text is already quoted
    for frame, code_col in parts:
        cols, rows = _population_rows(frame, code_col, ids, kind=Granularity.AGE)
        bulk_insert(table, cols, rows, freeze=True)
    with connection.cursor() as cur:
        cur.execute("SELECT current_setting('maintenance_work_mem')")
        previous = cur.fetchone()[0]
        cur.execute(
            "SELECT set_config('maintenance_work_mem', %s, true)", [REBUILD_MAINTENANCE_WORK_MEM]
        )
        for name, definition in constraints:
            cur.execute(f"ALTER TABLE {qtable} ADD CONSTRAINT {qn(name)} {definition}")
        for _, definition in indexes:
            cur.execute(definition)
        cur.execute("SELECT set_config('maintenance_work_mem', %s, true)", [previous])
    return True


def bulk_insert(
    table: str, columns: list[str], rows: pl.DataFrame, *, freeze: bool = False
) -> None:
    """Insert a frame with the engine's bulk path: COPY on PostgreSQL, executemany otherwise.

    ``freeze`` (PostgreSQL) writes the rows already frozen; only valid right after the table
    was created or truncated in the same (sub)transaction.
    """
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            payload = rows.write_csv(include_header=False).encode()
            options = "FORMAT csv, FREEZE" if freeze else "FORMAT csv"
            sql = f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN WITH ({options})"
            with cursor.cursor.copy(sql) as copy:
                for start in range(0, len(payload), 1 << 20):
                    copy.write(payload[start : start + (1 << 20)])
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) VALUES ({marks})",  # noqa: S608
                list(rows.iter_rows()),
            )
