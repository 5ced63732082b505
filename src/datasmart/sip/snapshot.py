"""A plain, typed, JSON-able picture of one SIP plan: what the FHIR mapping exchanges.

The FHIR export and import (:mod:`datasmart.sip.fhir`) do not read or write models: they
map a :class:`SipSnapshot` to a FHIR ``Bundle`` and back. Keeping the mapping pure makes
its central promise testable without a database, for every plan hypothesis can think of:

    bundle_to_plan(plan_to_bundle(snapshot)) == snapshot

A snapshot holds everything a receiving system needs to rebuild the same plan: who it is
about (the full identity number: FHIR export is one of the two places it leaves the
database, ADR 0004 principle 5), the plan's state, the organisations involved, consents,
participants, meetings and the *current* plan content with its version number. It leaves
out what only makes sense inside one installation (user accounts, invitation links, the
access log, earlier plan versions, the person's responses).

Organisations are listed once in :attr:`SipSnapshot.organisations`; everything else refers
to them by ``id``, like :class:`~datasmart.sip.schemas.PlanContent` does. The ids are this
installation's ``accounts.Organisation`` ids. A bundle from elsewhere carries no such ids:
its organisations get made-up ids and the import matches them by organisationsnummer or
name instead (it never trusts an id from a file).

The validators enforce the invariants the mapping relies on (every referenced
organisation is listed, a closed plan has a reason, numbers are normalised, times carry a
time zone …) so that an invalid snapshot fails here, with a message naming the field,
rather than producing a bundle that cannot come back as it went out.

:func:`snapshot_of` builds a snapshot from the models.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from .schemas import PlanContent

__all__ = [
    "ConsentSnapshot",
    "MeetingSnapshot",
    "OrganisationRef",
    "ParticipantSnapshot",
    "PersonIdentity",
    "SipSnapshot",
]

IdKindName = Literal["personnummer", "samordningsnummer", "reserve"]
ParticipantKind = Literal["organisation", "person", "guardian", "relative", "other"]
ParticipantStatus = Literal["invited", "accepted", "declined"]
MeetingKind = Literal["first", "follow_up"]
ClosedReason = Literal["goals_met", "person_ended", "consent_withdrawn", "moved", "other"]
NonEmpty = Annotated[str, Field(min_length=1)]
#: A point in time, kept in UTC: the same instant is then always the same value (an
#: aware datetime in a DST fold never compares equal to one in another zone, PEP 495).
Instant = Annotated[AwareDatetime, AfterValidator(lambda value: value.astimezone(dt.UTC))]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PersonIdentity(_Frozen):
    """The person the plan is about.

    ``number`` is the normalised full number (:class:`~datasmart.sip.identity.IdentityNumber`
    ``.value``: 12 digits ``YYYYMMDDNNNC`` for personnummer and samordningsnummer, upper
    case ``A–Z0–9`` for reserve numbers).
    """

    kind: IdKindName
    number: NonEmpty
    display_name: str = ""

    @model_validator(mode="after")
    def _normalised(self) -> PersonIdentity:
        from .identity import parse_identity_number

        parsed = parse_identity_number(self.number, kind=self.kind, field="person.number")
        if parsed.value != self.number:
            raise ValueError(f"person.number is not normalised (expected {parsed.value})")
        return self


class OrganisationRef(_Frozen):
    """An organisation named in the plan. ``org_number`` is ``NNNNNN-NNNN`` or empty."""

    id: int
    name: NonEmpty
    org_number: str = ""

    @model_validator(mode="after")
    def _org_number(self) -> OrganisationRef:
        if self.org_number:
            from datasmart.accounts.models import normalise_org_number

            if normalise_org_number(self.org_number) != self.org_number:
                raise ValueError("org_number must be written NNNNNN-NNNN")
        return self


class ConsentSnapshot(_Frozen):
    """One consent, active or withdrawn. ``organisation_ids``: whom it covers (unique)."""

    given_by: Literal["person", "guardian"]
    guardian_name: str = ""
    given_at: Instant
    organisation_ids: list[int]
    withdrawn_at: Instant | None = None
    withdrawn_by_label: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> ConsentSnapshot:
        if self.given_by == "person" and self.guardian_name:
            raise ValueError("guardian_name is only for a consent given by a guardian")
        if len(set(self.organisation_ids)) != len(self.organisation_ids):
            raise ValueError("organisation_ids must be unique")
        if self.withdrawn_at is None and self.withdrawn_by_label:
            raise ValueError("withdrawn_by_label needs withdrawn_at")
        return self


class ParticipantSnapshot(_Frozen):
    """Someone invited to take part: an organisation (with an optional unit and contact
    person), the person, a guardian, a relative or someone else."""

    kind: ParticipantKind
    organisation_id: int | None = None
    unit_name: str = ""
    name: str = ""
    email: str = ""
    status: ParticipantStatus = "invited"
    invited_at: Instant | None = None
    responded_at: Instant | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ParticipantSnapshot:
        if self.kind == "organisation":
            if self.organisation_id is None:
                raise ValueError("an organisation participant needs organisation_id")
        elif self.organisation_id is not None or self.unit_name:
            raise ValueError("only organisation participants have organisation_id/unit_name")
        return self


class MeetingSnapshot(_Frozen):
    """A SIP meeting: the first one or a follow-up; ``held_at`` once it has been held."""

    kind: MeetingKind
    scheduled_at: Instant
    location: str = ""
    held_at: Instant | None = None


class SipSnapshot(_Frozen):
    """One plan as exchanged over FHIR (see the module docstring)."""

    sip_id: uuid.UUID
    #: ``Sip.version`` (optimistic locking counter) when the snapshot was taken.
    version: Annotated[int, Field(ge=1)]
    status: Literal["active", "closed"]
    person: PersonIdentity
    is_child: bool = False
    need: str = ""
    started_at: Instant
    closed_at: Instant | None = None
    closed_reason: ClosedReason | None = None
    closed_note: str = ""
    owner_organisation_id: int
    lead_organisation_id: int | None = None
    coordinator_name: str = ""
    organisations: list[OrganisationRef]
    consents: list[ConsentSnapshot] = []
    participants: list[ParticipantSnapshot] = []
    meetings: list[MeetingSnapshot] = []
    #: ``PlanVersion.number`` of :attr:`plan`; both None before the first plan is written.
    plan_version: Annotated[int, Field(ge=1)] | None = None
    plan: PlanContent | None = None

    def organisation(self, organisation_id: int) -> OrganisationRef:
        for org in self.organisations:
            if org.id == organisation_id:
                return org
        raise KeyError(organisation_id)

    def referenced_organisation_ids(self) -> set[int]:
        """Every organisation id the plan refers to (all must be in ``organisations``)."""
        ids = {self.owner_organisation_id}
        if self.lead_organisation_id is not None:
            ids.add(self.lead_organisation_id)
        for consent in self.consents:
            ids.update(consent.organisation_ids)
        ids.update(p.organisation_id for p in self.participants if p.organisation_id is not None)
        if self.plan is not None:
            ids.update(i.organisation_id for i in self.plan.interventions)
            if self.plan.lead_organisation_id is not None:
                ids.add(self.plan.lead_organisation_id)
        return ids

    @model_validator(mode="after")
    def _consistent(self) -> SipSnapshot:
        ids = [org.id for org in self.organisations]
        if len(set(ids)) != len(ids):
            raise ValueError("organisations: ids must be unique")
        missing = self.referenced_organisation_ids() - set(ids)
        if missing:
            raise ValueError(f"organisations: ids {sorted(missing)} are referenced but not listed")
        if (self.plan is None) != (self.plan_version is None):
            raise ValueError("plan and plan_version go together")
        if self.status == "closed":
            if self.closed_at is None or self.closed_reason is None:
                raise ValueError("a closed plan needs closed_at and closed_reason")
        elif self.closed_at is not None or self.closed_reason is not None or self.closed_note:
            raise ValueError("an active plan has no closed_at, closed_reason or closed_note")
        return self
