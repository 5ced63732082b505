"""The permission matrix: every role × every permission, anonymous, other organisation."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from datasmart.accounts.models import PARTICIPANT_KINDS, AuditEvent, Organisation, Role
from datasmart.accounts.permissions import (
    ANONYMOUS_PERMISSIONS,
    PARTICIPANT_PERMISSIONS,
    ROLE_PERMISSIONS,
    SUPERUSER_EXCLUDED,
    Permission,
    has_permission,
    organisations_with_permission,
    require_permission,
)
from datasmart.geo.models import Level, Unit

from .factories import OrganisationFactory, member, superuser

pytestmark = pytest.mark.django_db

# The spec, written out: what each role may do beyond the member basics. Changing the
# mapping in permissions.py without changing this table fails the test on purpose.
MEMBER_BASICS = {
    Permission.VIEW_UNITS,
    Permission.VIEW_POPULATION,
    Permission.VIEW_ORGANISATIONS,
    Permission.VIEW_INDICATORS,
    Permission.VIEW_FUNDING,
    Permission.MANAGE_TOKENS_OWN,
}
SPEC: dict[Role, set[Permission]] = {
    Role.ADMIN: MEMBER_BASICS
    | {
        Permission.MANAGE_USERS,
        Permission.MANAGE_ORGANISATIONS,
        Permission.MANAGE_TOKENS_ALL,
        Permission.VIEW_AUDIT,
    },
    Role.ANALYST: MEMBER_BASICS | {Permission.IMPORT_DATA, Permission.EDIT_INDICATORS},
    Role.COORDINATOR: MEMBER_BASICS
    | {Permission.MANAGE_FUNDING, Permission.REPORT_FUNDING, Permission.COORDINATE_SIP},
    Role.CASEWORKER: MEMBER_BASICS | {Permission.CREATE_SIP, Permission.READ_SIP_PLANS},
    Role.VIEWER: MEMBER_BASICS,
}


def test_mapping_matches_the_written_spec() -> None:
    assert {role: set(perms) for role, perms in ROLE_PERMISSIONS.items()} == SPEC
    assert set(ROLE_PERMISSIONS) == set(Role)


def test_admin_cannot_read_sip_plans() -> None:
    assert Permission.READ_SIP_PLANS not in ROLE_PERMISSIONS[Role.ADMIN]
    assert Permission.READ_SIP_PLANS in SUPERUSER_EXCLUDED


@pytest.mark.parametrize("role", list(Role))
def test_role_matrix(role: Role, org: Organisation, other_org: Organisation) -> None:
    user = member(role, org)
    wrong = []
    for perm in Permission:
        expected = perm in SPEC[role]
        if has_permission(user, perm, org) != expected:
            wrong.append(f"{perm} in own organisation")
        if has_permission(user, perm) != expected:
            wrong.append(f"{perm} in any organisation")
        if has_permission(user, perm, other_org.pk) != (perm in ANONYMOUS_PERMISSIONS):
            wrong.append(f"{perm} in another organisation")
    assert not wrong, f"{role}: {wrong}"


def test_anonymous_reads_public_reference_data_only() -> None:
    anonymous = AnonymousUser()
    for perm in Permission:
        assert has_permission(anonymous, perm) == (perm in ANONYMOUS_PERMISSIONS), perm
        assert has_permission(None, perm) == (perm in ANONYMOUS_PERMISSIONS), perm
    assert {
        Permission.VIEW_UNITS,
        Permission.VIEW_POPULATION,
        Permission.VIEW_ORGANISATIONS,
    } == ANONYMOUS_PERMISSIONS


def test_user_without_membership_is_like_anonymous(org: Organisation) -> None:
    from .factories import UserFactory

    loner = UserFactory()
    for perm in Permission:
        assert has_permission(loner, perm, org) == (perm in ANONYMOUS_PERMISSIONS), perm


def test_superuser_has_everything_but_reading_sip_plans(other_org: Organisation) -> None:
    root = superuser()
    for perm in Permission:
        assert has_permission(root, perm, other_org) == (perm not in SUPERUSER_EXCLUDED), perm


def test_inactive_user_loses_rights(org: Organisation) -> None:
    user = member(Role.ADMIN, org, is_active=False)
    assert not has_permission(user, Permission.MANAGE_USERS, org)
    assert has_permission(user, Permission.VIEW_UNITS)


def test_roles_in_two_organisations_stay_apart(org: Organisation, other_org) -> None:  # type: ignore[no-untyped-def]
    from .factories import MembershipFactory

    user = member(Role.ADMIN, org)
    MembershipFactory(user=user, organisation=other_org, role=Role.VIEWER)
    assert has_permission(user, Permission.MANAGE_USERS, org)
    assert not has_permission(user, Permission.MANAGE_USERS, other_org)
    assert list(organisations_with_permission(user, Permission.MANAGE_USERS)) == [org]


def test_has_permission_queries_memberships_once(
    org: Organisation, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    user = member(Role.ANALYST, org)
    with django_assert_num_queries(1):
        for perm in Permission:
            has_permission(user, perm, org)


def test_require_permission_passes_silently(org: Organisation) -> None:
    user = member(Role.ANALYST, org)
    require_permission(user, Permission.IMPORT_DATA, org)
    assert not AuditEvent.objects.filter(action="auth.permission_denied").exists()


def test_denial_raises_and_is_audited(org: Organisation, other_org: Organisation, rf) -> None:  # type: ignore[no-untyped-def]
    user = member(Role.ADMIN, org, username="kommunadmin")
    request = rf.get("/konto/granskningslogg/", REMOTE_ADDR="192.0.2.7")
    with pytest.raises(PermissionDenied):
        require_permission(user, Permission.MANAGE_USERS, other_org, request=request)
    event = AuditEvent.objects.get(action="auth.permission_denied")
    assert event.actor == user and event.actor_username == "kommunadmin"
    assert event.organisation == other_org.name
    assert event.target_type == "accounts.organisation" and event.target_id == str(other_org.pk)
    assert event.detail == {"permission": "manage_users"}
    assert event.ip_address == "192.0.2.7" and event.path == "/konto/granskningslogg/"


def test_anonymous_denial_is_audited_without_actor() -> None:
    with pytest.raises(PermissionDenied):
        require_permission(AnonymousUser(), Permission.VIEW_AUDIT)
    event = AuditEvent.objects.get(action="auth.permission_denied")
    assert event.actor is None and event.actor_username == ""


def test_can_template_filter(org: Organisation) -> None:
    from django.template import Context, Template

    template = Template(
        '{% load accounts %}{% if user|can:"view_audit" %}ja{% else %}nej{% endif %}'
    )
    assert template.render(Context({"user": member(Role.ADMIN, org)})) == "ja"
    assert template.render(Context({"user": member(Role.VIEWER, org)})) == "nej"
    assert template.render(Context({"user": AnonymousUser()})) == "nej"
    unknown = Template('{% load accounts %}{% if user|can:"fly" %}ja{% else %}nej{% endif %}')
    assert unknown.render(Context({"user": superuser()})) == "nej"


@pytest.mark.parametrize("kind", sorted(PARTICIPANT_KINDS))
@pytest.mark.parametrize("role", list(Role))
def test_participant_organisations_grant_no_authority(kind: str, role: Role) -> None:
    """A brukarorganisation, civil-society body, knowledge node or business owns goals and
    takes part in plans, but no role there imports figures, manages or reports money or
    touches SIP, even at national level (where it would otherwise act for every unit)."""
    nation = Unit.objects.get_or_create(
        code="00", defaults={"name": "Riket", "level": Level.NATION}
    )[0]
    participant = OrganisationFactory(name=f"Deltagare {kind}", kind=kind, unit=nation)
    user = member(role, participant)
    granted = {p for p in Permission if has_permission(user, p, participant)}
    assert granted == SPEC[role] & PARTICIPANT_PERMISSIONS
    for authority in (
        Permission.IMPORT_DATA,
        Permission.EDIT_INDICATORS,
        Permission.MANAGE_FUNDING,
        Permission.REPORT_FUNDING,
        Permission.COORDINATE_SIP,
        Permission.CREATE_SIP,
        Permission.READ_SIP_PLANS,
    ):
        assert not has_permission(user, authority)
        assert not organisations_with_permission(user, authority).exists()
