"""The only way in to plans for pages, API, CLI and other domains.

Every write takes ``by`` (a user or ``SYSTEM``), checks rights first (:mod:`.rights`,
scoped to the organisation that owns the plan or, for approvals, the party), refuses to
change a plan that is no longer a draft (an agreed version is frozen: change it through
:func:`new_version`), and writes in one transaction with an audit event. User errors are
:class:`PlanError` with a Swedish message naming the field.

Funding reads :func:`agreed_joint_plan_exists` ("an agreed joint plan exists for län X for
year Y", the 2016 and 2020 agreements' condition) instead of keeping a copy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from datasmart.accounts.audit import SystemActor, record_event
from datasmart.accounts.models import Organisation, OrganisationKind, Role
from datasmart.accounts.permissions import roles_by_organisation
from datasmart.geo.models import Level, Unit
from datasmart.indicators.services import IndicatorNotFound, Result, get_indicator

from . import rights
from .models import (
    ActionPlan,
    Activity,
    ActivityStatus,
    Direction,
    Goal,
    GoalIndicator,
    GoalKind,
    IndicatorKind,
    PlanParty,
    PlanStatus,
    Visibility,
)

if TYPE_CHECKING:
    from django.http import HttpRequest

__all__ = [
    "PlanError",
    "add_goal_indicator",
    "agree_plan",
    "agreed_joint_plan_exists",
    "approve",
    "compare_versions",
    "create_activity",
    "create_goal",
    "create_joint_plan",
    "create_plan",
    "get_plan",
    "leave",
    "new_version",
    "party_organisations",
    "update_activity",
    "update_goal",
    "visible_plans",
]

#: Which organisation speaks for a kommun or the region when more than one exists there.
_KIND_PREFERENCE = [
    OrganisationKind.KOMMUN_SOCIAL,
    OrganisationKind.LAN_SUPPORT,
    OrganisationKind.REGION_PSYCHIATRY,
    OrganisationKind.REGION_BUP,
    OrganisationKind.PRIMARY_CARE,
    OrganisationKind.SCHOOL,
    OrganisationKind.OTHER,
]


class PlanError(ValueError):
    """A user error in a plan write; the message is Swedish and safe to show."""


# --- reading ---------------------------------------------------------------------------------


def visible_plans(by: Any) -> QuerySet[ActionPlan]:
    """Plans ``by`` may read: public ones, and parties-only ones they own or are party to."""
    plans = ActionPlan.objects.select_related("owner", "lan")
    if isinstance(by, SystemActor) or getattr(by, "is_superuser", False):
        return plans
    mine = list(roles_by_organisation(by)) if getattr(by, "is_authenticated", False) else []
    return plans.filter(
        Q(visibility=Visibility.PUBLIC)
        | Q(owner_id__in=mine)
        | Q(parties__organisation_id__in=mine)
    ).distinct()


def get_plan(plan_id: int, by: Any, *, request: HttpRequest | None = None) -> ActionPlan:
    """One plan; ``LookupError`` if it does not exist, ``PermissionDenied`` if hidden."""
    try:
        plan = ActionPlan.objects.select_related("owner", "lan", "previous").get(pk=plan_id)
    except ActionPlan.DoesNotExist:
        raise LookupError(_("Planen finns inte.")) from None
    rights.require_read(by, plan, request=request)
    return plan


def agreed_joint_plan_exists(lan_code: str, year: int) -> bool:
    """Whether the region and kommuner of län ``lan_code`` have an agreed joint plan
    (agreed, active or followed up; not closed) covering ``year``."""
    return ActionPlan.objects.filter(
        lan__code=lan_code,
        start_year__lte=year,
        end_year__gte=year,
        status__in=[PlanStatus.AGREED, PlanStatus.ACTIVE, PlanStatus.FOLLOWED_UP],
    ).exists()


# --- helpers -------------------------------------------------------------------------------


def _check_years(start_year: int, end_year: int) -> None:
    if not (1900 <= start_year <= 2200 and 1900 <= end_year <= 2200):
        raise PlanError(_("Fältet år: ange ett år mellan 1900 och 2200."))
    if end_year < start_year:
        raise PlanError(_("Fältet sista år: det kan inte ligga före första år."))


def _check_text(value: str, field: str, max_length: int | None = None) -> str:
    value = " ".join((value or "").split()) if max_length else (value or "").strip()
    if not value:
        raise PlanError(_("Fältet %(field)s får inte vara tomt.") % {"field": field})
    if max_length and len(value) > max_length:
        raise PlanError(
            _("Fältet %(field)s får vara högst %(n)s tecken.") % {"field": field, "n": max_length}
        )
    return value


def _require_draft(plan: ActionPlan) -> None:
    if plan.is_frozen:
        raise PlanError(
            _(
                "Planen har status %(status)s och kan inte ändras; gör en ny version för att "
                "ändra den."
            )
            % {"status": PlanStatus(plan.status).label}
        )


def _audit(action: str, by: Any, target: Any, organisation: Organisation, **detail: Any) -> None:
    record_event(action, actor=by, organisation=organisation, target=target, detail=detail or None)


def party_organisations(lan: Unit) -> list[Organisation]:
    """The parties of a joint plan for ``lan``: one organisation for the region (län) and
    one for every kommun of the län that has an organisation on the platform (the
    preferred kind first, e.g. the kommun's social services, then by name)."""
    units = [lan, *Unit.objects.filter(region=lan, level=Level.KOMMUN).order_by("code")]
    orgs = Organisation.objects.filter(unit__in=units).select_related("unit")
    by_unit: dict[int, list[Organisation]] = {}
    for org in orgs:
        by_unit.setdefault(org.unit_id, []).append(org)

    def rank(org: Organisation) -> tuple[int, str]:
        kind = OrganisationKind(org.kind)
        index = _KIND_PREFERENCE.index(kind) if kind in _KIND_PREFERENCE else len(_KIND_PREFERENCE)
        return index, org.name

    return [min(by_unit[u.pk], key=rank) for u in units if u.pk in by_unit]


# --- plans ---------------------------------------------------------------------------------


def create_plan(
    owner: Organisation,
    *,
    title: str,
    start_year: int,
    end_year: int,
    visibility: str = Visibility.PUBLIC,
    by: Any,
    request: HttpRequest | None = None,
) -> ActionPlan:
    """A draft action plan of ``owner`` (its coordinators and analysts)."""
    rights.require_edit(by, owner, action="create_plan", request=request)
    title = _check_text(title, _("titel"), 200)
    _check_years(start_year, end_year)
    if visibility not in Visibility.values:
        raise PlanError(_("Fältet synlighet: okänt värde."))
    with transaction.atomic():
        plan = ActionPlan.objects.create(
            owner=owner,
            title=title,
            start_year=start_year,
            end_year=end_year,
            visibility=visibility,
        )
        _audit("plans.plan_created", by, plan, owner, title=title)
    return plan


def create_joint_plan(
    lan_code: str,
    owner: Organisation,
    *,
    title: str,
    start_year: int,
    end_year: int,
    visibility: str = Visibility.PUBLIC,
    by: Any,
    request: HttpRequest | None = None,
) -> ActionPlan:
    """A draft joint län plan held by the region's organisation ``owner``, with the region
    and every kommun of the län that has an organisation as parties."""
    rights.require_edit(by, owner, action="create_joint_plan", request=request)
    try:
        lan = Unit.objects.get(code=lan_code, level=Level.REGION)
    except Unit.DoesNotExist:
        raise PlanError(_("Fältet län: länet %(code)s finns inte.") % {"code": lan_code}) from None
    if owner.unit_id != lan.pk:
        raise PlanError(_("Fältet ägare: en gemensam länsplan hålls av regionen i länet."))
    with transaction.atomic():
        plan = create_plan(
            owner,
            title=title,
            start_year=start_year,
            end_year=end_year,
            visibility=visibility,
            by=by,
            request=request,
        )
        plan.lan = lan
        plan.save(update_fields=["lan"])
        parties = party_organisations(lan)
        PlanParty.objects.bulk_create(PlanParty(plan=plan, organisation=o) for o in parties)
        _audit(
            "plans.joint_plan_parties",
            by,
            plan,
            owner,
            lan=lan.code,
            parties=[o.pk for o in parties],
        )
    return plan


def agree_plan(plan: ActionPlan, *, by: Any, request: HttpRequest | None = None) -> ActionPlan:
    """Mark a single owner's draft agreed (a joint plan is agreed by its parties' approvals)."""
    rights.require_edit(by, plan.owner, action="agree_plan", request=request)
    if plan.is_joint:
        raise PlanError(_("En gemensam plan blir överenskommen när alla parter har godkänt den."))
    _require_draft(plan)
    with transaction.atomic():
        plan.status = PlanStatus.AGREED
        plan.agreed_at = timezone.now()
        plan.save(update_fields=["status", "agreed_at"])
        _audit("plans.plan_agreed", by, plan, plan.owner)
    return plan


def _active_parties(plan: ActionPlan) -> QuerySet[PlanParty]:
    return plan.parties.filter(left_at__isnull=True)


def _agree_if_all_approved(plan: ActionPlan, by: Any) -> None:
    parties = _active_parties(plan)
    if parties.exists() and not parties.filter(approved_at__isnull=True).exists():
        plan.status = PlanStatus.AGREED
        plan.agreed_at = timezone.now()
        plan.save(update_fields=["status", "agreed_at"])
        _audit("plans.plan_agreed", by, plan, plan.owner, by_parties=True)


def _party(plan: ActionPlan, organisation: Organisation) -> PlanParty:
    try:
        return plan.parties.select_related("organisation").get(organisation=organisation)
    except PlanParty.DoesNotExist:
        raise PlanError(
            _("Organisationen %(org)s är inte part i planen.") % {"org": organisation.name}
        ) from None


def approve(
    plan: ActionPlan,
    organisation: Organisation,
    *,
    by: Any,
    request: HttpRequest | None = None,
) -> PlanParty:
    """``organisation`` approves the joint plan in its own name (its coordinator); the
    plan becomes agreed when every party that has not left has approved."""
    rights.require_approve(by, organisation, action="approve", request=request)
    with transaction.atomic():
        plan = ActionPlan.objects.select_for_update().get(pk=plan.pk)
        party = _party(plan, organisation)
        _require_draft(plan)
        if party.left_at is not None:
            raise PlanError(_("Organisationen har lämnat planen och kan inte godkänna den."))
        if party.approved_at is not None:
            raise PlanError(_("Organisationen har redan godkänt planen."))
        party.approved_at = timezone.now()
        if not isinstance(by, SystemActor):
            party.approved_by = by
        party.approved_by_name = str(by.get_username())[:200]
        party.save(update_fields=["approved_at", "approved_by", "approved_by_name"])
        _audit("plans.party_approved", by, plan, organisation, party=organisation.pk)
        _agree_if_all_approved(plan, by)
    return party


def leave(
    plan: ActionPlan,
    organisation: Organisation,
    *,
    reason: str,
    by: Any,
    request: HttpRequest | None = None,
) -> PlanParty:
    """``organisation`` leaves the joint plan with a reason (its coordinator). If every
    remaining party has approved, the plan is then agreed."""
    rights.require_approve(by, organisation, action="leave", request=request)
    reason = _check_text(reason, _("skäl"))
    with transaction.atomic():
        plan = ActionPlan.objects.select_for_update().get(pk=plan.pk)
        party = _party(plan, organisation)
        _require_draft(plan)
        if party.left_at is not None:
            raise PlanError(_("Organisationen har redan lämnat planen."))
        party.left_at = timezone.now()
        party.leave_reason = reason
        party.save(update_fields=["left_at", "leave_reason"])
        _audit("plans.party_left", by, plan, organisation, party=organisation.pk)
        _agree_if_all_approved(plan, by)
    return party


# --- goals and indicators --------------------------------------------------------------------


def create_goal(
    plan: ActionPlan,
    *,
    text: str,
    kind: str = GoalKind.POLITICAL,
    parent: Goal | None = None,
    start_year: int | None = None,
    end_year: int | None = None,
    decided_by: str = "",
    decided_on: dt.date | None = None,
    document: str = "",
    by: Any,
    request: HttpRequest | None = None,
) -> Goal:
    """A goal in a draft plan; an operative goal (delmål) hangs under a goal of the plan."""
    rights.require_edit(by, plan.owner, action="create_goal", request=request)
    _require_draft(plan)
    text = _check_text(text, _("mål"))
    if kind not in GoalKind.values:
        raise PlanError(_("Fältet typ: okänt värde."))
    if kind == GoalKind.OPERATIVE and parent is None:
        raise PlanError(_("Fältet övergripande mål: ett delmål hör till ett mål."))
    if parent is not None and parent.plan_id != plan.pk:
        raise PlanError(_("Fältet övergripande mål: målet hör till en annan plan."))
    start = plan.start_year if start_year is None else start_year
    end = plan.end_year if end_year is None else end_year
    _check_years(start, end)
    with transaction.atomic():
        goal = Goal.objects.create(
            plan=plan,
            parent=parent,
            kind=kind,
            text=text,
            start_year=start,
            end_year=end,
            decided_by=decided_by.strip()[:200],
            decided_on=decided_on,
            document=document.strip()[:300],
            owner=plan.owner,
            level=plan.owner.unit.level,
        )
        _audit("plans.goal_created", by, goal, plan.owner, plan=plan.pk)
    return goal


#: Fields of a goal that :func:`update_goal` changes.
GOAL_FIELDS = ("text", "start_year", "end_year", "decided_by", "decided_on", "document")


def update_goal(goal: Goal, *, by: Any, request: HttpRequest | None = None, **changes: Any) -> Goal:
    """Change a goal's text, period or decision reference while its plan is a draft."""
    plan = goal.plan
    rights.require_edit(by, plan.owner, action="update_goal", request=request)
    _require_draft(plan)
    unknown = set(changes) - set(GOAL_FIELDS)
    if unknown:
        raise PlanError(_("Okända fält: %(f)s") % {"f": ", ".join(sorted(unknown))})
    if "text" in changes:
        changes["text"] = _check_text(changes["text"], _("mål"))
    _check_years(changes.get("start_year", goal.start_year), changes.get("end_year", goal.end_year))
    with transaction.atomic():
        for name, value in changes.items():
            setattr(goal, name, value)
        goal.save(update_fields=list(changes) or None)
        _audit("plans.goal_updated", by, goal, plan.owner, fields=sorted(changes))
    return goal


def baseline_for(indicator_code: str, unit: Unit) -> tuple[float | None, int | None]:
    """The indicator's latest stored total result (both sexes, all ages) for ``unit``:
    the starting point a target is measured from. ``(None, None)`` if there is none."""
    row = (
        Result.objects.filter(
            indicator__code=indicator_code, unit=unit, sex="T", age_group="", value__isnull=False
        )
        .order_by("-period")
        .values_list("value", "period")
        .first()
    )
    return (row[0], row[1]) if row else (None, None)


def add_goal_indicator(
    goal: Goal,
    *,
    indicator_code: str,
    target_value: float,
    target_year: int,
    direction: str = Direction.INCREASE,
    kind: str = IndicatorKind.EFFECT,
    by: Any,
    request: HttpRequest | None = None,
) -> GoalIndicator:
    """Follow ``goal`` with an indicator of the catalogue; the baseline is read from the
    indicator's result for the owner's unit at the time the link is made."""
    plan = goal.plan
    rights.require_edit(by, plan.owner, action="add_goal_indicator", request=request)
    _require_draft(plan)
    try:
        indicator = get_indicator(indicator_code)
    except IndicatorNotFound:
        raise PlanError(
            _("Fältet indikator: indikatorn %(code)s finns inte.") % {"code": indicator_code}
        ) from None
    if direction not in Direction.values:
        raise PlanError(_("Fältet riktning: okänt värde."))
    if kind not in IndicatorKind.values:
        raise PlanError(_("Fältet typ: okänt värde."))
    if not (goal.start_year <= target_year <= goal.end_year + 10):
        raise PlanError(_("Fältet målår: året ligger utanför målets period."))
    if goal.indicators.filter(indicator_code=indicator.code).exists():
        raise PlanError(_("Fältet indikator: målet följs redan med den indikatorn."))
    value, period = baseline_for(indicator.code, plan.owner.unit)
    with transaction.atomic():
        link = GoalIndicator.objects.create(
            goal=goal,
            indicator_code=indicator.code,
            kind=kind,
            direction=direction,
            target_value=float(target_value),
            target_year=target_year,
            baseline_value=value,
            baseline_period=period,
        )
        _audit("plans.goal_indicator_added", by, link, plan.owner, indicator=indicator.code)
    return link


# --- activities --------------------------------------------------------------------------


def _check_activity(start: dt.date, end: dt.date, status: str, role: str) -> None:
    if end < start:
        raise PlanError(_("Fältet slut: det kan inte ligga före start."))
    if status not in ActivityStatus.values:
        raise PlanError(_("Fältet status: okänt värde."))
    if role not in Role.values:
        raise PlanError(_("Fältet ansvarig roll: okänt värde."))


def create_activity(
    plan: ActionPlan,
    *,
    title: str,
    goals: list[Goal],
    start: dt.date,
    end: dt.date,
    responsible_role: str = Role.COORDINATOR,
    status: str = ActivityStatus.PLANNED,
    budget: Decimal | None = None,
    cost: Decimal | None = None,
    by: Any,
    request: HttpRequest | None = None,
) -> Activity:
    """An activity of the plan's owner, linked to one or more goals of the same plan."""
    rights.require_edit(by, plan.owner, action="create_activity", request=request)
    _require_draft(plan)
    title = _check_text(title, _("aktivitet"), 300)
    _check_activity(start, end, status, responsible_role)
    if not goals:
        raise PlanError(_("Fältet mål: en aktivitet hör till minst ett mål."))
    if any(g.plan_id != plan.pk for g in goals):
        raise PlanError(_("Fältet mål: ett av målen hör till en annan plan."))
    with transaction.atomic():
        activity = Activity.objects.create(
            plan=plan,
            title=title,
            owner=plan.owner,
            responsible_role=responsible_role,
            start=start,
            end=end,
            status=status,
            budget=budget,
            cost=cost,
        )
        activity.goals.set(goals)
        _audit("plans.activity_created", by, activity, plan.owner, plan=plan.pk)
    return activity


ACTIVITY_FIELDS = ("title", "start", "end", "status", "responsible_role", "budget", "cost")


def update_activity(
    activity: Activity, *, by: Any, request: HttpRequest | None = None, **changes: Any
) -> Activity:
    """Change an activity (status, dates, money …) while its plan is a draft."""
    plan = activity.plan
    rights.require_edit(by, plan.owner, action="update_activity", request=request)
    _require_draft(plan)
    unknown = set(changes) - set(ACTIVITY_FIELDS)
    if unknown:
        raise PlanError(_("Okända fält: %(f)s") % {"f": ", ".join(sorted(unknown))})
    if "title" in changes:
        changes["title"] = _check_text(changes["title"], _("aktivitet"), 300)
    _check_activity(
        changes.get("start", activity.start),
        changes.get("end", activity.end),
        changes.get("status", activity.status),
        changes.get("responsible_role", activity.responsible_role),
    )
    with transaction.atomic():
        for name, value in changes.items():
            setattr(activity, name, value)
        activity.save(update_fields=list(changes) or None)
        _audit("plans.activity_updated", by, activity, plan.owner, fields=sorted(changes))
    return activity


# --- versions ----------------------------------------------------------------------------


def new_version(plan: ActionPlan, *, by: Any, request: HttpRequest | None = None) -> ActionPlan:
    """A draft copy of a frozen plan (goals tree, indicators, activities, parties without
    their approvals): the way to change an agreed plan. Only the latest version is copied."""
    rights.require_edit(by, plan.owner, action="new_version", request=request)
    if not plan.is_frozen:
        raise PlanError(
            _("Planen är ett utkast; ändra den direkt i stället för att göra en ny version.")
        )
    if ActionPlan.objects.filter(previous=plan).exists():
        raise PlanError(_("Det finns redan en nyare version av planen."))
    with transaction.atomic():
        copy = ActionPlan.objects.create(
            owner=plan.owner,
            title=plan.title,
            start_year=plan.start_year,
            end_year=plan.end_year,
            visibility=plan.visibility,
            lan=plan.lan,
            version=plan.version + 1,
            previous=plan,
        )
        mapping: dict[int, Goal] = {}
        for goal in plan.goals.order_by("pk"):  # parents are created before their children
            old_pk = goal.pk
            indicators = list(goal.indicators.all())
            goal.pk = None
            goal.id = None
            goal.plan = copy
            goal.parent = mapping.get(goal.parent_id) if goal.parent_id else None
            goal.save()
            mapping[old_pk] = goal
            for link in indicators:
                link.pk = None
                link.id = None
                link.goal = goal
                link.save()
        for activity in plan.activities.prefetch_related("goals").order_by("pk"):
            goal_ids = [g.pk for g in activity.goals.all()]
            activity.pk = None
            activity.id = None
            activity.plan = copy
            activity.save()
            activity.goals.set([mapping[g] for g in goal_ids])
        PlanParty.objects.bulk_create(
            PlanParty(plan=copy, organisation_id=p.organisation_id)
            for p in plan.parties.filter(left_at__isnull=True)
        )
        _audit("plans.version_created", by, copy, plan.owner, previous=plan.pk)
    return copy


@dataclass(frozen=True)
class Change:
    """One difference between two versions: what (goal/indicator/activity), how, and text."""

    what: str
    how: str  # "added", "removed", "changed"
    label: str
    before: str = ""
    after: str = ""

    @property
    def what_label(self) -> str:
        return {"goal": _("mål"), "indicator": _("indikator"), "activity": _("aktivitet")}[
            self.what
        ]

    @property
    def how_label(self) -> str:
        return {"added": _("tillagd"), "removed": _("borttagen"), "changed": _("ändrad")}[self.how]


def _goal_key(goal: Goal) -> str:
    return goal.text


def compare_versions(old: ActionPlan, new: ActionPlan) -> list[Change]:
    """What changed from ``old`` to ``new``: goals and activities matched by their text,
    indicators by goal text and code; changed fields listed with before and after."""
    changes: list[Change] = []

    def goal_map(plan: ActionPlan) -> dict[str, Goal]:
        return {_goal_key(g): g for g in plan.goals.prefetch_related("indicators")}

    og, ng = goal_map(old), goal_map(new)
    for key in sorted(og.keys() - ng.keys()):
        changes.append(Change("goal", "removed", key))
    for key in sorted(ng.keys() - og.keys()):
        changes.append(Change("goal", "added", key))
    for key in sorted(og.keys() & ng.keys()):
        a, b = og[key], ng[key]
        for name in ("kind", "start_year", "end_year", "decided_by", "decided_on", "document"):
            if getattr(a, name) != getattr(b, name):
                changes.append(
                    Change(
                        "goal",
                        "changed",
                        f"{key}: {name}",
                        str(getattr(a, name)),
                        str(getattr(b, name)),
                    )
                )
        ai = {i.indicator_code: i for i in a.indicators.all()}
        bi = {i.indicator_code: i for i in b.indicators.all()}
        for code in sorted(ai.keys() - bi.keys()):
            changes.append(Change("indicator", "removed", f"{key}: {code}"))
        for code in sorted(bi.keys() - ai.keys()):
            changes.append(Change("indicator", "added", f"{key}: {code}"))
        for code in sorted(ai.keys() & bi.keys()):
            for name in ("target_value", "target_year", "direction", "kind"):
                if getattr(ai[code], name) != getattr(bi[code], name):
                    changes.append(
                        Change(
                            "indicator",
                            "changed",
                            f"{key}: {code}: {name}",
                            str(getattr(ai[code], name)),
                            str(getattr(bi[code], name)),
                        )
                    )
    oa = {a.title: a for a in old.activities.all()}
    na = {a.title: a for a in new.activities.all()}
    for key in sorted(oa.keys() - na.keys()):
        changes.append(Change("activity", "removed", key))
    for key in sorted(na.keys() - oa.keys()):
        changes.append(Change("activity", "added", key))
    for key in sorted(oa.keys() & na.keys()):
        for name in ACTIVITY_FIELDS[1:]:
            if getattr(oa[key], name) != getattr(na[key], name):
                changes.append(
                    Change(
                        "activity",
                        "changed",
                        f"{key}: {name}",
                        str(getattr(oa[key], name)),
                        str(getattr(na[key], name)),
                    )
                )
    return changes
