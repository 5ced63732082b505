"""Everything about a person's plan, for the person (GDPR art. 15 access, art. 20
portability; part of :mod:`datasmart.sip.services`).

The export is one of the two places the full identity number leaves the database
(the other is the FHIR export). It includes the plan's access log, so the person sees who
has read their plan; the export itself is logged first and so appears in it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from datasmart.sip.domain.access import get_visible_sip, is_owner
from datasmart.sip.domain.access_log import log_access, log_of, who_for_person
from datasmart.sip.domain.actors import Actor, PersonActor
from datasmart.sip.domain.guards import forbid, require_person
from datasmart.sip.domain.identity import decrypt_identity
from datasmart.sip.models import AccessAction, Sip

__all__ = ["export_person_data"]

FORMAT_VERSION = 1


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _organisation(org: Any) -> dict[str, Any] | None:
    if org is None:
        return None
    return {"id": org.pk, "name": org.name, "org_number": org.org_number}


def export_person_data(actor: Actor, sip_id: Any) -> dict[str, Any]:
    """A JSON-ready dict of the plan and everything recorded about the person in it.

    For the person (or guardian) themselves, or for staff of the owner organisation
    handling the person's request.
    """
    sip = get_visible_sip(actor, sip_id)
    if isinstance(actor, PersonActor):
        require_person(actor, sip, "export")
    elif not is_owner(actor, sip):
        forbid(actor, sip, "export")
    with transaction.atomic():
        log_access(actor, sip.pk, AccessAction.EXPORT)
        return _collect(sip)


def _collect(sip: Sip) -> dict[str, Any]:
    person = sip.person
    assert person is not None  # erased plans are visible to no one
    return {
        "format": "datasmart.sip.person-export",
        "format_version": FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "person": {
            "id": str(person.pk),
            "display_name": sip.display_name,
            "id_kind": person.id_kind,
            "identity_number": decrypt_identity(person.id_encrypted),
            "birth_date": _iso(person.birth_date),
        },
        "sip": {
            "id": str(sip.pk),
            "status": sip.status,
            "version": sip.version,
            "started_at": _iso(sip.started_at),
            "need": sip.need,
            "is_child": sip.is_child,
            "owner_organisation": _organisation(sip.owner_organisation),
            "lead_organisation": _organisation(sip.lead_organisation),
            "coordinator_name": sip.coordinator_name,
            "closed_at": _iso(sip.closed_at),
            "closed_reason": sip.closed_reason,
            "closed_note": sip.closed_note,
            "retain_until": _iso(sip.retain_until),
        },
        "consents": [
            {
                "given_by": c.given_by,
                "guardian_name": c.guardian_name,
                "given_at": _iso(c.given_at),
                "organisations": [_organisation(o) for o in c.organisations.all()],
                "withdrawn_at": _iso(c.withdrawn_at),
                "withdrawn_by": c.withdrawn_by_label,
                "superseded_at": _iso(c.superseded_at),
            }
            for c in sip.consents.prefetch_related("organisations").order_by("given_at", "id")
        ],
        "participants": [
            {
                "id": str(p.pk),
                "kind": p.kind,
                "organisation": _organisation(p.organisation),
                "unit_name": p.unit_name,
                "name": p.name,
                "email": p.email,
                "status": p.status,
                "invited_at": _iso(p.invited_at),
                "responded_at": _iso(p.responded_at),
            }
            for p in sip.participants.select_related("organisation").order_by("invited_at", "id")
        ],
        "meetings": [
            {
                "id": m.pk,
                "kind": m.kind,
                "scheduled_at": _iso(m.scheduled_at),
                "location": m.location,
                "held_at": _iso(m.held_at),
            }
            for m in sip.meetings.order_by("scheduled_at", "id")
        ],
        "plan_versions": [
            {
                "number": v.number,
                "content": v.content,
                "created_at": _iso(v.created_at),
                "created_by": v.created_by_label,
                "meeting_id": v.meeting_id,
            }
            for v in sip.plan_versions.order_by("number")
        ],
        "responses": [
            {
                "plan_version": r.plan_version.number,
                "kind": r.kind,
                "text": r.text,
                "created_at": _iso(r.created_at),
            }
            for r in sip.person_responses.select_related("plan_version").order_by(
                "created_at", "id"
            )
        ],
        "invitation_links": [
            {
                "id": str(link.pk),
                "participant": str(link.participant_id) if link.participant_id else None,
                "created_at": _iso(link.created_at),
                "expires_at": _iso(link.expires_at),
                "used_at": _iso(link.used_at),
            }
            for link in sip.invitation_links.order_by("created_at")
        ],
        "access_log": [
            {
                "at": _iso(row.at),
                "who": who_for_person(row),
                "organisation": row.organisation_name,
                "action": row.action,
                "detail": row.detail,
            }
            for row in log_of(sip.pk)
        ],
    }
