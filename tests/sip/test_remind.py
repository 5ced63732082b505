"""SIP reminders: follow-up meetings ahead and unanswered invitations, sent once (per day,
per meeting), to the right people, and never with personal data in the mail."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from datasmart.accounts.models import AuditEvent
from datasmart.sip import services
from datasmart.sip.jobs.reminders import NO_STAFF_LINK, plan_reference, send_sip_reminders
from datasmart.sip.models import Participant, Sip, SipReminder
from tests.sip.sip_support import SipWorld, make_world

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def _follow_up(world: SipWorld, in_days: int) -> dt.datetime:
    meeting_at = timezone.now() + in_days * DAY
    services.schedule_follow_up(
        world.owner_staff, world.sip.pk, expected_version=world.version, meeting_at=meeting_at
    )
    return meeting_at


def _of(results: list, kind: str) -> list:
    return [r for r in results if r.kind == kind]


def _assert_no_personal_data(world: SipWorld) -> None:
    person = world.sip.person
    assert person is not None
    digits = world.person_number.replace("-", "")
    for message in mail.outbox:
        text = f"{message.subject}\n{message.body}"
        assert world.person_number not in text
        assert digits not in text and digits[2:] not in text  # 12 and 10 digits
        assert person.id_masked not in text
        # the plan's UUID (in links) may happen to start with 8 digits and a dash; take it
        # out before looking for anything shaped like an identity number
        without_ids = re.sub(
            r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", "", text
        )
        assert not re.search(r"(?<![0-9A-Fa-f])\d{6,8}[-+]?\d{4}(?![0-9A-Fa-f])", without_ids), (
            "nothing like an identity number"
        )
        for secret in ("Elsa", "Exempel", "Skolfrånvaro", "Socialkontoret", "Per "):
            assert secret not in text
        assert plan_reference(world.sip.pk) in message.body
        if message.to[0] == "per@example.se":  # the guardian: no staff page, a pointer
            assert "/sip/" not in message.body and NO_STAFF_LINK in message.body
        else:
            assert f"/sip/{world.sip.pk}/" in message.body


def test_follow_up_reminder_goes_to_coordinator_and_participants_once() -> None:
    world = make_world()
    _follow_up(world, 20)
    now = timezone.now() + 15 * DAY  # the follow-up is 5 days ahead
    results = _of(send_sip_reminders(now=now), "follow_up")
    assert [r.result for r in results] == ["sent"]
    follow_mails = [m for m in mail.outbox if "uppföljningsmöte" in m.subject]
    recipients = sorted(m.to[0] for m in follow_mails)
    # The plan's starter (no coordinator user set) and the guardian with an address.
    assert recipients == sorted([world.owner_staff.user.email, "per@example.se"])
    assert all(len(m.to) == 1 for m in mail.outbox)  # recipients do not see each other
    _assert_no_personal_data(world)
    assert SipReminder.objects.filter(kind="follow_up").count() == 1
    assert AuditEvent.objects.filter(action="sip.reminder.send").exists()

    sent = len(mail.outbox)
    again = _of(send_sip_reminders(now=now + dt.timedelta(hours=3)), "follow_up")
    assert [r.result for r in again] == ["already"] and len(mail.outbox) == sent
    tomorrow = _of(send_sip_reminders(now=now + DAY), "follow_up")
    assert [r.result for r in tomorrow] == ["already"] and len(mail.outbox) == sent


def test_follow_up_too_far_ahead_or_on_a_closed_plan_is_not_reminded() -> None:
    world = make_world()
    _follow_up(world, 30)
    assert _of(send_sip_reminders(now=timezone.now() + 15 * DAY), "follow_up") == []
    assert not [m for m in mail.outbox if "uppföljningsmöte" in m.subject]
    services.close_sip(
        world.owner_staff, world.sip.pk, expected_version=world.version, reason="goals_met"
    )
    sent = len(mail.outbox)
    assert send_sip_reminders(now=timezone.now() + 27 * DAY) == []  # nothing for closed plans
    assert len(mail.outbox) == sent


def test_declined_participants_get_no_follow_up_reminder() -> None:
    world = make_world()
    guardian = world.participant("guardian")
    Participant.objects.filter(pk=guardian.pk).update(status="declined")
    _follow_up(world, 20)
    send_sip_reminders(now=timezone.now() + 15 * DAY)
    assert "per@example.se" not in [m.to[0] for m in mail.outbox]


def test_unanswered_invitations_remind_invitee_and_coordinator_once_per_period() -> None:
    world = make_world()  # invited now, first meeting in ten days
    assert send_sip_reminders(now=timezone.now() + 2 * DAY) == []  # not yet M days
    now = timezone.now() + 4 * DAY
    results = _of(send_sip_reminders(now=now, unanswered_after=3), "unanswered")
    assert [r.result for r in results] == ["sent"]
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([world.owner_staff.user.email, "per@example.se"])
    coordinator_mail = next(m for m in mail.outbox if m.to[0] != "per@example.se")
    # Who has not answered, by role or unit, never by name.
    assert "3 inbjudna" in coordinator_mail.body and "BUP Kiruna" in coordinator_mail.body
    assert "vårdnadshavare" in coordinator_mail.body and "närstående" in coordinator_mail.body
    _assert_no_personal_data(world)

    sent = len(mail.outbox)
    for later in (now + dt.timedelta(hours=5), now + DAY, now + 2 * DAY):
        again = _of(send_sip_reminders(now=later, unanswered_after=3), "unanswered")
        assert [r.result for r in again] == ["already"]
    assert len(mail.outbox) == sent
    # After M more days, still unanswered: one more reminder.
    third = _of(send_sip_reminders(now=now + 3 * DAY, unanswered_after=3), "unanswered")
    assert [r.result for r in third] == ["sent"] and len(mail.outbox) == 2 * sent


def test_answered_invitations_and_past_meetings_are_not_reminded() -> None:
    world = make_world()  # first meeting in ten days
    # With no meeting ahead any more, an unanswered invitation is moot.
    assert _of(send_sip_reminders(now=timezone.now() + 12 * DAY), "unanswered") == []
    Participant.objects.filter(sip=world.sip).update(status="accepted")
    assert _of(send_sip_reminders(now=timezone.now() + 4 * DAY), "unanswered") == []
    assert mail.outbox == []


def test_dry_run_sends_and_records_nothing() -> None:
    world = make_world()
    _follow_up(world, 20)
    results = send_sip_reminders(now=timezone.now() + 15 * DAY, dry_run=True)
    assert {r.result for r in results} == {"dry_run"}
    assert mail.outbox == [] and not SipReminder.objects.exists()


def test_same_day_twice_at_once_sends_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two runs racing: the second one's insert hits the unique constraint."""
    world = make_world()
    _follow_up(world, 20)
    now = timezone.now() + 15 * DAY
    first = send_sip_reminders(now=now)
    assert {r.result for r in _of(first, "follow_up")} == {"sent"}
    sent = len(mail.outbox)
    # Pretend the existence check missed the other run's row.
    from datasmart.sip.jobs import reminders

    real_filter = reminders.SipReminder.objects.filter
    monkeypatch.setattr(
        reminders.SipReminder.objects, "filter", lambda *a, **k: real_filter(*a, **k).none()
    )
    second = _of(send_sip_reminders(now=now), "follow_up")
    assert [r.result for r in second] == ["already"] and len(mail.outbox) == sent
    assert SipReminder.objects.count() == len(first)


def test_the_coordinator_user_gets_the_reminder_instead_of_the_starter() -> None:
    world = make_world()
    coordinator = world.owner_coordinator
    Sip.objects.filter(pk=world.sip.pk).update(coordinator_user=coordinator)
    _follow_up(world, 20)
    send_sip_reminders(now=timezone.now() + 15 * DAY)
    follow = sorted(m.to[0] for m in mail.outbox if "uppföljningsmöte" in m.subject)
    assert follow == sorted([coordinator.email, "per@example.se"])
    assert world.owner_staff.user.email not in follow
