"""Fixtures for the SIP tests; the helpers behind them are in ``sip_support``."""

from __future__ import annotations

import pytest
from django.utils import translation

from .sip_support import SipWorld, make_world


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _swedish():  # type: ignore[no-untyped-def]
    with translation.override("sv"):
        yield


@pytest.fixture
def world(db) -> SipWorld:  # type: ignore[no-untyped-def]
    """A started plan with consent for BUP, a first meeting and plan version 1."""
    return make_world()


@pytest.fixture
def bare_world(db) -> SipWorld:  # type: ignore[no-untyped-def]
    """A started plan without consent, meeting or plan content."""
    return make_world(consent=False)
