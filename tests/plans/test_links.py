"""Links into plans from other pages: the unit page's "Mål och planer" (the unit's own
plans and its län's joint plans) and the indicator page's goals that follow it. Both
respect each plan's visibility (a parties-only plan never reaches anonymous visitors or
outsiders), list only the newest version, and cost one query each."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import Role
from datasmart.geo.models import Unit
from datasmart.plans import services
from datasmart.plans.models import Direction, IndicatorKind, Visibility
from datasmart.plans.templatetags.plans_links import indicator_goals, unit_plans
from tests.plans.plans_support import PlanWorld, make_indicator_with_result, make_plan_world

pytestmark = pytest.mark.django_db

CODE = "plan-link-ind"


@pytest.fixture
def world() -> PlanWorld:
    return make_plan_world()


def _plan(world: PlanWorld, org: str, title: str, visibility: str = Visibility.PUBLIC) -> Any:
    return services.create_plan(
        world.orgs[org],
        title=title,
        start_year=2025,
        end_year=2028,
        visibility=visibility,
        by=SYSTEM,
    )


def _goal_with_indicator(plan: Any, text: str) -> Any:
    goal = services.create_goal(plan, text=text, by=SYSTEM)
    services.add_goal_indicator(
        goal,
        indicator_code=CODE,
        kind=IndicatorKind.EFFECT,
        direction=Direction.INCREASE,
        target_value=80,
        target_year=2028,
        by=SYSTEM,
    )
    return goal


@pytest.fixture
def plans(world: PlanWorld) -> dict[str, Any]:
    make_indicator_with_result(CODE, "0180", {2023: 61.0})
    public = _plan(world, "stockholm", "Stockholms öppna plan")
    secret = _plan(world, "stockholm", "Stockholms interna plan", Visibility.PARTIES)
    other = _plan(world, "malmo", "Malmös plan")
    joint = services.create_joint_plan(
        "01", world.orgs["region"], title="Länsplan Stockholm", start_year=2025, end_year=2028,
        by=SYSTEM,
    )  # fmt: skip
    _goal_with_indicator(public, "Fler unga mår bra")
    _goal_with_indicator(secret, "Internt mål om unga")
    return {"public": public, "secret": secret, "other": other, "joint": joint}


def _html(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_unit_page_lists_own_and_joint_plans_but_no_parties_only_plan_to_anonymous(
    plans: dict[str, Any],
) -> None:
    html = _html(Client(), reverse("web:unit", args=["0180"]))
    assert 'id="mal-och-planer"' in html
    assert "Stockholms öppna plan" in html and "Länsplan Stockholm" in html
    assert reverse("plans:detail", args=[plans["public"].pk]) in html
    assert "Stockholms interna plan" not in html
    assert reverse("plans:detail", args=[plans["secret"].pk]) not in html
    assert "Malmös plan" not in html  # another kommun's plan


def test_parties_only_plan_shown_to_its_owners_members_not_to_outsiders(
    world: PlanWorld, plans: dict[str, Any]
) -> None:
    insider = Client()
    insider.force_login(world.user("stockholm", Role.VIEWER))
    assert "Stockholms interna plan" in _html(insider, reverse("web:unit", args=["0180"]))
    outsider = Client()
    outsider.force_login(world.user("malmo", Role.COORDINATOR))
    assert "Stockholms interna plan" not in _html(outsider, reverse("web:unit", args=["0180"]))


def test_region_page_shows_the_joint_plan_and_a_kommun_outside_does_not(
    plans: dict[str, Any],
) -> None:
    assert "Länsplan Stockholm" in _html(Client(), reverse("web:unit", args=["01"]))
    assert "Länsplan Stockholm" not in _html(Client(), reverse("web:unit", args=["1280"]))


def test_only_the_newest_version_is_listed(world: PlanWorld, plans: dict[str, Any]) -> None:
    services.agree_plan(plans["public"], by=SYSTEM)
    new = services.new_version(plans["public"], by=SYSTEM)
    listed = unit_plans(Unit.objects.get(code="0180"), None)
    assert new in listed and plans["public"] not in listed
    links = indicator_goals(CODE, None)
    assert [link.goal.plan_id for link in links] == [new.pk]


def test_indicator_page_lists_goals_that_follow_it_respecting_visibility(
    world: PlanWorld, plans: dict[str, Any]
) -> None:
    url = reverse("indicators:detail", args=[CODE])
    html = _html(Client(), url)
    assert 'id="mal-som-foljer-indikatorn"' in html
    assert "Fler unga mår bra" in html
    assert reverse("plans:detail", args=[plans["public"].pk]) in html
    assert "Internt mål om unga" not in html and "Stockholms interna plan" not in html
    insider = Client()
    insider.force_login(world.user("stockholm", Role.ANALYST))
    assert "Internt mål om unga" in _html(insider, url)


def test_no_goals_and_no_plans_say_so() -> None:
    make_indicator_with_result("plan-link-empty", "0180", {2023: 1.0})
    assert "Inga mål som du kan se" in _html(
        Client(), reverse("indicators:detail", args=["plan-link-empty"])
    )
    assert "Inga handlingsplaner för Malmö" in _html(Client(), reverse("web:unit", args=["1280"]))


def test_each_section_is_one_query(world: PlanWorld, plans: dict[str, Any]) -> None:
    user = world.user("stockholm", Role.VIEWER)
    services.visible_plans(user)  # fills the roles cached on the user (once per request)
    unit = Unit.objects.get(code="0180")
    with CaptureQueriesContext(connection) as unit_queries:
        listed = unit_plans(unit, user)
        [(p.owner.name, p.get_status_display()) for p in listed]
    assert len(unit_queries) == 1
    with CaptureQueriesContext(connection) as goal_queries:
        links = indicator_goals(CODE, user)
        [(x.goal.text, x.goal.plan.title, x.goal.plan.owner.name) for x in links]
    assert len(goal_queries) == 1


def test_english_section_headings(plans: dict[str, Any]) -> None:
    client = Client()
    client.cookies["django_language"] = "en"
    assert "Goals and plans" in _html(client, reverse("web:unit", args=["0180"]))
    html = _html(client, reverse("indicators:detail", args=[CODE]))
    assert "Goals followed with this indicator" in html
