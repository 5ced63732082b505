"""``datasmart checklist …`` commands; mounted in ``datasmart/cli.py``.

Errors users can fix are one Swedish message with exit code 2
(:func:`datasmart.cli_support.user_errors`).
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from datasmart.cli_support import user_errors

checklist_app = typer.Typer(
    help="Politikerchecklistan: frågor, svar och rapporter.", no_args_is_help=True
)
console = Console()


@checklist_app.callback()
def _group() -> None:
    """Commands of this domain."""


class ListFormat(StrEnum):
    table = "table"
    json = "json"


class ReportFormat(StrEnum):
    json = "json"
    pdf = "pdf"


@checklist_app.command("questions")
@user_errors
def questions_command(
    format: Annotated[ListFormat, typer.Option("--format", help="Utdataformat")] = ListFormat.table,
) -> None:
    """Frågorna i den nuvarande versionen, med källa och underlag."""
    from datasmart.checklist import services

    version = services.current_version()
    rows: list[dict[str, Any]] = [
        {
            "order": q.order,
            "code": q.code,
            "section": q.section,
            "text_sv": q.text_sv,
            "text_en": q.text_en,
            "source_ref": q.source_ref,
            "evidence_kind": q.evidence_kind,
        }
        for q in services.questions(version)
    ]
    if format == ListFormat.json:
        sys.stdout.write(
            json.dumps({"version": version.code, "questions": rows}, ensure_ascii=False) + "\n"
        )
        return
    table = Table(title=f"Politikerchecklistan, version {version.code}")
    for col in ("Nr", "Kod", "Fråga", "Källa", "Underlag"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["order"]), r["code"], r["text_sv"], r["source_ref"], r["evidence_kind"])
    console.print(table)


@checklist_app.command("load")
@user_errors
def load_command(
    file: Annotated[
        Path | None, typer.Option("--file", help="Frågefil (TOML); standard: paketets")
    ] = None,
) -> None:
    """Läs in frågorna (en ny version; oförändrad fil skriver inget)."""
    from datasmart.checklist import services

    console.print(services.load_questions(file).line(), highlight=False)


@checklist_app.command("report")
@user_errors
def report_command(
    unit: Annotated[str, typer.Argument(help="Kommun- eller länskod, t.ex. 0180")],
    year: Annotated[int, typer.Argument(help="År, t.ex. 2026")],
    format: Annotated[
        ReportFormat, typer.Option("--format", help="json eller pdf")
    ] = ReportFormat.json,
    output: Annotated[
        Path | None, typer.Option("--output", help="Fil att skriva (pdf kräver en fil)")
    ] = None,
    draft: Annotated[
        bool, typer.Option("--draft", help="Ta med ett utkast (annars bara inskickade svar)")
    ] = False,
    base_url: Annotated[
        str, typer.Option("--base-url", help="Plattformens adress för länkarna i PDF:en")
    ] = "http://127.0.0.1:8000",
) -> None:
    """En enhets svar för ett år: JSON, eller PDF på en A4-sida."""
    from django.contrib.auth.models import AnonymousUser

    from datasmart.accounts.audit import SYSTEM
    from datasmart.checklist import report, services

    by: Any = SYSTEM if draft else AnonymousUser()
    data = report.unit_report(unit, year, by)
    if format == ReportFormat.json:
        text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text, encoding="utf-8")
        return
    if output is None:
        raise services.ChecklistError("Fältet --output: ange en fil för PDF:en.")
    unit_obj = services.answering_unit(unit)
    html = report.print_html({"unit": unit_obj, "year": data["year"], "data": data}, base_url)
    output.write_bytes(report.render_pdf(html, base_url))
    console.print(f"Skrev {output}.", highlight=False)
