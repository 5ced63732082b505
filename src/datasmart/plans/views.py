"""Plan pages: thin. Parse, call :mod:`.services`, render. ``PermissionDenied`` becomes the
403 page, ``LookupError`` the 404 page, :class:`~.services.PlanError` a message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from datasmart.accounts.models import Organisation
from datasmart.accounts.permissions import roles_by_organisation

from . import rights, services
from .forms import (
    ActivityForm,
    FollowUpDateForm,
    GoalForm,
    GoalIndicatorAddForm,
    GoalIndicatorEditForm,
    JointPlanCreateForm,
    PlanCreateForm,
    PlanEditForm,
)
from .models import ActionPlan, Goal, GoalKind, PlanStatus

T = TypeVar("T")


def _plan_or_404(request: HttpRequest, plan_id: int) -> ActionPlan:
    try:
        return services.get_plan(plan_id, request.user, request=request)
    except LookupError as exc:
        raise Http404(str(exc)) from None


@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    plans = services.visible_plans(request.user)
    return render(
        request,
        "plans/list.html",
        {
            "plans": plans,
            "may_create": bool(services.editable_organisations(request.user)),
            "may_create_joint": bool(services.joint_plan_lans(request.user)),
        },
    )


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
    links = [link for goal in goals for link in goal.indicators.all()]
    titles = services.indicator_titles(link.indicator_code for link in links)
    for link in links:  # the title in the page's language beside the stored code
        link.indicator_title = titles.get(link.indicator_code, link.indicator_code)  # type: ignore[attr-defined]
    activities = list(
        plan.activities.prefetch_related("goals").select_related(
            "owner", "funding_post__agreement", "needs_scenario__unit"
        )
    )
    may_edit = rights.may_edit(request.user, plan.owner)
    parties = list(plan.parties.select_related("organisation"))
    changes = services.compare_versions(plan.previous, plan) if plan.previous else []
    newer = ActionPlan.objects.filter(previous=plan).first()
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
            "may_edit": may_edit,
            "editable": may_edit and not plan.is_frozen,
            "newer": newer,
            **_lifecycle(plan, may_edit, newer),
        },
    )


def _lifecycle(plan: ActionPlan, may_edit: bool, newer: ActionPlan | None) -> dict[str, Any]:
    """The status timeline (from the plan's own dates: no query) and which lifecycle
    buttons the user gets (the owner's editors; a follow-up must be saved before "mark
    as followed up", which costs one query, only then)."""
    status = plan.status
    closed = status == PlanStatus.CLOSED
    steps = [
        ("created", _("Skapad"), plan.created_at),
        ("agreed", _("Överenskommen"), plan.agreed_at),
        ("active", _("Aktiv"), plan.activated_at),
        ("followed_up", _("Uppföljd"), plan.followed_up_at),
        ("closed", _("Avslutad"), plan.closed_at),
    ]
    # a closed plan skipped the steps it never reached; an open one shows what is ahead
    timeline = [
        {"key": key, "label": label, "at": at, "done": at is not None}
        for key, label, at in steps
        if at is not None or not closed
    ]
    superseded = (
        newer is not None and closed and plan.close_reason == f"ersatt av version {newer.version}"
    )
    may_mark = may_edit and status == PlanStatus.ACTIVE and plan.follow_ups.exists()
    dates = {key: at for key, _label, at in steps}
    return {
        "timeline": timeline,
        # the date beside the status: when the plan reached it (a draft shows none)
        "status_at": None if status == PlanStatus.DRAFT else dates.get(status),
        "superseded": superseded,
        "may_activate": may_edit and status == PlanStatus.AGREED,
        "activate_early": not services.may_activate_now(plan),
        "may_mark_followed_up": may_mark,
        "needs_follow_up": may_edit and status == PlanStatus.ACTIVE and not may_mark,
        "may_close": may_edit and status in services.CLOSABLE_STATUSES,
    }


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


# --- editing ----------------------------------------------------------------------------------
#
# Each editing view first reads the plan (hidden → 403, missing → 404) and checks that the
# user edits for its owner (audited 403 before any form is parsed, so a refusal never
# looks like a form error); the services check again when they write. A frozen plan shows
# why it cannot change and offers a new version instead of the form.


def _editable(request: HttpRequest, plan_id: int, action: str) -> ActionPlan:
    plan = _plan_or_404(request, plan_id)
    rights.require_edit(request.user, plan.owner, action=action, request=request)
    return plan


def _or_404(lookup: Callable[[], T]) -> T:
    try:
        return lookup()
    except LookupError as exc:
        raise Http404(str(exc)) from None


def _frozen(request: HttpRequest, plan: ActionPlan, title: str) -> HttpResponse:
    """The page a frozen plan's editing form is replaced by (409 for a POST)."""
    status = 409 if request.method == "POST" else 200
    return render(
        request,
        "plans/frozen.html",
        {"plan": plan, "title": title, "newer": ActionPlan.objects.filter(previous=plan).first()},
        status=status,
    )


def _form_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    invalid: bool = False,
) -> HttpResponse:
    return render(request, template, context, status=400 if invalid else 200)


def _saved(request: HttpRequest, plan: ActionPlan, message: str, anchor: str = "") -> HttpResponse:
    messages.success(request, message)
    url = reverse("plans:detail", args=[plan.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


def _years_or_none(data: dict[str, Any], *names: str) -> dict[str, Any]:
    return {n: data[n] for n in names if data.get(n) is not None}


@login_required
@require_http_methods(["GET", "POST"])
def plan_create(request: HttpRequest) -> HttpResponse:
    owners = services.editable_organisations(request.user)
    if not owners:
        raise PermissionDenied(_("Du saknar behörighet för detta."))
    form = PlanCreateForm(request.POST or None, owners=owners)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = services.create_plan(
                form.owners[data["owner"]],
                title=data["title"],
                start_year=data["start_year"],
                end_year=data["end_year"],
                visibility=data["visibility"],
                by=request.user,
                request=request,
            )
        except services.PlanError as exc:
            form.add_error(None, str(exc))
        else:
            return _saved(request, plan, _("Planen är skapad som utkast."))
    return _form_page(
        request,
        "plans/plan_form.html",
        {"form": form, "joint": False},
        invalid=request.method == "POST",
    )


@login_required
@require_http_methods(["GET", "POST"])
def joint_plan_create(request: HttpRequest) -> HttpResponse:
    lans = services.joint_plan_lans(request.user)
    if not lans:
        raise PermissionDenied(_("Du saknar behörighet för detta."))
    form = JointPlanCreateForm(request.POST or None, lans=lans)
    parties = {u.code: services.party_organisations(u) for u, _o in lans}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        _unit, owner = form.lans[data["lan"]]
        try:
            plan = services.create_joint_plan(
                data["lan"],
                owner,
                title=data["title"],
                start_year=data["start_year"],
                end_year=data["end_year"],
                visibility=data["visibility"],
                by=request.user,
                request=request,
            )
        except services.PlanError as exc:
            form.add_error(None, str(exc))
        else:
            return _saved(request, plan, _("Den gemensamma planen är skapad som utkast."))
    return _form_page(
        request,
        "plans/plan_form.html",
        {"form": form, "joint": True, "lans": lans, "parties": parties},
        invalid=request.method == "POST",
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, plan_id: int) -> HttpResponse:
    """A draft's title, period, visibility and next follow-up; on a frozen plan only the
    follow-up date (scheduling)."""
    plan = _editable(request, plan_id, "update_plan")
    initial = {
        "title": plan.title,
        "start_year": plan.start_year,
        "end_year": plan.end_year,
        "visibility": plan.visibility,
        "next_follow_up": plan.next_follow_up,
    }
    form_class = FollowUpDateForm if plan.is_frozen else PlanEditForm
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_plan(plan, by=request.user, request=request, **form.cleaned_data)
        except services.PlanError as exc:
            form.add_error(None, str(exc))
        else:
            return _saved(request, plan, _("Planen är sparad."))
    return _form_page(
        request,
        "plans/plan_edit.html",
        {"form": form, "plan": plan},
        invalid=request.method == "POST",
    )


def _parents(plan: ActionPlan, goal: Goal | None = None) -> list[Goal]:
    """Goals a goal may hang under: the plan's, except the goal itself and its delmål."""
    goals = list(plan.goals.order_by("pk"))
    if goal is None:
        return goals
    below = {goal.pk}
    changed = True
    while changed:
        changed = False
        for g in goals:
            if g.parent_id in below and g.pk not in below:
                below.add(g.pk)
                changed = True
    return [g for g in goals if g.pk not in below]


def _goal_values(form: GoalForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    return {
        "text": data["text"],
        "kind": data["kind"],
        "parent": data["parent"],
        "decided_by": data["decided_by"],
        "decided_on": data["decided_on"],
        "document": data["document"],
        **_years_or_none(data, "start_year", "end_year"),
    }


@login_required
@require_http_methods(["GET", "POST"])
def goal_create(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _editable(request, plan_id, "create_goal")
    if plan.is_frozen:
        return _frozen(request, plan, _("Nytt mål"))
    initial: dict[str, Any] = {}
    parent_raw = request.GET.get("parent", "")
    if parent_raw.isdigit() and plan.goals.filter(pk=int(parent_raw)).exists():
        initial = {"parent": parent_raw, "kind": GoalKind.OPERATIVE}
    form = GoalForm(request.POST or None, parents=_parents(plan), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            goal = services.create_goal(
                plan, by=request.user, request=request, **_goal_values(form)
            )
        except services.PlanError as exc:
            form.add_error(None, str(exc))
        else:
            return _saved(request, plan, _("Målet är sparat."), f"goal-{goal.pk}")
    return _form_page(
        request,
        "plans/goal_form.html",
        {"form": form, "plan": plan, "goal": None},
        invalid=request.method == "POST",
    )


@login_required
@require_http_methods(["GET", "POST"])
def goal_edit(request: HttpRequest, plan_id: int, goal_id: int) -> HttpResponse:
    plan = _editable(request, plan_id, "update_goal")
    goal = _or_404(lambda: services.get_goal(plan, goal_id))
    if plan.is_frozen:
        return _frozen(request, plan, _("Ändra mål"))
    initial = {
        "kind": goal.kind,
        "parent": str(goal.parent_id or ""),
        "text": goal.text,
        "start_year": goal.start_year,
        "end_year": goal.end_year,
        "decided_by": goal.decided_by,
        "decided_on": goal.decided_on,
        "document": goal.document,
    }
    form = GoalForm(request.POST or None, parents=_parents(plan, goal), initial=initial)
    if request.method == "POST" and form.is_valid():
        values = _goal_values(form)
        values.setdefault("start_year", plan.start_year)
        values.setdefault("end_year", plan.end_year)
        try:
            services.update_goal(goal, by=request.user, request=request, **values)
        except services.PlanError as exc:
            form.add_error(None, str(exc))
        else:
            return _saved(request, plan, _("Målet är sparat."), f"goal-{goal.pk}")
    return _form_page(
        request,
        "plans/goal_form.html",
        {"form": form, "plan": plan, "goal": goal},
        invalid=request.method == "POST",
    )


def _post_action(
    request: HttpRequest,
    plan: ActionPlan,
    write: Callable[[], Any],
    success: str,
    *,
    back: str | None = None,
) -> HttpResponse:
    """Run a POST-only write; a :class:`~.services.PlanError` becomes a message on the page
    the user came from (``back``) or the plan."""
    try:
        write()
    except services.PlanError as exc:
        messages.error(request, str(exc))
        return redirect(back or reverse("plans:detail", args=[plan.pk]))
    return _saved(request, plan, success)


@login_required
@require_POST
def goal_delete(request: HttpRequest, plan_id: int, goal_id: int) -> HttpResponse:
    plan = _editable(request, plan_id, "delete_goal")
    goal = _or_404(lambda: services.get_goal(plan, goal_id))
    return _post_action(
        request,
        plan,
        lambda: services.delete_goal(goal, by=request.user, request=request),
        _("Målet är borttaget."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def indicator_add(request: HttpRequest, plan_id: int, goal_id: int) -> HttpResponse:
    plan = _editable(request, plan_id, "add_goal_indicator")
    goal = _or_404(lambda: services.get_goal(plan, goal_id))
    if plan.is_frozen:
        return _frozen(request, plan, _("Lägg till indikator"))
    form = GoalIndicatorAddForm(
        request.POST or None,
        indicators=services.indicator_choices(plan),
        initial={"target_year": goal.end_year},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.add_goal_indicator(goal, by=request.user, request=request, **form.cleaned_data)
        except services.PlanError as exc:
            form.add_error(None, str(exc))
        else:
            return _saved(request, plan, _("Indikatorn är tillagd."), f"goal-{goal.pk}")
    return _form_page(
        request,
        "plans/indicator_form.html",
        {"form": form, "plan": plan, "goal": goal, "link": None},
        invalid=request.method == "POST",
    )


@login_required
@require_http_methods(["GET", "POST"])
def indicator_edit(request: HttpRequest, plan_id: int, link_id: int) -> HttpResponse:
    plan = _editable(request, plan_id, "update_goal_indicator")
    link = _or_404(lambda: services.get_goal_indicator(plan, link_id))
    if plan.is_frozen:
        return _frozen(request, plan, _("Ändra indikator"))
    initial = {
        "kind": link.kind,
        "direction": link.direction,
        "target_value": link.target_value,
        "target_year": link.target_year,
    }
    form = GoalIndicatorEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_goal_indicator(
                link, by=request.user, request=request, **form.cleaned_data
            )
        except services.PlanError as exc:
            form.add_error(None, str(exc))
        else:
            return _saved(request, plan, _("Indikatorn är sparad."), f"goal-{link.goal_id}")
    return _form_page(
        request,
        "plans/indicator_form.html",
        {"form": form, "plan": plan, "goal": link.goal, "link": link},
        invalid=request.method == "POST",
    )


@login_required
@require_POST
def indicator_remove(request: HttpRequest, plan_id: int, link_id: int) -> HttpResponse:
    plan = _editable(request, plan_id, "remove_goal_indicator")
    link = _or_404(lambda: services.get_goal_indicator(plan, link_id))
    return _post_action(
        request,
        plan,
        lambda: services.remove_goal_indicator(link, by=request.user, request=request),
        _("Indikatorn är borttagen från målet."),
    )


def _activity_form(request: HttpRequest, plan: ActionPlan, **kwargs: Any) -> ActivityForm:
    return ActivityForm(
        request.POST or None,
        goals=list(plan.goals.order_by("pk")),
        posts=services.funding_post_choices(plan),
        scenarios=services.needs_scenario_choices(plan),
        **kwargs,
    )


@login_required
@require_http_methods(["GET", "POST"])
def activity_create(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _editable(request, plan_id, "create_activity")
    if plan.is_frozen:
        return _frozen(request, plan, _("Ny aktivitet"))
    form = _activity_form(request, plan)
    if request.method == "POST" and form.is_valid():
        try:
            activity = services.create_activity(
                plan, by=request.user, request=request, **form.values()
            )
        except services.PlanError as exc:
            form.add_error(None, str(exc))
        else:
            return _saved(request, plan, _("Aktiviteten är sparad."), f"activity-{activity.pk}")
    return _form_page(
        request,
        "plans/activity_form.html",
        {"form": form, "plan": plan, "activity": None},
        invalid=request.method == "POST",
    )


@login_required
@require_http_methods(["GET", "POST"])
def activity_edit(request: HttpRequest, plan_id: int, activity_id: int) -> HttpResponse:
    plan = _editable(request, plan_id, "update_activity")
    activity = _or_404(lambda: services.get_activity(plan, activity_id))
    if plan.is_frozen:
        return _frozen(request, plan, _("Ändra aktivitet"))
    initial = {
        "title": activity.title,
        "goals": [str(g.pk) for g in activity.goals.all()],
        "responsible_role": activity.responsible_role,
        "start": activity.start,
        "end": activity.end,
        "status": activity.status,
        "budget": activity.budget,
        "cost": activity.cost,
        "funding_post": str(activity.funding_post_id or ""),
        "needs_scenario": str(activity.needs_scenario_id or ""),
    }
    form = _activity_form(request, plan, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_activity(activity, by=request.user, request=request, **form.values())
        except services.PlanError as exc:
            form.add_error(None, str(exc))
        else:
            return _saved(request, plan, _("Aktiviteten är sparad."), f"activity-{activity.pk}")
    return _form_page(
        request,
        "plans/activity_form.html",
        {"form": form, "plan": plan, "activity": activity},
        invalid=request.method == "POST",
    )


@login_required
@require_POST
def activity_delete(request: HttpRequest, plan_id: int, activity_id: int) -> HttpResponse:
    plan = _editable(request, plan_id, "delete_activity")
    activity = _or_404(lambda: services.get_activity(plan, activity_id))
    return _post_action(
        request,
        plan,
        lambda: services.delete_activity(activity, by=request.user, request=request),
        _("Aktiviteten är borttagen."),
    )


@login_required
@require_POST
def new_version(request: HttpRequest, plan_id: int) -> HttpResponse:
    """A new draft version of a frozen plan; the user lands on the draft."""
    plan = _editable(request, plan_id, "new_version")
    try:
        copy = services.new_version(plan, by=request.user, request=request)
    except services.PlanError as exc:
        messages.error(request, str(exc))
        return redirect("plans:detail", plan_id=plan.pk)
    return _saved(
        request,
        copy,
        _("Version %(n)s är skapad som utkast. Ändra den och låt parterna godkänna den.")
        % {"n": copy.version},
    )


@login_required
@require_POST
def activate(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Agreed → active (the owner's editors); before the first year only with "early"."""
    plan = _editable(request, plan_id, "activate_plan")
    early = request.POST.get("early") in ("1", "on", "true")
    return _post_action(
        request,
        plan,
        lambda: services.activate_plan(plan, early=early, by=request.user, request=request),
        _("Planen är aktiverad."),
    )


@login_required
@require_POST
def followed_up(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Active → followed up (the owner's editors; a follow-up must be saved first)."""
    plan = _editable(request, plan_id, "mark_followed_up")
    return _post_action(
        request,
        plan,
        lambda: services.mark_followed_up(plan, by=request.user, request=request),
        _("Planen är markerad som uppföljd."),
    )


@login_required
@require_POST
def close(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Any agreed, active or followed-up plan → closed, with a reason."""
    plan = _editable(request, plan_id, "close_plan")
    reason = request.POST.get("reason", "")
    return _post_action(
        request,
        plan,
        lambda: services.close_plan(plan, reason=reason, by=request.user, request=request),
        _("Planen är avslutad."),
    )


@require_GET
def compare(request: HttpRequest, plan_id: int, other_id: int) -> HttpResponse:
    """What changed from version ``other`` to version ``plan`` (or back), grouped by what."""
    plan = _plan_or_404(request, plan_id)
    other = _plan_or_404(request, other_id)
    if not services.same_chain(plan, other):
        raise Http404(_("Planerna är inte versioner av samma plan."))
    old, new = (other, plan) if other.version < plan.version else (plan, other)
    changes = services.compare_versions(old, new)
    groups = [
        (label, [c for c in changes if c.what == what])
        for what, label in (
            ("plan", _("Planen")),
            ("goal", _("Mål")),
            ("indicator", _("Indikatorer")),
            ("activity", _("Aktiviteter")),
        )
    ]
    return render(
        request,
        "plans/compare.html",
        {
            "plan": plan,
            "old": old,
            "new": new,
            "changes": changes,
            "groups": [(label, items) for label, items in groups if items],
            "versions": services.comparable_versions(plan),
        },
    )
