"""Follow-up through the API (read, record, list, compare units; denials and bad input)
and the CLI (json, table, pdf, xlsx; one Swedish message and exit 2 for bad input)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from typer.testing import CliRunner

from datasmart.accounts.models import Role
from datasmart.cli import app
from datasmart.plans.models import FollowUp
from tests.accounts.factories import make_token
from tests.plans.plans_support import PlanWorld, make_plan_world
from tests.plans.test_followup import _agreed_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> PlanWorld:
    return make_plan_world()


def _client(world: PlanWorld, org: str, role: Role) -> Client:
    _token, secret = make_token(world.user(org, role))
    return Client(headers={"authorization": f"Bearer {secret}"})


def test_api_follow_up_record_and_list(world: PlanWorld) -> None:
    plan = _agreed_plan(world)
    anon = Client()
    got = anon.get(f"/api/plans/{plan.pk}/follow-up", {"year": 2023})
    assert got.status_code == 200, got.content
    body = got.json()
    [row] = body["indicators"]
    assert row["judgement"] == "on_track" and row["value_rounded"] == 39.0
    assert row["trend"] == "increasing" and body["overdue"] == ["Utbilda skolpersonal"]
    assert "Bedömningsregel" in body["rule"]
    assert anon.get(f"/api/plans/{plan.pk}/follow-up", {"year": 1990}).status_code == 422
    assert anon.get(f"/api/plans/{plan.pk}/follow-up", {"year": "x"}).status_code == 422
    assert anon.get("/api/plans/999999/follow-up").status_code == 404
    # record: anonymous 401, another kommun's coordinator 403, the owner's analyst 201
    url = f"/api/plans/{plan.pk}/follow-ups"
    payload = {"year": 2023, "note": "API"}
    assert anon.post(url, payload, content_type="application/json").status_code == 401
    other = _client(world, "malmo", Role.COORDINATOR)
    assert other.post(url, payload, content_type="application/json").status_code == 403
    viewer = _client(world, "stockholm", Role.VIEWER)
    assert viewer.post(url, payload, content_type="application/json").status_code == 403
    analyst = _client(world, "stockholm", Role.ANALYST)
    made = analyst.post(url, payload, content_type="application/json")
    assert made.status_code == 201, made.content
    assert made.json()["snapshot"]["indicators"][0]["judgement"] == "on_track"
    too_long = {"year": 2023, "note": "x" * 6000}
    assert analyst.post(url, too_long, content_type="application/json").status_code == 422
    listed = anon.get(url).json()
    assert [f["note"] for f in listed] == ["API"] and FollowUp.objects.count() == 1


def test_api_hidden_plan_is_404_and_compare_units(world: PlanWorld) -> None:
    plan = _agreed_plan(world)
    plan.visibility = "parties"
    plan.save()
    outsider = _client(world, "malmo", Role.ANALYST)
    assert outsider.get(f"/api/plans/{plan.pk}/follow-up").status_code == 404
    assert outsider.get(f"/api/plans/{plan.pk}/follow-ups").status_code == 404
    cmp_url = "/api/plans/compare-units"
    hidden = outsider.get(cmp_url, {"indicator": "fu-andel", "lan": "01", "year": 2023})
    assert hidden.status_code == 200 and hidden.json()["rows"] == []
    own = _client(world, "stockholm", Role.VIEWER)
    seen = own.get(cmp_url, {"indicator": "fu-andel", "lan": "01", "year": 2023}).json()
    assert [r["unit"] for r in seen["rows"]] == ["0180"]
    assert seen["rows"][0]["judgement"] == "on_track"
    bad = own.get(cmp_url, {"indicator": "finns-inte", "lan": "01"})
    assert bad.status_code == 422 and "indikator" in bad.json()["detail"]


def test_cli_formats(world: PlanWorld, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    plan = _agreed_plan(world)
    runner = CliRunner()
    out = runner.invoke(
        app, ["plans", "follow-up", str(plan.pk), "--year", "2023", "--format", "json"]
    )
    assert out.exit_code == 0, out.output
    data: dict[str, Any] = json.loads(out.stdout)
    assert data["indicators"][0]["judgement"] == "on_track"
    table = runner.invoke(app, ["plans", "follow-up", str(plan.pk), "--year", "2023"])
    assert table.exit_code == 0 and "På väg" in table.output
    pdf, xlsx = tmp_path / "r.pdf", tmp_path / "r.xlsx"
    args = ["plans", "follow-up", str(plan.pk), "--year", "2023", "--format"]
    assert runner.invoke(app, [*args, "pdf", "--output", str(pdf)]).exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    assert runner.invoke(app, [*args, "xlsx", "--output", str(xlsx)]).exit_code == 0
    ws = load_workbook(io.BytesIO(xlsx.read_bytes())).worksheets[0]
    assert ws.cell(row=2, column=12).value == data["indicators"][0]["value_rounded"]


@pytest.mark.parametrize(
    "args",
    [
        ["--year", "1990"],
        ["--format", "pdf"],
        ["--year", "2023", "--plan-does-not-exist"],
    ],
)
def test_cli_bad_input_is_one_message(world: PlanWorld, args: list[str]) -> None:
    plan = _agreed_plan(world)
    result = CliRunner().invoke(app, ["plans", "follow-up", str(plan.pk), *args])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_cli_unknown_plan() -> None:
    result = CliRunner().invoke(app, ["plans", "follow-up", "999999", "--year", "2023"])
    assert result.exit_code == 2 and "Fel:" in result.output
