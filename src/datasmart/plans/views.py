"""Plan pages: thin. Parse, call :mod:`.services`, render. ``PermissionDenied`` becomes the
403 page, ``LookupError`` the 404 page, :class:`~.services.PlanError` a message."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from datasmart.accounts.models import Organisation
from datasmart.accounts.permissions import roles_by_organisation

from . import rights, services
from .models import ActionPlan, Goal, PlanStatus


def _plan_or_404(request: HttpRequest, plan_id: int) -> ActionPlan:
    try:
        return services.get_plan(plan_id, request.user, request=request)
    except LookupError as exc:
        raise Http404(str(exc)) from None


@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    plans = services.visible_plans(request.user)
    return render(request, "plans/list.html", {"plans": plans})


def _tree(goals: list[Goal]) -> list[tuple[Goal, int]]:
    """Goals in tree order with their depth (parents before their delmål)."""
    children: dict[int | None, list[Goal]] = {}
    for g in goals:
        children.setdefault(g.parent_id, []).append(g)
    out: list[tuple[Goal, int]] = []

    def visit(parent: int | None, depth: int) -> None:
        for g in children.get(parent, []):
            out.append((g, depth))
            visit(g.pk, depth + 1)

    visit(None, 0)
    return out


def _my_parties(request: HttpRequest, plan: ActionPlan) -> list[Any]:
    """The parties this user may approve or leave for (their coordinator role)."""
    if not request.user.is_authenticated:
        return []
    mine = set(roles_by_organisation(request.user))
    return [
        p
        for p in plan.parties.select_related("organisation")
        if p.organisation_id in mine and rights.may_approve(request.user, p.organisation)
    ]


@require_GET
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan_or_404(request, plan_id)
    goals = list(plan.goals.prefetch_related("indicators").order_by("pk"))
    activities = list(plan.activities.prefetch_related("goals").select_related("owner"))
    parties = list(plan.parties.select_related("organisation"))
    changes = services.compare_versions(plan.previous, plan) if plan.previous else []
    return render(
        request,
        "plans/detail.html",
        {
            "plan": plan,
            "tree": _tree(goals),
            "activities": activities,
            "parties": parties,
            "my_parties": _my_parties(request, plan) if plan.status == PlanStatus.DRAFT else [],
            "changes": changes,
        },
    )


def _party_org(request: HttpRequest, plan: ActionPlan) -> Organisation:
    raw = request.POST.get("organisation", "")
    if raw.isdigit():
        org = Organisation.objects.filter(pk=int(raw)).first()
        if org is not None:
            return org
    mine = _my_parties(request, plan)
    if mine:
        return mine[0].organisation
    # nobody to sign for: let the service refuse (audited) in the owner's name
    return plan.owner


@login_required
@require_POST
def approve(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan_or_404(request, plan_id)
    org = _party_org(request, plan)
    try:
        services.approve(plan, org, by=request.user, request=request)
    except services.PlanError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(org)s har godkänt planen.") % {"org": org.name})
    return redirect("plans:detail", plan_id=plan.pk)


@login_required
@require_POST
def leave(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan_or_404(request, plan_id)
    org = _party_org(request, plan)
    try:
        services.leave(
            plan, org, reason=request.POST.get("reason", ""), by=request.user, request=request
        )
    except services.PlanError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(org)s har lämnat planen.") % {"org": org.name})
    return redirect("plans:detail", plan_id=plan.pk)
