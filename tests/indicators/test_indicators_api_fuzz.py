"""Schemathesis over the indicator read endpoints, once the router is mounted under /api."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from tests.accounts.factories import make_token, member, national_organisation

from datasmart.accounts.models import Role
from datasmart.api.router import api
from datasmart.config.wsgi import application

MOUNTED = any(
    "/indicators" in path for path in api.get_openapi_schema(path_prefix="/api/")["paths"]
)


@pytest.fixture
def token(wsgi_db):  # type: ignore[no-untyped-def]
    _token, secret = make_token(member(Role.ANALYST, national_organisation(), username="fuzz"))
    return secret


if MOUNTED:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application).include(
        path_regex=r"^/api/(indicators|indicator-imports)", method="GET"
    )
    # NUL in a query parameter is refused with a 422 at the door (RejectNulCharactersMiddleware,
    # tests/web/test_nul_characters.py): schema-valid but impossible, so not the "positive
    # data" this check expects to be accepted.
    schema.config.generation.update(allow_x00=False)

    @schema.parametrize()
    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
    def test_indicator_api_never_fails(case, token) -> None:  # type: ignore[no-untyped-def]
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"})

else:

    @pytest.mark.skip(reason="indicator router not mounted in datasmart/api/router.py yet")
    def test_indicator_api_never_fails() -> None:
        """Runs once ``api.add_router("/", "datasmart.indicators.api.router")`` is added."""
