"""Loading the needs domain's reference data: the prevalence tables and the published
projections. One service for the shared set-up (``datasmart setup``, which ``make run``
and ``serve`` call) and for ``datasmart needs load``, so both load the same thing.

Each loader checks its files whole before writing and writes in one transaction (all or
nothing); both are idempotent: a second run with unchanged files writes nothing and
records no audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datasmart.accounts.audit import SYSTEM
from datasmart.needs.prevalence import LoadReport, load_prevalence
from datasmart.needs.published import ProjectionLoadReport, load_projections


@dataclass
class NeedsLoadReport:
    prevalence: LoadReport
    projections: ProjectionLoadReport

    @property
    def changed(self) -> bool:
        p = self.prevalence
        return bool(p.created or p.changed or p.removed or self.projections.changed)

    def lines(self) -> list[str]:
        """A short Swedish summary, one line per source (printed by the CLI)."""
        p = self.prevalence
        proj = self.projections
        return [
            f"Prevalens ({', '.join(p.files)}): {p.created} nya, {p.changed} ändrade, "
            f"{p.unchanged} oförändrade, {p.removed} borttagna.",
            "Publicerade framskrivningar: "
            + ", ".join(f"{d} {n} rader" for d, n in proj.rows.items())
            + (" (inlästa)." if proj.changed else " (oförändrade)."),
        ]


def load_needs_data(data_dir: Path | None = None, *, by: Any = SYSTEM) -> NeedsLoadReport:
    """Prevalence (reference file + the repository's added figures) and the published
    projections; each all or nothing, both idempotent."""
    paths = None
    if data_dir is not None:
        from datasmart.needs.prevalence import ADDED_FILE, REFERENCE_FILE

        paths = [Path(data_dir) / REFERENCE_FILE, ADDED_FILE]
    return NeedsLoadReport(
        prevalence=load_prevalence(paths, by=by),
        projections=load_projections(data_dir, by=by),
    )
