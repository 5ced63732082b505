"""The audit log: append-only, text-only, and denials that survive the caller's rollback."""

from __future__ import annotations

import logging

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction

from datasmart.accounts.audit import SYSTEM, clean_detail, record_event
from datasmart.accounts.models import AppendOnlyError, AuditEvent, Organisation, Role
from datasmart.accounts.permissions import Permission, require_permission

from .factories import OrganisationFactory, UserFactory, member

pytestmark = pytest.mark.django_db


def test_existing_event_cannot_be_changed_or_deleted() -> None:
    event = record_event("test.thing", actor=SYSTEM, detail={"a": 1})
    event.action = "test.other"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_update([event], ["action"])
    fresh = AuditEvent.objects.get(pk=event.pk)
    assert fresh.action == "test.thing"


def test_event_survives_deletion_of_its_actor(org: Organisation) -> None:
    user = member(Role.VIEWER, org, username="snart-borta")
    event = record_event("test.thing", actor=user)
    user.memberships.all().delete()
    user.delete()
    event = AuditEvent.objects.get(pk=event.pk)
    assert event.actor is None
    assert event.actor_username == "snart-borta"
    assert event.organisation == org.name


def test_system_actor_is_named_and_cannot_collide_with_a_username() -> None:
    event = record_event("test.thing", actor=SYSTEM)
    assert event.actor is None and event.actor_username == "[system]"


@pytest.mark.parametrize("key", ["password", "new_password", "secret", "token_hash", "Credential"])
def test_detail_refuses_secret_looking_keys(key: str) -> None:
    with pytest.raises(ValueError, match="secrets"):
        clean_detail({key: "x"})


def test_detail_keeps_plain_values_only() -> None:
    assert clean_detail({"n": 1, "s": "a", "l": ["x", 2], "none": None}) == {
        "n": 1,
        "s": "a",
        "l": ["x", 2],
        "none": None,
    }
    with pytest.raises(TypeError):
        clean_detail({"obj": object()})
    assert len(clean_detail({"s": "x" * 5000})["s"]) == 1000


def test_invalid_remote_addr_is_not_stored(rf) -> None:  # type: ignore[no-untyped-def]
    event = record_event("test.thing", request=rf.get("/", REMOTE_ADDR="not-an-ip"))
    assert event.ip_address is None and event.path == "/"


# A real caller transaction is needed here, so these tests commit. ``available_apps``
# limits the flush afterwards to the accounts tables: the loaded geography stays.
committing = pytest.mark.django_db(transaction=True, available_apps=["datasmart.accounts"])


@committing
def test_denial_survives_rollback_of_the_callers_transaction() -> None:
    org = OrganisationFactory(name="Org för rollback-test")
    user = member(Role.VIEWER, org)
    with pytest.raises(PermissionDenied), transaction.atomic():
        Organisation.objects.filter(pk=org.pk).exists()  # the caller reads first
        require_permission(user, Permission.MANAGE_USERS, org)
    assert AuditEvent.objects.filter(action="auth.permission_denied", actor=user).count() == 1


@committing
def test_denial_after_callers_write(caplog) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL keeps the denial; SQLite (one writer) keeps it only if the caller commits."""
    user = UserFactory()
    caplog.set_level(logging.WARNING, logger="datasmart.accounts.audit")
    with pytest.raises(PermissionDenied), transaction.atomic():
        OrganisationFactory(name="Rullas tillbaka")
        require_permission(user, Permission.MANAGE_ORGANISATIONS)
    assert not Organisation.objects.filter(name="Rullas tillbaka").exists()
    survived = AuditEvent.objects.filter(action="auth.permission_denied", actor=user).exists()
    if connection.vendor == "sqlite":
        assert "second writer" in caplog.text
    else:
        assert survived
