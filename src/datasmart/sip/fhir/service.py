"""FHIR R5 export and import of a SIP plan (issue #6, "Interoperability").

Two layers:

- **pure mapping**, no database: :func:`plan_to_bundle` turns a
  :class:`~datasmart.sip.domain.snapshot.SipSnapshot` into a FHIR ``Bundle`` (CarePlan, CareTeam,
  Consent, Goal, ServiceRequest, Task, Appointment, Patient, Organization, RelatedPerson),
  :func:`bundle_to_plan` reads one back, and ``bundle_to_plan(plan_to_bundle(s)) == s``.
  The mapping is described in :mod:`.export`, identifier systems and extension URLs
  in :mod:`.codes`, the reading rules in :mod:`.imports`. Resources are built
  and validated with ``fhir.resources`` (8.x models FHIR R5).
- **services** with an actor, like every SIP read and write (ADR 0004):
  :func:`export_fhir` and :func:`import_fhir`. They check need-to-know access with
  :mod:`.access`, write :class:`~datasmart.sip.models.SipAccessLog` rows
  (``fhir_export``/``fhir_import``) in the same transaction, and raise the contract's
  errors (:class:`~datasmart.sip.domain.errors.SipNotFound`,
  :class:`~datasmart.sip.domain.errors.SipValidationError` naming the FHIR resource and field,
  ``PermissionDenied``).

Why the import writes the rows itself instead of replaying ``start_sip``, ``invite``,
``record_consent`` …: replaying would turn every date into "now" (consent given today,
everyone invited today, the plan started today while its first meeting was months ago,
which statistics would count as a negative wait), could not reproduce an organisation's
own answer to its invitation (only its staff may give it) and would renumber the plan
version. The import is one write of its own, access-checked like ``start_sip`` (a
caseworker of the importing organisation), validated with the same schemas and limits,
logged once as ``fhir_import`` and audited as ``sip.sip.create``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from datasmart.accounts.models import Organisation, organisation_name_key
from datasmart.sip.domain.access import get_visible_sip, visible_sips
from datasmart.sip.domain.access_log import log_access
from datasmart.sip.domain.actors import Actor, StaffActor
from datasmart.sip.domain.errors import SipNotFound, SipValidationError
from datasmart.sip.domain.guards import (
    audit,
    aware_datetime,
    bounded_text,
    require_caseworker,
    require_staff,
)
from datasmart.sip.domain.identity import parse_identity_number
from datasmart.sip.domain.plausibility import (
    MEETING_HORIZON,
    check_birth_date,
    check_consent_giver,
    check_event_time,
    check_is_child,
    check_plan_dates,
)
from datasmart.sip.domain.schemas import ParticipantIn, parse_participants, parse_plan_content
from datasmart.sip.domain.snapshot import OrganisationRef, SipSnapshot, snapshot_of
from datasmart.sip.fhir.export import plan_to_bundle
from datasmart.sip.fhir.imports import bundle_to_plan
from datasmart.sip.models import (
    AccessAction,
    Consent,
    Meeting,
    Participant,
    PlanVersion,
    Sip,
    SipStatus,
)
from datasmart.sip.services.plan import MAX_NEED, MAX_NOTE, geography_of, person_for

__all__ = ["bundle_to_plan", "export_fhir", "import_fhir", "plan_to_bundle"]

MAX_LABEL = 200  # the CharField length of names, labels and places in the SIP models


# --- export ----------------------------------------------------------------------------------


def export_fhir(actor: Actor, sip_id: Any) -> dict[str, Any]:
    """The plan as a FHIR ``Bundle`` (JSON-ready), for staff who may see it.

    Staff only: owner staff, and staff of an organisation the active consent covers (the
    consent is the person's permission to share the plan with it, and a receiving system
    there is the point of interoperability). The person uses
    :func:`~datasmart.sip.services.export_person_data` instead (``PermissionDenied``).
    The bundle holds the full identity number (ADR 0004, principle 5).

    The plan row is locked while it is read, so the bundle is one consistent state (a
    concurrent write waits), and access is checked again under the lock. One
    ``fhir_export`` log row with the versions exported.
    """
    sip = get_visible_sip(actor, sip_id)
    staff = require_staff(actor, sip, "fhir_export")
    with transaction.atomic():
        locked = Sip.objects.select_for_update().filter(pk=sip.pk).first()
        if locked is None or not visible_sips(staff).filter(pk=sip.pk).exists():
            raise SipNotFound()
        snapshot = snapshot_of(locked)
        log_access(
            staff,
            locked.pk,
            AccessAction.FHIR_EXPORT,
            {"version": snapshot.version, "plan_version": snapshot.plan_version},
        )
    return plan_to_bundle(snapshot, timestamp=timezone.now())


# --- import ----------------------------------------------------------------------------------


def _match_organisation(ref: OrganisationRef) -> Organisation:
    """The local organisation for one in a bundle: by organisationsnummer, else by name.

    An organisationsnummer belongs to the legal entity, so a kommun's social services and
    its schools share one: several local organisations with the number are told apart by
    name. Names are compared as datasmart keeps them unique (case and repeated spaces
    ignored, :func:`~datasmart.accounts.models.organisation_name_key`). Ids in the bundle
    are never trusted: they are another installation's.
    """
    name_key = organisation_name_key(ref.name)
    if ref.org_number:
        digits = ref.org_number.replace("-", "")
        candidates = list(Organisation.objects.filter(org_number__in=[ref.org_number, digits]))
        if len(candidates) == 1:
            return candidates[0]
        named = [org for org in candidates if org.name_key == name_key]
        if len(named) == 1:
            return named[0]
        if candidates:
            raise SipValidationError(
                _(
                    "Flera organisationer har organisationsnumret %(number)s och ingen av dem "
                    "heter %(name)s."
                )
                % {"number": ref.org_number, "name": ref.name},
                field="Organization.name",
            )
    org = Organisation.objects.filter(name_key=name_key).first()
    if org is None:
        raise SipValidationError(
            _("Organisationen %(name)s finns inte i datasmart.")
            % {"name": f"{ref.name} ({ref.org_number})" if ref.org_number else ref.name},
            field="Organization.identifier" if ref.org_number else "Organization.name",
        )
    if ref.org_number and org.org_number and org.org_number.replace("-", "") != digits:
        raise SipValidationError(
            _(
                "Organisationen %(name)s har organisationsnummer %(local)s i datasmart men "
                "%(number)s i filen."
            )
            % {"name": org.name, "local": org.org_number, "number": ref.org_number},
            field="Organization.identifier",
        )
    return org


def _participants(snapshot: SipSnapshot, orgs: dict[int, Organisation]) -> list[ParticipantIn]:
    """Participants checked with the invitation schema (lengths, e-mail, kinds)."""
    if not snapshot.participants:
        return []
    return parse_participants(
        [
            {
                "kind": p.kind,
                "organisation_id": orgs[p.organisation_id].pk
                if p.organisation_id is not None
                else None,
                "unit_name": p.unit_name,
                "name": p.name,
                "email": p.email,
            }
            for p in snapshot.participants
        ],
        prefix="CareTeam.participant",
    )


def _check_consents(snapshot: SipSnapshot) -> None:
    """The rules of ``record_consent``: a guardian is named, some organisation covered."""
    for i, consent in enumerate(snapshot.consents):
        field = f"Consent[{i}]"
        bounded_text(
            consent.guardian_name,
            f"{field}.grantor",
            max_length=MAX_LABEL,
            required=consent.given_by == "guardian",
        )
        bounded_text(consent.withdrawn_by_label, f"{field}.extension", max_length=MAX_LABEL)
        if not consent.organisation_ids:
            raise SipValidationError(
                _("Ange minst en organisation som samtycket gäller."),
                field=f"{field}.provision",
            )


def _check_dates(snapshot: SipSnapshot, birth: dt.date | None) -> None:
    """Every date in the bundle lies where a plan can have it
    (:mod:`datasmart.sip.domain.plausibility`): nothing before SIP existed or before the person
    was born, nothing that has happened dated in the future (a consent dated 2031 would
    otherwise look newer than every consent recorded here), meetings and plan dates not
    decades ahead. The child flag and who consented agree with the person's age."""
    started = snapshot.started_at
    check_event_time(started, "CarePlan.period.start", birth=birth)
    check_is_child(birth, snapshot.is_child, "CarePlan.extension", on=timezone.localdate(started))
    if snapshot.closed_at is not None:
        check_event_time(snapshot.closed_at, "CarePlan.period.end", birth=birth, not_before=started)
    for i, consent in enumerate(snapshot.consents):
        field = f"Consent[{i}]"
        check_event_time(consent.given_at, f"{field}.period.start", birth=birth)
        check_consent_giver(
            birth, consent.given_by, f"{field}.grantor", on=timezone.localdate(consent.given_at)
        )
        ended = consent.withdrawn_at or consent.superseded_at
        if ended is not None:
            check_event_time(ended, f"{field}.period.end", birth=birth, not_before=consent.given_at)
    for i, participant in enumerate(snapshot.participants):
        for moment in (participant.invited_at, participant.responded_at):
            if moment is not None:
                check_event_time(moment, f"CareTeam.participant[{i}].extension", birth=birth)
    for i, meeting in enumerate(snapshot.meetings):
        check_event_time(
            meeting.scheduled_at, f"Appointment[{i}].start", birth=birth, ahead=MEETING_HORIZON
        )
        if meeting.held_at is not None:
            check_event_time(meeting.held_at, f"Appointment[{i}].extension", birth=birth)
    if snapshot.plan is not None:
        check_plan_dates(snapshot.plan, birth, prefix="CarePlan")


def _superseded(snapshot: SipSnapshot) -> list[dt.datetime | None]:
    """``superseded_at`` for each consent of the bundle, in its order.

    One consent is in force at a time: an open consent (neither withdrawn nor marked
    superseded) followed by a later one is superseded when the later one was given.
    """
    result = [c.superseded_at for c in snapshot.consents]
    order = sorted(range(len(snapshot.consents)), key=lambda i: snapshot.consents[i].given_at)
    for position, i in enumerate(order[:-1]):
        consent = snapshot.consents[i]
        if consent.withdrawn_at is None and consent.superseded_at is None:
            result[i] = snapshot.consents[order[position + 1]].given_at
    return result


def import_fhir(actor: Actor, bundle: Mapping[str, Any] | str | bytes) -> Sip:
    """Create a new plan, owned by the actor's organisation, from a FHIR ``Bundle``.

    The plan gets the bundle's content (as plan version with the bundle's number), its
    consents, participants (with their answers) and meetings, its state (an imported
    closed plan is closed, with its retention counted from its closing date), its start
    date and its version counter. Organisations are matched by organisationsnummer or
    name (:func:`_match_organisation`); an unknown one raises
    :class:`SipValidationError` naming it. Everything is checked before anything is
    written, and written in one transaction. One ongoing plan per person and organisation,
    as for ``start_sip``.

    Needs the caseworker role in the actor's organisation (as ``start_sip``).
    """
    staff: StaffActor = require_staff(actor, None, "fhir_import")
    require_caseworker(staff, "fhir_import")
    snapshot = bundle_to_plan(bundle)

    orgs = {ref.id: _match_organisation(ref) for ref in snapshot.organisations}
    number = parse_identity_number(
        snapshot.person.number, kind=snapshot.person.kind, field="Patient.identifier"
    )
    check_birth_date(number.birth_date, "Patient.identifier")
    display_name = bounded_text(
        snapshot.person.display_name, "Patient.name", max_length=MAX_LABEL, required=True
    )
    need = bounded_text(snapshot.need, "CarePlan.description", max_length=MAX_NEED, required=True)
    closed_note = bounded_text(snapshot.closed_note, "CarePlan.extension", max_length=MAX_NOTE)
    coordinator = bounded_text(
        snapshot.coordinator_name, "CareTeam.participant", max_length=MAX_LABEL
    )
    plan = None
    if snapshot.plan is not None:
        content = snapshot.plan.model_dump(mode="json")
        for item in content["interventions"]:
            item["organisation_id"] = orgs[item["organisation_id"]].pk
        if content["lead_organisation_id"] is not None:
            content["lead_organisation_id"] = orgs[content["lead_organisation_id"]].pk
        plan = parse_plan_content(content, prefix="CarePlan")
    _check_consents(snapshot)
    invitees = _participants(snapshot, orgs)
    for i, meeting in enumerate(snapshot.meetings):
        bounded_text(meeting.location, f"Appointment[{i}].participant", max_length=MAX_LABEL)
        if meeting.held_at is not None:
            aware_datetime(meeting.held_at, f"Appointment[{i}].extension", not_future=True)
    _check_dates(snapshot, number.birth_date)
    superseded = _superseded(snapshot)

    active = snapshot.status == "active"
    closed_at = snapshot.closed_at
    retain_until: dt.date | None = None
    if closed_at is not None:
        retain_until = timezone.localdate(closed_at) + dt.timedelta(
            days=settings.SIP_RETENTION_DAYS
        )
    kommun, region = geography_of(staff.organisation)
    duplicate = SipValidationError(
        _("Det finns redan en pågående SIP för personen i er organisation."),
        field="Patient.identifier",
    )
    try:
        with transaction.atomic():
            person = person_for(number, display_name)
            if (
                active
                and Sip.objects.filter(
                    person=person, owner_organisation=staff.organisation, status=SipStatus.ACTIVE
                ).exists()
            ):
                raise duplicate
            sip = Sip.objects.create(
                person=person,
                status=SipStatus.ACTIVE if active else SipStatus.CLOSED,
                version=snapshot.version,
                owner_organisation=staff.organisation,
                started_by=staff.user,
                started_at=snapshot.started_at,
                display_name=display_name,
                need=need,
                is_child=snapshot.is_child,
                lead_organisation=(
                    orgs[snapshot.lead_organisation_id]
                    if snapshot.lead_organisation_id is not None
                    else None
                ),
                coordinator_name=coordinator,
                closed_at=closed_at,
                closed_reason=snapshot.closed_reason or "",
                closed_note=closed_note,
                retain_until=retain_until,
                kommun=kommun,
                region=region,
            )
            for item, superseded_at in zip(snapshot.consents, superseded, strict=True):
                consent = Consent.objects.create(
                    sip=sip,
                    given_by=item.given_by,
                    guardian_name=item.guardian_name.strip(),
                    given_at=item.given_at,
                    recorded_by=staff.user,
                    withdrawn_at=item.withdrawn_at,
                    withdrawn_by_label=item.withdrawn_by_label.strip(),
                    superseded_at=superseded_at,
                )
                consent.organisations.set([orgs[org_id] for org_id in item.organisation_ids])
            now = timezone.now()
            # Participants are listed by (invited_at, id), and those invited together share
            # invited_at: ascending ids keep the bundle's order.
            ids = sorted(uuid.uuid4() for _ in invitees)
            for pk, invitee, item in zip(ids, invitees, snapshot.participants, strict=True):
                Participant.objects.create(
                    id=pk,
                    sip=sip,
                    kind=invitee.kind,
                    organisation=orgs[item.organisation_id]
                    if item.organisation_id is not None
                    else None,
                    unit_name=invitee.unit_name,
                    name=invitee.name,
                    email=invitee.email,
                    status=item.status,
                    invited_at=item.invited_at or now,
                    responded_at=item.responded_at,
                )
            for meeting in snapshot.meetings:
                Meeting.objects.create(
                    sip=sip,
                    kind=meeting.kind,
                    scheduled_at=meeting.scheduled_at,
                    location=meeting.location.strip(),
                    held_at=meeting.held_at,
                )
            if plan is not None:
                assert snapshot.plan_version is not None  # the snapshot pairs them
                PlanVersion.objects.create(
                    sip=sip,
                    number=snapshot.plan_version,
                    content=plan.model_dump(mode="json"),
                    created_by_label=staff.label,
                    created_by=staff.user,
                )
            log_access(
                staff,
                sip.pk,
                AccessAction.FHIR_IMPORT,
                {
                    "source_sip": str(snapshot.sip_id),
                    "version": snapshot.version,
                    "plan_version": snapshot.plan_version,
                    "consents": len(snapshot.consents),
                    "participants": len(snapshot.participants),
                    "meetings": len(snapshot.meetings),
                },
            )
            audit(
                "sip.sip.create",
                staff,
                sip,
                via="fhir_import",
                is_child=snapshot.is_child,
                id_kind=str(number.kind),
                status=sip.status,
            )
    except IntegrityError as exc:  # the same person's plan started concurrently
        raise duplicate from exc
    return sip
