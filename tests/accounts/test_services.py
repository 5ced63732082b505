"""Services: permission checks, audit rows in the same transaction, clear errors."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from datasmart.accounts import services
from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import (
    AuditEvent,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    User,
)
from datasmart.accounts.services import AccountsError, NotFoundError
from datasmart.geo.models import Level, Unit

from .factories import DEFAULT_PASSWORD, UnitFactory, UserFactory, member, nation_unit

pytestmark = pytest.mark.django_db

STRONG = "en-lång-och-ovanlig-fras-42"


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("audit store unavailable")


def test_create_user_writes_user_membership_and_audit(admin_user: User, org: Organisation) -> None:
    user = services.create_user(
        username="ny.handlaggare",
        email="Ny@Example.SE",
        password=STRONG,
        organisation=org,
        role=Role.CASEWORKER,
        by=admin_user,
    )
    assert user.check_password(STRONG)
    assert Membership.objects.get(user=user).role == Role.CASEWORKER
    actions = list(AuditEvent.objects.filter(actor=admin_user).values_list("action", flat=True))
    assert sorted(actions) == ["membership.create", "user.create"]
    event = AuditEvent.objects.get(action="user.create")
    assert event.target_id == str(user.pk) and event.organisation == org.name
    assert STRONG not in str(event.detail)


@pytest.mark.parametrize(
    "call",
    [
        lambda org, by, other: services.create_user(
            username="x1", email="", password=STRONG, organisation=org, role="viewer", by=by
        ),
        lambda org, by, other: services.add_membership(
            user=other, organisation=org, role="viewer", by=by
        ),
        lambda org, by, other: services.create_api_token(user=by, name="n", by=by),
    ],
    ids=["create_user", "add_membership", "create_api_token"],
)
def test_change_rolls_back_when_the_audit_write_fails(
    call, admin_user: User, org: Organisation, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    other = UserFactory()
    counts = (User.objects.count(), Membership.objects.count(), admin_user.api_tokens.count())
    monkeypatch.setattr(AuditEvent, "save", _boom)
    with pytest.raises(RuntimeError, match="audit store unavailable"):
        call(org, admin_user, other)
    after = (User.objects.count(), Membership.objects.count(), admin_user.api_tokens.count())
    assert after == counts


def test_revoke_rolls_back_when_the_audit_write_fails(viewer: User, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from .factories import make_token

    token, _secret = make_token(viewer)
    monkeypatch.setattr(AuditEvent, "save", _boom)
    with pytest.raises(RuntimeError):
        services.revoke_api_token(token_id=token.pk, by=viewer)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_create_organisation_rolls_back_when_the_audit_write_fails(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(AuditEvent, "save", _boom)
    with pytest.raises(RuntimeError):
        services.create_organisation(
            name="Ny org", kind=OrganisationKind.OTHER, unit=nation_unit(), by=SYSTEM
        )
    assert not Organisation.objects.filter(name="Ny org").exists()


def test_create_user_needs_manage_users_in_that_organisation(
    admin_user: User, analyst: User, other_org: Organisation, org: Organisation
) -> None:
    kwargs = {"email": "", "password": STRONG, "role": "viewer"}
    with pytest.raises(PermissionDenied):
        services.create_user(username="a1", organisation=org, by=analyst, **kwargs)
    with pytest.raises(PermissionDenied):
        services.create_user(username="a2", organisation=other_org, by=admin_user, **kwargs)
    assert not User.objects.filter(username__in=["a1", "a2"]).exists()
    assert AuditEvent.objects.filter(action="auth.permission_denied").count() == 2


def test_create_user_refuses_bad_input(admin_user: User, org: Organisation) -> None:
    def make(**kw: object) -> User:
        args: dict[str, object] = {
            "username": "ok.namn",
            "email": "",
            "password": STRONG,
            "organisation": org,
            "role": "viewer",
            "by": admin_user,
        }
        args.update(kw)
        return services.create_user(**args)  # type: ignore[arg-type]

    with pytest.raises(AccountsError, match="Unknown role 'boss'"):
        make(role="boss")
    with pytest.raises(AccountsError, match="taken"):
        make(username=admin_user.username.upper())
    with pytest.raises(AccountsError):
        make(password="kort")
    with pytest.raises(AccountsError):
        make(username="har mellanslag!")
    assert not User.objects.filter(username="ok.namn").exists()


def test_add_membership(admin_user: User, org: Organisation) -> None:
    user = UserFactory()
    services.add_membership(user=user, organisation=org, role="analyst", by=admin_user)
    with pytest.raises(AccountsError, match="already a member"):
        services.add_membership(user=user, organisation=org, role="viewer", by=admin_user)
    assert AuditEvent.objects.filter(action="membership.create", actor=admin_user).count() == 1


def test_create_organisation_checks_kind_against_level_and_org_number(root: User) -> None:
    kommun = UnitFactory()
    with pytest.raises(AccountsError, match="ska höra till"):
        services.create_organisation(
            name="BUP i en kommun?", kind=OrganisationKind.REGION_BUP, unit=kommun, by=root
        )
    with pytest.raises(AccountsError, match="kontrollsiffra"):
        services.create_organisation(
            name="Fel nummer",
            kind=OrganisationKind.KOMMUN_SOCIAL,
            unit=kommun,
            org_number="212000-0143",
            by=root,
        )
    org = services.create_organisation(
        name="Rätt nummer",
        kind=OrganisationKind.KOMMUN_SOCIAL,
        unit=kommun,
        org_number="2120000142",
        by=root,
    )
    assert org.org_number == "212000-0142"
    with pytest.raises(AccountsError, match="already exists"):
        services.create_organisation(
            name="RÄTT NUMMER", kind=OrganisationKind.OTHER, unit=kommun, by=root
        )
    event = AuditEvent.objects.get(action="organisation.create")
    assert event.actor == root and event.target_id == str(org.pk)


def test_region_admin_creates_organisations_in_its_geography_only() -> None:
    region = UnitFactory(code="98", name="Testlän", level=Level.REGION)
    inside = UnitFactory(code="9801", name="Kommun i länet", region=region, parent=region)
    outside = UnitFactory(code="9901", name="Kommun utanför")
    from .factories import OrganisationFactory

    lan = OrganisationFactory(name="Länsstöd", kind=OrganisationKind.LAN_SUPPORT, unit=region)
    admin = member(Role.ADMIN, lan)
    services.create_organisation(
        name="Inuti", kind=OrganisationKind.KOMMUN_SOCIAL, unit=inside, by=admin
    )
    with pytest.raises(PermissionDenied):
        services.create_organisation(
            name="Utanför", kind=OrganisationKind.KOMMUN_SOCIAL, unit=outside, by=admin
        )
    denial = AuditEvent.objects.get(action="auth.permission_denied")
    assert denial.detail["reason"] == "outside_scope"


# --- bootstrap -----------------------------------------------------------------------------


def test_bootstrap_admin_runs_once() -> None:
    User.objects.all().delete()
    password = services.bootstrap_admin()
    assert password and len(password) >= 20
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.check_password(password)
    membership = Membership.objects.get(user=admin)
    assert membership.role == Role.ADMIN
    assert membership.organisation.name == "Datasmart förvaltning"
    assert membership.organisation.unit.code == "00"
    assert services.bootstrap_admin() is None
    assert services.bootstrap_admin("someone-else") is None
    assert User.objects.count() == 1
    assert set(AuditEvent.objects.values_list("action", flat=True)) == {
        "organisation.create",
        "user.create",
        "membership.create",
    }


def test_bootstrap_admin_needs_the_nation_unit(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    User.objects.all().delete()
    monkeypatch.setattr(services, "NATION_CODE", "no-such-unit")
    with pytest.raises(AccountsError, match="load the geography first"):
        services.bootstrap_admin()


def test_bootstrap_admin_creates_nation_org_even_in_empty_geography() -> None:
    # The nation exists in the loaded reference data; a bare database gets it from a factory.
    assert Unit.objects.filter(code="00").exists() or nation_unit()


# --- CLI helpers ---------------------------------------------------------------------------


def test_cli_create_user_by_name_or_id(org: Organisation) -> None:
    password = services.cli_create_user("cli.anvandare", "a@example.se", org.name.upper(), "viewer")
    user = User.objects.get(username="cli.anvandare")
    assert user.check_password(password)
    given = services.cli_create_user("cli.tva", "", str(org.pk), "analyst", password=STRONG)
    assert given == STRONG
    event = AuditEvent.objects.filter(action="user.create").first()
    assert event is not None and event.actor_username == "[system]"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("u1", "", "Finns inte", "viewer"), "Organisation 'Finns inte' not found"),
        (("u2", "", "999999", "viewer"), "Organisation '999999' not found"),
        (("u3", "", "ORG", "chef"), "Okänd roll 'chef'"),
    ],
)
def test_cli_create_user_errors_are_clear(
    org: Organisation, args: tuple[str, ...], message: str
) -> None:
    args = tuple(org.name if a == "ORG" else a for a in args)
    with pytest.raises(AccountsError, match=message) as info:
        services.cli_create_user(*args)
    assert isinstance(info.value, ValueError)


def test_cli_create_token(viewer: User) -> None:
    token, secret = services.cli_create_token(viewer.username, "cli-nyckel")
    assert services.authenticate_api_token(secret) == viewer
    assert token.scope == "read"  # least privilege unless write is asked for
    with pytest.raises(NotFoundError, match="User 'ingen' not found"):
        services.cli_create_token("ingen", "x")


def test_factories_default_password_works(viewer: User) -> None:
    assert viewer.check_password(DEFAULT_PASSWORD)
