"""Funding pages (Swedish): agreement list and page, scenario, annex downloads, saving runs."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from tests.accounts.factories import OrganisationFactory, member

from datasmart.accounts.models import AuditEvent, Role, User
from datasmart.funding.models import AllocationRun
from datasmart.geo.models import Unit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "funding_test_urls"


def _user(role: Role, username: str, unit_code: str = "01") -> User:
    """A member of Region Stockholm, or of SKR ("00": the agreement's administrators)."""
    kind = "skr" if unit_code == "00" else "region_psychiatry"
    org = OrganisationFactory(unit=Unit.objects.get(code=unit_code), kind=kind)
    return member(role, org, username=username)


@pytest.fixture
def viewer_client(agreements: Any) -> Client:
    c = Client()
    c.force_login(_user(Role.VIEWER, "lasare"))
    return c


@pytest.fixture
def coordinator_client(agreements: Any) -> Client:
    c = Client()
    c.force_login(_user(Role.COORDINATOR, "samordnare", "00"))
    return c


def test_pages_need_sign_in(agreements: Any) -> None:
    response = Client().get(reverse("funding:agreement", args=[2020]))
    assert response.status_code == 302 and "/konto/" in response["Location"]


def test_list_and_agreement_page(viewer_client: Client) -> None:
    listed = viewer_client.get(reverse("funding:list"))
    assert listed.status_code == 200
    assert "Förslag till överenskommelse om psykisk hälsa 2020" in listed.content.decode()
    page = viewer_client.get(reverse("funding:agreement", args=[2020]))
    assert page.status_code == 200
    html = page.content.decode()
    assert (
        "Fördelas efter andel av befolkningen 0–25 år i varje region, "
        "befolkning 31 december 2019." in html
    )
    assert 'data-figure="map-figure"' in html and 'id="map-figure"' in html
    assert "1\xa0716\xa0000\xa0000 kr" in html
    assert reverse("funding:annex_xlsx", args=[2020]) in html
    assert "Spara fördelningen" not in html  # viewers cannot save runs
    assert "<script>" not in html.replace('<script id="map-figure"', "")  # CSP: no inline JS


def test_agreement_page_filters(viewer_client: Client) -> None:
    url = reverse("funding:agreement", args=[2020])
    page = viewer_client.get(url, {"niva": "kommun", "post": "kommuner-utvecklingsarbete"})
    html = page.content.decode()
    assert "Bjurholm" in html and "Fördelas efter andel av befolkningen i varje kommun" in html
    kr = viewer_client.get(url, {"niva": "region", "visa": "kr", "sort": "namn"}).content.decode()
    assert kr.index(">Blekinge<") < kr.index(">Västra Götaland<")
    junk = viewer_client.get(url, {"niva": "x", "post": "<script>", "sort": "x"})
    assert junk.status_code == 200


def test_2019_page_says_what_is_missing(viewer_client: Client) -> None:
    html = viewer_client.get(reverse("funding:agreement", args=[2019])).content.decode()
    assert "288 av 290" in html and "Källan anger inte" in html
    assert "map-figure" not in html
    assert viewer_client.get(reverse("funding:agreement", args=[2031])).status_code == 404


def test_scenario_page(viewer_client: Client) -> None:
    url = reverse("funding:scenario", args=[2020])
    html = viewer_client.get(url, {"ar": "2024", "niva": "kommun"}).content.decode()
    assert "Skillnader per mottagare" in html and "använder 2019" in html
    assert 'data-figure="diff-figure"' in html
    region = viewer_client.get(url, {"ar": "2010"}).content.decode()
    assert "ingen befolkning per kommun för 2010" in region  # kommun posts keep 2019
    assert viewer_client.get(url, {"ar": "abc"}).status_code == 200


def test_annex_downloads(viewer_client: Client) -> None:
    xlsx = viewer_client.get(reverse("funding:annex_xlsx", args=[2020]))
    assert xlsx.status_code == 200
    wb = load_workbook(io.BytesIO(xlsx.content))
    assert "Per mottagare" in wb.sheetnames
    csv = viewer_client.get(reverse("funding:annex_csv", args=[2020]))
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert len(text.splitlines()) == 751


def test_save_run_needs_manage_funding(viewer_client: Client, coordinator_client: Client) -> None:
    url = reverse("funding:run_create", args=[2020])
    assert viewer_client.post(url, {"label": "x"}).status_code == 403
    region = Client()
    region.force_login(_user(Role.COORDINATOR, "regionsamordnare"))
    assert (
        "Spara fördelningen"
        not in region.get(reverse("funding:agreement", args=[2020])).content.decode()
    )
    assert region.post(url, {"label": "x"}).status_code == 403
    assert AllocationRun.objects.count() == 0
    assert AuditEvent.objects.filter(action="auth.permission_denied").exists()
    page = coordinator_client.get(reverse("funding:agreement", args=[2020])).content.decode()
    assert "Spara fördelningen" in page
    response = coordinator_client.post(url, {"label": "Underlag"}, follow=True)
    assert response.status_code == 200
    run = AllocationRun.objects.get()
    assert run.label == "Underlag" and run.created_by_username == "samordnare"
    assert f"körning nr {run.pk}" in response.content.decode()
    annex = coordinator_client.get(reverse("funding:annex_xlsx", args=[2020]), {"korning": run.pk})
    assert f"korning-{run.pk}" in annex["Content-Disposition"]


def test_admin_is_read_only(agreements: Any, admin_client: Client) -> None:
    from datasmart.accounts.audit import SYSTEM
    from datasmart.funding.services import run_allocation

    run = run_allocation(agreements[2020], by=SYSTEM)
    for name in ("agreement", "acceptance", "allocationrun", "allocationline"):
        assert admin_client.get(reverse(f"admin:funding_{name}_changelist")).status_code == 200
        assert admin_client.get(reverse(f"admin:funding_{name}_add")).status_code == 403
    detail = admin_client.get(reverse("admin:funding_allocationrun_change", args=[run.pk]))
    assert detail.status_code == 200


def test_reporting_page(viewer_client: Client, agreements: Any) -> None:
    import datetime as dt

    from datasmart.accounts.audit import SYSTEM
    from datasmart.funding.services import followup

    survey = followup.create_survey(
        agreements[2020],
        code="regioner",
        title="Redovisning regioner",
        respondent_level="region",
        due_date=dt.date(2020, 11, 30),
        questions=[{"code": "plan", "text": "Plan?", "type": "yesno"}],
        by=SYSTEM,
    )
    followup.save_response(survey, unit_code="01", answers={"plan": True}, submit=True, by=SYSTEM)
    url = reverse("funding:reporting", args=[2020])
    html = viewer_client.get(url).content.decode()
    assert "Redovisning regioner" in html and "Inskickad" in html and "Inte påbörjad" in html
    late = viewer_client.get(url, {"enkat": "regioner", "sena": "1"}).content.decode()
    assert late.count("<strong>Ja</strong>") == 21  # submitted after the 2020 due date too
