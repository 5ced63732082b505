"""The indicator API router (through ninja's TestClient; mount it in api/router.py)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from indicators_support import HEADER, test_indicators_fixture, write_csv  # noqa: F401
from ninja.testing import TestClient
from tests.accounts.factories import make_token, member, national_organisation

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import AuditEvent, Role
from datasmart.indicators.api import router
from datasmart.indicators.imports import import_observations
from datasmart.indicators.models import Indicator, Observation

client = TestClient(router)

ROWS = [
    "test-value,0114,2020,T,,,,23.5,",
    "test-value,0115,2020,T,,,,,missing",
    "test-value,0114,2021,T,,,,24.5,",
]


def _auth(role: Role, username: str) -> dict[str, str]:
    """A token for a member of a national organisation (imports for every unit)."""
    organisation = national_organisation() if role == Role.ANALYST else None
    _token, secret = make_token(member(role, organisation, username=username))
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def analyst_headers(db: Any) -> dict[str, str]:
    return _auth(Role.ANALYST, "analytiker")


@pytest.fixture
def loaded(tmp_path: Path, test_indicators: dict[str, Indicator]) -> dict[str, Indicator]:
    import_observations(write_csv(tmp_path, "api.csv", ROWS), by=SYSTEM)
    return test_indicators


def test_catalogue_is_public_like_its_pages(loaded: dict[str, Indicator]) -> None:
    assert client.get("/indicators").status_code == 200
    assert client.get("/indicators/test-value").status_code == 200
    bad = client.get("/indicators", headers={"Authorization": "Bearer ds_nope"})
    assert bad.status_code == 401


def test_catalogue_list_and_detail(
    loaded: dict[str, Indicator], analyst_headers: dict[str, str]
) -> None:
    listed = client.get("/indicators?group=test", headers=analyst_headers)
    assert listed.status_code == 200
    codes = [i["code"] for i in listed.json()]
    assert codes == sorted(codes) and "test-value" in codes
    by_level = client.get("/indicators?group=test&level=nation", headers=analyst_headers).json()
    assert [i["code"] for i in by_level] == ["test-popden"]
    detail = client.get("/indicators/test-value", headers=analyst_headers)
    assert detail.status_code == 200
    body = detail.json()
    assert body["observation_count"] == 3 and body["periods"] == [2020, 2021]
    assert body["type"] == "value" and body["value_min"] == 0
    missing = client.get("/indicators/no-such", headers=analyst_headers)
    assert missing.status_code == 404 and "no-such" in missing.json()["detail"]


def test_observations_json_and_csv(
    loaded: dict[str, Indicator], analyst_headers: dict[str, str]
) -> None:
    page = client.get(
        "/indicators/test-value/observations?period=2020", headers=analyst_headers
    ).json()
    assert page["count"] == 2
    first = page["items"][0]
    assert (first["unit_code"], first["value"], first["status"]) == ("0114", 23.5, "ok")
    assert page["items"][1]["status"] == "missing" and page["items"][1]["value"] is None
    one = client.get(
        "/indicators/test-value/observations?unit=0114&period_from=2021", headers=analyst_headers
    ).json()
    assert [i["period"] for i in one["items"]] == [2021]
    unknown = client.get("/indicators/test-value/observations?unit=9999", headers=analyst_headers)
    assert unknown.status_code == 404
    csv_response = client.get(
        "/indicators/test-value/observations?format=csv", headers=analyst_headers
    )
    text = csv_response.content.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("indicator,unit_code,unit_name,period") and len(lines) == 4


def test_import_history(loaded: dict[str, Indicator], analyst_headers: dict[str, str]) -> None:
    history = client.get("/indicator-imports?indicator=test-value", headers=analyst_headers)
    assert history.status_code == 200
    item = history.json()["items"][0]
    assert item["file_name"] == "api.csv" and item["row_count"] == 3
    assert item["indicators"] == ["test-value"] and item["actor_username"] == "[system]"


def _upload(headers: dict[str, str], content: bytes, name: str = "upp.csv") -> Any:
    return client.post(
        "/indicator-imports",
        FILES={"file": SimpleUploadedFile(name, content, content_type="text/csv")},
        headers=headers,
    )


def test_upload_import(
    test_indicators: dict[str, Indicator], analyst_headers: dict[str, str]
) -> None:
    content = (HEADER + "\n" + "\n".join(ROWS) + "\n").encode()
    created = _upload(analyst_headers, content)
    assert created.status_code == 201, created.json()
    assert created.json()["created"] is True and created.json()["batch"]["row_count"] == 3
    again = _upload(analyst_headers, content)
    assert again.status_code == 200 and again.json()["created"] is False
    bad = _upload(analyst_headers, (HEADER + "\ntest-value,9999,2020,T,,,,1,\n").encode())
    assert bad.status_code == 422
    (problem,) = bad.json()["problems"]
    assert problem == {
        "file": "upp.csv",
        "row": 2,
        "column": "unit_code",
        "message": "okänd enhetskod '9999'",
    }


def test_upload_needs_import_right(test_indicators: dict[str, Indicator]) -> None:
    viewer = _auth(Role.VIEWER, "lasare")
    before = Observation.objects.count()
    denied = _upload(viewer, (HEADER + "\n" + ROWS[0] + "\n").encode())
    assert denied.status_code == 403
    assert Observation.objects.count() == before
    assert AuditEvent.objects.filter(
        action="auth.permission_denied", actor_username="lasare"
    ).exists()
    assert client.post("/indicator-imports", FILES={"file": io.BytesIO(b"")}).status_code == 401
