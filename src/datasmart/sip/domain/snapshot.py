"""A plain, typed, JSON-able picture of one SIP plan: what the FHIR mapping exchanges.

The FHIR export and import (:mod:`datasmart.sip.fhir.service`) do not read or write models: they
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
to them by ``id``, like :class:`~datasmart.sip.domain.schemas.PlanContent` does. The ids are this
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
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from datasmart.sip.domain.schemas import PlanContent

if TYPE_CHECKING:
    from datasmart.sip.models import Sip

__all__ = [
    "ConsentSnapshot",
    "MeetingSnapshot",
    "OrganisationRef",
    "ParticipantSnapshot",
    "PersonIdentity",
    "SipSnapshot",
    "snapshot_of",
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

    ``number`` is the normalised full number (:class:`~datasmart.sip.domain.identity.IdentityNumber`
    ``.value``: 12 digits ``YYYYMMDDNNNC`` for personnummer and samordningsnummer, upper
    case ``A–Z0–9`` for reserve numbers).
    """

    kind: IdKindName
    number: NonEmpty
    display_name: str = ""

    @model_validator(mode="after")
    def _normalised(self) -> PersonIdentity:
        from datasmart.sip.domain.identity import parse_identity_number

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
    #: When a newer consent replaced this one (it is then no longer in force).
    superseded_at: Instant | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ConsentSnapshot:
        if self.withdrawn_at is not None and self.superseded_at is not None:
            raise ValueError("a consent ends once: withdrawn_at or superseded_at, not both")
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
        elif self.closed_at is not None or self.closed_reason is not None:
            # The same rule as the database (``sip_closed_consistent``), no stricter: a note
            # about an earlier closing may stay on a plan that is active again (the admin,
            # an import), and every plan the database holds must export (was a 500).
            raise ValueError("an active plan has no closed_at or closed_reason")
        return self


# --- from the database -------------------------------------------------------------------


def _org_number(value: str) -> str:
    """A stored organisationsnummer in the snapshot's form; one that is not valid (the
    model checks it in forms, not on every save) is left out rather than exported wrong."""
    from django.core.exceptions import ValidationError

    from datasmart.accounts.models import normalise_org_number

    if not value:
        return ""
    try:
        return normalise_org_number(value)
    except ValidationError:
        return ""


def snapshot_of(sip: Sip) -> SipSnapshot:
    """The snapshot of a stored plan: current state, all consents (oldest first), all
    participants (in invitation order), all meetings (in time order) and the latest plan
    version. Reads only; callers check access and log
    (:func:`datasmart.sip.fhir.service.export_fhir`).

    A unit name or withdrawal label where it means nothing (on a guardian or relative,
    on a consent still in force) is left out: the snapshot's shape has no place for it.

    Raises :class:`~datasmart.sip.domain.errors.SipValidationError` for an erased plan (nothing
    personal is left to export) or plan content naming an organisation that no longer
    exists.
    """
    from django.utils.translation import gettext as _

    from datasmart.accounts.models import Organisation
    from datasmart.sip.domain.errors import SipValidationError
    from datasmart.sip.domain.identity import decrypt_identity, parse_identity_number
    from datasmart.sip.models import PlanVersion

    person = sip.person
    if person is None or sip.erased_at is not None:
        raise SipValidationError(_("Planen är gallrad och kan inte exporteras."), field="sip")
    number = parse_identity_number(
        decrypt_identity(person.id_encrypted), kind=person.id_kind, field="person"
    )
    consents = [
        ConsentSnapshot(
            given_by=consent.given_by,  # type: ignore[arg-type]
            guardian_name=consent.guardian_name,
            given_at=consent.given_at,
            organisation_ids=sorted(org.pk for org in consent.organisations.all()),
            withdrawn_at=consent.withdrawn_at,
            withdrawn_by_label=consent.withdrawn_by_label if consent.withdrawn_at else "",
            superseded_at=consent.superseded_at if consent.withdrawn_at is None else None,
        )
        for consent in sip.consents.prefetch_related("organisations").order_by("given_at", "id")
    ]
    participants = [
        ParticipantSnapshot(
            kind=p.kind,  # type: ignore[arg-type]
            organisation_id=p.organisation_id,
            unit_name=p.unit_name if p.organisation_id is not None else "",
            name=p.name,
            email=p.email,
            status=p.status,  # type: ignore[arg-type]
            invited_at=p.invited_at,
            responded_at=p.responded_at,
        )
        for p in sip.participants.order_by("invited_at", "id")
    ]
    meetings = [
        MeetingSnapshot(
            kind=m.kind,  # type: ignore[arg-type]
            scheduled_at=m.scheduled_at,
            location=m.location,
            held_at=m.held_at,
        )
        for m in sip.meetings.order_by("scheduled_at", "id")
    ]
    latest = PlanVersion.objects.filter(sip=sip).order_by("-number").first()
    plan = PlanContent.model_validate(latest.content) if latest is not None else None
    partial = SipSnapshot.model_construct(
        owner_organisation_id=sip.owner_organisation_id,
        lead_organisation_id=sip.lead_organisation_id,
        consents=consents,
        participants=participants,
        plan=plan,
    )
    wanted = partial.referenced_organisation_ids()
    found = {org.pk: org for org in Organisation.objects.filter(pk__in=wanted)}
    missing = sorted(wanted - set(found))
    if missing:
        raise SipValidationError(
            _("Planen nämner en organisation som inte längre finns (id %(ids)s).")
            % {"ids": ", ".join(map(str, missing))},
            field="organisations",
        )
    return SipSnapshot(
        sip_id=sip.pk,
        version=sip.version,
        status=sip.status,  # type: ignore[arg-type]
        person=PersonIdentity(
            kind=number.kind.value,  # type: ignore[arg-type]
            number=number.value,
            display_name=sip.display_name,
        ),
        is_child=sip.is_child,
        need=sip.need,
        started_at=sip.started_at,
        closed_at=sip.closed_at,
        closed_reason=sip.closed_reason or None,  # type: ignore[arg-type]
        closed_note=sip.closed_note,
        owner_organisation_id=sip.owner_organisation_id,
        lead_organisation_id=sip.lead_organisation_id,
        coordinator_name=sip.coordinator_name,
        organisations=[
            OrganisationRef(id=org.pk, name=org.name, org_number=_org_number(org.org_number))
            for org in sorted(found.values(), key=lambda org: org.pk)
        ],
        consents=consents,
        participants=participants,
        meetings=meetings,
        plan_version=latest.number if latest is not None else None,
        plan=plan,
    )
