"""Numerators and denominators from the geo population."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from indicators_support import make_indicator, test_indicators_fixture, write_csv  # noqa: F401
from tests.accounts.factories import member, national_organisation

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import Role
from datasmart.geo.services import get_unit, parse_age_bands, population
from datasmart.geo.validation import DataLoadError
from datasmart.indicators.catalogue import sync_catalogue
from datasmart.indicators.imports import import_observations
from datasmart.indicators.models import Indicator, Observation
from datasmart.indicators.population import (
    PopulationSpec,
    fill_from_population,
    population_rows,
)


def _geo(code: str, year: int, bands: str, sex: str | None = None) -> int:
    rows = population(get_unit(code), year, by=("sex",), age_bands=parse_age_bands(bands))
    return sum(r.population for r in rows if sex is None or r.sex == sex)


def test_import_fills_denominator_from_population(
    tmp_path: Path, test_indicators: dict[str, Indicator]
) -> None:
    path = write_csv(
        tmp_path,
        "barn.csv",
        ["test-popden,0180,2019,T,,1000,,,", "test-popden,0180,2019,2,,400,,,"],
    )
    import_observations(path, by=SYSTEM)
    total = Observation.objects.get(indicator__code="test-popden", sex="T")
    girls = Observation.objects.get(indicator__code="test-popden", sex="2")
    assert total.denominator == _geo("0180", 2019, "0-17") > 100_000
    assert girls.denominator == _geo("0180", 2019, "0-17", sex="2")
    assert total.value == pytest.approx(1000 / total.denominator * 100)


def test_import_without_population_names_the_cell(
    tmp_path: Path, test_indicators: dict[str, Indicator]
) -> None:
    # no population by age for 0180 within five years of 2026 (2019 is the only such year)
    path = write_csv(tmp_path, "barn.csv", ["test-popden,0180,2026,T,,10,,,"])
    with pytest.raises(DataLoadError) as caught:
        import_observations(path, by=SYSTEM)
    (problem,) = caught.value.problems
    assert (problem.row, problem.column) == (2, "denominator")
    assert "0180" in problem.message and "2026" in problem.message
    assert "närliggande år" in problem.message


def test_import_denominator_from_nearest_year_is_noted(
    tmp_path: Path, test_indicators: dict[str, Indicator]
) -> None:
    """2024 has kommun totals only; the 0–17 denominator comes from 2019, and says so."""
    path = write_csv(tmp_path, "barn.csv", ["test-popden,0180,2024,T,,10,,,"])
    result = import_observations(path, by=SYSTEM)
    obs = Observation.objects.get(batch=result.batch)
    assert obs.denominator == _geo("0180", 2019, "0-17")
    (note,) = result.notes
    assert note.startswith("Stockholm (0180) 2024") and "befolkningen 2019" in note


def test_fill_denominators_of_stored_observations(
    tmp_path: Path, test_indicators: dict[str, Indicator]
) -> None:
    path = write_csv(tmp_path, "barn.csv", ["test-popden,01,2015,T,,500,1000,,"])
    batch = import_observations(path, by=SYSTEM).batch
    Observation.objects.filter(batch=batch).update(denominator=None, value=None)
    report = fill_from_population("test-popden")
    assert report.mode == "denominators" and report.rows == 1
    obs = Observation.objects.get(batch=batch)
    assert obs.denominator == _geo("01", 2015, "0-17")
    assert obs.value == pytest.approx(500 / obs.denominator * 100)


def test_population_spec_bands() -> None:
    spec = PopulationSpec(0, 17)
    assert spec.band("5-9") is not None and spec.band("5-9").label == "5-9"  # type: ignore[union-attr]
    assert spec.band("").label == "0-17"  # type: ignore[union-attr]
    assert spec.band("65+") is None
    assert spec.sexes("T") == ("1", "2") and PopulationSpec(sex="2").sexes("1") is None


def test_population_share_rows_match_geo(db: Any) -> None:
    sync_catalogue()
    share = Indicator.objects.get(code="population-share-0-17")
    share.levels = ["nation", "sjukvardsregion"]  # (unsaved) fewer units: a faster test
    rows = population_rows(share)
    by_key = {(r.unit_id, r.period, r.sex): r for r in rows}
    nation = get_unit("00")
    cell = by_key[(nation.pk, 2019, "T")]
    assert cell.numerator == _geo("00", 2019, "0-17")
    assert cell.denominator == 10_327_589
    assert cell.value == pytest.approx(cell.numerator / cell.denominator * 100)
    # Halland is split: Västra/Södra have no figures when population is only by län.
    vastra = get_unit("vastra")
    assert (vastra.pk, 2015, "T") not in by_key and (vastra.pk, 2019, "T") in by_key
    assert not any(r.period == 2024 for r in rows)  # totals only that year


def test_fill_computed_is_idempotent_and_needs_rights(db: Any) -> None:
    share = make_indicator(
        "test-share-old",
        levels=["nation"],
        breakdowns=[],
        age_groups=[],
        first_period=1968,
        last_period=1970,
        numerator_population={"age_min": 65, "age_max": None, "sex": None},
        denominator_population={"age_min": 0, "age_max": None, "sex": None},
    )
    with pytest.raises(PermissionDenied):
        fill_from_population(share, by=member(Role.VIEWER, username="lasare"))
    kommun_analyst = member(Role.ANALYST, username="kommunanalytiker")
    with pytest.raises(PermissionDenied, match="hela landet"):  # writes every unit
        fill_from_population(share, by=kommun_analyst)
    national = member(Role.ANALYST, national_organisation(), username="analytiker")
    first = fill_from_population(share, by=national)
    assert first.rows == 3 and not first.unchanged
    again = fill_from_population(share)
    assert again.unchanged and share.observations.count() == 3
    assert share.batches.count() == 1
