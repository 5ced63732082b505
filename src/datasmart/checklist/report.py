"""The one-page report of a unit's answers and the comparison across a län: one data
structure each for the page, the PDF, the JSON (API, CLI) and the Excel file, so they
never disagree.

Answers are organisations' answers, not people's: no small-number suppression applies.
"""

from __future__ import annotations

import io
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from . import services
from .evidence import evidence_for
from .models import AnswerValue, ChecklistRound, EvidenceKind, Question, RoundStatus, Section


def _english() -> bool:
    return (translation.get_language() or "sv").startswith("en")


def question_text(q: Question) -> str:
    return q.text_en if _english() and q.text_en else q.text_sv


def question_help(q: Question) -> str:
    return q.help_en if _english() and q.help_en else q.help_sv


def safe_link(url: str) -> str:
    """``url`` if it is a link the service accepts (internal path or https), else "" (a
    stored value that was never checked is shown as text, never as a link)."""
    try:
        return services.check_evidence_url(url, "url")
    except services.ChecklistError:
        return ""


def _counts(values: list[str | None]) -> dict[str, int]:
    counts = {v: 0 for v in AnswerValue.values}
    counts["missing"] = 0
    for v in values:
        counts[v if v in counts else "missing"] += 1
    return counts


def _round_dict(r: ChecklistRound) -> dict[str, Any]:
    return {
        "number": r.number,
        "status": r.status,
        "status_label": str(RoundStatus(r.status).label),
        "organisation": r.organisation.name,
        "version": r.version.code,
        "created_at": r.created_at.isoformat() if r.created_at else None,
        "submitted_at": r.submitted_at.isoformat() if r.submitted_at else None,
    }


def unit_report(unit_code: str, year: Any, by: Any) -> dict[str, Any]:
    """The unit's latest round ``by`` may read for ``year`` (None if there is none) with
    every question, its answer, the answer's own evidence link and the platform's evidence."""
    unit = services.answering_unit(unit_code)
    year = services.parse_year(year)
    round_ = services.latest_round(unit, year, by)
    version = round_.version if round_ else services.current_version()
    answers = services.answer_map(round_) if round_ else {}
    evidence = evidence_for(unit, year, by)
    rows: list[dict[str, Any]] = []
    for q in services.questions(version):
        a = answers.get(q.code)
        ev = evidence.get(q.evidence_kind) if q.evidence_kind != EvidenceKind.NONE else None
        rows.append(
            {
                "number": q.order,
                "code": q.code,
                "section": q.section,
                "section_label": str(Section(q.section).label),
                "text": question_text(q),
                "help": question_help(q),
                "source": q.source_ref,
                "value": a.value if a else None,
                "value_label": str(AnswerValue(a.value).label) if a else _("Ej besvarad"),
                "comment": a.comment if a else "",
                "evidence_url": a.evidence_url if a else "",
                "evidence_link": safe_link(a.evidence_url) if a else "",
                "platform": (
                    {
                        "kind": ev.kind,
                        "url": ev.url,
                        "label": ev.label,
                        "fact": ev.fact,
                        "found": ev.found,
                    }
                    if ev
                    else None
                ),
            }
        )
    sections: list[dict[str, Any]] = []
    for row in rows:
        if not sections or sections[-1]["code"] != row["section"]:
            sections.append({"code": row["section"], "label": row["section_label"], "rows": []})
        sections[-1]["rows"].append(row)
    return {
        "unit": {"code": unit.code, "name": unit.name, "level": unit.level},
        "year": year,
        "round": _round_dict(round_) if round_ else None,
        "version": version.code,
        "counts": _counts([r["value"] for r in rows]),
        "questions": rows,
        "sections": sections,
        "value_labels": {v: str(label) for v, label in AnswerValue.choices},
    }


def comparison(lan_code: str, year: Any) -> dict[str, Any]:
    """Submitted answers per question across the län's region and kommuner, with counts."""
    year = services.parse_year(year, _("år"))
    lan, pairs = services.rounds_for_lan(lan_code, year)
    answer_maps = {u.code: services.answer_map(r) if r else {} for u, r in pairs}
    units: list[dict[str, Any]] = [
        {
            "code": u.code,
            "name": u.name,
            "level": u.level,
            "round": _round_dict(r) if r else None,
        }
        for u, r in pairs
    ]
    rows: list[dict[str, Any]] = []
    for q in services.questions():
        values = [
            answer_maps[u.code][q.code].value if q.code in answer_maps[u.code] else None
            for u, _r in pairs
        ]
        rows.append(
            {
                "number": q.order,
                "code": q.code,
                "text": question_text(q),
                "values": values,
                "counts": _counts([v for v, (_u, r) in zip(values, pairs, strict=True) if r]),
            }
        )
    for i, u in enumerate(units):
        u["values"] = [row["values"][i] for row in rows]
    return {
        "lan": {"code": lan.code, "name": lan.name},
        "year": year,
        "units": units,
        "answered": sum(1 for _u, r in pairs if r),
        "questions": rows,
        "value_labels": {v: str(label) for v, label in AnswerValue.choices},
    }


def comparison_excel(data: dict[str, Any]) -> bytes:
    """The comparison as a workbook: one sheet of answers (question × unit), one of counts."""
    from openpyxl import Workbook

    labels = data["value_labels"]
    wb = Workbook()
    ws = wb.active
    ws.title = _("Svar")[:31]
    ws.append([_("Nr"), _("Fråga"), *[u["name"] for u in data["units"]]])
    for row in data["questions"]:
        ws.append(
            [
                row["number"],
                row["text"],
                *[labels.get(v, "") if v else "" for v in row["values"]],
            ]
        )
    counts = wb.create_sheet(_("Antal")[:31])
    keys = [*labels, "missing"]
    counts.append([_("Nr"), _("Fråga"), *[labels.get(k, _("Ej besvarad")) for k in keys]])
    for row in data["questions"]:
        counts.append([row["number"], row["text"], *[row["counts"][k] for k in keys]])
    note = wb.create_sheet(_("Om")[:31])
    note.append([_("Politikerchecklistan, inskickade svar per enhet")])
    note.append([data["lan"]["name"], data["year"]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


#: How long a comment may be in the one-page PDF (the pages show it whole).
PDF_COMMENT_CHARS = 110


def print_html(context: dict[str, Any], base: str, *, request: Any = None) -> str:
    """The print template (one A4 page): comments shortened, links absolute (``base``)."""
    from django.template.loader import render_to_string

    for row in context["data"]["questions"]:
        comment = row["comment"]
        row["short_comment"] = (
            comment if len(comment) <= PDF_COMMENT_CHARS else comment[: PDF_COMMENT_CHARS - 1] + "…"
        )
    context = {**context, "base": base.rstrip("/")}
    return render_to_string("checklist/report_print.html", context, request=request)


def render_pdf(html: str, base_url: str) -> bytes:
    """HTML → PDF (WeasyPrint, as the needs report)."""
    from weasyprint import HTML

    return bytes(HTML(string=html, base_url=base_url).write_pdf())


def pdf_pages(html: str, base_url: str) -> int:
    """How many pages the PDF of ``html`` has (the report must fit one A4)."""
    from weasyprint import HTML

    return len(HTML(string=html, base_url=base_url).render().pages)
