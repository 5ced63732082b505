"""Counts are whole numbers; a rate's numerator larger than its denominator is a warning
the importer must confirm (service, API and CLI) — before, both were silently accepted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from indicators_support import test_indicators_fixture, write_csv  # noqa: F401 - fixture
from ninja.testing import TestClient
from tests.accounts.factories import make_token, member, national_organisation
from typer.testing import CliRunner

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import Role
from datasmart.geo.validation import DataLoadError
from datasmart.indicators.api import router
from datasmart.indicators.cli import indicators_app
from datasmart.indicators.imports import ImportNeedsConfirmation, import_observations
from datasmart.indicators.models import Indicator, Observation

api = TestClient(router)
runner = CliRunner()


@pytest.mark.parametrize(
    ("line", "column"),
    [
        ("test-proportion,0180,2020,T,,1.5,10,,", "numerator"),  # 1.5 persons
        ("test-proportion,0180,2020,T,,1,10.5,,", "denominator"),
        ("test-rate,01,2020,T,,2.25,1000,,", "numerator"),
        ("test-count,0180,2020,T,,,,2.5,", "value"),
        ("test-count,0180,2020,T,,3.5,,,", "numerator"),
    ],
)
def test_fractional_counts_are_refused(
    tmp_path: Path, test_indicators: dict[str, Indicator], line: str, column: str
) -> None:
    with pytest.raises(DataLoadError) as caught:
        import_observations(write_csv(tmp_path, "bråk.csv", [line]), by=SYSTEM)
    problem = caught.value.problems[0]
    assert (problem.file, problem.row, problem.column) == ("bråk.csv", 2, column)
    assert "inget heltal" in problem.message
    assert not Observation.objects.exists()


def test_decimal_comma_counts_are_checked_too(
    tmp_path: Path, test_indicators: dict[str, Indicator]
) -> None:
    header = "indicator;unit_code;period;sex;age_group;numerator;denominator;value;status"
    path = write_csv(tmp_path, "excel.csv", ["test-proportion;0180;2020;T;;1,5;10;;"], header)
    with pytest.raises(DataLoadError) as caught:
        import_observations(path, by=SYSTEM)
    assert "'1,5' är inget heltal" in caught.value.problems[0].message


def test_whole_counts_and_fractional_rate_denominators_pass(
    tmp_path: Path, test_indicators: dict[str, Indicator]
) -> None:
    lines = [
        "test-proportion,0180,2020,T,,3.0,10,,",  # 3.0 is a whole number
        "test-rate,01,2020,T,,20,1000.5,,",  # person-time may have decimals
        "test-value,0180,2020,,,,,1.5,",  # published values may have decimals
    ]
    result = import_observations(write_csv(tmp_path, "ok.csv", lines), by=SYSTEM)
    assert result.created and result.rows == 3 and result.warnings == []


def test_rate_numerator_above_denominator_needs_confirmation(
    tmp_path: Path, test_indicators: dict[str, Indicator]
) -> None:
    path = write_csv(
        tmp_path, "kvot.csv", ["test-rate,01,2020,T,,20,1000,,", "test-rate,03,2020,T,,50,40,,"]
    )
    with pytest.raises(ImportNeedsConfirmation) as caught:
        import_observations(path, by=SYSTEM)
    warning = caught.value.warnings[0]
    assert (warning.file, warning.row, warning.column) == ("kvot.csv", 3, "numerator")
    assert "större än nämnaren" in warning.message
    assert "confirm_warnings" in str(caught.value)
    assert not Observation.objects.exists()  # nothing written without confirmation

    result = import_observations(path, by=SYSTEM, confirm_warnings=True)
    assert result.created and result.rows == 2
    assert [(w.row, w.column) for w in result.warnings] == [(3, "numerator")]


def test_proportion_numerator_above_denominator_stays_an_error(
    tmp_path: Path, test_indicators: dict[str, Indicator]
) -> None:
    path = write_csv(tmp_path, "andel.csv", ["test-proportion,0180,2020,T,,11,10,,"])
    with pytest.raises(DataLoadError) as caught:
        import_observations(path, by=SYSTEM, confirm_warnings=True)
    assert not isinstance(caught.value, ImportNeedsConfirmation)


def test_api_confirm_warnings(test_indicators: dict[str, Indicator], db: Any) -> None:
    analyst = member(Role.ANALYST, national_organisation(), username="nationell")
    _token, secret = make_token(analyst)
    auth = {"Authorization": f"Bearer {secret}"}
    content = b"indicator,unit_code,period,sex,age_group,numerator,denominator,value,status\n"
    content += b"test-rate,01,2020,T,,50,40,,\n"

    def upload(query: str = "") -> Any:
        file = SimpleUploadedFile("kvot.csv", content, content_type="text/csv")
        return api.post(f"/indicator-imports{query}", FILES={"file": file}, headers=auth)

    refused = upload()
    assert refused.status_code == 422, refused.content
    body = refused.json()
    assert body["needs_confirmation"] is True
    assert body["problems"][0]["row"] == 2 and body["problems"][0]["column"] == "numerator"
    assert not Observation.objects.exists()

    fraction = content.replace(b",50,40,", b",1.5,40,")
    bad = api.post(
        "/indicator-imports",
        FILES={"file": SimpleUploadedFile("bråk.csv", fraction, content_type="text/csv")},
        headers=auth,
    )
    assert bad.status_code == 422 and bad.json()["needs_confirmation"] is False
    assert "inget heltal" in bad.json()["problems"][0]["message"]

    accepted = upload("?confirm_warnings=true")
    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["warnings"][0]["row"] == 2
    assert Observation.objects.get().numerator == 50


def test_cli_confirm(tmp_path: Path, test_indicators: dict[str, Indicator]) -> None:
    path = write_csv(tmp_path, "kvot.csv", ["test-rate,01,2020,T,,50,40,,"])
    refused = runner.invoke(indicators_app, ["import", str(path)])
    assert refused.exit_code == 2, refused.output
    assert "--confirm" in refused.output and "kvot.csv, rad 2" in refused.output
    assert not Observation.objects.exists()
    accepted = runner.invoke(indicators_app, ["import", str(path), "--confirm"])
    assert accepted.exit_code == 0, accepted.output
    assert "Bekräftad varning" in accepted.output
