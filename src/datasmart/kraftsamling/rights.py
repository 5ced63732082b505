"""Who may do what in Kraftsamling, scoped to the delarena's participant organisations.

- *Creating* a delarena: any signed-in member of an organisation, in that organisation's
  name (Kraftsamling is open to every actor; the creating organisation becomes the
  convenor).
- *Changing* a delarena (participants, workshop outputs, the handslag and its plan): an
  ``admin``, ``analyst`` or ``coordinator`` of an organisation that takes part in it and
  has not left; the superuser; ``SYSTEM``. No inheritance down the geography, and a
  participant's caseworker or viewer reads only.
- *Signing* the handslag in an organisation's name: that participant's ``coordinator``
  (as a party approves a joint plan in the plans domain), or ``SYSTEM``.
- *Reading*: Kraftsamling is an open national arena; delarenor and handslag are public.

A denial is audited (``auth.permission_denied``, surviving the caller's rollback) and
raises Django's ``PermissionDenied``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from datasmart.accounts.audit import SystemActor, record_event_autonomous
from datasmart.accounts.models import Organisation, Role
from datasmart.accounts.permissions import roles_by_organisation

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import Delarena

#: Roles of a participant organisation that change the delarena.
EDIT_ROLES = frozenset({Role.ADMIN, Role.ANALYST, Role.COORDINATOR})
#: Roles that sign the handslag in their organisation's name.
SIGN_ROLES = frozenset({Role.COORDINATOR})


def signed_in(by: Any) -> bool:
    return bool(
        by is not None
        and getattr(by, "is_authenticated", False)
        and getattr(by, "is_active", False)
        and getattr(by, "pk", None) is not None
    )


def _role_in(by: Any, organisation_id: int) -> Role | None:
    if not signed_in(by):
        return None
    role = roles_by_organisation(by).get(organisation_id)
    return Role(role) if role is not None else None


def active_participant_ids(delarena: Delarena) -> set[int]:
    return set(
        delarena.participants.filter(left_on__isnull=True).values_list("organisation_id", flat=True)
    )


def may_create(by: Any, organisation: Organisation) -> bool:
    """Whether ``by`` creates a delarena in ``organisation``'s name (any member)."""
    if isinstance(by, SystemActor):
        return True
    if signed_in(by) and by.is_superuser:
        return True
    return _role_in(by, organisation.pk) is not None


def editor_organisations(by: Any, delarena: Delarena) -> list[int]:
    """The participant organisations in whose name ``by`` changes ``delarena``."""
    if not signed_in(by):
        return []
    roles = roles_by_organisation(by)
    return sorted(org for org in active_participant_ids(delarena) if roles.get(org) in EDIT_ROLES)


def may_edit(by: Any, delarena: Delarena) -> bool:
    """Whether ``by`` changes ``delarena`` (an editor of an active participant)."""
    if isinstance(by, SystemActor):
        return True
    if signed_in(by) and by.is_superuser:
        return True
    return bool(editor_organisations(by, delarena))


def may_act_for(by: Any, delarena: Delarena, organisation: Organisation) -> bool:
    """Whether ``by`` records something in ``organisation``'s name in ``delarena``: an
    editor of that organisation (or the superuser/``SYSTEM`` for any participant)."""
    if isinstance(by, SystemActor) or (signed_in(by) and by.is_superuser):
        return True
    return _role_in(by, organisation.pk) in EDIT_ROLES


def may_sign(by: Any, organisation: Organisation) -> bool:
    """Whether ``by`` signs a handslag in ``organisation``'s name (its coordinator)."""
    if isinstance(by, SystemActor):
        return True
    return _role_in(by, organisation.pk) in SIGN_ROLES


def _deny(
    by: Any, organisation: Organisation, rule: str, action: str, request: HttpRequest | None
) -> NoReturn:
    record_event_autonomous(
        "auth.permission_denied",
        actor=by,
        organisation=organisation,
        target=organisation,
        detail={"permission": "kraftsamling", "rule": rule, "action": action},
        request=request,
    )
    raise PermissionDenied(_("Du saknar behörighet för detta."))


def require_create(
    by: Any, organisation: Organisation, *, request: HttpRequest | None = None
) -> None:
    if not may_create(by, organisation):
        _deny(by, organisation, "kraftsamling_member", "create_delarena", request)


def require_edit(
    by: Any, delarena: Delarena, *, action: str, request: HttpRequest | None = None
) -> None:
    if not may_edit(by, delarena):
        _deny(by, delarena.created_by_organisation, "kraftsamling_editor", action, request)


def require_act_for(
    by: Any,
    delarena: Delarena,
    organisation: Organisation,
    *,
    action: str,
    request: HttpRequest | None = None,
) -> None:
    if not may_act_for(by, delarena, organisation):
        _deny(by, organisation, "kraftsamling_editor", action, request)


def require_sign(
    by: Any, organisation: Organisation, *, request: HttpRequest | None = None
) -> None:
    if not may_sign(by, organisation):
        _deny(by, organisation, "kraftsamling_signatory", "sign_handslag", request)
