"""Disclosure groups: linked tables suppressed together (engine.compute_linked).

Two indicators that count the same population — plans started per kommun, and a
proportion of those plans whose denominator is the same count — are *linked tables*
(Hundepool et al., *Statistical Disclosure Control*, 2012, §5.5). Suppressed one at a
time their secondary patterns differ, and "region total minus the kommuner shown",
with a count taken from the other table, gives a primary cell back. Suppressed as a
group, no published number of either table lets a reader recompute a hidden count.
"""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from tests.indicators.disclosure_attack import equations_of, subtraction_attack

from datasmart.indicators.engine import IndicatorSpec, compute, compute_linked

COUNT = IndicatorSpec("started", "count", 1, "no_judgement", "auto")
SHARE = IndicatorSpec("share", "proportion", 100, "higher_is_better", "wilson")
PERIOD = 202603


def _units(groups: list[str], others: int) -> pl.DataFrame:
    """Region 01 with one kommun per entry of *groups* (its kommungrupp), region 02 with
    *others* kommuner (kommungrupp A), one sjukvårdsregion, the nation."""
    rows = [("00", "nation", None, None, None), ("s", "sjukvardsregion", None, None, None)]
    rows += [("01", "region", None, "s", None), ("02", "region", None, "s", None)]
    rows += [(f"01{i:02}", "kommun", "01", "s", g) for i, g in enumerate(groups)]
    rows += [(f"02{i:02}", "kommun", "02", "s", "A") for i in range(max(others, 1))]
    return pl.DataFrame(
        [(*r, r[0]) for r in rows],
        schema=["unit_code", "level", "region_code", "sjukvardsregion_code", "kommungrupp", "name"],
        orient="row",
    )


def _observations(started: dict[str, int], met: dict[str, int]) -> tuple[pl.DataFrame, ...]:
    schema = {
        "unit_code": pl.Utf8,
        "period": pl.Int64,
        "sex": pl.Utf8,
        "numerator": pl.Float64,
        "denominator": pl.Float64,
        "status": pl.Utf8,
    }
    counts = [(k, PERIOD, "T", float(n), None, "ok") for k, n in started.items()]
    shares = [
        (k, PERIOD, "T", float(met[k]), float(n), "ok")
        if n
        else (k, PERIOD, "T", None, None, "not_applicable")
        for k, n in started.items()
    ]
    return (
        pl.DataFrame(counts, schema=schema, orient="row"),
        pl.DataFrame(shares, schema=schema, orient="row"),
    )


def _linked_knowledge(count: pl.DataFrame, share: pl.DataFrame) -> dict[str, float]:
    """What a reader knows of the started count per unit from both published tables."""
    known = {
        r["unit_code"]: r["numerator"] for r in count.iter_rows(named=True) if r["status"] == "ok"
    }
    known |= {
        r["group_code"]: r["group_value"]
        for r in count.iter_rows(named=True)
        if r["group_value"] is not None
    }
    for r in share.iter_rows(named=True):
        if r["status"] == "ok":
            known[r["unit_code"]] = r["denominator"]
        elif r["status"] == "not_applicable":  # nothing to measure: no plans started
            known[r["unit_code"]] = 0.0
    return known


def _hidden(out: pl.DataFrame) -> set[str]:
    return set(out.filter(pl.col("status") == "suppressed")["unit_code"])


# Norrbotten in miniature: 0100 has 3 plans (hidden); 0101 has 5 (hidden as secondary in
# the count) but 5 as the share's denominator; 0102 has 9 plans, 2 met (share hidden).
EXAMPLE_GROUPS = ["C", "B", "D", "A"]
EXAMPLE_STARTED = {"0100": 3, "0101": 5, "0102": 9, "0103": 0, "0200": 0}
EXAMPLE_MET = {"0100": 3, "0101": 5, "0102": 2, "0103": 0, "0200": 0}


def test_suppressed_one_at_a_time_the_tables_give_the_three_back() -> None:
    """The problem compute_linked solves (kept as a regression check of the attack)."""
    units = _units(EXAMPLE_GROUPS, 1)
    count_obs, share_obs = _observations(EXAMPLE_STARTED, EXAMPLE_MET)
    count = compute(count_obs, units, COUNT)
    share = compute(share_obs, units, SHARE)
    equations = equations_of(units)
    assert "0100" in _hidden(count) and "0101" in _hidden(count)
    assert "0101" not in _hidden(share)
    assert "0100" not in subtraction_attack(_linked_knowledge(count, count.clear()), equations)
    assert subtraction_attack(_linked_knowledge(count, share), equations)["0100"] == 3


def test_suppressed_as_a_group_the_same_cells_are_hidden_and_nothing_follows() -> None:
    units = _units(EXAMPLE_GROUPS, 1)
    count, share = compute_linked(list(zip(_observations(EXAMPLE_STARTED, EXAMPLE_MET),
                                           (COUNT, SHARE), strict=True)), units)  # fmt: skip
    assert _hidden(count) == _hidden(share) >= {"0100", "0102"}
    assert subtraction_attack(_linked_knowledge(count, share), equations_of(units)) == {}
    # Shown cells carry the true counts.
    shown = count.filter((pl.col("level") == "kommun") & (pl.col("status") == "ok"))
    assert {k: EXAMPLE_STARTED[k] for k in shown["unit_code"]} == dict(
        zip(shown["unit_code"], shown["numerator"], strict=True)
    )


def test_a_group_of_one_is_compute() -> None:
    units = _units(EXAMPLE_GROUPS, 2)
    for obs, spec in zip(_observations(EXAMPLE_STARTED, EXAMPLE_MET), (COUNT, SHARE), strict=True):
        (linked,) = compute_linked([(obs, spec)], units)
        assert_frame_equal(linked, compute(obs, units, spec))


def test_value_indicators_and_repeated_ids_are_refused() -> None:
    units = _units(EXAMPLE_GROUPS, 1)
    count_obs, share_obs = _observations(EXAMPLE_STARTED, EXAMPLE_MET)
    value = IndicatorSpec("median", "value", 1, "lower_is_better", "none", aggregatable=False)
    with pytest.raises(ValueError, match="value indicator"):
        compute_linked([(count_obs, COUNT), (count_obs, value)], units)
    with pytest.raises(ValueError, match="different ids"):
        compute_linked([(count_obs, COUNT), (share_obs, COUNT)], units)


@st.composite
def region(draw):  # type: ignore[no-untyped-def]
    """Kommuner of one region (kommungrupp A–C) with small counts, a few in region 02."""
    groups = draw(st.lists(st.sampled_from("ABC"), min_size=2, max_size=8))
    others = draw(st.integers(1, 3))
    codes = [f"01{i:02}" for i in range(len(groups))] + [f"02{i:02}" for i in range(others)]
    started = {k: draw(st.integers(0, 12)) for k in codes}
    met = {k: draw(st.integers(0, n)) for k, n in started.items()}
    return groups, others, started, met


@settings(max_examples=60, deadline=None)
@given(region())
def test_no_published_cell_of_the_group_lets_a_hidden_count_be_recomputed(case) -> None:  # type: ignore[no-untyped-def]
    groups, others, started, met = case
    units = _units(groups, others)
    count, share = compute_linked(
        list(zip(_observations(started, met), (COUNT, SHARE), strict=True)), units
    )
    assert _hidden(count) == _hidden(share)
    primary = set(count.filter(pl.col("suppression") == "primary")["unit_code"])
    primary |= set(share.filter(pl.col("suppression") == "primary")["unit_code"])
    assert primary <= _hidden(count)
    recovered = subtraction_attack(_linked_knowledge(count, share), equations_of(units))
    assert not set(recovered) & _hidden(count), (recovered, _hidden(count))
    # Whatever is shown is the true count, and no shown count is 1–4.
    for unit, value in _linked_knowledge(count, share).items():
        assert not 0 < value < 5, (unit, value)
