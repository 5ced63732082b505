"""Identifier systems, code systems and extension URLs of the SIP FHIR mapping.

Everything a receiving system must recognise is named here once, with the reason for the
choice, so export (:mod:`.export`) and import (:mod:`.imports`) cannot drift apart.

Identity numbers follow HL7 Sweden's base profiles (SEBasePatient), the national FHIR
convention:

- personnummer: ``http://electronichealth.se/identifier/personnummer``,
- samordningsnummer: ``http://electronichealth.se/identifier/samordningsnummer``,

both with the 12-digit value ``YYYYMMDDNNNC`` without separator (the profiles' invariant,
and exactly :class:`~datasmart.sip.domain.identity.IdentityNumber` ``.value``). Older Swedish
specifications (RIV-TA, HL7 v3, CDA) name the same number spaces by OID:
``1.2.752.129.2.1.3.1`` (personnummer) and ``1.2.752.129.2.1.3.3`` (samordningsnummer).
HL7 Sweden chose the URIs for FHIR, so the export writes the URIs; the import also accepts
the OIDs as ``urn:oid:…`` so bundles from systems still using them can be read.

Reserve numbers (reservnummer) have no national system: each region issues its own
formats (HL7 Sweden lists a dozen), and datasmart accepts any of them without knowing
which region issued it (:mod:`datasmart.sip.domain.identity`). Claiming a region's system or the
proposed ``nationelltReservnummer`` would be false, so they are written under datasmart's
own :data:`RESERVE_NUMBER_SYSTEM` with ``use = temp``.

Organisations carry their organisationsnummer under ``urn:oid:2.5.4.97`` (X.520
*organizationIdentifier*) with identifier type ``v2-0203#XX`` (organisation identifier),
as HL7 Sweden's SEBaseOrganization profile slices it. The value is the 10 digits without
separator; the import also accepts ``NNNNNN-NNNN``. Organisations are matched on import by
this number (or by name when a bundle has none), never by datasmart's internal id.

What no standard covers (the plan's own id, datasmart's organisation ids, participant
answers, closure reasons …) lives under :data:`DATASMART_FHIR_BASE`, datasmart's own
namespace. It is a fixed constant on purpose: the import recognises exactly these URLs,
so changing it would make earlier exports unreadable.
"""

from __future__ import annotations

from typing import Final

#: Root of datasmart's own identifier systems, code systems and extensions.
DATASMART_FHIR_BASE: Final = "https://datasmart.se/fhir"

# --- identifier systems --------------------------------------------------------------------

PERSONNUMMER_SYSTEM: Final = "http://electronichealth.se/identifier/personnummer"
SAMORDNINGSNUMMER_SYSTEM: Final = "http://electronichealth.se/identifier/samordningsnummer"
PERSONNUMMER_OID: Final = "urn:oid:1.2.752.129.2.1.3.1"
SAMORDNINGSNUMMER_OID: Final = "urn:oid:1.2.752.129.2.1.3.3"
RESERVE_NUMBER_SYSTEM: Final = f"{DATASMART_FHIR_BASE}/identifier/reservnummer"

#: Identifier system → ``IdKind`` value, for the import (export writes the first of each).
PERSON_SYSTEMS: Final[dict[str, str]] = {
    PERSONNUMMER_SYSTEM: "personnummer",
    PERSONNUMMER_OID: "personnummer",
    SAMORDNINGSNUMMER_SYSTEM: "samordningsnummer",
    SAMORDNINGSNUMMER_OID: "samordningsnummer",
    RESERVE_NUMBER_SYSTEM: "reserve",
}
#: ``IdKind`` value → the system the export writes.
EXPORT_PERSON_SYSTEM: Final[dict[str, str]] = {
    "personnummer": PERSONNUMMER_SYSTEM,
    "samordningsnummer": SAMORDNINGSNUMMER_SYSTEM,
    "reserve": RESERVE_NUMBER_SYSTEM,
}

ORG_NUMBER_SYSTEM: Final = "urn:oid:2.5.4.97"
V2_IDENTIFIER_TYPE: Final = "http://terminology.hl7.org/CodeSystem/v2-0203"
#: datasmart's ``accounts.Organisation`` id: lets a bundle come back to the same snapshot.
ORGANISATION_ID_SYSTEM: Final = f"{DATASMART_FHIR_BASE}/identifier/organisation"
#: The plan's UUID (``Sip.id``), assigned by the owner organisation.
SIP_ID_SYSTEM: Final = f"{DATASMART_FHIR_BASE}/identifier/sip"

# --- code systems --------------------------------------------------------------------------

SIP_CATEGORY_SYSTEM: Final = f"{DATASMART_FHIR_BASE}/CodeSystem/sip-category"
PARTICIPANT_ROLE_SYSTEM: Final = f"{DATASMART_FHIR_BASE}/CodeSystem/sip-participant-role"
PARTICIPANT_STATUS_SYSTEM: Final = f"{DATASMART_FHIR_BASE}/CodeSystem/sip-participant-status"
MEETING_KIND_SYSTEM: Final = f"{DATASMART_FHIR_BASE}/CodeSystem/sip-meeting-kind"
CLOSED_REASON_SYSTEM: Final = f"{DATASMART_FHIR_BASE}/CodeSystem/sip-closed-reason"
V2_APPOINTMENT_TYPE: Final = "http://terminology.hl7.org/CodeSystem/v2-0276"
V3_ROLE_CODE: Final = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
V3_PARTICIPATION_TYPE: Final = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
LOINC: Final = "http://loinc.org"

#: Participant kinds (``ParticipantKind`` values) and the coordinator: CareTeam roles.
PARTICIPANT_ROLES: Final[dict[str, str]] = {
    "organisation": "Organisation",
    "person": "Personen",
    "guardian": "Vårdnadshavare",
    "relative": "Närstående",
    "other": "Annan",
    "coordinator": "SIP-samordnare",
}
#: RelatedPerson.relationship for guardians and relatives (HL7 v3 RoleCode), so that
#: systems that do not know datasmart's role codes still see who they are.
RELATIONSHIP_CODES: Final[dict[str, tuple[str, str]]] = {
    "guardian": ("GUARD", "guardian"),
    "relative": ("FAMMEMB", "family member"),
}
MEETING_KINDS: Final[dict[str, str]] = {"first": "Första SIP-mötet", "follow_up": "Uppföljning"}
#: Meeting kind → HL7 v2 appointment type, for systems that do not know datasmart's codes.
MEETING_V2_TYPES: Final[dict[str, tuple[str, str]]] = {
    "first": ("ROUTINE", "Routine appointment"),
    "follow_up": ("FOLLOWUP", "A follow up visit from a previous appointment"),
}
CLOSED_REASONS: Final[dict[str, str]] = {
    "goals_met": "Målen är uppnådda",
    "person_ended": "Personen har avslutat planen",
    "consent_withdrawn": "Samtycket har återkallats",
    "moved": "Personen har flyttat",
    "other": "Annat skäl",
}
#: Closure reasons that end the plan against its intent (``revoked``) rather than
#: because it is done (``completed``): the person said no.
REVOKING_REASONS: Final = frozenset({"person_ended", "consent_withdrawn"})

# --- extensions ----------------------------------------------------------------------------

_EXT = f"{DATASMART_FHIR_BASE}/StructureDefinition"
#: CarePlan: ``Sip.version``, the optimistic-locking counter (valuePositiveInt).
EXT_SIP_VERSION: Final = f"{_EXT}/sip-version"
#: CarePlan: ``PlanVersion.number`` of the plan content in the bundle (valuePositiveInt).
EXT_PLAN_VERSION: Final = f"{_EXT}/sip-plan-version"
#: CarePlan: the plan is for a child (consent by a guardian) (valueBoolean).
EXT_IS_CHILD: Final = f"{_EXT}/sip-is-child"
#: CarePlan: one per planned follow-up date of the plan content (valueDate, repeats).
EXT_FOLLOW_UP_DATE: Final = f"{_EXT}/sip-follow-up-date"
#: CarePlan: the coordinator named in the plan content (valueString). The plan's current
#: coordinator is the CareTeam participant with role ``coordinator``; the content keeps
#: the name as written in that version, which can differ.
EXT_PLAN_COORDINATOR: Final = f"{_EXT}/sip-plan-coordinator"
#: CarePlan: why a closed plan was closed (valueCoding from CLOSED_REASON_SYSTEM).
EXT_CLOSED_REASON: Final = f"{_EXT}/sip-closed-reason"
#: CarePlan: free-text note on the closure (valueString).
EXT_CLOSED_NOTE: Final = f"{_EXT}/sip-closed-note"
#: CareTeam.participant: answer to the invitation (valueCode invited|accepted|declined).
EXT_PARTICIPANT_STATUS: Final = f"{_EXT}/sip-participant-status"
#: CareTeam.participant: when invited / when answered (valueDateTime).
EXT_INVITED_AT: Final = f"{_EXT}/sip-invited-at"
EXT_RESPONDED_AT: Final = f"{_EXT}/sip-responded-at"
#: CareTeam.participant of an organisation or the person: the contact name and e-mail
#: the invitation went to (relatives and others have them on their RelatedPerson).
EXT_CONTACT_NAME: Final = f"{_EXT}/sip-contact-name"
EXT_CONTACT_EMAIL: Final = f"{_EXT}/sip-contact-email"
#: Consent: who withdrew it, as recorded (valueString).
EXT_WITHDRAWN_BY: Final = f"{_EXT}/sip-consent-withdrawn-by"
#: Consent: it ended because a newer consent replaced it, not by withdrawal (valueBoolean
#: true; ``period.end`` holds when).
EXT_SUPERSEDED: Final = f"{_EXT}/sip-consent-superseded"
#: Appointment: when the meeting was actually held (valueDateTime).
EXT_HELD_AT: Final = f"{_EXT}/sip-meeting-held-at"

#: The legal basis shown on every consent (export only).
REGULATORY_BASIS: Final = "2 kap. 7 § SoL, 16 kap. 4 § HSL"
