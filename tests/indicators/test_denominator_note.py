"""Issue 12: a denominator taken from another year's population is said wherever the
figure is (import note → observation → result → page, results API and exports).

Before, the note reached the import result only; the indicator page, ``/values`` and the
exports showed the 2024 rate as if its denominator were the 2024 population.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import polars as pl
from django.test import Client
from indicators_support import test_indicators_fixture, write_csv  # noqa: F401
from ninja.testing import TestClient

from datasmart.accounts.audit import SYSTEM
from datasmart.indicators import results
from datasmart.indicators.api import router
from datasmart.indicators.imports import import_observations
from datasmart.indicators.models import Indicator, Observation, Result
from datasmart.indicators.population import fill_from_population

client = TestClient(router)
NOTE = "Nämnaren är befolkningen 2019"


def _import_2024(tmp_path: Path) -> None:
    # 2024 has kommun totals only: the 0–17 denominator comes from 2019
    lines = ["test-popden,0180,2024,T,,10,,,", "test-popden,0180,2019,T,,10,,,"]
    import_observations(write_csv(tmp_path, "barn.csv", lines), by=SYSTEM)
    results.compute_indicator("test-popden", by=SYSTEM)


def test_fallback_year_reaches_results_api_exports_and_page(
    tmp_path: Path, test_indicators: dict[str, Indicator]
) -> None:
    _import_2024(tmp_path)
    assert (
        Observation.objects.get(indicator__code="test-popden", period=2024).denominator_year == 2019
    )
    # the period's own population: no year, no note
    assert (
        Observation.objects.get(indicator__code="test-popden", period=2019).denominator_year is None
    )
    own = Result.objects.get(indicator__code="test-popden", unit__code="0180", period=2024)
    assert own.denominator_year == 2019
    assert Result.objects.get(unit__code="0180", period=2019).denominator_year is None

    item = client.get("/indicators/test-popden/values?unit=0180&period=2024").json()["items"][0]
    assert item["denominator_year"] == 2019 and item["denominator_note"].startswith(NOTE)
    earlier = client.get("/indicators/test-popden/values?unit=0180&period=2019").json()
    assert earlier["items"][0]["denominator_note"] == ""

    res = client.get("/indicators/test-popden/values?format=csv&period=2024")
    rows = list(csv.DictReader(io.StringIO(res.content.decode("utf-8-sig"))))
    mine = next(r for r in rows if r["unit_code"] == "0180")
    assert mine["denominator_year"] == "2019" and mine["denominator_note"].startswith(NOTE)

    page = Client().get("/indikatorer/test-popden/?period=2024&level=kommun")
    assert page.status_code == 200
    assert NOTE in page.content.decode()
    english_client = Client()
    english_client.cookies["django_language"] = "en"
    english = english_client.get("/indikatorer/test-popden/?period=2024&level=kommun")
    assert "The denominator is the population of 2019" in english.content.decode()
    assert (
        NOTE
        not in Client().get("/indikatorer/test-popden/?period=2019&level=kommun").content.decode()
    )


def test_fill_from_population_records_the_year(
    tmp_path: Path, test_indicators: dict[str, Indicator]
) -> None:
    path = write_csv(tmp_path, "barn.csv", ["test-popden,0180,2024,T,,10,1000,,"])
    batch = import_observations(path, by=SYSTEM).batch
    Observation.objects.filter(batch=batch).update(denominator=None, value=None)
    fill_from_population("test-popden")
    assert Observation.objects.get(batch=batch).denominator_year == 2019


def test_summed_units_name_the_year_only_when_their_parts_agree() -> None:
    out = pl.DataFrame(
        {
            "unit_code": ["0180", "0114", "01", "03"],
            "period": [2024, 2024, 2024, 2023],
            "sex": ["T"] * 4,
            "age_group": [""] * 4,
            "aggregated_from": [None, None, "kommun", "kommun"],
        }
    )
    years = pl.DataFrame(
        {
            "unit_code": ["0180", "0114", "0380", "0381"],
            "period": [2024, 2024, 2023, 2023],
            "sex": ["T"] * 4,
            "age_group": [""] * 4,
            "denominator_year": [2019, 2019, 2019, 2021],
        }
    )
    got = dict(
        zip(
            *results.with_denominator_years(out, years)
            .select("unit_code", "denominator_year")
            .to_dict(as_series=False)
            .values(),
            strict=True,
        )
    )
    assert got == {"0180": 2019, "0114": 2019, "01": 2019, "03": None}
    assert results.denominator_note(2024, None) == ""
    assert results.denominator_note(2024, 2024) == ""


def test_result_columns_exist(db: Any) -> None:
    assert "denominator_year" in results.RESULT_FIELDS
    assert {"denominator_year", "denominator_note", "source"} <= set(results.EXPORT_COLUMNS)
