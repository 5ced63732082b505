"""Issue 11 §2: Laholm's 3 men aged 100+ (SCB 2019) cannot be recomputed from the export.

Before the LP audit, Laholm (1381) men = 3 was hidden, yet every term of
Halland 24 + Västra Götaland 59 − Västra sjukvårdsregionen 68 − Hylte 0 − Halmstad 12 = 3
was in the CLI export: Halland is split between two sjukvårdsregioner, so a combination
of sums gives the cell that no single sum does. The table is built from the real
population file (``population/kommun_age_sex_2019.csv``, age 100 = 100 or older),
imported as a count indicator, computed and exported per level and sex with
``datasmart indicators export``; the intruder then solves the LP of every hidden cell
(``disclosure_attack.lp_intervals``, scipy directly on the exported numbers).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from django.conf import settings
from indicators_support import make_indicator, write_csv
from tests.indicators.disclosure_attack import equations_of, lp_intervals, protection_failures
from typer.testing import CliRunner

from datasmart.accounts.audit import SYSTEM
from datasmart.indicators import results
from datasmart.indicators.cli import indicators_app
from datasmart.indicators.imports import import_observations

pytestmark = pytest.mark.django_db

CODE = "test-aged-100-plus"
LEVELS = ("kommun", "region", "sjukvardsregion", "nation")
SEXES = ("T", "1", "2")
LAHOLM, HYLTE, HALMSTAD, HALLAND, VASTRA_GOTALAND = "1381", "1315", "1380", "13", "14"


def _centenarians() -> dict[tuple[str, str], int]:
    """People aged 100+ per (kommun, sex), 31 Dec 2019; T = men + women."""
    path = Path(settings.DATA_DIR) / "population" / "kommun_age_sex_2019.csv"
    pop = pl.read_csv(path, schema_overrides={"kommun_code": pl.Utf8}).filter(pl.col("age") == 100)
    counts = {(r["kommun_code"], str(r["sex"])): r["population"] for r in pop.iter_rows(named=True)}
    for kommun in {k for k, _ in counts}:
        counts[(kommun, "T")] = counts[(kommun, "1")] + counts[(kommun, "2")]
    return counts


def _export(tmp_path: Path, level: str, sex: str) -> list[dict[str, str]]:
    out = tmp_path / f"{level}-{sex}.csv"
    result = CliRunner().invoke(
        indicators_app,
        ["export", "--indicator", CODE, "-o", str(out), "--level", level,
         "--period", "2019", "--sex", sex],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def exported(tmp_path: Path, db: Any) -> list[dict[str, str]]:
    make_indicator(
        CODE, type="count", multiplier=1, levels=["kommun"], breakdowns=["sex"],
        age_groups=[], ci_method="byar", first_period=2019, last_period=2019,
    )  # fmt: skip
    counts = _centenarians()
    lines = [f"{CODE},{k},2019,{s},,{n},,," for (k, s), n in sorted(counts.items())]
    import_observations(write_csv(tmp_path, "aged100.csv", lines), by=SYSTEM)
    report = results.compute_indicator(CODE, by=SYSTEM)
    assert report.ok, report.error
    return [r for level in LEVELS for sex in SEXES for r in _export(tmp_path, level, sex)]


def test_laholm_is_hidden_and_no_combination_of_exported_sums_gives_it_back(
    exported: list[dict[str, str]],
) -> None:
    known: dict[tuple[str, str], float] = {}
    hidden: list[tuple[str, str]] = []
    for r in exported:
        key = (r["unit_code"], r["sex"])
        if r["status"] == "suppressed":
            hidden.append(key)
        elif r["numerator"]:
            known[key] = float(r["numerator"])
        if r["group_code"] and r["group_value"]:  # a count's group value is the group's count
            known[(r["group_code"], r["sex"])] = float(r["group_value"])
    assert (LAHOLM, "1") in hidden
    # The combination no longer has every term published.
    terms = [(HALLAND, "1"), (VASTRA_GOTALAND, "1"), (HYLTE, "1"), (HALMSTAD, "1")]
    svr = results.units_frame().filter(pl.col("unit_code") == "1384")["sjukvardsregion_code"][0]
    terms.append((svr, "1"))
    assert any(t not in known for t in terms), {t: known.get(t) for t in terms}

    units = results.units_frame()
    eqs: list[tuple[Any, list[Any]]] = [
        ((p, sex), [(c, sex) for c in cs]) for p, cs in equations_of(units) for sex in SEXES
    ]
    groups = units.filter(pl.col("level") == "kommun")["kommungrupp"].drop_nulls().unique()
    for unit in [*units["unit_code"].to_list(), *groups.to_list()]:
        eqs.append(((unit, "T"), [(unit, "1"), (unit, "2")]))
    full = results.engine.compute(
        results.observations_frame(results._indicator(CODE)),
        units,
        results.indicator_spec(results._indicator(CODE)),
        suppression_threshold=1,
    )
    true = {(r["unit_code"], r["sex"]): r["numerator"] for r in full.iter_rows(named=True)}
    # Shown numbers are the true counts (so the intruder's equations are right).
    for key, value in known.items():
        if key in true:
            assert value == true[key], key
    intervals = lp_intervals(known, eqs, hidden)
    lo, hi = intervals[(LAHOLM, "1")]
    assert lo <= 0 and hi >= 5, (lo, hi)
    assert not protection_failures(intervals, true)
