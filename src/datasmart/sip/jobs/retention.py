"""Retention: erase the personal content of closed plans whose time is up.

When a plan closes, ``retain_until`` is set to the closing date plus
``settings.SIP_RETENTION_DAYS`` (a configurable default of 3650 days, not a statement of
what the law requires; each organisation sets it from its records-management decision).
:func:`erase_expired`, run daily (e.g. from a scheduled job), then removes everything about
the person: the link to the person (and the person row once no plan refers to it), the
need, notes, plan versions, the person's answers, invitation links, participants' names
and e-mail addresses, guardian names and meeting places. What stays is what statistics
need: dates, organisations, geography, meeting times and the closure reason. The access
log stays too: it holds no plan content and records who read the plan.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from datasmart.sip.domain.access_log import log_access
from datasmart.sip.domain.guards import audit
from datasmart.sip.models import (
    AccessAction,
    Consent,
    InvitationLink,
    Meeting,
    Participant,
    Person,
    PersonResponse,
    PlanVersion,
    Sip,
    SipStatus,
)

__all__ = ["erase_expired", "erase_sip"]

SYSTEM_LABEL = "Gallring (systemet)"


def erase_expired(now: dt.datetime | None = None) -> int:
    """Erase every closed plan whose ``retain_until`` lies before today; returns how many.

    Each plan is erased in its own transaction, so a failure leaves the others done and
    a re-run continues where it stopped.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    due = Sip.objects.filter(
        status=SipStatus.CLOSED, erased_at__isnull=True, retain_until__lt=today
    ).values_list("pk", flat=True)
    return sum(1 for pk in list(due) if erase_sip(pk, now))


def erase_sip(sip_id: uuid.UUID, now: dt.datetime) -> bool:
    """Erase one closed plan's personal content (see the module docstring). False if it
    was not due (already erased, or reopened meanwhile)."""
    with transaction.atomic():
        sip = Sip.objects.select_for_update().filter(pk=sip_id).first()
        if sip is None or sip.erased_at is not None or sip.status != SipStatus.CLOSED:
            return False
        person_id = sip.person_id
        Sip.objects.filter(pk=sip.pk).update(
            version=F("version") + 1,
            person=None,
            display_name="",
            need="",
            closed_note="",
            coordinator_name="",
            erased_at=now,
        )
        sip.version += 1
        PersonResponse.objects.filter(sip=sip).delete()
        PlanVersion.objects.filter(sip=sip).delete()
        InvitationLink.objects.filter(sip=sip).delete()
        Participant.objects.filter(sip=sip).update(name="", email="")
        Consent.objects.filter(sip=sip).update(guardian_name="", withdrawn_by_label="")
        Meeting.objects.filter(sip=sip).update(location="")
        if person_id is not None and not Sip.objects.filter(person_id=person_id).exists():
            Person.objects.filter(pk=person_id).delete()
        log_access(None, sip.pk, AccessAction.ERASE, label=SYSTEM_LABEL)
        audit("sip.sip.update", None, sip, change="erased")
    return True
