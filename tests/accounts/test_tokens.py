"""API tokens: only the hash is stored, the secret is shown once, revoked/expired refused."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from datasmart.accounts import services
from datasmart.accounts.models import ApiToken, AuditEvent, Organisation, Role, User

from .factories import make_token, member, superuser

pytestmark = pytest.mark.django_db

SECRET_FORMAT = re.compile(r"^ds_[A-Za-z0-9_-]{43}$")


def _all_stored_text() -> str:
    """Every value of every token and audit row, as one string."""
    rows = list(ApiToken.objects.values_list()) + list(AuditEvent.objects.values_list())
    return repr(rows)


def test_create_stores_only_the_hash(viewer: User) -> None:
    token, secret = services.create_api_token(user=viewer, name="R-skript", by=viewer)
    assert SECRET_FORMAT.match(secret)
    token.refresh_from_db()
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:8]
    assert secret not in _all_stored_text()
    assert secret[8:] not in _all_stored_text()
    event = AuditEvent.objects.get(action="token.create")
    assert event.actor == viewer and event.detail["prefix"] == token.prefix


def test_authenticate_and_last_used(viewer: User) -> None:
    token, secret = make_token(viewer)
    assert token.last_used_at is None
    assert services.authenticate_api_token(secret) == viewer
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize(
    "secret", ["", None, "ds_", "ds_nope", "x" * 300, "Bearer ds_abc", "ds_" + "A" * 43]
)
def test_unknown_secrets_are_refused(secret: str | None, viewer: User) -> None:
    make_token(viewer)
    assert services.authenticate_api_token(secret) is None


def test_revoked_expired_and_inactive_are_refused(viewer: User) -> None:
    revoked, revoked_secret = make_token(viewer, "a")
    services.revoke_api_token(token_id=revoked.pk, by=viewer)
    assert services.authenticate_api_token(revoked_secret) is None

    expiring, expiring_secret = make_token(
        viewer, "b", expires_at=timezone.now() + dt.timedelta(seconds=30)
    )
    assert services.authenticate_api_token(expiring_secret) == viewer
    ApiToken.objects.filter(pk=expiring.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert services.authenticate_api_token(expiring_secret) is None

    _token, secret = make_token(viewer, "c")
    User.objects.filter(pk=viewer.pk).update(is_active=False)
    assert services.authenticate_api_token(secret) is None


def test_expiry_must_be_in_the_future(viewer: User) -> None:
    with pytest.raises(services.AccountsError, match="future"):
        make_token(viewer, expires_at=timezone.now() - dt.timedelta(days=1))


def test_nobody_creates_tokens_for_someone_else(viewer: User, root: User) -> None:
    with pytest.raises(PermissionDenied):
        services.create_api_token(user=viewer, name="x", by=root)
    assert not viewer.api_tokens.exists()


def test_list_shows_own_tokens_only(viewer: User, analyst: User) -> None:
    mine, _ = make_token(viewer)
    make_token(analyst)
    assert list(services.list_api_tokens(viewer)) == [mine]


def test_revoke_own_other_admin_and_superuser(
    org: Organisation, other_org: Organisation, viewer: User, analyst: User
) -> None:
    token, _ = make_token(viewer)
    with pytest.raises(PermissionDenied):
        services.revoke_api_token(token_id=token.pk, by=analyst)
    with pytest.raises(PermissionDenied):
        services.revoke_api_token(token_id=token.pk, by=member(Role.ADMIN, other_org))
    assert AuditEvent.objects.filter(action="auth.permission_denied").count() == 2

    revoked = services.revoke_api_token(token_id=token.pk, by=member(Role.ADMIN, org))
    assert revoked.revoked_at is not None
    again = services.revoke_api_token(token_id=token.pk, by=viewer)
    assert again.revoked_at == revoked.revoked_at
    assert AuditEvent.objects.filter(action="token.revoke").count() == 1

    other, _ = make_token(analyst)
    assert services.revoke_api_token(token_id=other.pk, by=superuser()).revoked_at
    with pytest.raises(services.NotFoundError):
        services.revoke_api_token(token_id=987654, by=viewer)


# --- the "Mina API-nycklar" page --------------------------------------------------------


def test_token_page_create_shows_secret_once_and_revoke(viewer: User) -> None:
    client = Client()
    client.force_login(viewer)
    url = reverse("accounts:tokens")
    page = client.get(url)
    assert page.status_code == 200 and "Mina API-nycklar" in page.content.decode()
    assert '<label for="id_name">' in page.content.decode()

    created = client.post(url, {"name": "Mitt skript", "expires_on": ""})
    assert created.status_code == 200 and "no-store" in created["Cache-Control"]
    html = created.content.decode()
    secret = re.search(r'value="(ds_[^"]+)"', html)
    assert secret and services.authenticate_api_token(secret.group(1)) == viewer
    assert secret.group(1) not in client.get(url).content.decode()  # shown once

    token = viewer.api_tokens.get()
    revoke = client.post(reverse("accounts:revoke_token", args=[token.pk]), follow=True)
    assert "är återkallad" in revoke.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_token_page_errors_are_swedish(viewer: User) -> None:
    client = Client()
    client.force_login(viewer)
    response = client.post(reverse("accounts:tokens"), {"name": "", "expires_on": "igår"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Ge nyckeln ett namn." in html and "Ange ett giltigt datum" in html


def test_token_page_enforces_csrf(viewer: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(viewer)
    url = reverse("accounts:tokens")
    assert client.post(url, {"name": "utan csrf"}).status_code == 403
    assert not viewer.api_tokens.exists()
    client.get(url)
    csrf = client.cookies["csrftoken"].value
    response = client.post(url, {"name": "med csrf", "csrfmiddlewaretoken": csrf})
    assert response.status_code == 200 and viewer.api_tokens.count() == 1
    token = viewer.api_tokens.get()
    revoke_url = reverse("accounts:revoke_token", args=[token.pk])
    assert client.post(revoke_url).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


def test_token_page_needs_sign_in_and_a_membership(db) -> None:  # type: ignore[no-untyped-def]
    from .factories import UserFactory

    url = reverse("accounts:tokens")
    response = Client().get(url)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    client = Client()
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403
    assert AuditEvent.objects.filter(action="auth.permission_denied", path=url).exists()


def test_revoking_someone_elses_token_from_the_page(viewer: User, analyst: User) -> None:
    token, _ = make_token(analyst)
    client = Client()
    client.force_login(viewer)
    response = client.post(reverse("accounts:revoke_token", args=[token.pk]))
    assert response.status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


def test_token_page_expiry_is_the_end_of_the_chosen_day(viewer: User) -> None:
    client = Client()
    client.force_login(viewer)
    day = timezone.localdate() + dt.timedelta(days=10)
    client.post(reverse("accounts:tokens"), {"name": "tio dagar", "expires_on": day.isoformat()})
    expires = timezone.localtime(viewer.api_tokens.get().expires_at)
    assert expires.date() == day and expires.hour == 23
    past = client.post(reverse("accounts:tokens"), {"name": "igår", "expires_on": "2001-01-01"})
    assert "Datumet får inte ligga i det förflutna." in past.content.decode()
