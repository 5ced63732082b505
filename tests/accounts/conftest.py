"""Fixtures for the accounts tests."""

from __future__ import annotations

import pytest
from django.utils import translation

from datasmart.accounts.models import Organisation, Role, User

from .factories import OrganisationFactory, member, superuser


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    """Argon2 is deliberately slow; tests only need hashing to work, not to resist attack."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _swedish():  # type: ignore[no-untyped-def]
    """Start every test in Swedish and restore afterwards: a request made in English
    (LocaleMiddleware) leaves English active in the thread."""
    with translation.override("sv"):
        yield


@pytest.fixture
def org(db) -> Organisation:  # type: ignore[no-untyped-def]
    return OrganisationFactory(name="Testkommunens socialtjänst")


@pytest.fixture
def other_org(db) -> Organisation:  # type: ignore[no-untyped-def]
    return OrganisationFactory(name="Annan organisation")


@pytest.fixture
def admin_user(org: Organisation) -> User:
    return member(Role.ADMIN, org, username="orgadmin")


@pytest.fixture
def analyst(org: Organisation) -> User:
    return member(Role.ANALYST, org, username="analytiker")


@pytest.fixture
def viewer(org: Organisation) -> User:
    return member(Role.VIEWER, org, username="lasare")


@pytest.fixture
def root(db) -> User:  # type: ignore[no-untyped-def]
    return superuser(username="root")
