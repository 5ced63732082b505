"""Imports are limited to the units the analyst's organisation is responsible for.

Before datasmart.indicators.rights an analyst in any kommun could overwrite any unit's
observations nationwide. The catalogue has no owner per indicator, so the scope is by
unit only (see the module's docstring).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from indicators_support import (
    counts,
    test_indicators_fixture,  # noqa: F401  (fixture)
    write_csv,
)
from ninja.testing import TestClient
from tests.accounts.factories import (
    OrganisationFactory,
    make_token,
    member,
    national_organisation,
    superuser,
)

from datasmart.accounts.models import AuditEvent, Role, User
from datasmart.geo.models import Unit
from datasmart.geo.services import units_within
from datasmart.indicators.imports import import_observations
from datasmart.indicators.models import Indicator, Observation

STOCKHOLM_KOMMUN = ["test-proportion,0180,2019,T,,40,200,,"]
REGION_STOCKHOLM = [
    "test-proportion,01,2019,T,,5,10,,",
    "test-proportion,0114,2019,T,,7,10,,",
]
NATIONWIDE = [
    "test-proportion,0180,2019,T,,40,200,,",
    "test-proportion,1280,2019,T,,3,10,,",
    "test-proportion,12,2019,T,,4,10,,",
]


def _analyst(unit_code: str, username: str) -> User:
    kind = "kommun_social" if len(unit_code) == 4 else "region_psychiatry"
    org = OrganisationFactory(unit=Unit.objects.get(code=unit_code), kind=kind)
    return member(Role.ANALYST, org, username=username)


def test_units_within_follow_the_geography(db: Any) -> None:
    region = Unit.objects.get(code="01")
    within = set(units_within(region).values_list("code", flat=True))
    assert {"01", "0180", "0114"} <= within and "1280" not in within and "12" not in within
    assert set(units_within(Unit.objects.get(code="0180")).values_list("code", flat=True)) == {
        "0180"
    }
    assert units_within(Unit.objects.get(code="00")).count() == Unit.objects.count()
    # a sjukvårdsregion: its regions and its kommuner, also those of split Halland
    halmstad = Unit.objects.get(code="1380")
    assert halmstad.sjukvardsregion is not None
    assert units_within(halmstad.sjukvardsregion).filter(code="1380").exists()


def test_a_kommun_analyst_imports_only_for_its_kommun(
    tmp_path: Path, test_indicators: dict[str, Indicator]
) -> None:
    stockholm = _analyst("0180", "stockholm")
    import_observations(write_csv(tmp_path, "egen.csv", STOCKHOLM_KOMMUN), by=stockholm)
    before = counts()
    with pytest.raises(PermissionDenied) as refused:
        import_observations(write_csv(tmp_path, "hela.csv", NATIONWIDE), by=stockholm)
    message = str(refused.value)
    assert "hela.csv" in message and "rad 3: Malmö (1280)" in message
    assert "rad 4: Skåne" in message and "(12)" in message and "rad 2" not in message
    assert counts() == before  # nothing written, not even the own row
    denial = AuditEvent.objects.get(action="auth.permission_denied", actor=stockholm)
    assert denial.detail["rule"] == "indicator_units" and denial.detail["units"] == ["12", "1280"]


def test_a_region_analyst_imports_for_its_lan_and_kommuner(
    tmp_path: Path, test_indicators: dict[str, Indicator]
) -> None:
    region = _analyst("01", "region-stockholm")
    result = import_observations(write_csv(tmp_path, "lan.csv", REGION_STOCKHOLM), by=region)
    assert result.rows == 2
    with pytest.raises(PermissionDenied, match="rad 3: Malmö"):
        import_observations(write_csv(tmp_path, "hela.csv", NATIONWIDE), by=region)


def test_national_analysts_and_the_superuser_import_everywhere(
    tmp_path: Path, test_indicators: dict[str, Indicator]
) -> None:
    national = member(Role.ANALYST, national_organisation(), username="nationell")
    assert import_observations(write_csv(tmp_path, "a.csv", NATIONWIDE), by=national).rows == 3
    root = superuser(username="rot")
    rows = [r.replace("2019", "2020") for r in NATIONWIDE]
    assert import_observations(write_csv(tmp_path, "b.csv", rows), by=root).rows == 3


def test_the_api_refuses_other_units_with_403(test_indicators: dict[str, Indicator]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from datasmart.indicators.api import router

    _token, secret = make_token(_analyst("0114", "vasby"))
    before = Observation.objects.count()  # other tests' committed rows may be there
    content = b"indicator,unit_code,period,sex,age_group,numerator,denominator,value,status\n"
    content += b"test-proportion,0180,2019,T,,40,200,,\n"
    response = TestClient(router).post(
        "/indicator-imports",
        FILES={"file": SimpleUploadedFile("f.csv", content, content_type="text/csv")},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 403
    assert "rad 2: Stockholm (0180)" in response.json()["detail"]
    assert Observation.objects.count() == before


def test_computing_results_is_national(test_indicators: dict[str, Indicator]) -> None:
    """Computing rewrites every unit's results: a kommun analyst is refused, nationally allowed."""
    from datasmart.indicators import results

    code = next(iter(test_indicators.values()))
    with pytest.raises(PermissionDenied):
        results.compute_indicator(code, by=_analyst("0114", "vasby-compute"))
    results.compute_indicator(code, by=member(Role.ANALYST, national_organisation()))
