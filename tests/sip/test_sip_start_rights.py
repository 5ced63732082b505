"""Only a caseworker who can open the plan afterwards starts one (issue #10 §2).

The superuser could start a plan it then could not open (superusers never read plans): an
orphan holding a personnummer. Starting now needs the caseworker role *and* the right to
read plans in the acting organisation, in the service (pages, API and FHIR import share
it); the start page explains the requirement and refuses with a clear message.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from datasmart.accounts.models import AuditEvent, Membership, Role
from datasmart.sip import services
from datasmart.sip.domain.actors import StaffActor
from datasmart.sip.models import Sip
from tests.accounts.factories import make_token, superuser

from .sip_support import SipWorld, kiruna_social, personnummer

pytestmark = pytest.mark.django_db

START = {
    "person_id": personnummer(dt.date(1990, 1, 2), 456),
    "display_name": "Adam Exempel",
    "need": "Stöd från både kommun och region.",
}


def _page_client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_a_superuser_cannot_start_an_orphan_plan(world: SipWorld) -> None:
    before = Sip.objects.count()
    # world.root is a superuser *with* the caseworker role in the owner organisation
    with pytest.raises(PermissionDenied, match="superanvändarkonto"):
        services.start_sip(world.as_owner(world.root), **START)
    # a superuser whose only membership is as administrator
    admin_root = superuser(username="rot-admin")
    Membership.objects.create(user=admin_root, organisation=world.owner, role=Role.ADMIN)
    with pytest.raises(PermissionDenied):
        services.start_sip(StaffActor(admin_root, world.owner), **START)
    assert Sip.objects.count() == before
    denials = AuditEvent.objects.filter(action="auth.permission_denied", actor=admin_root)
    assert denials.filter(detail__action="start").exists()


def test_start_page_explains_the_requirement(world: SipWorld) -> None:
    url = reverse("sip:start")
    allowed = _page_client(world.owner_staff.user).get(url)
    assert allowed.status_code == 200
    assert "Du behöver rollen handläggare" in allowed.content.decode()
    refused = _page_client(world.root).get(url)
    body = refused.content.decode()
    assert refused.status_code == 403
    assert "Du kan inte starta en SIP här" in body and "superanvändarkonto" in body
    assert 'name="person_id"' not in body  # no form to fill in for nothing
    before = Sip.objects.count()
    assert _page_client(world.root).post(url, START).status_code == 403
    assert Sip.objects.count() == before
    listing = _page_client(world.root).get(reverse("sip:list")).content.decode()
    assert url not in listing  # no "Starta SIP" link for who cannot


def test_a_coordinator_is_told_which_role_is_needed(world: SipWorld) -> None:
    body = _page_client(world.owner_coordinator).get(reverse("sip:start")).content.decode()
    assert "kräver rollen handläggare" in body and kiruna_social().name in body


def test_the_api_refuses_the_superuser(world: SipWorld) -> None:
    _token, secret = make_token(world.root)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    before = Sip.objects.count()
    response = client.post("/api/sip/sips", START, content_type="application/json")
    assert response.status_code == 403, response.content
    assert Sip.objects.count() == before
