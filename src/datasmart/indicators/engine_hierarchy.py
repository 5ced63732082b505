"""Unit hierarchy and aggregation for the indicator engine (pure polars, no Django).

The hierarchy is nation → sjukvårdsregion → region (län) → kommun, plus the
kommungrupper as a comparator "level" (a parent of kommuner that is never a unit of
its own: its value is published as ``group_value`` on kommun rows).

Every parent has one or more *compositions*: sets of children that partition it.
They are tried in order and the first one that is complete for a cell
(period × sex × age group) gives the aggregate, by summing numerators and
denominators (never averaging values):

=================  ====  ===================================================
parent             rank  children
=================  ====  ===================================================
region             0     its kommuner (``region_code``)
kommungrupp        0     its kommuner (``kommungrupp``)
sjukvårdsregion    0     its kommuner (``sjukvardsregion_code``, exact also
                         for the split Halland)
sjukvårdsregion    1     its whole (non-split) regions + the kommuner of split
                         regions that belong to it
nation             0     all kommuner
nation             1     all regions
nation             2     all sjukvårdsregioner (only when they cover every kommun)
=================  ====  ===================================================

The same compositions are the equations that secondary suppression protects
(``engine_disclosure``).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

__all__ = [
    "CELL",
    "INTERNAL_LEVELS",
    "LEVELS",
    "LEVEL_DEPTH",
    "NATION_CODE",
    "Hierarchy",
    "aggregate",
    "build_hierarchy",
]

LEVELS: tuple[str, ...] = ("nation", "sjukvardsregion", "region", "kommun")
"""Unit levels, top down."""
INTERNAL_LEVELS: tuple[str, ...] = (*LEVELS, "kommungrupp")
"""Levels the engine computes: the unit levels and the kommungrupp comparators."""
LEVEL_DEPTH: dict[str, int] = {
    "nation": 0,
    "sjukvardsregion": 1,
    "region": 2,
    "kommun": 3,
    "kommungrupp": 4,
}
NATION_CODE = "00"
CELL: tuple[str, ...] = ("period", "sex", "age_group")
"""A cell is one period × sex × age group; units are compared within cells."""

UNIT_COLUMNS = ("unit_code", "level", "region_code", "sjukvardsregion_code", "kommungrupp", "name")


class HierarchyError(ValueError):
    """The units table is not a valid hierarchy."""


@dataclass(frozen=True)
class Hierarchy:
    """Units (with kommungrupper as pseudo-units) and the compositions of every parent."""

    units: pl.DataFrame
    """``level``, ``unit_code``, ``depth``, ``region_code``, ``sjukvardsregion_code``,
    ``kommungrupp`` (kommungrupper appear as rows of level ``"kommungrupp"``)."""
    edges: pl.DataFrame
    """``parent_level``, ``parent_code``, ``comp`` (priority, 0 first), ``comp_name``
    (the level(s) summed, e.g. ``"kommun"`` or ``"region+kommun"``),
    ``child_level``, ``child_code``."""
    nation_code: str


def _fail(message: str, rows: pl.DataFrame) -> None:
    if rows.height:
        first = rows.row(0, named=True)
        raise HierarchyError(f"{message}: {first} ({rows.height} row(s))")


def _prepare_units(units: pl.DataFrame) -> pl.DataFrame:
    missing = [c for c in UNIT_COLUMNS if c not in units.columns and c != "name"]
    if missing:
        raise HierarchyError(f"units lacks column(s) {missing}; needs {list(UNIT_COLUMNS)}")
    u = units.select(
        pl.col("unit_code").cast(pl.Utf8),
        pl.col("level").cast(pl.Utf8),
        pl.col("region_code").cast(pl.Utf8),
        pl.col("sjukvardsregion_code").cast(pl.Utf8),
        pl.col("kommungrupp").cast(pl.Utf8),
    )
    _fail("units has a null unit_code or level", u.filter(pl.any_horizontal(
        pl.col("unit_code").is_null(), pl.col("level").is_null()
    )))  # fmt: skip
    _fail(
        f"units has a level outside {list(LEVELS)}",
        u.filter(~pl.col("level").is_in(list(LEVELS))),
    )
    _fail("units repeats a unit_code", u.filter(pl.col("unit_code").is_duplicated()))
    nations = u.filter(pl.col("level") == "nation")
    if nations.height != 1:
        raise HierarchyError(f"units needs exactly one nation row, found {nations.height}")
    kommun = u.filter(pl.col("level") == "kommun")
    region_codes = u.filter(pl.col("level") == "region")["unit_code"]
    svr_codes = u.filter(pl.col("level") == "sjukvardsregion")["unit_code"]
    _fail(
        "a kommun's region_code is null or not a region in units",
        kommun.filter(~pl.col("region_code").is_in(region_codes.implode()).fill_null(False)),
    )
    _fail(
        "a sjukvardsregion_code is not a sjukvardsregion in units",
        u.filter(
            pl.col("level").is_in(["region", "kommun"])
            & pl.col("sjukvardsregion_code").is_not_null()
            & ~pl.col("sjukvardsregion_code").is_in(svr_codes.implode())
        ),
    )
    regions = u.filter(pl.col("level") == "region").select(
        region_code=pl.col("unit_code"), region_svr=pl.col("sjukvardsregion_code")
    )
    _fail(
        "a kommun's sjukvardsregion_code differs from that of its (non-split) region",
        kommun.join(regions, on="region_code", how="left").filter(
            pl.col("region_svr").is_not_null()
            & (pl.col("region_svr") != pl.col("sjukvardsregion_code")).fill_null(True)
        ),
    )
    groups = (
        kommun.filter(pl.col("kommungrupp").is_not_null())
        .select(pl.col("kommungrupp").alias("unit_code"))
        .unique()
        .with_columns(
            level=pl.lit("kommungrupp"),
            region_code=pl.lit(None, pl.Utf8),
            sjukvardsregion_code=pl.lit(None, pl.Utf8),
            kommungrupp=pl.lit(None, pl.Utf8),
        )
        .select(u.columns)
    )
    return pl.concat([u, groups]).with_columns(
        depth=pl.col("level").replace_strict(LEVEL_DEPTH, return_dtype=pl.Int8)
    )


def _edges(
    parent: str, comp: int, name: str, children: pl.DataFrame, code: pl.Expr
) -> pl.DataFrame:
    return children.select(
        parent_level=pl.lit(parent),
        parent_code=code,
        comp=pl.lit(comp, pl.Int8),
        comp_name=pl.lit(name),
        child_level=pl.col("level"),
        child_code=pl.col("unit_code"),
    )


def build_hierarchy(units: pl.DataFrame) -> Hierarchy:
    """Validate *units* and list every parent's compositions (see module docstring)."""
    u = _prepare_units(units)
    nation = str(u.filter(pl.col("level") == "nation")["unit_code"][0])
    k = u.filter(pl.col("level") == "kommun")
    r = u.filter(pl.col("level") == "region")
    s = u.filter(pl.col("level") == "sjukvardsregion")
    split_codes = r.filter(pl.col("sjukvardsregion_code").is_null())["unit_code"]
    split = split_codes.implode()
    k_svr = k.filter(pl.col("sjukvardsregion_code").is_not_null())
    nat = pl.lit(nation)
    parts = [
        _edges("region", 0, "kommun", k, pl.col("region_code")),
        _edges(
            "kommungrupp", 0, "kommun",
            k.filter(pl.col("kommungrupp").is_not_null()), pl.col("kommungrupp"),
        ),
        _edges("sjukvardsregion", 0, "kommun", k_svr, pl.col("sjukvardsregion_code")),
        _edges(
            "sjukvardsregion", 1, "region+kommun",
            pl.concat([
                r.filter(pl.col("sjukvardsregion_code").is_not_null()),
                k_svr.filter(pl.col("region_code").is_in(split)),
            ]),
            pl.col("sjukvardsregion_code"),
        ),
        _edges("nation", 0, "kommun", k, nat),
        _edges("nation", 1, "region", r, nat),
    ]  # fmt: skip
    # Sjukvårdsregioner partition the nation only if every kommun (or, without
    # kommuner, every region) belongs to one.
    covered = k.height > 0 and k_svr.height == k.height
    if k.height == 0:
        covered = r.height > 0 and split_codes.len() == 0
    if s.height and covered:
        parts.append(_edges("nation", 2, "sjukvardsregion", s, nat))
    edges = pl.concat(parts).filter(pl.col("parent_code").is_not_null())
    return Hierarchy(units=u, edges=edges, nation_code=nation)


def aggregate(stored: pl.DataFrame, hierarchy: Hierarchy) -> pl.DataFrame:
    """Add aggregates for every parent and cell that has a complete composition.

    Parameters
    ----------
    stored : DataFrame
        Sparse rows ``level, unit_code, period, sex, age_group, numerator,
        denominator, value, state, aggregated_from`` where ``state`` is ``"ok"``
        (numbers present), ``"not_applicable"`` or ``"suppressed_at_source"``.

    Returns
    -------
    DataFrame
        *stored* plus one row per aggregated parent × cell. A composition is
        complete for a cell when every child has a row that is ``ok`` or
        ``not_applicable``; ``not_applicable`` children add nothing, and a parent
        whose children are all ``not_applicable`` is ``not_applicable``. Stored
        rows win over aggregates. Parents are built bottom-up (region,
        kommungrupp, sjukvårdsregion, nation), so a sjukvårdsregion may use
        regions aggregated just before.
    """
    cur = stored
    cell = list(CELL)
    for parent in ("region", "kommungrupp", "sjukvardsregion", "nation"):
        edges = hierarchy.edges.filter(pl.col("parent_level") == parent)
        if edges.is_empty():
            continue
        sizes = edges.group_by("parent_code", "comp").agg(n_children=pl.len())
        ok = pl.col("state") == "ok"
        agg = (
            edges.join(
                cur,
                left_on=["child_level", "child_code"],
                right_on=["level", "unit_code"],
                how="inner",
            )
            .group_by("parent_code", "comp", "comp_name", *cell)
            .agg(
                n_ok=ok.sum(),
                n_na=(pl.col("state") == "not_applicable").sum(),
                numerator=pl.col("numerator").filter(ok).sum(),
                denominator=pl.col("denominator").filter(ok).sum(),
                den_nulls=(ok & pl.col("denominator").is_null()).sum(),
            )
            .join(sizes, on=["parent_code", "comp"], how="inner")
            .filter((pl.col("n_ok") + pl.col("n_na")) == pl.col("n_children"))
            .sort("parent_code", *cell, "comp")
            .group_by("parent_code", *cell, maintain_order=True)
            .first()
        )
        any_ok = pl.col("n_ok") > 0
        rows = agg.select(
            level=pl.lit(parent),
            unit_code=pl.col("parent_code"),
            period=pl.col("period"),
            sex=pl.col("sex"),
            age_group=pl.col("age_group"),
            numerator=pl.when(any_ok).then(pl.col("numerator")),
            denominator=pl.when(any_ok & (pl.col("den_nulls") == 0)).then(pl.col("denominator")),
            value=pl.lit(None, pl.Float64),
            state=pl.when(any_ok).then(pl.lit("ok")).otherwise(pl.lit("not_applicable")),
            aggregated_from=pl.col("comp_name"),
        )
        here = cur.filter(pl.col("level") == parent).select("unit_code", *cell)
        rows = rows.join(here, on=["unit_code", *cell], how="anti")
        cur = pl.concat([cur, rows.select(cur.columns)], how="vertical_relaxed")
    return cur
