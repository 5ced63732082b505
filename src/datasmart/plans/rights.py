"""Who may do what with plans, scoped to the organisation that owns the object.

- *Editing* a plan, its goals, indicators and activities: a ``coordinator`` or ``analyst``
  of the plan's owner organisation (they prepare the plan), the superuser, or ``SYSTEM``.
  There is no inheritance down the geography: a region's coordinator does not edit a
  kommun's plan, and an administrator (who manages users) does not edit plans.
- *Approving or leaving* a joint plan in a party's name: a ``coordinator`` of that party
  organisation, through the role itself (a superuser does not sign for a kommun), or
  ``SYSTEM``.
- *Reading*: a public plan is read by everyone; a parties-only plan by members of the
  owner or of a party organisation (and the superuser).

A denial is audited (``auth.permission_denied``, surviving the caller's rollback, as
:func:`datasmart.accounts.permissions.deny` does) and raises Django's ``PermissionDenied``.
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

    from .models import ActionPlan

#: Roles that prepare and edit a plan in their own organisation.
EDIT_ROLES = frozenset({Role.COORDINATOR, Role.ANALYST})
#: Roles that approve or leave a joint plan in their organisation's name.
APPROVE_ROLES = frozenset({Role.COORDINATOR})


def _signed_in(by: Any) -> bool:
    return bool(
        by is not None
        and getattr(by, "is_authenticated", False)
        and getattr(by, "is_active", False)
        and getattr(by, "pk", None) is not None
    )


def _role_in(by: Any, organisation: Organisation) -> Role | None:
    if not _signed_in(by):
        return None
    role = roles_by_organisation(by).get(organisation.pk)
    return Role(role) if role is not None else None


def may_edit(by: Any, organisation: Organisation) -> bool:
    """Whether ``by`` edits plans owned by ``organisation``."""
    if isinstance(by, SystemActor):
        return True
    if _signed_in(by) and by.is_superuser:
        return True
    return _role_in(by, organisation) in EDIT_ROLES


def may_approve(by: Any, organisation: Organisation) -> bool:
    """Whether ``by`` approves or leaves a joint plan in ``organisation``'s name."""
    if isinstance(by, SystemActor):
        return True
    return _role_in(by, organisation) in APPROVE_ROLES


def may_read(by: Any, plan: ActionPlan) -> bool:
    """Public plans for everyone; parties-only plans for the owner's and parties' members."""
    from .models import Visibility

    if plan.visibility == Visibility.PUBLIC or isinstance(by, SystemActor):
        return True
    if not _signed_in(by):
        return False
    if by.is_superuser:
        return True
    mine = set(roles_by_organisation(by))
    if plan.owner_id in mine:
        return True
    return plan.parties.filter(organisation_id__in=mine).exists()


def _deny(
    by: Any,
    organisation: Organisation,
    rule: str,
    action: str,
    request: HttpRequest | None,
) -> NoReturn:
    record_event_autonomous(
        "auth.permission_denied",
        actor=by,
        organisation=organisation,
        target=organisation,
        detail={"permission": "manage_plans", "rule": rule, "action": action},
        request=request,
    )
    raise PermissionDenied(_("Du saknar behörighet för detta."))


def require_edit(
    by: Any, organisation: Organisation, *, action: str, request: HttpRequest | None = None
) -> None:
    """Raise (audited) ``PermissionDenied`` unless :func:`may_edit`."""
    if not may_edit(by, organisation):
        _deny(by, organisation, "plans_editor", action, request)


def require_approve(
    by: Any, organisation: Organisation, *, action: str, request: HttpRequest | None = None
) -> None:
    """Raise (audited) ``PermissionDenied`` unless :func:`may_approve`."""
    if not may_approve(by, organisation):
        _deny(by, organisation, "plans_party", action, request)


def require_read(by: Any, plan: ActionPlan, *, request: HttpRequest | None = None) -> None:
    """Raise (audited) ``PermissionDenied`` unless :func:`may_read`."""
    if not may_read(by, plan):
        _deny(by, plan.owner, "plans_reader", "read", request)
