"""Projections through the CLI and the API: the same rows (one service), every level,
clear refusals (exit 2 / 422 / 404, no traceback), runs recorded, no later data used."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db.models import F
from django.test import Client
from typer.testing import CliRunner

from datasmart.cli import app
from datasmart.geo.models import PopulationTotal
from datasmart.needs import services
from datasmart.needs.backtest import kommun_backtest, read_reference
from datasmart.needs.models import ProjectionRun

pytestmark = pytest.mark.django_db
runner = CliRunner()


def _cli(*args: str) -> list[dict[str, object]]:
    result = runner.invoke(app, ["needs", "project", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


@pytest.mark.parametrize("level", ["kommun", "region", "sjukvardsregion", "nation"])
def test_every_level_answers_and_sums_to_the_nation(level: str) -> None:
    rows = _cli("--from", "2019", "--years", "5", "--level", level)
    assert {r["year"] for r in rows} == set(range(2019, 2025))
    base = sum(int(r["population"]) for r in rows if r["year"] == 2019)  # type: ignore[call-overload]
    assert abs(base - 10_327_589) <= 300  # rounding of each unit only
    assert set(rows[0]) == {"unit_code", "year", "population"}


def test_by_age_sex_rows_and_unit_filter() -> None:
    rows = _cli(
        "--from", "2019", "--years", "10", "--level", "kommun", "--unit", "0180", "--by", "age,sex"
    )
    assert len(rows) == 11 * 101 * 2
    assert set(rows[0]) == {"unit_code", "year", "age", "sex", "population"}
    assert {r["unit_code"] for r in rows} == {"0180"}
    assert {r["sex"] for r in rows} == {"1", "2"}


def test_same_numbers_in_api_and_cli() -> None:
    cli = _cli("--from", "2019", "--years", "5", "--level", "region")
    resp = Client().get("/api/needs/projections", {"from": 2019, "years": 5, "level": "region"})
    assert resp.status_code == 200 and resp.json() == cli
    csv_resp = Client().get(
        "/api/needs/projections", {"from": 2019, "years": 5, "level": "region", "format": "csv"}
    )
    text = b"".join(csv_resp.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [int(r["population"]) for r in rows] == [r["population"] for r in cli]


def test_cli_table_and_csv() -> None:
    table = runner.invoke(app, ["needs", "project", "--from", "2019", "--level", "nation"])
    assert table.exit_code == 0 and "2024" in table.stdout
    out = runner.invoke(
        app, ["needs", "project", "--from", "2019", "--level", "nation", "--format", "csv"]
    )
    assert out.stdout.splitlines()[0] == "unit_code,year,population"


def test_database_path_equals_the_pure_backtest() -> None:
    """The service (stored population) gives the same 2024 kommun totals as the backtest
    on the files: one method, whatever the path."""
    ref = read_reference(settings.DATA_DIR)
    bt = kommun_backtest(ref, services.default_parameters(2019, 5))
    proj = services.run_projection(services.default_parameters(2019, 5))
    totals = proj.result.units[5].sum(axis=(1, 2))
    got = dict(zip(proj.kommun_codes, totals, strict=True))
    for code, projected, _observed, _ape in bt.method.worst:
        assert got[code] == pytest.approx(projected, rel=1e-9)


def test_runs_are_recorded_with_parameters_and_data_versions() -> None:
    _cli("--from", "2019", "--years", "5", "--level", "nation")
    run = ProjectionRun.objects.get()
    assert run.base_year == 2019 and run.parameters["base_periods"] == [[2010, 2015]]
    assert run.parameters["top_age"] == 90 and run.parameters["control"] == "age_sex"
    assert any("population" in k for k in run.data_versions)
    assert run.nation_totals["2019"] == pytest.approx(10_327_589)
    _cli("--from", "2019", "--years", "5", "--level", "region")
    assert ProjectionRun.objects.count() == 1  # same projection, same run
    _cli("--from", "2019", "--years", "5", "--level", "nation", "--base-period", "2014-2019")
    assert ProjectionRun.objects.count() == 2


def test_no_data_after_the_base_year_is_read() -> None:
    """Tripling every stored figure after 2019 (totals 2020-2024, age bands 2020-2021)
    changes nothing in a projection from 2019."""
    before = services.projection_rows(base_year=2019, years=10, level="kommun")
    PopulationTotal.objects.filter(year__gt=2019).update(population=F("population") * 3)
    try:
        band = apps.get_model("geo", "PopulationBand")
        band.objects.filter(year__gt=2019).update(population=F("population") * 3)
    except LookupError:
        pass
    cache.clear()
    after = services.projection_rows(base_year=2019, years=10, level="kommun")
    assert before == after


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2018"], "finns inte för 2018"),
        (["--from", "2019", "--years", "21"], "0–20"),
        (["--from", "2019", "--level", "region", "--unit", "0180"], "inte på nivån region"),
        (["--from", "2019", "--unit", "9999"], "9999"),
        (["--from", "2019", "--by", "age,colour"], "colour"),
        (["--from", "2019", "--base-period", "2015-2020"], "2015–2020"),
        (["--from", "2019", "--base-period", "soon"], "soon"),
        (["--from", "2019", "--scenario", "scb"], "okänt scenario"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["needs", "project", *args, "--format", "json"])
    assert result.exit_code == 2, result.output
    assert message in result.output.replace("\n", " ")
    assert "Traceback" not in result.output


def test_cli_without_from_is_a_usage_error() -> None:
    result = runner.invoke(app, ["needs", "project", "--years", "5"])
    assert result.exit_code == 2 and "--from" in result.output


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"from": 2018}, 422, "from"),
        ({"from": 2019, "years": 99}, 422, "years"),
        ({"from": 2019, "level": "land"}, 422, "level"),
        ({"from": 2019, "base_period": "2015-2020"}, 422, "base_period"),
        ({"from": 2019, "scenario": "nope"}, 422, "scenario"),
        ({"years": 5}, 422, "from"),
        ({"from": 2019, "unit": "9999"}, 404, None),
    ],
)
def test_api_refusals(params: dict[str, object], status: int, field: str | None) -> None:
    resp = Client().get("/api/needs/projections", params)
    assert resp.status_code == status
    assert resp.json()["detail"]
    if field:
        assert resp.json()["field"] == field


def test_scenarios_endpoint_lists_the_platform() -> None:
    resp = Client().get("/api/needs/scenarios")
    assert resp.status_code == 200 and resp.json()[0]["scenario"] == "platform"


def test_projection_is_plausible_against_2024() -> None:
    """Sanity of the default: the nation in 2024 within 2 % of the observed total."""
    rows = services.projection_rows(base_year=2019, years=5, level="nation")
    assert np.isclose(rows[-1]["population"], 10_587_710, rtol=0.02)


def test_api_refuses_oversized_json_but_streams_csv() -> None:
    """290 kommuner x 101 ages x 2 sexes x 21 years would be 1.2 million JSON rows: a
    clear 422 naming the way out; one län by age and sex streams as CSV."""
    params = {"from": 2019, "years": 20, "level": "kommun", "by": "age,sex"}
    resp = Client().get("/api/needs/projections", params)
    assert resp.status_code == 422 and resp.json()["field"] == "format"
    assert "format=csv" in resp.json()["detail"]
    small = {"from": 2019, "years": 10, "level": "region", "unit": "13", "by": "age,sex"}
    csv_resp = Client().get("/api/needs/projections", {**small, "format": "csv"})
    text = b"".join(csv_resp.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["unit_code", "year", "age", "sex", "population"]
    assert len(rows) == 11 * 202
    as_json = Client().get("/api/needs/projections", small).json()
    assert [int(r["population"]) for r in rows] == [r["population"] for r in as_json]


def test_cube_and_rows_agree() -> None:
    cube = services.projection_cube(base_year=2019, years=5, level="sjukvardsregion")
    rows = services.projection_rows(base_year=2019, years=5, level="sjukvardsregion", by="sex")
    assert cube.population.shape == (6, 6, 2, 101) and cube.run_id is not None
    first = cube.population[0, 0].sum(axis=1)  # 2019, first sjukvårdsregion, by sex
    assert [r["population"] for r in rows[:2]] == [round(v) for v in first]
