"""Follow-up reports of a plan (PDF and Excel) and the comparison chart across units.

Everything is made from :class:`~.followup.FollowUpReport` / :class:`~.followup.UnitComparison`,
the same structure the page shows, so page, PDF, Excel, API and CLI never disagree; figures
are rounded once, by :mod:`datasmart.indicators.rounding` (through the indicator services).
The PDF is the print template rendered by WeasyPrint, as the needs report does.
"""

from __future__ import annotations

import io
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from datasmart.indicators.services import rounded
from datasmart.web.charts import FONT, separators

from .followup import JUDGEMENT_LABELS, RULE_SV, FollowUpReport, Judgement, UnitComparison

__all__ = ["JUDGEMENT_COLOURS", "comparison_figure", "follow_up_excel", "follow_up_pdf"]

#: Okabe–Ito colours per judgement (colour-blind safe, as the indicator pages); the text
#: label is always shown beside the colour.
JUDGEMENT_COLOURS = {
    Judgement.TARGET_MET: "#0072B2",
    Judgement.ON_TRACK: "#56B4E9",
    Judgement.NOT_ON_TRACK: "#D55E00",
    Judgement.CANNOT_JUDGE: "#999999",
}
#: Marker shape per judgement: the second cue beside colour.
JUDGEMENT_SYMBOLS = {
    Judgement.TARGET_MET: "star",
    Judgement.ON_TRACK: "triangle-up",
    Judgement.NOT_ON_TRACK: "triangle-down",
    Judgement.CANNOT_JUDGE: "circle-open",
}


def indicator_rows(report: FollowUpReport) -> list[list[Any]]:
    """The indicator table as plain cells (Excel): rounded numbers, labels as text."""
    rows = []
    for r in report.indicators:
        latest = r.latest
        rows.append(
            [
                r.goal_text,
                r.code,
                r.title,
                r.unit_name,
                r.kind_label,
                r.direction_label,
                rounded(r.baseline, r.decimals),
                r.baseline_period,
                rounded(r.target, r.decimals),
                r.target_year,
                latest.period if latest else None,
                rounded(latest.value, r.decimals) if latest else None,
                rounded(latest.lower, r.decimals) if latest else None,
                rounded(latest.upper, r.decimals) if latest else None,
                rounded(r.verdict.expected, r.decimals),
                r.verdict.label,
                r.verdict.reason_label,
                r.trend_text,
                r.change,
            ]
        )
    return rows


INDICATOR_HEADERS = (
    pgettext_lazy("plan goal", "Mål"),
    gettext_lazy("Indikator"),
    gettext_lazy("Namn"),
    gettext_lazy("Enhet"),
    gettext_lazy("Typ"),
    gettext_lazy("Riktning"),
    gettext_lazy("Utgångsvärde"),
    gettext_lazy("Utgångsperiod"),
    gettext_lazy("Målvärde"),
    gettext_lazy("Målår"),
    gettext_lazy("Senaste period"),
    gettext_lazy("Senaste värde"),
    gettext_lazy("Undre gräns (95 %)"),
    gettext_lazy("Övre gräns (95 %)"),
    gettext_lazy("Förväntat enligt rak linje"),
    gettext_lazy("Bedömning"),
    gettext_lazy("Skäl"),
    gettext_lazy("Trend"),
    gettext_lazy("Ändring sedan förra uppföljningen"),
)


def follow_up_excel(report: FollowUpReport) -> bytes:
    """The follow-up as an Excel workbook (openpyxl): indicators, activities, changes and
    the rule, one sheet each."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = _("Indikatorer")[:31]
    ws.append([str(h) for h in INDICATOR_HEADERS])
    for row in indicator_rows(report):
        ws.append(row)
    acts = wb.create_sheet(_("Aktiviteter")[:31])
    acts.append([_("Aktivitet"), _("Ägare"), _("Start"), _("Slut"), _("Status"), _("Försenad")])
    for a in report.activities:
        acts.append(
            [
                a["title"],
                a["owner"],
                a["start"],
                a["end"],
                a["status_label"],
                _("ja") if a["overdue"] else _("nej"),
            ]
        )
    acts.append([])
    for _code, label, n in report.activity_counts:
        acts.append([label, n])
    changes = wb.create_sheet(_("Ändringar")[:31])
    changes.append([_("Ändringar sedan förra uppföljningen")])
    for line in report.changes or [_("Ingen tidigare uppföljning att jämföra med.")]:
        changes.append([line])
    rule = wb.create_sheet(_("Regel")[:31])
    rule.append([str(RULE_SV)])
    rule.append(
        [_("Plan: %(t)s, uppföljningsår %(y)s.") % {"t": report.plan.title, "y": report.year}]
    )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def follow_up_pdf(report: FollowUpReport, *, base_url: str, request: Any = None) -> bytes:
    """The print template rendered as PDF (WeasyPrint; fonts from the system)."""
    from weasyprint import HTML

    html = render_to_string(
        "plans/followup_print.html", {"report": report, "rule": RULE_SV}, request=request
    )
    return bytes(HTML(string=html, base_url=base_url).write_pdf())


def comparison_figure(comparison: UnitComparison, language: str | None = None) -> dict[str, Any]:
    """A dot plot: one row per unit's plan, the latest value with its 95 % interval
    (marker shape and colour by judgement), the baseline (open circle) and the target
    (diamond). Texts are pre-rounded (no second rounding in JavaScript)."""
    labels: list[str] = []
    traces: list[dict[str, Any]] = []
    for r in comparison.rows:
        plan = comparison.plans.get(r.plan_id)
        label = f"{r.unit_name} – {plan.title[:30]}" if plan else r.unit_name
        n, base = 2, label
        while label in labels:  # a category axis merges equal labels
            label, n = f"{base} ({n})", n + 1
        labels.append(label)
    # one trace per judgement (legend = judgement, with its text)
    for judgement in Judgement:
        idx = [
            i
            for i, r in enumerate(comparison.rows)
            if r.verdict.judgement == judgement and r.latest and r.latest.value is not None
        ]
        if not idx:
            continue
        rows = [comparison.rows[i] for i in idx]
        assert all(r.latest for r in rows)
        lo = [
            (r.latest.value - r.latest.lower)  # type: ignore[union-attr,operator]
            if r.latest and r.latest.lower is not None
            else 0
            for r in rows
        ]
        hi = [
            (r.latest.upper - r.latest.value)  # type: ignore[union-attr,operator]
            if r.latest and r.latest.upper is not None
            else 0
            for r in rows
        ]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": str(JUDGEMENT_LABELS[judgement]),
                "x": [r.latest.value for r in rows if r.latest],
                "y": [labels[i] for i in idx],
                "error_x": {"type": "data", "symmetric": False, "array": hi, "arrayminus": lo},
                "marker": {
                    "size": 12,
                    "color": JUDGEMENT_COLOURS[judgement],
                    "symbol": JUDGEMENT_SYMBOLS[judgement],
                    "line": {"width": 1, "color": "#1A1A1A"},
                },
                "customdata": [
                    f"{r.value_text} ({r.ci_text})" if r.ci_text else r.value_text for r in rows
                ],
                "hovertemplate": "%{y}: %{customdata}<extra>%{fullData.name}</extra>",
            }
        )
    with_base = [(i, r) for i, r in enumerate(comparison.rows) if r.baseline is not None]
    if with_base:
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": _("Utgångsvärde"),
                "x": [r.baseline for _i, r in with_base],
                "y": [labels[i] for i, _r in with_base],
                "marker": {"size": 9, "symbol": "circle-open", "color": "#1A1A1A"},
                "customdata": [r.baseline_text for _i, r in with_base],
                "hovertemplate": "%{y}: %{customdata}<extra>" + _("Utgångsvärde") + "</extra>",
            }
        )
    traces.append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": _("Målvärde"),
            "x": [r.target for r in comparison.rows],
            "y": labels,
            "marker": {"size": 10, "symbol": "diamond", "color": "#E69F00"},
            "customdata": [f"{r.target_text} ({r.target_year})" for r in comparison.rows],
            "hovertemplate": "%{y}: %{customdata}<extra>" + _("Målvärde") + "</extra>",
        }
    )
    height = 110 + 50 * max(1, len(labels))
    return {
        "data": traces,
        "layout": {
            "font": {"family": FONT, "size": 13},
            "separators": separators(language),
            "height": height,
            "margin": {"l": 10, "r": 10, "t": 40, "b": 30},
            "xaxis": {"zeroline": False},
            "yaxis": {"automargin": True, "autorange": "reversed", "type": "category"},
            "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
            "plot_bgcolor": "#FFFFFF",
        },
    }
