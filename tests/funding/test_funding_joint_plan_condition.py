"""A funding condition fulfilled by an agreed joint län plan (``rule = joint_plan``): read
live from ``plans.services.agreed_joint_plan_exists`` (no copy), for regions and for the
kommuner of the län; agreed / not agreed / a party left; no hand assessment; the page
links the plan only for readers who may see it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from tests.accounts.factories import member, national_organisation
from tests.plans.plans_support import PlanWorld, make_plan_world

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import Role
from datasmart.funding.models import Agreement, Condition, ConditionRule, Fulfilment
from datasmart.funding.plan_conditions import joint_plan_checks, lan_code_of
from datasmart.funding.services import FundingError, followup
from datasmart.geo.models import Unit
from datasmart.plans import services as plans
from datasmart.plans.models import PlanStatus, Visibility

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "funding_test_urls"


@pytest.fixture
def world() -> PlanWorld:
    return make_plan_world()


def _condition(a2020: Agreement, level: str = "region") -> Condition:
    return followup.add_condition(
        a2020,
        code=f"handlingsplan-{level}",
        text="Gemensam handlingsplan i länet",
        recipient_level=level,
        rule=ConditionRule.JOINT_PLAN,
        by=SYSTEM,
    )


def _joint_plan(
    world: PlanWorld,
    *,
    start: int = 2020,
    end: int = 2022,
    visibility: str = Visibility.PUBLIC,
    approve: bool = True,
    leaves: tuple[str, ...] = (),
) -> Any:
    plan = plans.create_joint_plan(
        "01",
        world.orgs["region"],
        title="Länsplan Stockholm",
        start_year=start,
        end_year=end,
        visibility=visibility,
        by=SYSTEM,
    )
    for key in leaves:
        plans.leave(plan, world.orgs[key], reason="Egen plan", by=SYSTEM)
    if approve:
        for party in plan.parties.filter(left_at__isnull=True).select_related("organisation"):
            plans.approve(plan, party.organisation, by=SYSTEM)
    plan.refresh_from_db()
    return plan


def _verdicts(cond: Condition, codes: list[str]) -> dict[str, str]:
    units = list(Unit.objects.filter(code__in=codes))
    checks = joint_plan_checks(cond, units)
    return {u.code: checks[u.pk].status for u in units}


def test_rule_is_checked_when_adding(a2020: Agreement) -> None:
    with pytest.raises(FundingError, match="bedöms"):
        followup.add_condition(
            a2020, code="x", text="X", recipient_level="region", rule="magic", by=SYSTEM
        )
    cond = _condition(a2020)
    assert cond.rule == ConditionRule.JOINT_PLAN
    manual = followup.add_condition(a2020, code="y", text="Y", recipient_level="kommun", by=SYSTEM)
    assert manual.rule == ConditionRule.MANUAL


def test_agreed_joint_plan_fulfils_the_region_and_its_kommuner(
    a2020: Agreement, world: PlanWorld
) -> None:
    plan = _joint_plan(world)
    assert plan.status == PlanStatus.AGREED
    assert _verdicts(_condition(a2020, "region"), ["01", "12"]) == {
        "01": "fulfilled",
        "12": "not_fulfilled",
    }
    assert _verdicts(_condition(a2020, "kommun"), ["0180", "0114", "1280"]) == {
        "0180": "fulfilled",
        "0114": "fulfilled",
        "1280": "not_fulfilled",
    }


def test_plan_not_agreed_by_every_party_does_not_fulfil(a2020: Agreement, world: PlanWorld) -> None:
    plan = _joint_plan(world, approve=False)
    plans.approve(plan, world.orgs["region"], by=SYSTEM)
    plans.approve(plan, world.orgs["stockholm"], by=SYSTEM)  # Upplands Väsby has not
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    assert _verdicts(_condition(a2020), ["01"]) == {"01": "not_fulfilled"}


def test_a_party_leaving_then_the_rest_approving_fulfils_and_is_read_live(
    a2020: Agreement, world: PlanWorld
) -> None:
    cond = _condition(a2020, "kommun")
    plan = _joint_plan(world, approve=False, leaves=("vasby",))
    assert _verdicts(cond, ["0180"]) == {"0180": "not_fulfilled"}
    for party in plan.parties.filter(left_at__isnull=True).select_related("organisation"):
        plans.approve(plan, party.organisation, by=SYSTEM)
    # no copy in funding: the same condition reads the new state at once
    assert _verdicts(cond, ["0180", "0114"]) == {"0180": "fulfilled", "0114": "fulfilled"}
    assert not Fulfilment.objects.filter(condition=cond).exists()


def test_plan_for_other_years_does_not_count(a2020: Agreement, world: PlanWorld) -> None:
    _joint_plan(world, start=2021, end=2024)
    assert _verdicts(_condition(a2020), ["01"]) == {"01": "not_fulfilled"}


def test_hand_assessment_is_refused(a2020: Agreement) -> None:
    cond = _condition(a2020)
    with pytest.raises(FundingError, match="automatiskt"):
        followup.assess(cond, unit_code="01", status="fulfilled", by=SYSTEM)
    assert not cond.fulfilments.exists()


def test_overview_and_api_count_the_live_verdicts(a2020: Agreement, world: PlanWorld) -> None:
    _joint_plan(world)
    _condition(a2020)
    summary = next(s for s in followup.condition_overview(a2020) if s.condition.rule != "manual")
    assert summary.counts["fulfilled"] == 1
    assert summary.counts["not_fulfilled"] == summary.expected - 1
    assert summary.not_assessed == 0
    client = Client()
    client.force_login(member(Role.VIEWER, world.orgs["malmo"], username="lasare-api"))
    body = client.get("/api/funding/agreements/2020/conditions").json()
    row = next(r for r in body if r["code"] == "handlingsplan-region")
    assert row["rule"] == "joint_plan" and row["fulfilled"] == 1


def test_lan_of_a_recipient() -> None:
    assert lan_code_of(Unit.objects.get(code="01")) == "01"
    assert lan_code_of(Unit.objects.get(code="0180")) == "01"
    assert lan_code_of(Unit.objects.get(code="00")) is None


def _page(client: Client, level: str = "region") -> str:
    response = client.get(reverse("funding:condition", args=[2020, f"handlingsplan-{level}"]))
    assert response.status_code == 200
    return response.content.decode()


def test_page_shows_verdict_rule_and_a_link_to_the_public_plan(
    a2020: Agreement, world: PlanWorld
) -> None:
    plan = _joint_plan(world)
    _condition(a2020)
    admin = Client()
    admin.force_login(member(Role.COORDINATOR, national_organisation(), username="adm"))
    html = _page(admin)
    assert reverse("plans:detail", args=[plan.pk]) in html
    assert "Uppfyllt" in html and "Inte uppfyllt" in html
    assert 'name="status"' not in html  # no hand assessment forms
    assert 'id="rule-note"' in html
    # a hand-made POST is refused with the service's message, not a 500
    response = admin.post(
        reverse("funding:condition", args=[2020, "handlingsplan-region"]),
        {"unit": "01", "status": "not_fulfilled"},
        follow=True,
    )
    assert response.status_code == 200 and "automatiskt" in response.content.decode()


def test_parties_only_plan_is_linked_for_parties_but_not_for_outsiders(
    a2020: Agreement, world: PlanWorld
) -> None:
    plan = _joint_plan(world, visibility=Visibility.PARTIES)
    _condition(a2020, "kommun")
    link = reverse("plans:detail", args=[plan.pk])
    outsider = Client()
    outsider.force_login(member(Role.VIEWER, world.orgs["malmo"], username="utomstaende"))
    html = _page(outsider, "kommun")
    assert link not in html and plan.title not in html
    assert "Uppfyllt" in html  # the verdict itself is the agreement's business, not secret
    party = Client()
    party.force_login(member(Role.VIEWER, world.orgs["stockholm"], username="part"))
    assert link in _page(party, "kommun")
