"""Saved needs scenarios honour their projection variant: a scenario that names an
imported projection (SCB's befolkningsframskrivning via the importer; here a file the
test makes) is computed on that projection, shown beside the platform's own."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from datasmart.accounts.models import Organisation, Role
from datasmart.geo.models import Unit
from datasmart.needs import expected, prevalence, scenarios
from datasmart.needs.imports import import_projection
from tests.accounts.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db
HALLAND = ["1315", "1380", "1381", "1382", "1383", "1384"]


def _import(tmp_path: Path, years: list[int], name: str = "test-scb") -> None:
    lines = [
        f"{c},{'100+' if a == 100 else a},{s},{y},10"
        for c in HALLAND
        for y in years
        for s in (1, 2)
        for a in range(101)
    ]
    path = tmp_path / f"{name}.csv"
    path.write_text("region,age,sex,year,population\n" + "\n".join(lines) + "\n", "utf-8")
    import_projection(path, scenario=name, title="SCB-test", publisher="Test")


@pytest.fixture
def analyst(tmp_path: Path):  # type: ignore[no-untyped-def]
    prevalence.load_prevalence()
    base = expected.base_year()
    _import(tmp_path, [base + 5, base + 10])
    org: Organisation = OrganisationFactory(unit=Unit.objects.get(code="1380"))  # type: ignore[assignment]
    return member(Role.ANALYST, org), org


def test_saved_scenario_uses_its_imported_projection(analyst) -> None:  # type: ignore[no-untyped-def]
    user, org = analyst
    saved = scenarios.save_scenario(
        by=user, organisation=org, unit_code="1380", name="SCB", projection_variant="test-scb"
    )
    rows = scenarios.compare(scenarios.visible_scenarios(user, "1380"), saved.unit)
    by_kind = {(r["scenario"] is not None, r["projection_variant"]): r for r in rows}
    platform = by_kind[(False, "platform")]
    imported = by_kind[(False, "test-scb")]
    mine = by_kind[(True, "test-scb")]
    assert not (platform["error"] or imported["error"] or mine["error"])
    # the imported file has 10 persons per age and sex: 2 020 in 1380 at +10
    assert imported["population"] == mine["population"] == 2020
    assert platform["population"] != 2020
    # schizophrenia 0+ at 0.45 % of 2 020 persons
    assert mine["values"]["psychosis"] == round(0.0045 * 2020)
    assert mine["values"] == imported["values"] != platform["values"]
    assert mine["projection_title"] == "SCB-test"


def test_imported_projection_without_a_year_is_an_error_not_todays_population(
    tmp_path: Path,
) -> None:
    prevalence.load_prevalence()
    _import(tmp_path, [expected.base_year() + 5], name="short")
    rows = scenarios.compare([], Unit.objects.get(code="1380"))
    short = next(r for r in rows if r["projection_variant"] == "short")
    assert short["error"] and str(expected.base_year() + 10) in short["error"]
    assert not short["values"]


def test_unit_page_shows_projections_side_by_side(client: Client, analyst) -> None:  # type: ignore[no-untyped-def]
    user, org = analyst
    client.force_login(user)
    response = client.post(
        "/behov/enhet/1380/scenario/",
        {
            "organisation": org.pk,
            "name": "Med SCB",
            "projection_variant": "test-scb",
            "prevalence_variant": "central",
        },
    )
    assert response.status_code == 302
    page = client.get("/behov/enhet/1380/").content.decode()
    assert 'id="scenarios"' in page and "Med SCB" in page
    assert page.count("SCB-test") >= 3  # reference row, saved row, picker option
    assert "Plattformens framskrivning" in page
    assert '<option value="test-scb"' in page
