"""``datasmart funding …`` commands (the typer app, before it is mounted)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from tests.accounts.factories import OrganisationFactory, member
from typer.testing import CliRunner

from datasmart.accounts.models import AuditEvent, Role
from datasmart.funding.cli import funding_app
from datasmart.funding.models import Agreement, AllocationRun
from datasmart.geo.models import Unit

pytestmark = pytest.mark.django_db
runner = CliRunner()
MSEK = 1_000_000


def test_load_is_idempotent(db):  # type: ignore[no-untyped-def]
    first = runner.invoke(funding_app, ["load"])
    assert first.exit_code == 0, first.output
    assert "2020" in first.output and "ny" in first.output
    again = runner.invoke(funding_app, ["load"])
    assert again.exit_code == 0 and again.output.count("oförändrad") == 2
    assert Agreement.objects.count() == 2


def test_allocate_json_is_a_list_of_objects(agreements):  # type: ignore[no-untyped-def]
    result = runner.invoke(funding_app, ["allocate", "2020", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert isinstance(rows, list) and len(rows) == 750
    for key in ("post", "recipient_code", "recipient_name", "amount_sek", "withheld"):
        assert key in rows[0]
    assert sum(r["amount_sek"] for r in rows) == 1_716 * MSEK
    youth = {r["recipient_code"]: r for r in rows if r["post"] == "ungdomsmottagningar"}
    assert youth["01"]["amount_sek"] == 35_062_411 and youth["01"]["recipient_name"] == "Stockholm"
    assert AllocationRun.objects.count() == 0  # a preview saves nothing


def test_allocate_csv_and_filters(agreements):  # type: ignore[no-untyped-def]
    result = runner.invoke(
        funding_app, ["allocate", "2020", "--format", "csv", "--lan", "09", "--level", "kommun"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["post"], r["recipient_code"]) for r in rows] == [
        ("kommuner-utvecklingsarbete", "0980"),
        ("kommuner-kunskapsbaserad-vard", "0980"),
    ]
    assert rows[0]["recipient_name"] == "Gotland" and int(rows[0]["amount_sek"]) > 0


def test_allocate_table_and_2019(agreements):  # type: ignore[no-untyped-def]
    result = runner.invoke(funding_app, ["allocate", "2019"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.replace("\xa0", " ").split())
    assert "Ej fördelat" in text and "Summa 1 774 000 000 kr" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["allocate", "2031"], "Ingen överenskommelse för år 2031"),
        (["allocate", "2020", "--population-year", "2024"], "bara totalbefolkning"),
        (["allocate", "2020", "--population-year", "2015"], "ingen befolkning per kommun"),
        (["allocate", "2020", "--post", "okand"], "Okänd post 'okand'"),
        (["scenario", "2020", "--population-year", "2031"], "ingen befolkning"),
    ],
)
def test_clear_errors_exit_2(agreements, args, message):  # type: ignore[no-untyped-def]
    result = runner.invoke(funding_app, args)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_allocate_policy_option_rejects_unknown(agreements):  # type: ignore[no-untyped-def]
    result = runner.invoke(funding_app, ["allocate", "2020", "--policy", "drop"])
    assert result.exit_code == 2


def test_save_as_user_checks_rights(agreements):  # type: ignore[no-untyped-def]
    org = OrganisationFactory(unit=Unit.objects.get(code="01"), kind="region_psychiatry")
    member(Role.VIEWER, org, username="lasare")
    member(Role.COORDINATOR, org, username="regionsamordnare")
    skr = OrganisationFactory(unit=Unit.objects.get(code="00"), kind="skr")
    member(Role.COORDINATOR, skr, username="samordnare")
    denied = runner.invoke(funding_app, ["allocate", "2020", "--save", "--user", "lasare"])
    assert denied.exit_code == 2 and AllocationRun.objects.count() == 0
    # a region's coordinator does not save the national allocation either
    region = runner.invoke(
        funding_app, ["allocate", "2020", "--save", "--user", "regionsamordnare"]
    )
    assert region.exit_code == 2 and "behörighet" in region.output
    assert AllocationRun.objects.count() == 0
    assert AuditEvent.objects.filter(action="auth.permission_denied").count() == 2
    ok = runner.invoke(
        funding_app, ["allocate", "2020", "--save", "--user", "samordnare", "--format", "json"]
    )
    assert ok.exit_code == 0, ok.output
    run = AllocationRun.objects.get()
    assert run.created_by_username == "samordnare"
    runs = runner.invoke(funding_app, ["runs", "2020", "--format", "json"])
    assert json.loads(runs.stdout)[0]["id"] == run.pk
    same = runner.invoke(funding_app, ["reproduce", str(run.pk)])
    assert same.exit_code == 0 and "exakt samma" in same.output


def test_scenario_per_recipient_json(agreements):  # type: ignore[no-untyped-def]
    result = runner.invoke(
        funding_app, ["scenario", "2020", "--population-year", "2024", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert sum(r["difference_sek"] for r in rows) == 0
    assert {r["recipient_code"] for r in rows} >= {"0180", "01", "SKR"}
    assert "använder 2019" in " ".join(result.output.split())


def test_annex_files(agreements, tmp_path: Path):  # type: ignore[no-untyped-def]
    xlsx = tmp_path / "bilaga.xlsx"
    result = runner.invoke(funding_app, ["annex", "2020", "-o", str(xlsx)])
    assert result.exit_code == 0, result.output
    wb = load_workbook(xlsx)
    assert wb.sheetnames == ["Sammanfattning", "Per post och mottagare", "Per mottagare"]
    lines = list(wb["Per post och mottagare"].iter_rows(values_only=True))
    assert lines[0][0] == "Post (kod)" and len(lines) == 751
    assert sum(r[6] for r in lines[1:]) == 1_716 * MSEK
    per = {r[0]: r for r in wb["Per mottagare"].iter_rows(min_row=2, values_only=True)}
    assert per["SKR"][3] == 22 * MSEK
    assert per["0180"][5] == 974_073  # Stockholm kommun, 31 Dec 2019
    path = tmp_path / "bilaga.csv"
    assert runner.invoke(funding_app, ["annex", "2020", "-o", str(path)]).exit_code == 0
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    assert len(rows) == 750 and rows[0]["post"] == "regioner-utvecklingsarbete"


def test_reporting(agreements):  # type: ignore[no-untyped-def]
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
    followup.save_response(survey, unit_code="01", answers={"plan": True}, by=SYSTEM)
    summary = runner.invoke(funding_app, ["reporting", "2020", "--format", "json"])
    assert summary.exit_code == 0, summary.output
    [row] = json.loads(summary.stdout)
    assert (row["expected"], row["draft"], row["missing"], row["late"]) == (21, 1, 20, 21)
    late = runner.invoke(
        funding_app, ["reporting", "2020", "--survey", "regioner", "--late", "--format", "csv"]
    )
    assert late.exit_code == 0 and len(late.stdout.splitlines()) == 22
    missing = runner.invoke(funding_app, ["reporting", "2020", "--survey", "nej"])
    assert missing.exit_code == 2
