"""FHIR R5 export and import of a SIP plan (issue #6, "Interoperability").

Two layers:

- pure mapping, no database: :func:`plan_to_bundle` turns a
  :class:`~datasmart.sip.snapshot.SipSnapshot` into a FHIR ``Bundle`` (CarePlan, CareTeam,
  Consent, Goal, ServiceRequest, Task, Appointment, Patient, Organization, RelatedPerson),
  :func:`bundle_to_plan` reads one back; ``bundle_to_plan(plan_to_bundle(s)) == s``.
  The mapping is described in :mod:`.fhir_export`, the identifier systems and extension
  URLs in :mod:`.fhir_codes`, the reading rules in :mod:`.fhir_import`.
- services (access-checked and logged like every SIP read and write) build on it and
  are added to this module once the SIP services exist.

Resources are built and validated with ``fhir.resources`` (8.x models FHIR R5).
"""

from __future__ import annotations

from .fhir_export import plan_to_bundle
from .fhir_import import bundle_to_plan

__all__ = ["bundle_to_plan", "plan_to_bundle"]
