"""``datasmart plans list|show|joint-agreed``: the same rows as the API (one query path),
visibility with ``--user``, and Swedish errors with exit code 2 for bad input."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.test import Client
from typer.testing import CliRunner

from datasmart.accounts.audit import SYSTEM
from datasmart.accounts.models import Role
from datasmart.plans import services
from datasmart.plans.cli import plans_app
from datasmart.plans.models import Visibility
from tests.plans.plans_support import PlanWorld, make_plan_world
from tests.plans.test_api import _agree, _joint

pytestmark = pytest.mark.django_db
runner = CliRunner()


@pytest.fixture
def world() -> PlanWorld:
    return make_plan_world()


def _run(*args: str) -> Any:
    return runner.invoke(plans_app, list(args))


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_list_json_is_the_api_rows(world: PlanWorld) -> None:
    own = services.create_plan(
        world.orgs["stockholm"], title="Stockholms plan", start_year=2024, end_year=2026, by=SYSTEM
    )
    joint = _joint(world)
    services.create_plan(
        world.orgs["malmo"], title="Malmös plan", start_year=2024, end_year=2026, by=SYSTEM
    )
    result = _run("list", "--unit", "0180", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {r["id"] for r in rows} == {own.pk, joint.pk}
    api = Client().get("/api/plans", {"unit": "0180"}).json()["items"]
    assert [r["id"] for r in rows] == [r["id"] for r in api]
    assert [r["title"] for r in rows] == [r["title"] for r in api]


def test_list_filters_csv_and_table(world: PlanWorld) -> None:
    joint = _joint(world)
    _agree(world, joint)
    services.create_plan(
        world.orgs["malmo"], title="Malmös plan", start_year=2020, end_year=2022, by=SYSTEM
    )
    result = _run("list", "--status", "agreed", "--year", "2025", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["id"], r["lan"], r["status"]) for r in rows] == [(str(joint.pk), "01", "agreed")]
    table = _run("list", "--year", "2021")
    assert table.exit_code == 0 and "Malmös" in table.output
    assert "Länsplan" not in table.output
    empty = _run("list", "--unit", "0114", "--status", "closed")
    assert empty.exit_code == 0 and "Inga planer" in empty.output


def test_user_sees_only_what_they_may_read(world: PlanWorld) -> None:
    hidden = _joint(world, visibility=Visibility.PARTIES)
    outsider = world.user("malmo", Role.COORDINATOR).username
    party = world.user("vasby", Role.VIEWER).username
    assert json.loads(_run("list", "--format", "json", "--user", outsider).stdout) == []
    rows = json.loads(_run("list", "--format", "json", "--user", party).stdout)
    assert [r["id"] for r in rows] == [hidden.pk]
    assert [r["id"] for r in json.loads(_run("list", "--format", "json").stdout)] == [hidden.pk]
    refused = _run("show", str(hidden.pk), "--user", outsider)
    missing = _run("show", "999999")
    assert refused.exit_code == 2 and missing.exit_code == 2
    assert "Planen finns inte" in refused.output and "Planen finns inte" in missing.output


def test_show_table_and_json(world: PlanWorld) -> None:
    plan = _joint(world)
    services.approve(plan, world.orgs["stockholm"], by=SYSTEM)
    result = _run("show", str(plan.pk))
    assert result.exit_code == 0, result.output
    text = _flat(result.output)
    for expected in (
        "Länsplan psykisk hälsa",
        "gemensam plan för län 01",
        "Politiskt mål: Ett mer hälsofrämjande samhälle",
        "Delmål: Fler unga når skolans mål",
        "indikator plan-andel",
        "till 15 år 2027, utgångsvärde 12.5 (2023)",
    ):
        assert expected in text, expected
    for word in ("Gemensam", "utbildning", "stockholm", "0180", "Planerad"):  # table cells
        assert word in text, word
    as_json = _run("show", str(plan.pk), "--format", "json")
    assert as_json.exit_code == 0
    shown = json.loads(as_json.stdout)
    api = Client().get(f"/api/plans/{plan.pk}").json()
    assert (
        shown["goals"][0]["children"][0]["indicators"]
        == api["goals"][0]["children"][0]["indicators"]
    )
    assert [p["approved"] for p in shown["parties"]] == [p["approved"] for p in api["parties"]]


def test_joint_agreed(world: PlanWorld) -> None:
    plan = _joint(world, visibility=Visibility.PARTIES)
    before = _run("joint-agreed", "--lan", "01", "--year", "2027")
    assert before.exit_code == 0 and "Nej" in before.output
    _agree(world, plan)
    after = _run("joint-agreed", "--lan", "01", "--year", "2027", "--format", "json")
    assert json.loads(after.stdout) == {
        "lan": "01",
        "year": 2027,
        "agreed": True,
        "plan_id": plan.pk,
    }
    outsider = world.user("malmo", Role.COORDINATOR).username
    hidden = _run("joint-agreed", "--lan", "01", "--year", "2027", "--user", outsider)
    assert hidden.exit_code == 0 and "Ja" in hidden.output and "(plan" not in hidden.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["list", "--unit", "9999"], "Ingen enhet med koden '9999'"),
        (["list", "--status", "klar"], "Fältet status: okänt värde klar"),
        (["list", "--year", "tjugo"], "--year: ange ett heltal"),
        (["list", "--year", "1850"], "ange ett år mellan 2000 och 2100"),
        (["list", "--owner", "x"], "--owner: ange ett heltal"),
        (["list", "--user", "ingen-sadan"], "Ingen användare med namnet 'ingen-sadan'"),
        (["show", "abc"], "ID: ange ett heltal"),
        (["show", "424242"], "Planen finns inte"),
        (["joint-agreed", "--lan", "1", "--year", "2027"], "--lan: ange en länskod"),
        (["joint-agreed", "--lan", "99", "--year", "2027"], "Ingen enhet med koden '99'"),
        (["joint-agreed", "--lan", "01", "--year", "nästa"], "--year: ange ett heltal"),
    ],
)
def test_clear_errors_exit_2(world: PlanWorld, args: list[str], message: str) -> None:
    result = _run(*args)
    assert result.exit_code == 2, result.output
    assert message in _flat(result.output)
    assert "Traceback" not in result.output
