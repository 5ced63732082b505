"""Hand-made hierarchy and checkers shared by the engine tests (no tests here).

Hierarchy (nation "00"):

* region 01 (sjukvårdsregion "sa"): kommuner 0101, 0102, 0103
* region 02 (sjukvårdsregion "sb"): kommuner 0201, 0202, 0203
* region 03 — split like Halland (no sjukvårdsregion of its own): 0301 → "sa",
  0302 and 0303 → "sb"
* region 04 (sjukvårdsregion "sc"): kommuner 0401, 0402

Kommungrupper: A = 0101, 0201, 0301, 0401; B = 0102, 0202, 0302, 0402; C = 0103, 0203, 0303.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

import polars as pl

KOMMUNER: dict[str, tuple[str, str, str]] = {
    # kommun: (region, sjukvårdsregion, kommungrupp)
    "0101": ("01", "sa", "A"),
    "0102": ("01", "sa", "B"),
    "0103": ("01", "sa", "C"),
    "0201": ("02", "sb", "A"),
    "0202": ("02", "sb", "B"),
    "0203": ("02", "sb", "C"),
    "0301": ("03", "sa", "A"),
    "0302": ("03", "sb", "B"),
    "0303": ("03", "sb", "C"),
    "0401": ("04", "sc", "A"),
    "0402": ("04", "sc", "B"),
}
REGIONS: dict[str, str | None] = {"01": "sa", "02": "sb", "03": None, "04": "sc"}
SJUKVARDSREGIONER = ("sa", "sb", "sc")


def units_frame() -> pl.DataFrame:
    rows = [("00", "nation", None, None, None, "Riket")]
    rows += [(s, "sjukvardsregion", None, None, None, f"SVR {s}") for s in SJUKVARDSREGIONER]
    rows += [(r, "region", None, s, None, f"Region {r}") for r, s in REGIONS.items()]
    rows += [(k, "kommun", r, s, g, f"Kommun {k}") for k, (r, s, g) in KOMMUNER.items()]
    return pl.DataFrame(
        rows,
        schema=["unit_code", "level", "region_code", "sjukvardsregion_code", "kommungrupp", "name"],
        orient="row",
    )


def obs_frame(
    counts: Mapping[str, tuple[float | None, float | None]],
    *,
    period: int = 2023,
    sex: str = "T",
    age_group: str = "",
    status: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """Observation rows ``unit → (numerator, denominator)``; status "ok" unless given."""
    status = status or {}
    rows = [
        (u, period, sex, age_group, x, n, None, status.get(u, "ok")) for u, (x, n) in counts.items()
    ]
    return pl.DataFrame(
        rows,
        schema={
            "unit_code": pl.Utf8,
            "period": pl.Int64,
            "sex": pl.Utf8,
            "age_group": pl.Utf8,
            "numerator": pl.Float64,
            "denominator": pl.Float64,
            "value": pl.Float64,
            "status": pl.Utf8,
        },
        orient="row",
    )


def row(out: pl.DataFrame, unit: str, **cell: object) -> dict[str, object]:
    """The single result row of *unit* (and optional period/sex/age_group)."""
    f = out.filter(pl.col("unit_code") == unit)
    for k, v in cell.items():
        f = f.filter(pl.col(k) == v)
    assert f.height == 1, f"{unit} {cell}: {f.height} rows"
    return f.row(0, named=True)


def published_equations() -> list[tuple[str, list[str]]]:
    """Every "parent = Σ children" relation a reader can use: (parent, children).

    Kommungrupp parents are written ``"group:A"`` (their value is the
    ``group_value`` column on kommun rows).
    """
    eqs: list[tuple[str, list[str]]] = []
    by_region: dict[str, list[str]] = defaultdict(list)
    by_svr: dict[str, list[str]] = defaultdict(list)
    by_group: dict[str, list[str]] = defaultdict(list)
    for k, (r, s, g) in KOMMUNER.items():
        by_region[r].append(k)
        by_svr[s].append(k)
        by_group[g].append(k)
    eqs += list(by_region.items())
    eqs += list(by_svr.items())
    for s in SJUKVARDSREGIONER:
        mixed = [r for r, rs in REGIONS.items() if rs == s]
        mixed += [k for k, (r, ks, _) in KOMMUNER.items() if REGIONS[r] is None and ks == s]
        eqs.append((s, mixed))
    eqs += [(f"group:{g}", ks) for g, ks in by_group.items()]
    eqs += [("00", list(KOMMUNER)), ("00", list(REGIONS)), ("00", list(SJUKVARDSREGIONER))]
    return eqs


def exposed_cells(out: pl.DataFrame) -> list[str]:
    """Suppressed rows that a reader could recompute from one published sum.

    A relation exposes a hidden cell when it has exactly one unknown
    (suppressed or missing numerator, or a null group value) and that unknown
    is a suppressed row. Checked per cell for the hierarchy and kommungrupper,
    and per unit and period for total = men + women.
    """
    problems: list[str] = []
    known: dict[tuple[str, int, str, str], bool] = {}
    suppressed: dict[tuple[str, int, str, str], bool] = {}
    for r in out.iter_rows(named=True):
        key = (r["unit_code"], r["period"], r["sex"], r["age_group"])
        known[key] = r["numerator"] is not None or r["status"] == "not_applicable"
        suppressed[key] = r["status"] == "suppressed"
        if r["group_code"] is not None:
            gkey = (f"group:{r['group_code']}", r["period"], r["sex"], r["age_group"])
            known[gkey] = r["group_value"] is not None
            suppressed[gkey] = r["group_value"] is None
    cells = {k[1:] for k in known}
    for cell in cells:
        for parent, children in published_equations():
            members = [(parent, *cell)] + [(c, *cell) for c in children]
            if not all(m in known for m in members):
                continue
            _check(members, known, suppressed, problems)
    for unit, period, _, age in {(k[0], k[1], "", k[3]) for k in known}:
        members = [(unit, period, s, age) for s in ("T", "1", "2")]
        if all(m in known for m in members):
            _check(members, known, suppressed, problems)
    return problems


def _check(
    members: Iterable[tuple[str, int, str, str]],
    known: Mapping[tuple[str, int, str, str], bool],
    suppressed: Mapping[tuple[str, int, str, str], bool],
    problems: list[str],
) -> None:
    unknown = [m for m in members if not known[m]]
    if len(unknown) == 1 and suppressed[unknown[0]]:
        problems.append(f"{unknown[0]} recomputable from {list(members)}")
