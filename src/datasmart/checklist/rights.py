"""Who may do what with Politikerchecklistan, scoped to the unit the answers are for.

The checklist is answered by a kommun's or a region's politicians; on the platform the
answers are entered by the organisation that speaks for the unit:

- *Answering, submitting, opening a new round* for a unit (kommun or region/län): an
  ``admin``, ``coordinator`` or ``analyst`` of an organisation of an *answering kind*
  (a kommun's social services; a region's psychiatry or BUP) whose unit is that unit, or
  ``SYSTEM``. The politicians' secretary or the process leader holds one of these roles
  and enters what the board decided; a politician who only reads gets the ``viewer``
  role. No inheritance down the geography (a region does not answer for its kommuner),
  and the superuser does not answer in a kommun's name.
- *Reading*: a submitted round is an organisation's public answer and is read by
  everyone (no personal data, no small numbers); a draft only by members (any role) of
  an organisation at the unit, and the superuser.

A denial is audited (``auth.permission_denied``, surviving the caller's rollback) and raises
Django's ``PermissionDenied``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from datasmart.accounts.audit import SystemActor, record_event_autonomous
from datasmart.accounts.models import Organisation, OrganisationKind, Role
from datasmart.accounts.permissions import roles_by_organisation
from datasmart.geo.models import Level

if TYPE_CHECKING:
    from django.http import HttpRequest

    from datasmart.geo.models import Unit

    from .models import ChecklistRound

#: Roles that enter and submit their unit's answers.
ANSWER_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR, Role.ANALYST})
#: Organisation kinds that speak for a kommun or a region in the checklist.
ANSWERING_KINDS = frozenset(
    {
        OrganisationKind.KOMMUN_SOCIAL,
        OrganisationKind.REGION_PSYCHIATRY,
        OrganisationKind.REGION_BUP,
    }
)
#: Units that answer: kommuner and regions.
ANSWERING_LEVELS = frozenset({Level.KOMMUN, Level.REGION})


def _signed_in(by: Any) -> bool:
    return bool(
        by is not None
        and getattr(by, "is_authenticated", False)
        and getattr(by, "is_active", False)
        and getattr(by, "pk", None) is not None
    )


def answering_organisations(by: Any, unit: Unit) -> list[Organisation]:
    """The organisations at ``unit`` in which ``by`` may answer (empty for SYSTEM)."""
    if not _signed_in(by) or unit.level not in ANSWERING_LEVELS:
        return []
    roles = roles_by_organisation(by)
    mine = [pk for pk, role in roles.items() if role in ANSWER_ROLES]
    return list(
        Organisation.objects.filter(pk__in=mine, unit=unit, kind__in=ANSWERING_KINDS).order_by(
            "name"
        )
    )


def may_answer(by: Any, unit: Unit) -> bool:
    """Whether ``by`` enters, submits and reopens the answers of ``unit``."""
    if isinstance(by, SystemActor):
        return unit.level in ANSWERING_LEVELS
    return bool(answering_organisations(by, unit))


def may_read_draft(by: Any, unit: Unit) -> bool:
    """Members (any role) of an organisation at ``unit``, the superuser and SYSTEM."""
    if isinstance(by, SystemActor):
        return True
    if not _signed_in(by):
        return False
    if by.is_superuser:
        return True
    return Organisation.objects.filter(pk__in=list(roles_by_organisation(by)), unit=unit).exists()


def may_read(by: Any, round_: ChecklistRound) -> bool:
    """A submitted round for everyone; a draft as :func:`may_read_draft`."""
    from .models import RoundStatus

    return round_.status == RoundStatus.SUBMITTED or may_read_draft(by, round_.unit)


def _deny(by: Any, unit: Unit, action: str, request: HttpRequest | None) -> NoReturn:
    record_event_autonomous(
        "auth.permission_denied",
        actor=by,
        target=unit,
        detail={"permission": "answer_checklist", "rule": "checklist_answer", "action": action},
        request=request,
    )
    raise PermissionDenied(_("Du saknar behörighet för detta."))


def require_answer(by: Any, unit: Unit, *, action: str, request: HttpRequest | None = None) -> None:
    """Raise (audited) ``PermissionDenied`` unless :func:`may_answer`."""
    if not may_answer(by, unit):
        _deny(by, unit, action, request)
