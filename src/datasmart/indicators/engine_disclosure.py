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

from datasmart.indicators.engine_disclosure_audit import AuditProblem, Series
from datasmart.indicators.engine_disclosure_audit import audit as audit_pattern
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
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """The published sums as ``(group id, grid row, coefficient)`` triples.

    One group per cell for every composition "parent = Σ children" in the
    hierarchy (parent row included), per unit and period for "total = men +
    women" when all three sexes are present, and per unit, period and sex for
    "all ages = Σ age bands" when *age_bands* partition the total. The coefficient
    is +1 for the total and −1 for a part, so Σ coefficient · count = 0 in every group.
    """
    rows = grid.select("level", "unit_code", "period", "sex", "age_group").with_row_index("row")
    edges = hierarchy.edges
    members = pl.concat([
        edges.select(
            "parent_level", "parent_code", "comp",
            level=pl.col("parent_level"), unit_code=pl.col("parent_code"), coef=pl.lit(1.0),
        ).unique(),
        edges.select(
            "parent_level", "parent_code", "comp",
            level=pl.col("child_level"), unit_code=pl.col("child_code"), coef=pl.lit(-1.0),
        ),
    ])  # fmt: skip
    rows = rows.with_columns(
        sex_coef=pl.when(pl.col("sex") == "T").then(1.0).otherwise(-1.0),
        age_coef=pl.when(pl.col("age_group") == "").then(1.0).otherwise(-1.0),
    )
    groups = [
        members.join(rows, on=["level", "unit_code"], how="inner")
        .group_by("parent_level", "parent_code", "comp", "period", "sex", "age_group")
        .agg(pl.col("row"), pl.col("coef"))
        .select("row", "coef")
    ]
    groups.append(
        rows.filter(pl.col("sex").is_in(SEXES))
        .group_by("level", "unit_code", "period", "age_group")
        .agg(pl.col("row"), coef=pl.col("sex_coef"), n=pl.len())
        .filter(pl.col("n") == len(SEXES))
        .select("row", "coef")
    )
    if age_bands:
        parts = ["", *age_bands]
        groups.append(
            rows.filter(pl.col("age_group").is_in(parts))
            .group_by("level", "unit_code", "period", "sex")
            .agg(pl.col("row"), coef=pl.col("age_coef"), n=pl.len())
            .filter(pl.col("n") == len(parts))
            .select("row", "coef")
        )
    # Group ids in a fixed order (polars' group_by does not keep one), so the LP audit
    # sees the same problem — and picks the same cells — whatever the input row order.
    long = (
        pl.concat(groups)
        .with_columns(
            _min=pl.col("row").list.min(),
            _len=pl.col("row").list.len(),
            _sum=pl.col("row").list.sum(),
            _sq=pl.col("row").list.eval(pl.element() * pl.element()).list.sum(),
        )
        .sort("_min", "_len", "_sum", "_sq")
        .with_row_index("gid")
        .explode("row", "coef")
        .select(
            pl.col("gid").cast(pl.Int64),
            pl.col("row").cast(pl.Int64),
            pl.col("coef").cast(pl.Float64),
        )
        .sort("gid", "row")
    )
    return long["gid"].to_numpy(), long["row"].to_numpy(), long["coef"].to_numpy()


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
    # True counts as the audit needs them: a not_applicable row adds nothing (0); a
    # missing or source-suppressed row is unknown to the engine as well (NaN).
    na = state == "not_applicable"
    known_to_us = has | na
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
        "num": np.where(known_to_us, np.where(na & np.isnan(num), 0.0, num), np.nan),
        "den": np.where(known_to_us, np.where(na & np.isnan(den), 0.0, den), np.nan),
        "period": grid["period"].to_numpy().astype(np.int64),
    }


def _secondary(
    gid: npt.NDArray[np.int64],
    row: npt.NDArray[np.int64],
    a: dict[str, npt.NDArray[Any]],
    link: npt.NDArray[np.int64] | None,
    forced: npt.NDArray[np.bool_] | None = None,
) -> npt.NDArray[np.object_]:
    """Hide cells until no published sum has exactly one unknown term (see module doc).

    *forced* rows (chosen by the LP audit) are hidden from the start, as secondary.
    """
    n = a["primary"].size
    hidden = a["primary"] | a["at_source"]
    if forced is not None:
        hidden = hidden | forced
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


def _protect(
    grids: Sequence[pl.DataFrame],
    hierarchy: Hierarchy,
    *,
    threshold: float,
    published_levels: Sequence[Sequence[str]],
    person_denominator: Sequence[bool],
    age_bands: Sequence[Sequence[str]],
    linked: bool,
    audit: bool,
) -> npt.NDArray[np.object_]:
    """Secondary search and LP audit, alternated until the audit finds nothing.

    Every round: the single-equation search of :func:`_secondary` (cheap, and it keeps
    the rule "no sum with exactly one hidden term"), then the feasibility-interval audit
    of :mod:`engine_disclosure_audit` over *all* published equations of all grids at
    once. Each failing cell makes one more shown cell hidden (the cheapest that binds
    its bound); hiding only ever widens intervals, so the rounds end — at the latest
    when nothing hideable is left.
    """
    sizes = [g.height for g in grids]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    parts = [
        _member_arrays(g, threshold, levels, person)
        for g, levels, person in zip(grids, published_levels, person_denominator, strict=True)
    ]
    a = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    gids, rows, series = [], [], []
    next_gid = 0
    for grid, offset, bands, person, part in zip(
        grids, offsets[:-1], age_bands, person_denominator, parts, strict=True
    ):
        gid, row, coef = equations(grid, hierarchy, bands)
        gids.append(gid + next_gid)
        rows.append(row + offset)
        next_gid += int(gid.max()) + 1 if gid.size else 0
        local = np.arange(grid.height, dtype=np.int64)
        known = ~part["other_unknown"]
        for column in ("num", "den") if person else ("num",):
            series.append(
                Series(local + offset, part[column], known, (gid, row, coef), part["period"])
            )
    gid_all, row_all = np.concatenate(gids), np.concatenate(rows)
    link = None
    if linked:
        keys = pl.concat(
            [g.select("level", "unit_code", "period", "sex", "age_group") for g in grids]
        )
        link = (
            keys.select(pl.struct(pl.all()).rank("dense").cast(pl.Int64) - 1)
            .to_series()
            .to_numpy()
            .astype(np.int64)
        )
    order = np.lexsort((np.arange(a["key"].size), a["preference"], a["key"]))
    cost = np.empty(order.size, dtype=np.float64)
    cost[order] = np.arange(order.size)
    problem = AuditProblem(int(offsets[-1]), series, link)
    forced = np.zeros(int(offsets[-1]), dtype=bool)
    reason = _secondary(gid_all, row_all, a, link, forced)
    if not audit or (threshold <= 1 and not a["at_source"].any()):
        return reason
    memo: dict[str, npt.NDArray[np.bool_]] = {}
    for _ in range(forced.size + 1):
        hidden = reason != None  # noqa: E711 (object array)
        found = audit_pattern(
            problem, hidden, a["other_unknown"] & ~hidden, a["candidate"] & ~hidden, cost,
            threshold, memo,
        )  # fmt: skip
        new = found.picks[~hidden[found.picks]] if found.picks.size else found.picks
        if found.failing.size == 0 or new.size == 0:
            break
        # Everything hidden so far stays hidden (the search must not trade an earlier
        # secondary cell for another: the audit's certificates assume a growing set).
        forced = hidden.copy()
        forced[new] = True
        reason = _secondary(gid_all, row_all, a, link, forced)
    return reason


def suppression(
    grid: pl.DataFrame,
    hierarchy: Hierarchy,
    *,
    threshold: float,
    published_levels: Sequence[str],
    person_denominator: bool,
    age_bands: Sequence[str] = (),
    audit: bool = True,
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
        primary rule as well, and audited as a second series.
    audit : bool, default True
        Run the LP audit (:mod:`engine_disclosure_audit`) and hide more until every
        hidden cell meets the protection rule against all combinations of published
        sums. False gives the single-equation search alone (for the benchmark).
    """
    return _protect(
        [grid], hierarchy, threshold=threshold, published_levels=[published_levels],
        person_denominator=[person_denominator], age_bands=[age_bands], linked=False,
        audit=audit,
    )  # fmt: skip


def linked_suppression(
    grids: Sequence[pl.DataFrame],
    hierarchy: Hierarchy,
    *,
    threshold: float,
    published_levels: Sequence[Sequence[str]],
    person_denominator: Sequence[bool],
    age_bands: Sequence[Sequence[str]],
    audit: bool = True,
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
    sum in any table has exactly one hidden term. Rows a member shows as
    ``not_applicable`` (nothing to measure, i.e. a zero) are hidden too when linked.

    The LP audit then runs on all members at once: every member's counts (numerators,
    and denominators of proportions and means) with every member's equations, plus an
    identity "same number" between two members' columns in every period where they
    agree on every row (e.g. plans started and the denominator of the share of them
    whose target time has passed) — so no combination of the sums of all members
    narrows a hidden count below the rule.

    Parameters are those of :func:`suppression`, one per grid. Returns one reason
    array per grid; with a single grid the result equals :func:`suppression`'s.
    """
    if not grids:
        return []
    offsets = np.concatenate([[0], np.cumsum([g.height for g in grids])]).astype(np.int64)
    reason = _protect(
        grids, hierarchy, threshold=threshold, published_levels=published_levels,
        person_denominator=person_denominator, age_bands=age_bands, linked=len(grids) > 1,
        audit=audit,
    )  # fmt: skip
    return [reason[offsets[i] : offsets[i + 1]] for i in range(len(grids))]
