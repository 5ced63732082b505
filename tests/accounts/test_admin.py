"""Django admin: every model registered, the audit log read-only, admin changes audited."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse

from datasmart.accounts.audit import SYSTEM, record_event
from datasmart.accounts.models import (
    ApiToken,
    AuditEvent,
    Membership,
    Organisation,
    OrganisationKind,
    User,
)

from .factories import make_token, nation_unit

pytestmark = pytest.mark.django_db

MODELS = [Organisation, User, Membership, ApiToken, AuditEvent]


@pytest.fixture
def staff_client(root: User) -> Client:
    client = Client()
    client.force_login(root)
    return client


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_model_has_a_working_changelist(model, staff_client: Client, viewer: User) -> None:  # type: ignore[no-untyped-def]
    assert admin.site.is_registered(model)
    make_token(viewer)
    record_event("test.thing", actor=SYSTEM)
    url = reverse(f"admin:accounts_{model._meta.model_name}_changelist")
    assert staff_client.get(url).status_code == 200


def test_audit_events_are_read_only_in_admin(root: User) -> None:
    model_admin = admin.site._registry[AuditEvent]
    request = RequestFactory().get("/")
    request.user = root
    event = record_event("test.thing", actor=SYSTEM)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert model_admin.has_view_permission(request, event)


def test_tokens_cannot_be_added_in_admin_and_hash_is_hidden(
    staff_client: Client, viewer: User
) -> None:
    token, _secret = make_token(viewer)
    assert staff_client.get(reverse("admin:accounts_apitoken_add")).status_code == 403
    page = staff_client.get(reverse("admin:accounts_apitoken_change", args=[token.pk]))
    assert page.status_code == 200 and token.token_hash not in page.content.decode()


def test_revoke_action_is_audited(staff_client: Client, viewer: User, root: User) -> None:
    token, _secret = make_token(viewer)
    response = staff_client.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(action="token.revoke", actor=root).exists()


def test_organisation_saved_in_admin_is_audited(staff_client: Client, root: User) -> None:
    response = staff_client.post(
        reverse("admin:accounts_organisation_add"),
        {
            "name": "Adminskapad",
            "kind": OrganisationKind.NATIONAL_OFFICE,
            "unit": nation_unit().pk,
            "org_number": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    org = Organisation.objects.get(name="Adminskapad")
    event = AuditEvent.objects.get(action="accounts.organisation.create")
    assert event.actor == root and event.target_id == str(org.pk)
    assert event.detail["via"] == "admin"


def test_user_added_in_admin_is_audited(staff_client: Client, root: User) -> None:
    response = staff_client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "adminny",
            "password1": "en-lång-och-ovanlig-fras-42",
            "password2": "en-lång-och-ovanlig-fras-42",
            "usable_password": "true",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="adminny")
    assert AuditEvent.objects.filter(
        action="accounts.user.create", actor=root, target_id=str(user.pk)
    ).exists()


def test_organisation_unit_is_chosen_by_code_and_name(staff_client: Client) -> None:
    """The add form once asked for the unit's internal database id (a raw-id field)."""
    from datasmart.geo.models import Unit

    page = staff_client.get(reverse("admin:accounts_organisation_add")).content.decode()
    stockholm = Unit.objects.get(code="0180")
    assert f'<option value="{stockholm.pk}">0180 Stockholm</option>' in page
    assert '<optgroup label="Kommun">' in page and "vForeignKeyRawIdAdminField" not in page
    response = staff_client.post(
        reverse("admin:accounts_organisation_add"),
        {"name": "Stockholms stad – socialtjänst", "kind": "kommun_social", "unit": stockholm.pk},
    )
    assert response.status_code == 302
    assert Organisation.objects.get(name="Stockholms stad – socialtjänst").unit == stockholm
