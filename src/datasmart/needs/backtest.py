"""Backtests of the Hamilton–Perry projection on the reference files (no Django).

Reads the SCB files in ``shared/data/population`` straight into arrays (so the test suite
and docs/methods/needs.md can rerun them in well under a second) and compares projected
totals with what was later observed, against two baselines measured in the same run:

- *no change*: every unit keeps its base-year population;
- *national growth*: every unit grows like the nation actually grew (an oracle baseline:
  it uses the observed national total of the target year, which a real forecast would not
  have).

Error measures: absolute percentage error ``APE = |projected − observed| / observed``;
``MAPE`` its mean over units and the median APE (Swanson et al. 2010 use MAPE and its
robust companions, since MAPE is pulled up by a few small areas).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from datasmart.needs.projection import (
    N_AGES,
    N_SEX,
    Array,
    IntArray,
    ProjectionParameters,
    cohort_change_ratios,
    mean_ratios,
    project,
    to_bands,
)


@dataclass
class ReferenceArrays:
    """The population files as arrays indexed by sorted codes."""

    kommun_codes: list[str]
    lan_codes: list[str]
    kommun_lan: IntArray  # [kommun] -> län index
    kommun_2019: Array  # [kommun, sex, age]
    kommun_total_2024: Array  # [kommun]
    lan_single: dict[int, Array]  # year -> [lan, sex, age]
    lan_bands: dict[int, Array]  # year -> [lan, sex, 19 bands, 90+ open]
    lan_totals: dict[int, Array] = field(default_factory=dict)  # year -> [lan]


def _cube(df: pl.DataFrame, code_col: str, codes: list[str], age_col: str, n_age: int) -> Array:
    index = {c: i for i, c in enumerate(codes)}
    out = np.zeros((len(codes), N_SEX, n_age))
    c = np.array([index[x] for x in df[code_col].to_list()])
    s = df["sex"].cast(pl.Int64).to_numpy() - 1
    a = df[age_col].cast(pl.Int64).to_numpy()
    out[c, s, a] = df["population"].cast(pl.Float64).to_numpy()
    return out


def read_reference(data_dir: Path) -> ReferenceArrays:
    """Read the five population files (codes as strings, as SOURCE.md asks)."""
    pop = data_dir / "population"
    k19 = pl.read_csv(pop / "kommun_age_sex_2019.csv", infer_schema=False)
    k24 = pl.read_csv(pop / "kommun_total_2024.csv", infer_schema=False)
    lan = pl.read_csv(pop / "lan_age_sex_1968_2015.csv", infer_schema=False)
    bands = pl.read_csv(pop / "lan_age5_sex_2013_2021.csv", infer_schema=False)
    totals = pl.read_csv(pop / "lan_total_2011_2024.csv", infer_schema=False)
    kommun_codes = sorted(set(k19["kommun_code"].to_list()))
    lan_codes = sorted(set(lan["lan_code"].to_list()))
    lan_index = {c: i for i, c in enumerate(lan_codes)}
    k24_map = dict(zip(k24["kommun_code"].to_list(), k24["population"].to_list(), strict=True))
    bands = bands.with_columns((pl.col("age_from").cast(pl.Int64) // 5).alias("band"))
    totals = totals.filter(pl.col("lan_code") != "00")
    return ReferenceArrays(
        kommun_codes=kommun_codes,
        lan_codes=lan_codes,
        kommun_lan=np.array([lan_index[c[:2]] for c in kommun_codes], dtype=np.intp),
        kommun_2019=_cube(k19, "kommun_code", kommun_codes, "age", N_AGES),
        kommun_total_2024=np.array([float(k24_map[c]) for c in kommun_codes]),
        lan_single={
            int(y): _cube(g, "lan_code", lan_codes, "age", N_AGES)
            for (y,), g in lan.group_by("year")
        },
        lan_bands={
            int(y): _cube(g, "lan_code", lan_codes, "band", 19)
            for (y,), g in bands.group_by("year")
        },
        lan_totals={
            int(y): np.array(
                [
                    float(dict(zip(g["lan_code"], g["population"], strict=True))[c])
                    for c in lan_codes
                ]
            )
            for (y,), g in totals.group_by("year")
        },
    )


def lan_ratios(
    ref: ReferenceArrays, params: ProjectionParameters, *, nation: bool = False
) -> Array:
    """CCRs per län (or for the nation) from ``params.periods``, using only data up to the
    base year: one-year ages where both years have them (1968–2015, and 2019 as the sum of
    kommuner), else five-year bands (2013–2021)."""
    ratios = []
    for start, end in params.periods:
        a, b = _pair(ref, start, end, params.band_width)
        width = params.band_width if a.shape[-1] != N_AGES else 1
        if nation:
            a, b = a.sum(0), b.sum(0)
        ratios.append(
            cohort_change_ratios(
                a, b, width=width, top_age=params.top_age, smoothing=params.smoothing
            )
        )
    return mean_ratios(ratios)


def _pair(ref: ReferenceArrays, start: int, end: int, band_width: int) -> tuple[Array, Array]:
    single = dict(ref.lan_single)
    single.setdefault(2019, _sum_by(ref.kommun_2019, ref.kommun_lan, len(ref.lan_codes)))
    if band_width == 1 and start in single and end in single:
        return single[start], single[end]
    bands = {y: to_bands(v) for y, v in single.items()} | ref.lan_bands
    if start in bands and end in bands:
        return bands[start], bands[end]
    raise ValueError(f"no län population by age for the period {start}–{end}")


def _sum_by(values: Array, groups: Any, n: int) -> Array:
    out = np.zeros((n, *values.shape[1:]))
    np.add.at(out, groups, values)
    return out


@dataclass
class Scores:
    """Error of projected totals against observed totals."""

    mape: float
    median_ape: float
    worst: list[tuple[str, float, float, float]]  # code, projected, observed, APE


def score(codes: list[str], projected: Array, observed: Array, n_worst: int = 10) -> Scores:
    ape = np.abs(projected - observed) / observed
    order = np.argsort(-ape)[:n_worst]
    return Scores(
        mape=float(ape.mean()),
        median_ape=float(np.median(ape)),
        worst=[(codes[i], float(projected[i]), float(observed[i]), float(ape[i])) for i in order],
    )


@dataclass
class Backtest:
    method: Scores
    no_change: Scores
    national_growth: Scores
    parameters: dict[str, Any]


def kommun_backtest(ref: ReferenceArrays, params: ProjectionParameters) -> Backtest:
    """Project the 2019 kommun population to 2024 and compare with the real totals."""
    assert params.base_year == 2019 and params.horizon >= 5
    result = project(
        ref.kommun_2019,
        ref.kommun_lan,
        lan_ratios(ref, params),
        params,
        nation_ccr=lan_ratios(ref, params, nation=True),
    )
    at = 2024 - params.base_year
    projected = result.units[at].sum(axis=(1, 2))
    base = ref.kommun_2019.sum(axis=(1, 2))
    observed = ref.kommun_total_2024
    growth = observed.sum() / base.sum()
    codes = ref.kommun_codes
    return Backtest(
        method=score(codes, projected, observed),
        no_change=score(codes, base, observed),
        national_growth=score(codes, base * growth, observed),
        parameters=params.as_dict(),
    )


def lan_backtest(ref: ReferenceArrays, params: ProjectionParameters, target: int) -> Backtest:
    """Project the län from ``params.base_year`` to ``target`` (inside 1968–2015) with
    ratios from the base periods, and compare totals with the observed ``target`` year."""
    base = ref.lan_single[params.base_year]
    n = len(ref.lan_codes)
    result = project(
        base,
        np.arange(n, dtype=np.intp),
        lan_ratios(ref, params),
        params,
        nation_ccr=lan_ratios(ref, params, nation=True),
    )
    projected = result.units[target - params.base_year].sum(axis=(1, 2))
    observed = ref.lan_single[target].sum(axis=(1, 2))
    base_tot = base.sum(axis=(1, 2))
    growth = observed.sum() / base_tot.sum()
    codes = ref.lan_codes
    return Backtest(
        method=score(codes, projected, observed),
        no_change=score(codes, base_tot, observed),
        national_growth=score(codes, base_tot * growth, observed),
        parameters=params.as_dict(),
    )
