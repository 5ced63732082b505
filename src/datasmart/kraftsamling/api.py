"""REST endpoints of Kraftsamling, mounted at ``/api/kraftsamling``.

Reading is open (goals, areas, workshops, delarenor, handslag); writes need a token with
write scope or a session and follow the same rights as the pages (:mod:`.rights`).
``PermissionDenied`` → 403, :class:`~.services.KraftsamlingError` → 422 naming the field,
unknown objects → 404.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from datasmart.accounts.api_auth import token_or_session
from datasmart.accounts.models import Organisation, Role
from datasmart.api.responses import ErrorOut

from . import services
from .models import Delarena, Handslag, OutputStatus, ParticipantRole

router = Router(tags=["kraftsamling"])

WRITE = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class GoalOut(Schema):
    number: int
    title: str
    title_en: str
    areas: list[str]
    source: str


class AreaOut(Schema):
    letter: str
    title: str
    title_en: str
    goals: list[int]
    source: str


class StageOut(Schema):
    number: int
    title: str
    title_en: str
    expected_output: str
    source: str


class ParticipantOut(Schema):
    organisation_id: int
    organisation: str
    kind: str
    group: str
    role: str
    joined_on: dt.date
    left_on: dt.date | None = None


class OutputOut(Schema):
    id: int
    stage: int
    text: str
    document: str
    status: str
    held_on: dt.date
    organisation: str
    recorded_by: str


class DelarenaOut(Schema):
    id: int
    name: str
    description: str
    areas: list[str]
    created_by_organisation: str
    participants: list[ParticipantOut]
    outputs: list[OutputOut]
    handslag_id: int | None = None
    handslag_status: str | None = None


class DelarenaIn(Schema):
    organisation_id: int = Field(..., description="Skapas i denna organisations namn")
    name: str = Field(..., max_length=200)
    description: str = Field("", max_length=20_000)
    areas: list[str] = Field(..., description="Områdenas bokstäver, A–I")


class ParticipantIn(Schema):
    organisation_id: int
    role: ParticipantRole = ParticipantRole.MEMBER


class LeaveIn(Schema):
    reason: str = Field("", max_length=2000)


class OutputIn(Schema):
    stage: int = Field(..., ge=1, le=5)
    organisation_id: int
    held_on: dt.date
    text: str = Field("", max_length=20_000)
    document: str = Field("", max_length=300)
    status: OutputStatus = OutputStatus.DRAFT


class HandslagIn(Schema):
    organisation_id: int = Field(..., description="Deltagaren som äger handlingsplanen")
    start_year: int = Field(..., ge=2000, le=2100)
    end_year: int = Field(..., ge=2000, le=2100)
    vision: str = Field("", max_length=20_000)
    unmet_needs: str = Field("", max_length=20_000)


class HandslagGoalIn(Schema):
    text: str = Field(..., max_length=20_000)
    goal_number: int | None = Field(None, ge=1, le=3)
    area: str | None = Field(None, max_length=1)


class HandslagActivityIn(Schema):
    title: str = Field(..., max_length=300)
    goal_ids: list[int]
    organisation_id: int = Field(..., description="Vem: en deltagare")
    start: dt.date
    end: dt.date
    responsible_role: Role = Role.COORDINATOR
    kind: str = Field("implement", description="knowledge, implement eller spread")
    how: str = Field("", max_length=20_000)


class SignIn(Schema):
    organisation_id: int


class HandslagGoalPatchIn(Schema):
    """Only the fields sent change; ``area`` "" or null and ``goal_number`` null clear."""

    text: str | None = Field(None, max_length=20_000)
    goal_number: int | None = Field(None, ge=1, le=3)
    area: str | None = Field(None, max_length=1)


class HandslagActivityPatchIn(Schema):
    """Only the fields sent change."""

    title: str | None = Field(None, max_length=300)
    goal_ids: list[int] | None = None
    organisation_id: int | None = Field(None, description="Vem: en deltagare")
    start: dt.date | None = None
    end: dt.date | None = None
    responsible_role: Role | None = None
    kind: str | None = Field(None, description="knowledge, implement eller spread")
    how: str | None = Field(None, max_length=20_000)


class OutputPatchIn(Schema):
    """Only the fields sent change."""

    stage: int | None = Field(None, ge=1, le=5)
    held_on: dt.date | None = None
    text: str | None = Field(None, max_length=20_000)
    document: str | None = Field(None, max_length=300)
    status: OutputStatus | None = None


class ActivityOut(Schema):
    id: int
    title: str
    who: str
    role: str
    start: dt.date
    end: dt.date
    kind: str
    how: str
    status: str


class HandslagGoalOut(Schema):
    id: int
    text: str
    kraftsamling_goal: int | None = None
    area: str | None = None
    activities: list[ActivityOut]


class SignatureOut(Schema):
    organisation: str
    signed_by: str | None = None
    signed_at: dt.datetime | None = None


class HandslagOut(Schema):
    id: int
    delarena_id: int
    plan_id: int
    title: str
    start_year: int
    end_year: int
    status: str
    vision: str
    unmet_needs: str
    goals: list[HandslagGoalOut]
    signatories: list[SignatureOut]


# --- helpers -------------------------------------------------------------------------------


def _org(organisation_id: int) -> Organisation:
    org = Organisation.objects.filter(pk=organisation_id).first()
    if org is None:
        raise HttpError(422, "Fältet organisation_id: organisationen finns inte.")
    return org


def _delarena(delarena_id: int) -> Delarena:
    try:
        return services.get_delarena(delarena_id)
    except LookupError as exc:
        raise HttpError(404, str(exc)) from None


def _handslag(handslag_id: int) -> Handslag:
    try:
        return services.get_handslag(handslag_id)
    except LookupError as exc:
        raise HttpError(404, str(exc)) from None


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from exc
    except services.KraftsamlingError as exc:
        raise HttpError(422, str(exc)) from exc


def _output_out(o: Any) -> dict[str, Any]:
    return {
        "id": o.pk,
        "stage": o.stage.number,
        "text": o.text,
        "document": o.document,
        "status": o.status,
        "held_on": o.held_on,
        "organisation": o.organisation.name,
        "recorded_by": o.recorded_by_name,
    }


def _delarena_out(d: Delarena) -> dict[str, Any]:
    handslag = services.handslag_of(d)
    return {
        "id": d.pk,
        "name": d.name,
        "description": d.description,
        "areas": [a.letter for a in d.areas.all()],
        "created_by_organisation": d.created_by_organisation.name,
        "participants": [
            {
                "organisation_id": p.organisation_id,
                "organisation": p.organisation.name,
                "kind": p.organisation.kind,
                "group": services.participant_group(p.organisation.kind),
                "role": p.role,
                "joined_on": p.joined_on,
                "left_on": p.left_on,
            }
            for p in d.participants.select_related("organisation")
        ],
        "outputs": [_output_out(o) for o in d.outputs.select_related("stage", "organisation")],
        "handslag_id": handslag.pk if handslag else None,
        "handslag_status": handslag.status if handslag else None,
    }


ACTIVITY_KEYS = ("id", "title", "who", "role", "start", "end", "kind", "how", "status")


def _handslag_out(h: Handslag) -> dict[str, Any]:
    doc = services.handslag_document(h)
    return {
        "id": h.pk,
        "delarena_id": h.delarena_id,
        "plan_id": h.plan_id,
        "title": doc["title"],
        "start_year": h.start_year,
        "end_year": h.end_year,
        "status": h.status,
        "vision": h.vision,
        "unmet_needs": h.unmet_needs,
        "goals": [
            {
                "id": g["id"],
                "text": g["text"],
                "kraftsamling_goal": g["kraftsamling_goal"].number
                if g["kraftsamling_goal"]
                else None,
                "area": g["area"].letter if g["area"] else None,
                "activities": [{k: r[k] for k in ACTIVITY_KEYS} for r in g["activities"]],
            }
            for g in doc["goals"]
        ],
        "signatories": [
            {
                "organisation": s["organisation"].name,
                "signed_by": s["signature"].signed_by_name if s["signature"] else None,
                "signed_at": s["signature"].signed_at if s["signature"] else None,
            }
            for s in doc["signatories"]
        ],
    }


# --- reading -------------------------------------------------------------------------------


@router.get("/goals", response=list[GoalOut], summary="Kraftsamlingens tre mål (källa 003)")
def goal_list(request: HttpRequest) -> Any:
    return [
        {
            "number": g.number,
            "title": g.title,
            "title_en": g.title_en,
            "areas": [a.letter for a in g.areas.all()],
            "source": g.source_ref,
        }
        for g in services.goals()
    ]


@router.get("/areas", response=list[AreaOut], summary="Områdena A–I (källa 003)")
def area_list(request: HttpRequest) -> Any:
    return [
        {
            "letter": a.letter,
            "title": a.title,
            "title_en": a.title_en,
            "goals": [g.number for g in a.goals.all()],
            "source": a.source_ref,
        }
        for a in services.areas()
    ]


@router.get("/workshops", response=list[StageOut], summary="Verkstad 1–5 (källa 003)")
def stage_list(request: HttpRequest) -> Any:
    return [
        {
            "number": s.number,
            "title": s.title,
            "title_en": s.title_en,
            "expected_output": s.expected_output,
            "source": s.source_ref,
        }
        for s in services.stages()
    ]


@router.get("/delarenor", response=list[DelarenaOut], summary="Alla delarenor")
def delarena_list(request: HttpRequest) -> Any:
    return [_delarena_out(d) for d in services.delarenor()]


@router.get("/delarenor/{delarena_id}", response={200: DelarenaOut, 404: ErrorOut})
def delarena_detail(request: HttpRequest, delarena_id: int) -> Any:
    return _delarena_out(_delarena(delarena_id))


@router.get("/handslag/{handslag_id}", response={200: HandslagOut, 404: ErrorOut})
def handslag_detail(request: HttpRequest, handslag_id: int) -> Any:
    return _handslag_out(_handslag(handslag_id))


# --- writing -------------------------------------------------------------------------------


@router.post(
    "/delarenor",
    response={201: DelarenaOut, **WRITE},
    auth=token_or_session,
    summary="Skapa en delarena (medlem i organisationen; den blir sammankallande)",
)
def delarena_create(request: HttpRequest, body: DelarenaIn) -> Any:
    d = _call(
        services.create_delarena,
        _org(body.organisation_id),
        name=body.name,
        description=body.description,
        area_letters=body.areas,
        by=request.auth,  # type: ignore[attr-defined]
        request=request,
    )
    return Status(201, _delarena_out(d))


@router.post(
    "/delarenor/{delarena_id}/participants",
    response={201: DelarenaOut, **WRITE},
    auth=token_or_session,
    summary="Lägg till en deltagare (deltagarnas admin, analytiker, samordnare)",
)
def participant_add(request: HttpRequest, delarena_id: int, body: ParticipantIn) -> Any:
    d = _delarena(delarena_id)
    _call(
        services.add_participant,
        d,
        _org(body.organisation_id),
        role=body.role,
        by=request.auth,  # type: ignore[attr-defined]
        request=request,
    )
    return Status(201, _delarena_out(d))


@router.post(
    "/delarenor/{delarena_id}/participants/{organisation_id}/leave",
    response={200: DelarenaOut, **WRITE},
    auth=token_or_session,
    summary="En deltagare lämnar delarenan (raden finns kvar)",
)
def participant_leave(
    request: HttpRequest, delarena_id: int, organisation_id: int, body: LeaveIn
) -> Any:
    d = _delarena(delarena_id)
    _call(
        services.remove_participant,
        d,
        _org(organisation_id),
        reason=body.reason,
        by=request.auth,  # type: ignore[attr-defined]
        request=request,
    )
    return _delarena_out(d)


@router.post(
    "/delarenor/{delarena_id}/outputs",
    response={201: OutputOut, **WRITE},
    auth=token_or_session,
    summary="Registrera resultat från en verkstad (1–5)",
)
def output_create(request: HttpRequest, delarena_id: int, body: OutputIn) -> Any:
    d = _delarena(delarena_id)
    o = _call(
        services.record_output,
        d,
        stage_number=body.stage,
        organisation=_org(body.organisation_id),
        text=body.text,
        document=body.document,
        status=body.status,
        held_on=body.held_on,
        by=request.auth,  # type: ignore[attr-defined]
        request=request,
    )
    return Status(201, _output_out(o))


@router.post(
    "/delarenor/{delarena_id}/handslag",
    response={201: HandslagOut, **WRITE},
    auth=token_or_session,
    summary="Skapa delarenans handslag (3–5 år; blir en handlingsplan)",
)
def handslag_create(request: HttpRequest, delarena_id: int, body: HandslagIn) -> Any:
    d = _delarena(delarena_id)
    h = _call(
        services.create_handslag,
        d,
        organisation=_org(body.organisation_id),
        start_year=body.start_year,
        end_year=body.end_year,
        vision=body.vision,
        unmet_needs=body.unmet_needs,
        by=request.auth,  # type: ignore[attr-defined]
        request=request,
    )
    return Status(201, _handslag_out(h))


@router.post(
    "/handslag/{handslag_id}/goals",
    response={201: HandslagOut, **WRITE},
    auth=token_or_session,
    summary="Lägg till ett mål i handslaget (kopplat till mål 1–3 och/eller område A–I)",
)
def handslag_goal_add(request: HttpRequest, handslag_id: int, body: HandslagGoalIn) -> Any:
    h = _handslag(handslag_id)
    _call(
        services.add_goal,
        h,
        text=body.text,
        goal_number=body.goal_number,
        area_letter=body.area,
        by=request.auth,  # type: ignore[attr-defined]
        request=request,
    )
    return Status(201, _handslag_out(h))


@router.post(
    "/handslag/{handslag_id}/activities",
    response={201: HandslagOut, **WRITE},
    auth=token_or_session,
    summary="Lägg till ett initiativ: vad, vem, när, hur",
)
def handslag_activity_add(request: HttpRequest, handslag_id: int, body: HandslagActivityIn) -> Any:
    h = _handslag(handslag_id)
    _call(
        services.add_activity,
        h,
        title=body.title,
        goal_ids=body.goal_ids,
        organisation=_org(body.organisation_id),
        start=body.start,
        end=body.end,
        responsible_role=body.responsible_role,
        kind=body.kind,
        how=body.how,
        by=request.auth,  # type: ignore[attr-defined]
        request=request,
    )
    return Status(201, _handslag_out(h))


@router.post(
    "/handslag/{handslag_id}/signatures",
    response={201: HandslagOut, **WRITE},
    auth=token_or_session,
    summary="Underteckna handslaget i organisationens namn (dess samordnare)",
)
def handslag_sign(request: HttpRequest, handslag_id: int, body: SignIn) -> Any:
    h = _handslag(handslag_id)
    _call(
        services.sign,
        h,
        _org(body.organisation_id),
        by=request.auth,  # type: ignore[attr-defined]
        request=request,
    )
    return Status(201, _handslag_out(services.get_handslag(h.pk)))


# --- correcting a draft ----------------------------------------------------------------------


def _lookup(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except LookupError as exc:
        raise HttpError(404, str(exc)) from None


def _changes(body: Schema) -> dict[str, Any]:
    """The fields the client sent (a PATCH changes only those), enums as their values."""
    return {
        k: v.value if isinstance(v, Enum) else v for k, v in body.dict(exclude_unset=True).items()
    }


@router.patch(
    "/delarenor/{delarena_id}/outputs/{output_id}",
    response={200: OutputOut, **WRITE},
    auth=token_or_session,
    summary="Rätta ett verkstadsresultat (bara fälten som skickas; inte efter undertecknandet)",
)
def output_update(
    request: HttpRequest, delarena_id: int, output_id: int, body: OutputPatchIn
) -> Any:
    d = _delarena(delarena_id)
    o = _lookup(services.get_output, d, output_id)
    changes = _changes(body)
    if "stage" in changes:
        changes["stage_number"] = changes.pop("stage")
    _call(services.update_output, o, by=request.auth, request=request, **changes)  # type: ignore[attr-defined]
    return _output_out(o)


@router.delete(
    "/delarenor/{delarena_id}/outputs/{output_id}",
    response={204: None, **WRITE},
    auth=token_or_session,
    summary="Ta bort ett verkstadsresultat (inte efter undertecknandet)",
)
def output_delete(request: HttpRequest, delarena_id: int, output_id: int) -> Any:
    d = _delarena(delarena_id)
    o = _lookup(services.get_output, d, output_id)
    _call(services.delete_output, o, by=request.auth, request=request)  # type: ignore[attr-defined]
    return Status(204, None)


@router.patch(
    "/handslag/{handslag_id}/goals/{goal_id}",
    response={200: HandslagOut, **WRITE},
    auth=token_or_session,
    summary="Rätta ett mål i ett handslag som ingen har undertecknat",
)
def handslag_goal_update(
    request: HttpRequest, handslag_id: int, goal_id: int, body: HandslagGoalPatchIn
) -> Any:
    h = _handslag(handslag_id)
    goal = _lookup(services.get_handslag_goal, h, goal_id)
    _call(services.update_goal, h, goal, by=request.auth, request=request, **_changes(body))  # type: ignore[attr-defined]
    return _handslag_out(h)


@router.delete(
    "/handslag/{handslag_id}/goals/{goal_id}",
    response={204: None, **WRITE},
    auth=token_or_session,
    summary="Ta bort ett mål ur ett handslag som ingen har undertecknat",
)
def handslag_goal_delete(request: HttpRequest, handslag_id: int, goal_id: int) -> Any:
    h = _handslag(handslag_id)
    goal = _lookup(services.get_handslag_goal, h, goal_id)
    _call(services.delete_goal, h, goal, by=request.auth, request=request)  # type: ignore[attr-defined]
    return Status(204, None)


@router.patch(
    "/handslag/{handslag_id}/activities/{activity_id}",
    response={200: HandslagOut, **WRITE},
    auth=token_or_session,
    summary="Rätta ett initiativ (vad, vem, när, hur) i ett handslag som ingen har undertecknat",
)
def handslag_activity_update(
    request: HttpRequest, handslag_id: int, activity_id: int, body: HandslagActivityPatchIn
) -> Any:
    h = _handslag(handslag_id)
    activity = _lookup(services.get_handslag_activity, h, activity_id)
    changes = _changes(body)
    if "organisation_id" in changes:
        changes["organisation"] = _org(changes.pop("organisation_id") or 0)
    _call(services.update_activity, h, activity, by=request.auth, request=request, **changes)  # type: ignore[attr-defined]
    return _handslag_out(h)


@router.delete(
    "/handslag/{handslag_id}/activities/{activity_id}",
    response={204: None, **WRITE},
    auth=token_or_session,
    summary="Ta bort ett initiativ ur ett handslag som ingen har undertecknat",
)
def handslag_activity_delete(request: HttpRequest, handslag_id: int, activity_id: int) -> Any:
    h = _handslag(handslag_id)
    activity = _lookup(services.get_handslag_activity, h, activity_id)
    _call(services.delete_activity, h, activity, by=request.auth, request=request)  # type: ignore[attr-defined]
    return Status(204, None)
