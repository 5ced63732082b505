"""REST endpoints for units and population (public reference data, no sign-in needed)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from datasmart.api.responses import (
    ErrorOut,
    OutputFormat,
    cached_json,
    csv_response,
    page_envelope,
)
from datasmart.geo import kommungrupper, services
from datasmart.geo.cache import cached
from datasmart.geo.models import ComparatorMembership, Granularity, Level, Unit

router = Router(tags=["geografi"])


class UnitOut(Schema):
    code: str = Field(
        description="Kod: kommun '0180', län '01', sjukvårdsregion 'vastra', riket '00'"
    )
    name: str
    official_name: str
    level: Level
    parent_code: str | None
    region_code: str | None = Field(None, description="För kommuner: länets kod")
    sjukvardsregion_code: str | None = Field(
        None, description="Kommunens eller länets sjukvårdsregion"
    )
    kommungrupp: str | None = Field(
        None, description="SKR:s kommungrupp i indelningen kommungrupp_edition"
    )
    kommungrupp_edition: str = Field(
        description="Kommungruppsindelningen (SKR 2017 eller 2023) som kolumnen kommungrupp följer"
    )


class UnitPage(Schema):
    count: int
    limit: int
    offset: int
    next: str | None
    previous: str | None
    items: list[UnitOut]


class UnitRef(Schema):
    code: str
    name: str
    level: Level


class UnitDetailOut(UnitOut):
    ancestors: list[UnitRef]
    children: list[UnitRef]
    population_years: list[int]
    population_years_by_age_sex: list[int] = Field(
        description="År med ettårsklasser per kön (år med bara åldersgrupper ingår inte)"
    )
    population_granularities: dict[str, list[Granularity]] = Field(
        description="För varje år: granulariteterna som finns, finast först"
    )


class PopulationRowOut(Schema):
    year: int
    unit_code: str
    age_group: str | None = Field(None, description="Ålder ('0'…'99', '100+') eller åldersgrupp")
    sex: str | None = Field(None, description="SCB:s kod: 1 = män, 2 = kvinnor")
    population: int
    granularity: Granularity = Field(
        description=(
            "Vad siffran är beräknad från: 'age' (ettårsklasser), 'age_band' (åldersgrupper, "
            "t.ex. femårsgrupper 2013–2021) eller 'total' (bara totalbefolkning)"
        )
    )
    attribution: str = Field(description="Källhänvisning att visa med siffran, t.ex. 'Källa: SCB'")


class EditionFilters(Schema):
    kommungrupp_edition: str | None = Field(
        None,
        pattern=r"^(2017|2023)$",
        description="SKR:s kommungruppsindelning, 2017 eller 2023; utelämnad = den som gäller "
        "för year, utan year den som gäller i dag (2023)",
    )
    year: int | None = Field(
        None, ge=1900, le=2100, description="År vars kommungruppsindelning visas"
    )


class UnitFilters(EditionFilters):
    level: Level | None = Field(None, description="nation, sjukvardsregion, region eller kommun")
    parent: str | None = Field(None, description="Kod för överordnad enhet")
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0)
    format: OutputFormat = OutputFormat.json


class PopulationFilters(Schema):
    unit: str = Field(..., description="Enhetens kod", max_length=32)
    year: int | None = Field(
        None, ge=1900, le=2100, description="År (31 december); utelämnat = alla år, totalt"
    )
    by: str | None = Field(None, description="Uppdelning: 'age', 'sex' eller 'age,sex'")
    age_groups: str | None = Field(
        None, description="Åldersgrupper, t.ex. '0-17,18-64,65+' eller '5y' för femårsgrupper"
    )
    granularity: Granularity | None = Field(
        None,
        description=(
            "Välj granularitet: 'age', 'age_band' eller 'total'; utelämnat = den finaste som "
            "finns för året (svarets kolumn granularity säger vilken)"
        ),
    )
    format: OutputFormat = OutputFormat.json


CSV_RESPONSE = {
    "responses": {
        200: {
            "content": {
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": "code,name,...\r\n",
                }
            }
        }
    }
}
"""OpenAPI for the ``format=csv`` variant, merged into the JSON 200 response."""

UNIT_COLUMNS = [
    "code",
    "name",
    "official_name",
    "level",
    "parent_code",
    "region_code",
    "sjukvardsregion_code",
    "kommungrupp",
    "kommungrupp_edition",
]


def _edition(edition: str | None, year: int | None) -> str:
    """The asked kommungrupp edition, else the one in force for ``year`` (no year: the
    latest edition, in force today) — :func:`kommungrupper.edition_for_period`."""
    return kommungrupper.check_edition(edition) or kommungrupper.edition_for_period(year)


def _kommungrupper(edition: str) -> dict[int, str]:
    return dict(
        ComparatorMembership.objects.filter(
            group__kind="kommungrupp", group__edition=edition
        ).values_list("unit_id", "group__code")
    )


def unit_rows(
    *,
    level: Level | str | None = None,
    parent_code: str | None = None,
    kommungrupp_edition: str | None = None,
    year: int | None = None,
) -> list[dict[str, Any]]:
    """All units matching the filters as API rows; cached per data version. The
    ``kommungrupp`` column follows ``kommungrupp_edition``, by default the edition in
    force for ``year`` (no year: today's)."""
    if parent_code:
        services.get_unit(parent_code)  # 404 for an unknown parent, even when cached
    edition = _edition(kommungrupp_edition, year)

    def compute() -> list[dict[str, Any]]:
        groups = _kommungrupper(edition)
        qs = services.list_units(level=level, parent_code=parent_code).select_related(
            "parent", "region", "sjukvardsregion"
        )
        return [unit_dict(u, groups, edition) for u in qs]

    return cached("unit_rows", (level or "", parent_code or "", edition), compute)


def unit_dict(unit: Unit, groups: dict[int, str], edition: str) -> dict[str, Any]:
    return {
        "code": unit.code,
        "name": unit.name,
        "official_name": unit.official_name,
        "level": unit.level,
        "parent_code": unit.parent.code if unit.parent_id and unit.parent else None,
        "region_code": unit.region.code if unit.region_id and unit.region else None,
        "sjukvardsregion_code": (
            unit.sjukvardsregion.code if unit.sjukvardsregion_id and unit.sjukvardsregion else None
        ),
        "kommungrupp": groups.get(unit.id),
        "kommungrupp_edition": edition,
    }


@router.get(
    "/units",
    response={200: UnitPage, 404: ErrorOut, 422: ErrorOut},
    summary="Lista enheter",
    openapi_extra=CSV_RESPONSE,
    description=(
        "Riket, sjukvårdsregioner, regioner/län och kommuner. "
        "`format=csv` ger alla träffar som CSV."
    ),
)
def units(request: HttpRequest, filters: Query[UnitFilters]) -> Any:
    if filters.format == OutputFormat.csv:
        rows = unit_rows(
            level=filters.level,
            parent_code=filters.parent,
            kommungrupp_edition=filters.kommungrupp_edition,
            year=filters.year,
        )
        return csv_response(rows, UNIT_COLUMNS, "enheter.csv")

    def page() -> dict[str, Any]:
        rows = unit_rows(
            level=filters.level,
            parent_code=filters.parent,
            kommungrupp_edition=filters.kommungrupp_edition,
            year=filters.year,
        )
        items = rows[filters.offset : filters.offset + filters.limit]
        return page_envelope(
            request, items, count=len(rows), limit=filters.limit, offset=filters.offset
        )

    # Rows are built from typed model fields and the serialised page is cached per data
    # version; the declared schema still documents the body (and schemathesis checks it).
    return cached_json(request, "units", page)


@router.get(
    "/units/{code}",
    response={200: UnitDetailOut, 404: ErrorOut, 422: ErrorOut},
    summary="En enhet",
)
def unit_detail(request: HttpRequest, code: str, filters: Query[EditionFilters]) -> Any:
    edition = _edition(filters.kommungrupp_edition, filters.year)
    return cached_json(request, "unit", lambda: _unit_detail(code, edition))


def _unit_detail(code: str, edition: str) -> dict[str, Any]:
    unit = services.get_unit(code)
    years = services.population_years(unit)
    return {
        **unit_dict(unit, _kommungrupper(edition), edition),
        "ancestors": [
            {"code": u.code, "name": u.name, "level": u.level} for u in services.ancestors(unit)
        ],
        "children": [
            {"code": u.code, "name": u.name, "level": u.level} for u in services.children(unit)
        ],
        "population_years": list(years),
        "population_years_by_age_sex": [y for y, detailed in years.items() if detailed],
        "population_granularities": {
            str(y): g for y, g in services.population_granularities(unit).items()
        },
    }


POPULATION_COLUMNS = [
    "year",
    "unit_code",
    "age_group",
    "sex",
    "population",
    "granularity",
    "attribution",
]


@router.get(
    "/population",
    response={200: list[PopulationRowOut], 404: ErrorOut, 422: ErrorOut},
    summary="Befolkning",
    openapi_extra=CSV_RESPONSE,
    description=(
        "Folkmängd 31 december för en enhet. Högre nivåer summeras från kommuner eller län. "
        "Utan `year`: totalen för varje tillgängligt år. Varje rad säger vilken granularitet "
        "den bygger på (den finaste som finns om inte `granularity` anges) och källan."
    ),
)
def population(request: HttpRequest, filters: Query[PopulationFilters]) -> Any:
    if filters.format == OutputFormat.json:
        return cached_json(request, "population", lambda: _population_rows(filters))
    rows = _population_rows(filters)
    name = f"befolkning_{filters.unit}_{filters.year or 'alla'}.csv"
    return csv_response(rows, POPULATION_COLUMNS, name)


def _population_rows(filters: PopulationFilters) -> list[dict[str, Any]]:
    return population_rows(
        filters.unit,
        filters.year,
        by=filters.by,
        age_groups=filters.age_groups,
        granularity=filters.granularity,
        year_field="year",
    )


def population_rows(
    code: str,
    year: int | None,
    *,
    by: str | None,
    age_groups: str | None,
    granularity: str | None,
    year_field: str,
) -> list[dict[str, Any]]:
    """Population rows as dicts for the API and the CLI (one place, same columns)."""
    unit = services.get_unit(code)
    breakdown = services.parse_breakdown(by)
    bands = services.parse_age_bands(age_groups) if age_groups else None
    wanted = services.parse_granularity(granularity)
    if year is None:
        if breakdown or bands:
            raise services.InvalidParameter(year_field, "uppdelning på ålder/kön kräver ett år")
        if wanted is not None:
            raise services.InvalidParameter(year_field, "val av granularitet kräver ett år")
        return [
            {
                "year": y,
                "unit_code": unit.code,
                "age_group": None,
                "sex": None,
                "population": n,
                "granularity": g,
                "attribution": "; ".join(services.population_attribution(g)),
            }
            for y, n, g in services.population_series_detail(unit)
        ]
    return [
        r.__dict__
        for r in services.population(unit, year, by=breakdown, age_bands=bands, granularity=wanted)
    ]
