"""Needs admin: results (projection runs, imported and published projections) are
read-only; scenario edits and prevalence deletions are audited like the accounts admin."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from datasmart.accounts.models import AuditEvent, Organisation
from datasmart.geo.models import Unit
from datasmart.needs import prevalence
from datasmart.needs.imports import import_projection
from datasmart.needs.models import (
    ImportedProjection,
    NeedsScenario,
    PrevalenceEstimate,
    ProjectionRun,
)
from tests.accounts.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client) -> Client:
    user = get_user_model().objects.create_superuser("needs-admin", "n@example.org", "x" * 20)
    client.force_login(user)
    return client


def test_results_are_read_only(admin_client: Client, tmp_path: Path) -> None:
    run = ProjectionRun.objects.create(fingerprint="f" * 64, base_year=2019, parameters={"a": 1})
    path = tmp_path / "p.csv"
    lines = [f"0180,{'100+' if a == 100 else a},{s},2025,1" for s in (1, 2) for a in range(101)]
    path.write_text("region,age,sex,year,population\n" + "\n".join(lines) + "\n", "utf-8")
    import_projection(path, scenario="t", title="T", publisher="P")
    imported = ImportedProjection.objects.get()
    for model, obj in (("projectionrun", run), ("importedprojection", imported)):
        base = f"/admin/needs/{model}/"
        assert admin_client.get(base).status_code == 200
        page = admin_client.get(f"{base}{obj.pk}/change/")
        assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
        assert admin_client.get(f"{base}add/").status_code == 403
        assert admin_client.post(f"{base}{obj.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ProjectionRun.objects.filter(pk=run.pk).exists()
    assert ImportedProjection.objects.filter(pk=imported.pk).exists()
    assert admin_client.get("/admin/needs/publishedprojectionpoint/").status_code == 200


def test_scenario_admin_change_is_audited(admin_client: Client) -> None:
    org: Organisation = OrganisationFactory(unit=Unit.objects.get(code="1380"))  # type: ignore[assignment]
    sc = NeedsScenario.objects.create(
        organisation=org, unit=org.unit, name="A", created_by="x", comment=""
    )
    response = admin_client.post(
        f"/admin/needs/needsscenario/{sc.pk}/change/",
        {
            "organisation": org.pk,
            "unit": sc.unit_id,
            "name": "B",
            "projection_variant": "platform",
            "prevalence_variant": "high",
            "comment": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(action="needs.needsscenario.update")
    assert "name" in event.detail["fields"]


def test_prevalence_deletion_is_audited(admin_client: Client) -> None:
    prevalence.load_prevalence()
    est = PrevalenceEstimate.objects.filter(use_in_needs=False).first()
    assert est is not None
    response = admin_client.post(
        f"/admin/needs/prevalenceestimate/{est.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not PrevalenceEstimate.objects.filter(pk=est.pk).exists()
    event = AuditEvent.objects.get(action="needs.prevalence_deleted")
    assert event.detail["condition"] == est.condition
