"""Need-to-know: who may see a plan, and that every refusal is a 404 that is audited."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import PermissionDenied

from datasmart.accounts.models import AuditEvent, Role
from datasmart.sip import services
from datasmart.sip.domain.access import visible_sips
from datasmart.sip.domain.actors import PersonActor, StaffActor
from datasmart.sip.domain.errors import SipNotFound
from datasmart.sip.models import Sip, SipAccessLog
from tests.accounts.factories import UserFactory, member

from .sip_support import SipWorld, make_world, personnummer, staff

pytestmark = pytest.mark.django_db

CHILD_OTHER = dt.date(2010, 3, 9)


def denied(target: object) -> int:
    return AuditEvent.objects.filter(action="sip.access_denied", target_id=str(target)).count()


def assert_hidden(actor, sip_id) -> None:  # type: ignore[no-untyped-def]
    before = denied(sip_id)
    with pytest.raises(SipNotFound):
        services.get_sip(actor, sip_id)
    assert denied(sip_id) == before + 1
    assert sip_id not in {s.pk for s in services.list_sips(actor)}


def test_owner_caseworker_reads_and_lists(world: SipWorld):
    sip = services.get_sip(world.owner_staff, world.sip.pk)
    assert sip.pk == world.sip.pk
    assert [s.pk for s in services.list_sips(world.owner_staff)] == [sip.pk]
    actions = list(
        SipAccessLog.objects.filter(sip_id=sip.pk, actor=world.owner_staff.user)
        .order_by("at", "id")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == ["read", "list"]


def test_other_organisation_gets_404_and_is_audited(world: SipWorld):
    assert_hidden(world.outsider_staff, world.sip.pk)
    event = AuditEvent.objects.filter(action="sip.access_denied").latest("id")
    assert event.actor == world.outsider_staff.user
    assert event.organisation == world.outsider.name
    assert event.target_type == "sip.sip"
    # Nothing about the plan leaks into the denial record.
    assert "Elsa" not in str(event.detail) and world.person_number[:8] not in str(event.detail)


@pytest.mark.parametrize("who", ["owner_admin", "owner_coordinator", "owner_viewer"])
def test_admin_coordinator_and_viewer_of_the_owner_cannot_read(world: SipWorld, who: str):
    actor = world.as_owner(getattr(world, who))
    assert_hidden(actor, world.sip.pk)
    with pytest.raises(SipNotFound):
        services.plan_versions(actor, world.sip.pk)


def test_superuser_cannot_read_even_as_a_caseworker_member(world: SipWorld):
    # world.root is a superuser *and* holds the caseworker role in the owner organisation.
    assert_hidden(world.as_owner(world.root), world.sip.pk)


def test_acting_for_an_organisation_you_do_not_belong_to_is_refused(world: SipWorld):
    with pytest.raises(PermissionDenied):
        StaffActor(world.bup_staff.user, world.owner)
    assert AuditEvent.objects.filter(
        action="auth.permission_denied", actor=world.bup_staff.user
    ).exists()
    inactive = member(Role.CASEWORKER, world.owner, is_active=False)
    with pytest.raises(PermissionDenied):
        StaffActor(inactive, world.owner)


def test_participating_organisation_only_while_consent_covers_it():
    world = make_world(consent=False)
    assert_hidden(world.bup_staff, world.sip.pk)  # before consent
    services.record_consent(
        world.owner_staff,
        world.sip.pk,
        expected_version=world.version,
        given_by="guardian",
        guardian_name="Per Exempel",
        organisation_ids=[world.bup.pk],
    )
    assert services.get_sip(world.bup_staff, world.sip.pk).pk == world.sip.pk
    assert_hidden(world.outsider_staff, world.sip.pk)  # consent names BUP only
    services.withdraw_consent(world.owner_staff, world.sip.pk)
    assert_hidden(world.bup_staff, world.sip.pk)  # immediately after withdrawal
    # The owner keeps its own record.
    assert services.get_sip(world.owner_staff, world.sip.pk).pk == world.sip.pk


def test_a_new_consent_replaces_the_scope_of_the_old(world: SipWorld):
    assert services.get_sip(world.bup_staff, world.sip.pk)
    services.record_consent(
        world.owner_staff,
        world.sip.pk,
        expected_version=world.version,
        given_by="guardian",
        guardian_name="Per Exempel",
        organisation_ids=[world.outsider.pk],
    )
    assert_hidden(world.bup_staff, world.sip.pk)
    assert services.get_sip(world.outsider_staff, world.sip.pk)
    # Withdrawing the new consent does not revive the old one.
    services.withdraw_consent(world.owner_staff, world.sip.pk)
    assert_hidden(world.bup_staff, world.sip.pk)
    assert_hidden(world.outsider_staff, world.sip.pk)


def test_person_sees_only_their_own_plan(world: SipWorld):
    other = make_world(consent=False, person_number=personnummer(CHILD_OTHER, 456))
    me = world.person_account()
    assert [s.pk for s in services.list_sips(me)] == [world.sip.pk]
    assert services.get_sip(me, world.sip.pk).pk == world.sip.pk
    assert_hidden(me, other.sip.pk)
    # A deactivated person account sees nothing.
    user = me.person.user
    assert user is not None
    user.is_active = False
    user.save()
    assert visible_sips(me).count() == 0


def test_person_cannot_revise_the_plan(world: SipWorld):
    me = world.person_account()
    with pytest.raises(PermissionDenied):
        services.revise_plan(
            me, world.sip.pk, expected_version=world.version, content={"goals": ["x"]}
        )
    assert AuditEvent.objects.filter(
        action="auth.permission_denied", target_id=str(world.sip.pk)
    ).exists()


@pytest.mark.parametrize(
    "tampered",
    ["not-a-uuid", "", None, 42, "00000000-0000-0000-0000-000000000000", uuid.uuid4()],
)
def test_tampered_or_guessed_ids_are_not_found(world: SipWorld, tampered: object):
    with pytest.raises(SipNotFound) as caught:
        services.get_sip(world.owner_staff, tampered)
    assert str(caught.value) == "Planen finns inte."
    assert AuditEvent.objects.filter(action="sip.access_denied").exists()


def test_a_person_actor_must_match_the_plan_person(world: SipWorld):
    other = make_world(consent=False, person_number=personnummer(CHILD_OTHER, 456))
    person = other.sip.person
    assert person is not None
    with pytest.raises(ValueError, match="no account"):
        PersonActor(person, "account")  # a person without an account cannot sign in
    person.user = UserFactory()
    person.save()
    assert_hidden(PersonActor(person, "account"), world.sip.pk)


def test_list_filters_by_status_and_logs_each_plan(world: SipWorld):
    second = make_world(consent=False, person_number=personnummer(CHILD_OTHER, 456))
    services.close_sip(
        second.owner_staff, second.sip.pk, expected_version=second.version, reason="moved"
    )
    # The second world's caseworker belongs to the same owner organisation.
    before = SipAccessLog.objects.filter(action="list").count()
    all_plans = services.list_sips(world.owner_staff)
    assert {s.pk for s in all_plans} == {world.sip.pk, second.sip.pk}
    assert SipAccessLog.objects.filter(action="list").count() == before + 2
    active = services.list_sips(world.owner_staff, status="active")
    assert [s.pk for s in active] == [world.sip.pk]
    assert Sip.objects.count() == 2


def test_staff_helper_makes_caseworkers():
    world = make_world(consent=False)
    colleague = staff(world.owner)
    assert services.get_sip(colleague, world.sip.pk).pk == world.sip.pk
