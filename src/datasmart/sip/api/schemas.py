"""Request and response bodies of the SIP REST API (:mod:`datasmart.sip.api.routes`).

Plan content and invitees reuse the core's pydantic models
(:class:`~datasmart.sip.domain.schemas.PlanContent`,
:class:`~datasmart.sip.domain.schemas.ParticipantIn`),
so the API validates exactly what the services validate and the OpenAPI shows it. The
services check everything again (and name the field in Swedish); the schemas here only
make the documented shape truthful.

Identity numbers appear masked only (``YYYYMMDD-****``); the full number leaves through
the GDPR export and the FHIR export, nowhere else.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Final

from ninja import Field, Schema
from pydantic import AwareDatetime, StrictBool

from datasmart.sip.domain.identity import IdKind
from datasmart.sip.domain.schemas import ParticipantIn, PlanContent
from datasmart.sip.models import (
    AccessAction,
    CloseReason,
    ConsentGivenBy,
    MeetingKind,
    ParticipantKind,
    ParticipantStatus,
    ResponseKind,
    SipStatus,
)

#: The largest id the database holds (ids are 64-bit integers).
MAX_ID: Final = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

#: The plan's version counter as a precondition for a write (optimistic locking).
ExpectedVersion = Field(
    ...,
    ge=1,
    le=2_147_483_647,
    description=(
        "Planens version när du läste den (`version`). Har någon annan ändrat planen sedan "
        "dess svarar API:t 409 med `current_version` och ingenting sparas."
    ),
)

# --- errors ----------------------------------------------------------------------------------


class SipErrorOut(Schema):
    """Error body (401, 403, 404): ``detail`` is a human-readable message (Swedish)."""

    detail: str


class SipValidationErrorOut(SipErrorOut):
    """422: ``field`` names the (first) offending input; ``errors`` lists every problem."""

    field: str | None = Field(None, description="T.ex. `content.interventions[0].end`")
    errors: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Alla fel: `{field, detail}` från tjänsterna, `{loc, msg, type}` från schemat",
    )


class StaleVersionOut(Schema):
    """409: someone else changed the plan; reload it (``current_version``) and retry."""

    detail: str
    current_version: int


# --- small pieces ----------------------------------------------------------------------------


class SipOrganisationOut(Schema):
    id: int
    name: str


class SipPersonOut(Schema):
    """The person, identified by name and *masked* identity number only."""

    display_name: str
    id_masked: str = Field(description="Maskerat identitetsnummer, t.ex. 20120517-****")
    id_kind: IdKind


class SipConsentOut(Schema):
    id: int
    given_by: ConsentGivenBy
    guardian_name: str
    given_at: dt.datetime
    organisations: list[SipOrganisationOut]
    withdrawn_at: dt.datetime | None
    withdrawn_by: str
    superseded_at: dt.datetime | None = Field(
        None, description="När ett nyare samtycke ersatte det här (då gäller det inte längre)"
    )
    active: bool


class SipMeetingOut(Schema):
    id: int
    kind: MeetingKind
    scheduled_at: dt.datetime
    location: str
    held_at: dt.datetime | None


class SipParticipantOut(Schema):
    id: uuid.UUID
    kind: ParticipantKind
    organisation: SipOrganisationOut | None
    unit_name: str
    name: str
    email: str
    status: ParticipantStatus
    invited_at: dt.datetime
    responded_at: dt.datetime | None


class SipPlanVersionSummaryOut(Schema):
    number: int = Field(description="Planversionens nummer (1, 2, …)")
    created_at: dt.datetime
    created_by: str
    meeting_id: int | None


class SipPlanVersionOut(SipPlanVersionSummaryOut):
    content: PlanContent


class SipPersonResponseOut(Schema):
    plan_version: int
    kind: ResponseKind
    text: str
    created_at: dt.datetime


# --- plans -----------------------------------------------------------------------------------


class SipSummaryOut(Schema):
    """A plan in a list: never more than the masked identity number."""

    id: uuid.UUID
    status: SipStatus
    version: int = Field(description="Planens version; skicka den som `expected_version`")
    person: SipPersonOut | None
    is_child: bool
    started_at: dt.datetime
    owner_organisation: SipOrganisationOut
    lead_organisation: SipOrganisationOut | None
    coordinator_name: str
    closed_at: dt.datetime | None
    closed_reason: CloseReason | None


class SipDetailOut(SipSummaryOut):
    """A plan with its current content, participants, meetings and consent."""

    need: str
    closed_note: str
    retain_until: dt.date | None
    consent_active: bool = Field(description="Om ett samtycke gäller just nu")
    consents: list[SipConsentOut] = Field(description="Alla samtycken, senaste först")
    participants: list[SipParticipantOut]
    meetings: list[SipMeetingOut]
    plan: SipPlanVersionOut | None = Field(description="Den senaste versionen av planen")
    responses: list[SipPersonResponseOut]


class SipListFilters(Schema):
    status: SipStatus | None = Field(None, description="active eller closed")


class SipStartIn(Schema):
    person_id: str = Field(
        ...,
        min_length=1,
        max_length=32,
        description="Personnummer, samordningsnummer eller reservnummer",
        examples=["20120517-1232"],
    )
    id_kind: IdKind | None = Field(None, description="Tvinga typ av nummer (annars gissas den)")
    display_name: str = Field(..., min_length=1, max_length=200)
    need: str = Field(..., min_length=1, max_length=5000, description="Det upptäckta behovet")
    is_child: StrictBool | None = Field(
        None, description="Gäller ett barn (under 18 år); utelämnat: enligt personnumret"
    )


# --- consent ---------------------------------------------------------------------------------


class SipConsentIn(Schema):
    expected_version: int = ExpectedVersion
    given_by: ConsentGivenBy
    guardian_name: str = Field("", max_length=200)
    organisation_ids: list[Id] = Field(
        ...,
        min_length=1,
        max_length=100,
        description="Organisationer (id) som får se planen, utöver den som startade den",
    )


class SipConsentCreatedOut(SipConsentOut):
    version: int


class SipConsentWithdrawnOut(Schema):
    version: int
    consent_active: bool


# --- invitations and meetings ----------------------------------------------------------------


class SipInvitationIn(Schema):
    expected_version: int = ExpectedVersion
    participants: list[ParticipantIn] = Field(..., min_length=1, max_length=100)
    meeting_at: AwareDatetime = Field(..., description="Mötestid med tidszon")
    location: str = Field("", max_length=200)


class SipInvitationOut(Schema):
    version: int
    meeting: SipMeetingOut
    participants: list[SipParticipantOut]


class SipAnswerIn(Schema):
    accept: StrictBool = Field(..., description="true = tackar ja, false = tackar nej")


class SipFollowUpIn(Schema):
    expected_version: int = ExpectedVersion
    meeting_at: AwareDatetime = Field(..., description="Mötestid med tidszon")
    location: str = Field("", max_length=200)


class SipMeetingHeldIn(Schema):
    expected_version: int = ExpectedVersion
    held_at: AwareDatetime = Field(..., description="När mötet hölls (inte i framtiden)")


class SipMeetingWriteOut(Schema):
    version: int
    meeting: SipMeetingOut


# --- plan content ----------------------------------------------------------------------------


class SipPlanIn(Schema):
    expected_version: int = ExpectedVersion
    content: PlanContent
    meeting_id: Id | None = Field(None, description="Mötet där planen togs fram")


class SipPlanWriteOut(Schema):
    version: int
    plan: SipPlanVersionOut


class SipCompareFilters(Schema):
    a: int = Field(..., ge=1, le=2_147_483_647, description="Versionen att jämföra från")
    b: int = Field(..., ge=1, le=2_147_483_647, description="Versionen att jämföra med")


class SipFieldDiffOut(Schema):
    changed: bool
    before: Any
    after: Any
    added: list[Any] | None = None
    removed: list[Any] | None = None


class SipCompareOut(Schema):
    a: int
    b: int
    fields: dict[str, SipFieldDiffOut]


# --- closing, log, links ---------------------------------------------------------------------


class SipCloseIn(Schema):
    expected_version: int = ExpectedVersion
    reason: CloseReason
    note: str = Field("", max_length=2000)


class SipClosedOut(Schema):
    version: int
    status: SipStatus
    closed_at: dt.datetime | None
    closed_reason: CloseReason | None
    retain_until: dt.date | None


class SipAccessLogOut(Schema):
    at: dt.datetime
    who: str
    organisation: str
    action: AccessAction
    action_label: str
    detail: dict[str, Any]


class SipLinkIn(Schema):
    participant_id: uuid.UUID | None = Field(
        None,
        description=(
            "Deltagaren (person, vårdnadshavare, närstående, annan) länken är till; "
            "utelämnad = personen själv"
        ),
    )
    valid_days: int = Field(7, ge=1, le=30, description="Hur många dagar länken gäller")


class SipLinkOut(Schema):
    id: uuid.UUID
    url: str = Field(
        description="Sökvägen att skicka till personen, `/sip/lank/<hemlighet>/`. Visas bara nu."
    )
    participant_id: uuid.UUID | None
    expires_at: dt.datetime
