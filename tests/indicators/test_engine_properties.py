"""Property tests of the indicator engine (hypothesis, small examples: 2 busy cores)."""

from __future__ import annotations

import doctest

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from test_engine_support import (
    KOMMUNER,
    exposed_cells,
    obs_frame,
    published_equations,
    units_frame,
)

import datasmart.indicators.engine as engine_module
from datasmart.indicators.engine import IndicatorSpec, compute

FAST = settings(max_examples=40, deadline=None)
SPECS = {
    "proportion": IndicatorSpec("p", "proportion", 100, "higher_is_better", "wilson"),
    "rate": IndicatorSpec("r", "rate", 100_000, "lower_is_better", "byar"),
    "count": IndicatorSpec("c", "count", 1, "no_judgement", "auto"),
}


@st.composite
def observations(draw, max_count: int = 15, sexes: bool = False):
    """Kommun rows for 1–2 periods (sex T, or T = men + women), small counts, some missing."""
    periods = draw(st.sampled_from([[2023], [2022, 2023]]))
    frames = []
    for period in periods:
        counts: dict[str, dict[str, tuple[float, float]]] = {"1": {}, "2": {}}
        status: dict[str, str] = {}
        for k in KOMMUNER:
            for s in ("1", "2"):
                x = draw(st.integers(0, max_count))
                counts[s][k] = (float(x), float(x + draw(st.integers(0, 300))))
            if draw(st.integers(0, 19)) == 0:
                status[k] = draw(st.sampled_from(["missing", "not_applicable"]))
        total = {
            k: (counts["1"][k][0] + counts["2"][k][0], counts["1"][k][1] + counts["2"][k][1])
            for k in KOMMUNER
        }
        frames.append(obs_frame(total, period=period, status=status))
        if sexes:
            frames += [obs_frame(counts[s], period=period, sex=s, status=status) for s in "12"]
    return pl.concat(frames)


@FAST
@given(observations(max_count=40), st.sampled_from(sorted(SPECS)))
def test_aggregates_equal_sums_of_children(obs, kind):
    out = compute(obs, units_frame(), SPECS[kind], suppression_threshold=1)
    data = obs.filter(pl.col("status") == "ok")
    for period in obs["period"].unique():
        d = data.filter(pl.col("period") == period)
        status = obs.filter(pl.col("period") == period)
        for parent, members in published_equations():
            if parent.startswith("group:") or not members[0].isdigit() or len(members[0]) != 4:
                continue  # kommun-based relations (region, sjukvårdsregion, nation)
            got = out.filter((pl.col("unit_code") == parent) & (pl.col("period") == period))
            got = got.row(0, named=True)
            s = status.filter(pl.col("unit_code").is_in(members))["status"]
            if (s == "missing").any():
                assert got["status"] == "missing"
            elif (s == "not_applicable").all():
                assert got["status"] == "not_applicable"
            else:
                want = d.filter(pl.col("unit_code").is_in(members))
                assert got["numerator"] == want["numerator"].sum(), parent
                if kind != "count":
                    assert got["denominator"] == want["denominator"].sum(), parent
                assert got["aggregated_from"] == "kommun"
        groups = out.filter((pl.col("period") == period) & pl.col("group_code").is_not_null())
        for g in groups.iter_rows(named=True):
            members = [k for k, (_, _, kg) in KOMMUNER.items() if kg == g["group_code"]]
            want = d.filter(pl.col("unit_code").is_in(members))
            if g["group_value"] is not None and kind != "count":
                ratio = want["numerator"].sum() / want["denominator"].sum()
                assert g["group_value"] == pytest.approx(ratio * SPECS[kind].multiplier)


@FAST
@given(observations(sexes=True), st.sampled_from(sorted(SPECS)), st.integers(3, 8))
def test_no_suppressed_cell_is_recomputable_from_a_published_sum(obs, kind, threshold):
    out = compute(obs, units_frame(), SPECS[kind], suppression_threshold=threshold)
    assert exposed_cells(out) == []
    shown = out.filter(pl.col("status") != "suppressed")
    small = shown.filter((pl.col("numerator") >= 1) & (pl.col("numerator") < threshold))
    assert small.is_empty()
    hidden = out.filter(pl.col("status") == "suppressed")
    assert hidden["numerator"].null_count() == hidden.height
    assert hidden["value"].null_count() == hidden.height
    assert hidden["rank"].null_count() == hidden.height


@FAST
@given(observations(sexes=True), st.sampled_from(sorted(SPECS)), st.randoms(use_true_random=False))
def test_output_is_independent_of_input_row_order(obs, kind, rnd):
    units = units_frame()
    obs_order = list(range(obs.height))
    unit_order = list(range(units.height))
    rnd.shuffle(obs_order)
    rnd.shuffle(unit_order)
    a = compute(obs, units, SPECS[kind])
    b = compute(obs[obs_order], units[unit_order], SPECS[kind])
    assert_frame_equal(a, b)


@FAST
@given(observations(max_count=60), st.sampled_from(sorted(SPECS)))
def test_ranks_are_a_permutation_within_level_and_cell(obs, kind):
    out = compute(obs, units_frame(), SPECS[kind])
    for (_, _, _, _), g in out.group_by("level", "period", "sex", "age_group"):
        ranked = g.filter(pl.col("rank").is_not_null())
        assert sorted(ranked["rank"].to_list()) == list(range(1, ranked.height + 1))
        assert set(g["n_ranked"].to_list()) == {ranked.height}
        assert (ranked["status"] == "ok").all()
        q = ranked["quintile"].drop_nulls()
        assert q.is_empty() or (q.min() >= 1 and q.max() <= 5)
        if SPECS[kind].polarity == "lower_is_better":
            values = ranked.sort("rank")["value"].to_list()
            assert values == sorted(values)


def test_engine_docstring_example():
    failures, _ = doctest.testmod(engine_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert failures == 0
