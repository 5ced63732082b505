"""FHIR export and import as SIP services: access checked and logged, organisations
matched, and export → import → export gives the same bundle.

What legitimately differs after an import (documented in docs/sip.md, "FHIR"): the new
plan's id, hence every ``urn:uuid:`` full URL and the CarePlan identifier value, and the
bundle's ``timestamp``; when another organisation imports, also the owner (the CarePlan
identifier's ``assigner`` and the Consents' ``controller``).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from fhir.resources.bundle import Bundle

from datasmart.accounts.models import AuditEvent, OrganisationKind
from datasmart.sip import services
from datasmart.sip.domain.errors import SipNotFound, SipValidationError
from datasmart.sip.domain.snapshot import snapshot_of
from datasmart.sip.fhir import codes
from datasmart.sip.fhir.service import bundle_to_plan, export_fhir, import_fhir
from datasmart.sip.models import (
    AccessAction,
    Consent,
    Participant,
    PlanVersion,
    Sip,
    SipAccessLog,
    SipStatus,
)

from .sip_support import SipWorld, first_meeting_at, organisation

UUID_URN = re.compile(r"urn:uuid:[0-9a-f-]{36}")


def normalised(bundle: dict[str, Any]) -> dict[str, Any]:
    """The bundle without what an import changes: full URLs (renumbered in order of first
    appearance), the plan id and the timestamp."""
    data = {k: v for k, v in bundle.items() if k != "timestamp"}
    text = json.dumps(data, ensure_ascii=False)
    seen: dict[str, str] = {}
    text = UUID_URN.sub(lambda m: seen.setdefault(m.group(0), f"urn:ref:{len(seen)}"), text)
    result: dict[str, Any] = json.loads(text)
    for entry in result["entry"]:
        if entry["resource"]["resourceType"] == "CarePlan":
            for identifier in entry["resource"]["identifier"]:
                if identifier["system"] == codes.SIP_ID_SYSTEM:
                    identifier["value"] = "<plan id>"
    return result


def lived_in(world: SipWorld) -> Sip:
    """The world's plan after some life: answers, a held meeting, a follow-up, consent
    withdrawn and given again for BUP and the school."""
    school = organisation("Högalidsskolan – elevhälsa", OrganisationKind.SCHOOL, "2584")
    school.org_number = "212000-2817"
    school.save()
    world.owner.org_number = "212000-2817"  # a kommun's departments share its number
    world.owner.save()
    services.respond(world.bup_staff, world.participant("organisation").pk, accept=True)
    services.respond(world.owner_staff, world.participant("guardian").pk, accept=False)
    assert world.meeting is not None
    held = world.meeting.scheduled_at.replace(year=world.meeting.scheduled_at.year - 1)
    services.record_meeting_held(
        world.owner_staff,
        world.sip.pk,
        world.meeting.pk,
        expected_version=world.version,
        held_at=held,
    )
    services.schedule_follow_up(
        world.owner_staff,
        world.sip.pk,
        expected_version=world.version,
        meeting_at=first_meeting_at().replace(year=first_meeting_at().year + 1),
        location="Högalidsskolan, rum 3",
    )
    services.withdraw_consent(world.owner_staff, world.sip.pk)
    services.record_consent(
        world.owner_staff,
        world.sip.pk,
        expected_version=world.version,
        given_by="guardian",
        guardian_name="Per Exempel",
        organisation_ids=[world.bup.pk, school.pk],
    )
    services.invite(
        world.owner_staff,
        world.sip.pk,
        expected_version=world.version,
        participants=[{"kind": "organisation", "organisation_id": school.pk, "name": "Åke Ö"}],
        meeting_at=first_meeting_at(),
    )
    return world.refresh()


# --- export ----------------------------------------------------------------------------------


def test_export_is_the_plan_and_is_logged(world: SipWorld):
    bundle = export_fhir(world.owner_staff, world.sip.pk)
    Bundle.model_validate(bundle)
    assert bundle_to_plan(bundle) == snapshot_of(world.refresh())
    patient = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    assert patient["identifier"][0]["value"] == world.person_number.replace("-", "")
    row = SipAccessLog.objects.filter(sip_id=world.sip.pk, action=AccessAction.FHIR_EXPORT).get()
    assert row.actor == world.owner_staff.user
    assert row.detail == {"version": world.version, "plan_version": 1}
    assert "timestamp" in bundle


def test_covered_organisation_may_export(world: SipWorld):
    bundle = export_fhir(world.bup_staff, world.sip.pk)
    assert bundle_to_plan(bundle).sip_id == world.sip.pk
    assert SipAccessLog.objects.filter(
        sip_id=world.sip.pk, action=AccessAction.FHIR_EXPORT, actor=world.bup_staff.user
    ).exists()


def test_others_get_not_found_and_are_audited(world: SipWorld):
    for actor in (world.outsider_staff, world.as_owner(world.owner_admin)):
        with pytest.raises(SipNotFound):
            export_fhir(actor, world.sip.pk)
    assert AuditEvent.objects.filter(action="sip.access_denied").count() == 2
    assert not SipAccessLog.objects.filter(action=AccessAction.FHIR_EXPORT).exists()
    with pytest.raises(SipNotFound):
        export_fhir(world.owner_staff, "inte-ett-id")


def test_withdrawn_consent_ends_export_for_participants(world: SipWorld):
    services.withdraw_consent(world.owner_staff, world.sip.pk)
    with pytest.raises(SipNotFound):
        export_fhir(world.bup_staff, world.sip.pk)
    assert export_fhir(world.owner_staff, world.sip.pk)  # the owner keeps its record


def test_active_plan_with_a_closed_note_exports(world: SipWorld):
    """An active plan that keeps a note from an earlier closing (the database allows it:
    ``sip_closed_consistent`` constrains only closed_at and closed_reason) exports, and the
    note survives export -> import. The snapshot refused it, so ``/fhir`` answered 500."""
    Sip.objects.filter(pk=world.sip.pk).update(closed_note="Avslutad av misstag; öppnad igen.")
    bundle = export_fhir(world.owner_staff, world.sip.pk)
    snapshot = bundle_to_plan(bundle)
    assert snapshot.status == "active"
    assert snapshot.closed_note == "Avslutad av misstag; öppnad igen."
    assert snapshot == snapshot_of(world.refresh())
    imported = import_fhir(world.outsider_staff, json.dumps(bundle))
    assert (imported.status, imported.closed_note) == ("active", snapshot.closed_note)


def test_person_uses_the_personal_export(world: SipWorld):
    with pytest.raises(PermissionDenied):
        export_fhir(world.person_account(), world.sip.pk)


# --- export → import → export -----------------------------------------------------------------


def test_export_import_export_gives_the_same_bundle(world: SipWorld):
    sip = lived_in(world)
    first = export_fhir(world.owner_staff, sip.pk)
    services.close_sip(world.owner_staff, sip.pk, expected_version=world.version, reason="moved")
    imported = import_fhir(world.owner_staff, json.dumps(first))
    assert imported.pk != sip.pk
    assert imported.owner_organisation == world.owner
    second = export_fhir(world.owner_staff, imported.pk)
    assert normalised(second) == normalised(first)
    assert snapshot_of(imported) == bundle_to_plan(first).model_copy(update={"sip_id": imported.pk})
    # same person, same version counters, original dates
    assert imported.person == sip.person
    assert imported.version == bundle_to_plan(first).version
    assert PlanVersion.objects.get(sip=imported).number == 1
    assert imported.started_at == sip.started_at


def test_import_by_another_organisation(world: SipWorld):
    sip = lived_in(world)
    first = export_fhir(world.bup_staff, sip.pk)
    imported = import_fhir(world.bup_staff, first)
    assert imported.owner_organisation == world.bup
    assert (imported.kommun, imported.region) == (None, world.bup.unit)
    expected = bundle_to_plan(first).model_copy(
        update={"sip_id": imported.pk, "owner_organisation_id": world.bup.pk}
    )
    assert snapshot_of(imported) == expected
    # the owner's staff does not see BUP's copy; BUP's does
    with pytest.raises(SipNotFound):
        export_fhir(world.owner_staff, imported.pk)
    assert import_log(imported).actor == world.bup_staff.user


def import_log(sip: Sip) -> SipAccessLog:
    return SipAccessLog.objects.get(sip_id=sip.pk, action=AccessAction.FHIR_IMPORT)


def test_import_is_logged_and_audited(world: SipWorld):
    bundle = export_fhir(world.owner_staff, world.sip.pk)
    services.close_sip(
        world.owner_staff, world.sip.pk, expected_version=world.version, reason="other"
    )
    imported = import_fhir(world.owner_staff, bundle)
    row = import_log(imported)
    assert row.detail == {
        "source_sip": str(world.sip.pk),
        "version": bundle_to_plan(bundle).version,
        "plan_version": 1,
        "consents": 1,
        "participants": 3,
        "meetings": 1,
    }
    event = AuditEvent.objects.get(action="sip.sip.create", target_id=str(imported.pk))
    assert event.detail["via"] == "fhir_import"
    assert "Elsa" not in json.dumps(event.detail)  # no personal content in the audit log


def test_closed_plan_imports_closed(world: SipWorld):
    services.close_sip(
        world.owner_staff,
        world.sip.pk,
        expected_version=world.version,
        reason="goals_met",
        note="Klart",
    )
    bundle = export_fhir(world.owner_staff, world.sip.pk)
    imported = import_fhir(world.owner_staff, bundle)
    original = world.refresh()
    assert imported.status == SipStatus.CLOSED
    assert (imported.closed_at, imported.closed_reason, imported.closed_note) == (
        original.closed_at,
        "goals_met",
        "Klart",
    )
    assert imported.retain_until == original.retain_until


# --- import refusals -----------------------------------------------------------------------


def test_import_needs_a_caseworker(world: SipWorld):
    bundle = export_fhir(world.owner_staff, world.sip.pk)
    with pytest.raises(PermissionDenied):
        import_fhir(world.as_owner(world.owner_viewer), bundle)
    with pytest.raises(PermissionDenied):
        import_fhir(world.person_account(), bundle)


def test_one_ongoing_plan_per_person_and_organisation(world: SipWorld):
    bundle = export_fhir(world.owner_staff, world.sip.pk)
    with pytest.raises(SipValidationError) as raised:
        import_fhir(world.owner_staff, bundle)
    assert raised.value.field == "Patient.identifier"
    assert Sip.objects.count() == 1


def _organisations(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Organization" and "partOf" not in e["resource"]
    ]


def test_unknown_organisation_is_named_and_nothing_is_written(world: SipWorld):
    bundle = export_fhir(world.owner_staff, world.sip.pk)
    services.close_sip(
        world.owner_staff, world.sip.pk, expected_version=world.version, reason="other"
    )
    bup = next(o for o in _organisations(bundle) if o["name"] == world.bup.name)
    bup["name"] = "Region Okänd – BUP"
    before = (Sip.objects.count(), Consent.objects.count(), Participant.objects.count())
    with pytest.raises(SipValidationError) as raised:
        import_fhir(world.owner_staff, bundle)
    assert "Region Okänd – BUP" in raised.value.message
    assert raised.value.field == "Organization.name"
    assert (Sip.objects.count(), Consent.objects.count(), Participant.objects.count()) == before


def test_organisations_matched_by_number_then_name_never_by_id(world: SipWorld):
    world.owner.org_number = "212000-2817"
    world.owner.save()
    school = organisation("Kiruna skola", OrganisationKind.SCHOOL, "2584")
    school.org_number = "2120002817"  # stored without hyphen: still the same number
    school.save()
    bundle = export_fhir(world.owner_staff, world.sip.pk)
    services.close_sip(
        world.owner_staff, world.sip.pk, expected_version=world.version, reason="other"
    )
    for n, org in enumerate(_organisations(bundle)):
        # another installation's ids, and names cased differently
        numbers = [i for i in org.get("identifier", []) if i["system"] == codes.ORG_NUMBER_SYSTEM]
        org["identifier"] = [
            {"system": codes.ORGANISATION_ID_SYSTEM, "value": str(900_000 + n)},
            *numbers,
        ]
        org["name"] = org["name"].upper()
    imported = import_fhir(world.owner_staff, bundle)
    assert imported.lead_organisation == world.owner
    consent = Consent.objects.get(sip=imported)
    assert list(consent.organisations.all()) == [world.bup]


def test_organisation_number_conflict_is_refused(world: SipWorld):
    bundle = export_fhir(world.owner_staff, world.sip.pk)
    services.close_sip(
        world.owner_staff, world.sip.pk, expected_version=world.version, reason="other"
    )
    world.bup.org_number = "232100-0230"
    world.bup.save()
    bup = next(o for o in _organisations(bundle) if o["name"] == world.bup.name)
    bup["identifier"].append({"system": codes.ORG_NUMBER_SYSTEM, "value": "2120002817"})
    with pytest.raises(SipValidationError) as raised:
        import_fhir(world.owner_staff, bundle)
    assert raised.value.field == "Organization.identifier"
    assert "232100-0230" in raised.value.message


def test_invalid_content_names_the_fhir_field(world: SipWorld):
    bundle = export_fhir(world.owner_staff, world.sip.pk)
    services.close_sip(
        world.owner_staff, world.sip.pk, expected_version=world.version, reason="other"
    )
    team = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "CareTeam"
    )
    for participant in team["participant"]:
        for ext in participant.get("extension", []):
            if ext["url"] == codes.EXT_CONTACT_EMAIL:
                ext["valueString"] = "inte en adress"
    guardian = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "RelatedPerson"
    )
    guardian["telecom"] = [{"system": "email", "value": "inte en adress"}]
    with pytest.raises(SipValidationError) as raised:
        import_fhir(world.owner_staff, bundle)
    assert raised.value.field == "CareTeam.participant[1].email"


def test_import_is_atomic(world: SipWorld, monkeypatch: pytest.MonkeyPatch):
    bundle = export_fhir(world.owner_staff, world.sip.pk)
    services.close_sip(
        world.owner_staff, world.sip.pk, expected_version=world.version, reason="other"
    )
    before = (Sip.objects.count(), Consent.objects.count(), Participant.objects.count())

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("datasmart.sip.fhir.service.log_access", fail)
    with pytest.raises(RuntimeError):
        import_fhir(world.owner_staff, bundle)
    assert (Sip.objects.count(), Consent.objects.count(), Participant.objects.count()) == before
