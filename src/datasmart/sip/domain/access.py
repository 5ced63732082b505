"""Need-to-know: which plans an actor may see (ADR 0004, principle 2).

A plan is visible to

- caseworkers (``Permission.READ_SIP_PLANS``) acting for the **owner** organisation, the
  one that started the plan — always, also after consent is withdrawn (it keeps its own
  record);
- caseworkers acting for a **participating** organisation, only while the plan's active
  consent (the one neither withdrawn nor superseded by a later recording) names that
  organisation;
- the **person**, through their own account (all their plans) or an invitation-link
  session (that one plan, for :data:`LINK_SESSION` after the link was opened).

Nobody else: not administrators, coordinators or viewers of the owner organisation, not
superusers (``READ_SIP_PLANS`` is in ``SUPERUSER_EXCLUDED``), not other organisations.
Erased plans are visible to no one. For everyone who may not see a plan it does not
exist: :func:`get_visible_sip` raises :class:`~datasmart.sip.domain.errors.SipNotFound` exactly
as for an unknown id, and writes ``sip.access_denied`` to the general audit log in its own
transaction, so the attempt is on record even when the caller rolls back.

:func:`visible_sips` is the one definition of the policy; lists filter with it and single
reads fetch through it, so the two can never disagree.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Final

from django.db.models import Q, QuerySet
from django.utils import timezone

from datasmart.accounts.audit import record_event_autonomous
from datasmart.accounts.models import Organisation
from datasmart.accounts.permissions import Permission, has_permission
from datasmart.sip.domain.actors import VIA_ACCOUNT, Actor, PersonActor, StaffActor, actor_user
from datasmart.sip.domain.errors import SipNotFound
from datasmart.sip.models import Consent, InvitationLink, Sip

__all__ = [
    "LINK_SESSION",
    "active_consent",
    "audit_denied",
    "consent_covers",
    "get_visible_sip",
    "is_owner",
    "open_consents",
    "parse_uuid",
    "valid_link",
    "visible_sips",
]

#: How long an invitation-link session lasts after the link was opened.
LINK_SESSION: Final = dt.timedelta(hours=8)


def parse_uuid(value: Any) -> uuid.UUID | None:
    """``value`` as a UUID, or None for anything malformed (treated as not found)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def open_consents() -> QuerySet[Consent, Consent]:
    """Consents in force: neither withdrawn nor replaced by a newer recording. A plan has
    at most one (``record_consent`` closes the earlier ones in the same transaction, and
    the database enforces it with the unique constraint ``sip_consent_one_open``)."""
    return Consent.objects.filter(withdrawn_at__isnull=True, superseded_at__isnull=True)


def _consented_sip_ids(organisation: Organisation) -> QuerySet[Consent, Any]:
    """Ids of plans whose active consent names ``organisation``."""
    return open_consents().filter(organisations=organisation).values("sip_id")


def active_consent(sip: Sip) -> Consent | None:
    """The plan's active consent: the one in force (neither withdrawn nor superseded).

    Not "the latest ``given_at``": a consent dated in the future (an import from another
    system) would then outlive a narrower consent recorded after it.
    """
    return open_consents().filter(sip=sip).order_by("-given_at", "-id").first()


def consent_covers(sip: Sip, organisation_id: int) -> bool:
    """Whether the plan's active consent names the organisation."""
    consent = active_consent(sip)
    return consent is not None and consent.organisations.filter(pk=organisation_id).exists()


def valid_link(actor: PersonActor, now: dt.datetime | None = None) -> InvitationLink | None:
    """The redeemed, still-valid link behind a link session, or None.

    The session's ``participant_kind`` must match the link's participant, so an actor
    cannot claim to be the person on a link made for a relative.
    """
    if actor.link_id is None or actor.sip_id is None:
        return None
    now = now or timezone.now()
    link = (
        InvitationLink.objects.select_related("participant")
        .filter(
            pk=actor.link_id,
            sip_id=actor.sip_id,
            used_at__isnull=False,
            used_at__gt=now - LINK_SESSION,
        )
        .first()
    )
    if link is None:
        return None
    kind = link.participant.kind if link.participant is not None else ""
    return link if kind == actor.participant_kind else None


def visible_sips(actor: Actor) -> QuerySet[Sip]:
    """Every plan ``actor`` may see (the need-to-know policy as one queryset)."""
    base = Sip.objects.filter(erased_at__isnull=True, person__isnull=False)
    if isinstance(actor, StaffActor):
        org = actor.organisation
        if not has_permission(actor.user, Permission.READ_SIP_PLANS, org):
            return Sip.objects.none()
        return base.filter(Q(owner_organisation=org) | Q(pk__in=_consented_sip_ids(org)))
    if isinstance(actor, PersonActor):
        if actor.via == VIA_ACCOUNT:
            user_id = actor.person.user_id
            if user_id is None:
                return Sip.objects.none()
            return base.filter(
                person_id=actor.person.pk, person__user_id=user_id, person__user__is_active=True
            )
        link = valid_link(actor)
        if link is None:
            return Sip.objects.none()
        return base.filter(pk=link.sip_id, person_id=actor.person.pk)
    return Sip.objects.none()


def audit_denied(actor: Actor | None, target_id: Any, **detail: Any) -> None:
    """Record ``sip.access_denied`` so that it survives the caller's rollback."""
    kind = "staff" if isinstance(actor, StaffActor) else "person" if actor else "anonymous"
    record_event_autonomous(
        "sip.access_denied",
        actor=actor_user(actor) if actor is not None else None,
        organisation=actor.organisation if isinstance(actor, StaffActor) else "",
        target_type="sip.sip",
        target_id=str(target_id).replace("\x00", "")[:64],  # PostgreSQL text has no NUL
        detail={"actor_kind": kind, **detail},
    )


def get_visible_sip(actor: Actor, sip_id: Any) -> Sip:
    """The plan if ``actor`` may see it; otherwise audit and raise :class:`SipNotFound`.

    Unknown, malformed and forbidden ids are treated alike (opaque ids, principle 6).
    """
    pk = parse_uuid(sip_id)
    sip = None
    if pk is not None:
        sip = (
            visible_sips(actor)
            .select_related("person", "owner_organisation", "lead_organisation")
            .filter(pk=pk)
            .first()
        )
    if sip is None:
        audit_denied(actor, sip_id)
        raise SipNotFound()
    return sip


def is_owner(actor: Actor, sip: Sip) -> bool:
    """Whether ``actor`` is staff of the organisation that started the plan."""
    return isinstance(actor, StaffActor) and actor.organisation.pk == sip.owner_organisation_id
