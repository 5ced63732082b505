"""Benchmark: the indicator engine on one indicator for all 290 kommuner × 20 years × 2 sexes.

Run with ``uv run python benchmarks/bench_indicators.py``. The real hierarchy is read
from ``shared/data`` (kommun → län from ``geography/municipalities.csv``, kommun →
sjukvårdsregion from ``sjukvardsregioner/kommun_sjukvardsregion.csv``, kommungrupp
from ``kommungrupper/kommungrupper_2017.csv``; codes as strings). Numerators and
denominators are synthetic with a fixed seed: it is a speed test.

Timed in the same run, interleaved, best of N:

* ``compute`` — aggregation to region, sjukvårdsregion and nation, Wilson intervals,
  primary and secondary suppression, comparisons (nation, kommungrupp, previous
  year), ranks, quintiles and funnel zones;
* the floor — a plain polars group-by sum of the same rows to region and nation
  (no intervals, no checks, no suppression).

``--write`` replaces the "Indicator computation" section of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from datasmart.indicators.engine import IndicatorSpec, compute, trend

SEED = 20240601
YEARS = range(2005, 2025)
SEXES = ("1", "2")
REPEATS = 7
SECTION = "## Indicator computation (`benchmarks/bench_indicators.py`)"
DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
DATA = Path(
    os.environ.get("DATASMART_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data")
)
SPEC = IndicatorSpec("bench", "proportion", 100, "higher_is_better", "wilson")


def load_units() -> pl.DataFrame:
    """The real nation → sjukvårdsregion → län → kommun hierarchy with kommungrupper."""
    text = {
        "municipality_code": pl.Utf8,
        "county_code": pl.Utf8,
        "kommun_code": pl.Utf8,
        "lan_code": pl.Utf8,
    }
    kommun = pl.read_csv(DATA / "geography" / "municipalities.csv", schema_overrides=text).select(
        unit_code="municipality_code", region_code="county_code", name="municipality_name_short"
    )
    svr = pl.read_csv(
        DATA / "sjukvardsregioner" / "kommun_sjukvardsregion.csv", schema_overrides=text
    ).select(unit_code="kommun_code", sjukvardsregion_code="sjukvardsregion_id")
    groups = pl.read_csv(
        DATA / "kommungrupper" / "kommungrupper_2017.csv", schema_overrides=text
    ).select(unit_code="kommun_code", kommungrupp="kommungrupp")
    k = kommun.join(svr, on="unit_code", how="left").join(groups, on="unit_code", how="left")
    # A län belongs to one sjukvårdsregion unless its kommuner are split (Halland).
    regions = (
        k.group_by("region_code")
        .agg(n=pl.col("sjukvardsregion_code").n_unique(), s=pl.col("sjukvardsregion_code").first())
        .select(
            unit_code="region_code",
            level=pl.lit("region"),
            region_code=pl.lit(None, pl.Utf8),
            sjukvardsregion_code=pl.when(pl.col("n") == 1).then("s"),
            kommungrupp=pl.lit(None, pl.Utf8),
            name=pl.col("region_code"),
        )
    )
    svrs = k.select(pl.col("sjukvardsregion_code").unique().alias("unit_code")).select(
        "unit_code",
        level=pl.lit("sjukvardsregion"),
        region_code=pl.lit(None, pl.Utf8),
        sjukvardsregion_code=pl.lit(None, pl.Utf8),
        kommungrupp=pl.lit(None, pl.Utf8),
        name="unit_code",
    )
    nation = pl.DataFrame(
        {"unit_code": ["00"], "level": ["nation"], "region_code": [None], "sjukvardsregion_code": [None],
         "kommungrupp": [None], "name": ["Riket"]},
        schema=svrs.schema,
    )  # fmt: skip
    kommuner = k.select(
        "unit_code", level=pl.lit("kommun"), region_code="region_code",
        sjukvardsregion_code="sjukvardsregion_code", kommungrupp="kommungrupp", name="name",
    )  # fmt: skip
    return pl.concat([nation, svrs, regions, kommuner])


def synthetic_observations(units: pl.DataFrame) -> pl.DataFrame:
    """290 × 20 × 2 rows: denominators like kommun populations, proportions 0.05–10 % (some small counts)."""
    rng = np.random.default_rng(SEED)
    codes = units.filter(pl.col("level") == "kommun")["unit_code"].to_numpy()
    size = np.exp(rng.normal(9.5, 1.0, codes.size)).round() + 200  # ~2 k … ~400 k
    rows = len(YEARS) * len(SEXES)
    den = np.repeat(size, rows) * rng.uniform(0.45, 0.55, codes.size * rows)
    den = den.round()
    p = np.repeat(np.exp(rng.uniform(np.log(0.0005), np.log(0.1), codes.size)), rows)
    num = rng.binomial(den.astype(np.int64), p).astype(np.float64)
    grid = np.array([(y, s) for y in YEARS for s in SEXES], dtype=object)
    return pl.DataFrame(
        {
            "unit_code": np.repeat(codes, rows),
            "period": np.tile(grid[:, 0].astype(np.int64), codes.size),
            "sex": np.tile(grid[:, 1].astype(str), codes.size),
            "age_group": [""] * den.size,
            "numerator": num,
            "denominator": den,
            "value": pl.Series([None] * den.size, dtype=pl.Float64),
            "status": ["ok"] * den.size,
        }
    )


def floor(observations: pl.DataFrame, units: pl.DataFrame) -> pl.DataFrame:
    """Plain polars group-by sums of the same rows to region and nation."""
    k = units.filter(pl.col("level") == "kommun").select("unit_code", "region_code")
    regions = (
        observations.join(k, on="unit_code")
        .group_by("region_code", "period", "sex")
        .agg(pl.col("numerator").sum(), pl.col("denominator").sum())
    )
    nation = observations.group_by("period", "sex").agg(
        pl.col("numerator").sum(), pl.col("denominator").sum()
    )
    return pl.concat([regions.drop("region_code"), nation])


def best_times(fns: dict[str, Callable[[], object]], repeats: int = REPEATS) -> dict[str, float]:
    """Best wall time of each function over *repeats* interleaved rounds."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: min(t) for name, t in times.items()}


def run() -> dict[str, float]:
    units = load_units()
    obs = synthetic_observations(units)
    out = compute(obs, units, SPEC)  # warm-up, and the figures reported
    t = best_times(
        {
            "compute": lambda: compute(obs, units, SPEC),
            "floor": lambda: floor(obs, units),
            "trend": lambda: trend(out, SPEC),
        }
    )
    return {
        **t,
        "input_rows": float(obs.height),
        "output_rows": float(out.height),
        "suppressed": float((out["status"] == "suppressed").sum()),
        "secondary": float((out["suppression"] == "secondary").sum()),
    }


def report(res: dict[str, float]) -> str:
    ratio = res["compute"] / res["floor"]
    when = date.today().isoformat()
    return "\n".join(
        [
            SECTION,
            "",
            f"One proportion indicator (Wilson), 290 kommuner × 20 years × 2 sexes = "
            f"{res['input_rows']:,.0f} input rows (synthetic, seed {SEED}) on the real hierarchy "
            f"(21 län incl. split Halland, 6 sjukvårdsregioner, kommungrupper 2017); "
            f"{res['output_rows']:,.0f} result rows, {res['suppressed']:,.0f} suppressed "
            f"({res['secondary']:,.0f} secondary). Best of {REPEATS} interleaved runs on "
            f"{platform.machine()} / Python {platform.python_version()} ({when}).",
            "",
            "| step | time (ms) | vs floor |",
            "| --- | ---: | ---: |",
            f"| floor: polars group-by sum to region and nation | {res['floor'] * 1e3:.1f} | 1× |",
            f"| `compute` (aggregation, CIs, suppression, comparisons, ranks, funnels) "
            f"| {res['compute'] * 1e3:.1f} | {ratio:.0f}× |",
            f"| `trend` (5-year Cochran–Armitage per unit) | {res['trend'] * 1e3:.1f} "
            f"| {res['trend'] / res['floor']:.0f}× |",
            "",
            "The floor only sums numerators and denominators to two levels; `compute` also",
            "validates every input row, builds the sjukvårdsregion and kommungrupp aggregates,",
            "runs secondary suppression to a fixed point and classifies every unit against the",
            "funnel in one vectorised `funnel_zones` call (exact tails at each unit's own size).",
            "Re-run: `uv run python benchmarks/bench_indicators.py --write`.",
        ]
    )


def write_section(text: str, doc: Path = DOC) -> None:
    """Add or replace only this benchmark's section of docs/benchmarks.md."""
    old = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    lines = old.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == SECTION), None)
    if start is None:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        new = (
            "".join(lines[:start])
            + text
            + ("\n\n" if end < len(lines) else "")
            + "".join(lines[end:])
        )
    doc.write_text(new.rstrip("\n") + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    res = run()
    text = report(res)
    print(text)
    print(
        f"summary: compute {res['compute'] * 1e3:.1f} ms vs floor {res['floor'] * 1e3:.2f} ms "
        f"= {res['compute'] / res['floor']:.0f}x the plain group-by"
    )
    if args.write:
        write_section(text)


if __name__ == "__main__":
    main()
