"""Survey results: submitted answers per recipient, and aggregated per län and for Sweden.

Only *submitted* responses count (a draft is not an answer yet). For each question:
yes/no → number of ``ja`` and ``nej``; choice → count per alternative; number → sum and
mean; text → how many answered. Kommun answers are grouped by län (the first two digits of
the kommun code) and for the whole country; region answers for the whole country.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Final

from datasmart.geo.models import Level, Unit

from ..models import ResponseStatus, Survey

NATION: Final = ("00", "Riket")
RESULT_COLUMNS: Final = ("group_code", "group_name", "question", "text", "measure", "value")


def answers_table(survey: Survey) -> tuple[list[str], list[dict[str, Any]]]:
    """Columns and one row per submitted response (yes/no as ``ja``/``nej``)."""
    codes = [q["code"] for q in survey.questions]
    types = {q["code"]: q["type"] for q in survey.questions}
    rows = []
    for r in survey.responses.filter(status=ResponseStatus.SUBMITTED).select_related("unit"):
        row: dict[str, Any] = {
            "unit_code": r.unit.code,
            "unit_name": r.unit.name,
            "submitted_at": r.submitted_at.isoformat() if r.submitted_at else "",
        }
        for code in codes:
            value = r.answers.get(code)
            if types[code] == "yesno" and value is not None:
                value = "ja" if value else "nej"
            row[code] = value
        rows.append(row)
    rows.sort(key=lambda x: x["unit_code"])
    return ["unit_code", "unit_name", "submitted_at", *codes], rows


def _measures(question: dict[str, Any], values: list[Any]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = [("svar", len(values))]
    if question["type"] == "yesno":
        out += [("ja", sum(1 for v in values if v is True))]
        out += [("nej", sum(1 for v in values if v is False))]
    elif question["type"] == "choice":
        out += [(f"val: {c}", sum(1 for v in values if v == c)) for c in question["choices"]]
    elif question["type"] == "number":
        total = sum(values)
        out += [("summa", total), ("medel", round(total / len(values), 2) if values else None)]
    return out


def aggregate(survey: Survey) -> list[dict[str, Any]]:
    """Long format: one row per group (län and Riket), question and measure."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    lan_names = dict(Unit.objects.filter(level=Level.REGION).values_list("code", "name"))
    responses = survey.responses.filter(status=ResponseStatus.SUBMITTED).select_related("unit")
    for r in responses:
        groups[NATION].append(r.answers)
        if survey.respondent_level == "kommun":
            lan = r.unit.code[:2]
            groups[(lan, lan_names.get(lan, lan))].append(r.answers)
    if not groups:
        groups[NATION] = []
    out = []
    for (code, name), answers in sorted(groups.items()):
        for q in survey.questions:
            values = [a[q["code"]] for a in answers if a.get(q["code"]) is not None]
            for measure, value in _measures(q, values):
                out.append(
                    {
                        "group_code": code,
                        "group_name": name,
                        "question": q["code"],
                        "text": q["text"],
                        "measure": measure,
                        "value": value,
                    }
                )
    return out
