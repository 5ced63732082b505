"""The person's export (GDPR art. 15/20) and retention erasure."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from datasmart.accounts.models import AuditEvent
from datasmart.sip import services
from datasmart.sip.domain.errors import SipNotFound
from datasmart.sip.models import (
    Consent,
    InvitationLink,
    Meeting,
    Participant,
    Person,
    PersonResponse,
    PlanVersion,
    Sip,
    SipAccessLog,
)

from .sip_support import SipWorld, make_world

pytestmark = pytest.mark.django_db


def test_export_holds_everything_about_the_persons_plan(world: SipWorld):
    me = world.person_account()
    services.person_respond(me, world.sip.pk, kind="comment", text="Bra plan.")
    services.get_sip(world.bup_staff, world.sip.pk)
    data = services.export_person_data(me, world.sip.pk)
    json.dumps(data)  # JSON-ready
    assert data["person"]["identity_number"] == world.person_number
    assert data["person"]["display_name"] == "Elsa Exempel"
    assert data["sip"]["id"] == str(world.sip.pk)
    assert data["sip"]["need"].startswith("Skolfrånvaro")
    assert data["sip"]["owner_organisation"]["name"] == world.owner.name
    assert [c["organisations"][0]["name"] for c in data["consents"]] == [world.bup.name]
    assert data["consents"][0]["guardian_name"] == "Per Exempel"
    assert [p["kind"] for p in data["participants"]] == ["organisation", "guardian", "relative"]
    assert len(data["meetings"]) == 1
    assert data["plan_versions"][0]["content"]["goals"][0] == "Att kunna gå till skolan varje dag"
    assert data["responses"] == [
        {
            "plan_version": 1,
            "kind": "comment",
            "text": "Bra plan.",
            "created_at": data["responses"][0]["created_at"],
        }
    ]
    # Who has read the plan, the BUP read and this export included.
    who = [(row["who"], row["action"]) for row in data["access_log"]]
    assert who[0] == ("Personen (eget konto)", "export")
    assert (world.bup_staff.user.get_full_name(), "read") in who  # a name, not a login


def test_export_by_owner_staff_only(world: SipWorld):
    assert services.export_person_data(world.owner_staff, world.sip.pk)["person"]
    with pytest.raises(PermissionDenied):
        services.export_person_data(world.bup_staff, world.sip.pk)
    with pytest.raises(SipNotFound):
        services.export_person_data(world.outsider_staff, world.sip.pk)


def test_retention_erases_personal_content_and_keeps_statistics(world: SipWorld, settings):  # type: ignore[no-untyped-def]
    settings.SIP_RETENTION_DAYS = 30
    me = world.person_account()
    services.person_respond(me, world.sip.pk, kind="agree")
    services.create_invitation_link(world.owner_staff, world.sip.pk)
    services.close_sip(
        world.owner_staff, world.sip.pk, expected_version=world.version, reason="goals_met",
        note="Klart.",
    )  # fmt: skip
    world.refresh()
    person_id = world.sip.person_id
    log_rows = SipAccessLog.objects.filter(sip_id=world.sip.pk).count()
    retain_until = world.sip.retain_until
    assert retain_until is not None
    day = timezone.make_aware(dt.datetime.combine(retain_until, dt.time(12)))

    assert services.erase_expired(day) == 0  # the last day is still kept
    assert services.erase_expired(day + dt.timedelta(days=1)) == 1
    assert services.erase_expired(day + dt.timedelta(days=2)) == 0  # idempotent

    sip = Sip.objects.get(pk=world.sip.pk)
    assert sip.person is None and sip.erased_at is not None
    assert sip.need == "" and sip.closed_note == "" and sip.coordinator_name == ""
    # Statistics keep dates, organisations, geography and the reason.
    assert sip.started_at and sip.closed_at and sip.closed_reason == "goals_met"
    assert sip.owner_organisation == world.owner and sip.kommun and sip.region
    assert sip.is_child
    assert Meeting.objects.filter(sip=sip).count() == 1
    assert not Meeting.objects.filter(sip=sip).exclude(location="").exists()
    assert not Person.objects.filter(pk=person_id).exists()
    assert not PlanVersion.objects.filter(sip=sip).exists()
    assert not PersonResponse.objects.filter(sip=sip).exists()
    assert not InvitationLink.objects.filter(sip=sip).exists()
    assert not Participant.objects.filter(sip=sip).exclude(name="", email="").exists()
    assert not Consent.objects.filter(sip=sip).exclude(guardian_name="").exists()
    # The access log survives, with the erasure on it.
    assert SipAccessLog.objects.filter(sip_id=sip.pk).count() == log_rows + 1
    assert SipAccessLog.objects.filter(sip_id=sip.pk, action="erase").get().actor is None
    event = AuditEvent.objects.get(action="sip.sip.update", detail__change="erased")
    assert event.actor_username == "[system]"
    # Nobody sees an erased plan.
    for actor in (world.owner_staff, world.bup_staff):
        with pytest.raises(SipNotFound):
            services.get_sip(actor, sip.pk)


def test_a_person_with_another_plan_is_kept(world: SipWorld, settings):  # type: ignore[no-untyped-def]
    settings.SIP_RETENTION_DAYS = 0
    second = services.start_sip(
        world.bup_staff, person_id=world.person_number, display_name="E", need="Behov"
    )
    services.close_sip(
        world.owner_staff, world.sip.pk, expected_version=world.version, reason="moved"
    )
    assert services.erase_expired(timezone.now() + dt.timedelta(days=1)) == 1
    assert Person.objects.filter(pk=second.person_id).exists()
    assert services.get_sip(world.bup_staff, second.pk).person is not None


def test_active_plans_are_never_erased(db):  # type: ignore[no-untyped-def]
    world = make_world(consent=False)
    assert services.erase_expired(timezone.now() + dt.timedelta(days=100_000)) == 0
    assert Sip.objects.get(pk=world.sip.pk).person is not None
