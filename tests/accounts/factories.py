"""factory_boy factories for accounts (and a small one for geo units), for any app's tests.

Import them as ``from tests.accounts.factories import OrganisationFactory, member``.

Units are created with ``get_or_create`` on ``code``: when the real reference data is
loaded (``tests/conftest.py`` does this), ``UnitFactory(code="0180")`` returns Stockholm as
loaded; the default codes (``"9xxx"`` kommuner, ``"9x"`` regions) never clash with real ones.
"""

from __future__ import annotations

from typing import Any

import factory
from factory.django import DjangoModelFactory

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import (
    ApiToken,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    TokenScope,
    User,
)
from datasmart.accounts.services import create_api_token
from datasmart.geo.models import NATION_CODE, Level, Unit

#: The password every ``UserFactory`` user has unless given another.
DEFAULT_PASSWORD = "korrekt-häst-batteri-häftklammer"


class UnitFactory(DjangoModelFactory):
    """A kommun by default; pass ``level``/``code`` for others."""

    class Meta:
        model = Unit
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{9000 + n % 1000}")
    name = factory.Sequence(lambda n: f"Testkommun {n}")
    level = Level.KOMMUN


class RegionUnitFactory(UnitFactory):
    code = factory.Sequence(lambda n: f"9{n % 10}")
    name = factory.Sequence(lambda n: f"Testregion {n}")
    level = Level.REGION


def nation_unit() -> Unit:
    """The nation ("00", Riket): the loaded one if present, else a new one."""
    unit: Unit = UnitFactory(code=NATION_CODE, name="Riket", level=Level.NATION)
    return unit


class OrganisationFactory(DjangoModelFactory):
    """A kommun's social services in a test kommun unless told otherwise."""

    class Meta:
        model = Organisation
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Testorganisation {n}")
    kind = OrganisationKind.KOMMUN_SOCIAL
    unit = factory.SubFactory(UnitFactory)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"anvandare{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.se")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.django.Password(DEFAULT_PASSWORD)


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.VIEWER


def member(role: Role | str, organisation: Organisation | None = None, **user: Any) -> User:
    """A user holding ``role`` in ``organisation`` (a new one if not given)."""
    organisation = organisation or OrganisationFactory()
    membership = MembershipFactory(
        user=UserFactory(**user), organisation=organisation, role=Role(role)
    )
    result: User = membership.user
    return result


def superuser(**user: Any) -> User:
    result: User = UserFactory(is_superuser=True, is_staff=True, **user)
    return result


def make_token(user: User, name: str = "testnyckel", **kwargs: Any) -> tuple[ApiToken, str]:
    """An API token through the real service: ``(token, secret)``. Scope ``write`` unless
    given (the service's default is ``read``), so API tests reach the rights checks."""
    kwargs.setdefault("scope", TokenScope.WRITE)
    return create_api_token(user=user, name=name, by=SYSTEM, **kwargs)


def national_organisation(name: str = "Nationellt kansli (test)") -> Organisation:
    """An organisation at the nation level: its analysts import for every unit and its
    coordinators administer the funding agreements."""
    organisation: Organisation = OrganisationFactory(
        name=name, unit=nation_unit(), kind=OrganisationKind.NATIONAL_OFFICE
    )
    return organisation
