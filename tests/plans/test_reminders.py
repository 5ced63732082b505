"""Follow-up reminders for plans: sent once per plan, date and stage, only to the people
who prepare or approve the plan, inside the date window, never in a dry run, and from the
CLI (``datasmart plans remind``)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from typer.testing import CliRunner

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import AuditEvent, Role
from datasmart.cli import app
from datasmart.plans import reminders, services
from datasmart.plans.models import ActionPlan, PlanReminder, PlanStatus
from datasmart.plans.reminders import send_plan_reminders
from tests.plans.plans_support import PlanWorld, make_plan_world

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2026, 12, 6, 7, 0))
TODAY = NOW.date()


@pytest.fixture
def world() -> PlanWorld:
    return make_plan_world()


def _agreed_plan(world: PlanWorld, org: str = "stockholm", *, in_days: int | None = 10) -> Any:
    plan = services.create_plan(
        world.orgs[org], title="Plan för psykisk hälsa", start_year=2025, end_year=2028, by=SYSTEM
    )
    services.agree_plan(plan, by=SYSTEM)
    follow_up = None if in_days is None else TODAY + dt.timedelta(days=in_days)
    ActionPlan.objects.filter(pk=plan.pk).update(next_follow_up=follow_up)
    plan.refresh_from_db()
    return plan


def _joint_plan(world: PlanWorld, *, in_days: int = 10) -> Any:
    plan = services.create_joint_plan(
        "01", world.orgs["region"], title="Länsplan", start_year=2025, end_year=2028, by=SYSTEM
    )
    for party in plan.parties.select_related("organisation"):
        services.approve(plan, party.organisation, by=SYSTEM)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.AGREED
    ActionPlan.objects.filter(pk=plan.pk).update(next_follow_up=TODAY + dt.timedelta(days=in_days))
    plan.refresh_from_db()
    return plan


def _to() -> set[str]:
    return {address for m in mail.outbox for address in m.to}


def test_owner_editors_get_one_mail_each_and_only_once(world: PlanWorld) -> None:
    plan = _agreed_plan(world)
    coordinator = world.user("stockholm", Role.COORDINATOR)
    analyst = world.user("stockholm", Role.ANALYST)

    results = send_plan_reminders(now=NOW)

    assert [(r.plan, r.result, r.stage, r.addresses) for r in results] == [
        (plan.pk, "sent", "ahead", 2)
    ]
    assert _to() == {coordinator.email, analyst.email}
    assert all(len(m.to) == 1 for m in mail.outbox)  # recipients do not see each other
    message = mail.outbox[0]
    assert plan.title in message.subject and "2026-12-16" in message.subject
    assert f"/planer/{plan.pk}/" in message.body
    assert AuditEvent.objects.filter(action="plans.reminder.send").count() == 1

    again = send_plan_reminders(now=NOW)
    assert [r.result for r in again] == ["already"]
    assert len(mail.outbox) == 2
    assert PlanReminder.objects.count() == 1


def test_second_stage_a_few_days_before_then_nothing_more(world: PlanWorld) -> None:
    _agreed_plan(world)
    world.user("stockholm", Role.COORDINATOR)
    send_plan_reminders(now=NOW)
    assert len(mail.outbox) == 1
    later = NOW + dt.timedelta(days=8)  # two days before the follow-up
    assert [r.stage for r in send_plan_reminders(now=later)] == ["soon"]
    assert len(mail.outbox) == 2
    assert [r.result for r in send_plan_reminders(now=later + dt.timedelta(days=1))] == ["already"]
    assert len(mail.outbox) == 2


def test_first_seen_close_to_the_date_gets_one_mail_not_two(world: PlanWorld) -> None:
    _agreed_plan(world, in_days=2)
    world.user("stockholm", Role.COORDINATOR)
    assert [r.stage for r in send_plan_reminders(now=NOW)] == ["soon"]
    assert [r.result for r in send_plan_reminders(now=NOW + dt.timedelta(days=1))] == ["already"]
    assert len(mail.outbox) == 1


def test_dry_run_sends_and_records_nothing(world: PlanWorld) -> None:
    _agreed_plan(world)
    world.user("stockholm", Role.COORDINATOR)
    results = send_plan_reminders(now=NOW, dry_run=True)
    assert [r.result for r in results] == ["dry_run"]
    assert mail.outbox == []
    assert not PlanReminder.objects.exists()
    assert not AuditEvent.objects.filter(action="plans.reminder.send").exists()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.VIEWER, Role.CASEWORKER])
def test_members_without_a_plan_role_get_nothing(world: PlanWorld, role: Role) -> None:
    _agreed_plan(world)
    world.user("stockholm", role)
    world.user("malmo", Role.COORDINATOR)  # another kommun's coordinator
    results = send_plan_reminders(now=NOW)
    assert [r.result for r in results] == ["no_address"]
    assert mail.outbox == []
    assert not PlanReminder.objects.exists()  # a coordinator added later still gets it


def test_inactive_users_and_users_without_address_get_nothing(world: PlanWorld) -> None:
    _agreed_plan(world)
    gone = world.user("stockholm", Role.COORDINATOR)
    gone.is_active = False
    gone.save()
    silent = world.user("stockholm", Role.ANALYST)
    silent.email = ""
    silent.save()
    assert [r.result for r in send_plan_reminders(now=NOW)] == ["no_address"]
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("in_days", "days", "due"),
    [(-1, 14, False), (0, 14, True), (14, 14, True), (15, 14, False), (5, 3, False), (3, 3, True)],
)
def test_the_date_window(world: PlanWorld, in_days: int, days: int, due: bool) -> None:
    _agreed_plan(world, in_days=in_days)
    world.user("stockholm", Role.COORDINATOR)
    results = send_plan_reminders(now=NOW, days=days)
    assert bool(results) is due
    assert len(mail.outbox) == (1 if due else 0)


def test_drafts_closed_plans_and_plans_without_date_are_not_reminded(world: PlanWorld) -> None:
    world.user("stockholm", Role.COORDINATOR)
    draft = services.create_plan(
        world.orgs["stockholm"], title="Utkast", start_year=2025, end_year=2026, by=SYSTEM
    )
    ActionPlan.objects.filter(pk=draft.pk).update(next_follow_up=TODAY + dt.timedelta(days=5))
    closed = _agreed_plan(world)
    ActionPlan.objects.filter(pk=closed.pk).update(status=PlanStatus.CLOSED)
    _agreed_plan(world, in_days=None)
    assert send_plan_reminders(now=NOW) == []


def test_a_version_replaced_by_an_agreed_one_is_not_reminded(world: PlanWorld) -> None:
    world.user("stockholm", Role.COORDINATOR)
    old = _agreed_plan(world)
    new = services.new_version(old, by=SYSTEM)
    ActionPlan.objects.filter(pk=new.pk).update(next_follow_up=TODAY + dt.timedelta(days=10))
    # while the new version is a draft, the old one is still the plan in force
    assert [r.plan for r in send_plan_reminders(now=NOW, dry_run=True)] == [old.pk]
    services.agree_plan(new, by=SYSTEM)
    assert [r.plan for r in send_plan_reminders(now=NOW, dry_run=True)] == [new.pk]


def test_joint_plan_reaches_every_party_coordinator_but_not_one_that_left(
    world: PlanWorld,
) -> None:
    plan = services.create_joint_plan(
        "01", world.orgs["region"], title="Länsplan", start_year=2025, end_year=2028, by=SYSTEM
    )
    services.leave(plan, world.orgs["vasby"], reason="Egen plan", by=SYSTEM)
    for party in plan.parties.filter(left_at__isnull=True).select_related("organisation"):
        services.approve(plan, party.organisation, by=SYSTEM)
    ActionPlan.objects.filter(pk=plan.pk).update(next_follow_up=TODAY + dt.timedelta(days=10))
    region_analyst = world.user("region", Role.ANALYST)
    stockholm = world.user("stockholm", Role.COORDINATOR)
    stockholm_analyst = world.user("stockholm", Role.ANALYST)  # a party's analyst: not asked
    vasby = world.user("vasby", Role.COORDINATOR)  # left the plan

    results = send_plan_reminders(now=NOW)

    assert [r.result for r in results] == ["sent"]
    assert region_analyst.email in _to() and stockholm.email in _to()
    assert stockholm_analyst.email not in _to() and vasby.email not in _to()


def test_same_address_twice_gets_one_mail(world: PlanWorld) -> None:
    plan = _joint_plan(world)
    person = world.user("region", Role.COORDINATOR)
    from tests.accounts.factories import MembershipFactory

    MembershipFactory(user=person, organisation=world.orgs["stockholm"], role=Role.COORDINATOR)
    results = send_plan_reminders(now=NOW)
    assert [(r.plan, r.addresses) for r in results] == [(plan.pk, 1)]
    assert len(mail.outbox) == 1


def test_mail_carries_no_personal_data_and_speaks_the_recipients_language(
    world: PlanWorld,
) -> None:
    plan = _joint_plan(world)
    coordinator = world.user("stockholm", Role.COORDINATOR)
    coordinator.language = "en"  # stored when the user switched the site to English
    coordinator.save(update_fields=["language"])
    assert world.user("region", Role.COORDINATOR).language == "sv"  # the default
    send_plan_reminders(now=NOW)
    by_address = {m.to[0]: m for m in mail.outbox}
    english = by_address[coordinator.email]
    assert english.subject.startswith("Reminder: follow-up of")
    assert "will be followed up on 2026-12-16" in english.body
    swedish = next(m for a, m in by_address.items() if a != coordinator.email)
    assert swedish.subject.startswith("Påminnelse: uppföljning av")
    for message in mail.outbox:
        for user in world.users.values():
            assert user.username not in message.body and user.last_name not in message.body
            assert user.email not in message.body
        assert f"/planer/{plan.pk}/" in message.body


def test_recipient_language_falls_back_to_swedish(world: PlanWorld) -> None:
    user = world.user("stockholm", Role.COORDINATOR)
    assert reminders.recipient_language(user) == "sv"
    user.language = "en"
    assert reminders.recipient_language(user) == "en"
    user.language = "fi"
    assert reminders.recipient_language(user) == "sv"


def test_negative_days_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="--days"):
        send_plan_reminders(now=NOW, days=-1)


def test_cli_dry_run_then_send(world: PlanWorld) -> None:
    plan = _agreed_plan(world)
    world.user("stockholm", Role.COORDINATOR)
    runner = CliRunner()
    dry = runner.invoke(
        app, ["plans", "remind", "--dry-run", "--now", "2026-12-06", "--format", "json"]
    )
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)[0]["result"] == "dry_run"
    assert mail.outbox == []
    sent = runner.invoke(app, ["plans", "remind", "--now", "2026-12-06", "--days", "14"])
    assert sent.exit_code == 0, sent.output
    assert len(mail.outbox) == 1 and PlanReminder.objects.filter(plan=plan).count() == 1


@pytest.mark.parametrize("args", [["--days", "-3"], ["--now", "6 december"]])
def test_cli_bad_input_is_one_message_and_exit_2(args: list[str]) -> None:
    result = CliRunner().invoke(app, ["plans", "remind", *args])
    assert result.exit_code == 2
    assert "Fel:" in result.output and "Traceback" not in result.output
