"""The SIP REST API (issue #6), mounted under ``/api/sip`` (``datasmart.api.router``).

Thin: every endpoint builds a :class:`~datasmart.sip.domain.actors.StaffActor` and calls the
SIP services (:mod:`datasmart.sip.services`, :mod:`datasmart.sip.fhir.service`), which decide
access, validate, log every read and write in the plan's access log and apply optimistic
locking. This module only translates HTTP to calls and the services' errors to statuses:

============================  ======  ===================================================
error                         status  body
============================  ======  ===================================================
not signed in                 401     ``{"detail"}``
``PermissionDenied``          403     ``{"detail"}`` (also: CSRF with a session cookie,
                                      ``X-Organisation`` you are not a member of)
``SipNotFound``               404     ``{"detail"}`` — the same for an unknown id, a
                                      malformed id and a plan you may not see
``StaleVersion``              409     ``{"detail", "current_version"}``
``SipValidationError``        422     ``{"detail", "field", "errors"}``
============================  ======  ===================================================

**Authentication**: ``Authorization: Bearer <API token>`` or a signed-in session (unsafe
methods then need the CSRF token, header ``X-CSRFToken``).

**Organisation**: staff act for one organisation. It is taken from the header
``X-Organisation: <id>`` (or the query parameter ``organisation``); without it, the one
organisation in which the user holds the needed permission (caseworker). A user who is a
caseworker in several must say which (422, ``field: "organisation"``); naming an
organisation one is not a member of is refused (403).

**Caching**: every response is sent with ``Cache-Control: no-store`` (and ``private``,
``max-age=0``), as the SIP pages are.

**Person access**: the person reads their plan through the web pages (their own account
or an invitation link), not through this API. The GDPR export (``GET /sips/{id}/export``)
is therefore for staff of the owner organisation handling the person's request.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable
from typing import Any, Final

from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from ninja import Path, Query, Router, Status
from pydantic import BaseModel

from datasmart.accounts.api_auth import ApiTokenAuth, SessionAuth
from datasmart.accounts.models import Organisation, User
from datasmart.accounts.permissions import (
    Permission,
    deny,
    has_permission,
    roles_by_organisation,
)
from datasmart.sip import services
from datasmart.sip.api.schemas import (
    MAX_ID,
    SipAccessLogOut,
    SipAnswerIn,
    SipClosedOut,
    SipCloseIn,
    SipCompareFilters,
    SipCompareOut,
    SipConsentCreatedOut,
    SipConsentIn,
    SipConsentWithdrawnOut,
    SipDetailOut,
    SipErrorOut,
    SipFollowUpIn,
    SipInvitationIn,
    SipInvitationOut,
    SipLinkIn,
    SipLinkOut,
    SipListFilters,
    SipMeetingHeldIn,
    SipMeetingWriteOut,
    SipParticipantOut,
    SipPlanIn,
    SipPlanVersionOut,
    SipPlanVersionSummaryOut,
    SipPlanWriteOut,
    SipStartIn,
    SipSummaryOut,
    SipValidationErrorOut,
    StaleVersionOut,
)
from datasmart.sip.domain.actors import StaffActor
from datasmart.sip.domain.errors import SipNotFound, SipValidationError, StaleVersion
from datasmart.sip.domain.schemas import PlanContent
from datasmart.sip.fhir import service as fhir
from datasmart.sip.models import (
    AccessAction,
    Consent,
    Meeting,
    Participant,
    PlanVersion,
    Sip,
    SipAccessLog,
)

__all__ = ["ORGANISATION_HEADER", "router"]

ORGANISATION_HEADER: Final = "X-Organisation"
ORGANISATION_QUERY: Final = "organisation"
FHIR_JSON: Final = "application/fhir+json"

router = Router(tags=["sip"], auth=[ApiTokenAuth(), SessionAuth()])
# Every answer may carry personal data (names, identity numbers, the plan): no browser,
# proxy or shared cache may keep it. ``never_cache`` sets ``Cache-Control: max-age=0,
# no-cache, no-store, must-revalidate, private`` on every response of the router,
# errors and 401s included ("view" mode wraps the whole operation).
router.add_decorator(never_cache, mode="view")

# --- OpenAPI: the organisation parameters and error responses every endpoint shares ---------

# The header ``X-Organisation`` is described in the parameter's text rather than declared:
# a declared header makes OpenAPI tools treat any other header as a schema violation.
_ORG_PARAMETERS: Final[list[dict[str, Any]]] = [
    {
        "name": ORGANISATION_QUERY,
        "in": "query",
        "required": False,
        "description": (
            "Organisationen (id) du arbetar för; behövs bara om du är handläggare i flera. "
            f"Kan också ges som rubriken `{ORGANISATION_HEADER}`, som då går före."
        ),
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    },
]
OPENAPI: Final[dict[str, Any]] = {"parameters": _ORG_PARAMETERS}

_ERRORS: Final[dict[int, Any]] = {
    401: SipErrorOut,
    403: SipErrorOut,
    404: SipErrorOut,
    422: SipValidationErrorOut,
}
_WRITE_ERRORS: Final[dict[int, Any]] = {**_ERRORS, 409: StaleVersionOut}


def _responses(
    ok: dict[int, Any], *, write: bool = False, plan: bool = True, body: bool = False
) -> dict[int, Any]:
    """``ok`` plus the errors: 409 for versioned writes, no 404 without a plan id, 400
    for a JSON body that is not JSON."""
    errors = dict(_WRITE_ERRORS if write else _ERRORS)
    if not plan:
        del errors[404]
    if body:
        errors[400] = SipErrorOut
    return {**ok, **errors}


# --- errors ----------------------------------------------------------------------------------


def _error(status: int, detail: str, **extra: Any) -> Status[dict[str, Any]]:
    return Status(status, {"detail": detail, **extra})


def _nul_in(value: Any, path: str = "") -> str | None:
    """The path of the first text holding a NUL character (PostgreSQL cannot store it)."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            found = inner if "\x00" in str(key) else _nul_in(item, inner)
            if found is not None:
                return found
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = _nul_in(item, f"{path}[{i}]")
            if found is not None:
                return found
    return None


def _refuse_nul(kwargs: dict[str, Any]) -> None:
    for value in kwargs.values():
        if isinstance(value, BaseModel):
            field = _nul_in(value.model_dump(mode="json"))
            if field is not None:
                raise SipValidationError(_("Texten innehåller ett otillåtet tecken."), field=field)


def sip_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Map the SIP services' errors to HTTP statuses (see the module docstring); refuse
    texts that no database column can hold before they reach the services."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            _refuse_nul(kwargs)
            return view(request, *args, **kwargs)
        except SipNotFound as exc:
            return _error(404, str(exc))
        except StaleVersion as exc:
            return _error(409, str(exc), current_version=exc.current_version)
        except SipValidationError as exc:
            return _error(
                422,
                exc.message,
                field=exc.field,
                errors=[{"field": field, "detail": message} for field, message in exc.errors],
            )
        except PermissionDenied as exc:
            return _error(403, str(exc) or _("Du saknar behörighet för detta."))

    return wrapper


# --- who is acting ---------------------------------------------------------------------------


def _requested_organisation(request: HttpRequest) -> int | None:
    raw = request.headers.get(ORGANISATION_HEADER) or request.GET.get(ORGANISATION_QUERY)
    if raw is None or not raw.strip():
        return None
    raw = raw.strip()
    digits = raw.lstrip("0")
    if (
        not raw.isascii()
        or not raw.isdigit()
        or len(digits) > 19
        or not 1 <= int(digits or 0) <= MAX_ID
    ):
        raise SipValidationError(
            _("Ange organisationens id som ett heltal."), field=ORGANISATION_QUERY
        )
    return int(raw)


def choose_organisation(user: User, requested: int | None, permission: Permission) -> Organisation:
    """The organisation ``user`` acts for: ``requested`` if they are a member, otherwise
    their one organisation granting ``permission``.

    Without such an organisation the user's only (or first) membership is used, so the
    services refuse with their usual answer (a plan they may not see does not exist).
    Not a member of ``requested``, or of nothing at all: ``PermissionDenied`` (audited).
    Several organisations granting ``permission``: :class:`SipValidationError` naming
    ``organisation``.
    """
    roles = roles_by_organisation(user)
    if requested is not None:
        if requested not in roles:
            deny(user, permission, detail={"reason": "not_a_member", "area": "sip"})
        return Organisation.objects.get(pk=requested)
    granting = sorted(org_id for org_id in roles if has_permission(user, permission, org_id))
    if len(granting) > 1:
        raise SipValidationError(
            _(
                "Du är handläggare i flera organisationer. Ange vilken du arbetar för med "
                "rubriken %(header)s eller parametern %(param)s."
            )
            % {"header": ORGANISATION_HEADER, "param": ORGANISATION_QUERY},
            field=ORGANISATION_QUERY,
        )
    if granting:
        return Organisation.objects.get(pk=granting[0])
    if not roles:
        deny(user, permission, detail={"reason": "no_membership", "area": "sip"})
    return Organisation.objects.get(pk=min(roles))


def staff_actor(
    request: HttpRequest, permission: Permission = Permission.READ_SIP_PLANS
) -> StaffActor:
    """The signed-in user acting for the chosen organisation."""
    user: User = request.auth  # type: ignore[attr-defined]
    organisation = choose_organisation(user, _requested_organisation(request), permission)
    return StaffActor(user, organisation)


# --- serialisation ---------------------------------------------------------------------------


def _org(org: Organisation | None) -> dict[str, Any] | None:
    return None if org is None else {"id": org.pk, "name": org.name}


def summary(sip: Sip) -> dict[str, Any]:
    person = sip.person
    return {
        "id": sip.pk,
        "status": sip.status,
        "version": sip.version,
        "person": (
            None
            if person is None
            else {
                "display_name": sip.display_name,
                "id_masked": person.id_masked,
                "id_kind": person.id_kind,
            }
        ),
        "is_child": sip.is_child,
        "started_at": sip.started_at,
        "owner_organisation": _org(sip.owner_organisation),
        "lead_organisation": _org(sip.lead_organisation),
        "coordinator_name": sip.coordinator_name,
        "closed_at": sip.closed_at,
        "closed_reason": sip.closed_reason or None,
    }


def _consent(consent: Consent) -> dict[str, Any]:
    return {
        "id": consent.pk,
        "given_by": consent.given_by,
        "guardian_name": consent.guardian_name,
        "given_at": consent.given_at,
        "organisations": [_org(o) for o in consent.organisations.all()],
        "withdrawn_at": consent.withdrawn_at,
        "withdrawn_by": consent.withdrawn_by_label,
        "superseded_at": consent.superseded_at,
        "active": consent.is_active,
    }


def _meeting(meeting: Meeting) -> dict[str, Any]:
    return {
        "id": meeting.pk,
        "kind": meeting.kind,
        "scheduled_at": meeting.scheduled_at,
        "location": meeting.location,
        "held_at": meeting.held_at,
    }


def _participant(participant: Participant) -> dict[str, Any]:
    return {
        "id": participant.pk,
        "kind": participant.kind,
        "organisation": _org(participant.organisation),
        "unit_name": participant.unit_name,
        "name": participant.name,
        "email": participant.email,
        "status": participant.status,
        "invited_at": participant.invited_at,
        "responded_at": participant.responded_at,
    }


def _version_summary(version: PlanVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "created_at": version.created_at,
        "created_by": version.created_by_label,
        "meeting_id": version.meeting_id,
    }


def _version(version: PlanVersion) -> dict[str, Any]:
    return {**_version_summary(version), "content": version.content}


def detail(sip: Sip) -> dict[str, Any]:
    """The plan as ``GET /sips/{id}`` shows it. ``sip`` comes from ``services.get_sip``
    (access checked and logged); its version was read first, so the rest is at least as
    new: a write based on it can be stale (409) but never overwrites unseen changes."""
    consents = list(
        Consent.objects.filter(sip=sip)
        .prefetch_related("organisations")
        .order_by("-given_at", "-id")
    )
    latest = PlanVersion.objects.filter(sip=sip).order_by("-number").first()
    return {
        **summary(sip),
        "need": sip.need,
        "closed_note": sip.closed_note,
        "retain_until": sip.retain_until,
        "consent_active": any(c.is_active for c in consents),
        "consents": [_consent(c) for c in consents],
        "participants": [
            _participant(p)
            for p in Participant.objects.filter(sip=sip)
            .select_related("organisation")
            .order_by("invited_at", "id")
        ],
        "meetings": [
            _meeting(m) for m in Meeting.objects.filter(sip=sip).order_by("scheduled_at", "id")
        ],
        "plan": _version(latest) if latest is not None else None,
        "responses": [
            {
                "plan_version": r.plan_version.number,
                "kind": r.kind,
                "text": r.text,
                "created_at": r.created_at,
            }
            for r in sip.person_responses.select_related("plan_version").order_by(
                "created_at", "id"
            )
        ],
    }


def link_path(secret: str) -> str:
    """Where the person opens an invitation link: the SIP pages' ``/sip/lank/<secret>/``."""
    return reverse("sip:redeem", kwargs={"secret": secret})


def _content_path(field: str) -> str:
    head = field.split("[", 1)[0].split(".", 1)[0]
    return f"content.{field}" if head in PlanContent.model_fields else field


def _in_content(exc: SipValidationError) -> SipValidationError:
    """The services name plan-content fields from the content (``interventions[0]…``);
    in the request body they are under ``content``."""
    errors = [(_content_path(field), message) for field, message in exc.errors]
    return SipValidationError(
        exc.message, field=_content_path(exc.field) if exc.field else None, errors=errors
    )


def _invited(sip_id: Any, meeting: Meeting) -> list[Participant]:
    """The participants ``services.invite`` just created for ``meeting`` (their ids are in
    the ``invite`` access-log row the service wrote in the same transaction)."""
    row = (
        SipAccessLog.objects.filter(
            sip_id=meeting.sip_id, action=AccessAction.INVITE, detail__meeting=meeting.pk
        )
        .order_by("-at", "-id")
        .first()
    )
    ids = list(row.detail.get("participants", [])) if row is not None else []
    return list(
        Participant.objects.filter(sip_id=meeting.sip_id, pk__in=ids)
        .select_related("organisation")
        .order_by("invited_at", "id")
    )


# --- plans -----------------------------------------------------------------------------------


@router.get(
    "/sips",
    response=_responses({200: list[SipSummaryOut]}, plan=False),
    summary="Mina SIP:ar",
    description=(
        "Planer du får se (din organisation startade dem, eller ett gällande samtycke "
        "omfattar den), senaste först. Identitetsnummer visas bara maskerat. Varje plan i "
        "listan loggas i planens logg."
    ),
    openapi_extra=OPENAPI,
)
@sip_errors
def list_sips(request: HttpRequest, filters: Query[SipListFilters]) -> Any:
    actor = staff_actor(request)
    return [summary(s) for s in services.list_sips(actor, status=filters.status)]


@router.post(
    "/sips",
    response=_responses({201: SipSummaryOut}, plan=False, body=True),
    summary="Starta en SIP",
    description=(
        "Startar en plan för personen; din organisation blir den som äger planen. En "
        "pågående plan per person och organisation."
    ),
    openapi_extra=OPENAPI,
)
@sip_errors
def start_sip(request: HttpRequest, payload: SipStartIn) -> Any:
    actor = staff_actor(request, Permission.CREATE_SIP)
    sip = services.start_sip(
        actor,
        person_id=payload.person_id,
        display_name=payload.display_name,
        need=payload.need,
        is_child=payload.is_child,
        id_kind=payload.id_kind,
    )
    sip = Sip.objects.select_related("person", "owner_organisation", "lead_organisation").get(
        pk=sip.pk
    )
    return Status(201, summary(sip))


@router.post(
    "/sips/fhir",
    response=_responses({201: SipSummaryOut}, plan=False),
    summary="Importera en SIP från FHIR",
    description=(
        "Skapar en ny plan, ägd av din organisation, från en FHIR R5 `Bundle` (som "
        "`GET /sips/{id}/fhir` ger). Organisationer matchas på organisationsnummer eller namn."
    ),
    openapi_extra={
        **OPENAPI,
        "requestBody": {
            "required": True,
            "content": {
                media: {"schema": {"type": "object", "description": "FHIR R5 Bundle"}}
                for media in (FHIR_JSON, "application/json")
            },
        },
    },
)
@sip_errors
def import_fhir(request: HttpRequest) -> Any:
    actor = staff_actor(request, Permission.CREATE_SIP)
    bundle: Any = request.body
    try:
        parsed = json.loads(bundle)
    except ValueError:
        parsed = None  # not JSON: the import says so, naming the field
    if isinstance(parsed, dict):
        field = _nul_in(parsed)
        if field is not None:
            raise SipValidationError(_("Texten innehåller ett otillåtet tecken."), field=field)
        bundle = parsed
    sip = fhir.import_fhir(actor, bundle)
    sip = Sip.objects.select_related("person", "owner_organisation", "lead_organisation").get(
        pk=sip.pk
    )
    return Status(201, summary(sip))


@router.get(
    "/sips/{sip_id}",
    response=_responses({200: SipDetailOut}),
    summary="En SIP",
    description=(
        "Planen med aktuellt innehåll, version, deltagare, möten, samtycke, huvudansvarig "
        "organisation och samordnare. Läsningen loggas."
    ),
    openapi_extra=OPENAPI,
)
@sip_errors
def get_sip(request: HttpRequest, sip_id: str) -> Any:
    sip = services.get_sip(staff_actor(request), sip_id)
    return detail(sip)


# --- consent ---------------------------------------------------------------------------------


@router.post(
    "/sips/{sip_id}/consents",
    response=_responses({201: SipConsentCreatedOut}, write=True, body=True),
    summary="Registrera samtycke",
    description=(
        "Personens (eller vårdnadshavarens) samtycke till att dela planen med de angivna "
        "organisationerna. Ersätter tidigare samtyckes omfattning. Bara den organisation "
        "som startade planen."
    ),
    openapi_extra=OPENAPI,
)
@sip_errors
def record_consent(request: HttpRequest, sip_id: str, payload: SipConsentIn) -> Any:
    consent = services.record_consent(
        staff_actor(request),
        sip_id,
        expected_version=payload.expected_version,
        given_by=payload.given_by,
        guardian_name=payload.guardian_name,
        organisation_ids=payload.organisation_ids,
    )
    return Status(201, {**_consent(consent), "version": payload.expected_version + 1})


@router.post(
    "/sips/{sip_id}/consents/withdraw",
    response=_responses({200: SipConsentWithdrawnOut}),
    summary="Återkalla samtycke",
    description=(
        "Återkallar alla gällande samtycken på en gång; kräver ingen version (ett "
        "återkallande ska alltid lyckas). Deltagande organisationer ser inte längre planen."
    ),
    openapi_extra=OPENAPI,
)
@sip_errors
def withdraw_consent(request: HttpRequest, sip_id: str) -> Any:
    sip = services.withdraw_consent(staff_actor(request), sip_id)
    return {"version": sip.version, "consent_active": False}


# --- invitations and meetings ----------------------------------------------------------------


@router.post(
    "/sips/{sip_id}/invitations",
    response=_responses({201: SipInvitationOut}, write=True, body=True),
    summary="Bjud in till SIP-möte",
    description=(
        "Bjuder in deltagare till ett möte (det första SIP-mötet, annars en uppföljning). "
        "En organisation kan bara bjudas in om samtycket omfattar den."
    ),
    openapi_extra=OPENAPI,
)
@sip_errors
def invite(request: HttpRequest, sip_id: str, payload: SipInvitationIn) -> Any:
    meeting = services.invite(
        staff_actor(request),
        sip_id,
        expected_version=payload.expected_version,
        participants=list(payload.participants),
        meeting_at=payload.meeting_at,
        location=payload.location,
    )
    return Status(
        201,
        {
            "version": payload.expected_version + 1,
            "meeting": _meeting(meeting),
            "participants": [_participant(p) for p in _invited(sip_id, meeting)],
        },
    )


@router.post(
    "/sips/participants/{participant_id}/response",
    response=_responses({200: SipParticipantOut}, body=True),
    summary="Svara på inbjudan",
    description=(
        "Tacka ja eller nej. En organisation svarar genom sina egna handläggare; svar från "
        "personen, vårdnadshavare eller andra kan registreras av den organisation som "
        "startade planen."
    ),
    openapi_extra=OPENAPI,
)
@sip_errors
def respond(request: HttpRequest, participant_id: str, payload: SipAnswerIn) -> Any:
    participant = services.respond(staff_actor(request), participant_id, accept=payload.accept)
    participant = Participant.objects.select_related("organisation").get(pk=participant.pk)
    return _participant(participant)


@router.post(
    "/sips/{sip_id}/meetings",
    response=_responses({201: SipMeetingWriteOut}, write=True, body=True),
    summary="Boka uppföljning",
    openapi_extra=OPENAPI,
)
@sip_errors
def schedule_follow_up(request: HttpRequest, sip_id: str, payload: SipFollowUpIn) -> Any:
    meeting = services.schedule_follow_up(
        staff_actor(request),
        sip_id,
        expected_version=payload.expected_version,
        meeting_at=payload.meeting_at,
        location=payload.location,
    )
    return Status(201, {"version": payload.expected_version + 1, "meeting": _meeting(meeting)})


@router.post(
    "/sips/{sip_id}/meetings/{meeting_id}/held",
    response=_responses({200: SipMeetingWriteOut}, write=True, body=True),
    summary="Registrera att mötet hållits",
    openapi_extra=OPENAPI,
)
@sip_errors
def record_meeting_held(
    request: HttpRequest,
    sip_id: str,
    payload: SipMeetingHeldIn,
    meeting_id: int = Path(..., ge=1, le=MAX_ID),
) -> Any:
    meeting = services.record_meeting_held(
        staff_actor(request),
        sip_id,
        meeting_id,
        expected_version=payload.expected_version,
        held_at=payload.held_at,
    )
    return {"version": payload.expected_version + 1, "meeting": _meeting(meeting)}


# --- plan content ----------------------------------------------------------------------------


@router.put(
    "/sips/{sip_id}/plan",
    response=_responses({200: SipPlanWriteOut}, write=True, body=True),
    summary="Skriv en ny version av planen",
    description=(
        "Sparar nästa version av planens innehåll. `expected_version` är planens version "
        "när du läste den; har någon annan ändrat planen sedan dess svarar API:t 409 med "
        "`current_version` och ingenting sparas."
    ),
    openapi_extra=OPENAPI,
)
@sip_errors
def revise_plan(request: HttpRequest, sip_id: str, payload: SipPlanIn) -> Any:
    try:
        version = services.revise_plan(
            staff_actor(request),
            sip_id,
            expected_version=payload.expected_version,
            content=payload.content,
            meeting_id=payload.meeting_id,
        )
    except SipValidationError as exc:
        raise _in_content(exc) from None
    return {"version": payload.expected_version + 1, "plan": _version(version)}


@router.get(
    "/sips/{sip_id}/plan/versions",
    response=_responses({200: list[SipPlanVersionSummaryOut]}),
    summary="Planens versioner",
    openapi_extra=OPENAPI,
)
@sip_errors
def plan_versions(request: HttpRequest, sip_id: str) -> Any:
    return [_version_summary(v) for v in services.plan_versions(staff_actor(request), sip_id)]


@router.get(
    "/sips/{sip_id}/plan/versions/{number}",
    response=_responses({200: SipPlanVersionOut}),
    summary="En version av planen",
    openapi_extra=OPENAPI,
)
@sip_errors
def plan_version(
    request: HttpRequest, sip_id: str, number: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    for version in services.plan_versions(staff_actor(request), sip_id):
        if version.number == number:
            return _version(version)
    return _error(404, _("Version %(n)s finns inte.") % {"n": number})


@router.get(
    "/sips/{sip_id}/plan/compare",
    response=_responses({200: SipCompareOut}),
    summary="Jämför två versioner av planen",
    description=(
        "Fält för fält: om det ändrats, före, efter, och för listor vad som lagts till "
        "och tagits bort."
    ),
    openapi_extra=OPENAPI,
)
@sip_errors
def compare_versions(request: HttpRequest, sip_id: str, filters: Query[SipCompareFilters]) -> Any:
    return services.compare_versions(staff_actor(request), sip_id, filters.a, filters.b)


# --- closing, log, links, exports ------------------------------------------------------------


@router.post(
    "/sips/{sip_id}/close",
    response=_responses({200: SipClosedOut}, write=True, body=True),
    summary="Avsluta SIP:en",
    description="Bara den organisation som startade planen. Gallringstiden räknas från avslutet.",
    openapi_extra=OPENAPI,
)
@sip_errors
def close_sip(request: HttpRequest, sip_id: str, payload: SipCloseIn) -> Any:
    sip = services.close_sip(
        staff_actor(request),
        sip_id,
        expected_version=payload.expected_version,
        reason=payload.reason,
        note=payload.note,
    )
    return {
        "version": sip.version,
        "status": sip.status,
        "closed_at": sip.closed_at,
        "closed_reason": sip.closed_reason or None,
        "retain_until": sip.retain_until,
    }


@router.get(
    "/sips/{sip_id}/access-log",
    response=_responses({200: list[SipAccessLogOut]}),
    summary="Planens logg",
    description=(
        "Vem som har läst eller ändrat planen och när, senaste först (den här läsningen med)."
    ),
    openapi_extra=OPENAPI,
)
@sip_errors
def access_log(request: HttpRequest, sip_id: str) -> Any:
    return [
        {
            "at": row.at,
            "who": row.actor_label,
            "organisation": row.organisation_name,
            "action": row.action,
            "action_label": str(AccessAction(row.action).label),
            "detail": row.detail,
        }
        for row in services.access_log(staff_actor(request), sip_id)
    ]


@router.post(
    "/sips/{sip_id}/links",
    response=_responses({201: SipLinkOut}, body=True),
    summary="Skapa inbjudningslänk",
    description=(
        "En länk som personen (eller en inbjuden vårdnadshavare, närstående …) kan öppna "
        "planen med, en gång. Sökvägen med hemligheten visas bara i det här svaret."
    ),
    openapi_extra=OPENAPI,
)
@sip_errors
def create_link(request: HttpRequest, sip_id: str, payload: SipLinkIn) -> Any:
    link, secret = services.create_invitation_link(
        staff_actor(request),
        sip_id,
        payload.participant_id,
        valid_for=dt.timedelta(days=payload.valid_days),
    )
    return Status(
        201,
        {
            "id": link.pk,
            "url": link_path(secret),
            "participant_id": link.participant_id,
            "expires_at": link.expires_at,
        },
    )


@router.get(
    "/sips/{sip_id}/fhir",
    response=_responses({}),
    summary="Exportera SIP:en som FHIR",
    description=(
        "Planen som FHIR R5 `Bundle` (`application/fhir+json`), med fullständigt "
        "identitetsnummer. Exporten loggas."
    ),
    openapi_extra={
        **OPENAPI,
        "responses": {
            200: {
                "description": "FHIR R5 Bundle",
                "content": {FHIR_JSON: {"schema": {"type": "object"}}},
            }
        },
    },
)
@sip_errors
def export_fhir(request: HttpRequest, sip_id: str) -> Any:
    bundle = fhir.export_fhir(staff_actor(request), sip_id)
    return HttpResponse(
        json.dumps(bundle, cls=DjangoJSONEncoder, ensure_ascii=False),
        content_type=f"{FHIR_JSON}; charset=utf-8",
    )


@router.get(
    "/sips/{sip_id}/export",
    response=_responses({200: dict[str, Any]}),
    summary="Personens uppgifter (GDPR)",
    description=(
        "Allt som finns om personen i planen, med fullständigt identitetsnummer och "
        "planens logg (GDPR art. 15 och 20). För den organisation som startade planen, "
        "när personen begär ut sina uppgifter; personen själv hämtar dem på SIP-sidorna."
    ),
    openapi_extra=OPENAPI,
)
@sip_errors
def export_person_data(request: HttpRequest, sip_id: str) -> Any:
    return services.export_person_data(staff_actor(request), sip_id)
