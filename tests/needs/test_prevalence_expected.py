"""Prevalence as data, published projections, expected cases, gaps, scenarios and the
needs pages (issue #13 §2–4)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from django.conf import settings

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import AuditEvent, Organisation, Role
from datasmart.needs import expected, prevalence, published, scenarios
from datasmart.needs.models import (
    NeedsScenario,
    PrevalenceEstimate,
    PrevalenceVersion,
    PublishedProjectionPoint,
)
from tests.accounts.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db

HEADER = "condition,measure,age_band,sex,prevalence_low_pct,prevalence_central_pct,prevalence_high_pct,citation,use_in_needs\n"  # noqa: E501
GOOD = "ADHD,prevalence,6-17,T,2,5,6,SBU,1\n"


@pytest.fixture
def loaded() -> None:
    prevalence.load_prevalence()
    published.load_projections()


def _file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_reference_and_added_files_load(loaded: None) -> None:
    assert PrevalenceEstimate.objects.filter(origin="prevalence_estimates.csv").count() == 40
    assert PrevalenceEstimate.objects.filter(use_in_needs=True).count() >= 15
    assert PrevalenceVersion.objects.count() == PrevalenceEstimate.objects.count()
    assert all(e.publication for e in PrevalenceEstimate.objects.all())
    assert PublishedProjectionPoint.objects.count() == 328 + 288
    assert AuditEvent.objects.filter(action="needs.prevalence_loaded").exists()


@pytest.mark.parametrize(
    ("body", "field", "row"),
    [
        ("ADHD,prevalence,6-17,T,2,5,101,SBU,1\n", "prevalence_high_pct", 2),
        ("ADHD,prevalence,6-17,T,6,5,4,SBU,1\n", "low", 2),
        ("Hiccups,prevalence,6-17,T,2,5,6,SBU,1\n", "condition", 2),
        (GOOD + "ADHD,prevalence,10-24,T,2,5,6,SBU,1\n", "age_band", 3),
        (GOOD + "ADHD,prevalence,16-19,2,2,5,6,Other,1\n", "age_band", 3),
        ("ADHD,prevalence,6-17,T,2,5,6,,1\n", "citation", 2),
        ("ADHD,prevalence,about six,T,2,5,6,SBU,0\n", "age_band", 2),
    ],
)
def test_bad_file_refused_whole_naming_row_and_field(
    tmp_path: Path, body: str, field: str, row: int
) -> None:
    with pytest.raises(prevalence.PrevalenceFileError) as err:
        prevalence.load_prevalence([_file(tmp_path, body)])
    assert err.value.field == field and err.value.row == row
    assert "bad.csv" in str(err.value)
    assert not PrevalenceEstimate.objects.exists()


def test_second_file_error_saves_nothing_from_first(tmp_path: Path) -> None:
    bad = _file(tmp_path, "ADHD,prevalence,6-17,T,2,5,600,SBU,1\n")
    with pytest.raises(prevalence.PrevalenceFileError):
        prevalence.load_prevalence([Path(settings.DATA_DIR) / prevalence.REFERENCE_FILE, bad])
    assert not PrevalenceEstimate.objects.exists()


def test_admin_change_is_versioned_and_audited(loaded: None) -> None:
    est = PrevalenceEstimate.objects.filter(use_in_needs=True, condition="adhd").first()
    assert est is not None
    est.central = 0.045
    prevalence.save_estimate(est, by=SYSTEM)
    est.refresh_from_db()
    assert est.version == 2
    assert list(est.versions.values_list("version", flat=True)) == [2, 1]
    assert AuditEvent.objects.filter(action="needs.prevalence_changed").exists()
    est.low = 0.9
    with pytest.raises(prevalence.PrevalenceFileError):
        prevalence.save_estimate(est, by=SYSTEM)


def test_save_estimate_refused_for_non_superuser(loaded: None) -> None:
    from django.core.exceptions import PermissionDenied

    user = member(Role.ANALYST)
    est = PrevalenceEstimate.objects.first()
    assert est is not None
    with pytest.raises(PermissionDenied):
        prevalence.save_estimate(est, by=user)


def test_projection_file_age_groups_must_add_up(tmp_path: Path) -> None:
    src = Path(settings.DATA_DIR) / "projections"
    dst = tmp_path / "projections"
    dst.mkdir()
    for name in ("halland_riket_total_2000_2040.csv", "halland_riket_agegroups_2000_2040.csv"):
        (dst / name).write_text((src / name).read_text(encoding="utf-8"), encoding="utf-8")
    text = (
        (dst / "halland_riket_agegroups_2000_2040.csv")
        .read_text(encoding="utf-8")
        .replace(",observed,10059", ",observed,19059", 1)
    )
    (dst / "halland_riket_agegroups_2000_2040.csv").write_text(text, encoding="utf-8")
    with pytest.raises(published.ProjectionFileError):
        published.load_projections(tmp_path)
    assert not PublishedProjectionPoint.objects.exists()


def test_expected_is_prevalence_times_population(loaded: None) -> None:
    out = expected.expected_rows("kommun", "1380", condition="adhd", horizon=0)
    row = next(r for r in out["rows"] if r["age_band"] == "6-17")
    assert row["expected_central"] == pytest.approx(
        row["population"] * row["share_central"], abs=0.1
    )
    assert row["expected_low"] <= row["expected_central"] <= row["expected_high"]


def test_expected_range_widens_with_projection_error(loaded: None) -> None:
    cube = expected.population_cube("kommun", "1380")
    b = expected.basis("adhd")
    _n, e = expected.expected_arrays(cube, b)
    width = (e[..., 2] - e[..., 0]) / np.maximum(e[..., 1], 1)
    if cube.error_known:
        assert (width[2] > width[0]).all()
    assert e.shape[:2] == (3, 1)


def test_pages_render(client, loaded: None) -> None:  # type: ignore[no-untyped-def]
    for url in (
        "/behov/kallor/",
        "/behov/enhet/1380/",
        "/behov/lan/13/",
        "/behov/lan/13/?horisont=5",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get("/behov/kallor/").content.decode()
    assert "sannolikt i underkant" in page and "Idring" in page
    assert client.get("/behov/lan/1380/").status_code == 404
    assert client.get("/behov/lan/13/rapport.xlsx").content[:2] == b"PK"
    assert client.get("/behov/lan/13/rapport.pdf").content[:4] == b"%PDF"


def test_lan_horizon_changes_numbers(client, loaded: None) -> None:  # type: ignore[no-untyped-def]
    five = client.get("/behov/lan/13/?horisont=5").content.decode()
    ten = client.get("/behov/lan/13/?horisont=10").content.decode()
    assert five != ten


def test_api_expected_and_gaps(client, loaded: None) -> None:  # type: ignore[no-untyped-def]
    data = client.get("/api/needs/expected?level=region&unit=13&horizon=10").json()
    assert data["rows"] and all(r["horizon"] == 10 for r in data["rows"])
    assert client.get("/api/needs/expected?condition=nope").status_code == 422
    assert client.get("/api/needs/gaps?unit=13").status_code == 200
    assert client.get("/api/needs/prevalence").status_code == 200


def test_scenario_only_by_analyst_of_owning_organisation(loaded: None) -> None:
    from django.core.exceptions import PermissionDenied

    from datasmart.geo.models import Unit

    org: Organisation = OrganisationFactory(unit=Unit.objects.get(code="1380"))  # type: ignore[assignment]
    analyst = member(Role.ANALYST, org)
    viewer = member(Role.VIEWER, org)
    sc = scenarios.save_scenario(
        by=analyst, organisation=org, unit_code="1380", name="Hög", prevalence_variant="high"
    )
    assert AuditEvent.objects.filter(action="needs.scenario_saved").exists()
    with pytest.raises(PermissionDenied):
        scenarios.save_scenario(by=viewer, organisation=org, unit_code="1380", name="x")
    with pytest.raises(PermissionDenied):
        scenarios.save_scenario(by=analyst, organisation=org, unit_code="0180", name="x")
    with pytest.raises(scenarios.ScenarioError):
        scenarios.save_scenario(by=analyst, organisation=org, unit_code="1380", name="")
    compared = scenarios.compare([sc])
    assert compared[0]["values"]
    assert NeedsScenario.objects.count() == 1
