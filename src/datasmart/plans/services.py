"""The only way in to plans for pages, API, CLI and other domains.

Every write takes ``by`` (a user or ``SYSTEM``), checks rights first (:mod:`.rights`,
scoped to the organisation that owns the plan or, for approvals, the party), refuses to
change a plan that is no longer a draft (an agreed version is frozen: change it through
:func:`new_version`), and writes in one transaction with an audit event. User errors are
:class:`PlanError` with a Swedish message naming the field.

Lifecycle: draft → agreed (:func:`agree_plan`, or every party's :func:`approve`) → active
(:func:`activate_plan`) → followed up (:func:`mark_followed_up`) → closed
(:func:`close_plan`, or automatically when a newer version is agreed: "ersatt av version N").

Funding reads :func:`agreed_joint_plan_exists` ("an agreed joint plan exists for län X for
year Y", the 2016 and 2020 agreements' condition) instead of keeping a copy.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from datasmart.accounts.audit import SystemActor, record_event
from datasmart.accounts.models import Organisation, OrganisationKind, Role
from datasmart.accounts.permissions import roles_by_organisation
from datasmart.geo.models import Level, Unit
from datasmart.indicators.services import IndicatorNotFound, Result, get_indicator, list_indicators

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
    "Change",
    "IndicatorChoice",
    "PlanError",
    "PlanStateError",
    "activate_plan",
    "add_goal_indicator",
    "agree_plan",
    "agreed_joint_plan",
    "agreed_joint_plan_exists",
    "approve",
    "baseline_for",
    "baselines_for",
    "close_plan",
    "comparable_versions",
    "compare_versions",
    "create_activity",
    "create_goal",
    "create_joint_plan",
    "create_plan",
    "delete_activity",
    "delete_goal",
    "editable_organisations",
    "funding_post_choices",
    "get_activity",
    "get_goal",
    "get_goal_indicator",
    "get_plan",
    "indicator_choices",
    "joint_plan_lans",
    "leave",
    "mark_followed_up",
    "may_activate_now",
    "needs_scenario_choices",
    "new_version",
    "party_organisations",
    "remove_goal_indicator",
    "same_chain",
    "update_activity",
    "update_goal",
    "update_goal_indicator",
    "update_plan",
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


class PlanStateError(PlanError):
    """A lifecycle step (activate, mark followed up, close) refused because of the plan's
    status, not because of what was sent: the API answers 409 for it."""


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


def get_goal(plan: ActionPlan, goal_id: int) -> Goal:
    """A goal of ``plan`` (``LookupError`` if it is not one of the plan's)."""
    try:
        return Goal.objects.select_related("plan", "parent").get(pk=goal_id, plan=plan)
    except Goal.DoesNotExist:
        raise LookupError(_("Målet finns inte i planen.")) from None


def get_goal_indicator(plan: ActionPlan, link_id: int) -> GoalIndicator:
    """A goal indicator of ``plan`` (``LookupError`` if it is not one of the plan's)."""
    try:
        return GoalIndicator.objects.select_related("goal__plan").get(pk=link_id, goal__plan=plan)
    except GoalIndicator.DoesNotExist:
        raise LookupError(_("Målindikatorn finns inte i planen.")) from None


def get_activity(plan: ActionPlan, activity_id: int) -> Activity:
    """An activity of ``plan`` (``LookupError`` if it is not one of the plan's)."""
    try:
        return Activity.objects.select_related("plan", "funding_post", "needs_scenario").get(
            pk=activity_id, plan=plan
        )
    except Activity.DoesNotExist:
        raise LookupError(_("Aktiviteten finns inte i planen.")) from None


#: Statuses in which a joint plan counts as agreed (frozen and in force).
AGREED_STATUSES = (PlanStatus.AGREED, PlanStatus.ACTIVE, PlanStatus.FOLLOWED_UP)


def _agreed_joint_plans(lan_code: str, year: int) -> QuerySet[ActionPlan]:
    """Joint plans of län ``lan_code`` in force in ``year`` (agreed, active or followed up)."""
    return ActionPlan.objects.filter(
        lan__code=lan_code, start_year__lte=year, end_year__gte=year, status__in=AGREED_STATUSES
    )


def agreed_joint_plan(lan_code: str, year: int) -> ActionPlan | None:
    """The newest agreed joint plan of län ``lan_code`` covering ``year`` (agreed, active
    or followed up; not closed), or ``None``. Callers showing it check :func:`rights.may_read`."""
    return _agreed_joint_plans(lan_code, year).order_by("-version", "-pk").first()


def agreed_joint_plan_exists(lan_code: str, year: int) -> bool:
    """Whether the region and kommuner of län ``lan_code`` have an agreed joint plan
    (agreed, active or followed up; not closed) covering ``year``."""
    return _agreed_joint_plans(lan_code, year).exists()


# --- helpers -------------------------------------------------------------------------------


#: Years a plan, goal or target may name: wide enough for any real plan, narrow enough to
#: catch a typo (20225) or a two-digit year (25) before it is saved.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _check_year(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PlanError(_("Fältet %(field)s: ange ett år med fyra siffror.") % {"field": field})
    if not FIRST_YEAR <= value <= LAST_YEAR:
        raise PlanError(
            _("Fältet %(field)s: ange ett år mellan %(a)s och %(b)s.")
            % {"field": field, "a": FIRST_YEAR, "b": LAST_YEAR}
        )
    return value


def _check_years(start_year: int, end_year: int) -> None:
    _check_year(start_year, _("första år"))
    _check_year(end_year, _("sista år"))
    if end_year < start_year:
        raise PlanError(_("Fältet sista år: det kan inte ligga före första år."))


def _check_within_plan(plan: ActionPlan, start_year: int, end_year: int) -> None:
    """A goal's period lies inside its plan's period."""
    if start_year < plan.start_year:
        raise PlanError(
            _("Fältet första år: målets period börjar före planens (%(y)s).")
            % {"y": plan.start_year}
        )
    if end_year > plan.end_year:
        raise PlanError(
            _("Fältet sista år: målets period slutar efter planens (%(y)s).") % {"y": plan.end_year}
        )


def _check_amount(value: Any, field: str) -> Decimal | None:
    """Budget and cost: empty, or a finite amount of kronor that is not negative."""
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except (ArithmeticError, ValueError):
        raise PlanError(
            _("Fältet %(field)s: ange ett belopp i kronor.") % {"field": field}
        ) from None
    if not amount.is_finite():
        raise PlanError(_("Fältet %(field)s: ange ett belopp i kronor.") % {"field": field})
    if amount < 0:
        raise PlanError(_("Fältet %(field)s: beloppet kan inte vara negativt.") % {"field": field})
    if abs(amount) >= Decimal(10) ** 12:
        raise PlanError(_("Fältet %(field)s: beloppet är för stort.") % {"field": field})
    return amount.quantize(Decimal("0.01"))


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

    return [min(by_unit[u.pk], key=_rank) for u in units if u.pk in by_unit]


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


#: Fields of a plan that :func:`update_plan` changes. ``next_follow_up`` is scheduling, not
#: content: it may change on an agreed or active plan too (not a closed one).
PLAN_FIELDS = ("title", "start_year", "end_year", "visibility", "next_follow_up")
_SCHEDULING_FIELDS = frozenset({"next_follow_up"})


def update_plan(
    plan: ActionPlan, *, by: Any, request: HttpRequest | None = None, **changes: Any
) -> ActionPlan:
    """Change a plan's title, period, visibility (drafts only) or next follow-up date (any
    plan that is not closed). Values equal to the stored ones are ignored, so a form that
    sends every field may be saved on a frozen plan when only the date changed.

    Narrowing the period is refused while a goal or an activity lies outside the new one
    (the message names it), as the same check on the goal or activity would refuse it."""
    rights.require_edit(by, plan.owner, action="update_plan", request=request)
    unknown = set(changes) - set(PLAN_FIELDS)
    if unknown:
        raise PlanError(_("Okända fält: %(f)s") % {"f": ", ".join(sorted(unknown))})
    changes = {k: v for k, v in changes.items() if getattr(plan, k) != v}
    if set(changes) - _SCHEDULING_FIELDS:
        _require_draft(plan)
    if "title" in changes:
        changes["title"] = _check_text(changes["title"], _("titel"), 200)
    if "visibility" in changes and changes["visibility"] not in Visibility.values:
        raise PlanError(_("Fältet synlighet: okänt värde."))
    if "next_follow_up" in changes:
        _check_follow_up_date(plan, changes["next_follow_up"])
    if "start_year" in changes or "end_year" in changes:
        start = changes.get("start_year", plan.start_year)
        end = changes.get("end_year", plan.end_year)
        _check_years(start, end)
        goal = plan.goals.exclude(start_year__gte=start, end_year__lte=end).first()
        if goal is not None:
            raise PlanError(
                _(
                    "Fältet första år/sista år: målet %(goal)s (%(a)s–%(b)s) ligger utanför den "
                    "nya perioden; ändra målet först."
                )
                % {"goal": str(goal), "a": goal.start_year, "b": goal.end_year}
            )
        activity = plan.activities.exclude(
            start__year__gte=start - 1, end__year__lte=end + 1
        ).first()
        if activity is not None:
            raise PlanError(
                _(
                    "Fältet första år/sista år: aktiviteten %(a)s ligger utanför den nya "
                    "perioden; ändra den först."
                )
                % {"a": activity.title}
            )
    if not changes:
        return plan
    with transaction.atomic():
        for name, value in changes.items():
            setattr(plan, name, value)
        plan.save(update_fields=list(changes))
        detail: dict[str, Any] = {"fields": sorted(changes)}
        if "next_follow_up" in changes:
            date = changes["next_follow_up"]
            detail["next_follow_up"] = date.isoformat() if date else None
        _audit("plans.plan_updated", by, plan, plan.owner, **detail)
    return plan


def _check_follow_up_date(plan: ActionPlan, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, dt.date):
        raise PlanError(_("Fältet nästa uppföljning: ange ett datum."))
    if plan.status == PlanStatus.CLOSED:
        raise PlanError(_("Fältet nästa uppföljning: planen är avslutad och följs inte upp."))
    if value < timezone.localdate():
        raise PlanError(_("Fältet nästa uppföljning: datumet har redan passerat."))
    if value.year > LAST_YEAR:
        raise PlanError(
            _("Fältet nästa uppföljning: ange ett datum före år %(y)s.") % {"y": LAST_YEAR + 1}
        )


def editable_organisations(by: Any) -> list[Organisation]:
    """Organisations whose plans ``by`` edits (and so may create a plan for), by name: the
    choice on the "new plan" page."""
    if isinstance(by, SystemActor) or getattr(by, "is_superuser", False):
        return list(Organisation.objects.select_related("unit").order_by("name"))
    if not getattr(by, "is_authenticated", False):
        return []
    ids = list(roles_by_organisation(by))
    orgs = Organisation.objects.filter(pk__in=ids).select_related("unit").order_by("name")
    return [o for o in orgs if rights.may_edit(by, o)]


def _rank(org: Organisation) -> tuple[int, str]:
    kind = OrganisationKind(org.kind)
    index = _KIND_PREFERENCE.index(kind) if kind in _KIND_PREFERENCE else len(_KIND_PREFERENCE)
    return index, org.name


def joint_plan_lans(by: Any) -> list[tuple[Unit, Organisation]]:
    """The län ``by`` may start a joint plan for, each with the organisation that would
    hold it: one of ``by``'s editable organisations whose unit is the län (the region's);
    for the superuser every län with an organisation on the platform."""
    if isinstance(by, SystemActor) or getattr(by, "is_superuser", False):
        candidates = list(
            Organisation.objects.filter(unit__level=Level.REGION).select_related("unit")
        )
    else:
        candidates = [o for o in editable_organisations(by) if o.unit.level == Level.REGION]
    by_lan: dict[int, list[Organisation]] = {}
    for org in candidates:
        by_lan.setdefault(org.unit_id, []).append(org)
    out = [(orgs[0].unit, min(orgs, key=_rank)) for orgs in by_lan.values()]
    return sorted(out, key=lambda pair: pair[0].code)


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
        _supersede(plan, by)
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
        _supersede(plan, by)


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


# --- lifecycle: active, followed up, closed ---------------------------------------------------
#
# draft → agreed (agree_plan, or the last party's approval) → active → followed up → closed;
# any agreed, active or followed-up version may be closed with a reason. The steps after
# agreement change the plan's status and dates only, never its content (it stays frozen),
# so they are done by the owner's editors, also for a joint plan: the parties approved the
# content, the owner runs the plan. Each step locks the plan row, checks its status, and
# writes the change and its audit event in one transaction.

#: Longest reason for closing a plan.
CLOSE_REASON_MAX = 2000
#: Statuses a plan may be closed from.
CLOSABLE_STATUSES = (PlanStatus.AGREED, PlanStatus.ACTIVE, PlanStatus.FOLLOWED_UP)


def _lock_status(plan: ActionPlan) -> None:
    """Lock the plan's row and refresh its status and dates (another request may have
    moved it on since ``plan`` was read)."""
    row = (
        ActionPlan.objects.select_for_update()
        .values("status", "agreed_at", "activated_at", "followed_up_at", "closed_at")
        .get(pk=plan.pk)
    )
    for name, value in row.items():
        setattr(plan, name, value)


def _status_label(plan: ActionPlan) -> str:
    return str(PlanStatus(plan.status).label).lower()


def may_activate_now(plan: ActionPlan, today: dt.date | None = None) -> bool:
    """Whether the plan's period has begun, so it is activated without ``early``."""
    return (today or timezone.localdate()).year >= plan.start_year


def activate_plan(
    plan: ActionPlan,
    *,
    early: bool = False,
    by: Any,
    request: HttpRequest | None = None,
) -> ActionPlan:
    """Put an agreed plan in force (agreed → active); the owner's editors.

    From January 1 of the plan's first year; before that only with ``early=True`` (a plan
    agreed in the autumn for next year may be started at once, but never by accident)."""
    rights.require_edit(by, plan.owner, action="activate_plan", request=request)
    with transaction.atomic():
        _lock_status(plan)
        if plan.status == PlanStatus.DRAFT:
            raise PlanStateError(
                _("Planen är ett utkast och kan inte aktiveras; den måste först bli överenskommen.")
            )
        if plan.status == PlanStatus.ACTIVE:
            raise PlanStateError(_("Planen är redan aktiv."))
        if plan.status != PlanStatus.AGREED:
            raise PlanStateError(
                _(
                    "Planen har status %(status)s och kan inte aktiveras; bara en "
                    "överenskommen plan aktiveras."
                )
                % {"status": _status_label(plan)}
            )
        is_early = not may_activate_now(plan)
        if is_early and not early:
            raise PlanError(
                _(
                    "Fältet aktivera i förtid: planen gäller från %(y)s; välj att aktivera "
                    "den redan nu om den ska börja gälla före det."
                )
                % {"y": plan.start_year}
            )
        plan.status = PlanStatus.ACTIVE
        plan.activated_at = timezone.now()
        plan.save(update_fields=["status", "activated_at"])
        _audit("plans.plan_activated", by, plan, plan.owner, early=is_early)
    return plan


def mark_followed_up(
    plan: ActionPlan, *, by: Any, request: HttpRequest | None = None
) -> ActionPlan:
    """Mark an active plan as followed up (active → followed up); the owner's editors.

    Only when a follow-up of this version has been saved (``followup.record_follow_up``):
    the status says the plan's results have been looked at, and the saved snapshot is the
    evidence. Recording a follow-up never changes the status by itself (a plan is followed
    up every year while it runs); this step is the owner's decision that it is done."""
    rights.require_edit(by, plan.owner, action="mark_followed_up", request=request)
    with transaction.atomic():
        _lock_status(plan)
        if plan.status == PlanStatus.DRAFT:
            raise PlanStateError(
                _(
                    "Planen är ett utkast och kan inte markeras som uppföljd; den måste först "
                    "bli överenskommen och aktiv."
                )
            )
        if plan.status == PlanStatus.AGREED:
            raise PlanStateError(
                _(
                    "Planen är överenskommen men inte aktiv; aktivera den innan den markeras "
                    "som uppföljd."
                )
            )
        if plan.status == PlanStatus.FOLLOWED_UP:
            raise PlanStateError(_("Planen är redan markerad som uppföljd."))
        if plan.status == PlanStatus.CLOSED:
            raise PlanStateError(_("Planen är avslutad och kan inte markeras som uppföljd."))
        latest = plan.follow_ups.order_by("-made_at", "-pk").values("pk", "year").first()
        if latest is None:
            raise PlanStateError(
                _(
                    "Planen har ingen sparad uppföljning; spara en uppföljning på "
                    "uppföljningssidan innan planen markeras som uppföljd."
                )
            )
        plan.status = PlanStatus.FOLLOWED_UP
        plan.followed_up_at = timezone.now()
        plan.save(update_fields=["status", "followed_up_at"])
        _audit(
            "plans.plan_followed_up",
            by,
            plan,
            plan.owner,
            follow_up=latest["pk"],
            year=latest["year"],
        )
    return plan


def _close(plan: ActionPlan, reason: str, by: Any, **detail: Any) -> None:
    plan.status = PlanStatus.CLOSED
    plan.closed_at = timezone.now()
    plan.close_reason = reason
    plan.save(update_fields=["status", "closed_at", "close_reason"])
    _audit("plans.plan_closed", by, plan, plan.owner, reason=reason[:200], **detail)


def close_plan(
    plan: ActionPlan, *, reason: str, by: Any, request: HttpRequest | None = None
) -> ActionPlan:
    """Close an agreed, active or followed-up plan with a reason (stored and audited);
    the owner's editors. A draft is not closed (it was never in force)."""
    rights.require_edit(by, plan.owner, action="close_plan", request=request)
    reason = _check_text(reason, _("skäl"))
    if len(reason) > CLOSE_REASON_MAX:
        raise PlanError(_("Fältet skäl får vara högst %(n)s tecken.") % {"n": CLOSE_REASON_MAX})
    with transaction.atomic():
        _lock_status(plan)
        if plan.status == PlanStatus.DRAFT:
            raise PlanStateError(
                _(
                    "Planen är ett utkast och kan inte avslutas; bara en överenskommen, aktiv "
                    "eller uppföljd plan avslutas."
                )
            )
        if plan.status == PlanStatus.CLOSED:
            raise PlanStateError(_("Planen är redan avslutad."))
        _close(plan, reason, by)
    return plan


def _supersede(plan: ActionPlan, by: Any) -> None:
    """``plan`` has just become agreed: close the version it was made from (if that is
    still agreed, active or followed up) with the reason "ersatt av version N", in the
    caller's transaction and audited in the caller's name. The reason is stored in Swedish
    (data, not interface text)."""
    if plan.previous_id is None:
        return
    old = ActionPlan.objects.select_for_update().get(pk=plan.previous_id)
    if old.status not in CLOSABLE_STATUSES:
        return
    _close(old, f"ersatt av version {plan.version}", by, superseded_by=plan.pk)


# --- goals and indicators --------------------------------------------------------------------


def _check_parent(
    plan: ActionPlan, kind: str, parent: Goal | None, goal: Goal | None = None
) -> None:
    """A delmål hangs under a goal of the same plan; a goal is never under itself or
    under one of its own delmål (the tree would become a loop)."""
    if kind not in GoalKind.values:
        raise PlanError(_("Fältet typ: okänt värde."))
    if kind == GoalKind.OPERATIVE and parent is None:
        raise PlanError(_("Fältet övergripande mål: ett delmål hör till ett mål."))
    if parent is None:
        return
    if parent.plan_id != plan.pk:
        raise PlanError(_("Fältet övergripande mål: målet hör till en annan plan."))
    if goal is not None:
        node: Goal | None = parent
        while node is not None:
            if node.pk == goal.pk:
                raise PlanError(
                    _("Fältet övergripande mål: ett mål kan inte ligga under sig självt.")
                )
            node = node.parent


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
    """A goal in a draft plan; an operative goal (delmål) hangs under a goal of the plan.
    The goal's period defaults to the plan's and must lie inside it."""
    rights.require_edit(by, plan.owner, action="create_goal", request=request)
    _require_draft(plan)
    text = _check_text(text, _("mål"))
    _check_parent(plan, kind, parent)
    start = plan.start_year if start_year is None else start_year
    end = plan.end_year if end_year is None else end_year
    _check_years(start, end)
    _check_within_plan(plan, start, end)
    with transaction.atomic():
        goal = Goal.objects.create(
            plan=plan,
            parent=parent,
            kind=kind,
            text=text,
            start_year=start,
            end_year=end,
            decided_by=_check_optional(decided_by, _("beslutat av"), 200),
            decided_on=decided_on,
            document=_check_optional(document, _("beslutsdokument"), 300),
            owner=plan.owner,
            level=plan.owner.unit.level,
        )
        _audit("plans.goal_created", by, goal, plan.owner, plan=plan.pk)
    return goal


def _check_optional(value: str | None, field: str, max_length: int) -> str:
    value = " ".join((value or "").split())
    if len(value) > max_length:
        raise PlanError(
            _("Fältet %(field)s får vara högst %(n)s tecken.") % {"field": field, "n": max_length}
        )
    return value


#: Fields of a goal that :func:`update_goal` changes.
GOAL_FIELDS = (
    "text",
    "kind",
    "parent",
    "start_year",
    "end_year",
    "decided_by",
    "decided_on",
    "document",
)


def update_goal(goal: Goal, *, by: Any, request: HttpRequest | None = None, **changes: Any) -> Goal:
    """Change a goal's text, kind, parent, period or decision reference while its plan is a
    draft. The period stays inside the plan's, and the goal's indicators' target years
    inside the goal's period."""
    plan = goal.plan
    rights.require_edit(by, plan.owner, action="update_goal", request=request)
    _require_draft(plan)
    unknown = set(changes) - set(GOAL_FIELDS)
    if unknown:
        raise PlanError(_("Okända fält: %(f)s") % {"f": ", ".join(sorted(unknown))})
    if "text" in changes:
        changes["text"] = _check_text(changes["text"], _("mål"))
    if "decided_by" in changes:
        changes["decided_by"] = _check_optional(changes["decided_by"], _("beslutat av"), 200)
    if "document" in changes:
        changes["document"] = _check_optional(changes["document"], _("beslutsdokument"), 300)
    if "kind" in changes or "parent" in changes:
        _check_parent(
            plan, changes.get("kind", goal.kind), changes.get("parent", goal.parent), goal
        )
    start = changes.get("start_year", goal.start_year)
    end = changes.get("end_year", goal.end_year)
    _check_years(start, end)
    _check_within_plan(plan, start, end)
    outside = goal.indicators.exclude(target_year__gte=start, target_year__lte=end).first()
    if outside is not None:
        raise PlanError(
            _(
                "Fältet första år/sista år: indikatorn %(code)s har målår %(year)s, utanför den "
                "nya perioden; ändra målåret först."
            )
            % {"code": outside.indicator_code, "year": outside.target_year}
        )
    with transaction.atomic():
        for name, value in changes.items():
            setattr(goal, name, value)
        goal.save(update_fields=list(changes) or None)
        _audit("plans.goal_updated", by, goal, plan.owner, fields=sorted(changes))
    return goal


def delete_goal(goal: Goal, *, by: Any, request: HttpRequest | None = None) -> None:
    """Delete a goal of a draft plan with its indicator links.

    Refused (not cascaded) when the goal still has delmål, or when an activity would be
    left without any goal: deleting a political goal should not silently take its whole
    subtree or orphan the work planned for it. Delete or move those first.
    """
    plan = goal.plan
    rights.require_edit(by, plan.owner, action="delete_goal", request=request)
    _require_draft(plan)
    child = goal.children.order_by("pk").first()
    if child is not None:
        raise PlanError(
            _("Målet har delmål (%(child)s); ta bort eller flytta dem först.")
            % {"child": str(child)}
        )
    for activity in goal.activities.prefetch_related("goals"):
        if all(g.pk == goal.pk for g in activity.goals.all()):
            raise PlanError(
                _(
                    "Aktiviteten %(a)s hör bara till det här målet; koppla den till ett annat "
                    "mål eller ta bort den först."
                )
                % {"a": activity.title}
            )
    with transaction.atomic():
        pk, text = goal.pk, goal.text[:200]
        _audit("plans.goal_deleted", by, goal, plan.owner, plan=plan.pk, goal=pk, text=text)
        goal.delete()


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


def baselines_for(unit: Unit) -> dict[str, tuple[float, int]]:
    """Every indicator's baseline for ``unit`` in one query (code → (value, period)): what
    the indicator chooser shows next to each indicator before the link is made."""
    rows = (
        Result.objects.filter(unit=unit, sex="T", age_group="", value__isnull=False)
        .order_by("indicator__code", "-period")
        .values_list("indicator__code", "value", "period")
    )
    out: dict[str, tuple[float, int]] = {}
    for code, value, period in rows:
        if value is not None:
            out.setdefault(code, (value, period))
    return out


@dataclass(frozen=True)
class IndicatorChoice:
    """An indicator of the catalogue as the goal-indicator chooser offers it."""

    code: str
    title: str
    baseline_value: float | None
    baseline_period: int | None


def indicator_title(indicator: Any) -> str:
    """The indicator's title in the page's language (English when asked for and written)."""
    english = str(indicator.title_en or "") if get_language() == "en" else ""
    return english or str(indicator.title_sv)


def indicator_titles(codes: Iterable[str]) -> dict[str, str]:
    """``{code: title}`` in the page's language for the codes that are in the catalogue."""
    wanted = set(codes)
    return {i.code: indicator_title(i) for i in list_indicators() if i.code in wanted}


def indicator_choices(plan: ActionPlan) -> list[IndicatorChoice]:
    """The catalogue (through :mod:`datasmart.indicators.services`) with the baseline each
    indicator would get for the plan owner's unit."""
    baselines = baselines_for(plan.owner.unit)
    out = []
    for indicator in list_indicators():
        value, period = baselines.get(indicator.code, (None, None))
        out.append(IndicatorChoice(indicator.code, indicator_title(indicator), value, period))
    return out


def _check_target(goal: Goal, target_value: Any, target_year: Any) -> tuple[float, int]:
    try:
        value = float(target_value)
    except (TypeError, ValueError):
        raise PlanError(_("Fältet målvärde: ange ett tal.")) from None
    if not math.isfinite(value):
        raise PlanError(_("Fältet målvärde: ange ett tal."))
    year = _check_year(target_year, _("målår"))
    if not goal.start_year <= year <= goal.end_year:
        raise PlanError(
            _("Fältet målår: året ligger utanför målets period (%(a)s–%(b)s).")
            % {"a": goal.start_year, "b": goal.end_year}
        )
    return value, year


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
    value_f, year = _check_target(goal, target_value, target_year)
    if goal.indicators.filter(indicator_code=indicator.code).exists():
        raise PlanError(_("Fältet indikator: målet följs redan med den indikatorn."))
    value, period = baseline_for(indicator.code, plan.owner.unit)
    with transaction.atomic():
        link = GoalIndicator.objects.create(
            goal=goal,
            indicator_code=indicator.code,
            kind=kind,
            direction=direction,
            target_value=value_f,
            target_year=year,
            baseline_value=value,
            baseline_period=period,
        )
        _audit("plans.goal_indicator_added", by, link, plan.owner, indicator=indicator.code)
    return link


#: Fields of a goal indicator that :func:`update_goal_indicator` changes (the code and the
#: baseline stay: a different indicator is a new link, and the baseline is history).
GOAL_INDICATOR_FIELDS = ("target_value", "target_year", "direction", "kind")


def update_goal_indicator(
    link: GoalIndicator, *, by: Any, request: HttpRequest | None = None, **changes: Any
) -> GoalIndicator:
    """Change a goal indicator's target, target year, direction or kind (process/effect)
    while its plan is a draft."""
    goal = link.goal
    plan = goal.plan
    rights.require_edit(by, plan.owner, action="update_goal_indicator", request=request)
    _require_draft(plan)
    unknown = set(changes) - set(GOAL_INDICATOR_FIELDS)
    if unknown:
        raise PlanError(_("Okända fält: %(f)s") % {"f": ", ".join(sorted(unknown))})
    if "direction" in changes and changes["direction"] not in Direction.values:
        raise PlanError(_("Fältet riktning: okänt värde."))
    if "kind" in changes and changes["kind"] not in IndicatorKind.values:
        raise PlanError(_("Fältet typ: okänt värde."))
    value, _year = _check_target(
        goal,
        changes.get("target_value", link.target_value),
        changes.get("target_year", link.target_year),
    )
    if "target_value" in changes:
        changes["target_value"] = value
    with transaction.atomic():
        for name, val in changes.items():
            setattr(link, name, val)
        link.save(update_fields=list(changes) or None)
        _audit(
            "plans.goal_indicator_updated",
            by,
            link,
            plan.owner,
            indicator=link.indicator_code,
            fields=sorted(changes),
        )
    return link


def remove_goal_indicator(
    link: GoalIndicator, *, by: Any, request: HttpRequest | None = None
) -> None:
    """Stop following a goal with an indicator (draft plans only)."""
    plan = link.goal.plan
    rights.require_edit(by, plan.owner, action="remove_goal_indicator", request=request)
    _require_draft(plan)
    with transaction.atomic():
        _audit(
            "plans.goal_indicator_removed",
            by,
            link,
            plan.owner,
            goal=link.goal_id,
            indicator=link.indicator_code,
        )
        link.delete()


# --- activities --------------------------------------------------------------------------

# The funding post and needs scenario an activity links to are other domains' tables,
# reached through the activity's own foreign keys (no import of their models; see
# tests/architecture): ``_related(name)`` is the model the field points at.


def _related(field: str) -> Any:
    return Activity._meta.get_field(field).related_model


#: Which recipients of an agreement post plausibly pay an owner's activity, by the owner's
#: level: a kommun is paid from kommun money, a region from region or län money; a sum not
#: split by level (``mixed``) may pay either. Other levels (nation, the other actors) are
#: not limited.
_POST_LEVELS: dict[str, frozenset[str]] = {
    Level.KOMMUN: frozenset({"kommun", "mixed"}),
    Level.REGION: frozenset({"region", "lan", "mixed"}),
}


def funding_post_choices(plan: ActionPlan) -> list[Any]:
    """Agreement posts that may pay an activity of ``plan`` (see :func:`_post_problem`):
    those of the agreements of the plan's years and the year before, for the owner's
    level. Read through the activity's foreign key, not by importing funding."""
    posts = _related("funding_post").objects.filter(
        agreement__year__gte=plan.start_year - 1, agreement__year__lte=plan.end_year
    )
    return [
        p
        for p in posts.select_related("agreement").order_by("-agreement__year", "order", "pk")
        if _post_problem(plan, p) is None
    ]


def _post_problem(plan: ActionPlan, post: Any) -> str | None:
    year = post.agreement.year
    if not plan.start_year - 1 <= year <= plan.end_year:
        return _(
            "Fältet finansiering: överenskommelsen %(year)s gäller inte planens period "
            "(%(a)s–%(b)s)."
        ) % {"year": year, "a": plan.start_year, "b": plan.end_year}
    levels = set(_POST_LEVELS.get(plan.owner.unit.level, ()))
    if plan.is_joint:
        levels |= _POST_LEVELS[Level.KOMMUN] | _POST_LEVELS[Level.REGION]
    if levels and post.recipient_level not in levels:
        return _(
            "Fältet finansiering: posten %(post)s går till %(to)s, inte till planens ägare."
        ) % {"post": post.name, "to": post.get_recipient_level_display().lower()}
    return None


def _check_post(plan: ActionPlan, value: Any) -> Any:
    """A funding post (object or id) that may pay an activity of ``plan``, or ``None``."""
    if value is None or value == "":
        return None
    model = _related("funding_post")
    if not isinstance(value, model):
        try:
            value = model.objects.select_related("agreement").get(pk=int(value))
        except (model.DoesNotExist, TypeError, ValueError):
            raise PlanError(_("Fältet finansiering: posten finns inte.")) from None
    problem = _post_problem(plan, value)
    if problem:
        raise PlanError(problem)
    return value


def _scenario_units(plan: ActionPlan) -> list[int]:
    """Units whose needs analyses an activity of ``plan`` may answer: the owner's unit, and
    for a joint plan the län and its kommuner."""
    if plan.lan_id is None:
        return [plan.owner.unit_id]
    kommuner = Unit.objects.filter(region_id=plan.lan_id, level=Level.KOMMUN)
    return [plan.lan_id, *kommuner.values_list("pk", flat=True)]


def _scenario_organisations(plan: ActionPlan) -> list[int]:
    """Organisations whose saved scenarios the plan may cite: the owner, and the parties
    that have not left (a scenario is otherwise visible only to its organisation)."""
    parties = plan.parties.filter(left_at__isnull=True).values_list("organisation_id", flat=True)
    return [plan.owner_id, *parties]


def needs_scenario_choices(plan: ActionPlan) -> list[Any]:
    """Saved needs scenarios an activity of ``plan`` may answer (see :func:`_check_scenario`)."""
    model = _related("needs_scenario")
    return list(
        model.objects.filter(
            unit_id__in=_scenario_units(plan), organisation_id__in=_scenario_organisations(plan)
        )
        .select_related("unit", "organisation")
        .order_by("unit__code", "name")
    )


def _check_scenario(plan: ActionPlan, value: Any) -> Any:
    """A saved needs scenario (object or id) of the owner's unit (or inside the län of a
    joint plan), saved by the owner or a party, or ``None``."""
    if value is None or value == "":
        return None
    model = _related("needs_scenario")
    if not isinstance(value, model):
        try:
            value = model.objects.select_related("unit").get(pk=int(value))
        except (model.DoesNotExist, TypeError, ValueError):
            raise PlanError(_("Fältet behovsanalys: scenariot finns inte.")) from None
    if value.unit_id not in _scenario_units(plan):
        raise PlanError(
            _("Fältet behovsanalys: scenariot gäller %(unit)s, inte planens område.")
            % {"unit": value.unit.name}
        )
    if value.organisation_id not in _scenario_organisations(plan):
        raise PlanError(
            _("Fältet behovsanalys: scenariot är sparat av en organisation utanför planen.")
        )
    return value


def _check_activity(plan: ActionPlan, start: dt.date, end: dt.date, status: str, role: str) -> None:
    """Dates in order and near the plan's period: from the year before it starts
    (preparation) to the year after it ends (wrapping up)."""
    for value, field in ((start, _("start")), (end, _("slut"))):
        if not isinstance(value, dt.date):
            raise PlanError(_("Fältet %(field)s: ange ett datum.") % {"field": field})
    if end < start:
        raise PlanError(_("Fältet slut: det kan inte ligga före start."))
    if start.year < plan.start_year - 1:
        raise PlanError(
            _("Fältet start: datumet ligger långt före planens period (%(a)s–%(b)s).")
            % {"a": plan.start_year, "b": plan.end_year}
        )
    if end.year > plan.end_year + 1:
        raise PlanError(
            _("Fältet slut: datumet ligger långt efter planens period (%(a)s–%(b)s).")
            % {"a": plan.start_year, "b": plan.end_year}
        )
    if status not in ActivityStatus.values:
        raise PlanError(_("Fältet status: okänt värde."))
    if role not in Role.values:
        raise PlanError(_("Fältet ansvarig roll: okänt värde."))


def _check_goals(plan: ActionPlan, goals: Any) -> list[Goal]:
    goals = list(goals or [])
    if not goals:
        raise PlanError(_("Fältet mål: en aktivitet hör till minst ett mål."))
    if any(g.plan_id != plan.pk for g in goals):
        raise PlanError(_("Fältet mål: ett av målen hör till en annan plan."))
    return goals


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
    funding_post: Any = None,
    needs_scenario: Any = None,
    by: Any,
    request: HttpRequest | None = None,
) -> Activity:
    """An activity of the plan's owner, linked to one or more goals of the same plan, and
    optionally to the agreement post paying it and the needs scenario it answers (each an
    object or its id)."""
    rights.require_edit(by, plan.owner, action="create_activity", request=request)
    _require_draft(plan)
    title = _check_text(title, _("aktivitet"), 300)
    _check_activity(plan, start, end, status, responsible_role)
    goals = _check_goals(plan, goals)
    budget = _check_amount(budget, _("budget"))
    cost = _check_amount(cost, _("kostnad"))
    post = _check_post(plan, funding_post)
    scenario = _check_scenario(plan, needs_scenario)
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
            funding_post=post,
            needs_scenario=scenario,
        )
        activity.goals.set(goals)
        _audit("plans.activity_created", by, activity, plan.owner, plan=plan.pk)
    return activity


#: Fields of an activity compared between versions (and changed by :func:`update_activity`,
#: which also takes ``goals``).
ACTIVITY_FIELDS = (
    "title",
    "start",
    "end",
    "status",
    "responsible_role",
    "budget",
    "cost",
    "funding_post",
    "needs_scenario",
)


def update_activity(
    activity: Activity, *, by: Any, request: HttpRequest | None = None, **changes: Any
) -> Activity:
    """Change an activity (status, dates, money, goals, funding post, needs scenario …)
    while its plan is a draft."""
    plan = activity.plan
    rights.require_edit(by, plan.owner, action="update_activity", request=request)
    _require_draft(plan)
    unknown = set(changes) - {*ACTIVITY_FIELDS, "goals"}
    if unknown:
        raise PlanError(_("Okända fält: %(f)s") % {"f": ", ".join(sorted(unknown))})
    if "title" in changes:
        changes["title"] = _check_text(changes["title"], _("aktivitet"), 300)
    _check_activity(
        plan,
        changes.get("start", activity.start),
        changes.get("end", activity.end),
        changes.get("status", activity.status),
        changes.get("responsible_role", activity.responsible_role),
    )
    goals = _check_goals(plan, changes.pop("goals")) if "goals" in changes else None
    for name, field in (("budget", _("budget")), ("cost", _("kostnad"))):
        if name in changes:
            changes[name] = _check_amount(changes[name], field)
    if "funding_post" in changes:
        changes["funding_post"] = _check_post(plan, changes["funding_post"])
    if "needs_scenario" in changes:
        changes["needs_scenario"] = _check_scenario(plan, changes["needs_scenario"])
    with transaction.atomic():
        for name, value in changes.items():
            setattr(activity, name, value)
        if changes:
            activity.save(update_fields=list(changes))
        if goals is not None:
            activity.goals.set(goals)
        fields = sorted([*changes, *(["goals"] if goals is not None else [])])
        _audit("plans.activity_updated", by, activity, plan.owner, fields=fields)
    return activity


def delete_activity(activity: Activity, *, by: Any, request: HttpRequest | None = None) -> None:
    """Delete an activity of a draft plan (an agreed version keeps it; a new version may
    drop it, and the comparison then shows it as removed)."""
    plan = activity.plan
    rights.require_edit(by, plan.owner, action="delete_activity", request=request)
    _require_draft(plan)
    with transaction.atomic():
        _audit(
            "plans.activity_deleted",
            by,
            activity,
            plan.owner,
            plan=plan.pk,
            activity=activity.pk,
            title=activity.title[:200],
        )
        activity.delete()


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
    """One difference between two versions: what (plan/goal/indicator/activity), how, and
    text. ``label`` is "<subject>: <field>" for a changed field (stable, for tests and the
    API); ``subject`` and ``field`` are the readable parts the comparison page shows, and
    ``before``/``after`` the values as shown on the pages (choice labels, dates)."""

    what: str
    how: str  # "added", "removed", "changed"
    label: str
    before: str = ""
    after: str = ""
    subject: str = ""
    field: str = ""

    @property
    def what_label(self) -> str:
        return {
            "plan": _("plan"),
            "goal": _("mål"),
            "indicator": _("indikator"),
            "activity": _("aktivitet"),
        }[self.what]

    @property
    def how_label(self) -> str:
        return {"added": _("tillagd"), "removed": _("borttagen"), "changed": _("ändrad")}[self.how]


def _goal_key(goal: Goal) -> str:
    return goal.text


def _shown(obj: Any, name: str) -> str:
    """A field's value as the pages show it: the choice label, a date as YYYY-MM-DD,
    an empty value as a dash."""
    value = getattr(obj, name)
    display = getattr(obj, f"get_{name}_display", None)
    if display is not None and value not in (None, ""):
        return str(display())
    if value is None or value == "":
        return "–"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return number_format(value, decimal_pos=0, use_l10n=True, force_grouping=True)
    if isinstance(value, Goal):
        return value.text
    return str(value)


def _field_changes(what: str, key: str, a: Any, b: Any, names: tuple[str, ...]) -> list[Change]:
    out = []
    for name in names:
        if getattr(a, name) != getattr(b, name):
            verbose = str(type(a)._meta.get_field(name).verbose_name)
            out.append(
                Change(
                    what,
                    "changed",
                    f"{key}: {name}",
                    _shown(a, name),
                    _shown(b, name),
                    subject=key,
                    field=verbose,
                )
            )
    return out


#: Plan and goal fields compared between versions.
_PLAN_COMPARED = ("title", "start_year", "end_year", "visibility")
_GOAL_COMPARED = ("kind", "start_year", "end_year", "decided_by", "decided_on", "document")


def compare_versions(old: ActionPlan, new: ActionPlan) -> list[Change]:
    """What changed from ``old`` to ``new``: the plan's own fields; goals and activities
    matched by their text, indicators by goal text and code; changed fields listed with
    before and after."""
    changes: list[Change] = _field_changes("plan", old.title, old, new, _PLAN_COMPARED)

    def goal_map(plan: ActionPlan) -> dict[str, Goal]:
        return {
            _goal_key(g): g
            for g in plan.goals.select_related("parent").prefetch_related("indicators")
        }

    og, ng = goal_map(old), goal_map(new)
    for key in sorted(og.keys() - ng.keys()):
        changes.append(Change("goal", "removed", key, subject=key))
    for key in sorted(ng.keys() - og.keys()):
        changes.append(Change("goal", "added", key, subject=key))
    for key in sorted(og.keys() & ng.keys()):
        a, b = og[key], ng[key]
        changes += _field_changes("goal", key, a, b, _GOAL_COMPARED)
        pa = a.parent.text if a.parent else None
        pb = b.parent.text if b.parent else None
        if pa != pb:
            changes.append(
                Change(
                    "goal",
                    "changed",
                    f"{key}: parent",
                    pa or "–",
                    pb or "–",
                    subject=key,
                    field=str(Goal._meta.get_field("parent").verbose_name),
                )
            )
        ai = {i.indicator_code: i for i in a.indicators.all()}
        bi = {i.indicator_code: i for i in b.indicators.all()}
        for code in sorted(ai.keys() - bi.keys()):
            label = f"{key}: {code}"
            changes.append(Change("indicator", "removed", label, subject=label))
        for code in sorted(bi.keys() - ai.keys()):
            label = f"{key}: {code}"
            changes.append(Change("indicator", "added", label, subject=label))
        for code in sorted(ai.keys() & bi.keys()):
            changes += _field_changes(
                "indicator", f"{key}: {code}", ai[code], bi[code], GOAL_INDICATOR_FIELDS
            )
    related = ("funding_post__agreement", "needs_scenario")
    oa = {a.title: a for a in old.activities.select_related(*related)}
    na = {a.title: a for a in new.activities.select_related(*related)}
    for key in sorted(oa.keys() - na.keys()):
        changes.append(Change("activity", "removed", key, subject=key))
    for key in sorted(na.keys() - oa.keys()):
        changes.append(Change("activity", "added", key, subject=key))
    for key in sorted(oa.keys() & na.keys()):
        changes += _field_changes("activity", key, oa[key], na[key], ACTIVITY_FIELDS[1:])
    return changes


def comparable_versions(plan: ActionPlan) -> list[ActionPlan]:
    """The other versions of ``plan``'s chain (earlier and later), oldest first: what the
    comparison page offers to compare with."""
    first = plan
    seen = {plan.pk}
    while first.previous_id is not None and first.previous_id not in seen:
        first = ActionPlan.objects.get(pk=first.previous_id)
        seen.add(first.pk)
    chain = [first]
    node = first
    while True:
        nxt = ActionPlan.objects.filter(previous=node).first()
        if nxt is None or nxt.pk in {p.pk for p in chain}:
            break
        chain.append(nxt)
        node = nxt
    return [p for p in chain if p.pk != plan.pk]


def same_chain(a: ActionPlan, b: ActionPlan) -> bool:
    """Whether ``b`` is a version of the same plan as ``a`` (comparing unrelated plans
    would list every goal as removed and added)."""
    return a.pk != b.pk and b.pk in {p.pk for p in comparable_versions(a)}
