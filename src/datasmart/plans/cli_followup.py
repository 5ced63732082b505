"""``datasmart plans follow-up ID --year Y --format json|table|pdf|xlsx [--output FILE]``:
the follow-up of a plan for a year (:func:`.followup.plan_follow_up`), the same structure
the page, the API and the reports use.

Kept out of :mod:`datasmart.plans.cli` (``cli.py`` registers :func:`follow_up_command`;
this module does not import it back: no import circle). Runs as the system (the CLI is
the operator's tool), so it reads plans that only their parties see too. PDF and Excel
need ``--output`` (binary files are not written to a terminal).
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from datasmart.cli_support import user_errors

console = Console()


class Format(StrEnum):
    table = "table"
    json = "json"
    pdf = "pdf"
    xlsx = "xlsx"


@user_errors
def follow_up_command(
    plan_id: Annotated[int, typer.Argument(help="Planens id")],
    year: Annotated[
        int | None, typer.Option("--year", help="Uppföljningsår (standard: i år)")
    ] = None,
    fmt: Annotated[
        Format, typer.Option("--format", help="json, table, pdf eller xlsx")
    ] = Format.table,
    output: Annotated[
        Path | None, typer.Option("--output", help="Fil att skriva (krävs för pdf och xlsx)")
    ] = None,
) -> None:
    """Uppföljning av en plan för ett år: bedömningar, aktiviteter, ändringar.

    Bedömning per mål och indikator (regeln i docs/plans.md), aktiviteter per status och
    försenade, och ändringar sedan förra sparade uppföljningen."""
    from django.utils import timezone

    from datasmart.accounts.audit import SYSTEM

    from . import followup, report

    if fmt in (Format.pdf, Format.xlsx) and output is None:
        raise ValueError(f"--output: ange en fil för formatet {fmt.value}.")
    plan = followup.get_readable_plan(plan_id, SYSTEM)
    the_year = year
    if the_year is None:
        the_year = min(max(timezone.localdate().year, plan.start_year), plan.end_year + 10)
    result = followup.plan_follow_up(plan, the_year, SYSTEM)
    if fmt == Format.pdf:
        assert output is not None
        output.write_bytes(report.follow_up_pdf(result, base_url=str(Path.cwd())))
        console.print(f"Skrev {output}")
        return
    if fmt == Format.xlsx:
        assert output is not None
        output.write_bytes(report.follow_up_excel(result))
        console.print(f"Skrev {output}")
        return
    if fmt == Format.json:
        text = json.dumps(result.as_dict(), ensure_ascii=False, indent=2) + "\n"
        if output is not None:
            output.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return
    table = Table(title=f"Uppföljning {result.year}: {plan.title}")
    for col in ("Mål", "Indikator", "Utgångsvärde", "Målvärde", "Senaste", "95 % KI", "Bedömning"):
        table.add_column(col)
    for r in result.indicators:
        latest = f"{r.value_text} ({r.latest.period})" if r.latest and r.value_text else "–"
        table.add_row(
            r.goal_text[:40],
            r.code,
            f"{r.baseline_text or '–'} ({r.baseline_period or '–'})",
            f"{r.target_text} ({r.target_year})",
            latest,
            r.ci_text or "–",
            f"{r.verdict.label}: {r.verdict.reason_label}",
        )
    console.print(table)
    counts = ", ".join(f"{label}: {n}" for _c, label, n in result.activity_counts)
    console.print(f"Aktiviteter – {counts}; försenade: {len(result.overdue)}")
    for line in result.changes:
        console.print(f"• {line}", highlight=False)
