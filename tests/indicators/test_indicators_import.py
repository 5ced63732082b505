"""Importing observations from CSV and Excel: happy paths, every bad input, permissions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from indicators_support import (
    HEADER,
    counts,
    test_indicators_fixture,  # noqa: F401  (fixture)
    write_csv,
    write_xlsx,
)
from tests.accounts.factories import member, national_organisation

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import AuditEvent, Role
from datasmart.geo.validation import DataLoadError
from datasmart.indicators.imports import import_observations
from datasmart.indicators.models import ImportBatch, ImportKind, Indicator, Observation

GOOD_ROWS = [
    "test-proportion,0180,2019,T,,40,200,,",
    "test-proportion,0180,2019,1,0-17,10,50,20,",
    "test-proportion,01,2019,2,18+,5,10,,",
    "test-rate,01,2023,T,,1150,2454642,46.85,",
    "test-value,0114,2020,T,,,,23.29,",
    "test-value,0115,2020,T,,,,,suppressed_at_source",
    "test-count,0180,2020,T,,12,,,",
]


def _obs(code: str, unit: str, period: int, sex: str = "T", age: str = "") -> Observation:
    return Observation.objects.get(
        indicator__code=code, unit__code=unit, period=period, sex=sex, age_group=age
    )


def test_csv_happy_path(tmp_path: Path, test_indicators: dict[str, Indicator]) -> None:
    path = write_csv(tmp_path, "data.csv", GOOD_ROWS)
    result = import_observations(path, by=SYSTEM)
    assert result.created and result.rows == 7
    batch = result.batch
    assert batch.kind == ImportKind.CSV and batch.file_name == "data.csv"
    assert batch.row_count == 7 and len(batch.sha256) == 64 and batch.user is None
    assert batch.indicator_codes == "test-count,test-proportion,test-rate,test-value"
    assert _obs("test-proportion", "0180", 2019).value == pytest.approx(20.0)
    assert _obs("test-proportion", "0180", 2019, "1", "0-17").value == 20
    assert _obs("test-rate", "01", 2023).value == 46.85  # published value kept
    suppressed = _obs("test-value", "0115", 2020)
    assert suppressed.status == "suppressed_at_source" and suppressed.value is None
    count = _obs("test-count", "0180", 2020)
    assert count.numerator == 12 and count.value == 12
    event = AuditEvent.objects.filter(action="indicators.import").first()
    assert event is not None and event.target_id == str(batch.pk)
    assert event.detail["rows"] == 7 and event.actor_username == "[system]"


def test_xlsx_happy_path(tmp_path: Path, test_indicators: dict[str, Indicator]) -> None:
    path = write_xlsx(
        tmp_path,
        "data.xlsx",
        [
            HEADER.split(","),
            ["test-proportion", "0180", 2019, "T", None, 40, 200, None, None],
            ["test-proportion", "0180", 2019, "2", "0-17", 12.0, 48.0, 25.0, "ok"],
            ["test-rate", "01", 2023, "T", "", 1150, 2454642, 46.85, None],
            [None] * 9,  # empty rows are skipped
            ["test-value", "0114", 2020, "T", None, None, None, 23.290108, None],
        ],
    )
    result = import_observations(path, by=SYSTEM)
    assert result.created and result.rows == 4
    assert result.batch.kind == ImportKind.XLSX
    assert _obs("test-proportion", "0180", 2019, "2", "0-17").value == 25.0
    assert _obs("test-value", "0114", 2020).value == pytest.approx(23.290108)


def test_semicolon_csv_with_decimal_commas(
    tmp_path: Path, test_indicators: dict[str, Indicator]
) -> None:
    path = write_csv(
        tmp_path,
        "excel-sv.csv",
        ["test-value;0114;2020;T;;;;23,5;"],
        header=HEADER.replace(",", ";"),
    )
    import_observations(path, by=SYSTEM)
    assert _obs("test-value", "0114", 2020).value == 23.5


def test_reimport_same_file_is_a_noop(
    tmp_path: Path, test_indicators: dict[str, Indicator]
) -> None:
    path = write_csv(tmp_path, "data.csv", GOOD_ROWS)
    first = import_observations(path, by=SYSTEM)
    before = counts()
    again = import_observations(path, by=SYSTEM)
    assert not again.created and again.batch.pk == first.batch.pk
    assert "redan inläst" in again.message and "inget ändrades" in again.message
    assert counts() == before
    forced = import_observations(path, by=SYSTEM, force=True)
    assert forced.created and forced.batch.pk != first.batch.pk
    assert counts()[0] == before[0]  # same cells replaced, not duplicated


def test_changed_file_replaces_only_its_cells(
    tmp_path: Path, test_indicators: dict[str, Indicator]
) -> None:
    import_observations(write_csv(tmp_path, "a.csv", GOOD_ROWS), by=SYSTEM)
    second = import_observations(
        write_csv(tmp_path, "b.csv", ["test-proportion,0180,2019,T,,50,200,,"]), by=SYSTEM
    )
    assert _obs("test-proportion", "0180", 2019).value == 25.0
    assert _obs("test-proportion", "0180", 2019).batch_id == second.batch.pk
    assert _obs("test-proportion", "01", 2019, "2", "18+").value == 50.0  # untouched


# Each case: one bad data row → (column named in the problem, words in the message).
BAD_ROWS = [
    ("test-proportion,9999,2019,T,,1,2,,", "unit_code", "okänd enhetskod '9999'"),
    ("test-proportion,180,2019,T,,1,2,,", "unit_code", "menade du '0180'"),
    ("no-such-indicator,0180,2019,T,,1,2,,", "indicator", "okänd indikator"),
    ("test-proportion,0180,2019,T,,30,20,,", "numerator", "större än nämnaren"),
    ("test-proportion,0180,2019,T,,-3,20,,", "numerator", "negativt värde"),
    ("test-rate,01,2023,T,,10,-5,,", "denominator", "negativt värde"),
    ("test-value,0114,2020,T,,,,abc,", "value", "'abc' är inget tal"),
    ("test-value,0114,2020,T,,,,-1,", "value", "mindre än 0"),
    ("test-proportion,0180,2030,T,,1,2,,", "period", "utanför indikatorns period"),
    ("test-proportion,0180,20x9,T,,1,2,,", "period", "ogiltigt år"),
    ("test-proportion,0180,2019,X,,1,2,,", "sex", "ogiltigt kön"),
    ("test-count,0180,2019,1,,1,,,", "sex", "redovisas inte per kön"),
    ("test-proportion,0180,2019,T,65-74,1,2,,", "age_group", "okänd åldersgrupp"),
    ("test-rate,0180,2023,T,,1,100,,", "unit_code", "nivån kommun"),
    ("test-value,0114,2020,T,,5,,5,", "numerator", "typen value"),
    ("test-value,0114,2020,T,,,,,", "value", "värde saknas"),
    ("test-rate,01,2023,T,,10,,,", "denominator", "nämnare saknas"),
    ("test-rate,01,2023,T,,10,0,,", "denominator", "nämnaren är 0"),
    ("test-rate,01,2023,T,,1150,2454642,99,", "value", "stämmer inte"),
    ("test-value,0114,2020,T,,,,5,missing", "value", "ska vara tom när status"),
    ("test-value,0114,2020,T,,,,5,privacy", "status", "okänd status"),
    ("test-count,0180,2020,T,,3,10,,", "denominator", "ingen nämnare"),
]


@pytest.mark.parametrize(("line", "column", "words"), BAD_ROWS)
def test_bad_row_is_reported_and_nothing_is_saved(
    tmp_path: Path, test_indicators: dict[str, Indicator], line: str, column: str, words: str
) -> None:
    path = write_csv(tmp_path, "bad.csv", ["test-value,0115,2020,T,,,,1,", line])
    before = counts()
    with pytest.raises(DataLoadError) as caught:
        import_observations(path, by=SYSTEM)
    problems = caught.value.problems
    assert [(p.file, p.row, p.column) for p in problems] == [("bad.csv", 3, column)], problems
    assert words in problems[0].message
    assert counts() == before
    assert "bad.csv, rad 3, kolumn" in str(caught.value)


def test_duplicate_key_names_both_rows(
    tmp_path: Path, test_indicators: dict[str, Indicator]
) -> None:
    path = write_csv(
        tmp_path,
        "dup.csv",
        ["test-value,0114,2020,T,,,,1,", "test-value,0114,2020,T,,,,2,"],
    )
    with pytest.raises(DataLoadError) as caught:
        import_observations(path, by=SYSTEM)
    (problem,) = caught.value.problems
    assert (problem.row, problem.column) == (3, "indicator") and "rad 2" in problem.message


def test_every_problem_is_reported_at_once(
    tmp_path: Path, test_indicators: dict[str, Indicator]
) -> None:
    path = write_csv(
        tmp_path,
        "many.csv",
        [
            "test-value,9999,2020,T,,,,1,",
            "test-value,0114,1800,T,,,,x,",
            "test-value,0114,2021,T,,,,2,",
        ],
    )
    with pytest.raises(DataLoadError) as caught:
        import_observations(path, by=SYSTEM)
    assert {(p.row, p.column) for p in caught.value.problems} == {
        (2, "unit_code"),
        (3, "period"),
        (3, "value"),
    }


@pytest.mark.parametrize(
    ("header", "column", "words"),
    [
        ("indicator,unit_code,value", "period", "kolumnen saknas"),
        ("indicator,unit_code,period,value,colour", "colour", "okänd kolumn"),
        ("indicator,unit_code,period,sex", None, "minst en av kolumnerna"),
        ("indicator,unit_code,period,value,value", "value", "två gånger"),
    ],
)
def test_bad_header(
    tmp_path: Path,
    test_indicators: dict[str, Indicator],
    header: str,
    column: str | None,
    words: str,
) -> None:
    path = write_csv(tmp_path, "head.csv", ["x,y,z,w"], header=header)
    with pytest.raises(DataLoadError) as caught:
        import_observations(path, by=SYSTEM)
    assert any(
        p.row == 1 and p.column == column and words in p.message for p in caught.value.problems
    ), caught.value.problems


def test_unreadable_files(tmp_path: Path, test_indicators: dict[str, Indicator]) -> None:
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes((HEADER + "\ntest-value,0114,2020,T,,,,1,Göteborg\n").encode("latin-1"))
    with pytest.raises(DataLoadError, match="UTF-8"):
        import_observations(latin1, by=SYSTEM)
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"not a workbook")
    with pytest.raises(DataLoadError, match="Excel"):
        import_observations(fake, by=SYSTEM)
    empty = write_csv(tmp_path, "empty.csv", [])
    with pytest.raises(DataLoadError, match="inga datarader"):
        import_observations(empty, by=SYSTEM)
    with pytest.raises(DataLoadError, match="filtyp"):
        import_observations(b"x", file_name="data.json", by=SYSTEM)


def test_xlsx_numeric_unit_code_gets_a_hint(
    tmp_path: Path, test_indicators: dict[str, Indicator]
) -> None:
    path = write_xlsx(
        tmp_path,
        "codes.xlsx",
        [HEADER.split(","), ["test-count", 180, 2020, "T", None, 4, None, None, None]],
    )
    with pytest.raises(DataLoadError) as caught:
        import_observations(path, by=SYSTEM)
    (problem,) = caught.value.problems
    assert (problem.file, problem.row, problem.column) == ("codes.xlsx", 2, "unit_code")
    assert "'0180'" in problem.message and "text" in problem.message


def test_viewer_is_denied_and_the_denial_audited(
    tmp_path: Path, test_indicators: dict[str, Indicator]
) -> None:
    viewer = member(Role.VIEWER, username="lasare")
    path = write_csv(tmp_path, "data.csv", GOOD_ROWS)
    before = counts()
    with pytest.raises(PermissionDenied):
        import_observations(path, by=viewer)
    assert counts() == before
    denial = AuditEvent.objects.get(action="auth.permission_denied", actor=viewer)
    assert denial.detail["permission"] == "import_data"


def test_analyst_may_import_and_is_recorded(
    tmp_path: Path, test_indicators: dict[str, Indicator]
) -> None:
    analyst = member(Role.ANALYST, national_organisation(), username="analytiker")
    result = import_observations(write_csv(tmp_path, "data.csv", GOOD_ROWS), by=analyst)
    assert result.batch.user == analyst and result.batch.actor_username == "analytiker"
    event = AuditEvent.objects.get(action="indicators.import", actor=analyst)
    assert event.detail["file"] == "data.csv"


def test_audit_failure_rolls_back_the_import(
    tmp_path: Path, test_indicators: dict[str, Indicator], monkeypatch: Any
) -> None:
    from datasmart.indicators import writes

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit store down")

    monkeypatch.setattr(writes, "record_event", broken)
    before = counts()
    with pytest.raises(RuntimeError):
        import_observations(write_csv(tmp_path, "data.csv", GOOD_ROWS), by=SYSTEM)
    assert counts() == before
    assert not ImportBatch.objects.filter(file_name="data.csv").exists()
