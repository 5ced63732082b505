"""Plan pages: list and detail render (goals tree, indicators with baseline and target,
activities, parties); approving and leaving through the POST forms; hidden plans."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import Role
from datasmart.plans import services
from datasmart.plans.models import GoalKind, PlanStatus, Visibility
from tests.plans.plans_support import PlanWorld, make_indicator_with_result, make_plan_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> PlanWorld:
    return make_plan_world()


def _joint(world: PlanWorld, visibility: str = Visibility.PUBLIC) -> Any:
    make_indicator_with_result("plan-andel", "01", {2023: 12.5})
    plan = services.create_joint_plan(
        "01",
        world.orgs["region"],
        title="Länsplan psykisk hälsa",
        start_year=2024,
        end_year=2027,
        visibility=visibility,
        by=SYSTEM,
    )
    top = services.create_goal(plan, text="Ett mer hälsofrämjande samhälle", by=SYSTEM)
    sub = services.create_goal(
        plan, text="Fler unga når skolans mål", kind=GoalKind.OPERATIVE, parent=top, by=SYSTEM
    )
    services.add_goal_indicator(
        sub, indicator_code="plan-andel", target_value=15, target_year=2027, by=SYSTEM
    )
    services.create_activity(
        plan,
        title="Gemensam utbildning",
        goals=[sub],
        start=dt.date(2024, 1, 1),
        end=dt.date(2024, 12, 31),
        by=SYSTEM,
    )
    return plan


def _client(world: PlanWorld, org: str, role: Role = Role.COORDINATOR) -> Client:
    client = Client()
    client.force_login(world.user(org, role))
    return client


def test_list_and_detail_render(world: PlanWorld, client: Client) -> None:
    plan = _joint(world)
    listing = client.get(reverse("plans:list")).content.decode()
    assert "Länsplan psykisk hälsa" in listing
    page = client.get(reverse("plans:detail", args=[plan.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    for text in (
        "Ett mer hälsofrämjande samhälle",
        "Fler unga når skolans mål",
        "plan-andel",
        "12,5 (2023)",
        "15,0 (2027)",
        "Gemensam utbildning",
        "Plan stockholm",
        "Plan vasby",
    ):
        assert text in body, text
    assert "Godkänn planen" not in body  # anonymous: no forms


def test_detail_in_english(world: PlanWorld, client: Client) -> None:
    plan = _joint(world)
    client.cookies["django_language"] = "en"
    body = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert "Parties and approvals" in body and "Operative goal" in body


def test_parties_approve_through_the_page_until_agreed(world: PlanWorld) -> None:
    plan = _joint(world)
    page = _client(world, "stockholm").get(reverse("plans:detail", args=[plan.pk]))
    assert "Godkänn planen för Plan stockholm" in page.content.decode()
    for key in ("region", "stockholm", "vasby"):
        party = world.orgs[key].pk
        response = _client(world, key).post(
            reverse("plans:approve", args=[plan.pk]), {"organisation": party}
        )
        assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.AGREED
    # a second approval is a message on the page, not an error page
    again = _client(world, "vasby").post(
        reverse("plans:approve", args=[plan.pk]),
        {"organisation": world.orgs["vasby"].pk},
        follow=True,
    )
    assert again.status_code == 200
    assert "kan inte ändras" in again.content.decode()


def test_approving_for_another_party_is_forbidden(world: PlanWorld) -> None:
    plan = _joint(world)
    response = _client(world, "stockholm").post(
        reverse("plans:approve", args=[plan.pk]), {"organisation": world.orgs["vasby"].pk}
    )
    assert response.status_code == 403
    assert not plan.parties.filter(approved_at__isnull=False).exists()


def test_leave_through_the_page(world: PlanWorld) -> None:
    plan = _joint(world)
    url = reverse("plans:leave", args=[plan.pk])
    client = _client(world, "vasby")
    empty = client.post(url, {"organisation": world.orgs["vasby"].pk, "reason": ""}, follow=True)
    assert "får inte vara tomt" in empty.content.decode()
    client.post(url, {"organisation": world.orgs["vasby"].pk, "reason": "Egen plan"})
    party = plan.parties.get(organisation=world.orgs["vasby"])
    assert party.leave_reason == "Egen plan" and party.left_at is not None


def test_parties_only_plan_hidden_and_unknown_plan_404(world: PlanWorld, client: Client) -> None:
    plan = _joint(world, Visibility.PARTIES)
    assert "Länsplan psykisk hälsa" not in client.get(reverse("plans:list")).content.decode()
    assert client.get(reverse("plans:detail", args=[plan.pk])).status_code == 403
    outsider = _client(world, "malmo")
    assert outsider.get(reverse("plans:detail", args=[plan.pk])).status_code == 403
    party = _client(world, "vasby", Role.VIEWER)
    assert party.get(reverse("plans:detail", args=[plan.pk])).status_code == 200
    assert client.get(reverse("plans:detail", args=[999999])).status_code == 404
