"""The composite index: standardisation, polarity, domain and total scores, ranks."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import pytest
from indicators_support import make_indicator, write_csv
from test_results import _rows
from typer.testing import CliRunner

from datasmart.accounts.audit import SYSTEM
from datasmart.indicators import results
from datasmart.indicators.cli import indicators_app
from datasmart.indicators.composite import composite_index, standardise
from datasmart.indicators.imports import import_observations
from datasmart.indicators.models import Result


def test_standardise_zscore_and_rank() -> None:
    z = standardise({"a": 1.0, "b": 2.0, "c": 3.0})
    assert z["b"] == 0 and z["a"] == -z["c"] and math.isclose(z["c"], math.sqrt(1.5))
    r = standardise({"a": 1.0, "b": 100.0, "c": 1000.0, "d": 1000.0}, method="rank")
    assert r["c"] == r["d"] and r["a"] < r["b"] < r["c"]
    assert sum(r.values()) == pytest.approx(0)
    assert standardise({"a": 1.0}) == {}
    assert set(standardise({"a": 2.0, "b": 2.0}).values()) == {0.0}
    with pytest.raises(ValueError, match="method"):
        standardise({"a": 1.0}, method="median")


@pytest.fixture
def two_indicators(tmp_path: Path, db: Any) -> None:
    common = {"levels": ["kommun"], "breakdowns": [], "age_groups": [], "ci_method": "wilson"}
    make_indicator("comp-good", polarity="higher_is_better", domain="A", **common)
    make_indicator("comp-bad", polarity="lower_is_better", domain="B", **common)
    make_indicator("comp-none", polarity="no_judgement", domain="B", **common)
    lines = [*_rows("comp-good", 2022), *_rows("comp-bad", 2022), *_rows("comp-none", 2022)]
    import_observations(write_csv(tmp_path, "comp.csv", lines), by=SYSTEM)
    results.compute_all(by=SYSTEM, codes=["comp-good", "comp-bad", "comp-none"])


def test_composite_applies_polarity_and_ranks(two_indicators: None) -> None:
    spec = {"A": ["comp-good"], "B": ["comp-bad", "comp-none"]}
    out = composite_index(spec, period=2022)
    assert out["domains"] == {"A": ["comp-good"], "B": ["comp-bad"]}  # no polarity: left out
    rows = {r["unit_code"]: r for r in out["rows"]}
    ranked = [r for r in out["rows"] if r["rank"] is not None]
    assert ranked and ranked[0]["rank"] == 1
    assert all(a["total"] >= b["total"] for a, b in itertools.pairwise(ranked))
    # Same data in both: higher is better in A, lower is better in B → scores cancel.
    some = next(r for r in ranked if r["domains"]["A"])
    assert some["domains"]["B"] == pytest.approx(-some["domains"]["A"])
    assert some["total"] == pytest.approx(0)
    # a suppressed kommun has no score and no rank
    assert rows["0115"]["total"] is None and rows["0115"]["rank"] is None
    by_default = composite_index(period=2022)  # domains from Indicator.domain
    assert by_default["domains"]["A"] == ["comp-good"]


def test_cli_compute_and_export(two_indicators: None, tmp_path: Path) -> None:
    Result.objects.filter(indicator__code="comp-good").delete()
    runner = CliRunner()
    done = runner.invoke(indicators_app, ["compute", "--indicator", "comp-good"])
    assert done.exit_code == 0, done.output
    assert Result.objects.filter(indicator__code="comp-good").exists()
    unknown = runner.invoke(indicators_app, ["compute", "--indicator", "no-such"])
    assert unknown.exit_code == 2
    for fmt in ("csv", "xlsx", "json"):
        out = tmp_path / f"x.{fmt}"
        res = runner.invoke(
            indicators_app,
            ["export", "--indicator", "comp-good", "--format", fmt, "--output", str(out)],
        )
        assert res.exit_code == 0, res.output
        assert out.stat().st_size > 0
    header = (tmp_path / "x.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("indicator,unit_code,unit_name,level,period,sex,age_group,value")


def test_complete_means_every_indicator_not_ranked(two_indicators: None, tmp_path: Path) -> None:
    """Issue 10 §5: the page said "290 of 290 have complete data" while kommuner had 16–20
    of 23 indicators, because "complete" was counted as "ranked" (a domain needs only half
    of its indicators). Complete now means a value for every indicator of the index."""
    common = {"levels": ["kommun"], "breakdowns": [], "age_groups": [], "ci_method": "wilson"}
    make_indicator("comp-good2", polarity="higher_is_better", domain="A", **common)
    lines = _rows("comp-good2", 2022, small="1480")  # Göteborg: far from 0115's region
    import_observations(write_csv(tmp_path, "comp2.csv", lines), by=SYSTEM)
    results.compute_all(by=SYSTEM, codes=["comp-good2"])
    spec = {"A": ["comp-good", "comp-good2"], "B": ["comp-bad"]}
    out = composite_index(spec, period=2022)
    assert out["n_indicators_total"] == 3
    rows = {r["unit_code"]: r for r in out["rows"]}
    # Göteborg lacks comp-good2 (suppressed) but half of domain A is enough to be ranked
    assert rows["1480"]["n_indicators"] == 2
    assert rows["1480"]["rank"] is not None and rows["1480"]["complete"] is False
    assert all(r["complete"] == (r["n_indicators"] == 3) for r in out["rows"])
    assert out["n_complete"] == sum(r["complete"] for r in out["rows"])
    ranked = sum(r["rank"] is not None for r in out["rows"])
    assert 0 < out["n_complete"] < ranked
