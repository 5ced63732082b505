"""Invitation links: how the person (or a guardian, relative …) opens their plan without a
staff account (part of :mod:`datasmart.sip.services`).

The secret is 256 bits from :func:`secrets.token_urlsafe`; only its SHA-256 is stored,
so a database leak yields no working link. A link works once and until it expires;
opening it starts a session (a :class:`~datasmart.sip.domain.actors.PersonActor`) limited to that
plan for :data:`~datasmart.sip.domain.access.LINK_SESSION`. Unknown, used and expired secrets
all raise :class:`SipNotFound` (the reason goes to the audit log, not to the caller).

Links are credentials, not plan content: creating or opening one is logged and audited
but does not bump the plan's version (it would make a caseworker's edit stale for no
reason).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any, Final

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from datasmart.sip.domain.access import audit_denied, get_visible_sip, parse_uuid
from datasmart.sip.domain.access_log import log_access
from datasmart.sip.domain.actors import Actor, PersonActor
from datasmart.sip.domain.errors import SipNotFound, SipValidationError
from datasmart.sip.domain.guards import audit, require_active, require_staff
from datasmart.sip.models import AccessAction, InvitationLink, Participant, ParticipantKind

__all__ = ["MAX_VALIDITY", "create_invitation_link", "redeem_invitation_link", "token_digest"]

#: The longest a link may stay valid.
MAX_VALIDITY: Final = dt.timedelta(days=30)
DEFAULT_VALIDITY: Final = dt.timedelta(days=7)
_MAX_SECRET_LENGTH: Final = 200


def token_digest(secret: str) -> str:
    """SHA-256 (hex) of a link secret: what the database stores instead of the secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_invitation_link(
    actor: Actor,
    sip_id: Any,
    participant_id: Any = None,
    *,
    valid_for: dt.timedelta = DEFAULT_VALIDITY,
) -> tuple[InvitationLink, str]:
    """A one-use link for the person (``participant_id`` None) or for an invited person,
    guardian, relative or other participant. Returns ``(link, secret)``; show the secret
    once (put it in the URL sent to the person) — it cannot be recovered."""
    sip = get_visible_sip(actor, sip_id)
    staff = require_staff(actor, sip, "create_invitation_link")
    require_active(sip)
    participant = None
    if participant_id is not None:
        pk = parse_uuid(participant_id)
        participant = Participant.objects.filter(pk=pk, sip=sip).first() if pk else None
        if participant is None:
            raise SipNotFound(_("Deltagaren finns inte."))
        if participant.kind == ParticipantKind.ORGANISATION:
            raise SipValidationError(
                _("Organisationer når planen med sina egna konton, inte via länk."),
                field="participant_id",
            )
    if not isinstance(valid_for, dt.timedelta) or not (
        dt.timedelta(minutes=5) <= valid_for <= MAX_VALIDITY
    ):
        raise SipValidationError(
            _("En länk kan gälla från fem minuter upp till %(days)d dagar.")
            % {"days": MAX_VALIDITY.days},
            field="valid_for",
        )
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        link = InvitationLink.objects.create(
            sip=sip,
            participant=participant,
            token_digest=token_digest(secret),
            expires_at=timezone.now() + valid_for,
            created_by=staff.user,
        )
        detail = {
            "link": str(link.pk),
            "participant": str(participant.pk) if participant else None,
            "expires_at": link.expires_at.isoformat(),
        }
        log_access(staff, sip.pk, AccessAction.LINK_CREATED, detail)
        audit("sip.invitationlink.create", staff, sip, **detail)
    return link, secret


def redeem_invitation_link(secret: str) -> PersonActor:
    """Open a link: mark it used and return the session's actor, or raise
    :class:`SipNotFound` (unknown, used, expired, or the plan erased)."""
    if not isinstance(secret, str) or not secret or len(secret) > _MAX_SECRET_LENGTH:
        audit_denied(None, "", via="link", reason="malformed")
        raise SipNotFound()
    now = timezone.now()
    link = (
        InvitationLink.objects.select_related("sip__person", "participant")
        .filter(token_digest=token_digest(secret))
        .first()
    )
    reason = ""
    if link is None:
        reason = "unknown"
    elif link.used_at is not None:
        reason = "used"
    elif link.expires_at <= now:
        reason = "expired"
    elif link.sip.person is None or link.sip.erased_at is not None:
        reason = "erased"
    if link is None or reason:
        audit_denied(None, link.sip_id if link else "", via="link", reason=reason)
        raise SipNotFound()
    sip = link.sip
    assert sip.person is not None  # checked above
    with transaction.atomic():
        # Conditional: of two concurrent openings of the same link exactly one wins.
        claimed = InvitationLink.objects.filter(
            pk=link.pk, used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if claimed == 0:
            raise SipNotFound()
        actor = PersonActor(
            person=sip.person,
            via="link",
            link_id=link.pk,
            sip_id=sip.pk,
            participant_kind=link.participant.kind if link.participant else "",
        )
        log_access(actor, sip.pk, AccessAction.LINK_REDEEMED, {"link": str(link.pk)})
        audit("sip.invitationlink.update", actor, sip, link=str(link.pk), change="redeemed")
    return actor
