"""``datasmart funding …`` commands; mount in ``datasmart/cli.py`` with::

    from datasmart.funding.cli import funding_app
    app.add_typer(funding_app, name="funding")

The CLI acts as ``SYSTEM`` (operator rights) unless ``--user`` names the account a saved
run is made for; then that user's ``MANAGE_FUNDING`` right is checked (and a denial is
audited). Errors users can fix print one message and exit with code 2.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from datasmart.cli_support import user_errors

funding_app = typer.Typer(
    help="Överenskommelser: poster, fördelningsnycklar, fördelning av medel, scenarier.",
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True)


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class PolicyChoice(StrEnum):
    withhold = "withhold"
    redistribute = "redistribute"


def _actor(username: str | None) -> Any:
    from datasmart.accounts.audit import SYSTEM
    from datasmart.accounts.models import User

    if not username:
        return SYSTEM
    try:
        return User.objects.get(username__iexact=username)
    except User.DoesNotExist:
        raise LookupError(f"Ingen användare med namnet {username!r}.") from None


def _emit(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    fmt: Format,
    *,
    title: str = "",
    money: Sequence[str] = (),
) -> None:
    if fmt == Format.json:
        sys.stdout.write(json.dumps(list(rows), ensure_ascii=False, indent=2) + "\n")
        return
    if fmt == Format.csv:
        buf = io.StringIO()
        writer = csv.DictWriter(
            buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(rows)
        sys.stdout.write(buf.getvalue())
        return
    from .texts import grouped

    table = Table(title=title or None)
    for col in columns:
        table.add_column(col, justify="right" if col in money or col == "population" else "left")
    for row in rows:
        cells = []
        for col in columns:
            value = row.get(col)
            if value is None:
                cells.append("")
            elif isinstance(value, bool):
                cells.append("ja" if value else "")
            elif isinstance(value, int) and (col in money or col == "population"):
                cells.append(grouped(value))
            else:
                cells.append(str(value))
        table.add_row(*cells)
    console.print(table)


TABLE_COLUMNS = ("post", "recipient_code", "recipient_name", "amount_sek", "withheld")


@funding_app.command("load")
@user_errors
def load_command(
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Mapp med TOML/JSON-filer (standard: de medföljande)"),
    ] = None,
) -> None:
    """Läs in (eller uppdatera) överenskommelserna från filerna; oförändrade filer hoppas över."""
    from .services import load_agreements

    labels = {"created": "ny", "updated": "uppdaterad", "unchanged": "oförändrad"}
    for r in load_agreements(directory):
        a = r.agreement
        console.print(f"  {a.year}  {a.title}  (version {a.version}, {labels[r.status]})")


@funding_app.command("import")
@user_errors
def import_command(
    path: Annotated[Path, typer.Argument(help="Fil: .toml, .json eller .csv (bara poster)")],
    year: Annotated[int | None, typer.Option(help="År (krävs för CSV)")] = None,
    title: Annotated[str | None, typer.Option(help="Titel (krävs för CSV)")] = None,
    total: Annotated[int | None, typer.Option("--total", help="Totalt belopp i kr (CSV)")] = None,
    status: Annotated[str | None, typer.Option(help="draft, proposal eller decided")] = None,
    population_year: Annotated[int | None, typer.Option(help="Befolkningsår")] = None,
    user: Annotated[str | None, typer.Option(help="Användare som importerar")] = None,
) -> None:
    """Importera en överenskommelse från en fil (allt eller inget)."""
    from .services import import_agreement

    meta = {
        "year": year,
        "title": title,
        "total_sek": total,
        "status": status,
        "population_year": population_year,
    }
    result = import_agreement(
        path, by=_actor(user), meta={k: v for k, v in meta.items() if v is not None}
    )
    a = result.agreement
    console.print(f"{a.year}: {a.title} – {result.status} (version {a.version}).")


@funding_app.command("list")
@user_errors
def list_command(
    format: Annotated[Format, typer.Option("--format", help="Utdataformat")] = Format.table,
) -> None:
    """Lista inlästa överenskommelser."""
    from .services import list_agreements

    rows = [
        {
            "year": a.year,
            "title": a.title,
            "status": a.status,
            "total_sek": a.total_sek,
            "population_year": a.population_year,
            "version": a.version,
        }
        for a in list_agreements()
    ]
    cols = ("year", "title", "status", "total_sek", "population_year", "version")
    _emit(rows, cols, format, title="Överenskommelser", money=("total_sek",))


@funding_app.command("allocate")
@user_errors
def allocate_command(
    year: Annotated[int, typer.Argument(help="Överenskommelsens år, t.ex. 2020")],
    population_year: Annotated[
        int | None, typer.Option(help="Befolkning 31 december detta år (standard: avtalets)")
    ] = None,
    policy: Annotated[
        PolicyChoice | None, typer.Option(help="Mottagare som tackat nej (standard: avtalets)")
    ] = None,
    format: Annotated[Format, typer.Option("--format", help="Utdataformat")] = Format.table,
    post: Annotated[str | None, typer.Option(help="Bara denna post (kod)")] = None,
    level: Annotated[str | None, typer.Option(help="Bara region, kommun, lan, skr …")] = None,
    lan: Annotated[str | None, typer.Option(help="Bara detta län (kod), med dess kommuner")] = None,
    save: Annotated[bool, typer.Option(help="Spara som körning (med underlag)")] = False,
    user: Annotated[str | None, typer.Option(help="Användare som sparar körningen")] = None,
) -> None:
    """Fördela en överenskommelses medel: en rad per post och mottagare."""
    from .services import (
        LINE_COLUMNS,
        filter_lines,
        get_agreement,
        preview,
        run_allocation,
        run_allocation_result,
    )

    agreement = get_agreement(year)
    pol = policy.value if policy else None
    if save:
        run = run_allocation(
            agreement, population_year=population_year, policy=pol, by=_actor(user)
        )
        result = run_allocation_result(run)
        err_console.print(f"Sparad som körning nr {run.pk}.")
    else:
        result = preview(agreement, population_year=population_year, policy=pol)
    lines = filter_lines(result.lines, post=post, level=level, lan=lan)
    rows = [ln.as_dict() for ln in lines]
    columns = LINE_COLUMNS if format != Format.table else TABLE_COLUMNS
    year_text = f"befolkning 31 dec {result.population_year}" if result.population_year else ""
    _emit(
        rows,
        columns,
        format,
        title=f"{agreement.title} ({year_text})" if year_text else agreement.title,
        money=("amount_sek", "paid_sek"),
    )
    if format == Format.table:
        from .texts import kronor

        console.print(
            f"Summa {kronor(sum(ln.amount_sek for ln in lines))}"
            f", varav innehålls {kronor(sum(ln.amount_sek for ln in lines if ln.withheld))}."
        )


@funding_app.command("scenario")
@user_errors
def scenario_command(
    year: Annotated[int, typer.Argument(help="Överenskommelsens år")],
    population_year: Annotated[int, typer.Option(help="Scenariots befolkningsår")],
    base_population_year: Annotated[
        int | None, typer.Option(help="Jämförelsens befolkningsår (standard: avtalets)")
    ] = None,
    policy: Annotated[PolicyChoice | None, typer.Option(help="Scenariots hantering")] = None,
    per_post: Annotated[
        bool, typer.Option("--per-post/--per-recipient", help="En rad per post och mottagare")
    ] = False,
    format: Annotated[Format, typer.Option("--format", help="Utdataformat")] = Format.table,
    save: Annotated[bool, typer.Option(help="Spara scenariot som körning")] = False,
    user: Annotated[str | None, typer.Option(help="Användare som sparar")] = None,
) -> None:
    """Jämför fördelningen med ett annat befolkningsår (eller hantering av nej-svar)."""
    from .services import DIFF_COLUMNS, get_agreement, scenario

    agreement = get_agreement(year)
    result = scenario(
        agreement,
        population_year=population_year,
        base_population_year=base_population_year,
        policy=policy.value if policy else None,
        save=save,
        by=_actor(user) if save else None,
        label=f"Befolkning {population_year}",
    )
    for note in result.scenario.notes:
        err_console.print(f"[yellow]Obs:[/] {note}", highlight=False)
    rows = [r.as_dict() for r in (result.rows if per_post else result.recipients)]
    if format == Format.table:
        cols: Sequence[str] = (
            ("post", "recipient_code", "recipient_name", "base_sek", "scenario_sek")
            if per_post
            else ("recipient_code", "recipient_name", "base_sek", "scenario_sek")
        )
        cols = (*cols, "difference_sek")
    else:
        cols = DIFF_COLUMNS
    base_year = result.base.population_year
    _emit(
        rows,
        cols,
        format,
        title=f"{agreement.title}: befolkning {base_year} → {population_year}",
        money=("base_sek", "scenario_sek", "difference_sek"),
    )
    if result.run is not None:
        err_console.print(f"Sparat som scenariokörning nr {result.run.pk}.")


@funding_app.command("runs")
@user_errors
def runs_command(
    year: Annotated[int, typer.Argument(help="Överenskommelsens år")],
    format: Annotated[Format, typer.Option("--format", help="Utdataformat")] = Format.table,
) -> None:
    """Sparade körningar för en överenskommelse."""
    from .services import get_agreement

    agreement = get_agreement(year)
    rows = [
        {
            "id": r.pk,
            "created_at": r.created_at.isoformat(timespec="seconds"),
            "created_by": r.created_by_username,
            "agreement_version": r.agreement_version,
            "population_year": r.population_year,
            "policy": r.policy,
            "scenario": r.is_scenario,
            "paid_sek": r.paid_sek,
            "withheld_sek": r.withheld_sek,
            "result_sha256": r.result_sha256[:12] if format == Format.table else r.result_sha256,
        }
        for r in agreement.runs.all()
    ]
    cols = tuple(rows[0]) if rows else ("id",)
    _emit(rows, cols, format, title=f"Körningar {year}", money=("paid_sek", "withheld_sek"))


@funding_app.command("reproduce")
@user_errors
def reproduce_command(run_id: Annotated[int, typer.Argument(help="Körningens nummer")]) -> None:
    """Räkna om en sparad körning från dess underlag och jämför krona för krona."""
    from .models import AllocationRun
    from .services import reproduce_run

    try:
        run = AllocationRun.objects.get(pk=run_id)
    except AllocationRun.DoesNotExist:
        raise LookupError(f"Ingen körning nr {run_id}.") from None
    result = reproduce_run(run)
    if result.matches:
        console.print(f"Körning {run_id}: omräkningen ger exakt samma belopp.")
        return
    for post, code, stored, again in result.differences[:20]:
        err_console.print(f"  {post} {code}: sparat {stored}, omräknat {again}")
    err_console.print(f"[bold red]Körning {run_id} skiljer sig på {len(result.differences)} rader.")
    raise typer.Exit(1)


@funding_app.command("annex")
@user_errors
def annex_command(
    year: Annotated[int, typer.Argument(help="Överenskommelsens år")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Fil: .xlsx eller .csv")],
    run_id: Annotated[
        int | None, typer.Option("--run", help="Sparad körning (standard: ny)")
    ] = None,
) -> None:
    """Skriv beslutsbilagan (en rad per post och mottagare) som Excel eller CSV."""
    from .exports import annex_workbook
    from .services import LINE_COLUMNS, get_agreement, preview, run_allocation_result

    agreement = get_agreement(year)
    if run_id is not None:
        run = agreement.runs.filter(pk=run_id).first()
        if run is None:
            raise LookupError(f"Ingen körning nr {run_id} för {year}.")
        result = run_allocation_result(run)
    else:
        result = preview(agreement)
    suffix = output.suffix.lower()
    if suffix == ".xlsx":
        output.write_bytes(annex_workbook(result))
    elif suffix == ".csv":
        with output.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(LINE_COLUMNS))
            writer.writeheader()
            writer.writerows(ln.as_dict() for ln in result.lines)
    else:
        raise ValueError(f"Okänt filformat {suffix or '(inget)'}: använd .xlsx eller .csv.")
    console.print(f"Beslutsbilagan skriven till {output} ({len(result.lines)} rader).")


@funding_app.command("reporting")
@user_errors
def reporting_command(
    year: Annotated[int, typer.Argument(help="Överenskommelsens år")],
    survey: Annotated[str | None, typer.Option(help="En enkät (kod): en rad per mottagare")] = None,
    late: Annotated[bool, typer.Option("--late", help="Bara de som är sena")] = False,
    format: Annotated[Format, typer.Option("--format", help="Utdataformat")] = Format.table,
) -> None:
    """Rapportering: vilka som skickat in, har utkast, inte börjat eller är sena."""
    from .services import get_agreement
    from .services.followup import REPORT_COLUMNS, completeness

    agreement = get_agreement(year)
    if survey is None:
        rows = []
        for s in agreement.surveys.all():
            c = completeness(s)
            rows.append(
                {
                    "survey": s.code,
                    "title": s.title,
                    "due_date": s.due_date.isoformat(),
                    "expected": len(c.rows),
                    "submitted": c.count("submitted"),
                    "draft": c.count("draft"),
                    "missing": c.count("missing"),
                    "late": len(c.late),
                }
            )
        cols = ("survey", "title", "due_date", "expected", "submitted", "draft", "missing", "late")
        _emit(rows, cols, format, title=f"Rapportering {year}")
        return
    found = agreement.surveys.filter(code=survey).first()
    if found is None:
        raise LookupError(f"Ingen enkät {survey!r} för {year}.")
    report = [r.as_dict() for r in completeness(found).rows if r.late or not late]
    _emit(report, REPORT_COLUMNS, format, title=found.title)


@funding_app.command("remind")
@user_errors
def remind_command(
    year: Annotated[int | None, typer.Argument(help="Överenskommelsens år (utan: alla år)")] = None,
    survey: Annotated[str | None, typer.Option(help="Bara en enkät (kod)")] = None,
    date: Annotated[
        str | None, typer.Option(help="Dagens datum ÅÅÅÅ-MM-DD (för test och efterkörning)")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Visa vilka som skulle påminnas, skicka inget")
    ] = False,
    format: Annotated[Format, typer.Option("--format", help="Utdataformat")] = Format.table,
) -> None:
    """Påminn (e-post) användarna hos mottagare som inte skickat in en enkät i tid.

    Högst en påminnelse per enkät, mottagare och dag: att köra igen samma dag skickar
    inget nytt. Lämpligt att köra dagligen från cron eller en jobbkö.
    """
    import datetime as dt

    from .models import Agreement
    from .services import get_agreement
    from .services.reminders import RESULT_COLUMNS, send_reminders

    try:
        today = dt.date.fromisoformat(date) if date else None
    except ValueError:
        raise ValueError(f"Ogiltigt datum {date!r}; ange ÅÅÅÅ-MM-DD.") from None
    agreements = [get_agreement(year)] if year is not None else list(Agreement.objects.all())
    results = send_reminders(agreements, survey_code=survey, today=today, dry_run=dry_run)
    _emit([r.as_dict() for r in results], RESULT_COLUMNS, format, title="Påminnelser")
    sent = sum(1 for r in results if r.result == "sent")
    err_console.print(f"{sent} påminnelse{'r' if sent != 1 else ''} skickade.")
