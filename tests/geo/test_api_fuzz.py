"""Schemathesis over the public geography endpoints: no 500s, responses match the schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from datasmart.config.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application).include(
    path_regex=r"^/api/(units|population|health)"
)


@pytest.fixture
def _db_access(db):  # type: ignore[no-untyped-def]
    """Requests go through the WSGI app in the test's own transaction."""
    return db


@pytest.mark.usefixtures("_db_access")
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_fails(case) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate()
