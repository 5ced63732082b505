"""No combination of published sums narrows a hidden count below the protection rule.

The intruder solves, for every hidden cell, min and max of the cell over every published
equation (``tests/indicators/disclosure_attack.lp_intervals``: scipy ``linprog`` called
directly on the published values, no engine code). Tables are random: a random
hierarchy with a region split between two sjukvårdsregioner (like Halland), random
kommungrupper, and small counts for men, women and the total.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.indicators.disclosure_attack import equations_of, lp_intervals, protection_failures

from datasmart.indicators import engine
from datasmart.indicators.engine_disclosure import suppression
from datasmart.indicators.engine_hierarchy import build_hierarchy

COUNT = engine.IndicatorSpec("n", "count", 1, "no_judgement", "exact")
SHARE = engine.IndicatorSpec("p", "proportion", 100, "higher_is_better", "wilson")
PERIOD = 2019
UNIT_SCHEMA = ["unit_code", "level", "region_code", "sjukvardsregion_code", "kommungrupp", "name"]


@st.composite
def split_hierarchy(draw):  # type: ignore[no-untyped-def]
    """Nation, sjukvårdsregioner s1 and s2, region 01 (s1), 02 (split), 03 (s2)."""
    rows: list[tuple[str, str, str | None, str | None, str | None]] = [
        ("00", "nation", None, None, None)
    ]
    rows += [
        ("s1", "sjukvardsregion", None, None, None),
        ("s2", "sjukvardsregion", None, None, None),
    ]
    rows += [("01", "region", None, "s1", None), ("02", "region", None, None, None)]
    rows += [("03", "region", None, "s2", None)]
    for region, svr in (("01", "s1"), ("02", None), ("03", "s2")):
        n = draw(st.integers(1 if region != "02" else 2, 4))
        for i in range(n):
            if svr is None:  # the split region: at least one kommun on each side
                k_svr = ("s1", "s2")[i] if i < 2 else draw(st.sampled_from(["s1", "s2"]))
            else:
                k_svr = svr
            rows.append((f"{region}{i:02}", "kommun", region, k_svr, draw(st.sampled_from("ABC"))))
    return pl.DataFrame([(*r, r[0]) for r in rows], schema=UNIT_SCHEMA, orient="row")


def _observations(units: pl.DataFrame, men: list[int], women: list[int]) -> pl.DataFrame:
    kommuner = units.filter(pl.col("level") == "kommun")["unit_code"].to_list()
    rows = []
    for k, m, w in zip(kommuner, men, women, strict=False):
        for sex, n in (("1", m), ("2", w), ("T", m + w)):
            rows.append((k, PERIOD, sex, float(n), "ok"))
    return pl.DataFrame(
        rows, schema=["unit_code", "period", "sex", "numerator", "status"], orient="row"
    )


def _attack(out: pl.DataFrame, units: pl.DataFrame) -> tuple[dict, list, list]:  # type: ignore[type-arg]
    """What a reader knows, the published equations per sex and T = men + women, the hidden."""
    known: dict[tuple[str, str], float] = {}
    hidden = []
    for r in out.iter_rows(named=True):
        key = (r["unit_code"], r["sex"])
        if r["status"] == "suppressed":
            hidden.append(key)
        elif r["numerator"] is not None:
            known[key] = r["numerator"]
        if r["group_code"] is not None and r["group_value"] is not None:
            known[(r["group_code"], r["sex"])] = r["group_value"]
    eqs: list = []  # type: ignore[type-arg]
    for parent, children in equations_of(units):
        for sex in ("T", "1", "2"):
            eqs.append(((parent, sex), [(c, sex) for c in children]))
    groups = units.filter(pl.col("level") == "kommun")["kommungrupp"].unique().to_list()
    for unit in [*units["unit_code"].to_list(), *groups]:
        eqs.append(((unit, "T"), [(unit, "1"), (unit, "2")]))
    return known, eqs, hidden


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    split_hierarchy(),
    st.lists(st.integers(0, 9), min_size=15, max_size=15),
    st.lists(st.integers(0, 9), min_size=15, max_size=15),
)
def test_no_combination_of_published_sums_narrows_a_hidden_count(
    units: pl.DataFrame, men: list[int], women: list[int]
) -> None:
    obs = _observations(units, men, women)
    out = engine.compute(obs, units, COUNT)
    true = {
        (r["unit_code"], r["sex"]): r["numerator"]
        for r in engine.compute(obs, units, COUNT, suppression_threshold=1).iter_rows(named=True)
    }
    known, eqs, hidden = _attack(out, units)
    # Shown counts are true and never small.
    for key, value in known.items():
        if key in true:
            assert value == true[key] and not 0 < value < 5, (key, value)
    failures = protection_failures(lp_intervals(known, eqs, hidden), true)
    assert not failures, failures


def _halland_like() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Region 02 split: 0200, 0201 in s1 (with region 01), 0202, 0203 in s2 (with 03).

    Men: 0200 = 3 (small), its neighbours in region and sjukvårdsregion shown; the
    combination "02 + 01 − s1 − 0201" gives 0200 although each sum alone has two
    hidden terms. Counts chosen so that the per-equation search alone leaves it pinned.
    """
    rows = [
        ("00", "nation", None, None, None),
        ("s1", "sjukvardsregion", None, None, None),
        ("s2", "sjukvardsregion", None, None, None),
        ("01", "region", None, "s1", None),
        ("02", "region", None, None, None),
        ("03", "region", None, "s2", None),
        ("0100", "kommun", "01", "s1", "A"),
        ("0101", "kommun", "01", "s1", "B"),
        ("0200", "kommun", "02", "s1", "A"),
        ("0201", "kommun", "02", "s1", "B"),
        ("0202", "kommun", "02", "s2", "C"),
        ("0203", "kommun", "02", "s2", "C"),
        ("0300", "kommun", "03", "s2", "C"),
        ("0301", "kommun", "03", "s2", "B"),
    ]
    units = pl.DataFrame([(*r, r[0]) for r in rows], schema=UNIT_SCHEMA, orient="row")
    men = {"0100": 20, "0101": 30, "0200": 3, "0201": 12, "0202": 2, "0203": 4, "0300": 40,
           "0301": 25}  # fmt: skip
    rows_obs = [(k, PERIOD, "1", float(v), "ok") for k, v in men.items()]
    obs = pl.DataFrame(
        rows_obs, schema=["unit_code", "period", "sex", "numerator", "status"], orient="row"
    )
    return units, obs


def test_the_audit_catches_what_single_equations_miss() -> None:
    """A hand-made Halland: the per-equation search leaves a combination that pins the 3;
    with the audit every hidden cell keeps [0, 5] or is not pinned."""
    units, obs = _halland_like()
    hierarchy = build_hierarchy(units)
    grid, published = engine._prepare_grid(obs, hierarchy, COUNT)
    kwargs = {"threshold": 5.0, "published_levels": published, "person_denominator": False}
    true = {(u, "1"): n for u, n in zip(grid["unit_code"], grid["numerator"], strict=True)}

    def failures(reason: np.ndarray) -> list[str]:  # type: ignore[type-arg]
        shown = grid.with_columns(hidden=pl.Series(reason.tolist(), dtype=pl.Utf8).is_not_null())
        known = {(r["unit_code"], "1"): r["numerator"] for r in shown.iter_rows(named=True)
                 if not r["hidden"]}  # fmt: skip
        hidden = [(r["unit_code"], "1") for r in shown.iter_rows(named=True) if r["hidden"]]
        eqs = [((p, "1"), [(c, "1") for c in cs]) for p, cs in equations_of(units)]
        return protection_failures(lp_intervals(known, eqs, hidden), true)

    before = failures(suppression(grid, hierarchy, audit=False, **kwargs))  # type: ignore[arg-type]
    after = failures(suppression(grid, hierarchy, **kwargs))  # type: ignore[arg-type]
    assert before, "the example should defeat the per-equation search"
    assert not after, after


@settings(max_examples=15, deadline=None)
@given(
    split_hierarchy(),
    st.lists(st.integers(0, 30), min_size=15, max_size=15),
    st.lists(st.integers(0, 30), min_size=15, max_size=15),
)
def test_proportions_protect_numerators_and_denominators(
    units: pl.DataFrame, num: list[int], extra: list[int]
) -> None:
    """Both counts of a proportion are audited (the denominator counts people too)."""
    kommuner = units.filter(pl.col("level") == "kommun")["unit_code"].to_list()
    obs = pl.DataFrame(
        [
            (k, PERIOD, "T", float(min(x, x + e)), float(x + e), "ok")
            for k, x, e in zip(kommuner, num, extra, strict=False)
        ],
        schema=["unit_code", "period", "sex", "numerator", "denominator", "status"],
        orient="row",
    )
    out = engine.compute(obs, units, SHARE)
    full = engine.compute(obs, units, SHARE, suppression_threshold=1)
    eqs = [((p, "T"), [(c, "T") for c in cs]) for p, cs in equations_of(units)]
    hidden = [
        (r["unit_code"], "T") for r in out.iter_rows(named=True) if r["status"] == "suppressed"
    ]
    for column in ("numerator", "denominator"):
        known = {(r["unit_code"], "T"): r[column] for r in out.iter_rows(named=True)
                 if r["status"] != "suppressed"}  # fmt: skip
        true = {(r["unit_code"], "T"): r[column] for r in full.iter_rows(named=True)}
        failures = protection_failures(lp_intervals(known, eqs, hidden), true)
        assert not failures, (column, failures)
