"""SIP plan → FHIR R5 ``Bundle``: :func:`plan_to_bundle`.

The bundle is a ``collection`` (not a ``document``: there is no signed, attested
Composition; the receiver gets the plan's data, not a frozen paper). It holds

- ``CarePlan`` — the plan: status, period, the detected need (``description``), the needs
  (``note``), goals (``goal`` → ``Goal``), interventions (``activity`` → ``ServiceRequest``
  with the responsible organisation as ``performer`` and the planned period as
  ``occurrencePeriod``), what others will do (``activity`` → ``Task`` with ``owner``
  "mamma", "idrottsföreningen" …), huvudansvar (``custodian``), the care team, and
  extensions for the SIP and plan version numbers, follow-up dates, child plan, closure.
  The owner organisation (the one that started the plan and keeps its record) is the
  ``assigner`` of the plan's identifier.
- ``Patient`` — the person: identity number (systems in :mod:`.codes`), name, birth
  date (derived from the number).
- ``Organization`` — one per organisation involved (organisationsnummer, name, datasmart
  id); a unit such as "BUP Kiruna" is an ``Organization`` that is ``partOf`` its
  organisation, which is how FHIR models a department.
- ``CareTeam`` — everyone invited (organisations/units, the person, guardians, relatives,
  others as ``RelatedPerson``) and the coordinator, each with a role; the lead
  organisation is ``managingOrganization``.
- ``Consent`` — one per consent, ``active`` until withdrawn, then ``inactive`` with the
  withdrawal as the end of its period; the person or the guardian (``RelatedPerson``) as
  ``grantor``; the organisations it covers as ``provision.actor``.
- ``Appointment`` — one per SIP meeting, ``basedOn`` the CarePlan.

Every resource is built with ``fhir.resources`` classes, so it is validated against the R5
structure as it is built. References are ``urn:uuid:`` full URLs derived from the plan id
(UUID v5), so the same snapshot always gives the same bundle, byte for byte, and the
import can resolve references without a server.

Times are written in Swedish time (``Europe/Stockholm``), the way the people reading them
think; FHIR allows any offset and the import reads any. Empty texts are left out (FHIR
strings may not be empty) and come back as empty.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from typing import Any, Final

from fhir.resources.annotation import Annotation
from fhir.resources.appointment import Appointment, AppointmentParticipant
from fhir.resources.bundle import Bundle, BundleEntry
from fhir.resources.careplan import CarePlan, CarePlanActivity
from fhir.resources.careteam import CareTeam, CareTeamParticipant
from fhir.resources.codeableconcept import CodeableConcept
from fhir.resources.codeablereference import CodeableReference
from fhir.resources.coding import Coding
from fhir.resources.consent import Consent, ConsentProvision, ConsentProvisionActor
from fhir.resources.contactpoint import ContactPoint
from fhir.resources.extension import Extension
from fhir.resources.goal import Goal
from fhir.resources.humanname import HumanName
from fhir.resources.identifier import Identifier
from fhir.resources.location import Location
from fhir.resources.organization import Organization
from fhir.resources.patient import Patient
from fhir.resources.period import Period
from fhir.resources.reference import Reference
from fhir.resources.relatedperson import RelatedPerson
from fhir.resources.resource import Resource
from fhir.resources.servicerequest import ServiceRequest
from fhir.resources.task import Task

from datasmart.sip.domain.identity import parse_identity_number
from datasmart.sip.domain.snapshot import (
    ConsentSnapshot,
    MeetingSnapshot,
    OrganisationRef,
    ParticipantSnapshot,
    SipSnapshot,
)
from datasmart.sip.fhir import codes

__all__ = ["local_time", "plan_to_bundle", "resource_url"]

SWEDISH_TIME: Final = zoneinfo.ZoneInfo("Europe/Stockholm")
#: The contained Location of an Appointment (its place, a plain text in datasmart).
LOCATION_ID: Final = "plats"


def resource_url(sip_id: uuid.UUID, key: str) -> str:
    """The ``fullUrl`` of one resource of a plan's bundle: ``urn:uuid:`` + UUID v5 of
    ``key`` ("patient", "organisation/12", "goal/0" …) in the plan's own namespace, so it is
    stable for the plan and never collides with another plan's."""
    return f"urn:uuid:{uuid.uuid5(sip_id, key)}"


def local_time(value: dt.datetime) -> dt.datetime:
    """``value`` in Swedish time; in UTC where the historical offset has seconds (before
    1900), which FHIR's dateTime cannot write."""
    local = value.astimezone(SWEDISH_TIME)
    offset = local.utcoffset()
    if offset is not None and offset.total_seconds() % 60:
        return value.astimezone(dt.UTC)
    return local


def _opt_time(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else local_time(value)


def _text(value: str) -> str | None:
    """FHIR strings may not be empty: leave an empty text out (the import reads it as "")."""
    return value or None


def _coding(system: str, code: str, display: str) -> Coding:
    return Coding(system=system, code=code, display=display)


def _concept(system: str, code: str, display: str) -> CodeableConcept:
    return CodeableConcept(coding=[_coding(system, code, display)], text=display)


class _Builder:
    """Builds the resources of one plan; knows every resource's URL."""

    def __init__(self, snapshot: SipSnapshot) -> None:
        self.s = snapshot
        self.entries: list[tuple[str, Resource]] = []
        self.unit_urls: dict[tuple[int, str], str] = {}
        self.patient = self.ref("patient")
        self.careplan = self.ref("careplan")
        self.careteam = self.ref("careteam")

    def url(self, key: str) -> str:
        return resource_url(self.s.sip_id, key)

    def ref(self, key: str, display: str | None = None) -> Reference:
        return Reference(reference=self.url(key), display=display)

    def add(self, key: str, resource: Resource) -> None:
        self.entries.append((self.url(key), resource))

    # --- organisations ---------------------------------------------------------------

    def org_ref(self, organisation_id: int, unit_name: str = "") -> Reference:
        """A reference to the organisation, or to its unit when one is named."""
        org = self.s.organisation(organisation_id)
        if not unit_name:
            return self.ref(f"organisation/{org.id}", org.name)
        key = f"unit/{org.id}/{unit_name}"
        self.unit_urls.setdefault((org.id, unit_name), self.url(key))
        return self.ref(key, unit_name)

    def organisation(self, org: OrganisationRef) -> Organization:
        identifiers = [Identifier(system=codes.ORGANISATION_ID_SYSTEM, value=str(org.id))]
        if org.org_number:
            identifiers.append(
                Identifier(
                    type=_concept(codes.V2_IDENTIFIER_TYPE, "XX", "Organization identifier"),
                    system=codes.ORG_NUMBER_SYSTEM,
                    value=org.org_number.replace("-", ""),
                )
            )
        return Organization(identifier=identifiers, active=True, name=org.name)

    def units(self) -> list[tuple[str, Organization]]:
        return [
            (
                url,
                Organization(active=True, name=unit_name, partOf=self.org_ref(organisation_id)),
            )
            for (organisation_id, unit_name), url in self.unit_urls.items()
        ]

    # --- the person ------------------------------------------------------------------

    def patient_resource(self) -> Patient:
        person = self.s.person
        number = parse_identity_number(person.number, kind=person.kind, field="person.number")
        return Patient(
            identifier=[
                Identifier(
                    use="temp" if person.kind == "reserve" else "official",
                    system=codes.EXPORT_PERSON_SYSTEM[person.kind],
                    value=person.number,
                )
            ],
            name=[HumanName(text=person.display_name)] if person.display_name else None,
            birthDate=number.birth_date,
        )

    def related_person(self, kind: str, name: str, email: str = "") -> RelatedPerson:
        relationship = None
        if kind in codes.RELATIONSHIP_CODES:
            code, display = codes.RELATIONSHIP_CODES[kind]
            relationship = [
                CodeableConcept(
                    coding=[_coding(codes.V3_ROLE_CODE, code, display)],
                    text=codes.PARTICIPANT_ROLES[kind],
                )
            ]
        return RelatedPerson(
            active=True,
            patient=self.patient,
            relationship=relationship,
            name=[HumanName(text=name)] if name else None,
            telecom=[ContactPoint(system="email", value=email)] if email else None,
        )

    # --- care team -------------------------------------------------------------------

    def participant(self, index: int, p: ParticipantSnapshot) -> CareTeamParticipant:
        extension = [Extension(url=codes.EXT_PARTICIPANT_STATUS, valueCode=p.status)]
        if p.invited_at is not None:
            extension.append(
                Extension(url=codes.EXT_INVITED_AT, valueDateTime=local_time(p.invited_at))
            )
        if p.responded_at is not None:
            extension.append(
                Extension(url=codes.EXT_RESPONDED_AT, valueDateTime=local_time(p.responded_at))
            )
        if p.kind in ("organisation", "person"):
            # Relatives and others carry name and e-mail on their RelatedPerson.
            if p.name:
                extension.append(Extension(url=codes.EXT_CONTACT_NAME, valueString=p.name))
            if p.email:
                extension.append(Extension(url=codes.EXT_CONTACT_EMAIL, valueString=p.email))
        if p.kind == "organisation":
            assert p.organisation_id is not None  # the snapshot guarantees it
            member = self.org_ref(p.organisation_id, p.unit_name)
        elif p.kind == "person":
            member = self.patient
        else:
            key = f"participant/{index}"
            self.add(key, self.related_person(p.kind, p.name, p.email))
            member = self.ref(key, _text(p.name))
        return CareTeamParticipant(
            extension=extension,
            role=_concept(codes.PARTICIPANT_ROLE_SYSTEM, p.kind, codes.PARTICIPANT_ROLES[p.kind]),
            member=member,
        )

    def care_team(self) -> CareTeam:
        s = self.s
        participants = [self.participant(i, p) for i, p in enumerate(s.participants)]
        if s.coordinator_name:
            participants.append(
                CareTeamParticipant(
                    role=_concept(
                        codes.PARTICIPANT_ROLE_SYSTEM,
                        "coordinator",
                        codes.PARTICIPANT_ROLES["coordinator"],
                    ),
                    member=Reference(display=s.coordinator_name),
                )
            )
        return CareTeam(
            status="active" if s.status == "active" else "inactive",
            name="SIP-team",
            subject=self.patient,
            managingOrganization=(
                [self.org_ref(s.lead_organisation_id)]
                if s.lead_organisation_id is not None
                else None
            ),
            participant=participants or None,
        )

    # --- the plan --------------------------------------------------------------------

    def careplan_status(self) -> str:
        if self.s.status == "active":
            return "active"
        return "revoked" if self.s.closed_reason in codes.REVOKING_REASONS else "completed"

    def activity_status(self) -> tuple[str, str, str]:
        """Statuses of (Goal.lifecycleStatus, ServiceRequest.status, Task.status)."""
        return {
            "active": ("active", "active", "requested"),
            "completed": ("completed", "completed", "completed"),
            "revoked": ("cancelled", "revoked", "cancelled"),
        }[self.careplan_status()]

    def care_plan(self) -> CarePlan:
        s = self.s
        plan = s.plan
        goal_status, request_status, task_status = self.activity_status()
        extension = [Extension(url=codes.EXT_SIP_VERSION, valuePositiveInt=s.version)]
        if s.plan_version is not None:
            extension.append(Extension(url=codes.EXT_PLAN_VERSION, valuePositiveInt=s.plan_version))
        extension.append(Extension(url=codes.EXT_IS_CHILD, valueBoolean=s.is_child))
        if s.closed_reason is not None:
            extension.append(
                Extension(
                    url=codes.EXT_CLOSED_REASON,
                    valueCoding=_coding(
                        codes.CLOSED_REASON_SYSTEM,
                        s.closed_reason,
                        codes.CLOSED_REASONS[s.closed_reason],
                    ),
                )
            )
        if s.closed_note:
            extension.append(Extension(url=codes.EXT_CLOSED_NOTE, valueString=s.closed_note))
        goals: list[Reference] = []
        activities: list[CarePlanActivity] = []
        notes: list[Annotation] = []
        custodian = None
        if plan is not None:
            extension.extend(
                Extension(url=codes.EXT_FOLLOW_UP_DATE, valueDate=day)
                for day in plan.follow_up_dates
            )
            for i, text in enumerate(plan.goals):
                key = f"goal/{i}"
                self.add(
                    key,
                    Goal(
                        lifecycleStatus=goal_status,
                        description=CodeableConcept(text=text),
                        subject=self.patient,
                    ),
                )
                goals.append(self.ref(key))
            for i, item in enumerate(plan.interventions):
                key = f"intervention/{i}"
                period = None
                if item.start is not None or item.end is not None:
                    # FHIR dateTime allows a bare date; the class is typed for datetimes.
                    period = Period.model_validate({"start": item.start, "end": item.end})
                self.add(
                    key,
                    ServiceRequest(
                        status=request_status,
                        intent="plan",
                        basedOn=[self.careplan],
                        code=CodeableReference(concept=CodeableConcept(text=item.title)),
                        subject=self.patient,
                        occurrencePeriod=period,
                        performer=[self.org_ref(item.organisation_id, item.unit_name)],
                    ),
                )
                activities.append(CarePlanActivity(plannedActivityReference=self.ref(key)))
            for i, other in enumerate(plan.others):
                key = f"other/{i}"
                self.add(
                    key,
                    Task.model_validate(  # "for" is a Python keyword: pass the FHIR name
                        {
                            "status": task_status,
                            "intent": "plan",
                            "basedOn": [self.careplan],
                            "description": other.what,
                            "for": self.patient,
                            "owner": Reference(display=other.who),
                        }
                    ),
                )
                activities.append(CarePlanActivity(plannedActivityReference=self.ref(key)))
            notes = [Annotation(text=need) for need in plan.needs]
            if plan.coordinator_name:
                extension.append(
                    Extension(url=codes.EXT_PLAN_COORDINATOR, valueString=plan.coordinator_name)
                )
            if plan.lead_organisation_id is not None:
                custodian = self.org_ref(plan.lead_organisation_id)
        return CarePlan(
            identifier=[
                Identifier(
                    system=codes.SIP_ID_SYSTEM,
                    value=str(s.sip_id),
                    assigner=self.org_ref(s.owner_organisation_id),
                )
            ],
            extension=extension,
            status=self.careplan_status(),
            intent="plan",
            category=[
                _concept(codes.SIP_CATEGORY_SYSTEM, "sip", "Samordnad individuell plan (SIP)")
            ],
            title="Samordnad individuell plan",
            description=_text(s.need),
            subject=self.patient,
            period=Period(start=local_time(s.started_at), end=_opt_time(s.closed_at)),
            created=local_time(s.started_at),
            custodian=custodian,
            careTeam=[self.careteam],
            goal=goals or None,
            activity=activities or None,
            note=notes or None,
        )

    # --- consents and meetings -------------------------------------------------------

    def consent(self, index: int, c: ConsentSnapshot) -> Consent:
        if c.given_by == "guardian":
            key = f"consent/{index}/guardian"
            self.add(key, self.related_person("guardian", c.guardian_name))
            grantor = self.ref(key, _text(c.guardian_name))
        else:
            grantor = self.patient
        provision = None
        if c.organisation_ids:
            provision = [
                ConsentProvision(
                    actor=[
                        ConsentProvisionActor(
                            role=_concept(
                                codes.V3_PARTICIPATION_TYPE, "IRCP", "information recipient"
                            ),
                            reference=self.org_ref(org_id),
                        )
                        for org_id in c.organisation_ids
                    ]
                )
            ]
        extension = None
        if c.withdrawn_by_label:
            extension = [Extension(url=codes.EXT_WITHDRAWN_BY, valueString=c.withdrawn_by_label)]
        if c.superseded_at is not None:
            extension = [Extension(url=codes.EXT_SUPERSEDED, valueBoolean=True)]
        ended = c.withdrawn_at or c.superseded_at
        return Consent(
            extension=extension,
            status="active" if ended is None else "inactive",
            category=[_concept(codes.LOINC, "59284-0", "Patient Consent")],
            subject=self.patient,
            date=local_time(c.given_at).date(),
            period=Period(start=local_time(c.given_at), end=_opt_time(ended)),
            grantor=[grantor],
            controller=[self.org_ref(self.s.owner_organisation_id)],
            regulatoryBasis=[CodeableConcept(text=codes.REGULATORY_BASIS)],
            decision="permit",
            provision=provision,
        )

    def appointment(self, m: MeetingSnapshot) -> Appointment:
        code, display = codes.MEETING_V2_TYPES[m.kind]
        start = local_time(m.scheduled_at)
        participants = [AppointmentParticipant(actor=self.careteam, status="accepted")]
        contained: list[Resource] | None = None
        if m.location:
            contained = [Location(id=LOCATION_ID, name=m.location)]
            participants.append(
                AppointmentParticipant(
                    actor=Reference(reference=f"#{LOCATION_ID}", display=m.location),
                    status="accepted",
                )
            )
        extension = None
        if m.held_at is not None:
            extension = [Extension(url=codes.EXT_HELD_AT, valueDateTime=local_time(m.held_at))]
        return Appointment(
            contained=contained,
            extension=extension,
            status="fulfilled" if m.held_at is not None else "booked",
            appointmentType=CodeableConcept(
                coding=[
                    _coding(codes.MEETING_KIND_SYSTEM, m.kind, codes.MEETING_KINDS[m.kind]),
                    _coding(codes.V2_APPOINTMENT_TYPE, code, display),
                ],
                text=codes.MEETING_KINDS[m.kind],
            ),
            description=codes.MEETING_KINDS[m.kind],
            # datasmart records when a meeting starts, not how long it lasts; FHIR wants
            # start and end together, so the end is the start.
            start=start,
            end=start,
            subject=self.patient,
            basedOn=[self.careplan],
            participant=participants,
        )

    def bundle(self, timestamp: dt.datetime | None) -> Bundle:
        s = self.s
        care_plan = self.care_plan()
        care_team = self.care_team()
        self.add("careteam", care_team)
        for i, meeting in enumerate(s.meetings):
            self.add(f"meeting/{i}", self.appointment(meeting))
        for i, consent in enumerate(s.consents):
            self.add(f"consent/{i}", self.consent(i, consent))
        head = [(self.url("careplan"), care_plan), (self.url("patient"), self.patient_resource())]
        orgs = [(self.url(f"organisation/{o.id}"), self.organisation(o)) for o in s.organisations]
        entries = head + self.entries + orgs + self.units()
        return Bundle(
            type="collection",
            timestamp=None if timestamp is None else local_time(timestamp),
            entry=[BundleEntry(fullUrl=url, resource=resource) for url, resource in entries],
        )


def plan_to_bundle(
    snapshot: SipSnapshot, *, timestamp: dt.datetime | None = None
) -> dict[str, Any]:
    """The plan as a FHIR R5 ``Bundle`` (type ``collection``), as JSON-ready data.

    Deterministic: the same snapshot gives the same bundle (``timestamp``, when given, is
    the only varying part; the import ignores it). The result validates as a
    ``fhir.resources`` ``Bundle`` and :func:`~datasmart.sip.fhir.imports.bundle_to_plan`
    turns it back into an equal snapshot.
    """
    bundle = _Builder(snapshot).bundle(timestamp)
    data: dict[str, Any] = bundle.model_dump(mode="json")
    return data
