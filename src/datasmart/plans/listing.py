"""The one query path of the plans API and CLI: filtered lists of the plans a caller may
read, one plan as the caller may see it, and the plain dicts both print.

Why a module of its own: ``GET /api/plans`` and ``datasmart plans list`` must answer the
same question the same way (the issue asks for one query path), and the JSON of
``GET /api/plans/{id}`` and ``datasmart plans show --format json`` must be the same
document. Rights stay in :mod:`.services` (:func:`~.services.visible_plans`,
:func:`~.services.get_plan`); this module only filters and shapes what they return.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from datasmart.geo.services import get_unit

from . import rights, services
from .models import ActionPlan, Goal, PlanStatus

if TYPE_CHECKING:
    from django.http import HttpRequest

#: Columns of a plan row (list, CSV, table), in order.
PLAN_COLUMNS = (
    "id",
    "title",
    "owner_id",
    "owner_name",
    "owner_unit",
    "lan",
    "start_year",
    "end_year",
    "status",
    "version",
    "previous_id",
    "visibility",
    "agreed_at",
    "activated_at",
    "followed_up_at",
    "closed_at",
    "close_reason",
    "next_follow_up",
)


def list_plans(
    by: Any,
    *,
    owner: int | None = None,
    unit: str | None = None,
    status: str | None = None,
    year: int | None = None,
) -> QuerySet[ActionPlan]:
    """The plans ``by`` may read, filtered.

    ``unit`` (a kommun, län or other unit code) keeps the plans owned by an organisation
    of that unit, the joint plans of that län, and the joint plans the unit's organisations
    are party to: what a unit's page lists. ``year`` keeps the plans whose period covers
    it. An unknown unit raises :class:`~datasmart.geo.services.UnitNotFound`, a bad status
    :class:`~.services.PlanError`.
    """
    plans = services.visible_plans(by)
    if owner is not None:
        plans = plans.filter(owner_id=owner)
    if unit:
        found = get_unit(unit)
        plans = plans.filter(
            Q(owner__unit=found) | Q(lan=found) | Q(parties__organisation__unit=found)
        )
    if status:
        if status not in PlanStatus.values:
            raise services.PlanError(
                _("Fältet status: okänt värde %(value)s; välj bland %(choices)s.")
                % {"value": status, "choices": ", ".join(PlanStatus.values)}
            )
        plans = plans.filter(status=status)
    if year is not None:
        if not services.FIRST_YEAR <= year <= services.LAST_YEAR:
            raise services.PlanError(
                _("Fältet %(field)s: ange ett år mellan %(a)s och %(b)s.")
                % {"field": _("år"), "a": services.FIRST_YEAR, "b": services.LAST_YEAR}
            )
        plans = plans.filter(start_year__lte=year, end_year__gte=year)
    return (
        plans.select_related("owner__unit", "lan")
        .distinct()
        .order_by("-start_year", "title", "version", "pk")
    )


def readable_plan(plan_id: int, by: Any, *, request: HttpRequest | None = None) -> ActionPlan:
    """The plan if ``by`` may read it; otherwise ``LookupError`` with the same message as
    for a plan that does not exist, so a parties-only plan's existence is not revealed
    (the refused read is still audited by :func:`~.services.get_plan`)."""
    try:
        return services.get_plan(plan_id, by, request=request)
    except PermissionDenied:
        raise LookupError(_("Planen finns inte.")) from None


def joint_agreed(lan: str, year: int, by: Any) -> dict[str, Any]:
    """Whether län ``lan`` has an agreed joint plan covering ``year`` (the funding
    condition's question, answered by :func:`~.services.agreed_joint_plan_exists`), and
    which plan it is when ``by`` may read it (else ``plan_id`` is ``None``)."""
    get_unit(lan)  # an unknown län is an error, not "no plan"
    plan = services.agreed_joint_plan(lan, year)
    agreed = plan is not None
    plan_id = plan.pk if plan is not None and rights.may_read(by, plan) else None
    return {"lan": lan, "year": year, "agreed": agreed, "plan_id": plan_id}


# --- shapes ----------------------------------------------------------------------------------


def _org(org: Any) -> dict[str, Any]:
    return {"id": org.pk, "name": org.name, "unit_code": org.unit.code}


def plan_row(plan: ActionPlan) -> dict[str, Any]:
    """One plan as a flat row (list, CSV, table)."""
    return {
        "id": plan.pk,
        "title": plan.title,
        "owner_id": plan.owner_id,
        "owner_name": plan.owner.name,
        "owner_unit": plan.owner.unit.code,
        "lan": plan.lan.code if plan.lan else None,
        "start_year": plan.start_year,
        "end_year": plan.end_year,
        "status": plan.status,
        "version": plan.version,
        "previous_id": plan.previous_id,
        "visibility": plan.visibility,
        "agreed_at": plan.agreed_at,
        "activated_at": plan.activated_at,
        "followed_up_at": plan.followed_up_at,
        "closed_at": plan.closed_at,
        "close_reason": plan.close_reason,
        "next_follow_up": plan.next_follow_up,
    }


def goal_dict(goal: Goal, children: dict[int | None, list[Goal]] | None = None) -> dict[str, Any]:
    """A goal with its indicators and (from ``children``, parent id → goals) its delmål."""
    children = children or {}
    return {
        "id": goal.pk,
        "parent_id": goal.parent_id,
        "kind": goal.kind,
        "text": goal.text,
        "start_year": goal.start_year,
        "end_year": goal.end_year,
        "decided_by": goal.decided_by,
        "decided_on": goal.decided_on,
        "document": goal.document,
        "owner_id": goal.owner_id,
        "level": goal.level,
        "indicators": [goal_indicator_dict(link) for link in goal.indicators.all()],
        "children": [goal_dict(c, children) for c in children.get(goal.pk, [])],
    }


def goal_indicator_dict(link: Any) -> dict[str, Any]:
    return {
        "id": link.pk,
        "indicator_code": link.indicator_code,
        "kind": link.kind,
        "direction": link.direction,
        "target_value": link.target_value,
        "target_year": link.target_year,
        "baseline_value": link.baseline_value,
        "baseline_period": link.baseline_period,
    }


def goal_subtree(goal: Goal) -> dict[str, Any]:
    """One goal as :func:`goal_dict`, with its delmål (after a write: the answer)."""
    goals = list(goal.plan.goals.prefetch_related("indicators").order_by("pk"))
    children: dict[int | None, list[Goal]] = {}
    for g in goals:
        children.setdefault(g.parent_id, []).append(g)
    return goal_dict(next(g for g in goals if g.pk == goal.pk), children)


def goals_tree(plan: ActionPlan) -> list[dict[str, Any]]:
    """The plan's goals as a tree: political goals with their delmål under ``children``."""
    goals = list(plan.goals.prefetch_related("indicators").order_by("pk"))
    children: dict[int | None, list[Goal]] = {}
    for goal in goals:
        children.setdefault(goal.parent_id, []).append(goal)
    return [goal_dict(g, children) for g in children.get(None, [])]


def activity_dict(activity: Any) -> dict[str, Any]:
    return {
        "id": activity.pk,
        "title": activity.title,
        "owner_id": activity.owner_id,
        "responsible_role": activity.responsible_role,
        "start": activity.start,
        "end": activity.end,
        "status": activity.status,
        "budget": activity.budget,
        "cost": activity.cost,
        "goal_ids": sorted(g.pk for g in activity.goals.all()),
        "funding_post_id": activity.funding_post_id,
        "needs_scenario_id": activity.needs_scenario_id,
    }


def plan_detail(plan: ActionPlan) -> dict[str, Any]:
    """One plan with its goals tree, goal indicators, activities and parties."""
    following = ActionPlan.objects.filter(previous=plan).values_list("pk", flat=True).first()
    return {
        **plan_row(plan),
        "owner": _org(plan.owner),
        "next_version_id": following,
        "created_at": plan.created_at,
        "goals": goals_tree(plan),
        "activities": [
            activity_dict(a) for a in plan.activities.prefetch_related("goals").order_by("pk")
        ],
        "parties": [
            {
                "organisation": _org(p.organisation),
                "approved": p.approved_at is not None,
                "approved_by": p.approved_by_name,
                "approved_at": p.approved_at,
                "left_at": p.left_at,
                "leave_reason": p.leave_reason,
            }
            for p in plan.parties.select_related("organisation__unit")
        ],
    }


def change_dicts(old: ActionPlan, new: ActionPlan) -> list[dict[str, Any]]:
    """:func:`~.services.compare_versions` as plain dicts (with Swedish labels)."""
    return [
        {
            "what": c.what,
            "what_label": c.what_label,
            "how": c.how,
            "how_label": c.how_label,
            "label": c.label,
            "before": c.before,
            "after": c.after,
        }
        for c in services.compare_versions(old, new)
    ]
