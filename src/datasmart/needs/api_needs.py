"""REST endpoints for prevalence, expected cases and gaps, mounted at ``/api/needs``
beside the projection endpoints (:mod:`datasmart.needs.api`). Read-only and open (the
figures come from published data). Bad parameters answer 422 naming the field."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from datasmart.api.responses import ErrorOut
from datasmart.geo.models import Level
from datasmart.needs import coverage, expected, gap
from datasmart.needs.models import PrevalenceEstimate

router = Router(tags=["behovsanalys"])


class PrevalenceOut(Schema):
    id: int
    condition: str
    age_band: str
    age_from: int | None
    age_to: int | None
    sex: str
    low: float | None = Field(None, description="Andel 0–1")
    central: float | None
    high: float | None
    period_type: str
    measure: str
    publication: str
    source_table: str
    source_year: str
    link: str
    note: str
    range_is_judgement: bool
    use_in_needs: bool
    version: int


@router.get("/prevalence", response=list[PrevalenceOut], summary="Prevalensuppgifter med källor")
def prevalence(
    request: HttpRequest, condition: str | None = None, use_in_needs: bool | None = None
) -> Any:
    """Every stored prevalence figure (shares 0–1) with its source; ``use_in_needs`` =
    the basis for expected cases. The figures are 'sannolikt i underkant'."""
    qs = PrevalenceEstimate.objects.all()
    if condition:
        qs = qs.filter(condition=condition)
    if use_in_needs is not None:
        qs = qs.filter(use_in_needs=use_in_needs)
    return list(qs)


class CoverageFigureOut(Schema):
    age_band: str
    sex: str
    low: float | None = Field(None, description="Andel 0–1; null = ingen publicerad siffra")
    central: float | None
    high: float | None
    estimate_id: int
    range_is_judgement: bool


class CoverageOut(Schema):
    condition: str
    condition_label: str
    age_group: str = Field(..., description="0-17, 18-25 eller 26+")
    age_group_label: str
    status: str = Field(
        ..., description="sourced (låg, central, hög), partial (delvis) eller missing (ingen)"
    )
    figures: list[CoverageFigureOut]
    reason: str = Field(..., description="Varför en siffra eller ett intervall saknas")
    judgement: str = Field(..., description="Hur ett sammanställt intervall är bedömt")
    no_figure: str = Field(..., description="Texten som visas där en siffra saknas")


@router.get(
    "/prevalence/coverage",
    response=list[CoverageOut],
    summary="Täckning: låg, central och hög per tillstånd och åldersgrupp",
)
def prevalence_coverage(request: HttpRequest) -> Any:
    """The thirty required cells (ten conditions × children 0–17, young adults 18–25,
    adults 26+): the basis figures in each, and for a cell without a sourced low,
    central and high the reason ("ingen publicerad siffra i underlaget"). The figures
    are 'sannolikt i underkant'."""
    return coverage.cells()


class ExpectedFilters(Schema):
    level: Level = Field(Level.KOMMUN, description="kommun, region, sjukvardsregion, nation")
    unit: str | None = Field(None, max_length=32, description="Bara denna enhet (kod)")
    condition: str | None = Field(None, max_length=32, description="Tillståndskod, t.ex. adhd")
    horizon: int | None = Field(None, description="0, 5 eller 10 år från basåret")
    scenario: str = Field("platform", max_length=64, description="Framskrivning")


class ExpectedRowOut(Schema):
    unit_code: str
    unit_name: str
    year: int
    horizon: int
    condition: str
    age_band: str
    sex: str
    population: int
    expected_low: float
    expected_central: float
    expected_high: float
    share_low: float
    share_central: float
    share_high: float
    range_unknown: bool
    range_is_judgement: bool
    period_type: str
    estimate_id: int


class ExpectedOut(Schema):
    base_year: int
    years: list[int]
    projected: bool = Field(
        ..., description="False: ingen framskrivning, nuvarande befolkning används"
    )
    scenario: str
    note: str
    projection_error_known: bool
    projection_error: dict[str, float]
    rows: list[ExpectedRowOut]


@router.get(
    "/expected",
    response={200: ExpectedOut, 404: ErrorOut, 422: ErrorOut},
    summary="Förväntat antal per tillstånd",
)
def expected_cases(request: HttpRequest, filters: Query[ExpectedFilters]) -> Any:
    """Prevalence × (projected) population per unit, year, condition, age band and sex,
    with low–high ranges (prevalence range and the projection's backtest error)."""
    return expected.expected_rows(
        filters.level.value,
        filters.unit,
        condition=filters.condition,
        scenario=filters.scenario,
        horizon=filters.horizon,
    )


class GapOut(Schema):
    condition: str
    indicator: str
    indicator_title: str
    period: int | None
    base_year: int
    ages: str
    expected_low: float
    expected_central: float
    expected_high: float
    delivered: float | None
    coverage: float | None
    coverage_low: float | None
    coverage_high: float | None
    gap_per_10000: float | None
    gap_per_10000_low: float | None
    gap_per_10000_high: float | None
    definition_need: str
    why: str
    indicative: bool


@router.get(
    "/gaps",
    response={200: list[GapOut], 404: ErrorOut, 422: ErrorOut},
    summary="Behov mot given vård (indikativt)",
)
def gaps(request: HttpRequest, unit: str, level: Level = Level.REGION) -> Any:
    """Expected against delivered care where an indicator counts care to the same group:
    coverage ratio and gap per 10 000 inhabitants, marked indicative."""
    return gap.gap_rows(level.value, unit)
