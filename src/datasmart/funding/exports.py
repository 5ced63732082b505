"""The decision annex (beslutsbilaga): one row per post and recipient, as CSV or Excel.

Both formats are built from the same :class:`~datasmart.funding.services.Allocation`
(live or a saved run), so a download always equals the page and the API.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from datasmart.geo import services as geo
from datasmart.geo.models import Level

from .models import AcceptancePolicy, AgreementStatus, RecipientLevel
from .services import LINE_COLUMNS, Allocation, Line, post_explanations

ANNEX_SHEETS = ("Sammanfattning", "Per post och mottagare", "Per mottagare")
MONEY = "#,##0"
LINE_HEADERS = {
    "post": "Post (kod)",
    "post_name": "Post",
    "recipient_level": "Mottagarnivå",
    "recipient_code": "Mottagarkod",
    "recipient_name": "Mottagare",
    "population": "Befolkning i nyckeln",
    "amount_sek": "Belopp (kr)",
    "withheld": "Innehålls",
    "paid_sek": "Utbetalas (kr)",
}


@dataclass(frozen=True)
class RecipientTotal:
    """All posts of an allocation summed for one recipient."""

    code: str
    name: str
    levels: tuple[str, ...]
    amount_sek: int
    paid_sek: int
    population: int | None

    @property
    def per_inhabitant(self) -> float | None:
        return self.amount_sek / self.population if self.population else None

    @property
    def geo_level(self) -> str:
        return "kommun" if len(self.code) == 4 else ("region" if len(self.code) == 2 else "")


def recipient_totals(allocation: Allocation) -> list[RecipientTotal]:
    """One row per recipient (kommuner, then regions/län, then SKR and unallocated), with
    the recipient's whole population on 31 December of the allocation's population year."""
    acc: dict[str, dict[str, Any]] = {}
    for ln in allocation.lines:
        row = acc.setdefault(
            ln.recipient_code,
            {"name": ln.recipient_name, "levels": [], "amount": 0, "paid": 0},
        )
        if ln.recipient_level not in row["levels"]:
            row["levels"].append(ln.recipient_level)
        row["amount"] += ln.amount_sek
        row["paid"] += ln.paid_sek
        if ln.recipient_level == RecipientLevel.REGION:
            row["name"] = ln.recipient_name
    year = allocation.population_year
    pops: dict[str, int] = {}
    if year is not None:
        for level in (Level.KOMMUN, Level.REGION):
            pops.update(geo.population_by_level(level, year))
    order = {4: 0, 2: 1}
    return [
        RecipientTotal(
            code,
            row["name"],
            tuple(row["levels"]),
            row["amount"],
            row["paid"],
            pops.get(code) if code.isdigit() else None,
        )
        for code, row in sorted(
            acc.items(), key=lambda kv: (order.get(len(kv[0]), 2) if kv[0] else 3, kv[0])
        )
    ]


def annex_csv_rows(allocation: Allocation) -> Iterator[dict[str, Any]]:
    for ln in allocation.lines:
        yield ln.as_dict()


ANNEX_CSV_COLUMNS = LINE_COLUMNS


def annex_filename(allocation: Allocation, suffix: str) -> str:
    run = f"-korning-{allocation.run.pk}" if allocation.run is not None else ""
    return f"beslutsbilaga-{allocation.agreement.year}{run}.{suffix}"


def _autosize(ws: Any, widths: dict[int, int]) -> None:
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = min(max(width + 2, 10), 70)


def _table(ws: Any, start_row: int, headers: list[str], rows: list[list[Any]]) -> int:
    widths: dict[int, int] = {}
    for c, h in enumerate(headers, start=1):
        cell = ws.cell(row=start_row, column=c, value=h)
        cell.font = Font(bold=True)
        widths[c] = max(widths.get(c, 0), len(h))
    for r, values in enumerate(rows, start=start_row + 1):
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, int) and not isinstance(value, bool):
                cell.number_format = MONEY
            elif isinstance(value, float):
                cell.number_format = "#,##0.00"
            widths[c] = max(widths.get(c, 0), len(str(value)) if value is not None else 0)
    current = {c: int(ws.column_dimensions[get_column_letter(c)].width or 0) - 2 for c in widths}
    _autosize(ws, {c: max(w, current.get(c, 0)) for c, w in widths.items()})
    return start_row + len(rows) + 1


def annex_workbook(allocation: Allocation) -> bytes:
    """The annex as an .xlsx file: summary with every post and its key, all lines, and
    the sum per recipient with kronor per inhabitant."""
    agreement = allocation.agreement
    wb = Workbook()
    ws = wb.active
    ws.title = ANNEX_SHEETS[0]
    ws["A1"] = f"Beslutsbilaga: {agreement.title}"
    ws["A1"].font = Font(bold=True, size=14)
    run = allocation.run
    facts: list[tuple[str, Any]] = [
        ("År", agreement.year),
        ("Status", str(AgreementStatus(agreement.status).label)),
        ("Parter", agreement.parties),
        ("Version av överenskommelsen", allocation.inputs["agreement"]["version"]),
        ("Totalt belopp (kr)", allocation.inputs["agreement"]["total_sek"]),
        ("Fördelat i denna beräkning (kr)", allocation.total_sek),
        ("Utbetalas (kr)", allocation.paid_sek),
        ("Innehålls (kr)", allocation.withheld_sek),
        (
            "Befolkning",
            f"31 december {allocation.population_year}"
            if allocation.population_year
            else "används inte",
        ),
        ("Mottagare som tackat nej", str(AcceptancePolicy(allocation.policy).label)),
        ("Avrundning", "Hela kronor, största-restmetoden (Hamilton); varje post summerar exakt"),
        (
            "Beräkning",
            f"Sparad körning nr {run.pk}, {run.created_at:%Y-%m-%d %H:%M}"
            if run is not None
            else "Förhandsberäkning (inte sparad)",
        ),
        ("Källa", agreement.source),
    ]
    for i, (label, value) in enumerate(facts, start=3):
        ws.cell(row=i, column=1, value=label).font = Font(bold=True)
        cell = ws.cell(row=i, column=2, value=value)
        if isinstance(value, int):
            cell.number_format = MONEY
            cell.alignment = Alignment(horizontal="left")
    notes_row = 3 + len(facts)
    for note in allocation.notes:
        ws.cell(row=notes_row, column=1, value="Anmärkning").font = Font(bold=True)
        ws.cell(row=notes_row, column=2, value=note)
        notes_row += 1
    ws.column_dimensions["A"].width = 32
    ws.column_dimensions["B"].width = 60
    start = notes_row + 1
    by_post: dict[str, list[Line]] = {}
    for ln in allocation.lines:
        by_post.setdefault(ln.post_code, []).append(ln)
    explained = {e["code"]: e for e in post_explanations(agreement, allocation.population_year)}
    post_rows = []
    for p in allocation.inputs["posts"]:
        lines = by_post.get(p["code"], [])
        post_rows.append(
            [
                p["code"],
                p["name"],
                str(RecipientLevel(p["recipient_level"]).label),
                explained.get(p["code"], {}).get("key_explained", p["key_type"]),
                p["amount_sek"],
                sum(ln.paid_sek for ln in lines),
                sum(ln.amount_sek for ln in lines if ln.withheld),
                len([ln for ln in lines if ln.recipient_code]),
            ]
        )
    _table(
        ws,
        start,
        [
            "Post (kod)",
            "Post",
            "Mottagare",
            "Fördelningsnyckel",
            "Belopp (kr)",
            "Utbetalas (kr)",
            "Innehålls (kr)",
            "Antal mottagare",
        ],
        post_rows,
    )
    ws.column_dimensions["D"].width = 70

    lines_ws = wb.create_sheet(ANNEX_SHEETS[1])
    _table(
        lines_ws,
        1,
        [LINE_HEADERS[c] for c in LINE_COLUMNS],
        [
            [
                ln.post_code,
                ln.post_name,
                str(RecipientLevel(ln.recipient_level).label),
                ln.recipient_code,
                ln.recipient_name,
                ln.population,
                ln.amount_sek,
                "ja" if ln.withheld else "nej",
                ln.paid_sek,
            ]
            for ln in allocation.lines
        ],
    )
    lines_ws.freeze_panes = "A2"
    lines_ws.auto_filter.ref = lines_ws.dimensions

    totals_ws = wb.create_sheet(ANNEX_SHEETS[2])
    year = allocation.population_year
    _table(
        totals_ws,
        1,
        [
            "Mottagarkod",
            "Mottagare",
            "Poster till",
            "Belopp (kr)",
            "Utbetalas (kr)",
            f"Befolkning 31 dec {year}" if year else "Befolkning",
            "Kr per invånare",
        ],
        [
            [
                t.code,
                t.name,
                ", ".join(str(RecipientLevel(lv).label) for lv in t.levels),
                t.amount_sek,
                t.paid_sek,
                t.population,
                round(t.per_inhabitant, 2) if t.per_inhabitant is not None else None,
            ]
            for t in recipient_totals(allocation)
        ],
    )
    totals_ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
