"""A plan's life after agreement: agreed → active → followed up → closed, and superseding
(agreeing version N closes version N-1 with "ersatt av version N").

Services (happy paths, wrong-state refusals, rights per role and organisation, audit),
pages (buttons only for those who may, the timeline, POSTs) and API (200/403/404/409/422).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import AuditEvent, Role
from datasmart.plans import services
from datasmart.plans.followup import record_follow_up
from datasmart.plans.models import ActionPlan, FollowUp, PlanStatus, Visibility
from tests.accounts.factories import superuser
from tests.plans.plans_support import PlanWorld, make_plan_world

pytestmark = pytest.mark.django_db

EDITORS = {Role.COORDINATOR, Role.ANALYST}
THIS_YEAR = timezone.localdate().year


@pytest.fixture
def world() -> PlanWorld:
    return make_plan_world()


def _plan(world: PlanWorld, org: str = "stockholm", **kw: Any) -> ActionPlan:
    kw.setdefault("title", "Handlingsplan psykisk hälsa")
    kw.setdefault("start_year", THIS_YEAR - 1)
    kw.setdefault("end_year", THIS_YEAR + 2)
    return services.create_plan(world.orgs[org], by=SYSTEM, **kw)


def _agreed(world: PlanWorld, **kw: Any) -> ActionPlan:
    return services.agree_plan(_plan(world, **kw), by=SYSTEM)


def _active(world: PlanWorld, **kw: Any) -> ActionPlan:
    return services.activate_plan(_agreed(world, **kw), by=SYSTEM)


def _followed_up(world: PlanWorld) -> ActionPlan:
    plan = _active(world)
    FollowUp.objects.create(plan=plan, year=THIS_YEAR)
    return services.mark_followed_up(plan, by=SYSTEM)


def _joint(world: PlanWorld, **kw: Any) -> ActionPlan:
    return services.create_joint_plan(
        "01",
        world.orgs["region"],
        title="Länsplan psykisk hälsa",
        start_year=THIS_YEAR - 1,
        end_year=THIS_YEAR + 2,
        by=SYSTEM,
        **kw,
    )


def _approve_all(plan: ActionPlan, world: PlanWorld) -> None:
    for key in ("region", "stockholm", "vasby"):
        services.approve(plan, world.orgs[key], by=world.user(key, Role.COORDINATOR))


def _events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def _reload(plan: ActionPlan) -> ActionPlan:
    return ActionPlan.objects.get(pk=plan.pk)


# --- services: happy paths ----------------------------------------------------------------


def test_whole_life_of_a_plan(world: PlanWorld) -> None:
    user = world.user("stockholm", Role.ANALYST)
    plan = services.agree_plan(_plan(world), by=user)
    services.activate_plan(plan, by=user)
    assert _reload(plan).status == PlanStatus.ACTIVE
    assert _reload(plan).activated_at is not None
    record_follow_up(plan, THIS_YEAR - 1, by=user)
    services.mark_followed_up(plan, by=user)
    assert _reload(plan).status == PlanStatus.FOLLOWED_UP
    assert _reload(plan).followed_up_at is not None
    services.close_plan(plan, reason="  Perioden är slut. ", by=user)
    stored = _reload(plan)
    assert stored.status == PlanStatus.CLOSED
    assert stored.close_reason == "Perioden är slut."
    assert stored.closed_at is not None
    for action in ("plans.plan_activated", "plans.plan_followed_up", "plans.plan_closed"):
        event = AuditEvent.objects.get(action=action)
        assert event.actor_id == user.pk
        assert event.organisation == world.orgs["stockholm"].name
    closed = AuditEvent.objects.get(action="plans.plan_closed")
    assert closed.detail["reason"] == "Perioden är slut."
    followed = AuditEvent.objects.get(action="plans.plan_followed_up")
    assert followed.detail["year"] == THIS_YEAR - 1


@pytest.mark.parametrize("status", ["agreed", "active", "followed_up"])
def test_close_from_every_open_status(world: PlanWorld, status: str) -> None:
    plan = {"agreed": _agreed, "active": _active, "followed_up": _followed_up}[status](world)
    services.close_plan(plan, reason="Ny politisk inriktning", by=SYSTEM)
    assert _reload(plan).status == PlanStatus.CLOSED


def test_activate_before_the_first_year_needs_early(world: PlanWorld) -> None:
    plan = _agreed(world, start_year=THIS_YEAR + 1, end_year=THIS_YEAR + 4)
    with pytest.raises(services.PlanError) as info:
        services.activate_plan(plan, by=SYSTEM)
    assert not isinstance(info.value, services.PlanStateError)
    assert str(THIS_YEAR + 1) in str(info.value)
    assert _reload(plan).status == PlanStatus.AGREED
    services.activate_plan(plan, early=True, by=SYSTEM)
    assert _reload(plan).status == PlanStatus.ACTIVE
    assert AuditEvent.objects.get(action="plans.plan_activated").detail["early"] is True


def test_may_activate_now() -> None:
    plan = ActionPlan(start_year=2027, end_year=2030)
    assert not services.may_activate_now(plan, dt.date(2026, 12, 31))
    assert services.may_activate_now(plan, dt.date(2027, 1, 1))


# --- services: wrong states ---------------------------------------------------------------


def test_draft_cannot_be_activated_followed_up_or_closed(world: PlanWorld) -> None:
    plan = _plan(world)
    with pytest.raises(services.PlanStateError, match="utkast och kan inte aktiveras"):
        services.activate_plan(plan, by=SYSTEM)
    with pytest.raises(services.PlanStateError, match="utkast"):
        services.mark_followed_up(plan, by=SYSTEM)
    with pytest.raises(services.PlanStateError, match="utkast och kan inte avslutas"):
        services.close_plan(plan, reason="Skäl", by=SYSTEM)
    assert _reload(plan).status == PlanStatus.DRAFT


def test_wrong_state_refusals(world: PlanWorld) -> None:
    agreed = _agreed(world)
    with pytest.raises(services.PlanStateError, match="inte aktiv"):
        services.mark_followed_up(agreed, by=SYSTEM)
    active = services.activate_plan(agreed, by=SYSTEM)
    with pytest.raises(services.PlanStateError, match="redan aktiv"):
        services.activate_plan(active, by=SYSTEM)
    with pytest.raises(services.PlanStateError, match="ingen sparad uppföljning"):
        services.mark_followed_up(active, by=SYSTEM)
    FollowUp.objects.create(plan=active, year=THIS_YEAR)
    services.mark_followed_up(active, by=SYSTEM)
    with pytest.raises(services.PlanStateError, match="redan markerad"):
        services.mark_followed_up(active, by=SYSTEM)
    with pytest.raises(services.PlanStateError, match="uppföljd"):
        services.activate_plan(active, by=SYSTEM)
    services.close_plan(active, reason="Klar", by=SYSTEM)
    with pytest.raises(services.PlanStateError, match="redan avslutad"):
        services.close_plan(active, reason="Igen", by=SYSTEM)
    with pytest.raises(services.PlanStateError, match="avslutad"):
        services.activate_plan(active, by=SYSTEM)
    with pytest.raises(services.PlanStateError, match="avslutad"):
        services.mark_followed_up(active, by=SYSTEM)
    assert _events("plans.plan_closed") == 1


def test_follow_up_of_another_version_does_not_count(world: PlanWorld) -> None:
    old = _agreed(world)
    FollowUp.objects.create(plan=old, year=THIS_YEAR)
    new = services.new_version(old, by=SYSTEM)
    services.agree_plan(new, by=SYSTEM)
    services.activate_plan(new, by=SYSTEM)
    with pytest.raises(services.PlanStateError, match="ingen sparad uppföljning"):
        services.mark_followed_up(new, by=SYSTEM)


def test_stale_object_is_checked_against_the_stored_status(world: PlanWorld) -> None:
    plan = _agreed(world)
    stale = ActionPlan.objects.get(pk=plan.pk)
    services.close_plan(plan, reason="Klar", by=SYSTEM)
    with pytest.raises(services.PlanStateError, match="avslutad"):
        services.activate_plan(stale, by=SYSTEM)
    assert stale.status == PlanStatus.CLOSED


@pytest.mark.parametrize("reason", ["", "   ", "x" * (services.CLOSE_REASON_MAX + 1)])
def test_close_needs_a_reason(world: PlanWorld, reason: str) -> None:
    plan = _agreed(world)
    with pytest.raises(services.PlanError, match="skäl"):
        services.close_plan(plan, reason=reason, by=SYSTEM)
    assert _reload(plan).status == PlanStatus.AGREED


# --- services: rights ---------------------------------------------------------------------


def _transition(step: str, world: PlanWorld) -> tuple[ActionPlan, Any]:
    if step == "activate":
        return _agreed(world), lambda p, by: services.activate_plan(p, by=by)
    if step == "followed_up":
        plan = _active(world)
        FollowUp.objects.create(plan=plan, year=THIS_YEAR)
        return plan, lambda p, by: services.mark_followed_up(p, by=by)
    return _agreed(world), lambda p, by: services.close_plan(p, reason="Skäl", by=by)


@pytest.mark.parametrize("step", ["activate", "followed_up", "close"])
@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("where", ["stockholm", "malmo"])
def test_rights_by_role_and_organisation(
    world: PlanWorld, step: str, role: Role, where: str
) -> None:
    plan, write = _transition(step, world)
    before = _reload(plan).status
    user = world.user(where, role)
    denials = _events("auth.permission_denied")
    if where == "stockholm" and role in EDITORS:
        write(plan, user)
        assert _reload(plan).status != before
    else:
        with pytest.raises(PermissionDenied):
            write(plan, user)
        assert _reload(plan).status == before
        assert _events("auth.permission_denied") == denials + 1


def test_superuser_may_and_anonymous_may_not(world: PlanWorld) -> None:
    from django.contrib.auth.models import AnonymousUser

    plan = _agreed(world)
    with pytest.raises(PermissionDenied):
        services.activate_plan(plan, by=AnonymousUser())
    services.activate_plan(plan, by=superuser())
    assert _reload(plan).status == PlanStatus.ACTIVE


def test_joint_plan_steps_are_the_owners_not_the_parties(world: PlanWorld) -> None:
    plan = _joint(world)
    _approve_all(plan, world)
    plan = _reload(plan)
    assert plan.status == PlanStatus.AGREED
    with pytest.raises(PermissionDenied):
        services.activate_plan(plan, by=world.user("stockholm", Role.COORDINATOR))
    services.activate_plan(plan, by=world.user("region", Role.ANALYST))
    assert _reload(plan).status == PlanStatus.ACTIVE
    assert services.agreed_joint_plan_exists("01", THIS_YEAR)
    services.close_plan(plan, reason="Ny överenskommelse", by=world.user("region", Role.ANALYST))
    assert not services.agreed_joint_plan_exists("01", THIS_YEAR)


# --- superseding --------------------------------------------------------------------------


@pytest.mark.parametrize("old_status", ["agreed", "active", "followed_up"])
def test_agreeing_a_new_version_closes_the_old(world: PlanWorld, old_status: str) -> None:
    old = {"agreed": _agreed, "active": _active, "followed_up": _followed_up}[old_status](world)
    new = services.new_version(old, by=SYSTEM)
    assert _reload(old).status == old_status  # a draft supersedes nothing
    user = world.user("stockholm", Role.COORDINATOR)
    services.agree_plan(new, by=user)
    stored = _reload(old)
    assert stored.status == PlanStatus.CLOSED
    assert stored.close_reason == "ersatt av version 2"
    assert stored.closed_at is not None
    event = AuditEvent.objects.get(action="plans.plan_closed")
    assert event.actor_id == user.pk
    assert event.target_id == str(old.pk)
    assert event.detail["superseded_by"] == new.pk
    assert _reload(new).status == PlanStatus.AGREED


def test_superseding_leaves_a_closed_version_alone(world: PlanWorld) -> None:
    old = _agreed(world)
    services.close_plan(old, reason="Avbruten", by=SYSTEM)
    new = services.new_version(old, by=SYSTEM)
    services.agree_plan(new, by=SYSTEM)
    assert _reload(old).close_reason == "Avbruten"
    assert _events("plans.plan_closed") == 1


def test_superseding_a_joint_plan_on_the_last_approval(world: PlanWorld) -> None:
    old = _joint(world)
    _approve_all(old, world)
    services.activate_plan(_reload(old), by=SYSTEM)
    new = services.new_version(_reload(old), by=SYSTEM)
    services.approve(new, world.orgs["region"], by=world.user("region", Role.COORDINATOR))
    services.approve(new, world.orgs["stockholm"], by=world.user("stockholm", Role.COORDINATOR))
    assert _reload(old).status == PlanStatus.ACTIVE  # not every party yet
    last = world.user("vasby", Role.COORDINATOR)
    services.leave(new, world.orgs["vasby"], reason="Egen plan", by=last)
    stored = _reload(old)
    assert stored.status == PlanStatus.CLOSED
    assert stored.close_reason == "ersatt av version 2"
    event = AuditEvent.objects.get(action="plans.plan_closed")
    assert event.actor_id == last.pk
    assert event.organisation == world.orgs["region"].name
    assert services.agreed_joint_plan("01", THIS_YEAR) == _reload(new)


def test_superseding_rolls_back_with_the_agreement(world: PlanWorld, monkeypatch: Any) -> None:
    old = _agreed(world)
    new = services.new_version(old, by=SYSTEM)

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit down")

    monkeypatch.setattr(services, "_close", fail)
    with pytest.raises(RuntimeError):
        services.agree_plan(new, by=SYSTEM)
    assert _reload(new).status == PlanStatus.DRAFT
    assert _reload(old).status == PlanStatus.AGREED


# --- pages --------------------------------------------------------------------------------


def _client(world: PlanWorld, org: str, role: Role = Role.COORDINATOR) -> Client:
    client = Client()
    client.force_login(world.user(org, role))
    return client


def _page(client: Client, plan: ActionPlan) -> str:
    response = client.get(reverse("plans:detail", args=[plan.pk]))
    assert response.status_code == 200
    return str(response.content.decode())


def test_buttons_only_for_the_owners_editors(world: PlanWorld) -> None:
    plan = _agreed(world)
    activate = reverse("plans:activate", args=[plan.pk])
    close = reverse("plans:close", args=[plan.pk])
    editor = _page(_client(world, "stockholm", Role.ANALYST), plan)
    assert activate in editor and close in editor
    for org, role in (
        ("stockholm", Role.VIEWER),
        ("stockholm", Role.ADMIN),
        ("malmo", Role.COORDINATOR),
    ):
        other = _page(_client(world, org, role), plan)
        assert activate not in other and close not in other
    anonymous = _page(Client(), plan)
    assert activate not in anonymous and "Planens gång" in anonymous


def test_followed_up_button_after_a_follow_up(world: PlanWorld) -> None:
    plan = _active(world)
    client = _client(world, "stockholm")
    url = reverse("plans:followed_up", args=[plan.pk])
    page = _page(client, plan)
    assert url not in page
    assert reverse("plans:activate", args=[plan.pk]) not in page
    assert "när en uppföljning är sparad" in page
    FollowUp.objects.create(plan=plan, year=THIS_YEAR)
    assert url in _page(client, plan)


def test_activate_follow_up_and_close_through_the_pages(world: PlanWorld) -> None:
    plan = _agreed(world)
    client = _client(world, "stockholm")
    response = client.post(reverse("plans:activate", args=[plan.pk]), follow=True)
    assert "Planen är aktiverad." in response.content.decode()
    assert _reload(plan).status == PlanStatus.ACTIVE
    FollowUp.objects.create(plan=plan, year=THIS_YEAR)
    client.post(reverse("plans:followed_up", args=[plan.pk]))
    assert _reload(plan).status == PlanStatus.FOLLOWED_UP
    empty = client.post(reverse("plans:close", args=[plan.pk]), {"reason": " "}, follow=True)
    assert "Fältet skäl" in empty.content.decode()
    assert _reload(plan).status == PlanStatus.FOLLOWED_UP
    client.post(reverse("plans:close", args=[plan.pk]), {"reason": "Perioden <slut>"})
    assert _reload(plan).status == PlanStatus.CLOSED
    page = _page(client, plan)
    assert "Perioden &lt;slut&gt;" in page
    assert reverse("plans:close", args=[plan.pk]) not in page


def test_wrong_state_on_the_page_is_a_message(world: PlanWorld) -> None:
    plan = _plan(world)
    response = _client(world, "stockholm").post(
        reverse("plans:activate", args=[plan.pk]), follow=True
    )
    assert "den måste först bli överenskommen" in response.content.decode()


def test_early_activation_on_the_page(world: PlanWorld) -> None:
    plan = _agreed(world, start_year=THIS_YEAR + 1, end_year=THIS_YEAR + 3)
    client = _client(world, "stockholm")
    assert 'name="early"' in _page(client, plan)
    refused = client.post(reverse("plans:activate", args=[plan.pk]), follow=True)
    assert "aktivera i förtid" in refused.content.decode()
    assert _reload(plan).status == PlanStatus.AGREED
    client.post(reverse("plans:activate", args=[plan.pk]), {"early": "1"})
    assert _reload(plan).status == PlanStatus.ACTIVE


@pytest.mark.parametrize("name", ["plans:activate", "plans:followed_up", "plans:close"])
def test_pages_deny_others(world: PlanWorld, name: str) -> None:
    plan = _agreed(world)
    for org, role in (("stockholm", Role.VIEWER), ("malmo", Role.COORDINATOR)):
        response = _client(world, org, role).post(reverse(name, args=[plan.pk]), {"reason": "x"})
        assert response.status_code == 403
    anonymous = Client().post(reverse(name, args=[plan.pk]))
    assert anonymous.status_code == 302
    assert _reload(plan).status == PlanStatus.AGREED


def test_timeline_shows_dates_and_skips_unreached_steps_when_closed(world: PlanWorld) -> None:
    plan = _agreed(world)
    client = _client(world, "stockholm")
    page = _page(client, plan)
    today = timezone.localdate().isoformat()
    for label in ("Skapad", "Överenskommen", "Aktiv", "Uppföljd", "Avslutad"):
        assert label in page
    assert "inte ännu" in page
    assert today in page
    services.close_plan(plan, reason="Avbruten", by=SYSTEM)
    closed = _page(client, plan)
    assert 'class="step--active' not in closed
    assert 'class="step--closed step--done" aria-current="step"' in closed


def test_timeline_costs_no_query(world: PlanWorld, rf: Any) -> None:
    from datasmart.plans.views import _lifecycle

    plan = _reload(_agreed(world))
    with CaptureQueriesContext(connection) as queries:
        context = _lifecycle(plan, True, None)
    assert len(queries) == 0
    assert [s["key"] for s in context["timeline"]] == [
        "created",
        "agreed",
        "active",
        "followed_up",
        "closed",
    ]
    assert context["status_at"] == plan.agreed_at
    services.close_plan(plan, reason="Avbruten", by=SYSTEM)
    closed = _lifecycle(_reload(plan), True, None)
    assert closed["status_at"] == _reload(plan).closed_at
    assert [s["key"] for s in closed["timeline"]] == ["created", "agreed", "closed"]
    assert _lifecycle(_plan(world), True, None)["status_at"] is None


def test_superseded_version_links_the_newer_one(world: PlanWorld) -> None:
    old = _agreed(world)
    new = services.agree_plan(services.new_version(old, by=SYSTEM), by=SYSTEM)
    client = _client(world, "stockholm")
    page = _page(client, old)
    assert "ersatt av version 2" in page
    assert reverse("plans:detail", args=[new.pk]) in page
    client.cookies["django_language"] = "en"
    english = _page(client, old)
    assert "replaced by version 2" in english
    assert reverse("plans:close", args=[old.pk]) not in english


def test_lifecycle_in_english(world: PlanWorld) -> None:
    plan = _agreed(world)
    client = _client(world, "stockholm")
    client.cookies["django_language"] = "en"
    page = _page(client, plan)
    for text in ("Activate", "Reason for closing the plan", "not yet"):
        assert text in page


# --- API ----------------------------------------------------------------------------------


def _api(client: Client, plan: ActionPlan, step: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(f"/api/plans/{plan.pk}/{step}", body or {}, content_type="application/json")


def test_api_whole_life(world: PlanWorld) -> None:
    plan = _agreed(world)
    client = _client(world, "stockholm", Role.ANALYST)
    activated = _api(client, plan, "activate")
    assert activated.status_code == 200, activated.content
    assert activated.json()["status"] == "active"
    assert activated.json()["activated_at"] is not None
    assert _api(client, plan, "followed-up").status_code == 409
    FollowUp.objects.create(plan=plan, year=THIS_YEAR)
    followed = _api(client, plan, "followed-up")
    assert followed.status_code == 200
    assert followed.json()["status"] == "followed_up"
    closed = _api(client, plan, "close", {"reason": "Perioden är slut"})
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert closed.json()["close_reason"] == "Perioden är slut"
    again = _api(client, plan, "close", {"reason": "Igen"})
    assert again.status_code == 409
    assert "redan avslutad" in again.json()["detail"]


def test_api_status_codes(world: PlanWorld) -> None:
    draft = _plan(world)
    client = _client(world, "stockholm")
    refused = _api(client, draft, "activate")
    assert refused.status_code == 409
    assert "utkast" in refused.json()["detail"]
    assert _api(client, draft, "close", {"reason": "x"}).status_code == 409
    agreed = _agreed(world)
    assert _api(client, agreed, "close", {"reason": ""}).status_code == 422
    assert _api(client, agreed, "close", {}).status_code == 422
    assert _api(client, agreed, "close", {"reason": "   "}).status_code == 422
    early = _agreed(world, start_year=THIS_YEAR + 1, end_year=THIS_YEAR + 3)
    assert _api(client, early, "activate").status_code == 422
    assert _api(client, early, "activate", {"early": True}).status_code == 200
    other = _client(world, "malmo")
    assert _api(other, agreed, "activate").status_code == 403
    assert _api(Client(), agreed, "activate").status_code == 401
    assert _api(client, ActionPlan(pk=999999), "activate").status_code == 404
    hidden = _agreed(world, visibility=Visibility.PARTIES)
    assert _api(other, hidden, "close", {"reason": "x"}).status_code == 404
    assert _reload(hidden).status == PlanStatus.AGREED


def test_api_lists_the_new_fields(world: PlanWorld) -> None:
    plan = _agreed(world)
    services.close_plan(plan, reason="Avbruten", by=SYSTEM)
    rows = Client().get("/api/plans").json()["items"]
    row = next(r for r in rows if r["id"] == plan.pk)
    assert row["close_reason"] == "Avbruten"
    assert row["closed_at"] is not None
    assert row["activated_at"] is None
