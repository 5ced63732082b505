"""``datasmart indicators …`` commands (the typer app, before it is mounted)."""

from __future__ import annotations

import json
from pathlib import Path

from indicators_support import test_indicators_fixture, write_csv  # noqa: F401
from tests.accounts.factories import member, national_organisation
from typer.testing import CliRunner

from datasmart.indicators.catalogue import read_catalogue
from datasmart.indicators.cli import indicators_app
from datasmart.indicators.models import ImportBatch, Indicator, Observation

runner = CliRunner()


def test_import_list_and_history(tmp_path: Path, test_indicators: dict[str, Indicator]) -> None:
    path = write_csv(tmp_path, "cli.csv", ["test-value,0114,2020,T,,,,23.5,"])
    result = runner.invoke(indicators_app, ["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 rader inlästa" in result.output
    again = runner.invoke(indicators_app, ["import", str(path)])
    assert again.exit_code == 0 and "redan inläst" in again.output
    listed = runner.invoke(indicators_app, ["list", "--group", "test", "--format", "json"])
    rows = {r["code"]: r for r in json.loads(listed.output)}
    assert rows["test-value"]["observations"] == 1
    history = runner.invoke(indicators_app, ["imports"])
    assert history.exit_code == 0 and "cli.csv" in history.output


def test_bad_file_exits_2_and_lists_problems(
    tmp_path: Path, test_indicators: dict[str, Indicator]
) -> None:
    path = write_csv(tmp_path, "fel.csv", ["test-value,9999,2020,T,,,,x,"])
    result = runner.invoke(indicators_app, ["import", str(path)])
    assert result.exit_code == 2
    assert not ImportBatch.objects.filter(file_name="fel.csv").exists()


def test_import_as_user_checks_rights(
    tmp_path: Path, test_indicators: dict[str, Indicator]
) -> None:
    member("viewer", username="lasare")
    path = write_csv(tmp_path, "cli.csv", ["test-value,0114,2020,T,,,,23.5,"])
    result = runner.invoke(indicators_app, ["import", str(path), "--user", "lasare"])
    assert (
        result.exit_code == 2
        and Observation.objects.filter(batch__file_name="cli.csv").count() == 0
    )
    member("analyst", username="kommunanalytiker")  # a made-up kommun's analyst
    other = runner.invoke(indicators_app, ["import", str(path), "--user", "kommunanalytiker"])
    assert other.exit_code == 2 and "rad 2: Upplands Väsby (0114)" in " ".join(other.output.split())
    member("analyst", national_organisation(), username="analytiker")
    ok = runner.invoke(indicators_app, ["import", str(path), "--user", "analytiker"])
    assert ok.exit_code == 0, ok.output
    assert ImportBatch.objects.get(file_name="cli.csv").actor_username == "analytiker"


def test_sync_command(test_indicators: dict[str, Indicator]) -> None:
    first = runner.invoke(indicators_app, ["sync"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(indicators_app, ["sync"])
    in_catalogue = len(read_catalogue())
    assert f"0 nya, 0 uppdaterade, {in_catalogue} oförändrade" in second.output
