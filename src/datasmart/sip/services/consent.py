"""Recording and withdrawing consent (part of :mod:`datasmart.sip.services`).

Consent decides which organisations besides the owner may see a plan. A new consent
replaces the previous one: recording it marks every earlier open consent superseded
(``superseded_at``) in the same transaction, so exactly one consent is in force and an
organisation left out of a narrower consent loses access at once, whatever dates the
earlier consents carry. Withdrawal withdraws every open consent at once and takes effect
in the same transaction: the next read by a participating organisation finds nothing.

Who may give consent depends on the person's age (a guardian for a child under 15, the
person for an adult): :func:`datasmart.sip.domain.plausibility.check_consent_giver`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from datasmart.sip.domain.access import get_visible_sip, is_owner, open_consents
from datasmart.sip.domain.access_log import log_access
from datasmart.sip.domain.actors import Actor, PersonActor
from datasmart.sip.domain.errors import SipValidationError
from datasmart.sip.domain.guards import (
    apply_write,
    audit,
    bounded_text,
    bump,
    forbid,
    require_active,
    require_owner,
    require_person,
    resolve_organisations,
)
from datasmart.sip.domain.plausibility import check_consent_giver
from datasmart.sip.models import AccessAction, Consent, ConsentGivenBy, Sip

__all__ = ["record_consent", "withdraw_consent"]


def _organisation_ids(value: Any) -> dict[str, int]:
    if not isinstance(value, list | tuple | set | frozenset):
        raise SipValidationError(_("Ska vara en lista."), field="organisation_ids")
    ids = list(value)
    if not ids:
        raise SipValidationError(
            _("Ange minst en organisation som samtycket gäller."), field="organisation_ids"
        )
    return {f"organisation_ids[{i}]": org_id for i, org_id in enumerate(ids)}


def record_consent(
    actor: Actor,
    sip_id: Any,
    *,
    expected_version: int,
    given_by: ConsentGivenBy | str,
    guardian_name: str = "",
    organisation_ids: list[int],
) -> Consent:
    """Record the person's (or guardian's) consent to share the plan with
    ``organisation_ids``. Staff of the owner organisation record it; from now on exactly
    these organisations (besides the owner) may see the plan: every earlier open consent
    is superseded in the same transaction."""
    sip = get_visible_sip(actor, sip_id)
    staff = require_owner(actor, sip, "record_consent")
    require_active(sip)
    if given_by not in ConsentGivenBy.values:
        raise SipValidationError(
            _("Ange vem som gav samtycket: personen eller vårdnadshavare."), field="given_by"
        )
    guardian_name = bounded_text(
        guardian_name,
        "guardian_name",
        max_length=200,
        required=given_by == ConsentGivenBy.GUARDIAN,
    )
    check_consent_giver(sip.person.birth_date if sip.person else None, str(given_by))
    organisations = resolve_organisations(_organisation_ids(organisation_ids))
    unique = list({org.pk: org for org in organisations.values()}.values())
    with transaction.atomic():
        apply_write(staff, sip, expected_version)
        now = timezone.now()
        superseded = open_consents().filter(sip=sip).update(superseded_at=now)
        consent = Consent.objects.create(
            sip=sip,
            given_by=str(given_by),
            guardian_name=guardian_name if given_by == ConsentGivenBy.GUARDIAN else "",
            given_at=now,
            recorded_by=staff.user,
        )
        consent.organisations.set(unique)
        org_ids = sorted(org.pk for org in unique)
        log_access(staff, sip.pk, AccessAction.CONSENT, {"organisations": org_ids})
        audit(
            "sip.consent.create",
            staff,
            sip,
            consent=consent.pk,
            given_by=str(given_by),
            organisations=org_ids,
            superseded=superseded,
        )
    return consent


def withdraw_consent(actor: Actor, sip_id: Any) -> Sip:
    """Withdraw consent: the person (or guardian) or staff of the owner organisation.

    Needs no version: withdrawal must always succeed, so it bumps the version
    unconditionally (a concurrent edit then becomes stale). The consent in force is
    withdrawn; earlier ones were superseded when it was recorded and stay closed.
    Withdrawing when nothing is in force changes nothing (but is logged).
    """
    sip = get_visible_sip(actor, sip_id)
    if isinstance(actor, PersonActor):
        require_person(actor, sip, "withdraw_consent")
    elif not is_owner(actor, sip):
        forbid(actor, sip, "withdraw_consent")
    with transaction.atomic():
        in_force = open_consents().filter(sip=sip)
        withdrawn = 0
        if in_force.exists():
            bump(None, sip)  # the actor keeps access (owner or person): no re-check needed
            withdrawn = in_force.update(
                withdrawn_at=timezone.now(), withdrawn_by_label=actor.label[:200]
            )
            audit("sip.consent.update", actor, sip, change="withdrawn", consents=withdrawn)
        log_access(actor, sip.pk, AccessAction.CONSENT_WITHDRAWN, {"consents": withdrawn})
    return sip
