"""Small-number suppression for the indicator engine: primary and secondary.

Primary suppression uses :func:`datasmart.stats.suppress` (its threshold rule,
zeros shown). Secondary suppression applies the rule of ``stats.suppress`` — "a
group whose total is published must not have exactly one hidden cell; hide its
smallest shown positive cell too, zeros only as a last resort, repeat until
stable" — to the *equations* of the hierarchy rather than to the axes of a
rectangular table, because a kommun sits in three overlapping groups (its region,
its sjukvårdsregion, its kommungrupp) and the groups are ragged.
:func:`linked_suppression` does the same for several tables that count the same
population (a disclosure group), with one pattern shared by all of them (Hundepool et
al., *Statistical Disclosure Control*, Wiley 2012, §5.5 on linked tables). See
``docs/methods/indicators.md`` for the full rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from datasmart.indicators.engine_hierarchy import Hierarchy
from datasmart.stats import suppress

__all__ = ["equations", "linked_suppression", "suppression"]

PRIMARY = "primary"
SECONDARY = "secondary"
AT_SOURCE = "at_source"
SEXES = ("T", "1", "2")

# Sort key of a cell that may be hidden to protect another: its numerator if
# positive, a zero only as a last resort, never a cell with no numbers.
_ZERO_KEY = np.finfo(np.float64).max


def equations(
    grid: pl.DataFrame, hierarchy: Hierarchy, age_bands: Sequence[str] = ()
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Group membership of the published sums, as ``(group id, grid row)`` pairs.

    One group per cell for every composition "parent = Σ children" in the
    hierarchy (parent row included), per unit and period for "total = men +
    women" when all three sexes are present, and per unit, period and sex for
    "all ages = Σ age bands" when *age_bands* partition the total.
    """
    rows = grid.select("level", "unit_code", "period", "sex", "age_group").with_row_index("row")
    edges = hierarchy.edges
    members = pl.concat([
        edges.select(
            "parent_level", "parent_code", "comp",
            level=pl.col("parent_level"), unit_code=pl.col("parent_code"),
        ).unique(),
        edges.select(
            "parent_level", "parent_code", "comp",
            level=pl.col("child_level"), unit_code=pl.col("child_code"),
        ),
    ])  # fmt: skip
    groups = [
        members.join(rows, on=["level", "unit_code"], how="inner")
        .group_by("parent_level", "parent_code", "comp", "period", "sex", "age_group")
        .agg(pl.col("row"))
        .select("row")
    ]
    groups.append(
        rows.filter(pl.col("sex").is_in(SEXES))
        .group_by("level", "unit_code", "period", "age_group")
        .agg(pl.col("row"), n=pl.len())
        .filter(pl.col("n") == len(SEXES))
        .select("row")
    )
    if age_bands:
        parts = ["", *age_bands]
        groups.append(
            rows.filter(pl.col("age_group").is_in(parts))
            .group_by("level", "unit_code", "period", "sex")
            .agg(pl.col("row"), n=pl.len())
            .filter(pl.col("n") == len(parts))
            .select("row")
        )
    long = (
        pl.concat(groups)
        .with_row_index("gid")
        .explode("row")
        .select(pl.col("gid").cast(pl.Int64), pl.col("row").cast(pl.Int64))
    )
    return long["gid"].to_numpy(), long["row"].to_numpy()


def _member_arrays(
    grid: pl.DataFrame,
    threshold: float,
    published_levels: Sequence[str],
    person_denominator: bool,
) -> dict[str, npt.NDArray[Any]]:
    """Per-row arrays of one indicator's grid that the secondary search needs."""
    state = grid["state"].to_numpy()
    has = state == "ok"
    published = grid["level"].is_in(list(published_levels)).to_numpy()
    num = grid["numerator"].fill_null(np.nan).to_numpy().astype(np.float64)
    den = grid["denominator"].fill_null(np.nan).to_numpy().astype(np.float64)
    check = has & published
    primary = np.zeros(grid.height, dtype=bool)
    primary[check] = suppress(
        num[check], threshold, secondary_axes=None, nan_policy="propagate"
    ).mask
    if person_denominator:
        primary[check] |= suppress(
            den[check], threshold, secondary_axes=None, nan_policy="propagate"
        ).mask
    depth = grid["depth"].to_numpy().astype(np.int64)
    return {
        "primary": primary,
        "at_source": state == "suppressed_at_source",
        # Unknown to a reader without being ours to protect: no data, or not published.
        "other_unknown": (state == "missing") | ~published,
        "candidate": has & published,
        # A linked row is hidden with its twins whatever its state (e.g. not_applicable,
        # which shows a zero), unless a reader sees nothing there anyway.
        "linkable": published & (state != "missing"),
        "key": np.where(num > 0, num, _ZERO_KEY),
        # Among equal keys hide the finest unit first; a kommungrupp value comes last.
        "preference": np.where(depth == 4, 9, 3 - depth),
    }


def _secondary(
    gid: npt.NDArray[np.int64],
    row: npt.NDArray[np.int64],
    a: dict[str, npt.NDArray[Any]],
    link: npt.NDArray[np.int64] | None,
) -> npt.NDArray[np.object_]:
    """Hide cells until no published sum has exactly one unknown term (see module doc)."""
    n = a["primary"].size
    hidden = a["primary"] | a["at_source"]
    other_unknown, candidate = a["other_unknown"], a["candidate"]
    key, preference = a["key"], a["preference"]
    ngroups = int(gid.max()) + 1 if gid.size else 0
    for _ in range(n + 1):  # each pass hides at least one more row, or stops
        if link is not None:  # a cell hidden in one linked table is hidden in all
            spread = np.bincount(link, weights=hidden, minlength=int(link.max()) + 1) > 0
            hidden |= spread[link] & a["linkable"]
        hidden_m = hidden[row]
        n_hidden = np.bincount(gid, weights=hidden_m, minlength=ngroups)
        n_unknown = np.bincount(gid, weights=hidden_m | other_unknown[row], minlength=ngroups)
        exposed = (n_hidden == 1) & (n_unknown == 1)
        if not exposed.any():
            break
        pick = exposed[gid] & candidate[row] & ~hidden_m
        if not pick.any():
            break  # nothing left to hide in the exposed groups
        g, r = gid[pick], row[pick]
        order = np.lexsort((r, preference[r], key[r], g))
        g, r = g[order], r[order]
        first = np.ones(g.size, dtype=bool)
        first[1:] = g[1:] != g[:-1]
        hidden[r[first]] = True
    reason = np.full(n, None, dtype=object)
    reason[hidden] = SECONDARY
    reason[a["primary"]] = PRIMARY
    reason[a["at_source"]] = AT_SOURCE
    return reason


def suppression(
    grid: pl.DataFrame,
    hierarchy: Hierarchy,
    *,
    threshold: float,
    published_levels: Sequence[str],
    person_denominator: bool,
    age_bands: Sequence[str] = (),
) -> npt.NDArray[np.object_]:
    """Reason each grid row is hidden: ``"primary"``, ``"secondary"``, ``"at_source"`` or None.

    Parameters
    ----------
    grid : DataFrame
        The complete, canonically sorted grid with ``level``, ``unit_code``,
        ``period``, ``sex``, ``age_group``, ``numerator``, ``denominator``,
        ``state`` and ``depth``.
    threshold : float
        Counts ``1 <= c < threshold`` are hidden (1 switches primary suppression off).
    published_levels : sequence of str
        Levels whose rows leave the engine (rows of other levels count as unknown
        to a reader and are neither protected nor hidden).
    person_denominator : bool
        The denominator counts people (proportions, means): it is subject to the
        primary rule as well.
    """
    arrays = _member_arrays(grid, threshold, published_levels, person_denominator)
    gid, row = equations(grid, hierarchy, age_bands)
    return _secondary(gid, row, arrays, None)


def linked_suppression(
    grids: Sequence[pl.DataFrame],
    hierarchy: Hierarchy,
    *,
    threshold: float,
    published_levels: Sequence[Sequence[str]],
    person_denominator: Sequence[bool],
    age_bands: Sequence[Sequence[str]],
) -> list[npt.NDArray[np.object_]]:
    """:func:`suppression` for linked tables: one hidden pattern shared by all of them.

    Tables are *linked* when the same population is counted in more than one of them
    (here: a disclosure group of indicators, e.g. plans started per kommun and month,
    and the denominator of a proportion of those plans). Suppressed one at a time, each
    table is safe on its own, but their secondary patterns differ: a cell hidden as
    secondary in one is shown in the other, and "total minus the cells shown" then
    gives the primary cell back. Hundepool et al. (*Statistical Disclosure Control*,
    Wiley 2012, §5.5 "linked tables") require the suppression pattern to be
    consistent across linked tables; the simplest consistent pattern, used here, is
    a common one: a cell (level, unit, period, sex, age group) hidden in one table for
    any reason is hidden in every table, and the secondary search of
    :func:`suppression` runs on all the tables' equations at once until no published
    sum in any table has exactly one hidden term. Since the tables then hide the same
    cells and each is protected by itself, combining them tells a reader no count
    that one table alone does not. Rows a member shows as ``not_applicable`` (nothing
    to measure, i.e. a zero) are hidden too when linked.

    Parameters are those of :func:`suppression`, one per grid. Returns one reason
    array per grid; with a single grid the result equals :func:`suppression`'s.
    """
    if not grids:
        return []
    sizes = [g.height for g in grids]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    parts = [
        _member_arrays(g, threshold, levels, person)
        for g, levels, person in zip(grids, published_levels, person_denominator, strict=True)
    ]
    arrays = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    gids, rows = [], []
    next_gid = 0
    for grid, offset, bands in zip(grids, offsets[:-1], age_bands, strict=True):
        gid, row = equations(grid, hierarchy, bands)
        gids.append(gid + next_gid)
        rows.append(row + offset)
        next_gid += int(gid.max()) + 1 if gid.size else 0
    keys = pl.concat([g.select("level", "unit_code", "period", "sex", "age_group") for g in grids])
    link = keys.select(pl.struct(pl.all()).rank("dense").cast(pl.Int64) - 1).to_series()
    reason = _secondary(
        np.concatenate(gids), np.concatenate(rows), arrays, link.to_numpy().astype(np.int64)
    )
    return [reason[offsets[i] : offsets[i + 1]] for i in range(len(grids))]
