"""Shared fixtures: the real reference data is loaded once per test database.

Tests run against the database named by ``DATABASE_URL`` (SQLite by default, PostgreSQL in
CI); pytest-django creates a fresh test database for each run and every test runs in a
transaction that is rolled back, so the loaded reference data stays as loaded.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    from datasmart.geo.loaders import load_reference_data

    with django_db_blocker.unblock():
        load_reference_data()


@pytest.fixture(autouse=True)
def _clear_cache():  # type: ignore[no-untyped-def]
    """Computed figures are cached per data version; a rolled-back test must not leak them."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():  # type: ignore[no-untyped-def]
    """A request with an English cookie leaves English active in the thread; reset it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
