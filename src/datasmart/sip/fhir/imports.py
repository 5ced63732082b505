"""FHIR R5 ``Bundle`` → SIP plan: :func:`bundle_to_plan`, the inverse of
:func:`~datasmart.sip.fhir.export.plan_to_bundle`.

The bundle is first validated resource by resource with ``fhir.resources``, so a broken
resource is reported by name and position ("Consent (post 7): period.start …") rather
than as one long pydantic error about the bundle. Then the plan is read back by following
references from the single ``CarePlan`` (see :mod:`.export` for the mapping). Every
problem raises :class:`~datasmart.sip.domain.errors.SipValidationError` with a Swedish message
and ``field`` naming the resource and element, e.g. ``CarePlan.status`` or
``Organization[2].identifier``.

Bundles written by datasmart come back exactly (``bundle_to_plan(plan_to_bundle(s)) ==
s``). Bundles from other systems are read where the meaning is clear: identity numbers
under the older OIDs, organisationsnummer written with a hyphen, organisations without a
datasmart id (they get ids above the highest in the bundle; the import service matches
organisations by organisationsnummer or name anyway), meetings
typed only with HL7 v2 appointment types, relatives known only by their relationship.
What cannot be understood is refused, never guessed: a plan status other than
active/completed/revoked, a patient without a known identity number, a reference that
points outside the bundle.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Final, TypeVar, cast

import fhir.resources
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from fhir.resources.appointment import Appointment
from fhir.resources.bundle import Bundle
from fhir.resources.careplan import CarePlan
from fhir.resources.careteam import CareTeam, CareTeamParticipant
from fhir.resources.codeableconcept import CodeableConcept
from fhir.resources.consent import Consent
from fhir.resources.domainresource import DomainResource
from fhir.resources.element import Element
from fhir.resources.extension import Extension
from fhir.resources.goal import Goal
from fhir.resources.humanname import HumanName
from fhir.resources.location import Location
from fhir.resources.organization import Organization
from fhir.resources.patient import Patient
from fhir.resources.reference import Reference
from fhir.resources.relatedperson import RelatedPerson
from fhir.resources.resource import Resource
from fhir.resources.servicerequest import ServiceRequest
from fhir.resources.task import Task
from pydantic import ValidationError

from datasmart.accounts.models import normalise_org_number
from datasmart.sip.domain.errors import SipValidationError
from datasmart.sip.domain.identity import parse_identity_number
from datasmart.sip.domain.schemas import PlanContent, field_path, to_sip_error
from datasmart.sip.domain.snapshot import (
    ConsentSnapshot,
    MeetingSnapshot,
    OrganisationRef,
    ParticipantSnapshot,
    PersonIdentity,
    SipSnapshot,
)
from datasmart.sip.fhir import codes
from datasmart.sip.fhir.export import SWEDISH_TIME

__all__ = ["bundle_to_plan"]

CAREPLAN_STATUSES: Final = ("active", "completed", "revoked")
R = TypeVar("R", bound=Resource)


def _error(message: str, field: str) -> SipValidationError:
    return SipValidationError(message, field=field)


def _pydantic_message(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    if kind == "missing" or kind.endswith(".missing"):
        return _("Uppgiften saknas.")
    if kind == "extra_forbidden":
        return _("Okänt fält.")
    return _("Ogiltigt värde: %(detail)s") % {"detail": error.get("msg", "")}


def _validate_resource(data: Any, position: int) -> Resource:
    """One entry's resource through its ``fhir.resources`` class; errors name it."""
    label = f"entry[{position}].resource"
    if not isinstance(data, Mapping):
        raise _error(_("Posten saknar en resurs."), label)
    resource_type = data.get("resourceType")
    if not isinstance(resource_type, str) or not resource_type:
        raise _error(_("Resursen saknar resourceType."), f"{label}.resourceType")
    try:
        model = fhir.resources.get_fhir_model_class(resource_type)
    except (KeyError, ValueError):
        raise _error(
            _("Okänd FHIR-resurstyp: %(type)s.") % {"type": resource_type},
            f"{label}.resourceType",
        ) from None
    try:
        resource = cast(Resource, model.model_validate(dict(data)))
    except ValidationError as exc:
        first = exc.errors()[0]
        path = field_path(tuple(first["loc"]))
        raise _error(
            _("%(type)s (post %(position)d) är ogiltig i fältet %(field)s: %(message)s")
            % {
                "type": resource_type,
                "position": position + 1,
                "field": path or resource_type,
                "message": _pydantic_message(first),
            },
            f"{resource_type}.{path}" if path else resource_type,
        ) from None
    return resource


def _load(bundle_json: Mapping[str, Any] | str | bytes) -> dict[str, Any]:
    if isinstance(bundle_json, str | bytes):
        try:
            data = json.loads(bundle_json)
        except (ValueError, UnicodeDecodeError):
            raise _error(_("Filen är inte giltig JSON."), "Bundle") from None
    else:
        data = bundle_json
    if not isinstance(data, Mapping) or data.get("resourceType") != "Bundle":
        raise _error(_("Det här är inte en FHIR-Bundle."), "Bundle.resourceType")
    return dict(data)


class _Reader:
    """Resolves references inside one bundle and reads the plan out of it."""

    def __init__(self, data: dict[str, Any]) -> None:
        entries = data.get("entry") or []
        if not isinstance(entries, list):
            raise _error(_("Ska vara en lista."), "Bundle.entry")
        self.resources: list[Resource] = []
        self.by_url: dict[str, Resource] = {}
        for i, entry in enumerate(entries):
            if not isinstance(entry, Mapping):
                raise _error(_("Posten ska vara ett objekt med fält."), f"Bundle.entry[{i}]")
            resource = _validate_resource(entry.get("resource"), i)
            self.resources.append(resource)
            full_url = entry.get("fullUrl")
            if isinstance(full_url, str) and full_url:
                self.by_url[full_url] = resource
            rid = getattr(resource, "id", None)
            if rid:
                self.by_url.setdefault(f"{resource.get_resource_type()}/{rid}", resource)
                if isinstance(full_url, str) and full_url.startswith("http"):
                    self.by_url.setdefault(full_url.split("/_history/")[0], resource)
        try:
            Bundle.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            path = field_path(tuple(first["loc"]))
            raise _error(
                _("Bundle är ogiltig i fältet %(field)s: %(message)s")
                % {"field": path, "message": _pydantic_message(first)},
                f"Bundle.{path}",
            ) from None
        self.org_ids: dict[int, int] = {}  # id(Organization) → snapshot organisation id
        self.units: dict[int, tuple[int, str]] = {}  # id(unit Organization) → (org id, name)
        self.organisations: list[OrganisationRef] = []

    # --- helpers ---------------------------------------------------------------------

    def of_type(self, kind: type[R]) -> list[R]:
        return [r for r in self.resources if isinstance(r, kind)]

    def resolve(self, ref: Reference | None, kind: type[R], field: str) -> R:
        """The resource ``ref`` points to, which must be in the bundle and a ``kind``."""
        if ref is None or not ref.reference:
            raise _error(_("Referensen saknas."), field)
        target = self.by_url.get(ref.reference)
        if target is None:
            raise _error(
                _("Referensen %(ref)s pekar på något som inte finns i filen.")
                % {"ref": ref.reference},
                field,
            )
        if not isinstance(target, kind):
            raise _error(
                _("Referensen ska peka på en %(expected)s, inte en %(actual)s.")
                % {"expected": kind.__name__, "actual": target.get_resource_type()},
                field,
            )
        return target

    def organisation_id(self, ref: Reference | None, field: str) -> int:
        """The snapshot id of a referenced (top-level) organisation."""
        org = self.resolve(ref, Organization, field)
        if id(org) not in self.org_ids:
            raise _error(_("Referensen ska peka på en organisation, inte en enhet."), field)
        return self.org_ids[id(org)]

    def organisation_or_unit(self, ref: Reference | None, field: str) -> tuple[int, str]:
        """``(organisation id, unit name)`` of a reference to an organisation or a unit."""
        org = self.resolve(ref, Organization, field)
        if id(org) in self.units:
            return self.units[id(org)]
        return self.org_ids[id(org)], ""

    # --- organisations and the person ------------------------------------------------

    def read_organisations(self) -> None:
        """Top-level organisations keep their datasmart id; one without (from another
        system) gets the next id above the highest given, so ids stay unique and positive
        (plan content requires that). Units (``partOf``) are remembered by parent."""
        orgs = self.of_type(Organization)
        found: list[tuple[Organization, int | None, str]] = []
        for i, org in enumerate(orgs):
            if org.partOf is not None:
                continue
            field = f"Organization[{i}]"
            if not org.name:
                raise _error(_("Organisationen saknar namn."), f"{field}.name")
            local_id: int | None = None
            org_number = ""
            for identifier in org.identifier or []:
                if identifier.system == codes.ORGANISATION_ID_SYSTEM and identifier.value:
                    value = identifier.value.strip()
                    # ASCII digits only: int() also reads other scripts' digits.
                    if not (value.isascii() and value.isdigit()) or len(value) > 18:
                        raise _error(_("Ska vara ett heltal."), f"{field}.identifier")
                    local_id = int(value)
                elif identifier.system == codes.ORG_NUMBER_SYSTEM and identifier.value:
                    try:
                        org_number = normalise_org_number(identifier.value)
                    except DjangoValidationError:
                        raise _error(
                            _("Organisationsnumret %(value)s för %(name)s är ogiltigt.")
                            % {"value": identifier.value, "name": org.name},
                            f"{field}.identifier",
                        ) from None
            if local_id is not None and any(local_id == known for _o, known, _n in found):
                raise _error(
                    _("Organisationen %(name)s finns två gånger i filen.") % {"name": org.name},
                    f"{field}.identifier",
                )
            found.append((org, local_id, org_number))
        next_id = max((known for _o, known, _n in found if known is not None), default=0) + 1
        for org, local_id, org_number in found:
            if local_id is None:
                local_id, next_id = next_id, next_id + 1
            self.org_ids[id(org)] = local_id
            assert org.name is not None  # checked above
            self.organisations.append(
                OrganisationRef(id=local_id, name=org.name, org_number=org_number)
            )
        for i, org in enumerate(orgs):
            if org.partOf is None:
                continue
            field = f"Organization[{i}]"
            if not org.name:
                raise _error(_("Enheten saknar namn."), f"{field}.name")
            parent = self.resolve(org.partOf, Organization, f"{field}.partOf")
            if id(parent) not in self.org_ids:
                raise _error(
                    _("En enhet ska höra till en organisation, inte till en annan enhet."),
                    f"{field}.partOf",
                )
            self.units[id(org)] = (self.org_ids[id(parent)], org.name)

    def person(self, patient: Patient) -> PersonIdentity:
        for identifier in patient.identifier or []:
            kind = codes.PERSON_SYSTEMS.get(identifier.system or "")
            if kind is None or not identifier.value:
                continue
            number = parse_identity_number(identifier.value, kind=kind, field="Patient.identifier")
            return PersonIdentity.model_validate(
                {
                    "kind": number.kind.value,
                    "number": number.value,
                    "display_name": _name(patient.name),
                }
            )
        raise _error(
            _(
                "Personen saknar personnummer, samordningsnummer eller reservnummer "
                "(identifier med känt system)."
            ),
            "Patient.identifier",
        )

    # --- care team -------------------------------------------------------------------

    def participants(self, team: CareTeam | None) -> tuple[list[ParticipantSnapshot], str]:
        """Participants and the coordinator's name."""
        if team is None:
            return [], ""
        participants: list[ParticipantSnapshot] = []
        coordinator = ""
        for i, p in enumerate(team.participant or []):
            field = f"CareTeam.participant[{i}]"
            kind = _code(p.role, codes.PARTICIPANT_ROLE_SYSTEM)
            if kind == "coordinator":
                if coordinator:
                    raise _error(_("Planen kan bara ha en samordnare."), f"{field}.role")
                coordinator = (p.member.display if p.member else None) or ""
                continue
            participants.append(self.participant(p, kind, field))
        return participants, coordinator

    def participant(
        self, p: CareTeamParticipant, kind: str | None, field: str
    ) -> ParticipantSnapshot:
        member = p.member
        if member is None or not member.reference:
            raise _error(_("Deltagaren saknar member."), f"{field}.member")
        target = self.resolve(member, Resource, f"{field}.member")
        organisation_id: int | None = None
        unit_name = name = email = ""
        if isinstance(target, Organization):
            kind = kind or "organisation"
            organisation_id, unit_name = self.organisation_or_unit(member, f"{field}.member")
        elif isinstance(target, Patient):
            kind = kind or "person"
        elif isinstance(target, RelatedPerson):
            kind = kind or _relationship_kind(target)
            name = _name(target.name)
            email = next(
                (t.value for t in target.telecom or [] if t.system == "email" and t.value), ""
            )
        else:
            raise _error(
                _("En deltagare ska vara en organisation, personen eller en närstående."),
                f"{field}.member",
            )
        expected = {Organization: ("organisation",), Patient: ("person",)}.get(
            type(target), ("guardian", "relative", "other")
        )
        if kind not in expected:
            raise _error(
                _("Rollen %(role)s passar inte ihop med deltagarens resurstyp.") % {"role": kind},
                f"{field}.role",
            )
        if kind in ("organisation", "person"):
            name = _ext_string(p, codes.EXT_CONTACT_NAME)
            email = _ext_string(p, codes.EXT_CONTACT_EMAIL)
        status = _ext_value(p, codes.EXT_PARTICIPANT_STATUS, "valueCode") or "invited"
        if status not in ("invited", "accepted", "declined"):
            raise _error(
                _("Okänt svar på inbjudan: %(status)s.") % {"status": status},
                f"{field}.extension",
            )
        return ParticipantSnapshot.model_validate(
            {
                "kind": kind,
                "organisation_id": organisation_id,
                "unit_name": unit_name,
                "name": name,
                "email": email,
                "status": status,
                "invited_at": _aware(_ext_value(p, codes.EXT_INVITED_AT, "valueDateTime"), field),
                "responded_at": _aware(
                    _ext_value(p, codes.EXT_RESPONDED_AT, "valueDateTime"), field
                ),
            }
        )

    # --- the plan --------------------------------------------------------------------

    def plan(self, care_plan: CarePlan) -> tuple[int | None, PlanContent | None]:
        plan_version = _ext_value(care_plan, codes.EXT_PLAN_VERSION, "valuePositiveInt")
        goal_refs = care_plan.goal or []
        if plan_version is None and not goal_refs:
            return None, None
        goals = []
        for i, ref in enumerate(goal_refs):
            goal = self.resolve(ref, Goal, f"CarePlan.goal[{i}]")
            goals.append(_concept_text(goal.description))
        interventions: list[dict[str, Any]] = []
        others: list[dict[str, Any]] = []
        for i, activity in enumerate(care_plan.activity or []):
            field = f"CarePlan.activity[{i}].plannedActivityReference"
            target = self.resolve(activity.plannedActivityReference, Resource, field)
            if isinstance(target, ServiceRequest):
                interventions.append(self.intervention(target, field))
            elif isinstance(target, Task):
                others.append(
                    {
                        "who": (target.owner.display if target.owner else None) or "",
                        "what": target.description or "",
                    }
                )
            else:
                raise _error(
                    _("En aktivitet ska vara en ServiceRequest (insats) eller en Task."), field
                )
        lead = None
        if care_plan.custodian is not None:
            lead = self.organisation_id(care_plan.custodian, "CarePlan.custodian")
        content = {
            "goals": goals,
            "needs": [note.text or "" for note in care_plan.note or []],
            "interventions": interventions,
            "others": others,
            "lead_organisation_id": lead,
            "coordinator_name": _ext_string(care_plan, codes.EXT_PLAN_COORDINATOR),
            "follow_up_dates": [
                e.valueDate for e in _extensions(care_plan, codes.EXT_FOLLOW_UP_DATE)
            ],
        }
        try:
            plan = PlanContent.model_validate(content)
        except ValidationError as exc:
            raise to_sip_error(exc, "CarePlan(plan)") from None
        return plan_version or 1, plan

    def intervention(self, request: ServiceRequest, field: str) -> dict[str, Any]:
        performers = request.performer or []
        if len(performers) != 1:
            raise _error(
                _("En insats ska ha exakt en ansvarig organisation (performer)."),
                f"{field}.performer",
            )
        org_id, unit_name = self.organisation_or_unit(performers[0], f"{field}.performer")
        concept = request.code.concept if request.code else None
        period = request.occurrencePeriod
        return {
            "title": _concept_text(concept),
            "organisation_id": org_id,
            "unit_name": unit_name,
            "start": _as_date(period.start if period else None, f"{field}.occurrencePeriod"),
            "end": _as_date(period.end if period else None, f"{field}.occurrencePeriod"),
        }

    # --- consents and meetings -------------------------------------------------------

    def consent(self, consent: Consent, i: int) -> ConsentSnapshot:
        field = f"Consent[{i}]"
        grantors = consent.grantor or []
        guardian_name = ""
        given_by = "person"
        if grantors:
            grantor = self.resolve(grantors[0], Resource, f"{field}.grantor")
            if isinstance(grantor, RelatedPerson):
                given_by, guardian_name = "guardian", _name(grantor.name)
            elif not isinstance(grantor, Patient):
                raise _error(
                    _("Samtycket ska ges av personen eller en vårdnadshavare."),
                    f"{field}.grantor",
                )
        period = consent.period
        given_at = _aware(period.start if period else None, f"{field}.period.start")
        if given_at is None and consent.date is not None:
            given_at = _aware(consent.date, f"{field}.date")
        if given_at is None:
            raise _error(_("Samtycket saknar datum."), f"{field}.period.start")
        withdrawn_at = _aware(period.end if period else None, f"{field}.period.end")
        superseded_at = None
        if _ext_value(consent, codes.EXT_SUPERSEDED, "valueBoolean"):
            superseded_at, withdrawn_at = withdrawn_at, None
            if superseded_at is None:
                raise _error(_("Ett ersatt samtycke ska ha ett slutdatum."), f"{field}.period.end")
        if consent.status not in ("active", "inactive"):
            raise _error(
                _("Samtyckets status ska vara active eller inactive, inte %(status)s.")
                % {"status": consent.status},
                f"{field}.status",
            )
        if (consent.status == "inactive") != (
            withdrawn_at is not None or superseded_at is not None
        ):
            raise _error(
                _("Ett återkallat samtycke (inactive) ska ha ett slutdatum, och bara det."),
                f"{field}.period.end",
            )
        org_ids: list[int] = []
        for p, provision in enumerate(consent.provision or []):
            for a, actor in enumerate(provision.actor or []):
                org_id = self.organisation_id(
                    actor.reference, f"{field}.provision[{p}].actor[{a}].reference"
                )
                if org_id not in org_ids:
                    org_ids.append(org_id)
        return ConsentSnapshot.model_validate(
            {
                "given_by": given_by,
                "guardian_name": guardian_name,
                "given_at": given_at,
                "organisation_ids": org_ids,
                "withdrawn_at": withdrawn_at,
                "withdrawn_by_label": _ext_string(consent, codes.EXT_WITHDRAWN_BY),
                "superseded_at": superseded_at,
            }
        )

    def meeting(self, appointment: Appointment, i: int) -> MeetingSnapshot:
        field = f"Appointment[{i}]"
        kind = _code(appointment.appointmentType, codes.MEETING_KIND_SYSTEM)
        if kind is None:
            v2 = _code(appointment.appointmentType, codes.V2_APPOINTMENT_TYPE)
            kind = "follow_up" if v2 == "FOLLOWUP" else "first"
        if kind not in codes.MEETING_KINDS:
            raise _error(
                _("Okänd typ av möte: %(kind)s.") % {"kind": kind}, f"{field}.appointmentType"
            )
        scheduled_at = _aware(appointment.start, f"{field}.start")
        if scheduled_at is None:
            raise _error(_("Mötet saknar starttid."), f"{field}.start")
        location = ""
        contained = {f"#{r.id}": r for r in appointment.contained or [] if r.id}
        for participant in appointment.participant or []:
            actor = participant.actor
            target = contained.get(actor.reference or "") if actor else None
            if isinstance(target, Location):
                location = target.name or ""
        held_at = _aware(_ext_value(appointment, codes.EXT_HELD_AT, "valueDateTime"), field)
        return MeetingSnapshot.model_validate(
            {"kind": kind, "scheduled_at": scheduled_at, "location": location, "held_at": held_at}
        )

    # --- everything ------------------------------------------------------------------

    def snapshot(self) -> SipSnapshot:
        plans = self.of_type(CarePlan)
        if len(plans) != 1:
            raise _error(_("Filen ska innehålla exakt en CarePlan (en SIP)."), "CarePlan")
        care_plan = plans[0]
        self.read_organisations()
        patient = self.resolve(care_plan.subject, Patient, "CarePlan.subject")
        status = care_plan.status
        if status not in CAREPLAN_STATUSES:
            raise _error(
                _("Planens status ska vara active, completed eller revoked, inte %(status)s.")
                % {"status": status},
                "CarePlan.status",
            )
        sip_id, owner_ref = None, None
        for identifier in care_plan.identifier or []:
            if identifier.system == codes.SIP_ID_SYSTEM and identifier.value:
                try:
                    sip_id = uuid.UUID(identifier.value)
                except ValueError:
                    raise _error(_("Ogiltigt plan-id."), "CarePlan.identifier") from None
                owner_ref = identifier.assigner
        team: CareTeam | None = None
        if care_plan.careTeam:
            team = self.resolve(care_plan.careTeam[0], CareTeam, "CarePlan.careTeam[0]")
        owner_field = "CarePlan.identifier.assigner"
        if owner_ref is None:
            owner_ref, owner_field = care_plan.custodian, "CarePlan.custodian"
        if owner_ref is None and team is not None and team.managingOrganization:
            owner_ref, owner_field = team.managingOrganization[0], "CareTeam.managingOrganization"
        if owner_ref is None:
            raise _error(
                _("Det framgår inte vilken organisation som äger planen."),
                "CarePlan.identifier.assigner",
            )
        owner = self.organisation_id(owner_ref, owner_field)
        lead = None
        if team is not None and team.managingOrganization:
            lead = self.organisation_id(
                team.managingOrganization[0], "CareTeam.managingOrganization"
            )
        participants, coordinator = self.participants(team)
        period = care_plan.period
        started_at = _aware(period.start if period else None, "CarePlan.period.start")
        if started_at is None:
            raise _error(_("Planen saknar startdatum."), "CarePlan.period.start")
        closed_at = _aware(period.end if period else None, "CarePlan.period.end")
        reason_coding = _ext_value(care_plan, codes.EXT_CLOSED_REASON, "valueCoding")
        reason = reason_coding.code if reason_coding is not None else None
        if status == "active":
            closed_at = None if reason is None else closed_at
        else:
            if closed_at is None:
                raise _error(_("En avslutad plan ska ha ett slutdatum."), "CarePlan.period.end")
            reason = reason or "other"
        if reason is not None and reason not in codes.CLOSED_REASONS:
            raise _error(
                _("Okänt skäl för avslut: %(reason)s.") % {"reason": reason},
                "CarePlan.extension",
            )
        plan_version, plan = self.plan(care_plan)
        consents = [self.consent(c, i) for i, c in enumerate(self.of_type(Consent))]
        meetings = [self.meeting(a, i) for i, a in enumerate(self.of_type(Appointment))]
        try:
            return SipSnapshot(
                sip_id=sip_id or uuid.uuid4(),
                version=_ext_value(care_plan, codes.EXT_SIP_VERSION, "valuePositiveInt") or 1,
                status="active" if status == "active" else "closed",
                person=self.person(patient),
                is_child=bool(_ext_value(care_plan, codes.EXT_IS_CHILD, "valueBoolean")),
                need=care_plan.description or "",
                started_at=started_at,
                closed_at=closed_at,
                closed_reason=reason,
                closed_note=_ext_string(care_plan, codes.EXT_CLOSED_NOTE),
                owner_organisation_id=owner,
                lead_organisation_id=lead,
                coordinator_name=coordinator,
                organisations=self.organisations,
                consents=consents,
                participants=participants,
                meetings=meetings,
                plan_version=plan_version,
                plan=plan,
            )
        except ValidationError as exc:
            raise to_sip_error(exc, "Bundle") from None


# --- small readers ---------------------------------------------------------------------------


def _extensions(element: Element | DomainResource, url: str) -> list[Extension]:
    return [e for e in element.extension or [] if e.url == url]


def _ext_value(element: Element | DomainResource, url: str, attribute: str) -> Any:
    found = _extensions(element, url)
    return getattr(found[0], attribute, None) if found else None


def _ext_string(element: Element | DomainResource, url: str) -> str:
    value = _ext_value(element, url, "valueString")
    return value if isinstance(value, str) else ""


def _code(concept: CodeableConcept | None, system: str) -> str | None:
    if concept is None:
        return None
    return next((c.code for c in concept.coding or [] if c.system == system and c.code), None)


def _concept_text(concept: CodeableConcept | None) -> str:
    if concept is None:
        return ""
    if concept.text:
        return concept.text
    return next((c.display for c in concept.coding or [] if c.display), "")


def _name(names: Iterable[HumanName] | None) -> str:
    for name in names or []:
        if name.text:
            return name.text
        parts = [*(name.given or []), name.family or ""]
        joined = " ".join(p for p in parts if p)
        if joined:
            return joined
    return ""


def _relationship_kind(person: RelatedPerson) -> str:
    for concept in person.relationship or []:
        code = _code(concept, codes.V3_ROLE_CODE)
        for kind, (known, _display) in codes.RELATIONSHIP_CODES.items():
            if code == known:
                return kind
    return "other"


def _aware(value: dt.datetime | dt.date | None, field: str) -> dt.datetime | None:
    """A FHIR dateTime as an aware datetime; a bare date is the start of that day in
    Swedish time (FHIR allows dates where datasmart keeps instants)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise _error(_("Tidpunkten saknar tidszon."), field)
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time(), tzinfo=SWEDISH_TIME)
    else:
        raise _error(_("Ogiltig tidpunkt."), field)
    try:  # the first and last days of the calendar have no UTC instant in every zone
        moment.astimezone(dt.UTC)
    except OverflowError:
        raise _error(
            _("Tidpunkten %(value)s är orimlig.") % {"value": moment.date().isoformat()}, field
        ) from None
    return moment


def _as_date(value: dt.datetime | dt.date | None, field: str) -> dt.date | None:
    """An intervention's start or end: a date (a dateTime is read as its Swedish date)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.date()
        return value.astimezone(SWEDISH_TIME).date()
    if isinstance(value, dt.date):
        return value
    raise _error(_("Ogiltigt datum."), field)


def bundle_to_plan(bundle_json: Mapping[str, Any] | str | bytes) -> SipSnapshot:
    """Read a SIP plan from a FHIR R5 ``Bundle`` (parsed JSON, or JSON text).

    Raises :class:`~datasmart.sip.domain.errors.SipValidationError` naming the resource and
    field for anything invalid or not understood; never returns a partial plan.
    """
    try:
        return _Reader(_load(bundle_json)).snapshot()
    except ValidationError as exc:  # a snapshot part the checks above did not foresee
        raise to_sip_error(exc, "Bundle") from None
