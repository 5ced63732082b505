"""Editing plans through the services: update_plan, goals, goal indicators and activities
(update, delete), links to a funding post and a needs scenario, and the checks of facts
(years, periods, amounts, codes). Every write is tried as every role in the owner and in
another organisation (denied ones audited, nothing changed), and on a frozen plan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import AuditEvent, Role
from datasmart.funding.models import Agreement, Post
from datasmart.geo.models import Unit
from datasmart.needs.models import NeedsScenario
from datasmart.plans import services
from datasmart.plans.models import Activity, Goal, GoalIndicator, GoalKind, PlanStatus, Visibility
from tests.accounts.factories import superuser
from tests.plans.plans_support import PlanWorld, make_indicator_with_result, make_plan_world

pytestmark = pytest.mark.django_db

EDITORS = {Role.COORDINATOR, Role.ANALYST}


@pytest.fixture
def world() -> PlanWorld:
    return make_plan_world()


def _plan(world: PlanWorld, org: str = "stockholm") -> Any:
    return services.create_plan(
        world.orgs[org], title="Handlingsplan", start_year=2024, end_year=2027, by=SYSTEM
    )


def _filled(world: PlanWorld, org: str = "stockholm") -> tuple[Any, Goal, Goal, Any, Activity]:
    """A plan with a goal, a delmål followed by an indicator, and an activity."""
    make_indicator_with_result("plan-andel", world.orgs[org].unit.code, {2022: 10.0, 2023: 12.5})
    plan = _plan(world, org)
    top = services.create_goal(plan, text="Mål A", by=SYSTEM)
    sub = services.create_goal(
        plan, text="Delmål A1", kind=GoalKind.OPERATIVE, parent=top, by=SYSTEM
    )
    link = services.add_goal_indicator(
        sub, indicator_code="plan-andel", target_value=15, target_year=2027, by=SYSTEM
    )
    activity = services.create_activity(
        plan,
        title="Utbildning",
        goals=[sub],
        start=dt.date(2024, 1, 1),
        end=dt.date(2024, 12, 31),
        by=SYSTEM,
    )
    return plan, top, sub, link, activity


def _agreement(year: int, *posts: tuple[str, str]) -> dict[str, Post]:
    agreement = Agreement.objects.create(year=year, title=f"Överenskommelse {year}", total_sek=1)
    return {
        code: Post.objects.create(
            agreement=agreement,
            code=code,
            name=f"Post {code}",
            amount_sek=1000,
            recipient_level=level,
            key_type="population_share",
        )
        for code, level in posts
    }


def _scenario(world: PlanWorld, org: str, unit: str, name: str = "Scenario") -> NeedsScenario:
    scenario: NeedsScenario = NeedsScenario.objects.create(
        organisation=world.orgs[org], unit=Unit.objects.get(code=unit), name=name, created_by="t"
    )
    return scenario


def _denials() -> int:
    return AuditEvent.objects.filter(action="auth.permission_denied").count()


def _writes(plan: Any, top: Goal, sub: Goal, link: Any, activity: Activity) -> dict[str, Any]:
    """Every editing write of this module, bound to the objects of :func:`_filled`."""
    return {
        "update_plan": lambda by: services.update_plan(plan, title="Ny titel", by=by),
        "follow_up": lambda by: services.update_plan(
            plan, next_follow_up=timezone.localdate() + dt.timedelta(days=30), by=by
        ),
        "update_goal": lambda by: services.update_goal(top, text="Nytt mål", by=by),
        "update_goal_indicator": lambda by: services.update_goal_indicator(
            link, target_value=20, by=by
        ),
        "update_activity": lambda by: services.update_activity(activity, status="ongoing", by=by),
        "remove_goal_indicator": lambda by: services.remove_goal_indicator(link, by=by),
        "delete_activity": lambda by: services.delete_activity(activity, by=by),
        "delete_goal": lambda by: services.delete_goal(sub, by=by),
    }


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("where", ["stockholm", "malmo", "region"])
def test_every_edit_by_role_and_organisation(world: PlanWorld, role: Role, where: str) -> None:
    """Only the owner's coordinators and analysts edit; the region (above the kommun) and
    another kommun do not; each denial is audited and changes nothing."""
    plan, top, sub, link, activity = _filled(world)
    user = world.user(where, role)
    allowed = where == "stockholm" and role in EDITORS
    for name, write in _writes(plan, top, sub, link, activity).items():
        before = _denials()
        if allowed:
            write(user)
        else:
            with pytest.raises(PermissionDenied):
                write(user)
            assert _denials() == before + 1, name
    if allowed:
        assert not GoalIndicator.objects.filter(pk=link.pk).exists()
        assert not Activity.objects.filter(pk=activity.pk).exists()
        assert not Goal.objects.filter(pk=sub.pk).exists()
        plan.refresh_from_db()
        assert plan.title == "Ny titel" and plan.next_follow_up is not None
        actions = set(AuditEvent.objects.values_list("action", flat=True))
        assert {
            "plans.plan_updated",
            "plans.goal_updated",
            "plans.goal_indicator_updated",
            "plans.goal_indicator_removed",
            "plans.activity_updated",
            "plans.activity_deleted",
            "plans.goal_deleted",
        } <= actions
    else:
        plan.refresh_from_db()
        assert plan.title == "Handlingsplan" and plan.next_follow_up is None
        assert GoalIndicator.objects.get(pk=link.pk).target_value == 15
        assert Goal.objects.filter(pk=sub.pk).exists()
        assert Activity.objects.get(pk=activity.pk).status == "planned"


def test_superuser_edits(world: PlanWorld) -> None:
    plan, top, sub, link, activity = _filled(world)
    root = superuser(username="plan-root-edit")
    for write in _writes(plan, top, sub, link, activity).values():
        write(root)


def test_frozen_plan_refuses_edits_but_takes_a_follow_up_date(world: PlanWorld) -> None:
    plan, top, sub, link, activity = _filled(world)
    services.agree_plan(plan, by=SYSTEM)
    plan.refresh_from_db()
    writes = _writes(plan, top, sub, link, activity)
    date = timezone.localdate() + dt.timedelta(days=30)
    writes.pop("follow_up")(SYSTEM)
    for name, write in writes.items():
        with pytest.raises(services.PlanError, match="ny version"):
            write(SYSTEM)
        assert Goal.objects.filter(pk=sub.pk).exists(), name
    plan.refresh_from_db()
    assert plan.next_follow_up == date and plan.title == "Handlingsplan"
    # a form sending every field unchanged plus the date is accepted on a frozen plan
    services.update_plan(
        plan,
        title=plan.title,
        start_year=2024,
        end_year=2027,
        visibility=plan.visibility,
        next_follow_up=date + dt.timedelta(days=1),
        by=SYSTEM,
    )
    event = AuditEvent.objects.filter(action="plans.plan_updated").latest("pk")
    assert event.detail["fields"] == ["next_follow_up"]
    plan.status = PlanStatus.CLOSED
    plan.save()
    with pytest.raises(services.PlanError, match="avslutad"):
        services.update_plan(plan, next_follow_up=date, by=SYSTEM)


def test_update_plan_checks_the_facts(world: PlanWorld) -> None:
    plan, top, sub, _link, _activity = _filled(world)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"title": " "}, "titel"),
        ({"start_year": 1999}, "första år"),
        ({"end_year": 2101}, "sista år"),
        ({"start_year": "2024"}, "fyra siffror"),
        ({"end_year": 2023}, "sista år"),
        ({"visibility": "secret"}, "synlighet"),
        ({"next_follow_up": dt.date(2020, 1, 1)}, "passerat"),
        ({"next_follow_up": "i morgon"}, "nästa uppföljning"),
        ({"colour": "red"}, "Okända fält"),
        ({"start_year": 2025}, "Mål A"),  # the goals run from 2024
    ]
    for change, message in cases:
        with pytest.raises(services.PlanError, match=message):
            services.update_plan(plan, by=SYSTEM, **change)
    services.update_goal(top, start_year=2026, by=SYSTEM)
    services.update_goal(sub, start_year=2026, by=SYSTEM)
    with pytest.raises(services.PlanError, match="Utbildning"):  # the activity is in 2024
        services.update_plan(plan, start_year=2026, by=SYSTEM)
    services.update_plan(plan, start_year=2025, visibility=Visibility.PARTIES, by=SYSTEM)
    plan.refresh_from_db()
    assert (plan.start_year, plan.visibility) == (2025, Visibility.PARTIES)


def test_goals_stay_inside_the_plan_and_the_tree(world: PlanWorld) -> None:
    plan, top, sub, _link, _activity = _filled(world)
    with pytest.raises(services.PlanError, match="första år"):
        services.create_goal(plan, text="Tidigt", start_year=2023, by=SYSTEM)
    with pytest.raises(services.PlanError, match="sista år"):
        services.update_goal(top, end_year=2030, by=SYSTEM)
    with pytest.raises(services.PlanError, match="plan-andel"):  # its target year is 2027
        services.update_goal(sub, end_year=2026, by=SYSTEM)
    with pytest.raises(services.PlanError, match="under sig självt"):
        services.update_goal(top, parent=sub, by=SYSTEM)
    with pytest.raises(services.PlanError, match="delmål hör till"):
        services.update_goal(sub, parent=None, by=SYSTEM)
    with pytest.raises(services.PlanError, match="beslutsdokument"):
        services.update_goal(top, document="x" * 301, by=SYSTEM)
    other = services.create_goal(_plan(world), text="Annan plans mål", by=SYSTEM)
    with pytest.raises(services.PlanError, match="annan plan"):
        services.update_goal(sub, parent=other, by=SYSTEM)
    second = services.create_goal(plan, text="Mål B", by=SYSTEM)
    services.update_goal(sub, parent=second, by=SYSTEM)
    sub.refresh_from_db()
    assert sub.parent == second
    services.update_goal(sub, kind=GoalKind.POLITICAL, parent=None, by=SYSTEM)
    sub.refresh_from_db()
    assert sub.parent is None and sub.kind == GoalKind.POLITICAL


def test_delete_goal_refuses_delmal_and_orphaned_activities(world: PlanWorld) -> None:
    _plan, top, sub, link, activity = _filled(world)
    with pytest.raises(services.PlanError, match="Delmål A1"):
        services.delete_goal(top, by=SYSTEM)
    with pytest.raises(services.PlanError, match="Utbildning"):
        services.delete_goal(sub, by=SYSTEM)
    services.update_activity(activity, goals=[top, sub], by=SYSTEM)
    services.delete_goal(sub, by=SYSTEM)  # the activity keeps its other goal
    assert list(Activity.objects.get(pk=activity.pk).goals.all()) == [top]
    assert not GoalIndicator.objects.filter(pk=link.pk).exists()  # went with its goal
    event = AuditEvent.objects.filter(action="plans.goal_deleted").latest("pk")
    assert event.detail["text"] == "Delmål A1"


def test_goal_indicator_targets(world: PlanWorld) -> None:
    plan, top, _sub, link, _activity = _filled(world)
    assert (link.baseline_value, link.baseline_period) == (12.5, 2023)
    for change, message in [
        ({"target_year": 2028}, "målår"),
        ({"target_year": 2023}, "målår"),
        ({"target_value": "mycket"}, "målvärde"),
        ({"target_value": float("nan")}, "målvärde"),
        ({"direction": "up"}, "riktning"),
        ({"kind": "output"}, "typ"),
        ({"baseline_value": 1}, "Okända fält"),
    ]:
        with pytest.raises(services.PlanError, match=message):
            services.update_goal_indicator(link, by=SYSTEM, **change)
    services.update_goal_indicator(
        link, target_value="18.5", target_year=2026, direction="decrease", kind="process", by=SYSTEM
    )
    link.refresh_from_db()
    assert (link.target_value, link.target_year, link.direction, link.kind) == (
        18.5,
        2026,
        "decrease",
        "process",
    )
    assert link.baseline_value == 12.5  # the baseline is history, not changed
    with pytest.raises(services.PlanError, match="målår"):
        services.add_goal_indicator(
            top, indicator_code="plan-andel", target_value=1, target_year=2030, by=SYSTEM
        )
    choices = {c.code: c for c in services.indicator_choices(plan)}
    assert (choices["plan-andel"].baseline_value, choices["plan-andel"].baseline_period) == (
        12.5,
        2023,
    )


def test_activity_facts(world: PlanWorld) -> None:
    _plan, _top, _sub, _link, activity = _filled(world)
    for change, message in [
        ({"budget": -1}, "budget"),
        ({"cost": "tusen"}, "kostnad"),
        ({"cost": Decimal("Infinity")}, "kostnad"),
        ({"start": dt.date(2022, 12, 31)}, "start"),
        ({"end": dt.date(2029, 1, 1)}, "slut"),
        ({"end": dt.date(2023, 6, 1)}, "slut"),
        ({"goals": []}, "mål"),
        ({"status": "paused"}, "status"),
        ({"responsible_role": "king"}, "ansvarig roll"),
        ({"funding_post": 999999}, "finansiering"),
        ({"needs_scenario": "x"}, "behovsanalys"),
    ]:
        with pytest.raises(services.PlanError, match=message):
            services.update_activity(activity, by=SYSTEM, **change)
    # the year before and the year after the plan are allowed (preparation, wrapping up)
    services.update_activity(
        activity,
        start=dt.date(2023, 9, 1),
        end=dt.date(2028, 3, 31),
        budget="120000",
        cost=Decimal("0"),
        by=SYSTEM,
    )
    activity.refresh_from_db()
    assert activity.budget == Decimal("120000.00") and activity.cost == Decimal("0.00")


def test_funding_post_must_fit_the_plan(world: PlanWorld) -> None:
    plan, _top, _sub, _link, activity = _filled(world)
    posts = {
        **_agreement(2024, ("kommun", "kommun"), ("region", "region"), ("blandat", "mixed")),
        **{f"old-{k}": v for k, v in _agreement(2016, ("kommun", "kommun")).items()},
    }
    services.update_activity(activity, funding_post=posts["kommun"].pk, by=SYSTEM)
    activity.refresh_from_db()
    assert activity.funding_post == posts["kommun"]
    with pytest.raises(services.PlanError, match="regioner"):
        services.update_activity(activity, funding_post=posts["region"], by=SYSTEM)
    with pytest.raises(services.PlanError, match="2016"):
        services.update_activity(activity, funding_post=posts["old-kommun"], by=SYSTEM)
    assert {p.code for p in services.funding_post_choices(plan)} == {"kommun", "blandat"}
    services.update_activity(activity, funding_post=None, by=SYSTEM)
    activity.refresh_from_db()
    assert activity.funding_post is None


def test_needs_scenario_must_be_the_owners_or_in_the_lan(world: PlanWorld) -> None:
    plan, _top, _sub, _link, activity = _filled(world)
    own = _scenario(world, "stockholm", "0180", "Stockholms behov")
    malmo = _scenario(world, "malmo", "1280", "Malmös behov")
    foreign_unit = _scenario(world, "stockholm", "0114", "Väsbys behov, sparat av Stockholm")
    services.update_activity(activity, needs_scenario=own.pk, by=SYSTEM)
    with pytest.raises(services.PlanError, match="Malmö"):
        services.update_activity(activity, needs_scenario=malmo, by=SYSTEM)
    with pytest.raises(services.PlanError, match="behovsanalys"):
        services.update_activity(activity, needs_scenario=foreign_unit, by=SYSTEM)
    assert services.needs_scenario_choices(plan) == [own]

    joint = services.create_joint_plan(
        "01", world.orgs["region"], title="Länsplan", start_year=2024, end_year=2027, by=SYSTEM
    )
    goal = services.create_goal(joint, text="Gemensamt mål", by=SYSTEM)
    vasby = _scenario(world, "vasby", "0114", "Väsbys behov")
    joint_activity = services.create_activity(
        joint,
        title="Gemensam aktivitet",
        goals=[goal],
        start=dt.date(2024, 1, 1),
        end=dt.date(2025, 1, 1),
        needs_scenario=vasby,
        by=SYSTEM,
    )
    assert joint_activity.needs_scenario == vasby  # a party's scenario inside the län
    with pytest.raises(services.PlanError, match="Malmö"):
        services.update_activity(joint_activity, needs_scenario=malmo, by=SYSTEM)
    assert set(services.needs_scenario_choices(joint)) == {own, vasby, foreign_unit}


def test_comparison_is_readable(world: PlanWorld) -> None:
    plan, _top, _sub, _link, _activity = _filled(world)
    services.agree_plan(plan, by=SYSTEM)
    v2 = services.new_version(plan, by=SYSTEM)
    assert services.comparable_versions(v2) == [plan]
    assert services.same_chain(v2, plan) and not services.same_chain(v2, _plan(world))
    services.update_plan(v2, title="Handlingsplan 2", by=SYSTEM)
    new_activity = v2.activities.get()
    services.update_activity(new_activity, status="ongoing", by=SYSTEM)
    services.update_goal_indicator(
        v2.goals.get(text="Delmål A1").indicators.get(), target_value=17, by=SYSTEM
    )
    changes = {
        (c.what, c.subject, c.field, c.before, c.after) for c in services.compare_versions(plan, v2)
    }
    assert ("plan", "Handlingsplan", "titel", "Handlingsplan", "Handlingsplan 2") in changes
    assert ("activity", "Utbildning", "status", "Planerad", "Pågående") in changes
    assert ("indicator", "Delmål A1: plan-andel", "målvärde", "15.0", "17.0") in changes


def test_lists_for_the_pages(world: PlanWorld) -> None:
    coordinator = world.user("region", Role.COORDINATOR)
    viewer = world.user("stockholm", Role.VIEWER)
    assert services.editable_organisations(coordinator) == [world.orgs["region"]]
    assert services.editable_organisations(viewer) == []
    lans = services.joint_plan_lans(coordinator)
    assert [(u.code, o) for u, o in lans] == [("01", world.orgs["region"])]
    assert services.joint_plan_lans(world.user("stockholm", Role.COORDINATOR)) == []
