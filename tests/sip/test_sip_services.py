"""The write services: start, consent, invite, answer, revise, meetings, close, answers
from the person; optimistic locking; validation naming the field; logging in the same
transaction."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from datasmart.accounts.models import AuditEvent, OrganisationKind, Role
from datasmart.sip import services
from datasmart.sip.domain.errors import SipNotFound, SipValidationError, StaleVersion
from datasmart.sip.domain.identity import decrypt_identity, parse_identity_number
from datasmart.sip.models import (
    Consent,
    Meeting,
    Participant,
    Person,
    PersonResponse,
    PlanVersion,
    Sip,
    SipAccessLog,
)
from datasmart.sip.services import plan as services_plan

from .sip_support import (
    CHILD_BIRTH,
    SipWorld,
    first_meeting_at,
    kiruna_social,
    make_world,
    norrbotten_bup,
    organisation,
    personnummer,
    plan_content,
    staff,
)

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    """Rows in every table a SIP write touches."""
    return {
        model.__name__: model.objects.count()
        for model in (
            Sip,
            Person,
            Consent,
            Meeting,
            Participant,
            PlanVersion,
            PersonResponse,
            SipAccessLog,
            AuditEvent,
        )
    }


def content(world: SipWorld, **overrides: Any) -> dict[str, Any]:
    return plan_content(world.owner, world.bup).model_dump(mode="json") | overrides


# --- start ---------------------------------------------------------------------------------


def test_start_stores_the_identity_number_three_ways_and_the_geography(bare_world: SipWorld):
    sip = bare_world.sip
    person = sip.person
    assert person is not None
    number = parse_identity_number(bare_world.person_number)
    assert person.id_digest == number.digest
    assert person.id_masked == "20120517-****"
    assert decrypt_identity(person.id_encrypted) == bare_world.person_number
    assert bare_world.person_number not in person.id_encrypted
    assert person.birth_date == CHILD_BIRTH
    assert (sip.kommun.code, sip.region.code) == ("2584", "25")  # type: ignore[union-attr]
    assert sip.version == 1 and sip.status == "active" and sip.is_child
    log = SipAccessLog.objects.get(sip_id=sip.pk, action="start")
    assert log.actor == bare_world.owner_staff.user
    assert log.organisation_name == bare_world.owner.name
    event = AuditEvent.objects.get(action="sip.sip.create", target_id=str(sip.pk))
    text = json.dumps(event.detail, ensure_ascii=False)
    assert "Elsa" not in text and "20120517" not in text and "Skolfrånvaro" not in text


def test_a_region_level_owner_counts_in_its_region_only(db):  # type: ignore[no-untyped-def]
    bup = norrbotten_bup()
    sip = services.start_sip(
        staff(bup), person_id=personnummer(CHILD_BIRTH), display_name="E", need="Behov"
    )
    assert sip.kommun is None
    assert sip.region is not None and sip.region.code == "25"


def test_one_active_plan_per_person_and_owner_but_one_person_row(bare_world: SipWorld):
    with pytest.raises(SipValidationError) as caught:
        services.start_sip(
            bare_world.owner_staff,
            person_id=bare_world.person_number[2:],  # the same person, 10-digit form
            display_name="Någon annan",
            need="Behov",
        )
    assert caught.value.field == "person_id"
    second = services.start_sip(
        bare_world.bup_staff,
        person_id=bare_world.person_number,
        display_name="Ett annat namn",
        need="Behov",
    )
    assert second.person_id == bare_world.sip.person_id
    assert Person.objects.count() == 1
    assert second.person.display_name == "Elsa Exempel"  # type: ignore[union-attr]


def test_only_caseworkers_start_plans(bare_world: SipWorld):
    for user in (bare_world.owner_admin, bare_world.owner_coordinator):
        with pytest.raises(PermissionDenied):
            services.start_sip(
                bare_world.as_owner(user),
                person_id=personnummer(CHILD_BIRTH, 5),
                display_name="E",
                need="Behov",
            )
    with pytest.raises(PermissionDenied):
        services.start_sip(
            bare_world.person_account(),
            person_id=personnummer(CHILD_BIRTH, 5),
            display_name="E",
            need="Behov",
        )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"person_id": "20120517-1231"}, "person_id"),
        ({"display_name": "  "}, "display_name"),
        ({"need": ""}, "need"),
        ({"need": "x" * 5001}, "need"),
        ({"is_child": "ja"}, "is_child"),
        ({"id_kind": "pass"}, "id_kind"),
    ],
)
def test_start_validation_names_the_field(db, kwargs: dict[str, Any], field: str):  # type: ignore[no-untyped-def]
    args = {"person_id": personnummer(CHILD_BIRTH), "display_name": "E", "need": "Behov"}
    before = counts()
    with pytest.raises(SipValidationError) as caught:
        services.start_sip(staff(kiruna_social()), **(args | kwargs))
    assert caught.value.field == field
    assert counts() == before


# --- revise and optimistic locking ------------------------------------------------------------


def test_revise_writes_numbered_immutable_versions(world: SipWorld):
    assert world.plan_version is not None and world.plan_version.number == 1
    assert world.sip.lead_organisation == world.owner
    assert world.sip.coordinator_name == "Anna Samordnare"
    v = world.version
    second = services.revise_plan(
        world.bup_staff,  # a participating organisation may revise while consent covers it
        world.sip.pk,
        expected_version=v,
        content=content(world, lead_organisation_id=world.bup.pk, goals=["Sova hela nätter"]),
    )
    assert second.number == 2 and second.created_by == world.bup_staff.user
    world.refresh()
    assert world.sip.version == v + 1
    assert world.sip.lead_organisation == world.bup
    assert AuditEvent.objects.filter(action="sip.planversion.create").count() == 2


def test_stale_version_raises_with_the_current_version_and_writes_nothing(world: SipWorld):
    current = world.version
    before = counts()
    with pytest.raises(StaleVersion) as caught:
        services.revise_plan(
            world.owner_staff, world.sip.pk, expected_version=current - 1, content=content(world)
        )
    assert caught.value.current_version == current
    assert str(current) in str(caught.value)
    assert counts() == before
    assert world.version == current


def test_of_two_writers_with_the_same_version_exactly_one_wins(world: SipWorld):
    """Both read version v; the first write wins, the second is stale (no lost update).
    The real race on PostgreSQL is in test_sip_concurrency."""
    v = world.version
    services.revise_plan(
        world.owner_staff, world.sip.pk, expected_version=v, content=content(world)
    )
    with pytest.raises(StaleVersion) as caught:
        services.revise_plan(
            world.bup_staff,
            world.sip.pk,
            expected_version=v,
            content=content(world, goals=["Något annat"]),
        )
    assert caught.value.current_version == v + 1
    assert PlanVersion.objects.filter(sip=world.sip).count() == 2
    assert PlanVersion.objects.get(sip=world.sip, number=2).created_by == world.owner_staff.user


@pytest.mark.parametrize("expected", [None, "3", True, 0, -1])
def test_expected_version_must_be_a_positive_integer(world: SipWorld, expected: Any):
    with pytest.raises(SipValidationError) as caught:
        services.revise_plan(
            world.owner_staff, world.sip.pk, expected_version=expected, content=content(world)
        )
    assert caught.value.field == "expected_version"


def test_invalid_content_names_the_field_and_writes_nothing(world: SipWorld):
    cases = [
        (
            content(
                world,
                interventions=[
                    {
                        "title": "Samtal",
                        "organisation_id": world.owner.pk,
                        "start": "2027-03-01",
                        "end": "2027-02-01",
                    }
                ],
            ),
            "interventions[0].end",
        ),
        (content(world, goals=[]), "goals"),
        (
            content(
                world,
                interventions=[
                    {"title": "A", "organisation_id": world.owner.pk},
                    {"title": "B", "organisation_id": 999_999},
                ],
            ),
            "interventions[1].organisation_id",
        ),
        (content(world, lead_organisation_id=999_999), "lead_organisation_id"),
    ]
    before = counts()
    for data, field in cases:
        with pytest.raises(SipValidationError) as caught:
            services.revise_plan(
                world.owner_staff, world.sip.pk, expected_version=world.version, content=data
            )
        assert caught.value.field == field
        assert caught.value.message
    with pytest.raises(SipValidationError) as caught:
        services.revise_plan(
            world.owner_staff,
            world.sip.pk,
            expected_version=world.version,
            content=content(world),
            meeting_id=999_999,
        )
    assert caught.value.field == "meeting_id"
    assert counts() == before


def test_a_failing_write_leaves_no_log_row(world: SipWorld, monkeypatch: pytest.MonkeyPatch):
    """The access-log row is written in the write's transaction: if anything after it
    fails, the version, the new plan version and the log row all roll back."""

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services_plan, "audit", boom)
    before, version = counts(), world.version
    with pytest.raises(RuntimeError):
        services.revise_plan(
            world.owner_staff, world.sip.pk, expected_version=version, content=content(world)
        )
    assert counts() == before
    assert world.version == version


def test_a_read_is_logged_in_the_callers_transaction(world: SipWorld):
    before = SipAccessLog.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.get_sip(world.owner_staff, world.sip.pk)
        assert SipAccessLog.objects.count() == before + 1
        raise RuntimeError("the caller fails after reading")
    assert SipAccessLog.objects.count() == before


def test_every_read_is_logged(world: SipWorld):
    actor = world.bup_staff
    services.get_sip(actor, world.sip.pk)
    services.list_sips(actor)
    services.plan_versions(actor, world.sip.pk)
    services.compare_versions(actor, world.sip.pk, 1, 1)
    log = services.access_log(actor, world.sip.pk)
    mine = [row.action for row in log if row.actor == actor.user]
    assert mine == ["access_log", "compare", "versions", "list", "read"]
    assert all(row.organisation_name == world.bup.name for row in log if row.actor == actor.user)


# --- consent ---------------------------------------------------------------------------------


def test_consent_rules(db):  # type: ignore[no-untyped-def]
    # A 16-year-old: old enough to consent on their own (see datasmart.sip.domain.plausibility).
    w = make_world(consent=False, person_number=personnummer(dt.date(2010, 3, 4), 456))
    with pytest.raises(SipValidationError) as caught:
        services.record_consent(
            w.owner_staff, w.sip.pk, expected_version=w.version, given_by="guardian",
            organisation_ids=[w.bup.pk],
        )  # fmt: skip
    assert caught.value.field == "guardian_name"
    for ids, field in (([], "organisation_ids"), ([w.bup.pk, 999_999], "organisation_ids[1]")):
        with pytest.raises(SipValidationError) as caught:
            services.record_consent(
                w.owner_staff, w.sip.pk, expected_version=w.version, given_by="person",
                organisation_ids=ids,
            )  # fmt: skip
        assert caught.value.field == field
    with pytest.raises(SipValidationError) as caught:
        services.record_consent(
            w.owner_staff, w.sip.pk, expected_version=w.version, given_by="neighbour",
            organisation_ids=[w.bup.pk],
        )  # fmt: skip
    assert caught.value.field == "given_by"
    consent = services.record_consent(
        w.owner_staff, w.sip.pk, expected_version=w.version, given_by="person",
        guardian_name="ignored", organisation_ids=[w.bup.pk, w.bup.pk],
    )  # fmt: skip
    assert list(consent.organisations.all()) == [w.bup]
    assert consent.guardian_name == "" and consent.recorded_by == w.owner_staff.user
    # A participating organisation may read but not change the consent.
    with pytest.raises(PermissionDenied):
        services.record_consent(
            w.bup_staff, w.sip.pk, expected_version=w.version, given_by="person",
            organisation_ids=[w.outsider.pk],
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.withdraw_consent(w.bup_staff, w.sip.pk)


def test_withdrawal_always_succeeds_and_makes_concurrent_edits_stale(world: SipWorld):
    v = world.version
    services.withdraw_consent(world.person_account(), world.sip.pk)
    consent = Consent.objects.get(sip=world.sip)
    assert consent.withdrawn_at is not None
    assert consent.withdrawn_by_label == "Personen (eget konto)"
    assert world.version == v + 1
    with pytest.raises(StaleVersion):
        services.revise_plan(
            world.owner_staff, world.sip.pk, expected_version=v, content=content(world)
        )
    # Withdrawing again changes nothing but is still logged.
    services.withdraw_consent(world.owner_staff, world.sip.pk)
    assert world.version == v + 1
    assert SipAccessLog.objects.filter(action="consent_withdrawn").count() == 2


# --- invitations and answers -------------------------------------------------------------------


def test_invite_needs_consent_for_each_organisation(bare_world: SipWorld):
    w = bare_world
    before = counts()
    with pytest.raises(SipValidationError) as caught:
        services.invite(
            w.owner_staff,
            w.sip.pk,
            expected_version=w.version,
            participants=[
                {"kind": "organisation", "organisation_id": w.owner.pk},
                {"kind": "organisation", "organisation_id": w.bup.pk},
            ],
            meeting_at=first_meeting_at(),
        )
    assert caught.value.field == "participants[1].organisation_id"
    assert w.bup.name in caught.value.message
    assert counts() == before


def test_first_meeting_then_follow_ups(world: SipWorld):
    assert world.meeting is not None and world.meeting.kind == "first"
    assert Participant.objects.filter(sip=world.sip).count() == 3
    again = services.invite(
        world.owner_staff,
        world.sip.pk,
        expected_version=world.version,
        participants=[{"kind": "other", "name": "Fotbollstränaren"}],
        meeting_at=first_meeting_at() + dt.timedelta(days=30),
    )
    assert again.kind == "follow_up"
    follow = services.schedule_follow_up(
        world.bup_staff,
        world.sip.pk,
        expected_version=world.version,
        meeting_at=first_meeting_at() + dt.timedelta(days=90),
        location="BUP Kiruna",
    )
    assert follow.kind == "follow_up" and follow.location == "BUP Kiruna"
    with pytest.raises(SipValidationError) as caught:
        services.schedule_follow_up(
            world.owner_staff,
            world.sip.pk,
            expected_version=world.version,
            meeting_at=dt.datetime(2027, 1, 1, 10, 0),  # naive: ambiguous
        )
    assert caught.value.field == "meeting_at"
    with pytest.raises(SipValidationError) as caught:
        services.invite(
            world.owner_staff, world.sip.pk, expected_version=world.version,
            participants=[{"kind": "relative"}], meeting_at="i morgon",  # type: ignore[arg-type]
        )  # fmt: skip
    assert caught.value.field == "meeting_at"


def test_answers(world: SipWorld):
    bup_participant = world.participant("organisation")
    guardian = world.participant("guardian")
    answered = services.respond(world.bup_staff, bup_participant.pk, accept=True)
    assert answered.status == "accepted" and answered.responded_at is not None
    # The owner records the guardian's answer given by phone.
    assert services.respond(world.owner_staff, guardian.pk, accept=False).status == "declined"
    # BUP may not answer for the guardian, nor the owner for BUP.
    with pytest.raises(PermissionDenied):
        services.respond(world.bup_staff, guardian.pk, accept=True)
    with pytest.raises(PermissionDenied):
        services.respond(world.owner_staff, bup_participant.pk, accept=True)
    with pytest.raises(SipNotFound):
        services.respond(world.outsider_staff, bup_participant.pk, accept=True)
    with pytest.raises(SipNotFound):
        services.respond(world.owner_staff, "00000000-0000-0000-0000-000000000000", accept=True)
    with pytest.raises(SipValidationError) as caught:
        services.respond(world.bup_staff, bup_participant.pk, accept="ja")  # type: ignore[arg-type]
    assert caught.value.field == "accept"


def test_meeting_held(world: SipWorld):
    assert world.meeting is not None
    held = timezone.now() - dt.timedelta(hours=1)
    meeting = services.record_meeting_held(
        world.owner_staff, world.sip.pk, world.meeting.pk, expected_version=world.version,
        held_at=held,
    )  # fmt: skip
    assert meeting.held_at == held
    assert Meeting.objects.get(pk=meeting.pk).held_at == held
    with pytest.raises(SipValidationError) as caught:
        services.record_meeting_held(
            world.owner_staff, world.sip.pk, world.meeting.pk, expected_version=world.version,
            held_at=timezone.now() + dt.timedelta(days=1),
        )  # fmt: skip
    assert caught.value.field == "held_at"
    other = make_world(consent=False, person_number=personnummer(dt.date(2011, 1, 2)))
    follow = services.schedule_follow_up(
        other.owner_staff, other.sip.pk, expected_version=other.version,
        meeting_at=first_meeting_at(),
    )  # fmt: skip
    with pytest.raises(SipNotFound):  # a meeting of another plan
        services.record_meeting_held(
            world.owner_staff, world.sip.pk, follow.pk, expected_version=world.version,
            held_at=held,
        )  # fmt: skip


# --- close and the person's answers ---------------------------------------------------------------


def test_owner_closes_and_retention_starts(world: SipWorld, settings):  # type: ignore[no-untyped-def]
    settings.SIP_RETENTION_DAYS = 100
    with pytest.raises(PermissionDenied):  # a participating organisation may not close
        services.close_sip(
            world.bup_staff, world.sip.pk, expected_version=world.version, reason="goals_met"
        )
    with pytest.raises(SipValidationError) as caught:
        services.close_sip(
            world.owner_staff, world.sip.pk, expected_version=world.version, reason="tired"
        )
    assert caught.value.field == "reason"
    sip = services.close_sip(
        world.owner_staff, world.sip.pk, expected_version=world.version,
        reason="goals_met", note="Alla mål nådda.",
    )  # fmt: skip
    assert sip.status == "closed" and sip.closed_reason == "goals_met"
    assert sip.retain_until == timezone.localdate() + dt.timedelta(days=100)
    world.refresh()
    assert world.sip.closed_at is not None
    with pytest.raises(SipValidationError) as caught:
        services.revise_plan(
            world.owner_staff, world.sip.pk, expected_version=world.version, content=content(world)
        )
    assert caught.value.field == "status"
    # A closed plan can still be read by its owner and (consent still active) by BUP.
    assert services.get_sip(world.bup_staff, world.sip.pk).status == "closed"


def test_the_person_may_always_end_their_plan(world: SipWorld):
    me = world.person_account()
    with pytest.raises(SipValidationError) as caught:
        services.close_sip(me, world.sip.pk, expected_version=world.version, reason="goals_met")
    assert caught.value.field == "reason"
    sip = services.close_sip(
        me, world.sip.pk, expected_version=world.version, reason="person_ended"
    )
    assert sip.closed_reason == "person_ended"
    row = SipAccessLog.objects.filter(sip_id=world.sip.pk, action="close").get()
    assert row.actor_label == "Personen (eget konto)" and row.actor == me.person.user


def test_person_responses(world: SipWorld):
    me = world.person_account()
    agree = services.person_respond(me, world.sip.pk, kind="agree")
    assert agree.plan_version == world.plan_version
    with pytest.raises(SipValidationError) as caught:
        services.person_respond(me, world.sip.pk, kind="comment", text="  ")
    assert caught.value.field == "text"
    comment = services.person_respond(
        me, world.sip.pk, kind="comment", text="Jag vill ha BUP på torsdagar."
    )
    assert comment.text.startswith("Jag vill")
    with pytest.raises(PermissionDenied):
        services.person_respond(world.owner_staff, world.sip.pk, kind="agree")
    event = AuditEvent.objects.filter(action="sip.personresponse.create").latest("id")
    assert "torsdagar" not in json.dumps(event.detail)
    bare = make_world(plan=False, person_number=personnummer(dt.date(2009, 9, 9)))
    with pytest.raises(SipValidationError) as caught:
        services.person_respond(bare.person_account(), bare.sip.pk, kind="agree")
    assert caught.value.field == "plan_version"


def test_compare_versions(world: SipWorld):
    services.revise_plan(
        world.owner_staff, world.sip.pk, expected_version=world.version,
        content=content(world, goals=["Att kunna gå till skolan varje dag", "Att träffa vänner"]),
    )  # fmt: skip
    result = services.compare_versions(world.owner_staff, world.sip.pk, 1, 2)
    assert result["a"] == 1 and result["b"] == 2
    goals = result["fields"]["goals"]
    assert goals["changed"] and goals["added"] == ["Att träffa vänner"]
    assert goals["removed"] == ["Att sova bättre"]
    assert result["fields"]["interventions"]["changed"] is False
    for a, b, field in ((1, 3, "b"), (0, 1, "a"), ("1", 2, "a")):
        with pytest.raises(SipValidationError) as caught:
            services.compare_versions(world.owner_staff, world.sip.pk, a, b)  # type: ignore[arg-type]
        assert caught.value.field == field


def test_world_helper_other_organisations(db):  # type: ignore[no-untyped-def]
    school = organisation("Kiruna kommun – elevhälsa", OrganisationKind.SCHOOL, "2584")
    world = make_world(bup=school)
    assert services.get_sip(world.bup_staff, world.sip.pk)
    assert staff(school, Role.CASEWORKER).organisation == school
