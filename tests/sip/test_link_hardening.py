"""Issue #10 §6 for invitation links: a flood of bad link attempts from one address is
refused with 429 before it writes audit rows, and a link built behind a TLS-terminating
balancer says https when the balancer's header is trusted."""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from datasmart.accounts.models import AuditEvent
from datasmart.sip import services
from datasmart.sip.models import InvitationLink

from .sip_support import SipWorld

pytestmark = pytest.mark.django_db

LIMIT = 4


def _denied_rows() -> int:
    return AuditEvent.objects.filter(action="sip.access_denied").count()


@override_settings(LINK_ATTEMPT_LIMIT=LIMIT, LINK_ATTEMPT_WINDOW=600)
def test_rapid_bad_link_attempts_get_429_and_stop_writing_audit_rows(world: SipWorld) -> None:
    attacker = Client(REMOTE_ADDR="198.51.100.66")
    before = _denied_rows()
    statuses = [
        attacker.post(reverse("sip:redeem", args=[f"gissning-{i}"])).status_code
        for i in range(LIMIT)
    ]
    assert statuses == [404] * LIMIT
    assert _denied_rows() == before + LIMIT  # each failure up to the limit is audited
    flood = [attacker.post(reverse("sip:redeem", args=[f"mer-{i}"])) for i in range(3 * LIMIT)] + [
        attacker.get(reverse("sip:redeem", args=["mer-get"]))
    ]
    assert {r.status_code for r in flood} == {429}
    assert _denied_rows() == before + LIMIT  # ... and then nothing more is written
    page = flood[0]
    assert "För många försök" in page.content.decode()
    assert page["Retry-After"] == "600" and "no-store" in page["Cache-Control"]
    # Even a valid link waits (the address is throttled, not the guess) ...
    _link, secret = services.create_invitation_link(world.owner_staff, world.sip.pk)
    assert attacker.post(reverse("sip:redeem", args=[secret])).status_code == 429
    assert InvitationLink.objects.get().used_at is None
    # ... while another address is not affected.
    person = Client(REMOTE_ADDR="203.0.113.5")
    assert person.post(reverse("sip:redeem", args=[secret])).status_code == 302


@override_settings(LINK_ATTEMPT_LIMIT=LIMIT, LINK_ATTEMPT_WINDOW=600)
def test_opened_links_do_not_count_as_failures(world: SipWorld) -> None:
    for _ in range(LIMIT + 1):
        _link, secret = services.create_invitation_link(world.owner_staff, world.sip.pk)
        client = Client(REMOTE_ADDR="198.51.100.67")
        assert client.get(reverse("sip:redeem", args=[secret])).status_code == 200
        assert client.post(reverse("sip:redeem", args=[secret])).status_code == 302


def _created_link(world: SipWorld, **headers: str) -> str:
    client = Client()
    client.force_login(world.owner_staff.user)
    response = client.post(
        reverse("sip:create_link", args=[world.sip.pk]),
        {"participant": "", "valid_days": "3"},
        **headers,
    )
    assert response.status_code == 200
    match = re.search(r'value="(https?://[^"]+/sip/lank/[^/"]+/)"', response.content.decode())
    assert match, response.content.decode()
    return match.group(1)


@override_settings(
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    SECURE_SSL_REDIRECT=False,
    USE_X_FORWARDED_HOST=True,
    ALLOWED_HOSTS=["datasmart.example.se", "testserver"],
)
def test_invitation_link_says_https_behind_a_trusted_balancer(world: SipWorld) -> None:
    url = _created_link(
        world, HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_HOST="datasmart.example.se"
    )
    assert url.startswith("https://datasmart.example.se/sip/lank/")


@override_settings(SECURE_PROXY_SSL_HEADER=None)
def test_untrusted_forwarded_proto_is_ignored(world: SipWorld) -> None:
    url = _created_link(world, HTTP_X_FORWARDED_PROTO="https")
    assert url.startswith("http://testserver/")
