"""REST endpoints for agreements, posts, allocations, runs, scenarios and the decision annex.

Mount with ``api.add_router("/funding", "datasmart.funding.api.router")``. Paths (under
``/api/funding``):

- ``GET /agreements`` — agreements; ``GET /agreements/{year}`` — one, with its posts;
- ``GET /agreements/{year}/posts`` — posts with their key explained in Swedish;
- ``GET /agreements/{year}/allocation`` — one row per post and recipient (filters ``post``,
  ``level``, ``lan``; ``population_year``, ``policy`` or a saved ``run``; JSON pages or
  ``format=csv``);
- ``GET /agreements/{year}/scenario`` — base vs another population year / policy;
- ``GET /agreements/{year}/runs`` — run history; ``POST`` the same path saves a run
  (``MANAGE_FUNDING``); ``GET /runs/{id}`` — one run with its reproduction check;
- ``GET /agreements/{year}/annex.csv`` and ``annex.xlsx`` — the decision annex;
- ``GET /agreements/{year}/conditions`` — conditions and fulfilment counts;
- ``GET /agreements/{year}/surveys`` and ``…/surveys/{code}/status`` — reporting surveys, who
  reported and who is late; ``POST /agreements/{year}/surveys`` creates one and
  ``PUT …/surveys/{code}`` changes it (the agreement's administrators);
  ``GET``/``PUT …/responses/{unit}`` — read, save or submit a recipient's answers
  (``REPORT_FUNDING`` for that unit); ``POST …/reopen`` (administrators).

Reading needs ``VIEW_FUNDING`` (every member; anonymous callers get 401). Authentication:
bearer API token or signed-in session, as in the accounts API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.errors import HttpError

from datasmart.accounts.api_auth import api_token_auth, session_auth, token_or_session
from datasmart.accounts.permissions import Permission, has_permission
from datasmart.api.responses import ErrorOut, OutputFormat, csv_response, page_envelope
from datasmart.geo.services import GeoError

from . import services
from .exports import ANNEX_CSV_COLUMNS, annex_filename, annex_workbook
from .models import AcceptancePolicy, Agreement, AgreementStatus, AllocationRun, RecipientLevel

router = Router(tags=["medel"])
MAX_OFFSET = 1_000_000_000
POST_PATTERN = r"^[A-Za-z0-9_-]+$"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _anonymous(request: HttpRequest) -> Any:
    """Last in the auth chain: lets the permission check decide (401 for anonymous)."""
    return AnonymousUser()


optional_auth: list[Any] = [api_token_auth, session_auth, _anonymous]


def _require_view(request: HttpRequest) -> None:
    user = request.auth  # type: ignore[attr-defined]
    if has_permission(user, Permission.VIEW_FUNDING):
        return
    if not getattr(user, "is_authenticated", False):
        raise HttpError(401, "Logga in eller använd en API-nyckel / Sign in or use an API token")
    raise HttpError(403, "Du saknar behörighet för detta. / Permission denied.")


def _agreement(year: int) -> Agreement:
    try:
        return services.get_agreement(year)
    except services.AgreementNotFound as exc:
        raise HttpError(404, str(exc)) from exc


# --------------------------------------------------------------------------- schemas


class Policy(StrEnum):
    withhold = "withhold"
    redistribute = "redistribute"


class AgreementOut(Schema):
    year: int
    title: str
    status: AgreementStatus
    total_sek: int
    parties: str
    decision_date: dt.date | None
    population_year: int | None
    acceptance_policy: AcceptancePolicy
    acceptance_summary: dict[str, list[int]] = Field(
        description="Antal som tackat ja och antal mottagare, när källan bara anger antal"
    )
    version: int
    source: str


class PostOut(Schema):
    code: str
    name: str
    amount_sek: int
    recipient_level: RecipientLevel
    recipients: int = Field(description="Antal mottagare (0 när fördelningen inte anges)")
    purpose: str
    key_type: str
    key_params: dict[str, Any]
    key_explained: str = Field(description="Nyckeln i klartext på svenska")


class AgreementDetailOut(AgreementOut):
    population_year_reason: str
    notes: str
    posts: list[PostOut]


class LineOut(Schema):
    post: str
    post_name: str
    recipient_level: RecipientLevel
    recipient_code: str = Field(description="Kommun- eller länskod, 'SKR', tom = ej fördelat")
    recipient_name: str
    population: int | None = Field(description="Befolkningen som nyckeln använde")
    amount_sek: int
    withheld: bool = Field(description="Mottagaren har tackat nej; beloppet betalas inte ut")
    paid_sek: int


class AllocationPage(Schema):
    count: int
    limit: int
    offset: int
    next: str | None
    previous: str | None
    population_year: int | None
    policy: AcceptancePolicy
    run: int | None = Field(description="Sparad körning, eller null för en ny beräkning")
    total_sek: int = Field(description="Summa för de filtrerade raderna")
    paid_sek: int
    withheld_sek: int
    items: list[LineOut]


class AllocationFilters(Schema):
    population_year: int | None = Field(None, ge=1900, le=2200)
    policy: Policy | None = None
    run: int | None = Field(None, ge=1, description="En sparad körning i stället för ny beräkning")
    post: str | None = Field(None, max_length=60, pattern=POST_PATTERN)
    level: RecipientLevel | None = None
    lan: str | None = Field(None, pattern=r"^[0-9]{2}$", description="Länskod, t.ex. 01")
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    format: OutputFormat = OutputFormat.json


class DiffOut(Schema):
    post: str
    post_name: str
    recipient_level: str
    recipient_code: str
    recipient_name: str
    base_sek: int
    scenario_sek: int
    difference_sek: int
    base_population: int | None
    scenario_population: int | None


class ScenarioOut(Schema):
    base_population_year: int | None
    population_year: int | None
    base_policy: AcceptancePolicy
    policy: AcceptancePolicy
    notes: list[str] = Field(description="Poster som behåller avtalets befolkningsår, och varför")
    base_total_sek: int
    scenario_total_sek: int
    items: list[DiffOut]


class ScenarioPer(StrEnum):
    recipient = "recipient"
    post = "post"


class ScenarioFilters(Schema):
    population_year: int | None = Field(None, ge=1900, le=2200)
    base_population_year: int | None = Field(None, ge=1900, le=2200)
    policy: Policy | None = None
    per: ScenarioPer = ScenarioPer.recipient
    format: OutputFormat = OutputFormat.json


class RunOut(Schema):
    id: int
    year: int
    agreement_version: int
    population_year: int | None
    policy: AcceptancePolicy
    is_scenario: bool
    label: str
    created_by: str
    created_at: dt.datetime
    total_sek: int
    paid_sek: int
    withheld_sek: int
    result_sha256: str


class RunDetailOut(RunOut):
    reproducible: bool = Field(description="Omräkning från underlaget ger samma belopp")
    inputs: dict[str, Any] = Field(description="Hela underlaget: poster, nycklar, befolkning")


class RunPage(Schema):
    count: int
    limit: int
    offset: int
    next: str | None
    previous: str | None
    items: list[RunOut]


class RunFilters(Schema):
    scenarios: bool | None = Field(None, description="true: bara scenarier, false: inga")
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class RunIn(Schema):
    population_year: int | None = Field(None, ge=1900, le=2200)
    policy: Policy | None = None
    label: str = Field("", max_length=200)


class AnnexFilters(Schema):
    run: int | None = Field(None, ge=1)
    population_year: int | None = Field(None, ge=1900, le=2200)
    policy: Policy | None = None


# --------------------------------------------------------------------------- helpers


def _agreement_dict(a: Agreement) -> dict[str, Any]:
    return {
        f: getattr(a, f)
        for f in (
            "year",
            "title",
            "status",
            "total_sek",
            "parties",
            "decision_date",
            "population_year",
            "acceptance_policy",
            "acceptance_summary",
            "version",
            "source",
        )
    }


def _post_dicts(a: Agreement) -> list[dict[str, Any]]:
    keep = (
        "code",
        "name",
        "amount_sek",
        "recipient_level",
        "recipients",
        "purpose",
        "key_type",
        "key_params",
        "key_explained",
    )
    return [{k: e[k] for k in keep} for e in services.post_explanations(a)]


def _run_dict(run: AllocationRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "year": run.agreement.year,
        "agreement_version": run.agreement_version,
        "population_year": run.population_year,
        "policy": run.policy,
        "is_scenario": run.is_scenario,
        "label": run.label,
        "created_by": run.created_by_username,
        "created_at": run.created_at,
        "total_sek": run.total_sek,
        "paid_sek": run.paid_sek,
        "withheld_sek": run.withheld_sek,
        "result_sha256": run.result_sha256,
    }


@contextmanager
def _service_errors(*, unit_lookup: bool = False) -> Iterator[None]:
    """The services' refusals as status codes: 403 denied (audited by the service), 422 a
    :class:`~datasmart.funding.services.FundingError` (the message names the field) and,
    where ``unit_lookup`` (a recipient's unit code from the path), 404 for an unknown unit."""
    try:
        yield
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from exc
    except services.FundingError as exc:
        raise HttpError(422, str(exc)) from exc
    except GeoError as exc:
        if not unit_lookup:
            raise
        raise HttpError(404, str(exc)) from exc


def _allocation(
    a: Agreement, *, run: int | None, population_year: int | None, policy: str | None
) -> services.Allocation:
    if run is not None:
        if population_year is not None or policy is not None:
            raise HttpError(422, "Ange antingen run eller population_year/policy, inte båda.")
        found = a.runs.filter(pk=run).first()
        if found is None:
            raise HttpError(404, f"Ingen körning nr {run} för {a.year}.")
        return services.run_allocation_result(found)
    with _service_errors():
        return services.preview(a, population_year=population_year, policy=policy)


# --------------------------------------------------------------------------- endpoints

READ = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


@router.get(
    "/agreements",
    response={200: list[AgreementOut], **READ},
    auth=optional_auth,
    summary="Överenskommelser",
)
def agreement_list(request: HttpRequest) -> Any:
    _require_view(request)
    return [_agreement_dict(a) for a in services.list_agreements()]


@router.get(
    "/agreements/{year}",
    response={200: AgreementDetailOut, **READ},
    auth=optional_auth,
    summary="En överenskommelse med poster",
)
def agreement_detail(request: HttpRequest, year: int = Path(..., ge=1900, le=2200)) -> Any:
    _require_view(request)
    a = _agreement(year)
    return {
        **_agreement_dict(a),
        "population_year_reason": a.population_year_reason,
        "notes": a.notes,
        "posts": _post_dicts(a),
    }


@router.get(
    "/agreements/{year}/posts",
    response={200: list[PostOut], **READ},
    auth=optional_auth,
    summary="Poster med fördelningsnyckel i klartext",
)
def agreement_posts(request: HttpRequest, year: int = Path(..., ge=1900, le=2200)) -> Any:
    _require_view(request)
    return _post_dicts(_agreement(year))


@router.get(
    "/agreements/{year}/allocation",
    response={200: AllocationPage, **READ},
    auth=optional_auth,
    summary="Fördelning per post och mottagare",
    description=(
        "En rad per post och mottagare. Utan `run` räknas fördelningen ut på nytt (inget "
        "sparas) med avtalets eller angivet befolkningsår. JSON sidvis, eller alla rader som "
        "CSV med `format=csv`."
    ),
)
def allocation(
    request: HttpRequest,
    filters: Query[AllocationFilters],
    year: int = Path(..., ge=1900, le=2200),
) -> Any:
    _require_view(request)
    a = _agreement(year)
    result = _allocation(
        a,
        run=filters.run,
        population_year=filters.population_year,
        policy=filters.policy.value if filters.policy else None,
    )
    with _service_errors():
        lines = services.filter_lines(
            result.lines,
            post=filters.post,
            level=filters.level.value if filters.level else None,
            lan=filters.lan,
        )
    if filters.format == OutputFormat.csv:
        return csv_response(
            (ln.as_dict() for ln in lines),
            services.LINE_COLUMNS,
            annex_filename(result, "csv").replace("beslutsbilaga", "fordelning"),
        )
    page = [ln.as_dict() for ln in lines[filters.offset : filters.offset + filters.limit]]
    body = page_envelope(
        request, page, count=len(lines), limit=filters.limit, offset=filters.offset
    )
    body.update(
        population_year=result.population_year,
        policy=result.policy,
        run=result.run.pk if result.run is not None else None,
        total_sek=sum(ln.amount_sek for ln in lines),
        paid_sek=sum(ln.paid_sek for ln in lines),
        withheld_sek=sum(ln.amount_sek for ln in lines if ln.withheld),
    )
    return body


@router.get(
    "/agreements/{year}/scenario",
    response={200: ScenarioOut, **READ},
    auth=optional_auth,
    summary="Scenario: annat befolkningsår eller annan hantering av nej-svar",
    description=(
        "Jämför avtalets fördelning (bas) med ett scenario, per mottagare (summa över poster) "
        "eller per post och mottagare. Inget sparas. Poster vars nyckel inte kan beräknas för "
        "scenariots år behåller avtalets år (se `notes`)."
    ),
)
def scenario(
    request: HttpRequest, filters: Query[ScenarioFilters], year: int = Path(..., ge=1900, le=2200)
) -> Any:
    _require_view(request)
    a = _agreement(year)
    with _service_errors():
        result = services.scenario(
            a,
            population_year=filters.population_year,
            base_population_year=filters.base_population_year,
            policy=filters.policy.value if filters.policy else None,
        )
    rows = result.rows if filters.per == ScenarioPer.post else result.recipients
    if filters.format == OutputFormat.csv:
        return csv_response(
            (r.as_dict() for r in rows), services.DIFF_COLUMNS, f"scenario-{a.year}.csv"
        )
    return {
        "base_population_year": result.base.population_year,
        "population_year": result.scenario.population_year,
        "base_policy": result.base.policy,
        "policy": result.scenario.policy,
        "notes": result.scenario.notes,
        "base_total_sek": result.base.total_sek,
        "scenario_total_sek": result.scenario.total_sek,
        "items": [r.as_dict() for r in rows],
    }


@router.get(
    "/agreements/{year}/runs",
    response={200: RunPage, **READ},
    auth=optional_auth,
    summary="Sparade körningar",
)
def run_history(
    request: HttpRequest, filters: Query[RunFilters], year: int = Path(..., ge=1900, le=2200)
) -> Any:
    _require_view(request)
    qs = _agreement(year).runs.select_related("agreement")
    if filters.scenarios is not None:
        qs = qs.filter(is_scenario=filters.scenarios)
    count = qs.count()
    items = [_run_dict(r) for r in qs[filters.offset : filters.offset + filters.limit]]
    return page_envelope(request, items, count=count, limit=filters.limit, offset=filters.offset)


@router.post(
    "/agreements/{year}/runs",
    response={201: RunOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    auth=token_or_session,
    summary="Spara en körning (överenskommelsens administratörer: manage_funding nationellt)",
    description="Räknar ut fördelningen och sparar den med hela underlaget, så att den kan "
    "återskapas. Nekad åtkomst loggas.",
)
def run_create(request: HttpRequest, body: RunIn, year: int = Path(..., ge=1900, le=2200)) -> Any:
    a = _agreement(year)
    with _service_errors():
        run = services.run_allocation(
            a,
            population_year=body.population_year,
            policy=body.policy.value if body.policy else None,
            label=body.label,
            by=request.auth,  # type: ignore[attr-defined]
            request=request,
        )
    return Status(201, _run_dict(run))


@router.get(
    "/runs/{run_id}",
    response={200: RunDetailOut, **READ},
    auth=optional_auth,
    summary="En körning med underlag och omräkningskontroll",
)
def run_detail(request: HttpRequest, run_id: int = Path(..., ge=1)) -> Any:
    _require_view(request)
    run = AllocationRun.objects.select_related("agreement").filter(pk=run_id).first()
    if run is None:
        raise HttpError(404, f"Ingen körning nr {run_id}.")
    return {
        **_run_dict(run),
        "reproducible": services.reproduce_run(run).matches,
        "inputs": run.inputs,
    }


def _annex_result(request: HttpRequest, year: int, filters: AnnexFilters) -> services.Allocation:
    _require_view(request)
    return _allocation(
        _agreement(year),
        run=filters.run,
        population_year=filters.population_year,
        policy=filters.policy.value if filters.policy else None,
    )


@router.get(
    "/agreements/{year}/annex.csv",
    response={200: None, **READ},
    auth=optional_auth,
    summary="Beslutsbilaga som CSV",
    description="En rad per post och mottagare (samma rader som `allocation`).",
)
def annex_csv(
    request: HttpRequest, filters: Query[AnnexFilters], year: int = Path(..., ge=1900, le=2200)
) -> Any:
    result = _annex_result(request, year, filters)
    return csv_response(
        (ln.as_dict() for ln in result.lines), ANNEX_CSV_COLUMNS, annex_filename(result, "csv")
    )


@router.get(
    "/agreements/{year}/annex.xlsx",
    response={200: None, **READ},
    auth=optional_auth,
    summary="Beslutsbilaga som Excel",
    description="Flikar: sammanfattning med varje post och nyckel, alla rader, summa per "
    "mottagare med kronor per invånare.",
)
def annex_xlsx(
    request: HttpRequest, filters: Query[AnnexFilters], year: int = Path(..., ge=1900, le=2200)
) -> Any:
    result = _annex_result(request, year, filters)
    response = HttpResponse(annex_workbook(result), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{annex_filename(result, "xlsx")}"'
    return response


# --------------------------------------------------------------------------- follow-up

CODE_PATTERN = r"^[A-Za-z0-9_-]+$"
UNIT_PATTERN = r"^[0-9]{2}([0-9]{2})?$"


class ConditionOut(Schema):
    code: str
    text: str
    post: str | None
    recipient_level: str
    due_date: dt.date | None
    rule: str = Field(
        description="manual: bedöms för hand; joint_plan: uppfyllt när länet har en "
        "överenskommen gemensam handlingsplan för året (läses från planerna)"
    )
    expected: int
    fulfilled: int
    partly: int
    not_fulfilled: int
    not_assessed: int


class SurveyOut(Schema):
    code: str
    title: str
    respondent_level: str
    due_date: dt.date
    questions: list[dict[str, Any]]
    expected: int
    submitted: int
    draft: int
    missing: int
    late: int


class ReportStatusOut(Schema):
    unit_code: str
    unit_name: str
    status: str = Field(description="submitted, draft eller missing")
    late: bool = Field(description="Inte inskickad i tid (eller inskickad efter sista dag)")
    submitted_at: str | None
    reopened: int


class StatusFilters(Schema):
    late: bool | None = Field(None, description="true: bara de som är sena")
    format: OutputFormat = OutputFormat.json


class ResponseIn(Schema):
    answers: dict[str, Any]
    submit: bool = False


class ReopenIn(Schema):
    reason: str = Field(..., min_length=1, max_length=500)


class ResponseOut(Schema):
    survey: str
    unit_code: str
    status: str
    answers: dict[str, Any]
    submitted_at: dt.datetime | None
    submitted_by: str
    reopened: int


def _survey(a: Agreement, code: str) -> Any:
    survey = a.surveys.filter(code=code).first()
    if survey is None:
        raise HttpError(404, f"Ingen enkät {code!r} för {a.year}.")
    return survey


def _response_dict(r: Any) -> dict[str, Any]:
    return {
        "survey": r.survey.code,
        "unit_code": r.unit.code,
        "status": r.status,
        "answers": r.answers,
        "submitted_at": r.submitted_at,
        "submitted_by": r.submitted_by_username,
        "reopened": r.reopened,
    }


@router.get(
    "/agreements/{year}/conditions",
    response={200: list[ConditionOut], **READ},
    auth=optional_auth,
    summary="Villkor och hur många mottagare som uppfyllt dem",
)
def conditions(request: HttpRequest, year: int = Path(..., ge=1900, le=2200)) -> Any:
    from .services.followup import condition_overview

    _require_view(request)
    return [
        {
            "code": s.condition.code,
            "text": s.condition.text,
            "post": s.condition.post.code if s.condition.post else None,
            "recipient_level": s.condition.recipient_level,
            "due_date": s.condition.due_date,
            "rule": s.condition.rule,
            "expected": s.expected,
            **s.counts,
            "not_assessed": s.not_assessed,
        }
        for s in condition_overview(_agreement(year))
    ]


@router.get(
    "/agreements/{year}/surveys",
    response={200: list[SurveyOut], **READ},
    auth=optional_auth,
    summary="Rapporteringsenkäter med svarsläge",
)
def surveys(request: HttpRequest, year: int = Path(..., ge=1900, le=2200)) -> Any:
    from .services.followup import completeness

    _require_view(request)
    out = []
    for survey in _agreement(year).surveys.all():
        c = completeness(survey)
        out.append(
            {
                "code": survey.code,
                "title": survey.title,
                "respondent_level": survey.respondent_level,
                "due_date": survey.due_date,
                "questions": survey.questions,
                "expected": len(c.rows),
                "submitted": c.count("submitted"),
                "draft": c.count("draft"),
                "missing": c.count("missing"),
                "late": len(c.late),
            }
        )
    return out


class QuestionIn(Schema):
    code: str = Field(..., max_length=60, pattern=r"^[a-z0-9][a-z0-9-]*$")
    text: str = Field(..., min_length=1, max_length=2000)
    type: str = Field("text", description="text, number, yesno eller choice")
    required: bool = False
    choices: list[str] = Field(default_factory=list, description="för type=choice, minst två")
    help: str = Field("", max_length=2000)


class SurveyChangeIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    due_date: dt.date
    questions: list[QuestionIn] = Field(..., min_length=1, max_length=100)


class SurveyIn(SurveyChangeIn):
    code: str = Field(..., max_length=60, pattern=r"^[a-z0-9][a-z0-9-]*$")
    respondent_level: str = Field(..., description="kommun eller region")


class SurveyDefinitionOut(Schema):
    code: str
    title: str
    respondent_level: str
    due_date: dt.date
    questions: list[dict[str, Any]]


def _survey_definition(survey: Any) -> dict[str, Any]:
    return {
        "code": survey.code,
        "title": survey.title,
        "respondent_level": survey.respondent_level,
        "due_date": survey.due_date,
        "questions": survey.questions,
    }


WRITE = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


@router.post(
    "/agreements/{year}/surveys",
    response={201: SurveyDefinitionOut, **WRITE},
    auth=token_or_session,
    summary="Skapa en rapporteringsenkät (överenskommelsens administratörer)",
    description="Koden: a–z, 0–9 och bindestreck. Sista dag nära överenskommelsens år. "
    "Frågor: text, number, yesno eller choice (minst två svarsalternativ). Nekad åtkomst loggas.",
)
def survey_create(
    request: HttpRequest, body: SurveyIn, year: int = Path(..., ge=1900, le=2200)
) -> Any:
    from .services.followup import create_survey

    agreement = _agreement(year)
    with _service_errors():
        survey = create_survey(
            agreement,
            code=body.code,
            title=body.title,
            respondent_level=body.respondent_level,
            due_date=body.due_date,
            questions=[q.dict() for q in body.questions],
            by=request.auth,  # type: ignore[attr-defined]
            request=request,
        )
    return Status(201, _survey_definition(survey))


@router.put(
    "/agreements/{year}/surveys/{code}",
    response={200: SurveyDefinitionOut, **WRITE},
    auth=token_or_session,
    summary="Ändra en rapporteringsenkät (överenskommelsens administratörer)",
    description="Rubrik, sista dag och frågor. En fråga som redan besvarats kan inte tas bort "
    "eller byta typ. Kod och svarande nivå ändras inte.",
)
def survey_update(
    request: HttpRequest,
    body: SurveyChangeIn,
    year: int = Path(..., ge=1900, le=2200),
    code: str = Path(..., max_length=60, pattern=CODE_PATTERN),
) -> Any:
    from .services.followup import update_survey

    survey = _survey(_agreement(year), code)
    with _service_errors():
        updated = update_survey(
            survey,
            title=body.title,
            due_date=body.due_date,
            questions=[q.dict() for q in body.questions],
            by=request.auth,  # type: ignore[attr-defined]
            request=request,
        )
    return _survey_definition(updated)


@router.get(
    "/agreements/{year}/surveys/{code}/status",
    response={200: list[ReportStatusOut], **READ},
    auth=optional_auth,
    summary="Vem har rapporterat och vem är sen",
)
def survey_status(
    request: HttpRequest,
    filters: Query[StatusFilters],
    year: int = Path(..., ge=1900, le=2200),
    code: str = Path(..., max_length=60, pattern=CODE_PATTERN),
) -> Any:
    from .services.followup import REPORT_COLUMNS, completeness

    _require_view(request)
    survey = _survey(_agreement(year), code)
    rows = completeness(survey).rows
    if filters.late is not None:
        rows = [r for r in rows if r.late == filters.late]
    if filters.format == OutputFormat.csv:
        return csv_response((r.as_dict() for r in rows), REPORT_COLUMNS, f"rapportering-{code}.csv")
    return [r.as_dict() for r in rows]


@router.get(
    "/agreements/{year}/surveys/{code}/responses/{unit}",
    response={200: ResponseOut, **READ},
    auth=optional_auth,
    summary="En mottagares svar (mottagaren själv eller administratörer)",
)
def response_detail(
    request: HttpRequest,
    year: int = Path(..., ge=1900, le=2200),
    code: str = Path(..., max_length=60, pattern=CODE_PATTERN),
    unit: str = Path(..., pattern=UNIT_PATTERN),
) -> Any:
    from .services.followup import get_response

    _require_view(request)
    survey = _survey(_agreement(year), code)
    with _service_errors(unit_lookup=True):
        found = get_response(
            survey,
            unit_code=unit,
            by=request.auth,  # type: ignore[attr-defined]
            request=request,
        )
    if found is None:
        raise HttpError(404, f"{unit} har inte börjat svara på {code!r}.")
    return _response_dict(found)


@router.put(
    "/agreements/{year}/surveys/{code}/responses/{unit}",
    response={200: ResponseOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    auth=token_or_session,
    summary="Spara eller skicka in svar (kräver report_funding för mottagaren)",
    description="Sparar svaren som utkast; `submit=true` skickar in (alla obligatoriska "
    "frågor måste vara besvarade). Ett inskickat svar kan bara ändras efter att en "
    "samordnare öppnat det igen.",
)
def response_save(
    request: HttpRequest,
    body: ResponseIn,
    year: int = Path(..., ge=1900, le=2200),
    code: str = Path(..., max_length=60, pattern=CODE_PATTERN),
    unit: str = Path(..., pattern=UNIT_PATTERN),
) -> Any:
    from .services.followup import save_response

    survey = _survey(_agreement(year), code)
    with _service_errors(unit_lookup=True):
        saved = save_response(
            survey,
            unit_code=unit,
            answers=body.answers,
            submit=body.submit,
            by=request.auth,  # type: ignore[attr-defined]
            request=request,
        )
    return _response_dict(saved)


@router.post(
    "/agreements/{year}/surveys/{code}/responses/{unit}/reopen",
    response={200: ResponseOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    auth=token_or_session,
    summary="Öppna ett inskickat svar igen (överenskommelsens administratörer)",
)
def response_reopen(
    request: HttpRequest,
    body: ReopenIn,
    year: int = Path(..., ge=1900, le=2200),
    code: str = Path(..., max_length=60, pattern=CODE_PATTERN),
    unit: str = Path(..., pattern=UNIT_PATTERN),
) -> Any:
    from .services.followup import reopen_response

    survey = _survey(_agreement(year), code)
    found = survey.responses.select_related("unit", "survey").filter(unit__code=unit).first()
    if found is None:
        raise HttpError(404, f"{unit} har inte börjat svara på {code!r}.")
    with _service_errors():
        reopened = reopen_response(
            found,
            reason=body.reason,
            by=request.auth,  # type: ignore[attr-defined]
            request=request,
        )
    return _response_dict(reopened)
