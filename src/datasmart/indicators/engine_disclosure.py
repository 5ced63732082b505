"""Small-number suppression for the indicator engine: primary and secondary.

Primary suppression uses :func:`datasmart.stats.suppress` (its threshold rule,
zeros shown). Secondary suppression applies the rule of ``stats.suppress`` — "a
group whose total is published must not have exactly one hidden cell; hide its
smallest shown positive cell too, zeros only as a last resort, repeat until
stable" — to the *equations* of the hierarchy rather than to the axes of a
rectangular table, because a kommun sits in three overlapping groups (its region,
its sjukvårdsregion, its kommungrupp) and the groups are ragged. See
``docs/methods/indicators.md`` for the full rule.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import polars as pl

from datasmart.indicators.engine_hierarchy import Hierarchy
from datasmart.stats import suppress

__all__ = ["equations", "suppression"]

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
    n = grid.height
    state = grid["state"].to_numpy()
    has = state == "ok"
    published = grid["level"].is_in(list(published_levels)).to_numpy()
    num = grid["numerator"].fill_null(np.nan).to_numpy().astype(np.float64)
    den = grid["denominator"].fill_null(np.nan).to_numpy().astype(np.float64)
    check = has & published
    primary = np.zeros(n, dtype=bool)
    primary[check] = suppress(
        num[check], threshold, secondary_axes=None, nan_policy="propagate"
    ).mask
    if person_denominator:
        primary[check] |= suppress(
            den[check], threshold, secondary_axes=None, nan_policy="propagate"
        ).mask
    at_source = state == "suppressed_at_source"
    hidden = primary | at_source
    # Unknown to a reader without being ours to protect: no data, or not published.
    other_unknown = (state == "missing") | ~published

    gid, row = equations(grid, hierarchy, age_bands)
    key = np.where(num > 0, num, _ZERO_KEY)
    candidate_base = has & published
    depth = grid["depth"].to_numpy().astype(np.int64)
    # Among equal keys hide the finest unit first; a kommungrupp value comes last.
    preference = np.where(depth == 4, 9, 3 - depth)
    secondary = np.zeros(n, dtype=bool)
    ngroups = int(gid.max()) + 1 if gid.size else 0
    for _ in range(n + 1):  # each pass hides at least one more row, or stops
        hidden_m = hidden[row]
        n_hidden = np.bincount(gid, weights=hidden_m, minlength=ngroups)
        n_unknown = np.bincount(gid, weights=hidden_m | other_unknown[row], minlength=ngroups)
        exposed = (n_hidden == 1) & (n_unknown == 1)
        if not exposed.any():
            break
        pick = exposed[gid] & candidate_base[row] & ~hidden_m
        if not pick.any():
            break  # nothing left to hide in the exposed groups
        g, r = gid[pick], row[pick]
        order = np.lexsort((r, preference[r], key[r], g))
        g, r = g[order], r[order]
        first = np.ones(g.size, dtype=bool)
        first[1:] = g[1:] != g[:-1]
        chosen = r[first]
        hidden[chosen] = True
        secondary[chosen] = True
    reason = np.full(n, None, dtype=object)
    reason[secondary & ~primary] = SECONDARY
    reason[primary] = PRIMARY
    reason[at_source] = AT_SOURCE
    return reason
