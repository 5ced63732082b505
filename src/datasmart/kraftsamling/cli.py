"""``datasmart kraftsamling …`` commands; mounted in ``datasmart/cli.py``.

Errors users can fix are one Swedish message with exit code 2
(:func:`datasmart.cli_support.user_errors`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from datasmart.cli_support import setup_django, user_errors

kraftsamling_app = typer.Typer(
    help="Kraftsamling för psykisk hälsa: mål, områden, delarenor, handslag.", no_args_is_help=True
)


@kraftsamling_app.callback()
def _group() -> None:
    """Commands of this domain."""


@kraftsamling_app.command("list")
@user_errors
def list_command() -> None:
    """Mål 1–3, områden A–I och alla delarenor med deltagare och handslag."""
    setup_django()
    from datasmart.kraftsamling import services

    for goal in services.goals():
        typer.echo(f"Mål {goal.number}. {goal.title}")
        for area in goal.areas.all():
            typer.echo(f"  {area.letter}. {area.title}")
    typer.echo("")
    rows = list(services.delarenor())
    if not rows:
        typer.echo("Inga delarenor.")
    for d in rows:
        handslag = getattr(d, "handslag", None)  # the reverse one-to-one may be missing
        status = f"handslag {handslag.pk} ({handslag.get_status_display()})" if handslag else "-"
        areas = ",".join(a.letter for a in d.areas.all())
        n = len(getattr(d, "active_participants", []))
        typer.echo(f"{d.pk}\t{d.name}\t{areas}\t{n} deltagare\t{status}")


@kraftsamling_app.command("handslag")
@user_errors
def handslag_command(
    handslag_id: Annotated[int, typer.Argument(help="Handslagets id")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Fil: .pdf eller .md")],
) -> None:
    """Skriv ett handslag som dokument: PDF (.pdf) eller Markdown (.md)."""
    setup_django()
    from django.template.loader import render_to_string

    from datasmart.kraftsamling import services

    suffix = output.suffix.lower()
    if suffix not in (".pdf", ".md"):
        raise services.KraftsamlingError("Fältet --output: filen ska sluta på .pdf eller .md.")
    try:
        handslag = services.get_handslag(handslag_id)
    except LookupError as exc:
        raise services.KraftsamlingError(f"Fältet ID: {exc}") from None
    doc = services.handslag_document(handslag)
    if suffix == ".md":
        output.write_text(services.handslag_markdown(doc), encoding="utf-8")
    else:
        html = render_to_string("kraftsamling/handslag_print.html", doc)
        output.write_bytes(services.handslag_pdf(html, "file:///"))
    typer.echo(f"Skrev {output}")
