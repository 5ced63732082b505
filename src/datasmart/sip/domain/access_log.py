"""The SIP access log: who read or changed which plan, and when (ADR 0004, principle 3).

Services write one row per read or write *in the same transaction* as the read or write,
so a change never lands without its log row and a rolled-back change leaves none. A list
writes one ``list`` row per plan shown. ``detail`` holds ids, numbers and choice values,
never plan content (checked by the same rules as the general audit log).

The person sees their plan's log (``services.access_log``): "who has read my plan".
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from datasmart.accounts.audit import clean_detail
from datasmart.sip.domain.actors import Actor, actor_user
from datasmart.sip.models import AccessAction, Sip, SipAccessLog

__all__ = ["log_access", "log_list", "log_of", "who_for_person"]


def _row(
    actor: Actor | None,
    sip_id: uuid.UUID,
    action: AccessAction,
    detail: Mapping[str, Any] | None,
    label: str | None,
    at: Any,
) -> SipAccessLog:
    action = AccessAction(action)
    if actor is None and not label:
        raise ValueError("an access-log row without an actor needs a label")
    return SipAccessLog(
        sip_id=sip_id,
        at=at,
        actor=actor_user(actor) if actor is not None else None,
        actor_label=(label or (actor.label if actor is not None else ""))[:200],
        organisation_name=(actor.organisation_name if actor is not None else "")[:200],
        action=action,
        detail=clean_detail(detail),
    )


def log_access(
    actor: Actor | None,
    sip_id: uuid.UUID,
    action: AccessAction,
    detail: Mapping[str, Any] | None = None,
    *,
    label: str | None = None,
) -> SipAccessLog:
    """Append one row. ``actor`` None is the platform itself (retention), with ``label``."""
    row = _row(actor, sip_id, action, detail, label, timezone.now())
    row.save()
    return row


def log_list(actor: Actor, sips: Iterable[Sip]) -> int:
    """One ``list`` row per plan shown; returns the number written."""
    now = timezone.now()
    rows = [_row(actor, sip.pk, AccessAction.LIST, None, None, now) for sip in sips]
    SipAccessLog.objects.bulk_create(rows)
    return len(rows)


def log_of(sip_id: uuid.UUID) -> QuerySet[SipAccessLog]:
    """A plan's log, newest first. Callers check access first (``services.access_log``)."""
    return SipAccessLog.objects.filter(sip_id=sip_id).select_related("actor").order_by("-at", "-id")


def who_for_person(row: SipAccessLog) -> str:
    """ "Who" in the log as the person sees it: a staff member's name (the organisation is
    its own column), never their login name, which means nothing to the person and is
    part of the platform's sign-in. Without a recorded name: "En medarbetare". Rows by
    the person, a guardian or the platform keep their label ("Personen (eget konto)")."""
    if not row.organisation_name:
        return row.actor_label
    name = row.actor.get_full_name().strip() if row.actor is not None else ""
    return name or str(_("En medarbetare"))
