"""Benchmark: loading all reference data, against PostgreSQL's own COPY of the same rows.

Run: ``uv run python benchmarks/bench_load.py`` (needs PostgreSQL on 127.0.0.1:5432;
``BENCH_PG_URL`` overrides). Both sides run in the same process and database, repeated, and
the median is reported, because these machines are noisy. The baseline is the floor: a raw
``COPY`` of the three population files (the bulk of the rows) into an unindexed table of the
same columns, with no validation. The platform's load also reads, validates and cross-checks
every file, upserts units and groups, and writes provenance.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import psycopg

PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/datasmart_bench")
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
POP_FILES = [
    "population/kommun_age_sex_2019.csv",
    "population/lan_age_sex_1968_2015.csv",
    "population/kommun_total_2024.csv",
]


def recreate_database() -> None:
    base, name = PG_URL.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def copy_baseline(data_dir: Path) -> tuple[float, int]:
    """Seconds and rows for COPY of the population files into plain tables."""
    rows = 0
    with psycopg.connect(PG_URL) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_pop_detail, bench_pop_total")
        conn.execute(
            "CREATE TABLE bench_pop_detail (year smallint, code varchar(4), age smallint,"
            " sex varchar(1), population integer)"
        )
        conn.execute(
            "CREATE TABLE bench_pop_total (year smallint, code varchar(4), population integer)"
        )
        conn.commit()
        started = time.perf_counter()
        with conn.transaction():
            for rel in POP_FILES:
                table = "bench_pop_total" if "total" in rel else "bench_pop_detail"
                payload = (data_dir / rel).read_bytes()
                rows += payload.count(b"\n") - 1
                with (
                    conn.cursor() as cur,
                    cur.copy(f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
                ):
                    copy.write(payload)
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE bench_pop_detail, bench_pop_total")
        conn.commit()
    return elapsed, rows


def sql_only_load(data_dir: Path) -> tuple[float, int]:
    """Seconds and rows for the fastest SQL-only path into the platform's own tables:
    COPY each population file into a staging table, then INSERT ... SELECT joining the
    unit codes (same target table, same indexes, no validation)."""
    rows = 0
    with psycopg.connect(PG_URL) as conn:
        conn.execute("TRUNCATE geo_populationcount, geo_populationtotal")
        conn.commit()
        started = time.perf_counter()
        with conn.transaction():
            conn.execute(
                "CREATE TEMP TABLE stage_detail (year smallint, code varchar(4), age smallint,"
                " sex varchar(1), population integer) ON COMMIT DROP"
            )
            conn.execute(
                "CREATE TEMP TABLE stage_total (year smallint, code varchar(4), population integer)"
                " ON COMMIT DROP"
            )
            for rel in POP_FILES:
                table = "stage_total" if "total" in rel else "stage_detail"
                payload = (data_dir / rel).read_bytes()
                rows += payload.count(b"\n") - 1
                with (
                    conn.cursor() as cur,
                    cur.copy(f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
                ):
                    copy.write(payload)
            conn.execute(
                "INSERT INTO geo_populationcount (unit_id, year, age, sex, population)"
                " SELECT u.id, s.year, s.age, s.sex, s.population FROM stage_detail s"
                " JOIN geo_unit u ON u.code = s.code"
            )
            conn.execute(
                "INSERT INTO geo_populationtotal (unit_id, year, population)"
                " SELECT u.id, s.year, s.population FROM stage_total s JOIN geo_unit u ON u.code = s.code"
            )
        elapsed = time.perf_counter() - started
    return elapsed, rows


def platform_load() -> tuple[float, int]:
    """Seconds and rows for a full load into empty tables (all files, all checks)."""
    from django.db import connection

    from datasmart.geo.loaders import load_reference_data
    from datasmart.geo.models import DataLoad, PopulationCount, PopulationTotal

    with connection.cursor() as cur:
        for model in (PopulationCount, PopulationTotal, DataLoad):
            cur.execute(f'TRUNCATE "{model._meta.db_table}"')
    started = time.perf_counter()
    report = load_reference_data(force=True)
    return time.perf_counter() - started, report.rows_loaded


def main() -> int:
    recreate_database()
    os.environ["DATABASE_URL"] = PG_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "datasmart.config.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    data_dir = Path(settings.DATA_DIR)
    platform_load()  # warm-up: first load of units, caches

    copies, sqls, loads = [], [], []
    for _ in range(REPEATS):
        copies.append(copy_baseline(data_dir))
        sqls.append(sql_only_load(data_dir))
        loads.append(platform_load())
    sql_s = statistics.median(t for t, _ in sqls)
    copy_s = statistics.median(t for t, _ in copies)
    load_s = statistics.median(t for t, _ in loads)
    copy_rows, load_rows = copies[0][1], loads[0][1]
    print(f"reference data load (PostgreSQL, median of {REPEATS})")
    print(
        f"  platform load : {load_rows:>8} rows in {load_s:6.3f} s = {load_rows / load_s:>10,.0f} rows/s"
    )
    print(
        f"  COPY baseline : {copy_rows:>8} rows in {copy_s:6.3f} s = {copy_rows / copy_s:>10,.0f} rows/s"
    )
    print(
        f"  SQL-only load : {copy_rows:>8} rows in {sql_s:6.3f} s = {copy_rows / sql_s:>10,.0f} rows/s"
    )
    per_row = load_s / load_rows
    print(
        f"  ratio vs COPY into a bare table (the floor): {per_row / (copy_s / copy_rows):.2f}x  (aim: <= 3x)"
    )
    print(
        f"  ratio vs COPY + INSERT..SELECT into the platform's tables: {per_row / (sql_s / copy_rows):.2f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
