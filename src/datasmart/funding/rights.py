"""Who may do what with agreement funding: one rule, asked by every funding service.

An agreement is made between the government and SKR and administered nationally, so
the agreement's *administrators* are the users holding ``MANAGE_FUNDING`` in an
organisation whose geographic unit is the nation (SKR, a national office), plus the
platform's superuser and ``SYSTEM`` (CLI, loader, scheduled jobs). Only they change
agreements, acceptances, conditions and their assessment, allocation runs, payouts and
surveys, reopen submitted responses, and read every recipient's answers.

A *recipient* (a kommun or region) is represented by users holding ``REPORT_FUNDING`` in
an organisation whose unit **is** that kommun or region. A recipient reads and answers
only its own responses. A coordinator of a kommun or region holds ``MANAGE_FUNDING`` in
their own organisation but is *not* an administrator: before this rule a kommun
coordinator could add conditions to the national agreement, mark another kommun's
condition "not met", save the national allocation run and set a län's payout to paid.

Every check goes through :func:`require_administrator` or :func:`require_recipient`; a
denial is audited (``auth.permission_denied``, surviving the caller's rollback) and raises
Django's :class:`~django.core.exceptions.PermissionDenied`, which pages turn into a 403
page, the API into a 403 JSON answer and the CLI into exit code 2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from datasmart.accounts.audit import SystemActor
from datasmart.accounts.models import Organisation
from datasmart.accounts.permissions import (
    Permission,
    deny,
    has_permission,
    organisations_with_permission,
)
from datasmart.geo.models import Level, Unit

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest

__all__ = [
    "administrator_organisations",
    "is_administrator",
    "may_report_for",
    "require_administrator",
    "require_recipient",
    "require_recipient_or_administrator",
]


def _is_system(by: Any) -> bool:
    return isinstance(by, SystemActor)


def administrator_organisations(by: Any) -> QuerySet[Organisation]:
    """The national organisations in which ``by`` holds ``MANAGE_FUNDING``."""
    return organisations_with_permission(by, Permission.MANAGE_FUNDING).filter(
        unit__level=Level.NATION
    )


def is_administrator(by: Any) -> bool:
    """Whether ``by`` administers agreements (national ``MANAGE_FUNDING``, superuser, SYSTEM)."""
    if _is_system(by):
        return True
    if not has_permission(by, Permission.MANAGE_FUNDING):
        return False
    if getattr(by, "is_superuser", False):
        return True
    return administrator_organisations(by).exists()


def may_report_for(by: Any, unit: Unit) -> bool:
    """Whether ``by`` answers for ``unit``: ``REPORT_FUNDING`` in an organisation of that unit."""
    if _is_system(by):
        return True
    return organisations_with_permission(by, Permission.REPORT_FUNDING).filter(unit=unit).exists()


def require_administrator(by: Any, *, request: HttpRequest | None = None, action: str = "") -> None:
    """Raise (audited) ``PermissionDenied`` unless ``by`` administers agreements."""
    if is_administrator(by):
        return
    deny(
        by,
        Permission.MANAGE_FUNDING,
        request=request,
        detail={"rule": "funding_administrator", "action": action},
    )


def require_recipient(
    by: Any, unit: Unit, *, request: HttpRequest | None = None, action: str = ""
) -> None:
    """Raise (audited) ``PermissionDenied`` unless ``by`` answers for ``unit``."""
    if may_report_for(by, unit):
        return
    deny(
        by,
        Permission.REPORT_FUNDING,
        request=request,
        detail={"rule": "funding_recipient", "unit": unit.code, "action": action},
    )


def require_recipient_or_administrator(
    by: Any, unit: Unit, *, request: HttpRequest | None = None, action: str = ""
) -> None:
    """Reading one recipient's answers: the recipient itself or an administrator."""
    if may_report_for(by, unit) or is_administrator(by):
        return
    deny(
        by,
        Permission.REPORT_FUNDING,
        request=request,
        detail={"rule": "funding_recipient_or_administrator", "unit": unit.code, "action": action},
    )
