"""Issue #10 §6: API token scope and lifetime, idle timeout of staff sessions, sign-in
throttling across user names, client address from the AXES_IPWARE_* settings."""

from __future__ import annotations

import datetime as dt
import io
import time

import pytest
from axes.models import AccessAttempt
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from typer.testing import CliRunner

from datasmart.accounts.middleware import LAST_SEEN_KEY
from datasmart.accounts.models import ApiToken, Role, TokenScope, User
from datasmart.accounts.services import AccountsError, create_api_token
from datasmart.cli import app

from .factories import DEFAULT_PASSWORD, SYSTEM, make_token, member

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


# --- API tokens: scope ----------------------------------------------------------------------


def test_read_token_reads_but_every_change_is_refused_with_403(viewer: User) -> None:
    analyst = member(Role.ANALYST, username="analytiker-las")
    token, secret = make_token(analyst, scope=TokenScope.READ)
    client = Client()
    listed = client.get("/api/tokens", **bearer(secret))
    assert listed.status_code == 200 and listed.json()[0]["scope"] == "read"
    upload = client.post(
        "/api/indicator-imports",
        {"file": SimpleUploadedFile("a.csv", b"indicator\n", content_type="text/csv")},
        **bearer(secret),
    )
    assert upload.status_code == 403
    assert "read" in upload.json()["detail"] and "write" in upload.json()["detail"]
    deleted = client.delete(f"/api/tokens/{token.pk}", **bearer(secret))
    assert deleted.status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None  # the DELETE did not go through


def test_write_token_reaches_the_operation(viewer: User) -> None:
    analyst = member(Role.ANALYST, username="analytiker-skriv")
    _token, secret = make_token(analyst, scope=TokenScope.WRITE)
    upload = Client().post("/api/indicator-imports", {"file": io.BytesIO(b"")}, **bearer(secret))
    assert upload.status_code not in (401, 403), upload.content  # auth passed: the file is judged


def test_tokens_default_to_read_only(viewer: User) -> None:
    token, _secret = create_api_token(user=viewer, name="standard", by=viewer)
    assert token.scope == TokenScope.READ
    with pytest.raises(AccountsError, match="scope"):
        create_api_token(user=viewer, name="x", by=SYSTEM, scope="admin")


# --- API tokens: lifetime -------------------------------------------------------------------


def test_every_token_expires_and_no_later_than_the_maximum(viewer: User, settings) -> None:  # type: ignore[no-untyped-def]
    settings.API_TOKEN_MAX_DAYS = 30
    settings.API_TOKEN_DEFAULT_DAYS = 7
    token, _ = make_token(viewer)
    assert (
        dt.timedelta(days=6, hours=23) < token.expires_at - timezone.now() <= dt.timedelta(days=7)
    )
    with pytest.raises(AccountsError, match="1–30"):
        make_token(viewer, days=31)
    with pytest.raises(AccountsError, match="30"):
        make_token(viewer, expires_at=timezone.now() + dt.timedelta(days=400))
    ok, _ = make_token(viewer, days=30)
    assert ok.is_usable()


def test_expired_token_is_refused_with_401_saying_so(viewer: User) -> None:
    token, secret = make_token(viewer, expires_at=timezone.now() + dt.timedelta(seconds=30))
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    response = Client().get("/api/tokens", **bearer(secret))
    assert response.status_code == 401
    assert "expired" in response.json()["detail"] and "gått ut" in response.json()["detail"]


def test_lowering_the_maximum_shortens_existing_tokens(viewer: User, settings) -> None:  # type: ignore[no-untyped-def]
    token, secret = make_token(viewer, days=300)
    ApiToken.objects.filter(pk=token.pk).update(created_at=timezone.now() - dt.timedelta(days=40))
    settings.API_TOKEN_MAX_DAYS = 30
    assert Client().get("/api/tokens", **bearer(secret)).status_code == 401


def test_cli_tokens_create_takes_scope_and_days(viewer: User) -> None:
    result = CliRunner().invoke(
        app, ["tokens", "create", "--user", viewer.username, "--scope", "write", "--days", "10"]
    )
    assert result.exit_code == 0, result.output
    token = viewer.api_tokens.get()
    assert token.scope == TokenScope.WRITE
    assert (
        dt.timedelta(days=9, hours=23) < token.expires_at - timezone.now() <= dt.timedelta(days=10)
    )
    too_long = CliRunner().invoke(
        app, ["tokens", "create", "--user", viewer.username, "--days", "10000"]
    )
    assert too_long.exit_code == 2 and "dagar" in too_long.output


def test_token_page_creates_write_tokens_only_when_asked(viewer: User) -> None:
    client = Client()
    client.force_login(viewer)
    url = reverse("accounts:tokens")
    page = client.get(url).content.decode()
    assert 'name="scope"' in page and "Endast läsa" in page
    client.post(url, {"name": "läsare", "expires_on": ""})
    client.post(url, {"name": "skrivare", "scope": "write", "expires_on": ""})
    scopes = dict(viewer.api_tokens.values_list("name", "scope"))
    assert scopes == {"läsare": "read", "skrivare": "write"}
    far = (timezone.localdate() + dt.timedelta(days=4000)).isoformat()
    refused = client.post(url, {"name": "för lång", "expires_on": far})
    assert refused.status_code == 400 and "högst" in refused.content.decode()


# --- staff sessions: idle timeout -----------------------------------------------------------


def test_idle_staff_session_is_signed_out(viewer: User, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    client = Client()
    client.force_login(viewer)
    url = reverse("accounts:tokens")
    assert client.get(url).status_code == 200
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - 29 * 60  # active 29 minutes ago: still in
    session.save()
    assert client.get(url).status_code == 200
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - 31 * 60  # idle 31 minutes: out
    session.save()
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session
    # Signed out for the API too.
    assert client.get("/api/tokens").status_code == 401


# --- sign-in throttling ---------------------------------------------------------------------


def _login(client: Client, username: str, password: str, ip: str = "198.51.100.7"):  # type: ignore[no-untyped-def]
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_one_password_across_many_user_names_locks_the_address(viewer: User, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LOGIN_IP_FAILURE_LIMIT = 6
    client = Client()
    # Each user name is tried once only: the user name + address limit (5) is never reached.
    statuses = [_login(client, f"anvandare{i}", "Sommar2024!").status_code for i in range(6)]
    assert statuses[:5] == [200] * 5 and statuses[5] == 429
    # Locked by address: even a correct password from there waits for the cool-off ...
    assert _login(client, viewer.username, DEFAULT_PASSWORD).status_code == 429
    # ... while the same user from another address is not affected.
    assert _login(Client(), viewer.username, DEFAULT_PASSWORD, ip="203.0.113.9").status_code == 302


def test_ip_limit_is_on_by_default(settings) -> None:  # type: ignore[no-untyped-def]
    assert settings.AXES_HANDLER == "datasmart.accounts.throttle.LoginThrottleHandler"
    assert 0 < settings.LOGIN_IP_FAILURE_LIMIT <= 50


@override_settings(
    AXES_IPWARE_META_PRECEDENCE_ORDER=["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"],
    AXES_IPWARE_PROXY_COUNT=1,
)
def test_client_address_comes_from_the_configured_proxy_header(viewer: User) -> None:
    Client().post(
        LOGIN,
        {"username": viewer.username, "password": "fel"},
        REMOTE_ADDR="10.0.0.2",  # the balancer
        HTTP_X_FORWARDED_FOR="192.0.2.44, 10.0.0.2",
    )
    assert AccessAttempt.objects.get().ip_address == "192.0.2.44"


def test_forwarded_header_is_not_trusted_by_default(viewer: User) -> None:
    Client().post(
        LOGIN,
        {"username": viewer.username, "password": "fel"},
        REMOTE_ADDR="198.51.100.20",
        HTTP_X_FORWARDED_FOR="192.0.2.45",  # anyone can send this header
    )
    assert AccessAttempt.objects.get().ip_address == "198.51.100.20"
