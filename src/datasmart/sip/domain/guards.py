"""Checks and bookkeeping shared by the SIP services.

Who may do what *to a plan they can see* (staff, the owner, the person), input checks
that every service needs (aware datetimes, bounded text, existing organisations), the
general audit event written next to every change, and the optimistic-locking write that
starts every change (:func:`apply_write`).

A refusal here is ``PermissionDenied`` (403): the actor can see the plan, so saying "you
may not" reveals nothing. It is audited as ``auth.permission_denied`` in its own
transaction, like :func:`datasmart.accounts.permissions.deny`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, NoReturn

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from datasmart.accounts.audit import SYSTEM, record_event, record_event_autonomous
from datasmart.accounts.models import Organisation
from datasmart.accounts.permissions import Permission, has_permission, has_role_permission
from datasmart.sip.domain.access import valid_link, visible_sips
from datasmart.sip.domain.actors import Actor, PersonActor, StaffActor, actor_user
from datasmart.sip.domain.errors import SipNotFound, SipValidationError, StaleVersion
from datasmart.sip.models import Sip, SipStatus

__all__ = [
    "apply_write",
    "audit",
    "aware_datetime",
    "bounded_text",
    "bump",
    "forbid",
    "may_start",
    "require_active",
    "require_caseworker",
    "require_owner",
    "require_person",
    "require_staff",
    "resolve_organisations",
]


# --- who may -------------------------------------------------------------------------------


def may_start(staff: StaffActor) -> bool:
    """Whether :func:`require_caseworker` lets ``staff`` start a plan (for showing links)."""
    return has_role_permission(
        staff.user, Permission.CREATE_SIP, staff.organisation
    ) and has_permission(staff.user, Permission.READ_SIP_PLANS, staff.organisation)


def require_caseworker(staff: StaffActor, what: str) -> None:
    """Starting (or importing) a plan needs the caseworker role in the acting organisation,
    held by a user who can then open the plan.

    The organisation becomes the plan's owner and the user its caseworker, so the right
    must come from a role there (``CREATE_SIP``), not from superuser status, and the user
    must be able to read plans (``READ_SIP_PLANS``, never held by a superuser): a superuser
    who started a plan could not open it, leaving an orphan holding a personnummer.
    Refused with a Swedish message saying what is needed; audited.
    """
    user, organisation = staff.user, staff.organisation
    if may_start(staff):
        return
    record_event_autonomous(
        "auth.permission_denied",
        actor=user,
        organisation=organisation,
        target=organisation,
        detail={"area": "sip", "action": what, "permission": str(Permission.CREATE_SIP)},
    )
    if getattr(user, "is_superuser", False):
        message = _(
            "Ett superanvändarkonto läser aldrig planer och kan därför inte starta en SIP. "
            "Använd ett personligt konto med rollen handläggare i %(organisation)s."
        )
    else:
        message = _(
            "Att starta en SIP kräver rollen handläggare i organisationen du arbetar för "
            "(%(organisation)s). Be organisationens administratör om rollen."
        )
    raise PermissionDenied(message % {"organisation": organisation.name})


def forbid(actor: Actor, sip: Sip | None, what: str) -> NoReturn:
    """Audit (surviving rollback) and raise ``PermissionDenied``."""
    record_event_autonomous(
        "auth.permission_denied",
        actor=actor_user(actor),
        organisation=actor.organisation if isinstance(actor, StaffActor) else "",
        target_type="sip.sip",
        target_id=str(sip.pk) if sip is not None else "",
        detail={"area": "sip", "action": what},
    )
    raise PermissionDenied(_("Du saknar behörighet för detta."))


def require_staff(actor: Actor, sip: Sip | None, what: str) -> StaffActor:
    if not isinstance(actor, StaffActor):
        forbid(actor, sip, what)
    return actor


def require_owner(actor: Actor, sip: Sip, what: str) -> StaffActor:
    """Staff of the organisation that started the plan."""
    if not isinstance(actor, StaffActor) or actor.organisation.pk != sip.owner_organisation_id:
        forbid(actor, sip, what)
    return actor


def require_person(actor: Actor, sip: Sip, what: str) -> PersonActor:
    """The person or their guardian (not a relative or other invitee on a link)."""
    if not isinstance(actor, PersonActor) or not speaks_for_person(actor):
        forbid(actor, sip, what)
    return actor


def speaks_for_person(actor: PersonActor) -> bool:
    """:attr:`PersonActor.speaks_for_person`, with a link session checked in the database."""
    if actor.via == "link" and valid_link(actor) is None:
        return False
    return actor.speaks_for_person


def require_active(sip: Sip) -> None:
    if sip.status != SipStatus.ACTIVE:
        raise SipValidationError(_("Planen är avslutad och kan inte ändras."), field="status")


# --- input ---------------------------------------------------------------------------------


def aware_datetime(value: Any, field: str, *, not_future: bool = False) -> dt.datetime:
    """A timezone-aware datetime (naive ones are ambiguous around DST changes)."""
    if not isinstance(value, dt.datetime):
        raise SipValidationError(_("Ange datum och klockslag."), field=field)
    if timezone.is_naive(value):
        raise SipValidationError(_("Tidpunkten saknar tidszon."), field=field)
    if not_future and value > timezone.now() + dt.timedelta(minutes=5):
        raise SipValidationError(_("Tidpunkten ligger i framtiden."), field=field)
    return value


def bounded_text(value: Any, field: str, *, max_length: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise SipValidationError(_("Ska vara text."), field=field)
    text = value.strip()
    if required and not text:
        raise SipValidationError(_("Uppgiften saknas."), field=field)
    if len(text) > max_length:
        raise SipValidationError(
            _("Får vara högst %(max)d tecken.") % {"max": max_length}, field=field
        )
    return text


def resolve_organisations(ids: Mapping[str, Any]) -> dict[str, Organisation]:
    """``{field path: Organisation}`` for ``{field path: id}``; an unknown id raises
    :class:`SipValidationError` naming its field."""
    wanted = {path: value for path, value in ids.items()}
    for path, value in wanted.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise SipValidationError(_("Ska vara ett heltal."), field=path)
    # Ids outside the database's integer range cannot exist (and would overflow the query).
    found = Organisation.objects.in_bulk({v for v in wanted.values() if 0 < v < 2**63})
    result: dict[str, Organisation] = {}
    for path, value in wanted.items():
        if value not in found:
            raise SipValidationError(
                _("Organisationen %(id)s finns inte.") % {"id": value}, field=path
            )
        result[path] = found[value]
    return result


# --- writing -------------------------------------------------------------------------------


def _check_expected(expected_version: Any) -> int:
    if isinstance(expected_version, bool) or not isinstance(expected_version, int):
        raise SipValidationError(
            _("Ange planens version som ett heltal."), field="expected_version"
        )
    if expected_version < 1:
        raise SipValidationError(_("Versionen börjar på 1."), field="expected_version")
    return expected_version


def _assert_atomic() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("SIP writes must run inside transaction.atomic")


def _still_visible(actor: Actor, sip: Sip) -> None:
    """Re-check access inside the write's transaction (consent may have been withdrawn
    since the plan was read); the plan row is locked by then, so this is the final word."""
    if not visible_sips(actor).filter(pk=sip.pk).exists():
        raise SipNotFound()


def apply_write(actor: Actor, sip: Sip, expected_version: Any, **fields: Any) -> int:
    """Bump the version from ``expected_version`` and set ``fields``, or raise.

    One statement, ``UPDATE sip SET version = version + 1, … WHERE id = %s AND
    version = %s``: of two writers holding the same version exactly one matches a row;
    the other gets :class:`StaleVersion` with the current version. Call it first in the
    write's ``transaction.atomic`` block so a stale write has written nothing. Updates
    ``sip`` in memory and returns the new version.
    """
    expected = _check_expected(expected_version)
    _assert_atomic()
    updated = Sip.objects.filter(pk=sip.pk, version=expected).update(
        version=F("version") + 1, **fields
    )
    if updated == 0:
        current = Sip.objects.filter(pk=sip.pk).values_list("version", flat=True).first()
        if current is None:
            raise SipNotFound()
        raise StaleVersion(current)
    _still_visible(actor, sip)
    for name, value in fields.items():
        setattr(sip, name, value)
    sip.version = expected + 1
    return sip.version


def bump(actor: Actor | None, sip: Sip, **fields: Any) -> int:
    """Bump the version without a precondition: for writes that must always succeed
    (withdrawing consent) or carry no version (answers). Locks the row like
    :func:`apply_write`, so a concurrent versioned write becomes stale."""
    _assert_atomic()
    updated = Sip.objects.filter(pk=sip.pk).update(version=F("version") + 1, **fields)
    if updated == 0:
        raise SipNotFound()
    if actor is not None:
        _still_visible(actor, sip)
    sip.version = Sip.objects.values_list("version", flat=True).get(pk=sip.pk)
    for name, value in fields.items():
        setattr(sip, name, value)
    return sip.version


def audit(action: str, actor: Actor | None, sip: Sip, **detail: Any) -> None:
    """The general audit event for a change (``sip.<thing>.<create|update>``), in the
    caller's transaction; ``detail`` holds ids and choices, never personal content."""
    if actor is None:
        by: Any = SYSTEM
        organisation: Organisation | str = ""
    else:
        by = actor_user(actor)
        organisation = actor.organisation if isinstance(actor, StaffActor) else ""
        if isinstance(actor, PersonActor):
            detail = {"by": "person", "via": actor.via, **detail}
    record_event(
        action,
        actor=by,
        organisation=organisation,
        target_type="sip.sip",
        target_id=str(sip.pk),
        detail={"version": sip.version, **detail},
    )
