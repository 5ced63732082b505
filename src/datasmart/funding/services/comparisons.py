"""Comparisons of allocations: two runs line by line, per recipient, and scenarios
(changed posts against the live allocation, optionally saved as a scenario run).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from .. import allocation as engine
from ..models import (
    Agreement,
    AllocationRun,
)

if TYPE_CHECKING:
    from django.http import HttpRequest
from .common import (
    FundingError,
    _require_manage,
)
from .runs import (
    Allocation,
    Line,
    PostOverride,
    _save_run,
    preview,
    run_lines,
)

# --------------------------------------------------------------------------- comparisons


@dataclass(frozen=True)
class DiffRow:
    """Paid kronor in base and scenario for one post × recipient (or one recipient)."""

    post_code: str
    post_name: str
    recipient_level: str
    recipient_code: str
    recipient_name: str
    base_sek: int
    scenario_sek: int
    base_population: int | None = None
    scenario_population: int | None = None

    @property
    def difference_sek(self) -> int:
        return self.scenario_sek - self.base_sek

    @property
    def difference_share(self) -> float | None:
        return self.difference_sek / self.base_sek if self.base_sek else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "post": self.post_code,
            "post_name": self.post_name,
            "recipient_level": self.recipient_level,
            "recipient_code": self.recipient_code,
            "recipient_name": self.recipient_name,
            "base_sek": self.base_sek,
            "scenario_sek": self.scenario_sek,
            "difference_sek": self.difference_sek,
            "base_population": self.base_population,
            "scenario_population": self.scenario_population,
        }


DIFF_COLUMNS: Final = (
    "post",
    "post_name",
    "recipient_level",
    "recipient_code",
    "recipient_name",
    "base_sek",
    "scenario_sek",
    "difference_sek",
    "base_population",
    "scenario_population",
)


def compare_lines(base: Sequence[Line], other: Sequence[Line]) -> list[DiffRow]:
    """Side by side on *paid* kronor, per post and recipient (engine's compare_allocations)."""
    info = {(ln.post_code, ln.recipient_code): ln for ln in [*other, *base]}
    base_pop = {(ln.post_code, ln.recipient_code): ln.population for ln in base}
    other_pop = {(ln.post_code, ln.recipient_code): ln.population for ln in other}

    def rows(lines: Sequence[Line]) -> list[engine.AllocationRow]:
        return [
            engine.AllocationRow(ln.post_code, ln.recipient_code, ln.amount_sek, ln.withheld)
            for ln in lines
        ]

    out = []
    for c in engine.compare_allocations(rows(base), rows(other)):
        ln = info[(c.post, c.recipient_code)]
        out.append(
            DiffRow(
                c.post,
                ln.post_name,
                ln.recipient_level,
                c.recipient_code,
                ln.recipient_name,
                c.base_sek,
                c.scenario_sek,
                base_pop.get((c.post, c.recipient_code)),
                other_pop.get((c.post, c.recipient_code)),
            )
        )
    return out


def by_recipient(rows: Sequence[DiffRow]) -> list[DiffRow]:
    """Sum the rows over posts: one row per recipient (SKR and unallocated included)."""
    acc: dict[str, list[Any]] = {}
    for r in rows:
        key = r.recipient_code
        if key not in acc:
            acc[key] = [r.recipient_level, r.recipient_name, 0, 0]
        acc[key][2] += r.base_sek
        acc[key][3] += r.scenario_sek
    return [
        DiffRow("", "", level, code, name, base, new)
        for code, (level, name, base, new) in sorted(
            acc.items(), key=lambda kv: (len(kv[0]), kv[0])
        )
    ]


def compare_runs(a: AllocationRun, b: AllocationRun) -> list[DiffRow]:
    """Two saved runs side by side (``a`` is the base)."""
    return compare_lines(run_lines(a), run_lines(b))


@dataclass
class Scenario:
    base: Allocation
    scenario: Allocation
    rows: list[DiffRow] = field(default_factory=list)
    run: AllocationRun | None = None

    @property
    def recipients(self) -> list[DiffRow]:
        return by_recipient(self.rows)

    @property
    def changed(self) -> list[DiffRow]:
        return [r for r in self.rows if r.difference_sek]


def scenario(
    agreement: Agreement,
    *,
    population_year: int | None = None,
    policy: str | None = None,
    overrides: Mapping[str, PostOverride] | None = None,
    base_population_year: int | None = None,
    save: bool = False,
    by: Any = None,
    request: HttpRequest | None = None,
    label: str = "",
) -> Scenario:
    """What changes if the population year, policy, amounts or keys change.

    The base is the agreement as decided (its population year, unless
    ``base_population_year``). Posts whose key cannot be computed for the scenario's
    population year keep the agreement's year (listed in ``scenario.notes``). Nothing is
    saved unless ``save``; then the scenario is stored as a run flagged ``is_scenario``
    (``MANAGE_FUNDING``).
    """
    if save:
        if by is None:
            raise FundingError("Ange vem som sparar scenariot.")
        _require_manage(by, request)
    base = preview(agreement, population_year=base_population_year)
    other = preview(
        agreement,
        population_year=population_year,
        policy=policy,
        overrides=overrides,
        keep_year_when_missing=True,
    )
    result = Scenario(base, other, compare_lines(base.lines, other.lines))
    if save:
        result.run = _save_run(other, by=by, request=request, label=label, is_scenario=True)
    return result
