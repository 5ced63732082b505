"""Shared fixtures: the real reference data is loaded once per test database.

Tests run against the database named by ``DATABASE_URL`` (SQLite by default, PostgreSQL in
CI); pytest-django creates a fresh test database for each run and every test runs in a
transaction that is rolled back, so the loaded reference data stays as loaded.
"""

from __future__ import annotations

import pytest

# The conformance guard (tests/conformance_guard.py) must see every test of the run,
# including under pytest-xdist, so it is a plugin of the root conftest.
pytest_plugins = ["tests.conformance_guard"]


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


@pytest.fixture
def wsgi_db(db):  # type: ignore[no-untyped-def]
    """Database access for tests that call the WSGI app directly (schemathesis).

    Like Django's test client, stop the request start/end handlers from closing the
    database connection, which would end the test's transaction (seen on PostgreSQL).
    """
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield db
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)
