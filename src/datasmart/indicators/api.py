"""REST endpoints for the indicator catalogue, observations and import history.

Mount with ``api.add_router("/", "datasmart.indicators.api.router")``. Paths:

- ``GET /indicators`` — the catalogue; ``GET /indicators/{code}`` — one definition;
- ``GET /indicators/{code}/observations`` — figures (JSON pages or ``format=csv``); 403 for
  an indicator whose observations are not public (``observations_public``: SIP);
- ``GET /indicators/{code}/values`` — computed results (JSON pages, ``format=csv|xlsx``);
- ``GET /indicators/{code}/comparisons`` — counts of better/similar/worse;
- ``GET /indicator-profiles/{unit_code}`` — one unit over all indicators (spine chart);
- ``GET /composite-index`` — the composite index per kommun;
- ``GET /indicator-imports`` — import history; ``POST /indicator-imports`` — upload a
  CSV/Excel file (``IMPORT_DATA``; 201 imported, 200 already imported, 422 problems).

The catalogue and computed (suppressed) results are public, like the pages that show them;
raw observations and the import history need ``VIEW_INDICATORS`` (every member has it;
anonymous callers get 401). Authentication: bearer API
token or signed-in session, as in the accounts API.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from enum import StrEnum
from pathlib import Path as FilePath
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Path, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from datasmart.accounts.api_auth import api_token_auth, session_auth, token_or_session
from datasmart.accounts.permissions import Permission, has_permission
from datasmart.api.responses import ErrorOut, OutputFormat, csv_response, page_envelope
from datasmart.geo.models import Level, Unit
from datasmart.geo.services import GeoError
from datasmart.geo.validation import DataLoadError

from . import composite, results, services
from .imports import ImportNeedsConfirmation
from .models import (
    CiMethod,
    ImportBatch,
    Indicator,
    IndicatorType,
    Observation,
    ObservationSex,
    ObservationStatus,
    Polarity,
)
from .periods import MONTH_MAX, YEAR_MIN

router = Router(tags=["indikatorer"])
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_OFFSET = 1_000_000_000
CODE_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
GROUP_PATTERN = r"^[a-z0-9_]*$"
UNIT_PATTERN = r"^[a-z0-9_]+$"
AGE_PATTERN = r"^[0-9+-]*$"


def _anonymous(request: HttpRequest) -> Any:
    """Last in the auth chain: lets the permission check decide (401 for anonymous)."""
    return AnonymousUser()


optional_auth: list[Any] = [api_token_auth, session_auth, _anonymous]
# OpenAPI's way of saying "a token or a session if you have one, else none": an empty
# security requirement beside the two schemes (public pages' downloads call these).
PUBLIC_READ: dict[str, Any] = {"security": [{}]}


def _public(request: HttpRequest) -> None:
    """Reading what the public indicator pages show: the catalogue and computed results.

    Results are stored already suppressed (a hidden cell has no value, interval or count),
    so they are exactly what ``/indikatorer/`` shows anyone; the pages' CSV and Excel links
    point here and must work without signing in (they once downloaded a 401 as
    ``values.json``). Raw observations and the import history still need ``VIEW_INDICATORS``.
    A token that is sent but not valid is still refused (401), not read as anonymous.
    """
    user = request.auth  # type: ignore[attr-defined]
    if request.headers.get("Authorization") and not getattr(user, "is_authenticated", False):
        raise HttpError(401, "Ogiltig API-nyckel / Invalid API token")


def _require_view(request: HttpRequest) -> None:
    user = request.auth  # type: ignore[attr-defined]
    if has_permission(user, Permission.VIEW_INDICATORS):
        return
    if not getattr(user, "is_authenticated", False):
        raise HttpError(401, "Logga in eller använd en API-nyckel / Sign in or use an API token")
    raise HttpError(403, "Du saknar behörighet för detta. / Permission denied.")


class PopulationSpecOut(Schema):
    age_min: int
    age_max: int | None
    sex: str | None


class IndicatorOut(Schema):
    code: str = Field(description="Indikatorns kod (slug), t.ex. 'self-harm-inpatients'")
    group: str = Field(description="Katalogfilens namn, t.ex. 'kolada_barn_unga'")
    source_code: str = Field(description="Källans egen kod, t.ex. Kolada-id eller ATC-kod")
    title_sv: str
    title_en: str
    type: IndicatorType
    multiplier: float
    value_unit: str
    polarity: Polarity
    levels: list[str] = Field(description="Nivåer där data lagras")
    breakdowns: list[str]
    first_period: int | None
    last_period: int | None
    attribution: str
    version: int


class IndicatorDetailOut(IndicatorOut):
    definition_sv: str
    definition_en: str
    polarity_reason: str
    numerator_definition: str
    denominator_definition: str
    numerator_population: PopulationSpecOut | None
    denominator_population: PopulationSpecOut | None
    age_groups: list[str]
    value_min: float | None
    value_max: float | None
    source: str
    licence: str
    domain: str
    quality_notes: str
    ci_method: CiMethod
    locally_edited: bool
    updated_at: dt.datetime
    observation_count: int
    periods: list[int] = Field(description="År som har observationer")


class IndicatorFilters(Schema):
    group: str | None = Field(None, max_length=80, pattern=GROUP_PATTERN)
    type: IndicatorType | None = None
    level: Level | None = Field(None, description="nation, sjukvardsregion, region eller kommun")


class ObservationOut(Schema):
    indicator: str
    unit_code: str
    unit_name: str
    period: int
    sex: ObservationSex = Field(description="T = båda, 1 = män, 2 = kvinnor")
    age_group: str = Field(description="Tom = alla åldrar")
    numerator: float | None
    denominator: float | None
    value: float | None
    status: ObservationStatus
    batch_id: int
    source: str = Field("", description='Källhänvisningen, t.ex. "Källa: Kolada"')


class ObservationPage(Schema):
    count: int
    limit: int
    offset: int
    next: str | None
    previous: str | None
    items: list[ObservationOut]


class ObservationFilters(Schema):
    unit: str | None = Field(None, max_length=32, pattern=UNIT_PATTERN, description="Enhetens kod")
    level: Level | None = Field(None, description="nation, sjukvardsregion, region eller kommun")
    period: int | None = Field(
        None,
        ge=YEAR_MIN,
        le=MONTH_MAX,
        description="År (ÅÅÅÅ) eller, för månadsindikatorer, månad (ÅÅÅÅMM)",
    )
    period_from: int | None = Field(None, ge=YEAR_MIN, le=MONTH_MAX)
    period_to: int | None = Field(None, ge=YEAR_MIN, le=MONTH_MAX)
    sex: ObservationSex | None = None
    age_group: str | None = Field(
        None, max_length=16, pattern=AGE_PATTERN, description="Tom sträng = alla åldrar"
    )
    status: ObservationStatus | None = None
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    format: OutputFormat = OutputFormat.json


class BatchOut(Schema):
    id: int
    created_at: dt.datetime
    file_name: str
    sha256: str
    row_count: int
    kind: str
    dataset: str
    actor_username: str
    indicators: list[str]


class BatchFilters(Schema):
    indicator: str | None = Field(None, max_length=80, pattern=CODE_PATTERN)
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class BatchPage(Schema):
    count: int
    limit: int
    offset: int
    next: str | None
    previous: str | None
    items: list[BatchOut]


class ProblemOut(Schema):
    file: str
    row: int | None
    column: str | None
    message: str


class ImportOut(Schema):
    created: bool = Field(description="False: filen var redan inläst, inget ändrades")
    message: str
    batch: BatchOut
    warnings: list[ProblemOut] = Field(
        default_factory=list, description="Bekräftade varningar (fil, rad, kolumn)"
    )
    denominator_notes: list[str] = Field(
        default_factory=list,
        description=(
            "Nämnare från befolkningen som togs från ett annat år än radens (närmaste "
            "tidigare år i första hand), en anteckning per enhet och år"
        ),
    )


class ImportErrorOut(Schema):
    detail: str
    problems: list[ProblemOut]
    needs_confirmation: bool = Field(
        False,
        description="True: inga fel men varningar (problems) som måste bekräftas; skicka "
        "filen igen med confirm_warnings=true om uppgifterna stämmer",
    )


OBSERVATION_COLUMNS = [
    "indicator",
    "unit_code",
    "unit_name",
    "period",
    "sex",
    "age_group",
    "numerator",
    "denominator",
    "value",
    "status",
    "batch_id",
    "source",
]


def _indicator_dict(ind: Indicator) -> dict[str, Any]:
    return {
        f: getattr(ind, f)
        for f in (
            "code",
            "group",
            "source_code",
            "title_sv",
            "title_en",
            "type",
            "multiplier",
            "value_unit",
            "polarity",
            "levels",
            "breakdowns",
            "first_period",
            "last_period",
            "attribution",
            "version",
        )
    }


def _observation_dict(obs: Observation, code: str, source: str = "") -> dict[str, Any]:
    return {
        "indicator": code,
        "unit_code": obs.unit.code,
        "unit_name": obs.unit.name,
        "period": obs.period,
        "sex": obs.sex,
        "age_group": obs.age_group,
        "numerator": obs.numerator,
        "denominator": obs.denominator,
        "value": obs.value,
        "status": obs.status,
        "batch_id": obs.batch_id,
        "source": source,
    }


def _batch_dict(batch: ImportBatch) -> dict[str, Any]:
    return {
        "id": batch.pk,
        "created_at": batch.created_at,
        "file_name": batch.file_name,
        "sha256": batch.sha256,
        "row_count": batch.row_count,
        "kind": batch.kind,
        "dataset": batch.dataset,
        "actor_username": batch.actor_username,
        "indicators": [c for c in batch.indicator_codes.split(",") if c],
    }


def _get(code: str) -> Indicator:
    try:
        return services.get_indicator(code)
    except services.IndicatorNotFound as exc:
        raise HttpError(404, str(exc)) from exc


@router.get(
    "/indicators",
    response={200: list[IndicatorOut], 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    auth=optional_auth,
    openapi_extra=PUBLIC_READ,
    summary="Indikatorkatalogen",
)
def indicator_list(request: HttpRequest, filters: Query[IndicatorFilters]) -> Any:
    _public(request)
    try:
        items = services.list_indicators(
            group=filters.group, type=filters.type, level=filters.level
        )
    except GeoError as exc:
        raise HttpError(422, str(exc)) from exc
    return [_indicator_dict(i) for i in items]


@router.get(
    "/indicators/{code}",
    response={200: IndicatorDetailOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    auth=optional_auth,
    openapi_extra=PUBLIC_READ,
    summary="En indikator",
)
def indicator_detail(
    request: HttpRequest, code: str = Path(..., max_length=80, pattern=CODE_PATTERN)
) -> Any:
    _public(request)
    ind = _get(code)
    periods = sorted(set(ind.observations.values_list("period", flat=True).distinct().order_by()))
    extra = {
        f: getattr(ind, f)
        for f in (
            "definition_sv",
            "definition_en",
            "polarity_reason",
            "numerator_definition",
            "denominator_definition",
            "numerator_population",
            "denominator_population",
            "age_groups",
            "value_min",
            "value_max",
            "source",
            "licence",
            "domain",
            "quality_notes",
            "ci_method",
            "locally_edited",
            "updated_at",
        )
    }
    return {
        **_indicator_dict(ind),
        **extra,
        "observation_count": ind.observations.count(),
        "periods": periods,
    }


@router.get(
    "/indicators/{code}/observations",
    response={200: ObservationPage, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    auth=optional_auth,
    summary="Observationer för en indikator",
    description="JSON sidvis, eller alla rader som CSV med `format=csv`.",
)
def indicator_observations(
    request: HttpRequest,
    filters: Query[ObservationFilters],
    code: str = Path(..., max_length=80, pattern=CODE_PATTERN),
) -> Any:
    _require_view(request)
    ind = _get(code)
    if not ind.observations_public:
        raise HttpError(
            403,
            "Observationerna för den här indikatorn är inte offentliga (de räknas fram ur "
            "personuppgifter före röjandeskydd); hämta resultaten under /values.",
        )
    try:
        qs = services.observations(
            ind,
            unit=filters.unit,
            level=filters.level,
            period=filters.period,
            period_from=filters.period_from,
            period_to=filters.period_to,
            sex=filters.sex,
            age_group=filters.age_group,
            status=filters.status,
        )
    except GeoError as exc:
        status = 404 if exc.__class__.__name__ == "UnitNotFound" else 422
        raise HttpError(status, str(exc)) from exc
    source = results.attribution_text(ind)
    if filters.format == OutputFormat.csv:
        rows = (_observation_dict(o, ind.code, source) for o in qs.iterator(chunk_size=2000))
        return csv_response(rows, OBSERVATION_COLUMNS, f"{ind.code}.csv")
    count = qs.count()
    items = [
        _observation_dict(o, ind.code, source)
        for o in qs[filters.offset : filters.offset + filters.limit]
    ]
    return page_envelope(request, items, count=count, limit=filters.limit, offset=filters.offset)


@router.get(
    "/indicator-imports",
    response={200: BatchPage, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    auth=optional_auth,
    summary="Inläsningshistorik",
)
def import_history(request: HttpRequest, filters: Query[BatchFilters]) -> Any:
    _require_view(request)
    ind = _get(filters.indicator) if filters.indicator else None
    qs = services.list_batches(indicator=ind)
    count = qs.count()
    items = [_batch_dict(b) for b in qs[filters.offset : filters.offset + filters.limit]]
    return page_envelope(request, items, count=count, limit=filters.limit, offset=filters.offset)


@router.post(
    "/indicator-imports",
    response={
        200: ImportOut,
        201: ImportOut,
        401: ErrorOut,
        403: ErrorOut,
        413: ErrorOut,
        422: ImportErrorOut,
    },
    auth=token_or_session,
    summary="Läs in observationer (CSV eller Excel)",
    description=(
        "Kräver behörigheten import_data. Allt eller inget: vid fel listas varje problem med "
        "fil, rad och kolumn och inget sparas. Samma fil igen (samma SHA-256 och indikatorer) "
        "ändrar inget och ger 200. Antal (täljare) ska vara heltal. Varningar (en kvots "
        "täljare större än nämnaren) ger 422 med needs_confirmation = true och sparar inget; "
        "med confirm_warnings=true läses filen in och svaret listar varningarna."
    ),
)
def import_upload(
    request: HttpRequest,
    file: File[UploadedFile],
    force: bool = False,
    confirm_warnings: bool = False,
) -> Any:
    if file.size is not None and file.size > MAX_UPLOAD_BYTES:
        raise HttpError(413, f"Filen är större än {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    try:
        result = services.import_observations(
            file.read(),
            file_name=file.name or "uppladdad fil",
            by=request.auth,  # type: ignore[attr-defined]
            force=force,
            confirm_warnings=confirm_warnings,
            request=request,
        )
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from exc
    except ImportNeedsConfirmation as exc:
        return Status(
            422,
            {
                "detail": f"{len(exc.warnings)} varningar måste bekräftas; inget sparades. "
                "Skicka filen igen med confirm_warnings=true om uppgifterna stämmer.",
                "problems": [p.__dict__ for p in exc.warnings],
                "needs_confirmation": True,
            },
        )
    except DataLoadError as exc:
        return Status(
            422,
            {
                "detail": f"Inläsningen avbröts, inget sparades ({len(exc.problems)} fel)",
                "problems": [p.__dict__ for p in exc.problems],
            },
        )
    if result.created:
        # Keep pages and result endpoints in step with the data (as the system: deriving
        # results is part of the import, whoever may import).
        results.compute_all(codes=result.indicators)
    body = {
        "created": result.created,
        "message": result.message,
        "batch": _batch_dict(result.batch),
        "warnings": [p.__dict__ for p in result.warnings],
        "denominator_notes": result.notes,
    }
    return Status(201 if result.created else 200, body)


# --- computed results -------------------------------------------------------------------


class ValuesFormat(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


class ResultFilters(Schema):
    level: Level = Field(Level.KOMMUN, description="nation, sjukvardsregion, region eller kommun")
    period: int | None = Field(
        None,
        ge=YEAR_MIN,
        le=MONTH_MAX,
        description="År, eller ÅÅÅÅMM för månadsindikatorer (standard: senaste)",
    )
    sex: ObservationSex = Field(ObservationSex.TOTAL, description="T = båda, 1 = män, 2 = kvinnor")
    age_group: str = Field("", max_length=16, pattern=AGE_PATTERN, description="Tom = alla")
    kommungrupp: str | None = Field(
        None,
        max_length=8,
        pattern=r"^[A-Za-z0-9]+$",
        description="SKR-kommungrupp, t.ex. B3 (i indelningen kommungrupp_edition)",
    )
    unit: str | None = Field(None, max_length=32, pattern=UNIT_PATTERN, description="Enhetens kod")
    kommungrupp_edition: str | None = Field(
        None,
        pattern=r"^(2017|2023)$",
        description="SKR:s kommungruppsindelning att jämföra med, 2017 eller 2023 "
        "(standard: den som gällde för perioden; 2017 före 2023)",
    )


class ValueFilters(ResultFilters):
    limit: int = Field(500, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    format: ValuesFormat = ValuesFormat.json


class ResultOut(Schema):
    indicator: str
    unit_code: str
    unit_name: str
    level: str
    period: int | None
    sex: str
    age_group: str
    value: float | None = Field(description="Tomt om status inte är ok (t.ex. röjandeskydd)")
    value_rounded: float | None = Field(
        None,
        description="Värdet avrundat som på sidorna (halvor bort från noll, indikatorns "
        "decimaler); value har full precision",
    )
    lower: float | None
    upper: float | None
    status: str = Field(
        description="ok, missing, suppressed (av oss eller hos källan, t.ex. Koladas "
        "Privacy) eller not_applicable"
    )
    numerator: float | None
    denominator: float | None
    national_value: float | None
    vs_nation: str | None
    group_code: str | None
    group_value: float | None
    vs_group: str | None
    group_edition: str | None = Field(
        None, description="Kommungruppsindelningen (SKR 2017/2023) som jämförelsen använder"
    )
    previous_period: int | None
    previous_value: float | None
    vs_previous: str | None
    rank: int | None
    n_ranked: int | None
    quintile: int | None
    funnel_zone: str | None
    method: str | None
    denominator_year: int | None = Field(
        None, description="Befolkningsåret nämnaren bygger på när det inte är periodens eget"
    )
    denominator_note: str = Field(
        "", description="Varför nämnaren är ett annat års befolkning (tom annars)"
    )
    source: str = Field(
        "", description='Källhänvisningen källans licens kräver, t.ex. "Källa: Kolada"'
    )


class ResultPage(Schema):
    count: int
    limit: int
    offset: int
    next: str | None
    previous: str | None
    items: list[ResultOut]


class ComparisonOut(Schema):
    indicator: str
    period: int | None
    level: str
    sex: str
    age_group: str
    units: int
    status: dict[str, int]
    vs_nation: dict[str, int]
    vs_group: dict[str, int]
    vs_previous: dict[str, int]


class ProfileRowOut(Schema):
    code: str
    title_sv: str
    title_en: str
    value_unit: str
    polarity: str
    domain: str
    period: int | None
    value: float | None
    lower: float | None
    upper: float | None
    status: str
    vs_nation: str | None
    national_value: float | None
    n: int
    min: float | None
    q1: float | None
    median: float | None
    q3: float | None
    max: float | None
    vs_quartiles: str | None = Field(
        None,
        description="below_q1, q1_q3 eller above_q3 mot nivåns kvartiler (Hyndman & Fan typ 7); "
        "jämförelsen för indikatorer utan värde för riket",
    )
    group_code: str | None = Field(None, description="Kommunens kommungrupp")
    group_edition: str | None = Field(None, description="Kommungruppsindelning, 2017 eller 2023")
    group_name: str | None = None
    group_n: int = 0
    group_q1: float | None = None
    group_median: float | None = None
    group_q3: float | None = None
    vs_group_quartiles: str | None = None


class ProfileOut(Schema):
    unit_code: str
    unit_name: str
    level: str
    items: list[ProfileRowOut]


class ProfileFilters(Schema):
    period: int | None = Field(
        None,
        ge=YEAR_MIN,
        le=MONTH_MAX,
        description="År (ÅÅÅÅ) eller, för månadsindikatorer, månad (ÅÅÅÅMM)",
    )
    sex: ObservationSex = ObservationSex.TOTAL
    age_group: str = Field("", max_length=16, pattern=AGE_PATTERN)


class CompositeMethod(StrEnum):
    zscore = "zscore"
    rank = "rank"


class CompositeFilters(Schema):
    period: int | None = Field(None, ge=1900, le=2100)
    method: CompositeMethod = CompositeMethod.zscore


class CompositeRowOut(Schema):
    unit_code: str
    unit_name: str
    domains: dict[str, float | None]
    total: float | None
    rank: int | None
    n_ranked: int
    n_indicators: int
    complete: bool


class CompositeOut(Schema):
    method: str
    level: str
    period: int | None
    domains: dict[str, list[str]]
    indicators: dict[str, dict[str, Any]]
    n_indicators_total: int
    n_complete: int
    rows: list[CompositeRowOut]


def _xlsx_response(rows: list[dict[str, Any]], ind: Indicator, filename: str) -> Any:
    """The CLI's Excel export (same sheets: "resultat", and "källa" with the attribution)."""
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as tmp:
        results.write_export(rows, "xlsx", FilePath(tmp.name), about=results.export_about(ind))
        body = FilePath(tmp.name).read_bytes()
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.get(
    "/indicators/{code}/values",
    response={200: ResultPage, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    auth=optional_auth,
    openapi_extra=PUBLIC_READ,
    summary="Beräknade värden för en indikator",
    description=(
        "Ett värde per enhet på nivån för ett år (standard: senaste), kön och åldersgrupp, "
        "med konfidensintervall och jämförelser. Röjandeskyddade celler har tomt värde och "
        "status `suppressed`. JSON sidvis, eller alla rader med `format=csv` / `format=xlsx`."
    ),
)
def indicator_values(
    request: HttpRequest,
    filters: Query[ValueFilters],
    code: str = Path(..., max_length=80, pattern=CODE_PATTERN),
) -> Any:
    _public(request)
    ind = _get(code)
    try:
        rows = results.export_rows(
            ind,
            level=filters.level,
            period=filters.period,
            sex=filters.sex,
            age_group=filters.age_group,
            kommungrupp=filters.kommungrupp,
            unit=filters.unit,
            kommungrupp_edition=filters.kommungrupp_edition,
        )
    except results.ResultsError as exc:
        raise HttpError(422, str(exc)) from exc
    if filters.unit and not rows:
        raise HttpError(404, f"Ingen enhet '{filters.unit}' på nivån {filters.level}.")
    columns = list(results.EXPORT_COLUMNS)
    if filters.format == ValuesFormat.csv:
        return csv_response(rows, columns, f"{ind.code}.csv")
    if filters.format == ValuesFormat.xlsx:
        return _xlsx_response(rows, ind, f"{ind.code}.xlsx")
    page = rows[filters.offset : filters.offset + filters.limit]
    return page_envelope(request, page, count=len(rows), limit=filters.limit, offset=filters.offset)


@router.get(
    "/indicators/{code}/comparisons",
    response={200: ComparisonOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    auth=optional_auth,
    openapi_extra=PUBLIC_READ,
    summary="Jämförelser i sammandrag",
    description="Antal enheter som är bättre/likvärdiga/sämre än riket, gruppen och förra året.",
)
def indicator_comparisons(
    request: HttpRequest,
    filters: Query[ResultFilters],
    code: str = Path(..., max_length=80, pattern=CODE_PATTERN),
) -> Any:
    _public(request)
    ind = _get(code)
    try:
        summary = results.comparison_summary(
            ind,
            level=filters.level,
            period=filters.period,
            sex=filters.sex,
            age_group=filters.age_group,
        )
    except results.ResultsError as exc:
        raise HttpError(422, str(exc)) from exc
    return {"indicator": ind.code, **summary}


@router.get(
    "/indicator-profiles/{unit_code}",
    response={200: ProfileOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    auth=optional_auth,
    openapi_extra=PUBLIC_READ,
    summary="En enhets profil över alla indikatorer",
    description="Enhetens värde, rikets värde och nivåns spridning (min, kvartiler, max).",
)
def indicator_profile(
    request: HttpRequest,
    filters: Query[ProfileFilters],
    unit_code: str = Path(..., max_length=32, pattern=UNIT_PATTERN),
) -> Any:
    _public(request)
    unit = Unit.objects.filter(code=unit_code).first()
    if unit is None:
        raise HttpError(404, f"Ingen enhet med koden '{unit_code}' finns.")
    items = results.unit_profile(
        unit_code, filters.period, sex=filters.sex, age_group=filters.age_group
    )
    return {"unit_code": unit.code, "unit_name": unit.name, "level": unit.level, "items": items}


@router.get(
    "/composite-index",
    response={200: CompositeOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    auth=optional_auth,
    openapi_extra=PUBLIC_READ,
    summary="Sammanvägt index per kommun",
    description="Metod: docs/methods/composite.md. Rang 1 = bäst.",
)
def composite_index_endpoint(request: HttpRequest, filters: Query[CompositeFilters]) -> Any:
    _public(request)
    return composite.composite_index(period=filters.period, method=filters.method.value)
