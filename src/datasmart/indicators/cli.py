"""``datasmart indicators …`` commands; mount in ``datasmart/cli.py`` with::

    from datasmart.indicators.cli import indicators_app
    app.add_typer(indicators_app, name="indicators")

The CLI acts as ``SYSTEM`` (operator rights) unless ``--user`` names the account an import
is made for; then that user's ``IMPORT_DATA`` right is checked and the import is theirs.
Errors users can fix are printed as one message with exit code 2.
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

indicators_app = typer.Typer(
    help="Indikatorer: katalog, inläsning av observationer, referensdata.", no_args_is_help=True
)
console = Console()


class Format(StrEnum):
    table = "table"
    json = "json"


def load_real(data_dir: Path | None = None, *, force: bool = False, quiet: bool = False) -> Any:
    """Load the real indicator data and print a summary (for ``datasmart data load`` too)."""
    from datasmart.indicators.loaders import load_real_indicators

    report = load_real_indicators(data_dir, force=force)
    computed = compute_stale(everything=report.changed, quiet=quiet)
    if not quiet:
        cat = report.catalogue
        console.print(
            f"Katalog: {len(cat.created)} nya, {len(cat.updated)} uppdaterade, "
            f"{len(cat.unchanged)} oförändrade indikatorer."
        )
        for name in cat.differs_without_new_version:
            console.print(
                f"  [yellow]{name}[/]: katalogfilen skiljer sig men versionen är inte höjd "
                "(ändrad i admin, eller glömt höja version)"
            )
        for d in report.datasets:
            status = "inläst" if d.status == "loaded" else "oförändrad"
            console.print(f"  {d.dataset:<40} {d.rows:>8} rader  {status}")
        if computed:
            failed = [r for r in computed if not r.ok]
            console.print(f"Resultat beräknade för {len(computed) - len(failed)} indikatorer.")
            for r in failed:
                console.print(f"  [red]{r.indicator}[/]: {r.error}", highlight=False)
        console.print(f"Klart på {report.seconds:.1f} s.")
    return report


def compute_stale(*, everything: bool = False, quiet: bool = False) -> list[Any]:
    """Compute results after a data load: every indicator with data when ``everything``
    (the load changed something), else only the stale ones
    (:func:`~datasmart.indicators.results.stale_indicators`)."""
    from django.db.models import Exists, OuterRef

    from datasmart.indicators.models import Indicator, Observation
    from datasmart.indicators.results import compute_all, stale_indicators

    has_data = Exists(Observation.objects.filter(indicator=OuterRef("pk")))
    codes = (
        list(Indicator.objects.filter(has_data).order_by("code").values_list("code", flat=True))
        if everything
        else stale_indicators()
    )
    if not codes:
        return []
    if quiet:
        return compute_all(codes=codes)
    return _compute_with_progress(codes)


def _compute_with_progress(codes: list[str] | None) -> list[Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from datasmart.indicators.results import compute_all

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("Beräknar resultat", total=None)

        def progress(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=f"Beräknar {label}")

        return compute_all(codes=codes, progress=progress)


@indicators_app.command("load-real")
@user_errors
def load_real_command(
    data_dir: Annotated[
        Path | None, typer.Option(help="Mapp med referensdata (standard: DATASMART_DATA_DIR)")
    ] = None,
    force: Annotated[bool, typer.Option(help="Läs in även oförändrade filer")] = False,
) -> None:
    """Synka katalogen och läs in de verkliga indikatordata (allt eller inget)."""
    load_real(data_dir, force=force)


@indicators_app.command("sync")
@user_errors
def sync_command() -> None:
    """Synka indikatorkatalogen (TOML-filerna) till databasen."""
    from datasmart.indicators.catalogue import sync_catalogue

    report = sync_catalogue()
    console.print(
        f"{len(report.created)} nya, {len(report.updated)} uppdaterade, "
        f"{len(report.unchanged)} oförändrade."
    )
    for name in report.differs_without_new_version:
        console.print(f"  [yellow]{name}[/]: skiljer sig från filen men versionen är inte höjd")


@indicators_app.command("import")
@user_errors
def import_command(
    file: Annotated[Path, typer.Argument(help="CSV- eller Excel-fil (.xlsx)")],
    user: Annotated[
        str | None, typer.Option(help="Användarnamn som inläsningen görs för (behörighet prövas)")
    ] = None,
    force: Annotated[bool, typer.Option(help="Läs in även om filen redan är inläst")] = False,
    confirm: Annotated[
        bool,
        typer.Option(
            "--confirm",
            help="Bekräfta varningarna (t.ex. en kvots täljare större än nämnaren) och läs in",
        ),
    ] = False,
) -> None:
    """Läs in observationer från en fil; vid fel listas alla och inget sparas. Varningar
    stoppar inläsningen tills de bekräftas med --confirm."""
    from datasmart.accounts.audit import SYSTEM
    from datasmart.accounts.models import User
    from datasmart.indicators.imports import import_observations

    by: Any = SYSTEM
    if user is not None:
        found = User.objects.filter(username__iexact=user).first()
        if found is None:
            raise LookupError(f"Ingen användare '{user}'")
        by = found
    result = import_observations(file, by=by, force=force, confirm_warnings=confirm)
    console.print(result.message, highlight=False)
    for warning in result.warnings:
        console.print(f"  [yellow]Bekräftad varning[/]: {warning}", highlight=False)
    if result.created:
        from datasmart.indicators.results import compute_all

        for report in compute_all(codes=result.indicators):
            state = f"{report.rows} resultatrader" if report.ok else f"fel: {report.error}"
            console.print(f"  {report.indicator}: {state}", highlight=False)


@indicators_app.command("fill-population")
@user_errors
def fill_population_command(
    code: Annotated[str, typer.Argument(help="Indikatorns kod")],
    force: Annotated[bool, typer.Option(help="Räkna om även om inget ändrats")] = False,
) -> None:
    """Fyll täljare/nämnare från befolkningen för en indikator."""
    from datasmart.indicators.population import fill_from_population
    from datasmart.indicators.services import get_indicator

    report = fill_from_population(get_indicator(code), force=force)
    state = "oförändrad" if report.unchanged else "klar"
    console.print(f"{report.indicator}: {report.rows} rader ({report.mode}, {state}).")
    if report.not_available:
        console.print(f"  Befolkning saknas för {len(report.not_available)} rader.")


@indicators_app.command("list")
@user_errors
def list_command(
    group: Annotated[str | None, typer.Option(help="Katalogfil, t.ex. kolada_barn_unga")] = None,
    format: Annotated[Format, typer.Option("--format", help="Utdataformat")] = Format.table,
) -> None:
    """Lista indikatorerna med antal observationer."""
    from django.db.models import Count

    from datasmart.indicators.models import Indicator

    qs = Indicator.objects.order_by("code").annotate(n=Count("observations"))
    if group:
        qs = qs.filter(group=group)
    rows = [
        {
            "code": i.code,
            "title_sv": i.title_sv,
            "type": i.type,
            "levels": ",".join(i.levels),
            "periods": f"{i.first_period or ''}–{i.last_period or ''}",
            "observations": i.n,  # type: ignore[attr-defined]
            "version": i.version,
        }
        for i in qs
    ]
    if format == Format.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title="Indikatorer")
    for col in ("code", "type", "levels", "periods", "observations", "version", "title_sv"):
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(
            *(
                str(row[c])
                for c in (
                    "code",
                    "type",
                    "levels",
                    "periods",
                    "observations",
                    "version",
                    "title_sv",
                )
            )
        )
    console.print(table)


@indicators_app.command("imports")
@user_errors
def imports_command(
    limit: Annotated[int, typer.Option(help="Antal rader")] = 20,
) -> None:
    """Visa inläsningshistoriken (senaste först)."""
    from datasmart.indicators.services import list_batches

    table = Table(title="Inläsningar")
    for col in ("id", "tid", "fil", "typ", "rader", "av", "sha256"):
        table.add_column(col)
    for b in list_batches()[:limit]:
        table.add_row(
            str(b.pk),
            f"{b.created_at:%Y-%m-%d %H:%M}",
            b.file_name,
            b.kind,
            str(b.row_count),
            b.actor_username,
            b.sha256[:12],
        )
    console.print(table)


@indicators_app.command("compute")
@user_errors
def compute_command(
    indicator: Annotated[
        list[str] | None, typer.Option("--indicator", help="Indikatorns kod (kan upprepas)")
    ] = None,
) -> None:
    """Beräkna resultat (värden, KI, röjandeskydd, jämförelser) och spara dem."""
    from datasmart.indicators.models import Indicator

    if indicator:
        known = set(Indicator.objects.filter(code__in=indicator).values_list("code", flat=True))
        unknown = sorted(set(indicator) - known)
        if unknown:
            raise LookupError(f"Okänd indikator: {', '.join(unknown)}")
    reports = _compute_with_progress(list(indicator) if indicator else None)
    table = Table(title="Beräknade resultat")
    for col in ("indikator", "rader", "år", "sekunder", "fel"):
        table.add_column(col, overflow="fold")
    for r in reports:
        years = f"{r.periods[0]}–{r.periods[-1]}" if r.periods else ""
        table.add_row(r.indicator, str(r.rows), years, f"{r.seconds:.1f}", r.error or "")
    console.print(table)
    if any(not r.ok for r in reports):
        raise typer.Exit(1)


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    json = "json"


@indicators_app.command("export")
@user_errors
def export_command(
    indicator: Annotated[str, typer.Option("--indicator", help="Indikatorns kod")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Fil att skriva")],
    format: Annotated[ExportFormat, typer.Option("--format", help="Filformat")] = (
        ExportFormat.csv
    ),
    level: Annotated[str, typer.Option(help="nation, sjukvardsregion, region, kommun")] = "kommun",
    period: Annotated[int | None, typer.Option(help="År (standard: senaste)")] = None,
    sex: Annotated[str, typer.Option(help="T, 1 (män) eller 2 (kvinnor)")] = "T",
    age_group: Annotated[str, typer.Option(help="Åldersgrupp (tom = alla)")] = "",
) -> None:
    """Exportera beräknade resultat (röjandeskyddade; tomt värde + status som i Kolada)."""
    from datasmart.indicators.results import export_about, export_rows, write_export
    from datasmart.indicators.services import get_indicator

    ind = get_indicator(indicator)
    rows = export_rows(ind, level=level, period=period, sex=sex, age_group=age_group)
    n = write_export(rows, format.value, output, about=export_about(ind))
    console.print(f"{n} rader skrivna till {output}.", highlight=False)
