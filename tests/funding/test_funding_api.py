"""The funding API router (through ninja's TestClient; mount it under /api/funding)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from ninja.testing import TestClient
from openpyxl import load_workbook
from tests.accounts.factories import OrganisationFactory, make_token, member

from datasmart.accounts.models import AuditEvent, Role
from datasmart.funding.api import router
from datasmart.funding.models import AllocationRun
from datasmart.geo.models import Unit

pytestmark = pytest.mark.django_db
client = TestClient(router)
MSEK = 1_000_000


def _headers(role: Role, username: str, unit_code: str = "01") -> dict[str, str]:
    """A token for a member of Region Stockholm ("01") or of SKR ("00": the agreement's
    administrators when the role is coordinator)."""
    kind = "skr" if unit_code == "00" else "region_psychiatry"
    org = OrganisationFactory(unit=Unit.objects.get(code=unit_code), kind=kind)
    _token, secret = make_token(member(role, org, username=username))
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def viewer(agreements: Any) -> dict[str, str]:
    return _headers(Role.VIEWER, "lasare")


@pytest.fixture
def coordinator(agreements: Any) -> dict[str, str]:
    """Region Stockholm's coordinator: answers for Region Stockholm, administers nothing."""
    return _headers(Role.COORDINATOR, "regionsamordnare")


@pytest.fixture
def administrator(agreements: Any) -> dict[str, str]:
    """SKR's coordinator: the agreement's administrator."""
    return _headers(Role.COORDINATOR, "samordnare", "00")


def test_reading_needs_sign_in(agreements: Any) -> None:
    for path in ("/agreements", "/agreements/2020", "/agreements/2020/allocation"):
        assert client.get(path).status_code == 401, path


def test_agreements_and_posts(viewer: dict[str, str]) -> None:
    listed = client.get("/agreements", headers=viewer).json()
    assert [a["year"] for a in listed] == [2020, 2019]
    assert listed[1]["acceptance_summary"] == {"kommun": [288, 290], "region": [21, 21]}
    detail = client.get("/agreements/2020", headers=viewer).json()
    assert detail["total_sek"] == 1_716 * MSEK and len(detail["posts"]) == 12
    youth = next(p for p in detail["posts"] if p["code"] == "ungdomsmottagningar")
    assert youth["key_explained"].startswith("Fördelas efter andel av befolkningen 0–25 år")
    assert youth["recipients"] == 21 and youth["key_params"] == {"age_min": 0, "age_max": 25}
    posts = client.get("/agreements/2020/posts", headers=viewer).json()
    assert [p["code"] for p in posts] == [p["code"] for p in detail["posts"]]
    missing = client.get("/agreements/2031", headers=viewer)
    assert missing.status_code == 404 and "2031" in missing.json()["detail"]


def test_allocation_pages_filters_and_csv(viewer: dict[str, str]) -> None:
    page = client.get("/agreements/2020/allocation?limit=10", headers=viewer).json()
    assert page["count"] == 750 and len(page["items"]) == 10
    assert page["total_sek"] == 1_716 * MSEK and page["population_year"] == 2019
    assert page["next"] and page["run"] is None
    lan = client.get("/agreements/2020/allocation?lan=09&limit=100", headers=viewer).json()
    assert {i["recipient_code"] for i in lan["items"]} == {"09", "0980"}
    assert lan["total_sek"] == 14_953_226
    one = client.get(
        "/agreements/2020/allocation?post=lan-brukarmedverkan&level=lan", headers=viewer
    ).json()
    assert one["count"] == 21 and one["total_sek"] == 24 * MSEK
    response = client.get("/agreements/2020/allocation?format=csv&level=kommun", headers=viewer)
    assert response.status_code == 200
    body = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 580 and sum(int(r["amount_sek"]) for r in rows) == 300 * MSEK


@pytest.mark.parametrize(
    ("query", "status", "text"),
    [
        ("population_year=2024", 422, "bara totalbefolkning"),
        ("post=okand", 422, "Okänd post"),
        ("lan=1", 422, "lan"),
        ("run=99999", 404, "Ingen körning"),
        ("policy=drop", 422, "policy"),
    ],
)
def test_allocation_errors(viewer: dict[str, str], query: str, status: int, text: str) -> None:
    response = client.get(f"/agreements/2020/allocation?{query}", headers=viewer)
    assert response.status_code == status
    assert text in str(response.json())


def test_runs_need_manage_funding_and_denials_are_audited(
    viewer: dict[str, str], coordinator: dict[str, str], administrator: dict[str, str]
) -> None:
    denied = client.post("/agreements/2020/runs", json={}, headers=viewer)
    assert denied.status_code == 403
    # a region's coordinator holds manage_funding in the region, not over the agreement
    assert client.post("/agreements/2020/runs", json={}, headers=coordinator).status_code == 403
    assert AllocationRun.objects.count() == 0
    assert AuditEvent.objects.filter(
        action="auth.permission_denied", actor_username="lasare"
    ).exists()
    assert AuditEvent.objects.filter(
        action="auth.permission_denied", actor_username="regionsamordnare"
    ).exists()
    created = client.post("/agreements/2020/runs", json={"label": "Beslut"}, headers=administrator)
    assert created.status_code == 201, created.json()
    run = created.json()
    assert run["created_by"] == "samordnare" and run["paid_sek"] == 1_716 * MSEK
    history = client.get("/agreements/2020/runs", headers=viewer).json()
    assert history["count"] == 1 and history["items"][0]["id"] == run["id"]
    detail = client.get(f"/runs/{run['id']}", headers=viewer).json()
    assert detail["reproducible"] is True
    assert detail["inputs"]["populations"]["region@2019:0-25"]["01"] == 731_314
    from_run = client.get(f"/agreements/2020/allocation?run={run['id']}", headers=viewer).json()
    assert from_run["run"] == run["id"] and from_run["count"] == 750


def test_scenario(viewer: dict[str, str]) -> None:
    body = client.get("/agreements/2020/scenario?population_year=2024", headers=viewer).json()
    assert body["base_population_year"] == 2019 and body["population_year"] == 2024
    assert body["base_total_sek"] == body["scenario_total_sek"] == 1_716 * MSEK
    assert sum(r["difference_sek"] for r in body["items"]) == 0
    assert body["notes"] and "Ungdomsmottagningarna" in body["notes"][0]
    per_post = client.get(
        "/agreements/2020/scenario?population_year=2024&per=post", headers=viewer
    ).json()
    assert len(per_post["items"]) == 750
    bad = client.get("/agreements/2020/scenario?population_year=2031", headers=viewer)
    assert bad.status_code == 422


def test_annex_downloads(viewer: dict[str, str]) -> None:
    response = client.get("/agreements/2020/annex.xlsx", headers=viewer)
    assert response.status_code == 200
    assert "beslutsbilaga-2020.xlsx" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["Sammanfattning", "Per post och mottagare", "Per mottagare"]
    csv_response = client.get("/agreements/2020/annex.csv", headers=viewer)
    body = csv_response.content.decode("utf-8-sig")
    assert body.splitlines()[0].startswith("post,post_name,recipient_level,recipient_code")
    assert len(body.splitlines()) == 751


def test_surveys_and_reporting(
    agreements: Any,
    coordinator: dict[str, str],
    administrator: dict[str, str],
    viewer: dict[str, str],
) -> None:
    import datetime as dt

    from django.utils import timezone

    from datasmart.accounts.audit import SYSTEM
    from datasmart.funding.services import followup

    followup.create_survey(
        agreements[2020],
        code="regioner",
        title="Redovisning regioner",
        respondent_level="region",
        due_date=timezone.localdate() + dt.timedelta(days=10),
        questions=[{"code": "plan", "text": "Plan?", "type": "yesno", "required": True}],
        by=SYSTEM,
    )
    listed = client.get("/agreements/2020/surveys", headers=coordinator).json()
    assert listed[0]["expected"] == 21 and listed[0]["missing"] == 21
    url = "/agreements/2020/surveys/regioner/responses/01"
    incomplete = client.put(url, json={"answers": {}, "submit": True}, headers=coordinator)
    assert incomplete.status_code == 422 and "obligatorisk" in incomplete.json()["detail"]
    done = client.put(url, json={"answers": {"plan": True}, "submit": True}, headers=coordinator)
    assert done.status_code == 200 and done.json()["status"] == "submitted"
    other = client.put(
        "/agreements/2020/surveys/regioner/responses/03", json={"answers": {}}, headers=coordinator
    )
    assert other.status_code == 403  # the coordinator's organisation is Region Stockholm
    status = client.get("/agreements/2020/surveys/regioner/status", headers=coordinator).json()
    assert {r["unit_code"]: r["status"] for r in status}["01"] == "submitted"
    assert client.get(url, headers=coordinator).status_code == 200  # its own answers
    assert client.get(url, headers=viewer).status_code == 403  # no REPORT_FUNDING
    refused = client.post(f"{url}/reopen", json={"reason": "Fel"}, headers=coordinator)
    assert refused.status_code == 403  # reopening is the administrators'
    reopened = client.post(f"{url}/reopen", json={"reason": "Fel"}, headers=administrator)
    assert reopened.status_code == 200 and reopened.json()["reopened"] == 1
    assert client.get(url, headers=administrator).json()["status"] == "draft"
    assert client.get("/agreements/2020/conditions", headers=coordinator).json() == []
