"""The LP audit solves only what can matter, so a national-only indicator stays fast.

An indicator published for the nation alone (e.g. psychiatric inpatients by age × sex,
1988–2023) has every sjukvårdsregion, region, kommun and kommungrupp cell missing:
hundreds of thousands of unknowns a reader cannot see, in one component per period.
The audit must solve LPs only over the components that hold a hidden cell, and must not
solve a feasibility LP when the true values already are a feasible point.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest

from datasmart.indicators import engine, engine_disclosure_audit
from datasmart.indicators.engine_disclosure import suppression
from datasmart.indicators.engine_hierarchy import build_hierarchy

UNIT_SCHEMA = ["unit_code", "level", "region_code", "sjukvardsregion_code", "kommungrupp", "name"]
PERIODS = range(2010, 2020)
SMALL_PERIOD = 2015


def _units() -> pl.DataFrame:
    rows: list[tuple[Any, ...]] = [("00", "nation", None, None, None)]
    rows += [
        ("s1", "sjukvardsregion", None, None, None),
        ("s2", "sjukvardsregion", None, None, None),
    ]
    rows += [("01", "region", None, "s1", None), ("02", "region", None, "s2", None)]
    for region, svr in (("01", "s1"), ("02", "s2")):
        for i in range(4):
            rows.append((f"{region}{i:02}", "kommun", region, svr, "AB"[i % 2]))
    return pl.DataFrame([(*r, r[0]) for r in rows], schema=UNIT_SCHEMA, orient="row")


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bool]]:
    """Record (number of variables, has an objective) of every LP the audit solves."""
    calls: list[tuple[int, bool]] = []
    real = engine_disclosure_audit.linprog

    def spy(c: Any, **kwargs: Any) -> Any:
        calls.append((len(c), bool(np.any(np.asarray(c) != 0))))
        return real(c, **kwargs)

    monkeypatch.setattr(engine_disclosure_audit, "linprog", spy)
    return calls


def test_national_only_table_solves_only_the_period_with_hidden_cells(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = []
    for period in PERIODS:
        men = 3.0 if period == SMALL_PERIOD else 40.0
        for sex, n in (("1", men), ("2", 50.0), ("T", men + 50.0)):
            rows.append(("00", period, sex, n, 1000.0, "ok"))
    obs = pl.DataFrame(
        rows,
        schema=["unit_code", "period", "sex", "numerator", "denominator", "status"],
        orient="row",
    )
    units = _units()
    spec = engine.IndicatorSpec("n", "count", 1, "no_judgement", "exact")
    hierarchy = build_hierarchy(units)
    grid, published = engine._prepare_grid(obs, hierarchy, spec)
    calls = _spy(monkeypatch)
    reason = suppression(
        grid, hierarchy, threshold=5.0, published_levels=published, person_denominator=False
    )
    nation = grid.with_columns(reason=pl.Series(reason, dtype=pl.Object)).filter(
        pl.col("level") == "nation"
    )
    hidden = nation.filter(pl.col("reason").map_elements(bool, return_dtype=pl.Boolean))
    assert sorted(hidden["period"].to_list()) == [SMALL_PERIOD] * 2  # men, and T or women
    assert calls, "the audit ran"
    per_period = grid.filter(pl.col("period") == SMALL_PERIOD).height
    # Before: one LP over every unknown cell of all ten periods.
    assert max(n for n, _ in calls) <= 2 * per_period


def test_no_feasibility_lp_when_the_true_values_add_up(monkeypatch: pytest.MonkeyPatch) -> None:
    units = _units()
    kommuner = units.filter(pl.col("level") == "kommun")["unit_code"].to_list()
    rows = []
    for i, k in enumerate(kommuner):
        men, women = float(i % 3 + 1), float(10 + i)
        for sex, n in (("1", men), ("2", women), ("T", men + women)):
            rows.append((k, 2019, sex, n, "ok"))
    obs = pl.DataFrame(
        rows, schema=["unit_code", "period", "sex", "numerator", "status"], orient="row"
    )
    calls = _spy(monkeypatch)
    spec = engine.IndicatorSpec("n", "count", 1, "no_judgement", "exact")
    engine.compute(obs, units, spec)
    assert calls, "the audit ran"
    # Before: every audit round began with an LP without objective (feasibility).
    assert all(has_objective for _, has_objective in calls)
