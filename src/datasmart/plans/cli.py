"""``datasmart plans …`` commands; mounted in ``datasmart/cli.py``.

- ``list`` — plans by unit, status, year or owner (table, JSON or CSV);
- ``show ID`` — one plan with its goals tree, indicators, activities and parties;
- ``joint-agreed --lan 01 --year 2027`` — the funding condition's question.

They read through :mod:`datasmart.plans.listing`, the same query path and the same dicts
as ``GET /api/plans``, so the CLI and the API never disagree. The CLI reads as ``SYSTEM``
(the operator sees every plan) unless ``--user`` names an account; then only the plans
that user may read are shown, and a hidden plan is "not found", as in the API.

Errors users can fix are one Swedish message with exit code 2
(:func:`datasmart.cli_support.user_errors`).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from datasmart.cli_support import user_errors

plans_app = typer.Typer(
    help="Mål och handlingsplaner: lista planer, uppföljningsrapporter.", no_args_is_help=True
)


@plans_app.callback()
def _group() -> None:
    """Commands of this domain."""


# --- listing and showing plans (the same query path as GET /api/plans: plans.listing) -----


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class ShowFormat(StrEnum):
    table = "table"
    json = "json"


console = Console()

FormatOption = Annotated[Format, typer.Option("--format", help="Utdataformat")]
UserOption = Annotated[
    str | None,
    typer.Option(
        "--user",
        help="Läs som den här användaren (bara planer hen får se); utan: driftens rätt, alla",
    ),
]


def _actor(username: str | None) -> Any:
    """``SYSTEM`` (the operator reads every plan) or the named user (what they may read)."""
    from datasmart.accounts.audit import SYSTEM
    from datasmart.accounts.models import User

    if not username:
        return SYSTEM
    try:
        return User.objects.get(username__iexact=username)
    except User.DoesNotExist:
        raise LookupError(f"Ingen användare med namnet {username!r}.") from None


def _number(value: str | None, option: str) -> int | None:
    """An integer option read by hand, so a bad value gets a Swedish message (exit 2)."""
    if value is None:
        return None
    if not value.strip().isdigit():
        raise ValueError(f"{option}: ange ett heltal, inte {value!r}.")
    return int(value)


def _json(data: Any) -> None:
    from django.core.serializers.json import DjangoJSONEncoder

    sys.stdout.write(json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2) + "\n")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    return str(value)


@plans_app.command("list")
@user_errors
def list_command(
    unit: Annotated[
        str | None,
        typer.Option(help="Enhetskod: planer som enhetens organisationer äger eller är part i"),
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(help="draft, agreed, active, followed_up eller closed"),
    ] = None,
    year: Annotated[str | None, typer.Option(help="Planer vars period omfattar året")] = None,
    owner: Annotated[str | None, typer.Option(help="Ägarorganisationens id")] = None,
    user: UserOption = None,
    format: FormatOption = Format.table,
) -> None:
    """Lista handlingsplaner (samma urval som GET /api/plans)."""
    from datasmart.plans import listing
    from datasmart.plans.models import PlanStatus

    plans = listing.list_plans(
        _actor(user),
        owner=_number(owner, "--owner"),
        unit=unit,
        status=status,
        year=_number(year, "--year"),
    )
    rows = [listing.plan_row(p) for p in plans]
    if format == Format.json:
        _json(rows)
        return
    if format == Format.csv:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(listing.PLAN_COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        sys.stdout.write(buf.getvalue())
        return
    if not rows:
        console.print("Inga planer matchar urvalet.")
        return
    table = Table(title="Handlingsplaner")
    for col in ("id", "titel", "ägare", "län", "period", "status", "version", "synlighet"):
        table.add_column(col, justify="right" if col in ("id", "version") else "left")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["title"],
            r["owner_name"],
            _cell(r["lan"]),
            f"{r['start_year']}–{r['end_year']}",
            str(PlanStatus(r["status"]).label),
            str(r["version"]),
            r["visibility"],
        )
    console.print(table)


def _goal_lines(goals: list[dict[str, Any]], depth: int = 0) -> list[str]:
    from datasmart.plans.models import Direction, GoalKind

    lines = []
    for g in goals:
        indent = "  " * depth
        kind = GoalKind(g["kind"]).label
        lines.append(
            f"{indent}- [{g['id']}] {kind}: {g['text']} ({g['start_year']}–{g['end_year']})"
        )
        if g["decided_by"] or g["decided_on"] or g["document"]:
            decided = ", ".join(
                str(x) for x in (g["decided_by"], g["decided_on"], g["document"]) if x
            )
            lines.append(f"{indent}    beslut: {decided}")
        for i in g["indicators"]:
            base = (
                f"{i['baseline_value']:g} ({i['baseline_period']})"
                if i["baseline_value"] is not None
                else "saknas"
            )
            lines.append(
                f"{indent}    indikator {i['indicator_code']} ({i['kind']}): "
                f"{Direction(i['direction']).label.lower()} till {i['target_value']:g} år "
                f"{i['target_year']}, utgångsvärde {base}"
            )
        lines.extend(_goal_lines(g["children"], depth + 1))
    return lines


@plans_app.command("show")
@user_errors
def show_command(
    plan_id: Annotated[str, typer.Argument(metavar="ID", help="Planens id")],
    user: UserOption = None,
    format: Annotated[ShowFormat, typer.Option("--format", help="Utdataformat")] = (
        ShowFormat.table
    ),
) -> None:
    """Visa en plan: målträd, indikatorer, aktiviteter och parter (som GET /api/plans/ID)."""
    from datasmart.plans import listing
    from datasmart.plans.models import ActivityStatus, PlanStatus

    number = _number(plan_id, "ID")
    assert number is not None
    plan = listing.plan_detail(listing.readable_plan(number, _actor(user)))
    if format == ShowFormat.json:
        _json(plan)
        return
    console.print(
        f"[bold]{plan['title']}[/] (plan {plan['id']}, version {plan['version']})", highlight=False
    )
    console.print(
        f"Ägare: {plan['owner']['name']} ({plan['owner']['unit_code']})"
        + (f", gemensam plan för län {plan['lan']}" if plan["lan"] else ""),
        highlight=False,
    )
    console.print(
        f"Period: {plan['start_year']}–{plan['end_year']}; status: "
        f"{PlanStatus(plan['status']).label}; synlighet: {plan['visibility']}"
        + (f"; nästa uppföljning: {plan['next_follow_up']}" if plan["next_follow_up"] else ""),
        highlight=False,
    )
    console.print("\n[bold]Mål[/]")
    for line in _goal_lines(plan["goals"]) or ["(inga mål)"]:
        console.print(line, highlight=False, markup=False)
    if plan["activities"]:
        table = Table(title="Aktiviteter")
        for col in ("id", "aktivitet", "start", "slut", "status", "budget", "kostnad", "mål"):
            table.add_column(col)
        for a in plan["activities"]:
            table.add_row(
                str(a["id"]),
                a["title"],
                str(a["start"]),
                str(a["end"]),
                str(ActivityStatus(a["status"]).label),
                _cell(a["budget"]),
                _cell(a["cost"]),
                ", ".join(map(str, a["goal_ids"])),
            )
        console.print(table)
    if plan["parties"]:
        table = Table(title="Parter")
        for col in ("part", "enhet", "godkänd", "av", "lämnade", "skäl"):
            table.add_column(col)
        for p in plan["parties"]:
            table.add_row(
                p["organisation"]["name"],
                p["organisation"]["unit_code"],
                _cell(p["approved_at"] and str(p["approved_at"])[:16]),
                p["approved_by"],
                _cell(p["left_at"] and str(p["left_at"])[:16]),
                p["leave_reason"],
            )
        console.print(table)


@plans_app.command("joint-agreed")
@user_errors
def joint_agreed_command(
    lan: Annotated[str, typer.Option(help="Länskod, t.ex. 01")],
    year: Annotated[str, typer.Option(help="År, t.ex. 2027")],
    user: UserOption = None,
    format: Annotated[ShowFormat, typer.Option("--format", help="Utdataformat")] = (
        ShowFormat.table
    ),
) -> None:
    """Finns en överenskommen gemensam länsplan för året? (Villkoret för medel, som
    GET /api/plans/joint-agreed.)"""
    from datasmart.plans import listing

    if not (len(lan) == 2 and lan.isdigit()):
        raise ValueError(f"--lan: ange en länskod med två siffror, t.ex. 01, inte {lan!r}.")
    number = _number(year, "--year")
    assert number is not None
    answer = listing.joint_agreed(lan, number, _actor(user))
    if format == ShowFormat.json:
        _json(answer)
        return
    if answer["agreed"]:
        which = f" (plan {answer['plan_id']})" if answer["plan_id"] else ""
        console.print(f"Ja: län {lan} har en överenskommen gemensam plan för {number}{which}.")
    else:
        console.print(f"Nej: län {lan} har ingen överenskommen gemensam plan för {number}.")


# `plans remind` lives in its own module (no import back here, so no circle); register it.
from datasmart.plans.cli_remind import remind_command  # noqa: E402

plans_app.command("remind")(remind_command)

# `plans follow-up` lives in its own module (no import back here); register it.
from datasmart.plans.cli_followup import follow_up_command  # noqa: E402

plans_app.command("follow-up")(follow_up_command)
