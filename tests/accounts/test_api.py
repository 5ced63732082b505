"""The accounts API router, mounted here on its own test API (the real mount is elsewhere)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import path
from django.utils import timezone
from ninja import NinjaAPI

from datasmart.accounts.api import router
from datasmart.accounts.models import ApiToken, AuditEvent, Organisation, OrganisationKind, User
from datasmart.accounts.services import authenticate_api_token
from datasmart.config.urls import urlpatterns as site_urlpatterns

from .factories import OrganisationFactory, UnitFactory, make_token

test_api = NinjaAPI(urls_namespace="accounts-test-api", title="accounts test")
test_api.add_router("/", router)
urlpatterns = [*site_urlpatterns, path("testapi/", test_api.urls)]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

API = "/testapi"


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


# --- organisations (public) -----------------------------------------------------------------


@pytest.fixture
def orgs() -> list[Organisation]:
    kommun = UnitFactory(code="9101", name="Apikommun")
    region = UnitFactory(code="97", name="Apiregion", level="region")
    return [
        OrganisationFactory(
            name="A socialtjänst", unit=kommun, kind=OrganisationKind.KOMMUN_SOCIAL
        ),
        OrganisationFactory(name="B elevhälsa", unit=kommun, kind=OrganisationKind.SCHOOL),
        OrganisationFactory(name="C BUP", unit=region, kind=OrganisationKind.REGION_BUP),
    ]


def test_list_is_public_filtered_and_paginated(orgs: list[Organisation]) -> None:
    client = Client()
    everything = client.get(f"{API}/organisations").json()
    assert everything["count"] == 3 and everything["next"] is None
    item = everything["items"][0]
    assert item == {
        "id": orgs[0].pk,
        "name": "A socialtjänst",
        "kind": "kommun_social",
        "kind_label": "Kommun – socialtjänst",
        "unit_code": "9101",
        "unit_name": "Apikommun",
        "unit_level": "kommun",
        "org_number": "",
    }
    in_kommun = client.get(f"{API}/organisations", {"unit": "9101"}).json()
    assert [o["name"] for o in in_kommun["items"]] == ["A socialtjänst", "B elevhälsa"]
    bup = client.get(f"{API}/organisations", {"kind": "region_bup"}).json()
    assert [o["name"] for o in bup["items"]] == ["C BUP"]
    page = client.get(f"{API}/organisations", {"limit": 2}).json()
    assert len(page["items"]) == 2 and "offset=2" in page["next"]
    assert client.get(f"{API}/organisations", {"kind": "hemlig"}).status_code == 422
    assert client.get(f"{API}/organisations", {"limit": 0}).status_code == 422


def test_detail_and_clear_404(orgs: list[Organisation]) -> None:
    client = Client()
    assert client.get(f"{API}/organisations/{orgs[2].pk}").json()["name"] == "C BUP"
    missing = client.get(f"{API}/organisations/999999")
    assert missing.status_code == 404
    assert missing.json() == {
        "detail": "Organisationen 999999 finns inte / Organisation 999999 not found"
    }


def test_list_query_count_is_constant(orgs: list[Organisation], django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    with django_assert_num_queries(2):  # count + page with units joined
        Client().get(f"{API}/organisations")


# --- tokens (signed in) ---------------------------------------------------------------------


def test_tokens_need_authentication(viewer: User) -> None:
    client = Client()
    assert client.get(f"{API}/tokens").status_code == 401
    bad = client.get(f"{API}/tokens", **bearer("ds_inte-en-riktig-nyckel"))
    assert bad.status_code == 401
    assert bad.json() == {"detail": "Ogiltig API-nyckel / Invalid API token"}
    assert client.get(f"{API}/tokens", HTTP_AUTHORIZATION="Basic abc").status_code == 401


def test_bearer_lists_own_tokens(viewer: User, analyst: User) -> None:
    _token, secret = make_token(viewer, "mitt")
    make_token(analyst, "annans")
    body = Client().get(f"{API}/tokens", **bearer(secret)).json()
    assert [t["name"] for t in body] == ["mitt"]
    assert body[0]["prefix"] == secret[:8] and body[0]["active"] is True
    assert "secret" not in body[0] and "token_hash" not in body[0]


def test_revoked_or_expired_token_is_refused(viewer: User) -> None:
    token, secret = make_token(viewer)
    client = Client()
    assert client.delete(f"{API}/tokens/{token.pk}", **bearer(secret)).status_code == 204
    assert client.get(f"{API}/tokens", **bearer(secret)).status_code == 401
    other, other_secret = make_token(viewer, "b")
    ApiToken.objects.filter(pk=other.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    assert client.get(f"{API}/tokens", **bearer(other_secret)).status_code == 401


def test_session_post_needs_csrf_and_returns_secret_once(viewer: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(viewer)
    url = f"{API}/tokens"
    refused = client.post(url, {"name": "x"}, content_type="application/json")
    assert refused.status_code == 403 and not viewer.api_tokens.exists()
    client.get("/konto/api-nycklar/")  # a page with a form sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    created = client.post(
        url, {"name": "Notebook"}, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert authenticate_api_token(secret) == viewer
    assert secret not in repr(list(ApiToken.objects.values_list()))
    listed = client.get(url).json()
    assert "secret" not in listed[0]
    assert AuditEvent.objects.filter(action="token.create", actor=viewer).count() == 1


def test_session_get_needs_no_csrf(viewer: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(viewer)
    assert client.get(f"{API}/tokens").status_code == 200


def test_token_cannot_mint_tokens(viewer: User) -> None:
    _token, secret = make_token(viewer)
    response = Client().post(
        f"{API}/tokens", {"name": "kedja"}, content_type="application/json", **bearer(secret)
    )
    assert response.status_code == 403 and viewer.api_tokens.count() == 1


def test_post_validation(viewer: User) -> None:
    client = Client()
    client.force_login(viewer)
    assert (
        client.post(f"{API}/tokens", {"name": ""}, content_type="application/json").status_code
        == 422
    )
    past = (timezone.now() - dt.timedelta(days=1)).isoformat()
    response = client.post(
        f"{API}/tokens", {"name": "x", "expires_at": past}, content_type="application/json"
    )
    assert response.status_code == 400 and "future" in response.json()["detail"]


def test_delete_other_and_unknown(viewer: User, analyst: User) -> None:
    theirs, _ = make_token(analyst)
    _mine, secret = make_token(viewer)
    client = Client()
    assert client.delete(f"{API}/tokens/{theirs.pk}", **bearer(secret)).status_code == 403
    assert client.delete(f"{API}/tokens/987654", **bearer(secret)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_openapi_schema_builds() -> None:
    schema = test_api.get_openapi_schema()
    assert "/testapi/organisations" in schema["paths"]
    assert "/testapi/tokens/{token_id}" in schema["paths"]
