"""``datasmart plans remind``: the daily follow-up reminders (:mod:`.reminders`).

Kept out of :mod:`datasmart.plans.cli` so parallel work on the other plan commands does not
collide; ``cli.py`` registers :func:`remind_command` on ``plans_app``. This module does not
import ``cli.py`` (that would be an import circle, which the architecture tests refuse).
Runs as the system, like the other periodic jobs (docs/deployment.md).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from datasmart.cli_support import user_errors

console = Console()
err_console = Console(stderr=True)


class Format(StrEnum):
    table = "table"
    json = "json"


def _moment(text: str | None) -> dt.datetime | None:
    """``--now``: ``ÅÅÅÅ-MM-DD`` (that day at 07:00, Swedish time)."""
    if text is None:
        return None
    from django.utils import timezone

    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"--now: ogiltigt datum {text!r}; ange ÅÅÅÅ-MM-DD.") from None
    return timezone.make_aware(dt.datetime.combine(day, dt.time(7, 0)))


def _emit(rows: list[dict[str, Any]], columns: tuple[str, ...], fmt: Format) -> None:
    if fmt == Format.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title="Påminnelser om uppföljning")
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    console.print(table)


@user_errors
def remind_command(
    days: Annotated[
        int | None,
        typer.Option(
            "--days",
            help="Påminn om uppföljningar inom så många dagar (standard: PLANS_REMIND_DAYS, 14)",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Visa vilka påminnelser som skulle gå, skicka inget")
    ] = False,
    now: Annotated[
        str | None, typer.Option("--now", help="Dag ÅÅÅÅ-MM-DD (för test och efterkörning)")
    ] = None,
    format: Annotated[Format, typer.Option("--format", help="Utdataformat")] = Format.table,
) -> None:
    """Skicka dagens påminnelser om uppföljning av handlingsplaner per e-post.

    Till ägarens samordnare och analytiker och, för gemensamma länsplaner, varje parts
    samordnare: en gång i god tid och en gång strax före uppföljningsdagen. Kör dagligen.
    """
    from datasmart.plans.reminders import RESULT_COLUMNS, send_plan_reminders

    results = send_plan_reminders(now=_moment(now), days=days, dry_run=dry_run)
    _emit([r.as_dict() for r in results], RESULT_COLUMNS, format)
    sent = sum(1 for r in results if r.result == "sent")
    mails = sum(r.addresses for r in results if r.result == "sent")
    if dry_run:
        err_console.print(f"Torrkörning: {len(results)} planer gäller, inget skickades.")
    else:
        err_console.print(f"{sent} påminnelser skickade ({mails} e-brev).")
