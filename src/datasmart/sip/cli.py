"""``datasmart sip …`` commands; mounted in ``datasmart/cli.py`` with::

    from datasmart.sip.cli import sip_app
    app.add_typer(sip_app, name="sip")

- ``remind`` — the day's reminders (follow-up meetings ahead, unanswered invitations);
- ``purge`` — retention: erase the personal content of closed plans past ``retain_until``;
- ``publish-indicators`` — the monthly SIP statistics through the indicator engine;
- ``export-fhir`` / ``import-fhir`` — a plan as a FHIR R5 bundle, as a named staff member.

``remind``, ``purge`` and ``publish-indicators`` are the periodic jobs (run once a day from
cron, a systemd timer or a task queue; see docs/deployment.md) and act as the system.
The FHIR commands act as ``--user`` for ``--organisation``, with exactly that user's
access. Errors users can fix are one Swedish message with exit code 2.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import uuid
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from datasmart.cli_support import user_errors

sip_app = typer.Typer(
    help="SIP: påminnelser, gallring, statistik och FHIR-export/-import.", no_args_is_help=True
)
console = Console()
err_console = Console(stderr=True)

MAX_BUNDLE_BYTES = 20 * 1024 * 1024


class Format(StrEnum):
    table = "table"
    json = "json"


def _emit(rows: list[dict[str, Any]], columns: tuple[str, ...], fmt: Format, title: str) -> None:
    if fmt == Format.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title=title)
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    console.print(table)


def _moment(text: str | None) -> dt.datetime | None:
    """``--now``: ``ÅÅÅÅ-MM-DD`` (that day at 07:00) or ``ÅÅÅÅ-MM-DDTHH:MM``, Swedish time."""
    if text is None:
        return None
    from django.utils import timezone

    try:
        if len(text.strip()) == 10:
            moment = dt.datetime.combine(dt.date.fromisoformat(text.strip()), dt.time(7, 0))
        else:
            moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"Ogiltig tidpunkt {text!r}; ange ÅÅÅÅ-MM-DD eller ÅÅÅÅ-MM-DDTHH:MM."
        ) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _days(value: int | None, option: str) -> int | None:
    if value is not None and not 0 <= value <= 365:
        raise ValueError(f"{option} ska vara ett antal dagar 0–365, inte {value}.")
    return value


@sip_app.command("remind")
@user_errors
def remind_command(
    follow_up_days: Annotated[
        int | None,
        typer.Option(
            "--follow-up-days",
            help="Påminn om uppföljningsmöten inom så många dagar (standard: "
            "SIP_REMIND_FOLLOW_UP_DAYS, 7)",
        ),
    ] = None,
    unanswered_days: Annotated[
        int | None,
        typer.Option(
            "--unanswered-days",
            help="Påminn om inbjudningar obesvarade i mer än så många dagar (standard: "
            "SIP_REMIND_UNANSWERED_DAYS, 3)",
        ),
    ] = None,
    now: Annotated[
        str | None,
        typer.Option("--now", help="Tidpunkt ÅÅÅÅ-MM-DD[THH:MM] (för test och efterkörning)"),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Visa vilka påminnelser som skulle gå, skicka inget")
    ] = False,
    format: Annotated[Format, typer.Option("--format", help="Utdataformat")] = Format.table,
) -> None:
    """Skicka dagens SIP-påminnelser per e-post (högst en gång per påminnelse och dag).

    Uppföljningsmöten som närmar sig (till samordnaren och deltagarna) och inbjudningar
    som inte besvarats (till de inbjudna och samordnaren). E-posten innehåller inga
    personuppgifter, bara en kort referens och en länk till planen. Kör dagligen.
    """
    from datasmart.sip.jobs.reminders import RESULT_COLUMNS, send_sip_reminders

    results = send_sip_reminders(
        now=_moment(now),
        follow_up_within=_days(follow_up_days, "--follow-up-days"),
        unanswered_after=_days(unanswered_days, "--unanswered-days"),
        dry_run=dry_run,
    )
    _emit([r.as_dict() for r in results], RESULT_COLUMNS, format, "SIP-påminnelser")
    sent = sum(1 for r in results if r.result == "sent")
    mails = sum(r.addresses for r in results if r.result == "sent")
    err_console.print(f"{sent} påminnelser skickade ({mails} e-brev).")


@sip_app.command("purge")
@user_errors
def purge_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Räkna vad som skulle gallras, ändra inget")
    ] = False,
    now: Annotated[
        str | None, typer.Option("--now", help="Tidpunkt ÅÅÅÅ-MM-DD[THH:MM] (för test)")
    ] = None,
) -> None:
    """Gallra: ta bort personuppgifterna i avslutade planer vars gallringsdag har passerat.

    Kvar blir det statistiken behöver (datum, organisationer, geografi, skäl för avslut)
    och loggen. Gallringsfristen är SIP_RETENTION_DAYS från avslutet. Kör dagligen.
    """
    from datasmart.sip.jobs.retention_report import retention_counts
    from datasmart.sip.services import erase_expired

    moment = _moment(now)
    before = retention_counts(moment)
    if dry_run:
        console.print(
            f"Torrkörning: {before.due} planer skulle gallras "
            f"({before.waiting} avslutade planer väntar på sin gallringsdag, "
            f"{before.erased} är redan gallrade). Inget ändrades."
        )
        return
    erased = erase_expired(moment)
    console.print(
        f"{erased} planer gallrades. {before.waiting} avslutade planer väntar på sin "
        f"gallringsdag; {before.erased + erased} är gallrade totalt."
    )


@sip_app.command("publish-indicators")
@user_errors
def publish_indicators_command(
    force: Annotated[
        bool, typer.Option("--force", help="Skriv och beräkna även om inget har ändrats")
    ] = False,
    now: Annotated[
        str | None, typer.Option("--now", help="Tidpunkt ÅÅÅÅ-MM-DD[THH:MM] (för test)")
    ] = None,
) -> None:
    """Räkna SIP-statistiken per kommun och månad och publicera den som indikatorer.

    Startade planer, första mötet inom målsatt tid, genomförd uppföljning, avslut per skäl
    och mediantid till första möte. Antal 1–4 röjandeskyddas av indikatormotorn.
    """
    from datasmart.sip.stats.publish import publish_sip_indicators

    moment = _moment(now)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("SIP-statistik", total=None)

        def progress(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=label)

        report = publish_sip_indicators(now=moment, force=force, progress=progress)
    from datasmart.indicators.services import format_period

    span = (
        f"{format_period(report.months[0])}–{format_period(report.months[-1])}"
        if report.months
        else "inga månader"
    )
    if report.unchanged:
        console.print(f"Oförändrat sedan förra publiceringen ({span}); inget skrevs.")
    else:
        console.print(
            f"{report.observations} observationer för {report.plans} planer ({span}), "
            f"{len(report.computed)} indikatorer beräknade på {report.seconds:.1f} s."
        )
        for r in report.computed:
            if not r.ok:
                console.print(f"  [red]{r.indicator}[/]: {r.error}", highlight=False)
    if report.unplaced:
        console.print(
            f"{report.unplaced} planer saknar kommun (startade av en region utan inbjuden "
            "kommun) och ingår inte."
        )


def _staff(username: str, organisation: str) -> Any:
    from datasmart.accounts.models import Organisation, User
    from datasmart.sip.domain.actors import StaffActor

    try:
        org_id = int(organisation)
    except ValueError:
        raise ValueError(
            f"Ogiltigt organisations-id {organisation!r}; ange organisationens nummer (id)."
        ) from None
    org = Organisation.objects.filter(pk=org_id).first()
    if org is None:
        raise LookupError(f"Ingen organisation med id {org_id}.")
    user = User.objects.filter(username=username).first()
    if user is None:
        raise LookupError(f"Ingen användare {username!r}.")
    return StaffActor(user, org)


@sip_app.command("export-fhir")
@user_errors
def export_fhir_command(
    sip_id: Annotated[str, typer.Argument(help="Planens id (UUID)")],
    user: Annotated[str, typer.Option("--user", help="Användarnamn för den som exporterar")],
    organisation: Annotated[
        str, typer.Option("--organisation", help="Id för organisationen användaren agerar för")
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Skriv till fil (standard: stdout)")
    ] = None,
) -> None:
    """Exportera en plan som ett FHIR R5-bundle (JSON), som --user för --organisation.

    Innehåller det fullständiga identitetsnumret: hantera filen som en sekretessbelagd
    handling. Exporten loggas i planens logg.
    """
    from datasmart.sip.fhir.service import export_fhir

    try:
        plan = uuid.UUID(sip_id)
    except ValueError:
        raise ValueError(f"Ogiltigt plan-id {sip_id!r}; ange planens UUID.") from None
    bundle = export_fhir(_staff(user, organisation), plan)
    text = json.dumps(bundle, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        err_console.print(f"FHIR-bundle skrivet till {output}.")


@sip_app.command("import-fhir")
@user_errors
def import_fhir_command(
    file: Annotated[Path, typer.Argument(help="FHIR-bundle (JSON)")],
    user: Annotated[str, typer.Option("--user", help="Användarnamn för den som importerar")],
    organisation: Annotated[
        str, typer.Option("--organisation", help="Id för organisationen som blir planens ägare")
    ],
) -> None:
    """Importera en plan från ett FHIR R5-bundle; --organisation blir planens ägare."""
    from datasmart.sip.fhir.service import import_fhir

    if not file.is_file():
        raise ValueError(f"Filen {file} finns inte.")
    if file.stat().st_size > MAX_BUNDLE_BYTES:
        raise ValueError(f"Filen {file} är större än {MAX_BUNDLE_BYTES // (1024 * 1024)} MB.")
    actor = _staff(user, organisation)
    sip = import_fhir(actor, file.read_bytes())
    console.print(f"Planen importerad: {sip.pk} (version {sip.version}).")
