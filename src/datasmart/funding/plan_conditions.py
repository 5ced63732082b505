"""Conditions fulfilled by an agreed joint län plan, read from the plans domain.

The 2016 and 2020 agreements paid money "utifrån handlingsplaner": a län's region and
kommuner had to have agreed a joint plan. A condition with ``rule = joint_plan``
(:class:`~datasmart.funding.models.ConditionRule`) is *fulfilled* for a recipient when
:func:`datasmart.plans.services.agreed_joint_plan_exists` says the recipient's län (the
region itself, or a kommun's län) has an agreed joint plan covering the agreement's year,
and *not fulfilled* otherwise. Nothing is copied into funding: the answer is asked each
time a page, the API or the overview needs it, so a party leaving or a new version being
agreed shows at once. No :class:`~datasmart.funding.models.Fulfilment` rows are written
for such a condition, and :func:`datasmart.funding.services.followup.assess` refuses it.

Why a module of its own: funding reaches plans only through ``plans.services`` (the
import rules), and only this module and :mod:`.followup` do, so ``funding.services`` —
which ``plans`` may use for its funding-post links — never imports plans back, and no
import circle can form between the two domains.

The link shown next to the verdict is the joint plan of that län for the year that the
reader may see (``plans.services.visible_plans``: a parties-only plan is linked only for
its owner's and parties' members); the verdict itself does not depend on the reader.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from datasmart.geo.models import Level, Unit
from datasmart.plans import services as plans

from .models import Condition, ConditionRule, FulfilmentStatus

__all__ = ["PlanCheck", "is_automatic", "joint_plan_checks", "lan_code_of"]


def is_automatic(condition: Condition) -> bool:
    """Whether the condition's fulfilment is read from elsewhere, not assessed by hand."""
    return condition.rule == ConditionRule.JOINT_PLAN


@dataclass(frozen=True)
class PlanCheck:
    """The verdict for one recipient: its län, whether an agreed joint plan exists, and the
    joint plan the reader may open (if any)."""

    lan_code: str | None
    agreed: bool
    plan_id: int | None = None
    plan_title: str = ""
    plan_status: str = ""

    @property
    def status(self) -> str:
        return FulfilmentStatus.FULFILLED if self.agreed else FulfilmentStatus.NOT_FULFILLED


def lan_code_of(unit: Unit) -> str | None:
    """The län a recipient belongs to: a region is its own län, a kommun's is its region."""
    if unit.level == Level.REGION:
        return unit.code
    if unit.level == Level.KOMMUN and unit.region_id is not None:
        return unit.region.code if unit.region else None
    return None


def _plan_links(by: Any, lan_codes: set[str], year: int) -> dict[str, Any]:
    """Per län: the joint plan covering ``year`` that ``by`` may read, the one in force
    (agreed, active, followed up) before a draft or closed one, newest version first. One
    query."""
    if not lan_codes or by is None:
        return {}
    rank = {"agreed": 0, "active": 0, "followed_up": 0, "draft": 1, "closed": 2}
    best: dict[str, Any] = {}
    for plan in plans.visible_plans(by).filter(
        lan__code__in=sorted(lan_codes), start_year__lte=year, end_year__gte=year
    ):
        if plan.lan is None:  # filtered on lan__code; never None here
            continue
        code = plan.lan.code
        key = (rank.get(plan.status, 3), -plan.version, -plan.pk)
        if code not in best or key < best[code][0]:
            best[code] = (key, plan)
    return {code: plan for code, (_key, plan) in best.items()}


def joint_plan_checks(
    condition: Condition, units: Iterable[Unit], *, by: Any = None
) -> dict[int, PlanCheck]:
    """Unit id → :class:`PlanCheck` for a ``joint_plan`` condition, for the agreement's
    year. One query for the kommuner's län, one ``agreed_joint_plan_exists`` call per län
    (at most 21), and one query for the links when ``by`` (the reader) is given."""
    year = condition.agreement.year
    units = list(units)
    region_codes = dict(
        Unit.objects.filter(pk__in={u.region_id for u in units if u.region_id}).values_list(
            "pk", "code"
        )
    )
    lans: dict[int, str | None] = {
        u.pk: u.code
        if u.level == Level.REGION
        else region_codes.get(u.region_id)
        if u.level == Level.KOMMUN and u.region_id
        else None
        for u in units
    }
    codes = {c for c in lans.values() if c}
    agreed = {code: plans.agreed_joint_plan_exists(code, year) for code in sorted(codes)}
    links = _plan_links(by, codes, year)
    out: dict[int, PlanCheck] = {}
    for unit in units:
        code = lans[unit.pk]
        plan = links.get(code) if code else None
        out[unit.pk] = PlanCheck(
            lan_code=code,
            agreed=bool(code and agreed[code]),
            plan_id=plan.pk if plan else None,
            plan_title=plan.title if plan else "",
            plan_status=plan.get_status_display() if plan else "",
        )
    return out
