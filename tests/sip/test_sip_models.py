"""Database guarantees: append-only access log, immutable plan versions, check
constraints and the unique version number."""

from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from datasmart.accounts.models import AppendOnlyError
from datasmart.sip.models import Participant, PlanVersion, Sip, SipAccessLog

from .sip_support import kiruna_social

pytestmark = pytest.mark.django_db


def _sip(**fields) -> Sip:  # type: ignore[no-untyped-def]
    return Sip.objects.create(owner_organisation=kiruna_social(), **fields)


def test_access_log_is_append_only():
    row = SipAccessLog.objects.create(sip_id=uuid.uuid4(), actor_label="x", action="read")
    row.actor_label = "y"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        SipAccessLog.objects.filter(pk=row.pk).update(actor_label="y")
    with pytest.raises(AppendOnlyError):
        SipAccessLog.objects.all().delete()
    assert SipAccessLog.objects.get(pk=row.pk).actor_label == "x"


def test_plan_versions_are_immutable_and_numbered_once():
    sip = _sip()
    version = PlanVersion.objects.create(sip=sip, number=1, content={}, created_by_label="a")
    with pytest.raises(AppendOnlyError):
        version.save()
    with pytest.raises(AppendOnlyError):
        PlanVersion.objects.filter(pk=version.pk).update(number=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanVersion.objects.create(sip=sip, number=1, content={}, created_by_label="b")


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "paused"},
        {"status": "closed"},  # closed needs closed_at and a reason
        {"closed_reason": "goals_met"},  # an active plan has no reason
        {"status": "closed", "closed_at": timezone.now(), "closed_reason": "bored"},
        {"version": 0},
        {"erased_at": timezone.now()},  # only closed plans are erased
    ],
)
def test_sip_check_constraints(fields):  # type: ignore[no-untyped-def]
    with pytest.raises(IntegrityError), transaction.atomic():
        _sip(**fields)


def test_participant_of_kind_organisation_needs_one():
    sip = _sip()
    with pytest.raises(IntegrityError), transaction.atomic():
        Participant.objects.create(sip=sip, kind="organisation")
    with pytest.raises(IntegrityError), transaction.atomic():
        Participant.objects.create(sip=sip, kind="neighbour", name="x")
    Participant.objects.create(sip=sip, kind="relative", name="Moster")
