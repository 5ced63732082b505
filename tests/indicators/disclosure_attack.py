"""Intruders' attacks on published indicator tables: subtraction, and linear programming.

Used by the disclosure tests (tests/sip/test_statistics_disclosure.py, the property test
in tests/indicators/test_engine_disclosure_groups.py): given what was published for one
period — counts known per unit code, from any number of indicators that count the same
population — and the geography (public), solve every published sum "parent = Σ
children" (region = its kommuner, nation = all kommuner = all regions, sjukvårdsregion,
kommungrupp) that has exactly one unknown term, and repeat until nothing more follows.
This is the attack secondary suppression exists to defeat (Hundepool et al., *Statistical
Disclosure Control*, 2012, §5.2; linked tables §5.5).

:func:`lp_intervals` is the stronger attack: every linear combination of the published
sums at once. For each hidden cell it solves min x_c and max x_c subject to every
published equation, the shown values fixed and all counts ≥ 0 (Hundepool et al. 2012,
§4.3.2, auditing a suppressed table). It calls ``scipy.optimize.linprog`` directly,
one LP per bound, on what a reader sees — deliberately sharing no code with the
engine's own audit (``engine_disclosure_audit``), whose batching and stacking it checks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl
from scipy.optimize import linprog

from datasmart.indicators.engine_hierarchy import build_hierarchy

__all__ = ["equations_of", "lp_intervals", "protection_failures", "subtraction_attack"]


def equations_of(units: pl.DataFrame) -> list[tuple[str, list[str]]]:
    """Every published sum of the hierarchy as ``(parent code, child codes)``."""
    edges = build_hierarchy(units).edges
    grouped = edges.group_by("parent_code", "comp", maintain_order=True).agg("child_code")
    return [(p, list(c)) for p, _comp, c in grouped.iter_rows()]


def subtraction_attack(
    known: Mapping[str, float], equations: list[tuple[str, list[str]]]
) -> dict[str, float]:
    """Counts recomputed by iterated subtraction: ``{unit code: value}`` not in *known*."""
    values = dict(known)
    recovered: dict[str, float] = {}
    changed = True
    while changed:
        changed = False
        for parent, children in equations:
            unknown = [u for u in (parent, *children) if u not in values]
            if len(unknown) != 1:
                continue
            (u,) = unknown
            rest = sum(values[c] for c in children if c != u)
            values[u] = rest if u == parent else values[parent] - rest
            recovered[u] = values[u]
            changed = True
    return recovered


def lp_intervals(
    known: Mapping[Any, float],
    equations: Sequence[tuple[Any, Sequence[Any]]],
    targets: Sequence[Any],
) -> dict[Any, tuple[float, float]]:
    """Feasibility interval ``(lo, hi)`` of every cell in *targets*.

    *equations* are ``(total, parts)``: total = Σ parts. Every cell named in an equation
    and absent from *known* is an unknown ≥ 0 (hidden, missing or never published).
    ``hi`` is ``inf`` when the published sums do not bound the cell.
    """
    unknown = sorted(
        {c for total, parts in equations for c in (total, *parts) if c not in known}, key=repr
    )
    index = {c: i for i, c in enumerate(unknown)}
    rows, b = [], []
    for total, parts in equations:
        terms = [(total, 1.0)] + [(p, -1.0) for p in parts]
        row = np.zeros(len(unknown))
        rhs = 0.0
        for cell, coef in terms:
            if cell in index:
                row[index[cell]] += coef
            else:
                rhs -= coef * known[cell]
        if row.any():
            rows.append(row)
            b.append(rhs)
    a_eq = np.array(rows) if rows else None
    b_eq = np.array(b) if rows else None
    out: dict[Any, tuple[float, float]] = {}
    for cell in targets:
        if cell not in index:
            continue
        c = np.zeros(len(unknown))
        c[index[cell]] = 1.0
        bounds = []
        for sign in (1.0, -1.0):
            res = linprog(sign * c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
            if res.status == 3:
                bounds.append(np.inf)
            else:
                assert res.status == 0, (cell, res.message)
                bounds.append(sign * res.fun)
        out[cell] = (bounds[0], bounds[1])
    return out


def protection_failures(
    intervals: Mapping[Any, tuple[float, float]],
    true: Mapping[Any, float],
    threshold: float = 5,
) -> list[str]:
    """Hidden cells narrower than the rule of docs/methods/indicators.md.

    A hidden count 1 ≤ v < threshold must have lo ≤ 0 and hi ≥ threshold; any other
    hidden cell (0, ≥ threshold) must not be pinned: hi − lo ≥ 1.
    """
    bad = []
    for cell, (lo, hi) in intervals.items():
        v = true[cell]
        if 1 <= v < threshold:
            if lo > 1e-6 or hi < threshold - 1e-6:
                bad.append(f"{cell}: {v:g} hidden, but within [{lo:g}, {hi:g}]")
        elif hi - lo < 1 - 1e-6:
            bad.append(f"{cell}: {v:g} hidden, but pinned to [{lo:g}, {hi:g}]")
    return bad
