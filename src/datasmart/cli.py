"""The ``datasmart`` command line. Every command delegates to a service.

Errors users can fix (bad codes, bad files, unknown roles) are printed as one clear message
with exit code 2; nothing prints a traceback.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from datasmart.checklist.cli import checklist_app
from datasmart.cli_support import setup_django, user_errors
from datasmart.funding.cli import funding_app
from datasmart.indicators.cli import indicators_app
from datasmart.kraftsamling.cli import kraftsamling_app
from datasmart.needs.cli import needs_app
from datasmart.plans.cli import plans_app
from datasmart.sip.cli import sip_app

app = typer.Typer(
    help="datasmart: data för styrning av arbetet med psykisk hälsa.", no_args_is_help=True
)
data_app = typer.Typer(help="Referensdata (geografi, befolkning).", no_args_is_help=True)
units_app = typer.Typer(
    help="Enheter: riket, sjukvårdsregioner, regioner/län, kommuner.", no_args_is_help=True
)
users_app = typer.Typer(help="Användare.", no_args_is_help=True)
tokens_app = typer.Typer(help="API-nycklar.", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(units_app, name="units")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(indicators_app, name="indicators")
app.add_typer(funding_app, name="funding")
app.add_typer(sip_app, name="sip")
app.add_typer(needs_app, name="needs")
app.add_typer(plans_app, name="plans")
app.add_typer(kraftsamling_app, name="kraftsamling")
app.add_typer(checklist_app, name="checklist")

console = Console()
err_console = Console(stderr=True)


class Format(StrEnum):
    json = "json"
    csv = "csv"
    table = "table"


class LevelChoice(StrEnum):
    kommun = "kommun"
    region = "region"
    sjukvardsregion = "sjukvardsregion"
    nation = "nation"


def emit(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: Format, title: str = ""
) -> None:
    """Print rows as JSON (a list of objects), CSV or a table."""
    if fmt == Format.json:
        sys.stdout.write(json.dumps(list(rows), ensure_ascii=False, indent=2) + "\n")
    elif fmt == Format.csv:
        buf = io.StringIO()
        writer = csv.DictWriter(
            buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(rows)
        sys.stdout.write(buf.getvalue())
    else:
        table = Table(title=title or None)
        for col in columns:
            table.add_column(col)
        for row in rows:
            table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
        console.print(table)


@app.command()
@user_errors
def migrate() -> None:
    """Skapa eller uppdatera databasens tabeller."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    console.print("Databasen är uppdaterad.")


@data_app.command("load")
@user_errors
def data_load(
    data_dir: Annotated[
        Path | None, typer.Option(help="Mapp med referensdata (standard: DATASMART_DATA_DIR)")
    ] = None,
    force: Annotated[bool, typer.Option(help="Läs in även oförändrade filer")] = False,
    indicators: Annotated[
        bool, typer.Option(help="Läs också in indikatorkatalogen och de verkliga indikatordata")
    ] = True,
) -> None:
    """Läs in geografi, kommungrupper och befolkning, sedan indikatorer (allt eller inget)."""
    from datasmart.geo.loaders import load_reference_data

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    ) as bar:
        task = bar.add_task("Startar", total=1)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total)

        report = load_reference_data(data_dir, force=force, progress=progress)
    for d in report.datasets:
        status = "inläst" if d.status == "loaded" else "oförändrad"
        console.print(f"  {d.dataset:<28} {d.rows:>8} rader  {status}")
    if report.changed:
        console.print(
            f"Klart: {report.rows_loaded} rader på {report.seconds:.1f} s "
            f"({report.rows_loaded / max(report.seconds, 1e-9):,.0f} rader/s)."
        )
    else:
        console.print("Inget att göra: alla filer är redan inlästa och oförändrade.")
    if indicators:
        from datasmart.funding.services import load_agreements
        from datasmart.indicators.cli import load_real

        console.print("Indikatorer:")
        load_real(data_dir, force=force)
        loaded = load_agreements()
        console.print(f"Överenskommelser: {len(loaded)} filer kontrollerade.")


@units_app.command("list")
@user_errors
def units_list(
    level: Annotated[LevelChoice | None, typer.Option(help="Nivå")] = None,
    parent: Annotated[str | None, typer.Option(help="Kod för överordnad enhet")] = None,
    format: Annotated[Format, typer.Option("--format", help="Utdataformat")] = Format.table,
) -> None:
    """Lista enheter."""
    from datasmart.geo.api import UNIT_COLUMNS, unit_rows

    rows = unit_rows(level=level.value if level else None, parent_code=parent)
    emit(rows, UNIT_COLUMNS, format, title="Enheter")


@app.command()
@user_errors
def population(
    unit: Annotated[str, typer.Option(help="Enhetens kod, t.ex. 0180, 01, vastra, 00")],
    year: Annotated[int | None, typer.Option(help="År; utelämnat = totalen för alla år")] = None,
    by: Annotated[str | None, typer.Option(help="Uppdelning: age, sex eller age,sex")] = None,
    age_groups: Annotated[str | None, typer.Option(help="T.ex. 0-17,18-64,65+ eller 5y")] = None,
    granularity: Annotated[
        str | None,
        typer.Option(help="age, age_band eller total; utelämnat = den finaste som finns"),
    ] = None,
    format: Annotated[Format, typer.Option("--format", help="Utdataformat")] = Format.table,
) -> None:
    """Befolkning för en enhet och ett år.

    Kolumnen granularity säger vad varje siffra bygger på (ettårsklasser, åldersgrupper
    eller totaler) och attribution källan att ange.
    """
    from datasmart.geo import services
    from datasmart.geo.api import POPULATION_COLUMNS, population_rows

    target = services.get_unit(unit)
    rows = population_rows(
        unit, year, by=by, age_groups=age_groups, granularity=granularity, year_field="--year"
    )
    emit(rows, POPULATION_COLUMNS, format, title=f"Befolkning {target.name}")


@users_app.command("create")
@user_errors
def users_create(
    username: Annotated[str, typer.Option(help="Användarnamn")],
    org: Annotated[str, typer.Option(help="Organisationens namn eller id")],
    role: Annotated[str, typer.Option(help="admin, analyst, coordinator, caseworker eller viewer")],
    email: Annotated[str, typer.Option(help="E-postadress")] = "",
    password: Annotated[
        str | None,
        typer.Option(help="Lösenord (utelämnat: ett starkt genereras och visas en gång)"),
    ] = None,
) -> None:
    """Skapa en användare i en organisation med en roll."""
    from datasmart.accounts.services import cli_create_user

    secret = cli_create_user(username, email, org, role, password=password)
    console.print(f"Användaren {username} skapad med rollen {role}.")
    if password is None:
        console.print(f"Lösenord (visas bara nu): [bold]{secret}[/]", highlight=False)


class ScopeChoice(StrEnum):
    read = "read"
    write = "write"


@tokens_app.command("create")
@user_errors
def tokens_create(
    user: Annotated[str, typer.Option(help="Användarnamn")],
    name: Annotated[str, typer.Option(help="Vad nyckeln används till")] = "cli",
    scope: Annotated[
        ScopeChoice, typer.Option(help="read: bara läsa; write: även ändra (t.ex. läsa in data)")
    ] = ScopeChoice.read,
    days: Annotated[
        int | None,
        typer.Option(help="Giltig så många dagar (standard och högsta värde: se inställningarna)"),
    ] = None,
) -> None:
    """Skapa en API-nyckel; den visas bara en gång."""
    from django.utils import timezone

    from datasmart.accounts.services import cli_create_token

    token, secret = cli_create_token(user, name, scope=scope.value, days=days)
    until = timezone.localtime(token.expires_at)
    console.print(
        f"API-nyckel ({token.get_scope_display()}, giltig till {until:%Y-%m-%d %H:%M}; "
        "visas bara nu, spara den säkert):",
        highlight=False,
    )
    sys.stdout.write(secret + "\n")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Adress att lyssna på")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[int, typer.Option(help="Antal processer (gunicorn)")] = 2,
    setup: Annotated[
        bool, typer.Option(help="Skapa databasen, läs in referensdata och första admin först")
    ] = True,
    control_socket: Annotated[
        Path | None,
        typer.Option(
            help="Styrsocket för gunicornc (standard: ingen; varje server behöver en egen)"
        ),
    ] = None,
) -> None:
    """Starta webbplatsen och API:t (gunicorn).

    The set-up runs in a child process (``datasmart setup``) and this process then
    *becomes* gunicorn (``exec``), so the gunicorn master starts clean: no polars thread
    pool (which does not survive ``fork`` — a worker would hang in the first polars call,
    e.g. ``write_csv`` in an import) and no database connection for the workers to
    inherit. Django is never set up in this process. gunicorn's control socket is off
    unless a path is given: the default path is one per user, so two servers on one
    machine would fight over it.
    """
    if setup:
        done = subprocess.run(  # our own interpreter and module, fixed argv
            [sys.executable, "-m", "datasmart.cli", "setup"], check=False
        )
        if done.returncode != 0:
            raise typer.Exit(done.returncode)
    argv = gunicorn_argv(host=host, port=port, workers=workers, control_socket=control_socket)
    console.print(f"datasmart körs på http://{host}:{port}/  (avsluta med Ctrl+C)")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with gunicorn


def gunicorn_argv(
    *, host: str, port: int, workers: int, control_socket: Path | None = None
) -> list[str]:
    """The command line ``serve`` hands over to: gunicorn under this interpreter."""
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "datasmart.config.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        "4",
        "--access-logfile",
        "-",
    ]
    if control_socket is None:
        argv.append("--no-control-socket")
    else:
        argv += ["--control-socket", str(control_socket)]
    return argv


@app.command("setup")
@user_errors
def setup_command() -> None:
    """Skapa databasen, läs in referensdata och indikatorer och skapa första admin.

    Idempotent: unchanged files are not read again. ``serve`` runs it in a child process.
    """
    try:
        _setup_platform()
    finally:
        from django.db import connections

        connections.close_all()


def _setup_platform() -> None:
    from django.core.management import call_command

    from datasmart.geo.loaders import load_reference_data

    call_command("migrate", interactive=False, verbosity=0)
    report = load_reference_data()
    if report.changed:
        console.print(f"Referensdata inläst: {report.rows_loaded} rader.")
    from datasmart.funding.services import load_agreements
    from datasmart.indicators.cli import load_real

    load_real(quiet=True)
    load_agreements()
    from datasmart.needs.loading import load_needs_data

    needs = load_needs_data()
    if needs.changed:
        console.print("Behovsanalys: " + " ".join(needs.lines()), highlight=False)
    try:
        from datasmart.accounts.services import bootstrap_admin
    except ImportError:  # accounts not ready in this build
        return
    password = bootstrap_admin()
    if password:
        console.rule("Första administratören")
        console.print("Användarnamn: [bold]admin[/]")
        console.print(f"Lösenord:     [bold]{password}[/]  (visas bara nu)", highlight=False)
        console.rule()


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def manage(ctx: typer.Context) -> None:
    """Djangos hanteringskommandon, t.ex. `datasmart manage createsuperuser`."""
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["datasmart manage", *ctx.args])


def main() -> None:
    app()


if __name__ == "__main__":
    main()
