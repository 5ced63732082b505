"""Loader behaviour on real and on broken files: all or nothing, every problem located."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import Sum

from datasmart.geo.loaders import load_reference_data
from datasmart.geo.models import DataLoad, PopulationCount, PopulationTotal, Unit
from datasmart.geo.validation import DataLoadError

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the reference data with one valid change already made.

    The change (Stockholm's 2024 total +1, and with it Stockholms län's and Riket's 2024
    totals, which the loader checks add up) means a partial write would be visible.
    """
    target = tmp_path / "data"
    shutil.copytree(settings.DATA_DIR, target)
    for f in target.rglob("*"):
        f.chmod(0o644 if f.is_file() else 0o755)
    path = target / "population/kommun_total_2024.csv"
    text = path.read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if ",0180," in ln)
    year, code, value = line.split(",")
    path.write_text(text.replace(line, f"{year},{code},{int(value) + 1}"), encoding="utf-8")
    path = target / "population/lan_total_2011_2024.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, ln in enumerate(lines):
        if ln.startswith(("2024,2024-12-31,01,", "2024,2024-12-31,00,")):
            head, value = ln.rstrip("\n").rsplit(",", 1)
            lines[i] = f"{head},{int(value) + 1}\n"
    path.write_text("".join(lines), encoding="utf-8")
    return target


def snapshot() -> tuple[object, ...]:
    return (
        list(Unit.objects.values_list("code", "name", "level", "parent__code").order_by("code")),
        PopulationCount.objects.count(),
        PopulationCount.objects.aggregate(s=Sum("population"))["s"],
        list(
            PopulationTotal.objects.values_list("unit__code", "year", "population").order_by(
                "unit__code", "year"
            )
        ),
        list(DataLoad.objects.values_list("dataset", "sha256").order_by("dataset")),
    )


def edit(base: Path, relpath: str, old: str, new: str) -> None:
    path = base / relpath
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in {relpath}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def assert_fails_unchanged(base: Path, *expected: str) -> DataLoadError:
    before = snapshot()
    with pytest.raises(DataLoadError) as info:
        load_reference_data(base)
    assert snapshot() == before, "the database changed although the load failed"
    message = str(info.value)
    for text in expected:
        assert text in message, f"{text!r} not in error message:\n{message}"
    return info.value


def test_valid_change_is_loaded(data_copy: Path) -> None:
    report = load_reference_data(data_copy)
    assert [d.dataset for d in report.datasets if d.status == "loaded"] == [
        "population_kommun_total",
        "population_lan_total",
    ]
    assert PopulationTotal.objects.get(unit__code="0180", year=2024).population == 995574 + 1


def test_rerun_changes_nothing() -> None:
    before = snapshot()
    report = load_reference_data()
    assert not report.changed
    assert snapshot() == before


def test_forced_reload_gives_same_state() -> None:
    before = snapshot()[:4]
    report = load_reference_data(force=True)
    assert report.changed
    assert snapshot()[:4] == before


def test_wrong_column(data_copy: Path) -> None:
    edit(data_copy, "geography/municipalities.csv", "county_code", "lan")
    err = assert_fails_unchanged(
        data_copy, "geography/municipalities.csv", "rad 1", "'county_code'", "saknas"
    )
    assert err.problems[0].row == 1


def test_unknown_lan_code(data_copy: Path) -> None:
    edit(
        data_copy,
        "geography/municipalities.csv",
        "0114,Upplands Väsby kommun,Upplands Väsby,01",
        "0114,Upplands Väsby kommun,Upplands Väsby,02",
    )
    err = assert_fails_unchanged(
        data_copy, "geography/municipalities.csv", "rad 2", "county_code", "okänd länskod '02'"
    )
    assert any(p.row == 2 and p.column == "county_code" for p in err.problems)


def test_duplicate_kommun_code(data_copy: Path) -> None:
    edit(data_copy, "geography/municipalities.csv", "0115,Vallentuna", "0114,Vallentuna")
    assert_fails_unchanged(
        data_copy, "geography/municipalities.csv", "rad 3", "dubblett av municipality_code=0114"
    )


def test_negative_population(data_copy: Path) -> None:
    edit(data_copy, "population/kommun_age_sex_2019.csv", "2019,0114,0,1,271", "2019,0114,0,1,-271")
    assert_fails_unchanged(
        data_copy,
        "population/kommun_age_sex_2019.csv",
        "rad 2",
        "'population'",
        "negativt värde '-271'",
    )


def test_broken_encoding(data_copy: Path) -> None:
    path = data_copy / "geography/counties.csv"
    raw = path.read_bytes().replace(
        "Södermanlands".encode(), "S\xf6dermanlands".encode("latin-1"), 1
    )
    path.write_bytes(raw)
    line = raw[: raw.index(b"S\xf6der")].count(b"\n") + 1
    err = assert_fails_unchanged(data_copy, "geography/counties.csv", "teckenkodning", "UTF-8")
    assert err.problems[0].row == line
    assert err.problems[0].column == "county_name"


def test_every_problem_reported_across_files(data_copy: Path) -> None:
    edit(data_copy, "population/kommun_age_sex_2019.csv", "2019,0114,1,1,290", "2019,0114,1,1,-1")
    edit(
        data_copy,
        "kommungrupper/kommungrupper_2017.csv",
        "0115,Vallentuna,A2",
        "9999,Vallentuna,A2",
    )
    err = assert_fails_unchanged(data_copy, "kommun_age_sex_2019.csv", "kommungrupper_2017.csv")
    assert {p.file for p in err.problems} == {
        "population/kommun_age_sex_2019.csv",
        "kommungrupper/kommungrupper_2017.csv",
    }


def test_missing_data_dir(tmp_path: Path) -> None:
    assert_fails_unchanged(tmp_path / "nothing-here", "datamappen finns inte")


def test_missing_file(data_copy: Path) -> None:
    (data_copy / "geography/counties.csv").unlink()
    assert_fails_unchanged(data_copy, "geography/counties.csv", "filen saknas")


def test_bad_sex_code_and_age(data_copy: Path) -> None:
    edit(
        data_copy,
        "population/lan_age_sex_1968_2015.csv",
        "1968,01,0,1,10061",
        "1968,01,101,3,10061",
    )
    assert_fails_unchanged(
        data_copy, "lan_age_sex_1968_2015.csv", "'age'", "'sex'", "ogiltigt värde '3'"
    )


def population_schema() -> list[tuple[str, str]]:
    """Constraint and index definitions of the population table (PostgreSQL)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = 'geo_populationcount'::regclass"
            " UNION ALL SELECT indexname, indexdef FROM pg_indexes"
            " WHERE tablename = 'geo_populationcount' ORDER BY 1, 2"
        )
        return cur.fetchall()


postgres_only = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="the table rebuild on a full reload is PostgreSQL's path",
)


@postgres_only
def test_full_reload_rebuilds_table_with_same_rows_and_indexes() -> None:
    from datasmart.geo import loaders

    before, schema = snapshot()[:4], population_schema()
    assert any(name == "uniq_population_cell" for name, _ in schema)
    rebuilt = []
    original = loaders._rebuild_population

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        rebuilt.append(original(*args, **kwargs))
        return rebuilt[-1]

    loaders._rebuild_population = spy
    try:
        load_reference_data(force=True)
    finally:
        loaders._rebuild_population = original
    assert rebuilt == [True]
    assert snapshot()[:4] == before
    assert population_schema() == schema


@postgres_only
def test_full_reload_with_bad_file_in_the_middle_leaves_table_and_indexes(
    data_copy: Path,
) -> None:
    schema = population_schema()
    edit(data_copy, "population/lan_age_sex_1968_2015.csv", ",01,", ",0x,")
    before = snapshot()
    with pytest.raises(DataLoadError):
        load_reference_data(data_copy, force=True)
    assert snapshot() == before
    assert population_schema() == schema


@postgres_only
def test_full_reload_failing_mid_rebuild_leaves_table_and_indexes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A failure after TRUNCATE, DROP and the first COPY rolls all of it back."""
    from datasmart.geo import loaders

    schema, before = population_schema(), snapshot()
    calls = []
    original = loaders.bulk_insert

    def failing_second(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args[0])
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return original(*args, **kwargs)

    monkeypatch.setattr(loaders, "bulk_insert", failing_second)
    with pytest.raises(RuntimeError, match="disk full"):
        load_reference_data(force=True)
    assert calls == ["geo_populationcount", "geo_populationcount"]
    assert snapshot() == before
    assert population_schema() == schema


def test_full_reload_keeps_rows_the_files_do_not_replace() -> None:
    """Rows of a year no file covers survive a forced reload (the row-by-row path)."""
    unit = Unit.objects.get(code="0180")
    PopulationCount.objects.create(unit=unit, year=1950, age=0, sex="1", population=7)
    load_reference_data(force=True)
    assert PopulationCount.objects.filter(unit=unit, year=1950).get().population == 7
