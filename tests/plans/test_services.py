"""Plan services: rights for every role × own/other organisation (denials audited),
frozen agreed plans, versions and their comparison, the joint län plan's approvals."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import AuditEvent, Role
from datasmart.plans import services
from datasmart.plans.models import GoalKind, PlanStatus, Visibility
from tests.accounts.factories import superuser
from tests.plans.plans_support import PlanWorld, make_indicator_with_result, make_plan_world

pytestmark = pytest.mark.django_db

EDITORS = {Role.COORDINATOR, Role.ANALYST}


@pytest.fixture
def world() -> PlanWorld:
    return make_plan_world()


def _plan(world: PlanWorld, org: str = "stockholm") -> Any:
    return services.create_plan(
        world.orgs[org],
        title="Handlingsplan psykisk hälsa",
        start_year=2024,
        end_year=2027,
        by=SYSTEM,
    )


def _denials() -> int:
    return AuditEvent.objects.filter(action="auth.permission_denied").count()


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("where", ["stockholm", "malmo"])
def test_create_goal_rights_by_role_and_organisation(
    world: PlanWorld, role: Role, where: str
) -> None:
    plan = _plan(world)
    user = world.user(where, role)
    allowed = where == "stockholm" and role in EDITORS
    before = _denials()
    if allowed:
        goal = services.create_goal(plan, text="Färre unga med psykisk ohälsa", by=user)
        assert goal.owner == world.orgs["stockholm"]
        assert AuditEvent.objects.filter(action="plans.goal_created").exists()
    else:
        with pytest.raises(PermissionDenied):
            services.create_goal(plan, text="Mål", by=user)
        assert _denials() == before + 1
        assert not plan.goals.exists()


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("where", ["stockholm", "malmo"])
def test_activity_and_plan_creation_rights(world: PlanWorld, role: Role, where: str) -> None:
    plan = _plan(world)
    goal = services.create_goal(plan, text="Mål", by=SYSTEM)
    user = world.user(where, role)
    allowed = where == "stockholm" and role in EDITORS
    calls = [
        lambda: services.create_activity(
            plan,
            title="Utbilda skolpersonal",
            goals=[goal],
            start=dt.date(2024, 1, 1),
            end=dt.date(2024, 12, 31),
            by=user,
        ),
        lambda: services.update_goal(goal, text="Nytt mål", by=user),
        lambda: services.create_plan(
            world.orgs["stockholm"], title="Plan", start_year=2024, end_year=2025, by=user
        ),
    ]
    for call in calls:
        if allowed:
            call()
        else:
            before = _denials()
            with pytest.raises(PermissionDenied):
                call()
            assert _denials() == before + 1


def test_superuser_edits_but_does_not_approve_for_a_party(world: PlanWorld) -> None:
    root = superuser(username="plan-root")
    plan = services.create_joint_plan(
        "01", world.orgs["region"], title="Länsplan", start_year=2024, end_year=2027, by=root
    )
    services.create_goal(plan, text="Mål", by=root)
    with pytest.raises(PermissionDenied):
        services.approve(plan, world.orgs["stockholm"], by=root)


def test_user_errors_name_the_field(world: PlanWorld) -> None:
    plan = _plan(world)
    with pytest.raises(services.PlanError, match="mål"):
        services.create_goal(plan, text="  ", by=SYSTEM)
    with pytest.raises(services.PlanError, match="delmål"):
        services.create_goal(plan, text="Delmål", kind=GoalKind.OPERATIVE, by=SYSTEM)
    with pytest.raises(services.PlanError, match="sista år"):
        services.create_plan(
            world.orgs["stockholm"], title="P", start_year=2027, end_year=2024, by=SYSTEM
        )
    goal = services.create_goal(plan, text="Mål", by=SYSTEM)
    with pytest.raises(services.PlanError, match="indikator"):
        services.add_goal_indicator(
            goal, indicator_code="finns-inte", target_value=1, target_year=2026, by=SYSTEM
        )
    with pytest.raises(services.PlanError, match="slut"):
        services.create_activity(
            plan,
            title="A",
            goals=[goal],
            start=dt.date(2025, 1, 1),
            end=dt.date(2024, 1, 1),
            by=SYSTEM,
        )


def test_goal_tree_and_baseline_from_the_owners_unit(world: PlanWorld) -> None:
    make_indicator_with_result("plan-andel", "0180", {2021: 11.0, 2023: 12.5})
    make_indicator_with_result("plan-annan", "1280", {2023: 99.0})
    plan = _plan(world)
    top = services.create_goal(plan, text="Ett mer hälsofrämjande samhälle", by=SYSTEM)
    sub = services.create_goal(
        plan, text="Fler elever känner sig trygga", kind=GoalKind.OPERATIVE, parent=top, by=SYSTEM
    )
    assert sub.parent == top and sub.level == "kommun"
    link = services.add_goal_indicator(
        sub,
        indicator_code="plan-andel",
        target_value=15,
        target_year=2027,
        direction="increase",
        kind="effect",
        by=SYSTEM,
    )
    assert (link.baseline_value, link.baseline_period) == (12.5, 2023)
    other = services.add_goal_indicator(
        sub, indicator_code="plan-annan", target_value=1, target_year=2027, by=SYSTEM
    )
    assert other.baseline_value is None  # Malmö's result is not Stockholm's baseline


def test_agreed_plan_is_frozen_and_a_new_version_copies_and_compares(world: PlanWorld) -> None:
    make_indicator_with_result("plan-andel", "0180", {2023: 12.5})
    plan = _plan(world)
    top = services.create_goal(plan, text="Mål A", by=SYSTEM)
    sub = services.create_goal(
        plan, text="Delmål A1", kind=GoalKind.OPERATIVE, parent=top, by=SYSTEM
    )
    services.add_goal_indicator(
        sub, indicator_code="plan-andel", target_value=15, target_year=2027, by=SYSTEM
    )
    activity = services.create_activity(
        plan,
        title="Aktivitet",
        goals=[sub],
        start=dt.date(2024, 1, 1),
        end=dt.date(2025, 1, 1),
        by=SYSTEM,
    )
    services.agree_plan(plan, by=SYSTEM)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.AGREED
    for write in (
        lambda: services.create_goal(plan, text="Nytt", by=SYSTEM),
        lambda: services.update_goal(top, text="Ändrat", by=SYSTEM),
        lambda: services.update_activity(activity, status="done", by=SYSTEM),
        lambda: services.agree_plan(plan, by=SYSTEM),
    ):
        with pytest.raises(services.PlanError, match="ny version"):
            write()
    top.refresh_from_db()
    assert top.text == "Mål A"

    v2 = services.new_version(plan, by=SYSTEM)
    assert (v2.version, v2.previous, v2.status) == (2, plan, PlanStatus.DRAFT)
    copied = {g.text: g for g in v2.goals.all()}
    assert copied["Delmål A1"].parent == copied["Mål A"]
    assert copied["Delmål A1"].indicators.get().baseline_value == 12.5
    assert v2.activities.get().goals.get() == copied["Delmål A1"]
    assert services.compare_versions(plan, v2) == []
    with pytest.raises(services.PlanError, match="nyare version"):
        services.new_version(plan, by=SYSTEM)

    services.create_goal(v2, text="Mål B", by=SYSTEM)
    services.update_activity(v2.activities.get(), status="ongoing", by=SYSTEM)
    changes = {(c.what, c.how, c.label) for c in services.compare_versions(plan, v2)}
    assert ("goal", "added", "Mål B") in changes
    assert ("activity", "changed", "Aktivitet: status") in changes


def test_new_version_needs_the_owners_editor(world: PlanWorld) -> None:
    plan = _plan(world)
    services.agree_plan(plan, by=SYSTEM)
    with pytest.raises(PermissionDenied):
        services.new_version(plan, by=world.user("malmo", Role.COORDINATOR))


def test_joint_plan_is_agreed_when_every_party_has_approved(world: PlanWorld) -> None:
    plan = services.create_joint_plan(
        "01",
        world.orgs["region"],
        title="Gemensam handlingsplan Stockholms län",
        start_year=2024,
        end_year=2027,
        visibility=Visibility.PARTIES,
        by=world.user("region", Role.COORDINATOR),
    )
    parties = {p.organisation.name for p in plan.parties.select_related("organisation")}
    assert parties == {"Plan region", "Plan stockholm", "Plan vasby"}
    assert not services.agreed_joint_plan_exists("01", 2025)

    # each party approves in its own name only
    with pytest.raises(PermissionDenied):
        services.approve(plan, world.orgs["vasby"], by=world.user("stockholm", Role.COORDINATOR))
    with pytest.raises(PermissionDenied):
        services.approve(plan, world.orgs["vasby"], by=world.user("vasby", Role.ANALYST))
    with pytest.raises(services.PlanError, match="inte part"):
        services.approve(plan, world.orgs["malmo"], by=world.user("malmo", Role.COORDINATOR))

    for key in ("region", "stockholm"):
        party = services.approve(plan, world.orgs[key], by=world.user(key, Role.COORDINATOR))
        assert party.approved_by == world.user(key, Role.COORDINATOR)
        plan.refresh_from_db()
        assert plan.status == PlanStatus.DRAFT
    with pytest.raises(services.PlanError, match="redan godkänt"):
        services.approve(plan, world.orgs["region"], by=world.user("region", Role.COORDINATOR))
    services.approve(plan, world.orgs["vasby"], by=world.user("vasby", Role.COORDINATOR))
    plan.refresh_from_db()
    assert plan.status == PlanStatus.AGREED and plan.agreed_at is not None
    assert services.agreed_joint_plan_exists("01", 2025)
    assert not services.agreed_joint_plan_exists("01", 2028)
    assert not services.agreed_joint_plan_exists("12", 2025)
    # agreed: frozen for the parties too
    with pytest.raises(services.PlanError):
        services.leave(
            plan, world.orgs["vasby"], reason="Sent", by=world.user("vasby", Role.COORDINATOR)
        )


def test_a_party_leaves_with_a_reason_and_the_rest_agree(world: PlanWorld) -> None:
    plan = services.create_joint_plan(
        "01", world.orgs["region"], title="Länsplan", start_year=2024, end_year=2027, by=SYSTEM
    )
    vasby = world.user("vasby", Role.COORDINATOR)
    with pytest.raises(services.PlanError, match="skäl"):
        services.leave(plan, world.orgs["vasby"], reason=" ", by=vasby)
    with pytest.raises(PermissionDenied):
        services.leave(
            plan, world.orgs["vasby"], reason="Nej", by=world.user("region", Role.COORDINATOR)
        )
    for key in ("region", "stockholm"):
        services.approve(plan, world.orgs[key], by=world.user(key, Role.COORDINATOR))
    party = services.leave(plan, world.orgs["vasby"], reason="Egen plan i kommunen", by=vasby)
    assert party.leave_reason == "Egen plan i kommunen"
    plan.refresh_from_db()
    assert plan.status == PlanStatus.AGREED
    assert services.agreed_joint_plan_exists("01", 2024)


def test_joint_plan_must_be_held_by_the_region(world: PlanWorld) -> None:
    with pytest.raises(services.PlanError, match="regionen"):
        services.create_joint_plan(
            "01", world.orgs["stockholm"], title="P", start_year=2024, end_year=2025, by=SYSTEM
        )
    with pytest.raises(services.PlanError, match="län"):
        services.create_joint_plan(
            "99", world.orgs["region"], title="P", start_year=2024, end_year=2025, by=SYSTEM
        )


def test_parties_only_plan_is_hidden_from_outsiders(world: PlanWorld) -> None:
    plan = services.create_joint_plan(
        "01",
        world.orgs["region"],
        title="Länsplan",
        start_year=2024,
        end_year=2027,
        visibility=Visibility.PARTIES,
        by=SYSTEM,
    )
    outsider = world.user("malmo", Role.COORDINATOR)
    assert plan not in services.visible_plans(outsider)
    with pytest.raises(PermissionDenied):
        services.get_plan(plan.pk, outsider)
    party_member = world.user("vasby", Role.VIEWER)
    assert services.get_plan(plan.pk, party_member) == plan
    assert plan in services.visible_plans(party_member)
