"""One permission vocabulary for pages, API and CLI.

A :class:`Permission` is something a user may do; a :class:`~datasmart.accounts.models.Role`
grants a fixed set of them (:data:`ROLE_PERMISSIONS`) *in the organisation where the user
holds that role*. Ask with :func:`has_permission`; enforce with :func:`require_permission`,
which also writes an ``auth.permission_denied`` audit event that survives the caller's
rollback.

Rules worth knowing:

- Public reference data (units, population, the list of organisations) is readable
  without signing in: :data:`ANONYMOUS_PERMISSIONS` are granted to everyone, including
  anonymous visitors and API calls without a token.
- ``has_permission(user, perm)`` without an organisation asks "in any of my
  organisations"; with an organisation it asks about that organisation only. There is no
  inheritance down the geography (an admin of a region is not an admin of its kommuner).
- Administrators manage users, organisations and the audit log but may **not** read SIP
  plans (need-to-know; GDPR art. 9, OSL). Only caseworkers hold ``READ_SIP_PLANS``, and the
  SIP app adds its own participant and consent checks on top.
- Superusers (the platform's first administrator, see ``services.bootstrap_admin``) hold
  every permission in every organisation except :data:`SUPERUSER_EXCLUDED`.
- Inactive users hold only the anonymous permissions.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final, NoReturn

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from .models import PARTICIPANT_KINDS, Membership, Organisation, Role

if TYPE_CHECKING:
    from django.http import HttpRequest


class Permission(StrEnum):
    """Everything a user may be allowed to do. Values are stable API/audit spellings."""

    VIEW_UNITS = "view_units"
    VIEW_POPULATION = "view_population"
    VIEW_ORGANISATIONS = "view_organisations"
    VIEW_INDICATORS = "view_indicators"
    VIEW_FUNDING = "view_funding"
    MANAGE_TOKENS_OWN = "manage_tokens_own"
    MANAGE_TOKENS_ALL = "manage_tokens_all"
    MANAGE_ORGANISATIONS = "manage_organisations"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    IMPORT_DATA = "import_data"
    EDIT_INDICATORS = "edit_indicators"
    MANAGE_FUNDING = "manage_funding"
    REPORT_FUNDING = "report_funding"
    COORDINATE_SIP = "coordinate_sip"
    CREATE_SIP = "create_sip"
    READ_SIP_PLANS = "read_sip_plans"


#: Granted to everyone, signed in or not: public reference data.
ANONYMOUS_PERMISSIONS: Final[frozenset[Permission]] = frozenset(
    {Permission.VIEW_UNITS, Permission.VIEW_POPULATION, Permission.VIEW_ORGANISATIONS}
)

_MEMBER: Final[frozenset[Permission]] = ANONYMOUS_PERMISSIONS | {
    Permission.VIEW_INDICATORS,
    Permission.VIEW_FUNDING,
    Permission.MANAGE_TOKENS_OWN,
}

#: What each role may do in its organisation.
ROLE_PERMISSIONS: Final[dict[Role, frozenset[Permission]]] = {
    Role.ADMIN: _MEMBER
    | {
        Permission.MANAGE_USERS,
        Permission.MANAGE_ORGANISATIONS,
        Permission.MANAGE_TOKENS_ALL,
        Permission.VIEW_AUDIT,
    },
    Role.ANALYST: _MEMBER | {Permission.IMPORT_DATA, Permission.EDIT_INDICATORS},
    Role.COORDINATOR: _MEMBER
    | {Permission.MANAGE_FUNDING, Permission.REPORT_FUNDING, Permission.COORDINATE_SIP},
    Role.CASEWORKER: _MEMBER | {Permission.CREATE_SIP, Permission.READ_SIP_PLANS},
    Role.VIEWER: _MEMBER,
}

#: What a role grants in a participant organisation (brukarorganisation, civil society,
#: knowledge node, business: they own goals and take part in plans and Kraftsamling, but
#: never import a unit's figures, manage or report its money, or touch SIP).
PARTICIPANT_PERMISSIONS: Final[frozenset[Permission]] = _MEMBER | {
    Permission.MANAGE_USERS,
    Permission.MANAGE_ORGANISATIONS,
    Permission.MANAGE_TOKENS_ALL,
    Permission.VIEW_AUDIT,
}

#: Never granted to a superuser by virtue of being one.
SUPERUSER_EXCLUDED: Final[frozenset[Permission]] = frozenset({Permission.READ_SIP_PLANS})

_CACHE_ATTR: Final = "_datasmart_roles"
_PARTICIPANT_CACHE_ATTR: Final = "_datasmart_participant_orgs"


def _is_signed_in(user: Any) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and getattr(user, "pk", None) is not None
    )


def roles_by_organisation(user: Any) -> dict[int, Role]:
    """``{organisation_id: role}`` for a user; cached on the user object for the request."""
    if not _is_signed_in(user):
        return {}
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        rows = list(
            Membership.objects.filter(user_id=user.pk).values_list(
                "organisation_id", "role", "organisation__kind"
            )
        )
        cached = {org_id: Role(role) for org_id, role, _kind in rows}
        setattr(user, _CACHE_ATTR, cached)
        setattr(
            user,
            _PARTICIPANT_CACHE_ATTR,
            frozenset(org_id for org_id, _role, kind in rows if kind in PARTICIPANT_KINDS),
        )
    return cached


def _granted(user: Any, org_id: int) -> frozenset[Permission]:
    """The permissions ``user``'s role in organisation ``org_id`` grants (capped for
    participant organisations, see :data:`PARTICIPANT_PERMISSIONS`)."""
    role = roles_by_organisation(user).get(org_id)
    if role is None:
        return frozenset()
    granted = ROLE_PERMISSIONS[role]
    if org_id in getattr(user, _PARTICIPANT_CACHE_ATTR, frozenset()):
        return granted & PARTICIPANT_PERMISSIONS
    return granted


def forget_roles(user: Any) -> None:
    """Drop the cached roles after a membership change."""
    if user is not None and hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)
    if user is not None and hasattr(user, _PARTICIPANT_CACHE_ATTR):
        delattr(user, _PARTICIPANT_CACHE_ATTR)


def has_permission(
    user: Any, permission: Permission, organisation: Organisation | int | None = None
) -> bool:
    """Whether ``user`` may do ``permission`` (in ``organisation``, or in any of theirs)."""
    permission = Permission(permission)
    if permission in ANONYMOUS_PERMISSIONS:
        return True
    if not _is_signed_in(user):
        return False
    if user.is_superuser:
        return permission not in SUPERUSER_EXCLUDED
    roles = roles_by_organisation(user)
    if organisation is None:
        return any(permission in _granted(user, org_id) for org_id in roles)
    org_id = organisation.pk if isinstance(organisation, Organisation) else organisation
    return permission in _granted(user, org_id)  # type: ignore[arg-type]


def has_role_permission(
    user: Any, permission: Permission, organisation: Organisation | int
) -> bool:
    """Whether ``user`` holds ``permission`` in ``organisation`` *through their role there*.

    Unlike :func:`has_permission`, superuser status does not count: for actions that make
    the user responsible for something only a role can carry (starting a SIP makes the
    organisation the plan's owner and the user its caseworker; a superuser who started
    one could not open it, as superusers never read plans).
    """
    permission = Permission(permission)
    if not _is_signed_in(user):
        return False
    org_id = organisation.pk if isinstance(organisation, Organisation) else organisation
    return permission in _granted(user, org_id)  # type: ignore[arg-type]


def require_permission(
    user: Any,
    permission: Permission,
    organisation: Organisation | None = None,
    *,
    request: HttpRequest | None = None,
) -> None:
    """Raise ``PermissionDenied`` unless :func:`has_permission`; audit every denial.

    The ``auth.permission_denied`` event is written so that it survives a rollback of
    the caller's transaction (see :func:`datasmart.accounts.audit.record_event_autonomous`).
    """
    if has_permission(user, permission, organisation):
        return
    deny(user, permission, organisation, request=request)


def deny(
    user: Any,
    permission: Permission,
    organisation: Organisation | None = None,
    *,
    request: HttpRequest | None = None,
    detail: dict[str, Any] | None = None,
) -> NoReturn:
    """Audit a denial (surviving the caller's rollback) and raise ``PermissionDenied``.

    For rules that :func:`has_permission` alone cannot express (e.g. "only your own
    tokens"): decide, then call this.
    """
    from .audit import record_event_autonomous

    record_event_autonomous(
        "auth.permission_denied",
        actor=user,
        organisation=organisation,
        target=organisation,
        detail={"permission": str(permission), **(detail or {})},
        request=request,
    )
    raise PermissionDenied(_("Du saknar behörighet för detta."))


def organisations_with_permission(user: Any, permission: Permission) -> QuerySet[Organisation]:
    """The organisations in which ``user`` holds ``permission`` (for scoping querysets)."""
    permission = Permission(permission)
    if permission in ANONYMOUS_PERMISSIONS or (
        _is_signed_in(user) and user.is_superuser and permission not in SUPERUSER_EXCLUDED
    ):
        return Organisation.objects.all()
    roles = roles_by_organisation(user)
    ids = [org_id for org_id in roles if permission in _granted(user, org_id)]
    return Organisation.objects.filter(pk__in=ids)


def permissions_for_role(role: Role | str) -> frozenset[Permission]:
    return ROLE_PERMISSIONS[Role(role)]
