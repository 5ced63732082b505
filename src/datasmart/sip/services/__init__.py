"""The SIP service contract (ADR 0004): the only code that reads or writes plans.

Views, the API, the CLI and the FHIR import call these functions with an actor
(:class:`~datasmart.sip.actors.StaffActor` or :class:`~datasmart.sip.actors.PersonActor`).
Every function

- checks need-to-know access first (:mod:`datasmart.sip.access`): a plan the actor may not
  see raises :class:`~datasmart.sip.errors.SipNotFound` (404, audited as
  ``sip.access_denied``); an actor who may see it but not do the thing asked gets
  ``PermissionDenied`` (403, audited);
- validates input, raising :class:`~datasmart.sip.errors.SipValidationError` (422) with
  ``.field`` naming the input, before anything is written;
- logs the read or write to :class:`~datasmart.sip.models.SipAccessLog` in the same
  transaction, and writes a general audit event (``sip.<thing>.<create|update>``) for
  every change, without personal content;
- for writes taking ``expected_version``: applies it with a conditional UPDATE; a stale
  version raises :class:`~datasmart.sip.errors.StaleVersion` (409, ``.current_version``)
  and nothing is written.

The implementation is split by topic: :mod:`.services_plan` (start, read, revise, close,
versions, log), :mod:`.consent`, :mod:`.meetings` (invitations, answers, meetings),
:mod:`.links`, :mod:`.person_data` and :mod:`.retention`.
"""

from __future__ import annotations

from .consent import record_consent, withdraw_consent
from .errors import SipNotFound, SipValidationError, StaleVersion
from .links import create_invitation_link, redeem_invitation_link
from .meetings import invite, record_meeting_held, respond, schedule_follow_up
from .person_data import export_person_data
from .retention import erase_expired
from .services_plan import (
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
