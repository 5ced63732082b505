"""The Hamilton–Perry arithmetic on small hand-made arrays (no database)."""

from __future__ import annotations

import numpy as np
import pytest

from datasmart.needs.projection import (
    N_AGES,
    ProjectionParameters,
    child_woman_ratios,
    cohort_change_ratios,
    interpolate_years,
    moving_average,
    project,
    project_step,
    rake,
    to_bands,
)


def _pop(seed: int, n: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(50, 500, size=(n, 2, N_AGES)).astype(float)


def test_ccr_single_ages_is_the_cohort_ratio() -> None:
    start, end = _pop(1)[0], _pop(2)[0]
    ccr = cohort_change_ratios(start, end, width=1, top_age=90)
    assert np.isnan(ccr[:, :5]).all()
    assert ccr[0, 30] == pytest.approx(end[0, 30] / start[0, 25])
    assert ccr[1, 89] == pytest.approx(end[1, 89] / start[1, 84])
    # open group 90+: P(>=90, t) / P(>=85, t-5), the same for every age from 90
    top = end[:, 90:].sum(-1) / start[:, 85:].sum(-1)
    assert np.allclose(ccr[:, 90:], top[:, None])


def test_ccr_from_bands_reproduces_band_totals() -> None:
    start, end, base = _pop(3), _pop(4), _pop(5)
    ccr = cohort_change_ratios(to_bands(start), to_bands(end), width=5, top_age=90)
    assert ccr[0, 0, 7] == pytest.approx(end[0, 0, 5:10].sum() / start[0, 0, 0:5].sum())
    new = project_step(base, ccr, child_woman_ratios(base))
    # every projected band = its band ratio x the band five years younger
    for lo in range(5, 90, 5):
        band_ccr = end[0, :, lo : lo + 5].sum(-1) / start[0, :, lo - 5 : lo].sum(-1)
        want = band_ccr * base[0, :, lo - 5 : lo].sum(-1)
        assert np.allclose(new[0, :, lo : lo + 5].sum(-1), want)
    assert np.allclose(
        new[0, :, 90:].sum(-1),
        end[0, :, 90:].sum(-1) / start[0, :, 85:].sum(-1) * base[0, :, 85:].sum(-1),
    )


def test_children_follow_child_woman_ratios() -> None:
    base = _pop(6)
    ccr = np.ones((1, 2, N_AGES))
    cwr = child_woman_ratios(base)
    assert cwr[0, 1, 2] == pytest.approx(base[0, 1, 2] / base[0, 1, 15:50].sum())
    new = project_step(base, ccr, cwr)
    women = base[0, 1, 10:45].sum()  # with CCR 1 the women 15-49 are those 10-44 before
    assert np.allclose(new[0, :, :5], cwr[0] * women)
    assert new[0, 0, 100] == pytest.approx(base[0, 0, 95:].sum())


def test_rake_controls_each_group_and_cell() -> None:
    values = _pop(7, n=4)
    groups = np.array([0, 0, 1, 1])
    control = _pop(8, n=2)
    out = rake(values, groups, control)
    assert np.allclose(out[:2].sum(0), control[0]) and np.allclose(out[2:].sum(0), control[1])
    total = rake(values, groups, control, "total")
    assert total[:2].sum() == pytest.approx(control[0].sum())
    assert np.allclose(total[0] / values[0], total[1] / values[1])  # one factor per group
    assert rake(values, groups, control, "none") is values


def test_rake_leaves_zero_cells_alone() -> None:
    values = np.zeros((2, 2, N_AGES))
    out = rake(values, np.array([0, 0]), np.ones((1, 2, N_AGES)))
    assert not np.isnan(out).any() and (out == 0).all()


def test_interpolation_is_linear_between_steps() -> None:
    at_steps = np.stack([np.full((2, 2), 100.0), np.full((2, 2), 150.0), np.full((2, 2), 160.0)])
    yearly = interpolate_years(at_steps, 10)
    assert yearly.shape[0] == 11
    assert yearly[2, 0, 0] == pytest.approx(120.0) and yearly[7, 1, 1] == pytest.approx(154.0)
    assert interpolate_years(at_steps, 7).shape[0] == 8


def test_moving_average_shrinks_at_edges() -> None:
    assert np.allclose(moving_average(np.array([1.0, 2.0, 6.0]), 3), [1.5, 3.0, 4.0])


def test_project_sums_kommuner_to_lan_and_lan_to_nation() -> None:
    base = _pop(9, n=5)
    unit_region = np.array([0, 0, 1, 1, 1])
    region_ccr = cohort_change_ratios(_pop(10, n=2), _pop(11, n=2))
    result = project(base, unit_region, region_ccr, ProjectionParameters(2019, horizon=10))
    assert result.units.shape == (11, 5, 2, N_AGES)
    assert np.allclose(result.units[0], base)
    assert np.allclose(result.units[10][:2].sum(0), result.regions[10][0])
    assert np.allclose(result.regions[10].sum(0), result.nation[10])


def test_parameters_refuse_later_data_and_bad_values() -> None:
    with pytest.raises(ValueError, match="after the base year"):
        ProjectionParameters(2019, base_periods=((2015, 2020),))
    with pytest.raises(ValueError, match="five years"):
        ProjectionParameters(2019, base_periods=((2010, 2016),))
    with pytest.raises(ValueError):
        ProjectionParameters(2019, control="magic")
    with pytest.raises(ValueError):
        ProjectionParameters(2019, top_age=95)  # bands end with 90+
    assert ProjectionParameters(2019).periods == ((2014, 2019),)


def test_a_unit_without_women_takes_its_regions_child_woman_ratio() -> None:
    """A zero denominator must not turn into a ratio of 1 (as many children as women)."""
    base = _pop(12, n=2)
    base[1, 1, 15:50] = 0.0  # no women 15-49 in the second unit
    ccr = np.ones((1, 2, N_AGES))
    result = project(
        base, np.array([0, 0]), ccr, ProjectionParameters(2019, horizon=5, control="none")
    )
    region = base.sum(0)
    region_cwr = region[:, :5] / region[1, 15:50].sum()
    women_later = result.units[5][1, 1, 15:50].sum()  # from the women 10-44 before
    assert np.allclose(result.units[5][1, :, :5], region_cwr * women_later)
