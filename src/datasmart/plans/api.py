"""REST endpoints for plans, goals, goal indicators, activities and joint-plan approvals,
mounted at ``/api/plans``; every write goes through :mod:`datasmart.plans.services`
(rights, frozen plans, audit).

- ``GET /plans`` (filters ``owner``, ``unit``, ``status``, ``year``; JSON pages or
  ``format=csv``), ``GET /plans/{id}`` (goals tree, indicators, activities, parties),
  ``GET /plans/{id}/compare/{other_id}``, ``GET /plans/joint-agreed?lan=01&year=2027``;
- writes: ``POST /plans``, ``POST /plans/joint``, ``PATCH /plans/{id}``,
  ``POST /plans/{id}/goals``, ``PATCH``/``DELETE /plans/goals/{goal_id}``,
  ``POST /plans/goals/{goal_id}/indicators``, ``PATCH``/``DELETE
  /plans/goal-indicators/{id}``, ``POST /plans/{id}/activities``, ``PATCH``/``DELETE
  /plans/activities/{id}``, ``POST /plans/{id}/approve``, ``/leave``, ``/new-version``;
  lifecycle: ``POST /plans/{id}/activate``, ``/followed-up``, ``/close`` (409 when the
  plan's status does not allow the step).

Reading follows the plan's visibility (public, or parties only) and needs no sign-in for
public plans. A plan the caller may not read answers 404 as if it did not exist (the
refusal is audited). Writes need a signed-in session or a ``write`` API token; a denied
write answers 403 (audited by the service), a plan that is no longer a draft 409 (make a
new version), a bad body 422 naming the field. The API holds no rights logic: it parses,
looks objects up, calls :mod:`.services` (through :mod:`.listing` for reading) and maps
the service's errors to status codes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, ClassVar, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.errors import HttpError, ValidationError
from pydantic import ValidationInfo, field_validator

from datasmart.accounts.api_auth import api_token_auth, session_auth, token_or_session
from datasmart.accounts.models import Organisation, Role
from datasmart.api.responses import ErrorOut, OutputFormat, csv_response, page_envelope
from datasmart.geo.models import Level

from . import listing, services
from .models import (
    ActionPlan,
    Activity,
    ActivityStatus,
    Direction,
    Goal,
    GoalIndicator,
    GoalKind,
    IndicatorKind,
    PlanStatus,
    Visibility,
)

T = TypeVar("T")
router = Router(tags=["mål och handlingsplaner"])
MAX_OFFSET = 1_000_000_000
#: A year a plan, goal or target may name (the services' range: catches 20225 or 25).
Year = Annotated[int, Field(ge=services.FIRST_YEAR, le=services.LAST_YEAR)]
#: Kronor: not negative, öre at most.
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]


def _anonymous(request: HttpRequest) -> Any:
    """Last in the auth chain: reading public plans needs no sign-in."""
    return AnonymousUser()


optional_auth: list[Any] = [api_token_auth, session_auth, _anonymous]
#: OpenAPI: a token or a session if you have one, else none (public plans).
PUBLIC_READ: dict[str, Any] = {"security": [{}]}


def _by(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- schemas


class OrganisationRefOut(Schema):
    id: int
    name: str
    unit_code: str


class PlanOut(Schema):
    id: int
    title: str
    owner_id: int
    owner_name: str
    owner_unit: str = Field(description="Ägarorganisationens enhet (kod)")
    lan: str | None = Field(description="Länskod för en gemensam länsplan, annars null")
    start_year: int
    end_year: int
    status: PlanStatus
    version: int
    previous_id: int | None = Field(description="Föregående version")
    visibility: Visibility
    agreed_at: dt.datetime | None
    activated_at: dt.datetime | None = Field(description="När planen aktiverades")
    followed_up_at: dt.datetime | None = Field(description="När planen markerades som uppföljd")
    closed_at: dt.datetime | None = Field(description="När planen avslutades")
    close_reason: str = Field(
        description="Skäl att avsluta; 'ersatt av version N' när en nyare version blev "
        "överenskommen"
    )
    next_follow_up: dt.date | None


class PlanPage(Schema):
    count: int
    limit: int
    offset: int
    next: str | None
    previous: str | None
    items: list[PlanOut]


class GoalIndicatorOut(Schema):
    id: int
    indicator_code: str
    kind: IndicatorKind
    direction: Direction
    target_value: float
    target_year: int
    baseline_value: float | None = Field(
        description="Utgångsvärde: indikatorns resultat för ägarens enhet när kopplingen gjordes"
    )
    baseline_period: int | None


class GoalOut(Schema):
    id: int
    parent_id: int | None
    kind: GoalKind
    text: str
    start_year: int
    end_year: int
    decided_by: str
    decided_on: dt.date | None
    document: str
    owner_id: int
    level: Level
    indicators: list[GoalIndicatorOut]
    children: list[GoalOut] = Field(description="Delmål under målet")


class ActivityOut(Schema):
    id: int
    title: str
    owner_id: int
    responsible_role: Role
    start: dt.date
    end: dt.date
    status: ActivityStatus
    budget: Decimal | None
    cost: Decimal | None
    goal_ids: list[int]
    funding_post_id: int | None
    needs_scenario_id: int | None


class PartyOut(Schema):
    organisation: OrganisationRefOut
    approved: bool
    approved_by: str
    approved_at: dt.datetime | None
    left_at: dt.datetime | None
    leave_reason: str


class PlanDetailOut(PlanOut):
    owner: OrganisationRefOut
    next_version_id: int | None = Field(description="Nästa version, om en sådan finns")
    created_at: dt.datetime
    goals: list[GoalOut]
    activities: list[ActivityOut]
    parties: list[PartyOut] = Field(description="Parter i en gemensam plan och deras godkännanden")


class ChangeOut(Schema):
    what: str = Field(description="goal, indicator eller activity")
    what_label: str
    how: str = Field(description="added, removed eller changed")
    how_label: str
    label: str
    before: str
    after: str


class JointAgreedOut(Schema):
    lan: str
    year: int
    agreed: bool = Field(description="Det finns en överenskommen gemensam plan för året")
    plan_id: int | None = Field(description="Planen, om du får läsa den")


class PlanFilters(Schema):
    owner: int | None = Field(None, ge=1, description="Ägarorganisationens id")
    unit: str | None = Field(
        None,
        max_length=32,
        pattern=r"^[0-9A-Za-z_-]+$",
        description="Enhetskod: planer som enhetens organisationer äger eller är part i, och "
        "länets gemensamma planer",
    )
    status: PlanStatus | None = None
    year: Year | None = Field(None, description="Planer vars period omfattar året")
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    format: OutputFormat = OutputFormat.json


class JointAgreedFilters(Schema):
    lan: str = Field(..., pattern=r"^[0-9]{2}$", description="Länskod, t.ex. 01")
    year: Year


class PlanIn(Schema):
    owner: int = Field(..., ge=1, description="Ägarorganisationens id")
    title: str = Field(..., min_length=1, max_length=200)
    start_year: Year
    end_year: Year
    visibility: Visibility = Visibility.PUBLIC


class JointPlanIn(PlanIn):
    lan: str = Field(..., pattern=r"^[0-9]{2}$", description="Länskod, t.ex. 01")
    owner: int = Field(..., ge=1, description="Regionens organisation, som håller planen")


class _Patch(Schema):
    """A PATCH body: only the fields sent change. ``null`` is refused (422 naming the
    field) except for the fields in ``nullable``, where it clears the value."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _no_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.nullable:
            raise ValueError(_("får inte vara null; utelämna fältet för att behålla värdet"))
        return value


class PlanPatchIn(_Patch):
    nullable = frozenset({"next_follow_up"})
    title: str | None = Field(None, min_length=1, max_length=200)
    start_year: Year | None = None
    end_year: Year | None = None
    visibility: Visibility | None = None
    next_follow_up: dt.date | None = Field(None, description="Nästa uppföljning; null: ingen")


class GoalIn(Schema):
    text: str = Field(..., min_length=1, max_length=5000)
    kind: GoalKind = GoalKind.POLITICAL
    parent: int | None = Field(None, ge=1, description="Övergripande mål (för ett delmål)")
    start_year: Year | None = Field(None, description="Standard: planens första år")
    end_year: Year | None = Field(None, description="Standard: planens sista år")
    decided_by: str = Field("", max_length=200)
    decided_on: dt.date | None = None
    document: str = Field("", max_length=300)


class GoalPatchIn(_Patch):
    nullable = frozenset({"parent", "decided_on"})
    text: str | None = Field(None, min_length=1, max_length=5000)
    kind: GoalKind | None = None
    parent: int | None = Field(None, ge=1, description="Övergripande mål; null: inget")
    start_year: Year | None = None
    end_year: Year | None = None
    decided_by: str | None = Field(None, max_length=200)
    decided_on: dt.date | None = None
    document: str | None = Field(None, max_length=300)


class GoalIndicatorIn(Schema):
    indicator_code: str = Field(..., min_length=1, max_length=64)
    target_value: float = Field(..., allow_inf_nan=False)
    target_year: Year
    direction: Direction = Direction.INCREASE
    kind: IndicatorKind = IndicatorKind.EFFECT


class GoalIndicatorPatchIn(_Patch):
    target_value: float | None = Field(None, allow_inf_nan=False)
    target_year: Year | None = None
    direction: Direction | None = None
    kind: IndicatorKind | None = None


class ActivityIn(Schema):
    title: str = Field(..., min_length=1, max_length=300)
    goals: list[int] = Field(..., min_length=1, max_length=200, description="Målens id")
    start: dt.date
    end: dt.date
    responsible_role: Role = Role.COORDINATOR
    status: ActivityStatus = ActivityStatus.PLANNED
    budget: Money | None = None
    cost: Money | None = None
    funding_post: int | None = Field(
        None, ge=1, description="Posten i en överenskommelse som betalar aktiviteten (id)"
    )
    needs_scenario: int | None = Field(
        None, ge=1, description="Det sparade behovsanalysscenario aktiviteten svarar mot (id)"
    )


class ActivityPatchIn(_Patch):
    nullable = frozenset({"budget", "cost", "funding_post", "needs_scenario"})
    title: str | None = Field(None, min_length=1, max_length=300)
    start: dt.date | None = None
    end: dt.date | None = None
    responsible_role: Role | None = None
    status: ActivityStatus | None = None
    budget: Money | None = None
    cost: Money | None = None
    goals: list[int] | None = Field(None, min_length=1, max_length=200, description="Målens id")
    funding_post: int | None = Field(None, ge=1)
    needs_scenario: int | None = Field(None, ge=1)


class PartyIn(Schema):
    organisation: int = Field(..., ge=1, description="Partens organisation (id)")


class LeaveIn(PartyIn):
    reason: str = Field(..., min_length=1, max_length=2000, description="Skäl att lämna")


class ActivateIn(Schema):
    early: bool = Field(
        False, description="Aktivera före planens första år (annars nekas det med 422)"
    )


class CloseIn(Schema):
    reason: str = Field(
        ...,
        min_length=1,
        max_length=services.CLOSE_REASON_MAX,
        description="Skäl att avsluta planen",
    )


# --------------------------------------------------------------------------- helpers


def _bad_field(field: str, message: str) -> ValidationError:
    """A 422 naming ``field`` for a reference the body names but that does not resolve
    (shaped like the schema's own errors by the API's handler)."""
    return ValidationError([{"loc": ["body", "body", field], "msg": message, "type": "value"}])


def _plan(request: HttpRequest, plan_id: int) -> ActionPlan:
    try:
        return listing.readable_plan(plan_id, _by(request), request=request)
    except LookupError as exc:
        raise HttpError(404, str(exc)) from None


def _within_plan(
    request: HttpRequest, plan_id: int | None, get: Callable[[ActionPlan], T], missing: str
) -> T:
    """A goal, goal indicator or activity by id: 404 with ``missing`` when it does not
    exist or its plan is one the caller may not read (the same answer for both)."""
    try:
        if plan_id is None:
            raise LookupError(missing)
        return get(listing.readable_plan(plan_id, _by(request), request=request))
    except LookupError:
        raise HttpError(404, missing) from None


def _goal(request: HttpRequest, goal_id: int) -> Goal:
    plan_id = Goal.objects.filter(pk=goal_id).values_list("plan_id", flat=True).first()
    return _within_plan(
        request, plan_id, lambda plan: services.get_goal(plan, goal_id), _("Målet finns inte.")
    )


def _goal_indicator(request: HttpRequest, link_id: int) -> GoalIndicator:
    plan_id = (
        GoalIndicator.objects.filter(pk=link_id).values_list("goal__plan_id", flat=True).first()
    )
    return _within_plan(
        request,
        plan_id,
        lambda plan: services.get_goal_indicator(plan, link_id),
        _("Målindikatorn finns inte."),
    )


def _activity(request: HttpRequest, activity_id: int) -> Activity:
    plan_id = Activity.objects.filter(pk=activity_id).values_list("plan_id", flat=True).first()
    return _within_plan(
        request,
        plan_id,
        lambda plan: services.get_activity(plan, activity_id),
        _("Aktiviteten finns inte."),
    )


def _plan_goal(plan: ActionPlan, goal_id: int, field: str) -> Goal:
    """A goal the body names (``parent``, ``goals``): 422 naming the field if it is not
    one of the plan's."""
    try:
        return services.get_goal(plan, goal_id)
    except LookupError:
        raise _bad_field(field, _("målet %(id)s finns inte i planen") % {"id": goal_id}) from None


def _organisation(pk: int, field: str) -> Organisation:
    org = Organisation.objects.select_related("unit").filter(pk=pk).first()
    if org is None:
        raise _bad_field(field, _("organisationen %(id)s finns inte") % {"id": pk})
    return org


@contextmanager
def _service_errors(plan: ActionPlan | None = None) -> Iterator[None]:
    """The service's refusals as status codes: 403 denied (audited by the service),
    409 when ``plan`` is no longer a draft (the service refused to change a frozen plan),
    422 for other user errors (the message names the field)."""
    try:
        yield
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None
    except services.PlanError as exc:
        status = (
            ActionPlan.objects.filter(pk=plan.pk).values_list("status", flat=True).first()
            if plan is not None
            else None
        )
        conflict = status is not None and status != PlanStatus.DRAFT
        raise HttpError(409 if conflict else 422, str(exc)) from None


@contextmanager
def _lifecycle_errors() -> Iterator[None]:
    """A lifecycle step's refusals: 403 denied (audited by the service), 409 when the
    plan's status does not allow the step (:class:`~.services.PlanStateError`), 422 for
    what was sent (an empty reason, activating early without ``early``)."""
    try:
        yield
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None
    except services.PlanStateError as exc:
        raise HttpError(409, str(exc)) from None
    except services.PlanError as exc:
        raise HttpError(422, str(exc)) from None


def _detail(plan: ActionPlan) -> dict[str, Any]:
    return listing.plan_detail(
        ActionPlan.objects.select_related("owner__unit", "lan").get(pk=plan.pk)
    )


READ = {404: ErrorOut, 422: ErrorOut}
WRITE = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
CSV_RESPONSE = {"responses": {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}}
WRITE_NOTE = (
    " Kräver inloggning eller en API-nyckel med behörighet write. Nekad åtkomst (403) loggas; "
    "en plan som inte längre är ett utkast ger 409: gör en ny version för att ändra den."
)


# --------------------------------------------------------------------------- reading


@router.get(
    "",
    response={200: PlanPage, **READ},
    auth=optional_auth,
    openapi_extra={**PUBLIC_READ, **CSV_RESPONSE},
    summary="Handlingsplaner",
    description="Planer du får läsa: offentliga planer för alla, planer som bara parterna "
    "ser för ägarens och parternas medlemmar. Filtrera på ägarorganisation, enhet (kommun "
    "eller län: planer som enhetens organisationer äger eller är part i och länets "
    "gemensamma planer), status och år (planens period omfattar året). JSON i sidor eller "
    "`format=csv` (alla rader).",
)
def plan_list(request: HttpRequest, filters: Query[PlanFilters]) -> Any:
    plans = listing.list_plans(
        _by(request),
        owner=filters.owner,
        unit=filters.unit,
        status=filters.status.value if filters.status else None,
        year=filters.year,
    )
    if filters.format == OutputFormat.csv:
        rows = (listing.plan_row(p) for p in plans.iterator())
        return csv_response(rows, listing.PLAN_COLUMNS, "handlingsplaner.csv")
    count = plans.count()
    items = [listing.plan_row(p) for p in plans[filters.offset : filters.offset + filters.limit]]
    return page_envelope(request, items, count=count, limit=filters.limit, offset=filters.offset)


@router.get(
    "/joint-agreed",
    response={200: JointAgreedOut, **READ},
    auth=optional_auth,
    openapi_extra=PUBLIC_READ,
    summary="Finns en överenskommen gemensam länsplan för året?",
    description="Villkoret i överenskommelserna 2016 och 2020 (medel utifrån handlingsplaner): "
    "om regionen och kommunerna i länet har en överenskommen (eller aktiv eller uppföljd) "
    "gemensam plan vars period omfattar året. `plan_id` anges när du får läsa planen.",
)
def joint_agreed(request: HttpRequest, filters: Query[JointAgreedFilters]) -> Any:
    return listing.joint_agreed(filters.lan, filters.year, _by(request))


@router.get(
    "/{int:plan_id}",
    response={200: PlanDetailOut, **READ},
    auth=optional_auth,
    openapi_extra=PUBLIC_READ,
    summary="En handlingsplan",
    description="Planen med målträdet (politiska mål och delmål), målens indikatorer med "
    "utgångsvärde och målvärde, aktiviteter och, för en gemensam plan, parterna med vem som "
    "godkänt och när. En plan du inte får läsa ger 404.",
)
def plan_detail(request: HttpRequest, plan_id: int = Path(..., ge=1)) -> Any:
    return listing.plan_detail(_plan(request, plan_id))


@router.get(
    "/{int:plan_id}/compare/{int:other_id}",
    response={200: list[ChangeOut], **READ},
    auth=optional_auth,
    openapi_extra=PUBLIC_READ,
    summary="Jämför två versioner",
    description="Vad som ändrats från den äldre till den nyare av två versioner av samma "
    "plan: mål och aktiviteter (matchade på text), indikatorer (på mål och kod), med före "
    "och efter. Två planer som inte är versioner av samma plan ger 404.",
)
def plan_compare(
    request: HttpRequest, plan_id: int = Path(..., ge=1), other_id: int = Path(..., ge=1)
) -> Any:
    plan, other = _plan(request, plan_id), _plan(request, other_id)
    if not services.same_chain(plan, other):
        raise HttpError(404, _("Planerna är inte versioner av samma plan."))
    old, new = (other, plan) if other.version < plan.version else (plan, other)
    return listing.change_dicts(old, new)


# --------------------------------------------------------------------------- plans


@router.post(
    "",
    response={201: PlanDetailOut, **WRITE},
    auth=token_or_session,
    summary="Skapa en handlingsplan",
    description="Ett utkast till handlingsplan för ägarorganisationen (dess samordnare och "
    "analytiker)." + WRITE_NOTE,
)
def plan_create(request: HttpRequest, body: PlanIn) -> Any:
    owner = _organisation(body.owner, "owner")
    with _service_errors():
        plan = services.create_plan(
            owner,
            title=body.title,
            start_year=body.start_year,
            end_year=body.end_year,
            visibility=body.visibility.value,
            by=_by(request),
            request=request,
        )
    return Status(201, _detail(plan))


@router.post(
    "/joint",
    response={201: PlanDetailOut, **WRITE},
    auth=token_or_session,
    summary="Skapa en gemensam länsplan",
    description="Ett utkast till gemensam plan för länet, hållen av regionens organisation "
    "(dess samordnare och analytiker); regionen och varje kommun i länet som har en "
    "organisation på plattformen blir parter." + WRITE_NOTE,
)
def joint_plan_create(request: HttpRequest, body: JointPlanIn) -> Any:
    owner = _organisation(body.owner, "owner")
    with _service_errors():
        plan = services.create_joint_plan(
            body.lan,
            owner,
            title=body.title,
            start_year=body.start_year,
            end_year=body.end_year,
            visibility=body.visibility.value,
            by=_by(request),
            request=request,
        )
    return Status(201, _detail(plan))


@router.post(
    "/{int:plan_id}/approve",
    response={200: PlanDetailOut, **WRITE},
    auth=token_or_session,
    summary="Godkänn en gemensam plan i partens namn",
    description="Partens samordnare godkänner planen i sin organisations namn (vem och när "
    "sparas). Planen blir överenskommen när alla parter som inte lämnat har godkänt." + WRITE_NOTE,
)
def plan_approve(request: HttpRequest, body: PartyIn, plan_id: int = Path(..., ge=1)) -> Any:
    plan = _plan(request, plan_id)
    org = _organisation(body.organisation, "organisation")
    with _service_errors(plan):
        services.approve(plan, org, by=_by(request), request=request)
    return _detail(plan)


@router.post(
    "/{int:plan_id}/leave",
    response={200: PlanDetailOut, **WRITE},
    auth=token_or_session,
    summary="Lämna en gemensam plan",
    description="Partens samordnare lämnar planen med ett skäl. Har alla kvarvarande parter "
    "godkänt blir planen då överenskommen." + WRITE_NOTE,
)
def plan_leave(request: HttpRequest, body: LeaveIn, plan_id: int = Path(..., ge=1)) -> Any:
    plan = _plan(request, plan_id)
    org = _organisation(body.organisation, "organisation")
    with _service_errors(plan):
        services.leave(plan, org, reason=body.reason, by=_by(request), request=request)
    return _detail(plan)


@router.post(
    "/{int:plan_id}/new-version",
    response={201: PlanDetailOut, **WRITE},
    auth=token_or_session,
    summary="Gör en ny version av en fryst plan",
    description="Ett nytt utkast som kopierar målträdet, indikatorerna, aktiviteterna och "
    "parterna (utan deras godkännanden). Så ändras en överenskommen plan; bara den senaste "
    "versionen kan kopieras." + WRITE_NOTE,
)
def plan_new_version(request: HttpRequest, plan_id: int = Path(..., ge=1)) -> Any:
    plan = _plan(request, plan_id)
    with _service_errors(plan):
        copy = services.new_version(plan, by=_by(request), request=request)
    return Status(201, _detail(copy))


LIFECYCLE_NOTE = (
    " Planens ägares samordnare och analytiker, också för en gemensam plan (parterna har "
    "godkänt innehållet; ägaren driver planen). Kräver inloggning eller en API-nyckel med "
    "behörighet write. Nekad åtkomst (403) loggas; en plan vars status inte tillåter steget "
    "ger 409 med ett meddelande som säger varför."
)


@router.post(
    "/{int:plan_id}/activate",
    response={200: PlanDetailOut, **WRITE},
    auth=token_or_session,
    summary="Aktivera en överenskommen plan",
    description="Överenskommen → aktiv. Från planens första år; före det bara med "
    "`early: true`." + LIFECYCLE_NOTE,
)
def plan_activate(
    request: HttpRequest, body: ActivateIn | None = None, plan_id: int = Path(..., ge=1)
) -> Any:
    plan = _plan(request, plan_id)
    early = body.early if body is not None else False
    with _lifecycle_errors():
        services.activate_plan(plan, early=early, by=_by(request), request=request)
    return _detail(plan)


@router.post(
    "/{int:plan_id}/followed-up",
    response={200: PlanDetailOut, **WRITE},
    auth=token_or_session,
    summary="Markera en aktiv plan som uppföljd",
    description="Aktiv → uppföljd, när en uppföljning av planen är sparad "
    "(`POST /plans/{id}/follow-ups`)." + LIFECYCLE_NOTE,
)
def plan_followed_up(request: HttpRequest, plan_id: int = Path(..., ge=1)) -> Any:
    plan = _plan(request, plan_id)
    with _lifecycle_errors():
        services.mark_followed_up(plan, by=_by(request), request=request)
    return _detail(plan)


@router.post(
    "/{int:plan_id}/close",
    response={200: PlanDetailOut, **WRITE},
    auth=token_or_session,
    summary="Avsluta en plan",
    description="En överenskommen, aktiv eller uppföljd plan avslutas med ett skäl (sparas "
    "och loggas). Ett utkast avslutas inte. När en ny version blir överenskommen avslutas "
    "den föregående automatiskt med skälet 'ersatt av version N'." + LIFECYCLE_NOTE,
)
def plan_close(request: HttpRequest, body: CloseIn, plan_id: int = Path(..., ge=1)) -> Any:
    plan = _plan(request, plan_id)
    with _lifecycle_errors():
        services.close_plan(plan, reason=body.reason, by=_by(request), request=request)
    return _detail(plan)


# --------------------------------------------------------------------------- goals


@router.patch(
    "/{int:plan_id}",
    response={200: PlanDetailOut, **WRITE},
    auth=token_or_session,
    summary="Ändra en handlingsplan",
    description="Titel, period och synlighet (bara i ett utkast) eller nästa uppföljning "
    "(också i en överenskommen eller aktiv plan, inte i en avslutad); bara fälten som "
    "skickas ändras. En snävare period nekas så länge ett mål eller en aktivitet ligger "
    "utanför den." + WRITE_NOTE,
)
def plan_update(request: HttpRequest, body: PlanPatchIn, plan_id: int = Path(..., ge=1)) -> Any:
    plan = _plan(request, plan_id)
    changes = _changes(body)
    content = set(changes) - {"next_follow_up"}
    with _service_errors(plan if content else None):
        services.update_plan(plan, by=_by(request), request=request, **changes)
    return _detail(plan)


def _changes(body: Schema) -> dict[str, Any]:
    """The fields the client sent (a PATCH changes only those), enums as their values."""
    return {
        k: v.value if isinstance(v, Enum) else v for k, v in body.dict(exclude_unset=True).items()
    }


# --------------------------------------------------------------------------- goals


@router.post(
    "/{int:plan_id}/goals",
    response={201: GoalOut, **WRITE},
    auth=token_or_session,
    summary="Lägg till ett mål",
    description="Ett politiskt mål eller ett delmål (`kind=operative`, med `parent`) i ett "
    "utkast, med period (standard: planens; inom planens) och beslut (vem, när, dokument)."
    + WRITE_NOTE,
)
def goal_create(request: HttpRequest, body: GoalIn, plan_id: int = Path(..., ge=1)) -> Any:
    plan = _plan(request, plan_id)
    parent = _plan_goal(plan, body.parent, "parent") if body.parent is not None else None
    with _service_errors(plan):
        goal = services.create_goal(
            plan,
            text=body.text,
            kind=body.kind.value,
            parent=parent,
            start_year=body.start_year,
            end_year=body.end_year,
            decided_by=body.decided_by,
            decided_on=body.decided_on,
            document=body.document,
            by=_by(request),
            request=request,
        )
    return Status(201, listing.goal_subtree(goal))


@router.patch(
    "/goals/{int:goal_id}",
    response={200: GoalOut, **WRITE},
    auth=token_or_session,
    summary="Ändra ett mål",
    description="Text, typ, övergripande mål, period eller beslut; bara fälten som skickas "
    "ändras. Perioden ligger inom planens och omfattar indikatorernas målår." + WRITE_NOTE,
)
def goal_update(request: HttpRequest, body: GoalPatchIn, goal_id: int = Path(..., ge=1)) -> Any:
    goal = _goal(request, goal_id)
    changes = _changes(body)
    if changes.get("parent") is not None:
        changes["parent"] = _plan_goal(goal.plan, changes["parent"], "parent")
    with _service_errors(goal.plan):
        services.update_goal(goal, by=_by(request), request=request, **changes)
    return listing.goal_subtree(goal)


@router.delete(
    "/goals/{int:goal_id}",
    response={204: None, **WRITE},
    auth=token_or_session,
    summary="Ta bort ett mål",
    description="Tar bort målet och dess indikatorkopplingar. Nekas om målet har delmål "
    "eller om en aktivitet bara hör till det här målet: ta bort eller flytta dem först."
    + WRITE_NOTE,
)
def goal_delete(request: HttpRequest, goal_id: int = Path(..., ge=1)) -> Any:
    goal = _goal(request, goal_id)
    with _service_errors(goal.plan):
        services.delete_goal(goal, by=_by(request), request=request)
    return Status(204, None)


# --------------------------------------------------------------------------- goal indicators


@router.post(
    "/goals/{int:goal_id}/indicators",
    response={201: GoalIndicatorOut, **WRITE},
    auth=token_or_session,
    summary="Följ ett mål med en indikator",
    description="En indikator ur katalogen med målvärde, målår (inom målets period), "
    "riktning och typ (process- eller effektindikator). Utgångsvärdet hämtas från "
    "indikatorns senaste resultat för ägarens enhet." + WRITE_NOTE,
)
def goal_indicator_create(
    request: HttpRequest, body: GoalIndicatorIn, goal_id: int = Path(..., ge=1)
) -> Any:
    goal = _goal(request, goal_id)
    with _service_errors(goal.plan):
        link = services.add_goal_indicator(
            goal,
            indicator_code=body.indicator_code,
            target_value=body.target_value,
            target_year=body.target_year,
            direction=body.direction.value,
            kind=body.kind.value,
            by=_by(request),
            request=request,
        )
    return Status(201, listing.goal_indicator_dict(link))


@router.patch(
    "/goal-indicators/{int:indicator_id}",
    response={200: GoalIndicatorOut, **WRITE},
    auth=token_or_session,
    summary="Ändra en målindikator",
    description="Målvärde, målår, riktning eller typ; bara fälten som skickas ändras. "
    "Indikatorn och utgångsvärdet ändras inte (en annan indikator är en ny koppling)." + WRITE_NOTE,
)
def goal_indicator_update(
    request: HttpRequest, body: GoalIndicatorPatchIn, indicator_id: int = Path(..., ge=1)
) -> Any:
    link = _goal_indicator(request, indicator_id)
    with _service_errors(link.goal.plan):
        services.update_goal_indicator(link, by=_by(request), request=request, **_changes(body))
    return listing.goal_indicator_dict(link)


@router.delete(
    "/goal-indicators/{int:indicator_id}",
    response={204: None, **WRITE},
    auth=token_or_session,
    summary="Sluta följa ett mål med en indikator",
    description="Tar bort kopplingen mellan målet och indikatorn." + WRITE_NOTE,
)
def goal_indicator_delete(request: HttpRequest, indicator_id: int = Path(..., ge=1)) -> Any:
    link = _goal_indicator(request, indicator_id)
    with _service_errors(link.goal.plan):
        services.remove_goal_indicator(link, by=_by(request), request=request)
    return Status(204, None)


# --------------------------------------------------------------------------- activities


@router.post(
    "/{int:plan_id}/activities",
    response={201: ActivityOut, **WRITE},
    auth=token_or_session,
    summary="Lägg till en aktivitet",
    description="Arbete som ska flytta ett eller flera av planens mål: ansvarig roll, start "
    "och slut (nära planens period), status, budget och kostnad, och valfritt posten i en "
    "överenskommelse som betalar den och behovsanalysen den svarar mot." + WRITE_NOTE,
)
def activity_create(request: HttpRequest, body: ActivityIn, plan_id: int = Path(..., ge=1)) -> Any:
    plan = _plan(request, plan_id)
    goals = [_plan_goal(plan, pk, "goals") for pk in dict.fromkeys(body.goals)]
    with _service_errors(plan):
        activity = services.create_activity(
            plan,
            title=body.title,
            goals=goals,
            start=body.start,
            end=body.end,
            responsible_role=body.responsible_role.value,
            status=body.status.value,
            budget=body.budget,
            cost=body.cost,
            funding_post=body.funding_post,
            needs_scenario=body.needs_scenario,
            by=_by(request),
            request=request,
        )
    return Status(201, listing.activity_dict(activity))


@router.patch(
    "/activities/{int:activity_id}",
    response={200: ActivityOut, **WRITE},
    auth=token_or_session,
    summary="Ändra en aktivitet",
    description="Status, datum, ansvarig roll, pengar, mål, finansiering eller behovsanalys; "
    "bara fälten som skickas ändras." + WRITE_NOTE,
)
def activity_update(
    request: HttpRequest, body: ActivityPatchIn, activity_id: int = Path(..., ge=1)
) -> Any:
    activity = _activity(request, activity_id)
    changes = _changes(body)
    if "goals" in changes:
        changes["goals"] = [
            _plan_goal(activity.plan, pk, "goals") for pk in dict.fromkeys(changes["goals"])
        ]
    with _service_errors(activity.plan):
        services.update_activity(activity, by=_by(request), request=request, **changes)
    return listing.activity_dict(activity)


@router.delete(
    "/activities/{int:activity_id}",
    response={204: None, **WRITE},
    auth=token_or_session,
    summary="Ta bort en aktivitet",
    description="Tar bort aktiviteten ur utkastet (en överenskommen version behåller den; "
    "jämförelsen med en ny version visar den som borttagen)." + WRITE_NOTE,
)
def activity_delete(request: HttpRequest, activity_id: int = Path(..., ge=1)) -> Any:
    activity = _activity(request, activity_id)
    with _service_errors(activity.plan):
        services.delete_activity(activity, by=_by(request), request=request)
    return Status(204, None)
