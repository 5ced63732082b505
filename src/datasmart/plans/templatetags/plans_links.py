"""Links from other pages into plans: a unit's "Mål och planer" and the goals that follow
an indicator.

Why template tags: the unit page (``web``) and the indicator page (``indicators``) only
write ``{% plans_for_unit unit %}`` / ``{% goals_for_indicator code %}``; the query and the
markup stay in plans, so those apps import nothing from plans (the indicators domain
would otherwise have to reach into plans' models, which the import rules forbid, and
``plans.services`` already imports ``indicators.services``). Reading follows
:func:`datasmart.plans.services.visible_plans` for the request's user: a parties-only
plan is listed only for members of its owner or parties, never for anonymous visitors.
Each tag is one query; only the newest version of a plan is listed.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Exists, OuterRef, Q

from datasmart.geo.models import Level, Unit

from .. import services
from ..models import ActionPlan, GoalIndicator

register = template.Library()

#: How many plans or goals a section shows before pointing to the full list.
LIMIT = 10


def _newest(plans: Any, field: str = "pk") -> Any:
    """Leave out versions that a newer version has replaced."""
    return plans.exclude(Exists(ActionPlan.objects.filter(previous_id=OuterRef(field))))


def _user(context: template.Context) -> Any:
    request = context.get("request")
    return getattr(request, "user", None)


def unit_plans(unit: Unit, by: Any) -> list[ActionPlan]:
    """Plans owned by an organisation of ``unit``, and joint plans of its län (a kommun's
    region or the region itself), that ``by`` may read; newest first. One query."""
    lan_id = unit.pk if unit.level == Level.REGION else unit.region_id
    where = Q(owner__unit=unit)
    if lan_id is not None and unit.level in (Level.REGION, Level.KOMMUN):
        where |= Q(lan_id=lan_id)
    plans = _newest(services.visible_plans(by).filter(where))
    return list(plans.order_by("-end_year", "-start_year", "title")[: LIMIT + 1])


def indicator_goals(code: str, by: Any) -> list[GoalIndicator]:
    """The goal links that follow indicator ``code`` in plans ``by`` may read (newest
    versions only); one query with the goal, plan and owner."""
    readable = services.visible_plans(by).values("pk")
    links = GoalIndicator.objects.filter(
        indicator_code=code, goal__plan_id__in=readable
    ).select_related("goal__plan__owner", "goal__plan__lan")
    links = links.exclude(Exists(ActionPlan.objects.filter(previous_id=OuterRef("goal__plan_id"))))
    return list(links.order_by("-goal__plan__end_year", "goal__plan__title", "pk")[: LIMIT + 1])


@register.inclusion_tag("plans/_unit_plans.html", takes_context=True)
def plans_for_unit(context: template.Context, unit: Unit) -> dict[str, Any]:
    plans = unit_plans(unit, _user(context))
    return {"unit": unit, "plans": plans[:LIMIT], "more": len(plans) > LIMIT}


@register.inclusion_tag("plans/_indicator_goals.html", takes_context=True)
def goals_for_indicator(context: template.Context, code: str) -> dict[str, Any]:
    links = indicator_goals(code, _user(context))
    return {"links": links[:LIMIT], "more": len(links) > LIMIT}
