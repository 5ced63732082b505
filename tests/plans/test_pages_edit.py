"""Plan editing pages: the happy path from a new plan through goals, indicators and
activities to a new version and its comparison; bad input answered with a form error
naming the field (never a 500); refusals for every role and another organisation; a frozen
plan refuses edits with a clear message."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import Role
from datasmart.funding.models import Agreement, Post
from datasmart.needs.models import NeedsScenario
from datasmart.plans import services
from datasmart.plans.models import ActionPlan, PlanStatus
from tests.plans.plans_support import PlanWorld, make_indicator_with_result, make_plan_world

pytestmark = pytest.mark.django_db

EDITORS = {Role.COORDINATOR, Role.ANALYST}


@pytest.fixture
def world() -> PlanWorld:
    return make_plan_world()


def _client(world: PlanWorld, org: str, role: Role = Role.COORDINATOR) -> Client:
    client = Client()
    client.force_login(world.user(org, role))
    return client


def _filled(world: PlanWorld) -> tuple[Any, Any, Any, Any]:
    make_indicator_with_result("plan-andel", "0180", {2023: 12.5})
    plan = services.create_plan(
        world.orgs["stockholm"], title="Stockholms plan", start_year=2024, end_year=2027, by=SYSTEM
    )
    goal = services.create_goal(plan, text="Färre unga med psykisk ohälsa", by=SYSTEM)
    link = services.add_goal_indicator(
        goal, indicator_code="plan-andel", target_value=15, target_year=2027, by=SYSTEM
    )
    activity = services.create_activity(
        plan,
        title="Skolsköterskor utbildas",
        goals=[goal],
        start=dt.date(2024, 1, 1),
        end=dt.date(2024, 12, 31),
        by=SYSTEM,
    )
    return plan, goal, link, activity


def test_happy_path_from_new_plan_to_comparison(world: PlanWorld) -> None:
    make_indicator_with_result("plan-andel", "0180", {2022: 11.0, 2023: 12.5})
    agreement = Agreement.objects.create(year=2024, title="Överenskommelse 2024", total_sek=1)
    post = Post.objects.create(
        agreement=agreement,
        code="kommun",
        name="Medel till kommunerna",
        amount_sek=1,
        recipient_level="kommun",
        key_type="population_share",
    )
    scenario = NeedsScenario.objects.create(
        organisation=world.orgs["stockholm"],
        unit=world.orgs["stockholm"].unit,
        name="Behov 2030",
        created_by="t",
    )
    client = _client(world, "stockholm", Role.ANALYST)
    assert "Ny handlingsplan" in client.get(reverse("plans:list")).content.decode()
    form = client.get(reverse("plans:create")).content.decode()
    assert "Plan stockholm" in form
    response = client.post(
        reverse("plans:create"),
        {
            "owner": world.orgs["stockholm"].pk,
            "title": "Psykisk hälsa 2024–2027",
            "start_year": "2024",
            "end_year": "2027",
            "visibility": "public",
        },
    )
    plan = ActionPlan.objects.get(title="Psykisk hälsa 2024–2027")
    assert response.status_code == 302 and plan.owner == world.orgs["stockholm"]

    client.post(
        reverse("plans:goal_create", args=[plan.pk]),
        {"kind": "political", "text": "Färre unga med psykisk ohälsa", "decided_by": "KF"},
    )
    top = plan.goals.get()
    client.post(
        reverse("plans:goal_create", args=[plan.pk]),
        {"kind": "operative", "parent": top.pk, "text": "Fler elever känner sig trygga"},
    )
    sub = plan.goals.get(parent=top)
    chooser = client.get(reverse("plans:indicator_add", args=[plan.pk, sub.pk])).content.decode()
    assert "plan-andel" in chooser and "utgångsvärde 12,5 (2023)" in chooser
    client.post(
        reverse("plans:indicator_add", args=[plan.pk, sub.pk]),
        {
            "indicator_code": "plan-andel",
            "kind": "effect",
            "direction": "increase",
            "target_value": "15,5",
            "target_year": "2027",
        },
    )
    link = sub.indicators.get()
    assert (link.baseline_value, link.target_value) == (12.5, 15.5)
    form = client.get(reverse("plans:activity_create", args=[plan.pk])).content.decode()
    assert "Medel till kommunerna" in form and "Behov 2030" in form
    response = client.post(
        reverse("plans:activity_create", args=[plan.pk]),
        {
            "title": "Skolsköterskor utbildas",
            "goals": [sub.pk],
            "responsible_role": "coordinator",
            "start": "2024-02-01",
            "end": "2024-11-30",
            "status": "planned",
            "budget": "250000",
            "cost": "",
            "funding_post": post.pk,
            "needs_scenario": scenario.pk,
        },
    )
    assert response.status_code == 302
    activity = plan.activities.get()
    assert activity.funding_post == post and activity.needs_scenario == scenario
    detail = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert reverse("funding:agreement", args=[2024]) in detail
    assert reverse("needs:unit", args=["0180"]) in detail

    services.agree_plan(plan, by=SYSTEM)
    detail = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert "Gör en ny version" in detail and "Ny aktivitet" not in detail
    response = client.post(reverse("plans:new_version", args=[plan.pk]))
    v2 = ActionPlan.objects.get(previous=plan)
    assert response["Location"] == reverse("plans:detail", args=[v2.pk])
    client.post(
        reverse("plans:activity_edit", args=[v2.pk, v2.activities.get().pk]),
        {
            "title": "Skolsköterskor utbildas",
            "goals": [v2.goals.get(parent__isnull=False).pk],
            "responsible_role": "coordinator",
            "start": "2024-02-01",
            "end": "2024-11-30",
            "status": "ongoing",
            "budget": "250000",
        },
    )
    page = client.get(reverse("plans:compare", args=[v2.pk, plan.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Skolsköterskor utbildas" in body and "Planerad" in body and "Pågående" in body
    assert "Behov 2030" in body  # the scenario link was dropped in version 2


@pytest.mark.parametrize(
    ("name", "data", "field"),
    [
        ("create", {"title": "", "start_year": "2024", "end_year": "2027"}, "Titel"),
        ("create", {"title": "P", "start_year": "24", "end_year": "2027"}, "Första år"),
        ("create", {"title": "P", "start_year": "2027", "end_year": "2024"}, "Sista år"),
        ("goal", {"kind": "political", "text": "M", "start_year": "2020"}, "första år"),
        ("goal", {"kind": "operative", "text": "M"}, "övergripande mål"),
        ("goal", {"kind": "political", "text": ""}, "Mål"),
        ("indicator", {"indicator_code": "plan-andel", "target_value": "x"}, "Målvärde"),
        ("activity", {"title": "A", "start": "2024-13-01", "end": "2024-12-01"}, "Startdatum"),
        ("activity", {"title": "A", "start": "2024-01-01", "end": "2035-01-01"}, "slut"),
        ("activity", {"title": "A", "budget": "-5"}, "Budget"),
        ("edit", {"title": "P", "start_year": "2024", "end_year": "2101"}, "Sista år"),
        ("edit", {"title": "P", "start_year": "2025", "end_year": "2027"}, "första år"),
    ],
)
def test_bad_input_gives_a_form_error_naming_the_field(
    world: PlanWorld, name: str, data: dict[str, Any], field: str
) -> None:
    plan, goal, _link, _activity = _filled(world)
    url = {
        "create": reverse("plans:create"),
        "goal": reverse("plans:goal_create", args=[plan.pk]),
        "indicator": reverse("plans:indicator_add", args=[plan.pk, goal.pk]),
        "activity": reverse("plans:activity_create", args=[plan.pk]),
        "edit": reverse("plans:edit", args=[plan.pk]),
    }[name]
    defaults: dict[str, Any] = {
        "owner": world.orgs["stockholm"].pk,
        "visibility": "public",
        "kind": "effect" if name == "indicator" else "political",
        "direction": "increase",
        "target_year": "2027",
        "goals": [goal.pk],
        "responsible_role": "coordinator",
        "status": "planned",
        "start": "2024-01-01",
        "end": "2024-12-31",
    }
    response = _client(world, "stockholm").post(url, {**defaults, **data})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'class="form-errors"' in body and field in body, body[body.find("form-errors") :][:600]


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("where", ["stockholm", "malmo", "region"])
def test_editing_pages_refuse_all_but_the_owners_editors(
    world: PlanWorld, role: Role, where: str
) -> None:
    plan, goal, link, activity = _filled(world)
    client = _client(world, where, role)
    allowed = where == "stockholm" and role in EDITORS
    gets = [
        reverse("plans:edit", args=[plan.pk]),
        reverse("plans:goal_create", args=[plan.pk]),
        reverse("plans:goal_edit", args=[plan.pk, goal.pk]),
        reverse("plans:indicator_add", args=[plan.pk, goal.pk]),
        reverse("plans:indicator_edit", args=[plan.pk, link.pk]),
        reverse("plans:activity_create", args=[plan.pk]),
        reverse("plans:activity_edit", args=[plan.pk, activity.pk]),
    ]
    for url in gets:
        assert client.get(url).status_code == (200 if allowed else 403), url
    posts = [
        reverse("plans:indicator_remove", args=[plan.pk, link.pk]),
        reverse("plans:goal_delete", args=[plan.pk, goal.pk]),
        reverse("plans:activity_delete", args=[plan.pk, activity.pk]),
    ]
    for url in posts:
        assert client.post(url).status_code == (302 if allowed else 403), url
    assert plan.activities.exists() is not allowed
    detail = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert ("Nytt mål" in detail) is allowed


def test_anonymous_is_sent_to_sign_in(world: PlanWorld, client: Client) -> None:
    plan, _goal, _link, _activity = _filled(world)
    for url in (reverse("plans:create"), reverse("plans:edit", args=[plan.pk])):
        response = client.get(url)
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_create_pages_offer_only_what_the_user_may(world: PlanWorld) -> None:
    viewer = _client(world, "stockholm", Role.VIEWER)
    assert viewer.get(reverse("plans:create")).status_code == 403
    kommun = _client(world, "stockholm")
    assert kommun.get(reverse("plans:create_joint")).status_code == 403
    assert "Ny gemensam länsplan" not in kommun.get(reverse("plans:list")).content.decode()
    # another organisation's id is not among the choices
    response = kommun.post(
        reverse("plans:create"),
        {
            "owner": world.orgs["malmo"].pk,
            "title": "P",
            "start_year": "2024",
            "end_year": "2025",
            "visibility": "public",
        },
    )
    assert response.status_code == 400 and not ActionPlan.objects.exists()
    region = _client(world, "region")
    page = region.get(reverse("plans:create_joint")).content.decode()
    assert "Plan stockholm" in page and "Plan vasby" in page and "Plan malmo" not in page
    response = region.post(
        reverse("plans:create_joint"),
        {
            "lan": "01",
            "title": "Länsplan",
            "start_year": "2024",
            "end_year": "2027",
            "visibility": "parties",
        },
    )
    plan = ActionPlan.objects.get(title="Länsplan")
    assert response.status_code == 302 and plan.lan.code == "01"
    assert {p.organisation.name for p in plan.parties.all()} == {
        "Plan region",
        "Plan stockholm",
        "Plan vasby",
    }


def test_frozen_plan_refuses_edits_with_a_clear_message(world: PlanWorld) -> None:
    plan, goal, _link, activity = _filled(world)
    services.agree_plan(plan, by=SYSTEM)
    client = _client(world, "stockholm")
    page = client.get(reverse("plans:goal_edit", args=[plan.pk, goal.pk]))
    assert (
        "kan inte ändras" in page.content.decode() and "Gör en ny version" in page.content.decode()
    )
    response = client.post(
        reverse("plans:activity_edit", args=[plan.pk, activity.pk]), {"title": "Nytt"}
    )
    assert response.status_code == 409 and "kan inte ändras" in response.content.decode()
    response = client.post(reverse("plans:goal_delete", args=[plan.pk, goal.pk]), follow=True)
    assert "ny version" in response.content.decode()
    assert plan.goals.filter(pk=goal.pk).exists()
    # the follow-up date is scheduling: it changes on the frozen plan, nothing else does
    edit = client.get(reverse("plans:edit", args=[plan.pk])).content.decode()
    assert 'name="next_follow_up"' in edit and 'name="title"' not in edit
    date = timezone.localdate() + dt.timedelta(days=40)
    response = client.post(
        reverse("plans:edit", args=[plan.pk]), {"next_follow_up": date.isoformat()}
    )
    plan.refresh_from_db()
    assert response.status_code == 302 and plan.next_follow_up == date
    assert plan.status == PlanStatus.AGREED


def test_comparison_of_unrelated_plans_is_not_found(world: PlanWorld) -> None:
    plan, _goal, _link, _activity = _filled(world)
    other = services.create_plan(
        world.orgs["stockholm"], title="Annan", start_year=2024, end_year=2025, by=SYSTEM
    )
    client = _client(world, "stockholm", Role.VIEWER)
    assert client.get(reverse("plans:compare", args=[plan.pk, other.pk])).status_code == 404


def test_pages_in_english(world: PlanWorld) -> None:
    plan, goal, _link, _activity = _filled(world)
    client = _client(world, "stockholm")
    client.cookies["django_language"] = "en"
    body = client.get(reverse("plans:goal_edit", args=[plan.pk, goal.pk])).content.decode()
    assert "Save the goal" in body and "Spara målet" not in body
    body = client.post(reverse("plans:goal_create", args=[plan.pk]), {"text": ""}).content.decode()
    assert "Could not save" in body
