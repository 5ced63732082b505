"""Schemathesis over the public geography endpoints: no 500s, responses match the schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from datasmart.config.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application).include(
    path_regex=r"^/api/(units|population|health)"
)


@pytest.mark.usefixtures("wsgi_db")
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_fails(case) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate()
