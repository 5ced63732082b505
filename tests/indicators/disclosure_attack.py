"""An intruder's "total minus the visible parts" attack on published indicator tables.

Used by the disclosure tests (tests/sip/test_statistics_disclosure.py, the property test
in tests/indicators/test_engine_disclosure_groups.py): given what was published for one
period — counts known per unit code, from any number of indicators that count the same
population — and the geography (public), solve every published sum "parent = Σ
children" (region = its kommuner, nation = all kommuner = all regions, sjukvårdsregion,
kommungrupp) that has exactly one unknown term, and repeat until nothing more follows.
This is the attack secondary suppression exists to defeat (Hundepool et al., *Statistical
Disclosure Control*, 2012, §5.2; linked tables §5.5).
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from datasmart.indicators.engine_hierarchy import build_hierarchy

__all__ = ["equations_of", "subtraction_attack"]


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
