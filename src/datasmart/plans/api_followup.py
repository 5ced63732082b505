"""REST endpoints for follow-up (judgements, recorded follow-ups, comparison across units),
mounted at ``/api/plans`` beside :mod:`datasmart.plans.api`:

- ``GET /plans/{id}/follow-up?year=`` — the follow-up of a plan for a year (the same
  structure as the page, the reports and the CLI: :func:`.followup.plan_follow_up`);
- ``POST /plans/{id}/follow-ups`` — record it (an editor of the owner or of a party);
- ``GET /plans/{id}/follow-ups`` — the recorded follow-ups, newest first;
- ``GET /plans/compare-units?indicator=&lan=&year=`` — the indicator judged in every plan
  of the län's units that follows it.

Reading follows the plan's visibility; a plan the caller may not read answers 404 (the
refusal is audited). A denied write answers 403, a bad year or note 422 naming the field,
recording a draft 409. The rights live in the services, not here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.errors import HttpError

from datasmart.accounts.api_auth import api_token_auth, session_auth, token_or_session
from datasmart.api.responses import ErrorOut

from . import followup
from .models import ActionPlan, FollowUp, PlanStatus
from .services import PlanError

router = Router(tags=["uppföljning av handlingsplaner"])


def _anonymous(request: HttpRequest) -> Any:
    """Last in the auth chain: reading public plans needs no sign-in."""
    return AnonymousUser()


optional_auth: list[Any] = [api_token_auth, session_auth, _anonymous]
PUBLIC_READ: dict[str, Any] = {"security": [{}]}
READ = {404: ErrorOut, 422: ErrorOut}
WRITE = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _by(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _plan(request: HttpRequest, plan_id: int) -> ActionPlan:
    """The plan if the caller may read it; 404 for a missing and a hidden plan alike."""
    try:
        return followup.get_readable_plan(plan_id, _by(request), request=request)
    except (LookupError, PermissionDenied):
        raise HttpError(404, "Planen finns inte.") from None


class FollowUpQuery(Schema):
    year: int | None = Field(
        None, description="Uppföljningsår (planens första år till tio år efter dess sista)"
    )


class LatestOut(Schema):
    period: int
    value: float | None
    lower: float | None
    upper: float | None
    numerator: float | None
    status: str


class IndicatorFollowUpOut(Schema):
    key: str
    goal: str
    code: str
    title: str
    unit: str
    unit_name: str
    kind: str
    direction: str
    baseline: float | None
    baseline_period: int | None
    target: float
    target_year: int
    latest: LatestOut | None
    value_rounded: float | None = Field(description="Värdet avrundat som på sidan")
    lower_rounded: float | None
    upper_rounded: float | None
    expected: float | None = Field(
        description="Värdet på den raka linjen från utgångsvärdet till målvärdet i målåret"
    )
    judgement: str = Field(description="target_met, on_track, not_on_track, cannot_judge")
    judgement_label: str
    reason: str
    reason_label: str
    trend: str | None = Field(description="Indikatormotorns trendtest: riktning")
    trend_assessment: str | None
    trend_p_value: float | None


class PlanRefOut(Schema):
    id: int
    title: str
    owner: str
    status: str
    version: int


class PreviousOut(Schema):
    id: int
    year: int
    made_at: str


class FollowUpReportOut(Schema):
    plan: PlanRefOut
    year: int
    made_on: str
    rule: str
    indicators: list[IndicatorFollowUpOut]
    activities: list[dict[str, Any]]
    activity_counts: dict[str, int]
    overdue: list[str]
    previous_follow_up: PreviousOut | None
    changes: list[str]


class RecordIn(Schema):
    year: int = Field(..., description="Uppföljningsår")
    note: str = Field("", max_length=followup.NOTE_MAX, description="Kommentar")


class FollowUpOut(Schema):
    id: int
    plan_id: int
    year: int
    made_at: dt.datetime
    made_by_name: str
    note: str
    snapshot: dict[str, Any]


class CompareQuery(Schema):
    indicator: str = Field(..., max_length=64, description="Indikatorkod")
    lan: str = Field(..., max_length=4, description="Länskod, t.ex. 01")
    year: int | None = Field(None, description="År (standard: i år)")


class CompareRowOut(Schema):
    plan_id: int
    plan_title: str
    unit: str
    unit_name: str
    goal: str
    baseline: float | None
    baseline_period: int | None
    target: float
    target_year: int
    latest: LatestOut | None
    judgement: str
    judgement_label: str
    reason: str
    reason_label: str


class CompareOut(Schema):
    indicator: str
    lan: str
    year: int
    rows: list[CompareRowOut]


def _follow_up_out(f: FollowUp) -> dict[str, Any]:
    return {
        "id": f.pk,
        "plan_id": f.plan_id,
        "year": f.year,
        "made_at": f.made_at,
        "made_by_name": f.made_by_name,
        "note": f.note,
        "snapshot": f.snapshot,
    }


@router.get(
    "/{int:plan_id}/follow-up",
    response={200: FollowUpReportOut, **READ},
    auth=optional_auth,
    openapi_extra=PUBLIC_READ,
    summary="Uppföljning av en plan för ett år",
    description="Varje måls indikatorer med senaste värde, 95 % konfidensintervall, "
    "utgångsvärde, målvärde, trend och bedömning (målet nått, på väg, inte på väg, kan inte "
    "bedömas; regeln i `rule`), aktiviteter per status och försenade, och ändringar sedan "
    "förra sparade uppföljningen. Ett ogiltigt år ger 422.",
)
def follow_up(
    request: HttpRequest, filters: Query[FollowUpQuery], plan_id: int = Path(..., ge=1)
) -> Any:
    plan = _plan(request, plan_id)
    year: Any = filters.year
    if year is None:
        year = min(max(dt.date.today().year, plan.start_year), plan.end_year + 10)
    try:
        return followup.plan_follow_up(plan, year, _by(request), request=request).as_dict()
    except PlanError as exc:
        raise HttpError(422, str(exc)) from None


@router.get(
    "/{int:plan_id}/follow-ups",
    response={200: list[FollowUpOut], **READ},
    auth=optional_auth,
    openapi_extra=PUBLIC_READ,
    summary="Sparade uppföljningar",
    description="Planens sparade uppföljningar, nyaste först, med bedömningarna som de var.",
)
def follow_up_list(request: HttpRequest, plan_id: int = Path(..., ge=1)) -> Any:
    plan = _plan(request, plan_id)
    return [_follow_up_out(f) for f in followup.list_follow_ups(plan, _by(request))]


@router.post(
    "/{int:plan_id}/follow-ups",
    response={201: FollowUpOut, **WRITE},
    auth=token_or_session,
    summary="Spara en uppföljning",
    description="Sparar bedömningarna som de ser ut nu (nästa uppföljning visar vad som "
    "ändrats). Ägarens eller en parts samordnare och analytiker; inte för ett utkast (409). "
    "Kräver inloggning eller en API-nyckel med behörighet write; nekad åtkomst (403) loggas.",
)
def follow_up_record(request: HttpRequest, body: RecordIn, plan_id: int = Path(..., ge=1)) -> Any:
    plan = _plan(request, plan_id)
    try:
        done = followup.record_follow_up(
            plan, body.year, note=body.note, by=_by(request), request=request
        )
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None
    except PlanError as exc:
        raise HttpError(409 if plan.status == PlanStatus.DRAFT else 422, str(exc)) from None
    return Status(201, _follow_up_out(done))


@router.get(
    "/compare-units",
    response={200: CompareOut, **READ},
    auth=optional_auth,
    openapi_extra=PUBLIC_READ,
    summary="Jämför enheter med samma mål",
    description="Indikatorn bedömd i varje plan (som du får läsa) som länets region eller "
    "kommuner har och som följer den, sida vid sida. Okänd indikator eller län ger 422.",
)
def compare_units(request: HttpRequest, filters: Query[CompareQuery]) -> Any:
    try:
        result = followup.compare_units(
            filters.indicator, filters.lan, _by(request), year=filters.year
        )
    except PlanError as exc:
        raise HttpError(422, str(exc)) from None
    return {
        "indicator": result.indicator.code,
        "lan": result.lan.code,
        "year": result.year,
        "rows": [
            {
                "plan_id": r.plan_id,
                "plan_title": result.plans[r.plan_id].title,
                "unit": r.unit_code,
                "unit_name": r.unit_name,
                "goal": r.goal_text,
                "baseline": r.baseline,
                "baseline_period": r.baseline_period,
                "target": r.target,
                "target_year": r.target_year,
                "latest": r.latest,
                "judgement": r.judgement,
                "judgement_label": r.verdict.label,
                "reason": r.verdict.reason,
                "reason_label": r.verdict.reason_label,
            }
            for r in result.rows
        ],
    }
