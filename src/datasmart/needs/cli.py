"""``datasmart needs …`` commands; mounted in ``datasmart/cli.py`` with::

    from datasmart.needs.cli import needs_app
    app.add_typer(needs_app, name="needs")

- ``project`` — population projection for a level (or one unit), every year from the base
  year to ``--years`` ahead, optionally by age and sex; the same rows as
  ``GET /api/needs/projections`` (one service, :func:`datasmart.needs.services.projection_rows`);
- ``import-projection`` — an official projection (e.g. SCB's) as a second scenario.

Errors users can fix are one Swedish message with exit code 2.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from datasmart.cli_support import user_errors

needs_app = typer.Typer(
    help="Behovsanalys: befolkningsframskrivningar och scenarier.", no_args_is_help=True
)
console = Console()


class Format(StrEnum):
    json = "json"
    csv = "csv"
    table = "table"


class LevelChoice(StrEnum):
    kommun = "kommun"
    region = "region"
    sjukvardsregion = "sjukvardsregion"
    nation = "nation"


def _emit(rows: list[dict[str, Any]], fmt: Format, title: str) -> None:
    columns: list[str] = [
        c for c in ("unit_code", "year", "age", "sex", "population") if rows and c in rows[0]
    ]
    if fmt == Format.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
    elif fmt == Format.csv:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        sys.stdout.write(buf.getvalue())
    else:
        table = Table(title=title)
        for col in columns:
            table.add_column(col, justify="right" if col == "population" else "left")
        for row in rows:
            table.add_row(*(str(row[c]) for c in columns))
        console.print(table)


@needs_app.command("project")
@user_errors
def project(
    base_year: Annotated[int, typer.Option("--from", help="Basår (data till och med detta år)")],
    years: Annotated[int, typer.Option("--years", help="Antal år framåt (0–20)")] = 5,
    level: Annotated[LevelChoice, typer.Option(help="Nivå")] = LevelChoice.kommun,
    unit: Annotated[str | None, typer.Option(help="Bara denna enhet (kod)")] = None,
    by: Annotated[str | None, typer.Option(help="Uppdelning: age, sex eller age,sex")] = None,
    scenario: Annotated[
        str, typer.Option(help="platform (egen framskrivning) eller ett importerat scenario")
    ] = "platform",
    base_period: Annotated[
        str | None,
        typer.Option(help="Basperioder för kvoterna, t.ex. 2010-2015 eller 2005-2010,2010-2015"),
    ] = None,
    format: Annotated[Format, typer.Option("--format", help="Utdataformat")] = Format.table,
) -> None:
    """Befolkningsframskrivning (Hamilton–Perry) per år, nivå och ev. ålder och kön."""
    from datasmart.needs.services import projection_rows

    rows = projection_rows(
        base_year=base_year,
        years=years,
        level=level.value,
        unit=unit,
        by=by,
        scenario=scenario,
        base_period=base_period,
    )
    _emit(rows, format, f"Framskrivning från {base_year} ({scenario})")


@needs_app.command("prevalence")
@user_errors
def prevalence(
    format: Annotated[Format, typer.Option("--format", help="Utdataformat")] = Format.table,
) -> None:
    """Prevalens i underlaget: låg, central och hög per tillstånd och åldersgrupp; där en
    siffra saknas står "ingen publicerad siffra i underlaget" med skälet."""
    from datasmart.needs.coverage import cells

    rows: list[dict[str, Any]] = []
    for c in cells():
        for f in c["figures"] or [None]:
            rows.append(
                {
                    "condition": c["condition"],
                    "age_group": c["age_group"],
                    "status": c["status"],
                    "age_band": f["age_band"] if f else "",
                    "sex": f["sex"] if f else "",
                    **{
                        k: (round(f[k], 6) if f and f[k] is not None else c["no_figure"])
                        for k in ("low", "central", "high")
                    },
                    "reason": c["reason"],
                }
            )
    columns = list(rows[0]) if rows else []
    if format == Format.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
    elif format == Format.csv:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        sys.stdout.write(buf.getvalue())
    else:
        table = Table(title="Prevalens i underlaget (andelar 0–1); sannolikt i underkant")
        for col in columns:
            table.add_column(col, overflow="fold")
        for row in rows:
            table.add_row(*(str(row[c]) for c in columns))
        console.print(table)


@needs_app.command("import-projection")
@user_errors
def import_projection(
    path: Annotated[Path, typer.Argument(help="CSV med region,age,sex,year,population")],
    scenario: Annotated[str, typer.Option(help="Scenariots namn, t.ex. scb-2024")],
    title: Annotated[str, typer.Option(help="Titel, t.ex. SCB:s befolkningsframskrivning 2024")],
    publisher: Annotated[str, typer.Option(help="Utgivare, t.ex. SCB")],
    source: Annotated[str, typer.Option(help="Källa: tabell, år, länk")] = "",
) -> None:
    """Läs in en officiell framskrivning som ett eget scenario (allt eller inget)."""
    from datasmart.needs.imports import import_projection as run_import

    report = run_import(path, scenario=scenario, title=title, publisher=publisher, source=source)
    console.print(
        f"Scenario {report.scenario}: {report.rows} rader, {report.regions} enheter, "
        f"{report.first_year}–{report.last_year} (sha256 {report.sha256[:12]})."
    )


@needs_app.command("load")
@user_errors
def load(
    data_dir: Annotated[
        Path | None, typer.Option(help="Mapp med referensdata (standard: DATASMART_DATA_DIR)")
    ] = None,
) -> None:
    """Läs in prevalenstabellerna och de publicerade framskrivningarna (allt eller inget,
    oförändrade filer skrivs inte om). Samma inläsning som `datasmart setup` gör."""
    from datasmart.needs.loading import load_needs_data

    report = load_needs_data(data_dir)
    for line in report.lines():
        console.print(line, highlight=False)
