"""REST endpoints of the needs domain, mounted at ``/api/needs``:

- ``GET /needs/projections`` — population projection rows (the same rows as
  ``datasmart needs project``: one service, :func:`datasmart.needs.services.projection_rows`);
- ``GET /needs/scenarios`` — the platform's projection and every imported one.

Projections are computed from open reference data, so reading them needs no sign-in (as
the population endpoints). Bad parameters answer 422 naming the field, an unknown unit 404.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from datasmart.api.responses import ErrorOut, OutputFormat, cached_json, csv_response
from datasmart.geo.models import Level
from datasmart.needs import services

router = Router(tags=["behovsanalys"])


class ProjectionFilters(Schema):
    base_year: int = Field(
        ...,
        alias="from",
        ge=1900,
        le=2100,
        description="Basår: framskrivningen använder bara data till och med detta år",
    )
    years: int = Field(5, ge=0, le=services.MAX_HORIZON, description="Antal år framåt")
    level: Level = Field(Level.KOMMUN, description="Nivå: kommun, region, sjukvardsregion, nation")
    unit: str | None = Field(None, max_length=32, description="Bara denna enhet (kod)")
    by: str | None = Field(
        None, max_length=16, description="Uppdelning: 'age', 'sex' eller 'age,sex'"
    )
    scenario: str = Field(
        services.PLATFORM,
        max_length=64,
        description="'platform' (egen Hamilton–Perry-framskrivning) eller ett importerat scenario",
    )
    base_period: str | None = Field(
        None, max_length=64, description="Basperioder för kvoterna, t.ex. '2010-2015'"
    )
    format: OutputFormat = OutputFormat.json


class ProjectionRowOut(Schema):
    unit_code: str
    year: int
    age: int | None = None
    sex: str | None = None
    population: int


class ScenarioOut(Schema):
    scenario: str
    title: str
    publisher: str | None = None
    first_year: int | None = None
    last_year: int | None = None


CSV_RESPONSE = {
    "responses": {
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
    }
}


def _cube(filters: ProjectionFilters) -> services.ProjectionCube:
    return services.projection_cube(
        base_year=filters.base_year,
        years=filters.years,
        level=filters.level.value,
        unit=filters.unit,
        scenario=filters.scenario,
        base_period=filters.base_period,
    )


def _rows(filters: ProjectionFilters) -> list[dict[str, Any]]:
    breakdown = services.parse_breakdown(filters.by)
    cube = _cube(filters)
    count = services.row_count(cube, breakdown)
    if count > services.MAX_JSON_ROWS:
        raise services.NeedsError(
            "format",
            _(
                "svaret blir %(n)d rader, fler än %(max)d i JSON: välj en enhet (unit), färre "
                "år eller format=csv"
            )
            % {"n": count, "max": services.MAX_JSON_ROWS},
        )
    return list(services.cube_rows(cube, breakdown))


@router.get(
    "/projections",
    response={200: list[ProjectionRowOut], 404: ErrorOut, 422: ErrorOut},
    summary="Befolkningsframskrivning",
    openapi_extra=CSV_RESPONSE,
    description=(
        "Framskriven folkmängd 31 december för varje år från basåret till `years` år framåt, "
        "per enhet på nivån (eller en enhet), valfritt per ettårsklass och kön. Metod: "
        "Hamilton–Perry (kohortförändringskvoter per län och kön, barn-kvinnokvoter för "
        "0–4 år, kommuner avstämda mot län och län mot riket), se docs/methods/needs.md."
    ),
)
def projections(request: HttpRequest, filters: Query[ProjectionFilters]) -> Any:
    if filters.format == OutputFormat.json:
        return cached_json(request, "needs-projections", lambda: _rows(filters))
    breakdown = services.parse_breakdown(filters.by)
    cube = _cube(filters)
    name = f"framskrivning_{filters.level.value}_{filters.base_year}_{filters.years}.csv"
    columns = ["unit_code", "year", *[c for c in ("age", "sex") if c in breakdown], "population"]
    return csv_response(services.cube_rows(cube, breakdown), columns, name)


@router.get("/scenarios", response=list[ScenarioOut], summary="Framskrivningsscenarier")
def scenarios(request: HttpRequest) -> Any:
    return services.scenarios()
