"""Invitation links: one use, expiry, only a digest stored, sessions limited to one plan
and to what the link holder may do."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from datasmart.accounts.models import AuditEvent
from datasmart.sip import services
from datasmart.sip.domain.access import LINK_SESSION
from datasmart.sip.domain.actors import PersonActor
from datasmart.sip.domain.errors import SipNotFound, SipValidationError
from datasmart.sip.models import InvitationLink, SipAccessLog

from .sip_support import SipWorld, make_world, personnummer

pytestmark = pytest.mark.django_db


def link_denials() -> int:
    return AuditEvent.objects.filter(action="sip.access_denied", detail__via="link").count()


def test_link_opens_the_plan_once(world: SipWorld):
    link, secret = services.create_invitation_link(world.owner_staff, world.sip.pk)
    assert len(secret) >= 43
    assert link.token_digest == hashlib.sha256(secret.encode()).hexdigest()
    stored = InvitationLink.objects.filter(pk=link.pk).values().get()
    assert secret not in str(stored)
    assert link.expires_at - timezone.now() > dt.timedelta(days=6, hours=23)
    assert secret not in str(
        AuditEvent.objects.filter(action="sip.invitationlink.create").get().detail
    )

    actor = services.redeem_invitation_link(secret)
    assert actor.via == "link" and actor.sip_id == world.sip.pk and actor.link_id == link.pk
    assert services.get_sip(actor, world.sip.pk).pk == world.sip.pk
    assert [s.pk for s in services.list_sips(actor)] == [world.sip.pk]
    row = SipAccessLog.objects.filter(sip_id=world.sip.pk, action="link_redeemed").get()
    assert row.actor is None and row.actor_label == "Personen via länk"

    before = link_denials()
    with pytest.raises(SipNotFound):  # used
        services.redeem_invitation_link(secret)
    assert link_denials() == before + 1


def test_expired_unknown_and_malformed_links_are_not_found(world: SipWorld):
    link, secret = services.create_invitation_link(
        world.owner_staff, world.sip.pk, valid_for=dt.timedelta(minutes=5)
    )
    InvitationLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    for bad in (secret, secret + "x", "", "x" * 500, None):
        with pytest.raises(SipNotFound):
            services.redeem_invitation_link(bad)  # type: ignore[arg-type]
    reasons = list(
        AuditEvent.objects.filter(action="sip.access_denied", detail__via="link")
        .order_by("id")
        .values_list("detail__reason", flat=True)
    )
    assert reasons == ["expired", "unknown", "malformed", "malformed", "malformed"]
    assert InvitationLink.objects.get(pk=link.pk).used_at is None


def test_link_session_is_limited_to_its_plan_and_its_time(world: SipWorld):
    other = make_world(consent=False, person_number=personnummer(dt.date(2011, 2, 3)))
    actor = world.link_actor()
    with pytest.raises(SipNotFound):
        services.get_sip(actor, other.sip.pk)
    # A forged session for another plan of the same person does not work either.
    forged = PersonActor(actor.person, "link", link_id=actor.link_id, sip_id=other.sip.pk)
    with pytest.raises(SipNotFound):
        services.get_sip(forged, other.sip.pk)
    InvitationLink.objects.filter(pk=actor.link_id).update(
        used_at=timezone.now() - LINK_SESSION - dt.timedelta(seconds=1)
    )
    with pytest.raises(SipNotFound):
        services.get_sip(actor, world.sip.pk)


def test_a_relative_on_a_link_may_read_and_answer_but_not_act_as_the_person(world: SipWorld):
    relative = world.participant("relative")
    actor = world.link_actor(relative)
    assert actor.participant_kind == "relative" and not actor.speaks_for_person
    assert services.get_sip(actor, world.sip.pk)
    assert services.respond(actor, relative.pk, accept=True).status == "accepted"
    with pytest.raises(PermissionDenied):
        services.respond(actor, world.participant("guardian").pk, accept=True)
    for call in (
        lambda: services.withdraw_consent(actor, world.sip.pk),
        lambda: services.person_respond(actor, world.sip.pk, kind="agree"),
        lambda: services.close_sip(
            actor, world.sip.pk, expected_version=world.version, reason="person_ended"
        ),
        lambda: services.export_person_data(actor, world.sip.pk),
    ):
        with pytest.raises(PermissionDenied):
            call()
    # Claiming to be the person on the relative's link finds nothing.
    claimed = PersonActor(actor.person, "link", link_id=actor.link_id, sip_id=actor.sip_id)
    with pytest.raises(SipNotFound):
        services.get_sip(claimed, world.sip.pk)


def test_guardian_on_a_link_withdraws_consent_with_immediate_effect(world: SipWorld):
    guardian = world.link_actor(world.participant("guardian"))
    assert guardian.speaks_for_person
    assert services.get_sip(world.bup_staff, world.sip.pk)
    services.withdraw_consent(guardian, world.sip.pk)
    with pytest.raises(SipNotFound):
        services.get_sip(world.bup_staff, world.sip.pk)
    row = SipAccessLog.objects.filter(action="consent_withdrawn").get()
    assert row.actor_label == "Vårdnadshavare via länk"


def test_person_on_a_link_answers_the_invitation_and_the_plan(world: SipWorld):
    person_participant = services.invite(
        world.owner_staff,
        world.sip.pk,
        expected_version=world.version,
        participants=[{"kind": "person"}],
        meeting_at=timezone.now() + dt.timedelta(days=3),
    ).sip.participants.get(kind="person")
    actor = world.link_actor()
    assert services.respond(actor, person_participant.pk, accept=True).status == "accepted"
    with pytest.raises(PermissionDenied):
        services.respond(actor, world.participant("relative").pk, accept=True)
    assert services.person_respond(actor, world.sip.pk, kind="agree").kind == "agree"


def test_link_creation_rules(world: SipWorld):
    with pytest.raises(SipValidationError) as caught:
        services.create_invitation_link(
            world.owner_staff, world.sip.pk, world.participant("organisation").pk
        )
    assert caught.value.field == "participant_id"
    for valid_for in (dt.timedelta(days=31), dt.timedelta(0), 7):
        with pytest.raises(SipValidationError) as caught:
            services.create_invitation_link(world.owner_staff, world.sip.pk, valid_for=valid_for)  # type: ignore[arg-type]
        assert caught.value.field == "valid_for"
    with pytest.raises(SipNotFound):
        services.create_invitation_link(
            world.owner_staff, world.sip.pk, "00000000-0000-0000-0000-000000000000"
        )
    with pytest.raises(PermissionDenied):
        services.create_invitation_link(world.person_account(), world.sip.pk)
    with pytest.raises(SipNotFound):
        services.create_invitation_link(world.outsider_staff, world.sip.pk)
    # Creating a link is not a change of the plan: the version stays.
    v = world.version
    services.create_invitation_link(world.bup_staff, world.sip.pk)
    assert world.version == v
