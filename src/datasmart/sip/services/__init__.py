"""The SIP service contract (ADR 0004): the only code that reads or writes plans.

Views, the API, the CLI and the FHIR import call these functions with an actor
(:class:`~datasmart.sip.domain.actors.StaffActor` or
:class:`~datasmart.sip.domain.actors.PersonActor`).
Every function

- checks need-to-know access first (:mod:`datasmart.sip.domain.access`): a plan the actor may not
  see raises :class:`~datasmart.sip.domain.errors.SipNotFound` (404, audited as
  ``sip.access_denied``); an actor who may see it but not do the thing asked gets
  ``PermissionDenied`` (403, audited);
- validates input, raising :class:`~datasmart.sip.domain.errors.SipValidationError` (422) with
  ``.field`` naming the input, before anything is written;
- logs the read or write to :class:`~datasmart.sip.models.SipAccessLog` in the same
  transaction, and writes a general audit event (``sip.<thing>.<create|update>``) for
  every change, without personal content;
- for writes taking ``expected_version``: applies it with a conditional UPDATE; a stale
  version raises :class:`~datasmart.sip.domain.errors.StaleVersion` (409, ``.current_version``)
  and nothing is written.

The implementation is split by topic in this package: :mod:`.plan` (start, read, revise,
close, versions, log), :mod:`.consent`, :mod:`.meetings` (invitations, answers, meetings),
:mod:`.links` and :mod:`.person_data`; erasure is the job
:mod:`datasmart.sip.jobs.retention`. This ``__init__`` re-exports the contract. Modules
here may import :mod:`~datasmart.sip.domain`, the models, the jobs and Django/accounts/geo
— never pages, API or FHIR (those call the services).
"""

from __future__ import annotations

from datasmart.sip.domain.errors import SipNotFound, SipValidationError, StaleVersion
from datasmart.sip.jobs.retention import erase_expired
from datasmart.sip.services.consent import record_consent, withdraw_consent
from datasmart.sip.services.links import create_invitation_link, redeem_invitation_link
from datasmart.sip.services.meetings import invite, record_meeting_held, respond, schedule_follow_up
from datasmart.sip.services.person_data import export_person_data
from datasmart.sip.services.plan import (
    access_log,
    close_sip,
    compare_versions,
    get_sip,
    list_sips,
    person_respond,
    plan_versions,
    revise_plan,
    start_sip,
)

__all__ = [
    "SipNotFound",
    "SipValidationError",
    "StaleVersion",
    "access_log",
    "close_sip",
    "compare_versions",
    "create_invitation_link",
    "erase_expired",
    "export_person_data",
    "get_sip",
    "invite",
    "list_sips",
    "person_respond",
    "plan_versions",
    "record_consent",
    "record_meeting_held",
    "redeem_invitation_link",
    "respond",
    "revise_plan",
    "schedule_follow_up",
    "start_sip",
    "withdraw_consent",
]
