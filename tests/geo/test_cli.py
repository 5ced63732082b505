"""The CLI: formats, and clear errors with exit code 2 (never a traceback)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from datasmart.cli import app

pytestmark = pytest.mark.django_db
runner = CliRunner()


def test_units_list_json() -> None:
    result = runner.invoke(app, ["units", "list", "--level", "kommun", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 290
    assert {"code", "name", "level", "parent_code"} <= rows[0].keys()


def test_units_list_csv_and_table() -> None:
    result = runner.invoke(app, ["units", "list", "--level", "sjukvardsregion", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 6 and all(r["parent_code"] == "00" for r in rows)
    table = runner.invoke(app, ["units", "list", "--level", "nation", "--format", "table"])
    assert "Riket" in table.stdout


def test_population_by_age_sex() -> None:
    result = runner.invoke(
        app, ["population", "--unit", "00", "--year", "2019", "--by", "age,sex", "--format", "json"]
    )
    rows = json.loads(result.stdout)
    assert len(rows) == 202 and sum(r["population"] for r in rows) == 10327589


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["population", "--unit", "9999", "--year", "2019"], "Ingen enhet"),
        (["population", "--unit", "0180", "--year", "2019", "--by", "x"], "okänd uppdelning"),
        (["population", "--unit", "0180", "--year", "1900"], "Tillgängliga år"),
        (["units", "list", "--parent", "nope"], "Ingen enhet"),
    ],
)
def test_user_errors_exit_2_without_traceback(args: list[str], text: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert text in result.output
    assert "Traceback" not in result.output


def test_bad_option_value_is_usage_error() -> None:
    result = runner.invoke(app, ["units", "list", "--level", "county"])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_data_load_is_idempotent() -> None:
    result = runner.invoke(app, ["data", "load", "--no-indicators"])
    assert result.exit_code == 0, result.output
    assert "Inget att göra" in result.stdout


def test_data_load_bad_dir() -> None:
    result = runner.invoke(app, ["data", "load", "--no-indicators", "--data-dir", "/nonexistent"])
    assert result.exit_code == 2 and "datamappen finns inte" in result.output
