"""FHIR mapping of a SIP plan (pure functions, no database): the bundle is valid FHIR R5,
uses the Swedish identifier systems, and comes back as the same plan."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest
from fhir.resources.bundle import Bundle
from hypothesis import HealthCheck, given, settings

from datasmart.sip.domain.errors import SipValidationError
from datasmart.sip.domain.snapshot import ConsentSnapshot, SipSnapshot
from datasmart.sip.fhir import codes
from datasmart.sip.fhir.service import bundle_to_plan, plan_to_bundle

from .fhir_support import BUP_ID, KIRUNA_ID, SKOLA_ID, at, number, snapshots, swedish_example


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def one(bundle: dict[str, Any], kind: str) -> dict[str, Any]:
    found = resources(bundle, kind)
    assert len(found) == 1, kind
    return found[0]


def by_url(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["fullUrl"]: e["resource"] for e in bundle["entry"]}


def ext(element: dict[str, Any], url: str) -> list[dict[str, Any]]:
    return [e for e in element.get("extension", []) if e["url"] == url]


# --- round trip ------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots())
def test_round_trip_any_plan(snapshot: SipSnapshot):
    bundle = plan_to_bundle(snapshot)
    Bundle.model_validate(bundle)  # valid FHIR R5 as fhir.resources models it
    assert bundle_to_plan(bundle) == snapshot
    # … also through JSON text, as a file would carry it
    assert bundle_to_plan(json.dumps(bundle, ensure_ascii=False)) == snapshot


def test_round_trip_swedish_example():
    snapshot = swedish_example()
    bundle = plan_to_bundle(snapshot)
    assert bundle_to_plan(bundle) == snapshot
    assert bundle_to_plan(json.dumps(bundle).encode()) == snapshot


@pytest.mark.parametrize(
    "overrides",
    [
        {"status": "active", "closed_at": None, "closed_reason": None, "closed_note": ""},
        {"plan": None, "plan_version": None},
        {"consents": [], "participants": [], "meetings": [], "coordinator_name": ""},
        {"lead_organisation_id": None, "is_child": False, "need": ""},
        {"closed_reason": "consent_withdrawn", "closed_note": ""},
    ],
    ids=["active", "no-plan-yet", "nobody-invited", "no-lead", "consent-withdrawn"],
)
def test_round_trip_variants(overrides: dict[str, Any]):
    snapshot = swedish_example(**overrides)
    assert bundle_to_plan(plan_to_bundle(snapshot)) == snapshot


def test_export_is_deterministic():
    snapshot = swedish_example()
    assert plan_to_bundle(snapshot) == plan_to_bundle(snapshot)
    stamped = plan_to_bundle(snapshot, timestamp=at("2027-07-01", "12:00"))
    assert stamped["timestamp"] == "2027-07-01T12:00:00+02:00"
    assert bundle_to_plan(stamped) == snapshot


# --- what the bundle says ----------------------------------------------------------------------


def test_bundle_structure():
    bundle = plan_to_bundle(swedish_example())
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds[:2] == ["CarePlan", "Patient"]
    assert kinds.count("Goal") == 2
    assert kinds.count("ServiceRequest") == 3
    assert kinds.count("Task") == 2
    assert kinds.count("Consent") == 2
    assert kinds.count("Appointment") == 2
    assert kinds.count("CareTeam") == 1
    # three organisations and one unit ("BUP Kiruna", used twice, listed once)
    assert kinds.count("Organization") == 4
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(set(urls)) == len(urls)
    assert all(url.startswith("urn:uuid:") for url in urls)


def test_patient_identifier_uses_hl7_sweden_systems():
    bundle = plan_to_bundle(swedish_example())
    patient = one(bundle, "Patient")
    assert patient["identifier"] == [
        {"use": "official", "system": codes.PERSONNUMMER_SYSTEM, "value": "201205171232"}
    ]
    assert patient["name"] == [{"text": "Åsa Öberg-Lindström"}]
    assert patient["birthDate"] == "2012-05-17"

    samordning = number(dt.date(1990, 1, 2), 45, samordning=True)
    person = {"kind": "samordningsnummer", "number": samordning, "display_name": ""}
    bundle = plan_to_bundle(swedish_example(person=person))
    assert one(bundle, "Patient")["identifier"][0]["system"] == codes.SAMORDNINGSNUMMER_SYSTEM
    assert "name" not in one(bundle, "Patient")

    person = {"kind": "reserve", "number": "RES12345X", "display_name": "Okänd"}
    bundle = plan_to_bundle(swedish_example(person=person))
    assert one(bundle, "Patient")["identifier"] == [
        {"use": "temp", "system": codes.RESERVE_NUMBER_SYSTEM, "value": "RES12345X"}
    ]


def test_organisations_and_units():
    bundle = plan_to_bundle(swedish_example())
    orgs = resources(bundle, "Organization")
    kiruna = next(o for o in orgs if o["name"] == "Kiruna kommun – socialtjänst")
    assert {"system": codes.ORGANISATION_ID_SYSTEM, "value": str(KIRUNA_ID)} in kiruna["identifier"]
    org_number = next(i for i in kiruna["identifier"] if i["system"] == codes.ORG_NUMBER_SYSTEM)
    assert org_number["value"] == "2120002817"
    assert org_number["type"]["coding"][0]["code"] == "XX"
    bup = next(o for o in orgs if o["name"] == "Region Norrbotten – BUP")
    assert all(i["system"] != codes.ORG_NUMBER_SYSTEM for i in bup["identifier"])
    unit = next(o for o in orgs if o["name"] == "BUP Kiruna")
    urls = by_url(bundle)
    assert urls[unit["partOf"]["reference"]] is bup


def test_care_plan():
    bundle = plan_to_bundle(swedish_example())
    urls = by_url(bundle)
    plan = one(bundle, "CarePlan")
    assert plan["status"] == "completed" and plan["intent"] == "plan"
    assert urls[plan["subject"]["reference"]]["resourceType"] == "Patient"
    assert plan["period"] == {
        "start": "2026-11-02T09:15:00+01:00",
        "end": "2027-06-30T14:00:00+02:00",
    }
    assert plan["description"].startswith("Skolfrånvaro")
    assert [n["text"] for n in plan["note"]] == ["Stöd i vardagen", "Bedömning av sömnproblem"]
    identifier = plan["identifier"][0]
    assert identifier == {
        "system": codes.SIP_ID_SYSTEM,
        "value": "4f2b0c8e-6a57-4d0e-9a3c-5d8c1e7f9a10",
        "assigner": identifier["assigner"],
    }
    assert urls[identifier["assigner"]["reference"]]["name"] == "Kiruna kommun – socialtjänst"
    assert urls[plan["custodian"]["reference"]]["name"] == "Region Norrbotten – BUP"
    assert ext(plan, codes.EXT_SIP_VERSION) == [
        {"url": codes.EXT_SIP_VERSION, "valuePositiveInt": 9}
    ]
    assert ext(plan, codes.EXT_PLAN_VERSION)[0]["valuePositiveInt"] == 4
    assert [e["valueDate"] for e in ext(plan, codes.EXT_FOLLOW_UP_DATE)] == [
        "2027-02-15",
        "2027-05-10",
    ]
    assert ext(plan, codes.EXT_CLOSED_REASON)[0]["valueCoding"]["code"] == "goals_met"
    goals = [urls[g["reference"]] for g in plan["goal"]]
    assert [g["description"]["text"] for g in goals] == [
        "Att gå till skolan varje dag",
        "Att somna före klockan tio",
    ]
    assert {g["lifecycleStatus"] for g in goals} == {"completed"}
    activities = [urls[a["plannedActivityReference"]["reference"]] for a in plan["activity"]]
    assert [a["resourceType"] for a in activities] == ["ServiceRequest"] * 3 + ["Task"] * 2
    first = activities[0]
    assert first["code"]["concept"]["text"] == "Stödsamtal i hemmet"
    assert first["occurrencePeriod"] == {"start": "2026-12-01", "end": "2027-06-30"}
    assert urls[first["performer"][0]["reference"]]["name"] == "Kiruna kommun – socialtjänst"
    assert urls[activities[1]["performer"][0]["reference"]]["name"] == "BUP Kiruna"
    assert "occurrencePeriod" not in activities[2]
    task = activities[3]
    assert task["owner"] == {"display": "mamma"}
    assert task["description"] == "Följer med till första besöket på BUP"
    assert urls[task["for"]["reference"]]["resourceType"] == "Patient"


@pytest.mark.parametrize(
    ("reason", "status"),
    [
        ("goals_met", "completed"),
        ("moved", "completed"),
        ("other", "completed"),
        ("person_ended", "revoked"),
        ("consent_withdrawn", "revoked"),
    ],
)
def test_closed_plan_status(reason: str, status: str):
    bundle = plan_to_bundle(swedish_example(closed_reason=reason))
    assert one(bundle, "CarePlan")["status"] == status


def test_care_team():
    bundle = plan_to_bundle(swedish_example())
    urls = by_url(bundle)
    team = one(bundle, "CareTeam")
    assert urls[team["managingOrganization"][0]["reference"]]["name"] == "Region Norrbotten – BUP"
    roles = [p["role"]["coding"][0]["code"] for p in team["participant"]]
    assert roles == [
        "organisation",
        "organisation",
        "person",
        "guardian",
        "relative",
        "other",
        "coordinator",
    ]
    bup = team["participant"][0]
    assert urls[bup["member"]["reference"]]["name"] == "BUP Kiruna"
    assert ext(bup, codes.EXT_PARTICIPANT_STATUS)[0]["valueCode"] == "accepted"
    assert ext(bup, codes.EXT_CONTACT_EMAIL)[0]["valueString"] == "orjan.akesson@example.se"
    guardian = urls[team["participant"][3]["member"]["reference"]]
    assert guardian["resourceType"] == "RelatedPerson"
    assert guardian["relationship"][0]["coding"][0]["code"] == "GUARD"
    assert guardian["telecom"] == [{"system": "email", "value": "marta@example.se"}]
    assert team["participant"][-1]["member"] == {"display": "Anna Ärlemalm"}


def test_consents():
    bundle = plan_to_bundle(swedish_example())
    urls = by_url(bundle)
    withdrawn, active = resources(bundle, "Consent")
    assert withdrawn["status"] == "inactive" and active["status"] == "active"
    assert withdrawn["period"]["end"] == "2026-12-01T08:30:00+01:00"
    assert "end" not in active["period"]
    assert active["date"] == "2026-12-01"
    grantor = urls[active["grantor"][0]["reference"]]
    assert grantor["resourceType"] == "RelatedPerson" and grantor["name"] == [
        {"text": "Märta Öberg"}
    ]
    actors = [urls[a["reference"]["reference"]]["name"] for a in withdrawn["provision"][0]["actor"]]
    assert actors == ["Region Norrbotten – BUP", "Högalidsskolan, elevhälsan"]
    own = swedish_example(
        consents=[
            ConsentSnapshot(given_by="person", given_at=at("2026-11-02"), organisation_ids=[])
        ]
    )
    consent = one(plan_to_bundle(own), "Consent")
    assert by_url(plan_to_bundle(own))[consent["grantor"][0]["reference"]]["resourceType"] == (
        "Patient"
    )
    assert "provision" not in consent


def test_meetings():
    bundle = plan_to_bundle(swedish_example())
    first, follow_up = resources(bundle, "Appointment")
    assert first["status"] == "fulfilled" and follow_up["status"] == "booked"
    assert first["start"] == "2026-11-20T13:00:00+01:00"
    assert first["contained"][0] == {
        "resourceType": "Location",
        "id": "plats",
        "name": "Högalidsskolan, rum 3",
    }
    assert ext(first, codes.EXT_HELD_AT)[0]["valueDateTime"] == "2026-11-20T13:10:00+01:00"
    assert {c["code"] for c in follow_up["appointmentType"]["coding"]} == {"follow_up", "FOLLOWUP"}
    assert "contained" not in follow_up


# --- bundles from elsewhere ----------------------------------------------------------------


def test_import_accepts_oids_hyphenated_org_numbers_and_missing_datasmart_ids():
    bundle = plan_to_bundle(swedish_example())
    patient = one(bundle, "Patient")
    patient["identifier"] = [{"system": codes.PERSONNUMMER_OID, "value": "20120517-1232"}]
    for org in resources(bundle, "Organization"):
        org["identifier"] = [
            {**i, "value": "212000-2817"}
            for i in org.get("identifier", [])
            if i["system"] == codes.ORG_NUMBER_SYSTEM
        ]
        if not org["identifier"]:
            del org["identifier"]
    snapshot = bundle_to_plan(bundle)
    assert snapshot.person.number == "201205171232"
    assert [(o.id, o.name, o.org_number) for o in snapshot.organisations] == [
        (1, "Kiruna kommun – socialtjänst", "212000-2817"),
        (2, "Region Norrbotten – BUP", ""),
        (3, "Högalidsskolan, elevhälsan", ""),
    ]
    assert snapshot.owner_organisation_id == 1 and snapshot.lead_organisation_id == 2
    assert snapshot.plan is not None
    assert [i.organisation_id for i in snapshot.plan.interventions] == [1, 2, 3]


def test_import_reads_roles_from_resource_types_without_datasmart_codes():
    bundle = plan_to_bundle(swedish_example())
    team = one(bundle, "CareTeam")
    team["participant"] = [
        p for p in team["participant"] if p["role"]["coding"][0]["code"] != "coordinator"
    ]
    for p in team["participant"]:
        del p["role"]
        p.pop("extension", None)
    snapshot = bundle_to_plan(bundle)
    assert [p.kind for p in snapshot.participants] == [
        "organisation",
        "organisation",
        "person",
        "guardian",
        "relative",
        "other",
    ]
    assert {p.status for p in snapshot.participants} == {"invited"}
    assert snapshot.coordinator_name == ""


# --- invalid bundles ---------------------------------------------------------------------------


def broken(change) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    bundle = copy.deepcopy(plan_to_bundle(swedish_example()))
    change(bundle)
    return bundle


def _set(kind: str, key: str, value: Any):  # type: ignore[no-untyped-def]
    def change(bundle: dict[str, Any]) -> None:
        resource = one(bundle, kind) if kind != "Consent" else resources(bundle, kind)[0]
        if value is None:
            del resource[key]
        else:
            resource[key] = value

    return change


def _drop(kind: str):  # type: ignore[no-untyped-def]
    def change(bundle: dict[str, Any]) -> None:
        bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != kind]

    return change


def _patient_number(value: str):  # type: ignore[no-untyped-def]
    def change(bundle: dict[str, Any]) -> None:
        one(bundle, "Patient")["identifier"][0]["value"] = value

    return change


def _org_number(value: str):  # type: ignore[no-untyped-def]
    def change(bundle: dict[str, Any]) -> None:
        for org in resources(bundle, "Organization"):
            for identifier in org.get("identifier", []):
                if identifier["system"] == codes.ORG_NUMBER_SYSTEM:
                    identifier["value"] = value

    return change


def _dangling_goal(bundle: dict[str, Any]) -> None:
    one(bundle, "CarePlan")["goal"][0]["reference"] = (
        "urn:uuid:00000000-0000-0000-0000-000000000000"
    )


def _careplan_twice(bundle: dict[str, Any]) -> None:
    entry = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "CarePlan")
    bundle["entry"].append({**entry, "fullUrl": "urn:uuid:11111111-1111-1111-1111-111111111111"})


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        (_set("CarePlan", "status", "draft"), "CarePlan.status", "active, completed eller revoked"),
        (_set("CarePlan", "subject", None), "CarePlan.subject", "saknas"),
        (_set("CarePlan", "period", {"start": "2026-13-01"}), "CarePlan.period.start", "Ogiltigt"),
        (_set("Consent", "status", "proposed"), "Consent[0].status", "active eller inactive"),
        (
            _set("Consent", "period", {"start": "2026-11-02T10:00:00+01:00"}),
            "Consent[0].period.end",
            "återkallat",
        ),
        (_drop("CarePlan"), "CarePlan", "exakt en CarePlan"),
        (_careplan_twice, "CarePlan", "exakt en CarePlan"),
        (_drop("Patient"), "CarePlan.subject", "inte finns i filen"),
        (_dangling_goal, "CarePlan.goal[0]", "inte finns i filen"),
        (_patient_number("201205171233"), "Patient.identifier", "kontrollsiffra"),
        (_org_number("2120002818"), "Organization[0].identifier", "Organisationsnumret"),
    ],
    ids=[
        "draft-status",
        "no-subject",
        "bad-date",
        "consent-status",
        "inactive-without-end",
        "no-careplan",
        "two-careplans",
        "no-patient",
        "dangling-reference",
        "bad-personnummer",
        "bad-org-number",
    ],
)
def test_invalid_bundles_name_resource_and_field(change, field: str, fragment: str):  # type: ignore[no-untyped-def]
    with pytest.raises(SipValidationError) as raised:
        bundle_to_plan(broken(change))
    assert raised.value.field == field
    assert fragment in raised.value.message


def test_resource_validation_names_the_resource():
    def change(bundle: dict[str, Any]) -> None:
        resources(bundle, "Appointment")[0]["start"] = "i morgon"

    with pytest.raises(SipValidationError) as raised:
        bundle_to_plan(broken(change))
    assert raised.value.field == "Appointment.start"
    assert "Appointment (post" in raised.value.message


ENTRY = "entry[0].resource"
UNKNOWN = {"resourceType": "Nonsens"}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ("{inte json", "Bundle"),
        (b"\xff\xfe", "Bundle"),
        ({"resourceType": "Patient"}, "Bundle.resourceType"),
        ([], "Bundle.resourceType"),
        ({"resourceType": "Bundle", "entry": [{"resource": {}}]}, ENTRY + ".resourceType"),
        ({"resourceType": "Bundle", "entry": [{"resource": UNKNOWN}]}, ENTRY + ".resourceType"),
        ({"resourceType": "Bundle", "type": "collection"}, "CarePlan"),
    ],
)  # fmt: skip
def test_not_a_bundle(data: Any, field: str):
    with pytest.raises(SipValidationError) as raised:
        bundle_to_plan(data)
    assert raised.value.field == field


def test_plan_content_errors_are_sip_errors():
    def change(bundle: dict[str, Any]) -> None:
        for request in resources(bundle, "ServiceRequest"):
            request["occurrencePeriod"] = {"start": "2027-02-01", "end": "2027-01-01"}

    with pytest.raises(SipValidationError) as raised:
        bundle_to_plan(broken(change))
    assert raised.value.field == "CarePlan(plan).interventions[0].end"
    assert "före startdatumet" in raised.value.message


def test_snapshot_rejects_unlisted_organisations():
    with pytest.raises(ValueError, match="referenced but not listed"):
        swedish_example(lead_organisation_id=999)
    assert {KIRUNA_ID, BUP_ID, SKOLA_ID} == swedish_example().referenced_organisation_ids()
