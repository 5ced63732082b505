"""Hamilton–Perry population projection on numpy arrays (no Django).

Method: cohort-change ratios (CCR) with child–woman ratios (CWR), after Hamilton & Perry
(1962) as evaluated for small areas by Swanson, Schlottmann & Schmidt (2010), "Forecasting
the population of census tracts by age and sex: an example of the Hamilton–Perry method in
action", *Population Research and Policy Review* 29:47–63. The method needs only two
age–sex distributions five years apart, which is what we have for län (kommuner have one
year by age, 2019), and it carries births, deaths and net migration of the base period
forward together.

Arrays are ``[..., sex, age]`` with sex 0 = men (SCB ``1``), 1 = women (SCB ``2``) and ages
0…100 where 100 is "100 or older". A step is five years (the CCR interval).

Formulas (per area, per sex ``s``; ``t`` the base year, ``k`` = 5 the step):

- cohort-change ratio for the cohort aged ``a`` at ``t`` (``a`` ≥ 5)::

      CCR(a, s) = P(a, s, t) / P(a − 5, s, t − 5)

  computed on the age groups the data has (single ages, or five-year bands where the
  same formula holds for whole groups: the band ``[b, b+4]`` at ``t`` came from
  ``[b−5, b−1]`` at ``t−5``); every single age inherits its group's ratio, so group totals
  are reproduced exactly. Optional smoothing: a centred moving average of the ratios over
  ``smoothing`` single ages (shrinking windows at the edges), which damps single-age noise.
- open-ended top group ``T`` + (``top_age``)::

      CCR(T+, s) = P(≥T, s, t) / P(≥T − 5, s, t − 5)

  applied to every age ≥ ``T`` from its cohort five years younger (age 100+ takes the
  whole 95+ group), so the projected ``T``+ total is ``CCR(T+) · P(≥T − 5, t)``;
- projection of ages ≥ 5::

      P(a, s, t + k) = CCR(a, s) · P(a − 5, s, t)

- child–woman ratio for single ages 0–4 and projection::

      CWR(a, s) = P(a, s, t) / W(15–49, t),   P(a, s, t + k) = CWR(a, s) · W(15–49, t + k)

  with ``W`` women aged 15–49, projected first.

Ratios are taken per län and per sex and applied to each kommun's base population
(a kommun's own CWR from its own base year, since that needs no earlier year). Levels are
then controlled by proportional adjustment (raking): the kommuner of a län are scaled so
that they sum to the län projection in every sex × age cell, and the län to the national
projection. Each control is itself a Hamilton–Perry projection from data up to the base
year, never a later observed total, so a backtest from year Y is honest.

One-year output: the projection runs in five-year steps; years between steps are linear
interpolation cell by cell (age, sex, area) between the two five-year results. This is
exact at the steps and close to a one-year cohort projection for smooth age profiles;
it is not cohort-consistent within a step (a documented simplification).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

STEP = 5
N_AGES = 101  # 0..99 and 100+
N_SEX = 2
WOMEN = 1
CHILD_AGES = slice(0, 5)
FERTILE_AGES = slice(15, 50)

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

CONTROLS = ("age_sex", "total", "none")
CWR_SOURCES = ("unit", "region")


@dataclass(frozen=True)
class ProjectionParameters:
    """Everything a projection run depends on besides the data. Stored with every run.

    ``base_periods``: the five-year periods ``(start, end)`` whose CCRs are averaged
    (arithmetic mean of ratios, equal weights); empty means the latest period ending at
    the base year. ``top_age``: start of the open-ended group (a multiple of the data's
    group width, at most 90 for five-year bands). ``smoothing``: width of the moving
    average over ages for the CCRs (1 = none). ``cwr_source``: a kommun's own child–woman
    ratio (``unit``) or its län's (``region``). ``control``: raking by sex × age cell,
    by total only, or none.
    """

    base_year: int
    horizon: int = 10
    base_periods: tuple[tuple[int, int], ...] = ()
    top_age: int = 90
    smoothing: int = 1
    cwr_source: str = "unit"
    control: str = "age_sex"
    band_width: int = 5  # age-group width the län ratios are computed on (1 or 5)

    def __post_init__(self) -> None:
        if self.horizon < 0:
            raise ValueError("horizon must be >= 0")
        if self.control not in CONTROLS:
            raise ValueError(f"control must be one of {CONTROLS}")
        if self.cwr_source not in CWR_SOURCES:
            raise ValueError(f"cwr_source must be one of {CWR_SOURCES}")
        if self.smoothing < 1 or self.smoothing % 2 == 0:
            raise ValueError("smoothing must be an odd number >= 1")
        if self.band_width not in (1, 5):
            raise ValueError("band_width must be 1 or 5")
        if not 5 <= self.top_age <= 100 or self.top_age % self.band_width:
            raise ValueError("top_age must be 5..100 and a multiple of band_width")
        if self.band_width == 5 and self.top_age > 90:
            raise ValueError("top_age must be <= 90 with five-year bands (90+ is open)")
        for start, end in self.periods:
            if end - start != STEP:
                raise ValueError("base periods must be five years long")
            if end > self.base_year:
                raise ValueError("a base period may not end after the base year")

    @property
    def periods(self) -> tuple[tuple[int, int], ...]:
        return self.base_periods or ((self.base_year - STEP, self.base_year),)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["base_periods"] = [list(p) for p in self.periods]
        return data


def to_bands(pop: Array, width: int = 5, open_from: int = 90) -> Array:
    """Single ages ``[..., 101]`` → groups of ``width`` years with an open top group
    starting at ``open_from`` (``[..., open_from // width + 1]``)."""
    if width == 1 and open_from == 100:
        return pop
    n = open_from // width
    closed = pop[..., :open_from].reshape(*pop.shape[:-1], n, width).sum(-1)
    return np.concatenate([closed, pop[..., open_from:].sum(-1, keepdims=True)], axis=-1)


def _cumulative(groups: Array) -> Array:
    """``C[..., i]`` = population in groups before ``i`` (``C[..., 0]`` = 0)."""
    zero = np.zeros((*groups.shape[:-1], 1))
    return np.concatenate([zero, np.cumsum(groups, axis=-1)], axis=-1)


def cohort_change_ratios(
    start: Array, end: Array, *, width: int = 1, top_age: int = 90, smoothing: int = 1
) -> Array:
    """CCRs per single age ``[..., 101]`` (ages 0–4 are NaN: those come from CWRs).

    ``start`` and ``end`` are populations five years apart in consecutive groups of
    ``width`` years from age 0, the last group open (single ages: 101 groups, 100+ open;
    five-year bands: 19 groups, 90+ open). A zero denominator gives a ratio of 1 (no
    change), which never happens for län data.
    """
    if top_age % width:
        raise ValueError("top_age must be a multiple of the group width")
    c_start, c_end = _cumulative(start), _cumulative(end)
    open_group = top_age // width
    # ages 5 .. top_age-1: the group of a and the same group five years younger
    ages = np.arange(5, top_age)
    lo = (ages // width) * width
    hi = lo + width  # exclusive
    num = c_end[..., hi // width] - c_end[..., lo // width]
    den = c_start[..., (hi - 5) // width] - c_start[..., (lo - 5) // width]
    closed = _ratio(num, den)
    top_num = c_end[..., -1] - c_end[..., open_group]
    top_den = c_start[..., -1] - c_start[..., (top_age - 5) // width]
    top = _ratio(top_num, top_den)
    ccr = np.full((*start.shape[:-1], N_AGES), np.nan)
    ccr[..., 5:top_age] = closed
    ccr[..., top_age:] = top[..., None]
    if smoothing > 1:
        ccr[..., 5:top_age] = moving_average(closed, smoothing)
    return ccr


def _ratio(num: Array, den: Array) -> Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 0, num / np.where(den > 0, den, 1.0), 1.0)
    return np.asarray(out, dtype=np.float64)


def moving_average(values: Array, window: int) -> Array:
    """Centred moving average along the last axis; windows shrink at the edges."""
    half = window // 2
    padded = np.concatenate(
        [np.zeros((*values.shape[:-1], 1)), np.cumsum(values, axis=-1)], axis=-1
    )
    n = values.shape[-1]
    idx = np.arange(n)
    lo = np.clip(idx - half, 0, n)
    hi = np.clip(idx + half + 1, 0, n)
    return np.asarray((padded[..., hi] - padded[..., lo]) / (hi - lo), dtype=np.float64)


def child_woman_ratios(base: Array) -> Array:
    """``CWR[..., sex, a]`` for a = 0–4: children of age a and sex / women 15–49 (0 where
    there are no women 15–49; :func:`project` then uses the region's ratio)."""
    women = base[..., WOMEN, FERTILE_AGES].sum(-1)[..., None, None] * np.ones_like(base[..., :5])
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(women > 0, base[..., CHILD_AGES] / np.where(women > 0, women, 1.0), 0.0)
    return np.asarray(out, dtype=np.float64)


def project_step(pop: Array, ccr: Array, cwr: Array) -> Array:
    """One five-year step: ``pop[..., sex, age]`` with ratios broadcast to it."""
    new = np.empty_like(pop)
    new[..., 5:100] = ccr[..., 5:100] * pop[..., 0:95]
    new[..., 100] = ccr[..., 100] * pop[..., 95:].sum(-1)
    women = new[..., WOMEN, FERTILE_AGES].sum(-1)
    new[..., 0:5] = cwr * women[..., None, None]
    return new


def rake(values: Array, groups: IntArray, control: Array, how: str = "age_sex") -> Array:
    """Scale ``values[unit, ...]`` so that the units of each group sum to ``control[group,
    ...]`` (proportional adjustment). ``how``: per cell (``age_sex``), per total, or none.
    A group whose units sum to zero in a cell is left as it is."""
    if how == "none":
        return values
    n_groups = control.shape[0]
    member = np.zeros((n_groups, values.shape[0]))
    member[groups, np.arange(values.shape[0])] = 1.0
    flat = values.reshape(values.shape[0], -1)
    sums = (member @ flat).reshape(control.shape)
    if how == "total":
        axes = tuple(range(1, control.ndim))
        factor = _ratio(control.sum(axis=axes), sums.sum(axis=axes))
        return np.asarray(values * factor[groups].reshape(-1, *([1] * (values.ndim - 1))))
    factor = _ratio(control, sums)
    return np.asarray(values * factor[groups])


@dataclass
class ProjectionResult:
    """Projected populations for years ``base_year … base_year + horizon``.

    ``units[year, unit, sex, age]``, ``regions[year, region, sex, age]``,
    ``nation[year, sex, age]``, all raked (consistent sums)."""

    years: npt.NDArray[np.int64]
    units: Array
    regions: Array
    nation: Array
    parameters: ProjectionParameters
    diagnostics: dict[str, Any] = field(default_factory=dict)


def project(
    base_units: Array,
    unit_region: IntArray,
    region_ccr: Array,
    params: ProjectionParameters,
    *,
    region_base: Array | None = None,
    nation_ccr: Array | None = None,
) -> ProjectionResult:
    """Project units (kommuner) with their region's (län) ratios, controlled to the
    region and nation projections.

    ``base_units[unit, sex, age]`` at the base year; ``unit_region[unit]`` the region
    index; ``region_ccr[region, sex, age]`` (from :func:`cohort_change_ratios`, averaged
    over base periods); ``region_base`` defaults to the sum of the units;
    ``nation_ccr`` defaults to ratios pooled over regions (population-weighted, i.e. the
    ratio of sums when regions' ratios come from the same periods — pass it explicitly
    for the exact national ratio).
    """
    n_regions = region_ccr.shape[0]
    member = np.zeros((n_regions, base_units.shape[0]))
    member[unit_region, np.arange(base_units.shape[0])] = 1.0
    if region_base is None:
        region_base = (member @ base_units.reshape(base_units.shape[0], -1)).reshape(
            n_regions, N_SEX, N_AGES
        )
    nation_base = region_base.sum(0)
    if nation_ccr is None:
        # population-weighted mean of the regional ratios on the cohort each ratio moves
        cohort = np.zeros_like(region_base)
        cohort[..., 5:100] = region_base[..., 0:95]
        cohort[..., 100] = region_base[..., 95:].sum(-1)
        weights = cohort.sum(0)
        nation_ccr = _ratio((region_ccr * cohort).sum(0), weights)
    region_cwr = child_woman_ratios(region_base)
    unit_cwr = region_cwr[unit_region]
    if params.cwr_source == "unit":
        # a unit without women 15-49 in the base year has no ratio of its own: its län's
        no_women = base_units[:, WOMEN, FERTILE_AGES].sum(-1) <= 0
        unit_cwr = np.where(no_women[:, None, None], unit_cwr, child_woman_ratios(base_units))
    nation_cwr = child_woman_ratios(nation_base)
    unit_ratio = region_ccr[unit_region]

    steps = math.ceil(params.horizon / STEP)
    u, r, n = base_units.astype(np.float64), region_base.astype(np.float64), nation_base
    at_steps_u, at_steps_r, at_steps_n = [u], [r], [n.astype(np.float64)]
    for _ in range(steps):
        u = project_step(u, unit_ratio, unit_cwr)
        r = project_step(r, region_ccr, region_cwr)
        n = project_step(n, nation_ccr, nation_cwr)
        r_ctl = rake(r, np.zeros(n_regions, dtype=np.intp), n[None], params.control)
        u_ctl = rake(u, unit_region, r_ctl, params.control)
        at_steps_u.append(u_ctl)
        at_steps_r.append(r_ctl)
        at_steps_n.append(n)
    years = np.arange(params.base_year, params.base_year + params.horizon + 1)
    return ProjectionResult(
        years=years,
        units=interpolate_years(np.stack(at_steps_u), params.horizon),
        regions=interpolate_years(np.stack(at_steps_r), params.horizon),
        nation=interpolate_years(np.stack(at_steps_n), params.horizon),
        parameters=params,
    )


def interpolate_years(at_steps: Array, horizon: int) -> Array:
    """Five-yearly results ``[step, ...]`` → yearly ``[0..horizon, ...]`` by linear
    interpolation cell by cell."""
    t = np.arange(horizon + 1) / STEP
    lo = np.minimum(np.floor(t).astype(np.intp), at_steps.shape[0] - 1)
    hi = np.minimum(lo + 1, at_steps.shape[0] - 1)
    w = (t - lo).reshape(-1, *([1] * (at_steps.ndim - 1)))
    return np.asarray(at_steps[lo] * (1 - w) + at_steps[hi] * w)


def mean_ratios(ratios: list[Array]) -> Array:
    """Arithmetic mean of CCR arrays from several base periods (equal weights)."""
    return np.asarray(np.mean(np.stack(ratios), axis=0))
