"""Whose observations an analyst may write: the units their organisation is responsible for.

``IMPORT_DATA`` says *that* a user may import; this module says *for which units*. An
organisation is responsible for its own geographic unit and every unit below it
(:func:`datasmart.geo.services.units_within`): a kommun's organisation for that kommun, a
region's for its län and kommuner, a sjukvårdsregion's for its regions and kommuner, a
national organisation (SKR, a national office) for all. Before this rule an analyst in any
kommun could overwrite any unit's observations nationwide.

The indicator catalogue has no owner or publisher per indicator (``source`` is free text
naming the original publisher, not an organisation in datasmart), so the scope is by unit
only: an analyst may import any public indicator, for their units.

Writes that are national by nature — filling an indicator from the population for every
unit, syncing or editing the catalogue — need the permission in a national organisation
(:func:`require_national`).

``SYSTEM`` (CLI without ``--user``, loaders, jobs) and the platform's superuser may write
everything. Every refusal is audited (``auth.permission_denied``) and raises Django's
``PermissionDenied`` with a Swedish message naming the rows and units refused; the API
answers 403, pages show the 403 page, the CLI exits with code 2.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final, NoReturn

from django.core.exceptions import PermissionDenied

from datasmart.accounts.audit import SystemActor
from datasmart.accounts.permissions import (
    Permission,
    deny,
    has_permission,
    organisations_with_permission,
    require_permission,
)
from datasmart.geo.models import Level, Unit
from datasmart.geo.services import units_within

if TYPE_CHECKING:
    from django.http import HttpRequest

#: How many refused rows a message lists before "… och N till".
LISTED_ROWS: Final = 10


def _everything(by: Any, permission: Permission) -> bool:
    if isinstance(by, SystemActor):
        return True
    if not has_permission(by, permission):
        return False
    if getattr(by, "is_superuser", False):
        return True
    return organisations_with_permission(by, permission).filter(unit__level=Level.NATION).exists()


def writable_unit_ids(by: Any, permission: Permission = Permission.IMPORT_DATA) -> set[int] | None:
    """The ids of the units ``by`` may write observations for; ``None`` means every unit."""
    if _everything(by, permission):
        return None
    ids: set[int] = set()
    for org in organisations_with_permission(by, permission).select_related("unit"):
        ids.update(units_within(org.unit).values_list("pk", flat=True))
    return ids


def _refuse(
    by: Any,
    permission: Permission,
    message: str,
    *,
    request: HttpRequest | None,
    detail: dict[str, Any],
) -> NoReturn:
    try:
        deny(by, permission, request=request, detail=detail)
    except PermissionDenied:
        raise PermissionDenied(message) from None


def require_units(
    by: Any,
    rows: Iterable[tuple[int, str]],
    *,
    file: str,
    request: HttpRequest | None = None,
) -> None:
    """Refuse (audited) unless every ``(row, unit_code)`` is a unit ``by`` may write.

    Unknown unit codes are left to the row validation, which reports them with its
    other problems.
    """
    require_permission(by, Permission.IMPORT_DATA, request=request)
    allowed = writable_unit_ids(by)
    if allowed is None:
        return
    rows = list(rows)
    units = {u.code: u for u in Unit.objects.filter(code__in={code for _row, code in rows if code})}
    refused = [
        (row, units[code]) for row, code in rows if code in units and units[code].pk not in allowed
    ]
    if not refused:
        return
    shown = ", ".join(
        f"rad {row}: {unit.name} ({unit.code})" for row, unit in refused[:LISTED_ROWS]
    )
    more = len(refused) - LISTED_ROWS
    own = ", ".join(
        sorted(
            f"{o.unit.name} ({o.unit.code})"
            for o in organisations_with_permission(by, Permission.IMPORT_DATA).select_related(
                "unit"
            )
        )
    )
    message = (
        f"{file}: du får bara läsa in uppgifter för de enheter din organisation ansvarar för "
        f"({own or 'inga'} och enheterna under). Inget sparades. Andra enheter på "
        f"{shown}{f' … och {more} rader till' if more > 0 else ''}."
    )
    _refuse(
        by,
        Permission.IMPORT_DATA,
        message,
        request=request,
        detail={
            "rule": "indicator_units",
            "file": file[:200],
            "refused_rows": len(refused),
            "units": sorted({unit.code for _row, unit in refused})[:20],
        },
    )


def require_national(
    by: Any, permission: Permission, *, what: str, request: HttpRequest | None = None
) -> None:
    """Refuse (audited) unless ``by`` holds ``permission`` nationally (or is SYSTEM or the
    superuser): for writes that change every unit's figures or the shared catalogue."""
    if _everything(by, permission):
        return
    require_permission(by, permission, request=request)
    _refuse(
        by,
        permission,
        f"{what} gäller hela landet och görs av en nationell organisation; "
        "din organisation ansvarar bara för sina egna enheter.",
        request=request,
        detail={"rule": "indicator_national", "what": what},
    )


def may_edit_catalogue(user: Any) -> bool:
    """Whether ``user`` may change indicator definitions (the admin asks this)."""
    return _everything(user, Permission.EDIT_INDICATORS)
