"""The organisation kinds for the other actors (sjukvårdsregion, authority, user
organisation, civil society, knowledge node, business) work everywhere organisations are
created or listed — service, admin, API, CLI — at the levels they may belong to, and a
wrong level is refused with a clear Swedish message naming the field, never a 500.
Participant kinds' roles stay capped whatever the role."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from typer.testing import CliRunner

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import (
    ALLOWED_UNIT_LEVELS,
    PARTICIPANT_KINDS,
    Organisation,
    OrganisationKind,
    User,
)
from datasmart.accounts.permissions import Permission, has_permission
from datasmart.accounts.services import AccountsError, create_organisation
from datasmart.cli import app
from datasmart.geo.models import Level, Unit

pytestmark = pytest.mark.django_db

NEW_KINDS = [
    OrganisationKind.SJUKVARDSREGION,
    OrganisationKind.AUTHORITY,
    OrganisationKind.USER_ORGANISATION,
    OrganisationKind.CIVIL_SOCIETY,
    OrganisationKind.KNOWLEDGE_NODE,
    OrganisationKind.BUSINESS,
]
#: A unit of each level in the loaded reference data.
UNIT_OF_LEVEL = {
    Level.NATION: "00",
    Level.SJUKVARDSREGION: "vastra",
    Level.REGION: "14",
    Level.KOMMUN: "1480",
}


def _unit(level: str) -> Unit:
    return Unit.objects.get(code=UNIT_OF_LEVEL[Level(level)])


def _allowed(kind: str) -> list[str]:
    return sorted(ALLOWED_UNIT_LEVELS[kind])


def _refused(kind: str) -> list[str]:
    return sorted(set(Level.values) - ALLOWED_UNIT_LEVELS[kind])


@pytest.mark.parametrize("kind", NEW_KINDS)
def test_service_creates_every_new_kind_at_each_allowed_level(kind: str) -> None:
    for level in _allowed(kind):
        org = create_organisation(
            name=f"Ny {kind} {level}", kind=kind, unit=_unit(level), by=SYSTEM
        )
        assert org.kind == kind and org.unit.level == level


@pytest.mark.parametrize(
    ("kind", "level"), [(k, lv) for k in NEW_KINDS for lv in _refused(k)], ids=str
)
def test_service_refuses_a_wrong_level_naming_the_kind_and_levels(kind: str, level: str) -> None:
    with pytest.raises(AccountsError) as exc:
        create_organisation(name=f"Fel {kind}", kind=kind, unit=_unit(level), by=SYSTEM)
    message = str(exc.value)
    assert str(OrganisationKind(kind).label) in message and "ska höra till" in message
    assert not Organisation.objects.filter(name=f"Fel {kind}").exists()


def test_admin_add_form_accepts_a_new_kind_and_shows_a_wrong_level_as_a_field_error(
    root: User,
) -> None:
    client = Client()
    client.force_login(root)
    url = reverse("admin:accounts_organisation_add")
    page = client.get(url).content.decode()
    for kind in NEW_KINDS:
        assert f'value="{kind.value}"' in page
    ok = client.post(
        url, {"name": "Hjärnkoll Väst", "kind": "user_organisation", "unit": _unit("region").pk}
    )
    assert ok.status_code == 302
    bad = client.post(
        url, {"name": "Fel sjukvårdsregion", "kind": "sjukvardsregion", "unit": _unit("kommun").pk}
    )
    assert bad.status_code == 200
    html = bad.content.decode()
    assert "ska höra till" in html and "Sjukvårdsregion" in html
    assert not Organisation.objects.filter(name="Fel sjukvårdsregion").exists()


def test_api_lists_and_filters_the_new_kinds() -> None:
    create_organisation(
        name="Kunskapsnod Väst", kind="knowledge_node", unit=_unit("sjukvardsregion"), by=SYSTEM
    )
    body = Client().get("/api/organisations", {"kind": "knowledge_node"}).json()
    assert [o["name"] for o in body["items"]] == ["Kunskapsnod Väst"]
    assert body["items"][0]["kind_label"] == "Kunskapsnod"
    assert body["items"][0]["unit_level"] == "sjukvardsregion"
    unknown = Client().get("/api/organisations", {"kind": "sekt"})
    assert unknown.status_code == 422


@pytest.mark.parametrize("kind", sorted(PARTICIPANT_KINDS))
def test_cli_creates_users_in_participant_organisations_with_capped_rights(kind: str) -> None:
    org = create_organisation(name=f"Deltagare {kind}", kind=kind, unit=_unit("nation"), by=SYSTEM)
    result = CliRunner().invoke(
        app,
        ["users", "create", "--username", f"u-{kind}", "--org", org.name, "--role", "coordinator"],
    )
    assert result.exit_code == 0, result.output
    user = User.objects.get(username=f"u-{kind}")
    assert has_permission(user, Permission.VIEW_INDICATORS, org)
    for capped in (Permission.MANAGE_FUNDING, Permission.REPORT_FUNDING, Permission.COORDINATE_SIP):
        assert not has_permission(user, capped, org)


def test_cli_unknown_organisation_is_one_message() -> None:
    result = CliRunner().invoke(
        app, ["users", "create", "--username", "x", "--org", "Finns inte", "--role", "viewer"]
    )
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_authority_and_sjukvardsregion_roles_are_not_capped() -> None:
    """Only the participant kinds are capped: an authority acts with its roles' rights."""
    org = create_organisation(
        name="Myndigheten (test)", kind="authority", unit=_unit("nation"), by=SYSTEM
    )
    result = CliRunner().invoke(
        app, ["users", "create", "--username", "myndig", "--org", org.name, "--role", "analyst"]
    )
    assert result.exit_code == 0, result.output
    assert has_permission(User.objects.get(username="myndig"), Permission.IMPORT_DATA, org)
