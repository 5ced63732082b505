"""The joint needs analysis of a län (länsgemensam behovsanalys): one data structure for
the page, the PDF and the Excel file, so the three never disagree."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from django.utils.translation import gettext as _

from datasmart.geo import services as geo
from datasmart.geo.models import Level
from datasmart.indicators.services import round_half_up, rounded
from datasmart.needs import conditions, coverage
from datasmart.needs.expected import (
    HORIZONS,
    basis,
    condition_summary,
    expected_arrays,
    population_cube,
)
from datasmart.needs.gap import gap_rows
from datasmart.needs.prevalence import UNDERESTIMATE_CAVEAT


class NotALan(geo.InvalidParameter):
    pass


def lan_report(code: str, horizon: int = 10) -> dict[str, Any]:
    """Population and change per kommun, expected cases for the län (and per kommun,
    central), gaps, for the base year and base + ``horizon`` (5 or 10)."""
    unit = geo.get_unit(code)
    if unit.level != Level.REGION:
        raise NotALan("code", _("%(name)s är inte ett län") % {"name": unit.name})
    if horizon not in HORIZONS[1:]:
        raise geo.InvalidParameter("horizon", _("horisonten måste vara 5 eller 10 år"))
    hi = HORIZONS.index(horizon)
    lan = condition_summary("region", code)
    cube = lan["cube"]
    kommun_cube = population_cube("kommun")
    members = {u.code for u in geo.children(unit) if u.level == Level.KOMMUN}
    idx = [i for i, c in enumerate(kommun_cube.codes) if c in members]
    b = basis()
    _n, e = expected_arrays(kommun_cube, b)
    kommuner: list[dict[str, Any]] = []
    for i in idx:
        now = float(kommun_cube.data[0, i].sum())
        later = float(kommun_cube.data[hi, i].sum())
        kommuner.append(
            {
                "code": kommun_cube.codes[i],
                "name": kommun_cube.names[i],
                "population_now": round(now),
                "population_later": round(later),
                "change": later - now,
                "change_pct": (later / now - 1.0) * 100 if now else 0.0,
                "expected_now": round(float(e[0, i, :, 1].sum())),
                "expected_later": round(float(e[hi, i, :, 1].sum())),
            }
        )
    kommuner.sort(key=lambda k: str(k["name"]))
    pop_now = float(cube.data[0, 0].sum())
    pop_later = float(cube.data[hi, 0].sum())
    conditions_rows = []
    for c in lan["conditions"]:
        now, later = c["values"][0], c["values"][horizon]
        conditions_rows.append(
            {
                "condition": c["condition"],
                "label": c["label"],
                "bands": ", ".join(c["bands"]),
                "now_low": now[0],
                "now": now[1],
                "now_high": now[2],
                "later_low": later[0],
                "later": later[1],
                "later_high": later[2],
                # from the figures as shown, so that the column adds up on the page
                "change": round_half_up(later[1], 0) - round_half_up(now[1], 0),  # type: ignore[operator]
                "range_unknown": c["range_unknown"],
                "judgement": c["judgement"],
            }
        )
    return {
        "unit": unit,
        "horizon": horizon,
        "base_year": cube.base_year,
        "later_year": cube.years[hi],
        "projected": cube.projected,
        "note": cube.note,
        "error": cube.error.get(cube.years[hi], 0.0),
        "error_known": cube.error_known,
        "population_now": round(pop_now),
        "population_later": round(pop_later),
        "population_change_pct": (pop_later / pop_now - 1.0) * 100 if pop_now else 0.0,
        "conditions": conditions_rows,
        "kommuner": kommuner,
        "gaps": gap_rows("region", code),
        "indicators": key_indicators(code),
        "caveat": UNDERESTIMATE_CAVEAT,
        "coverage": coverage.cells(),
        "cube": cube,
        "hi": hi,
        "expected_total_now": sum(r["now"] for r in conditions_rows),
    }


def key_indicators(code: str) -> list[dict[str, Any]]:
    """The län's key indicators: its rows of the indicator unit profile
    (:func:`datasmart.indicators.results.unit_profile`, the same figures as the
    indicator profile page) that have a value, each rounded by the platform's one
    rounding function with the indicator's own decimals, beside the national value."""
    from django.utils.translation import get_language

    from datasmart.indicators.services import (
        Indicator,
        decimals_for,
        format_value,
        unit_profile,
    )

    profile = [
        r for r in unit_profile(code) if r.get("status") == "ok" and r.get("value") is not None
    ]
    inds = {i.code: i for i in Indicator.objects.filter(code__in=[r["code"] for r in profile])}
    english = get_language() == "en"
    out = []
    for r in profile:
        ind = inds.get(r["code"])
        if ind is None:
            continue
        decimals = decimals_for(ind)
        unit = ind.value_unit or ("%" if ind.type == "proportion" and ind.multiplier == 100 else "")
        out.append(
            {
                "code": ind.code,
                "title": ind.title_en if english and ind.title_en else ind.title_sv,
                "unit": _(unit) if unit else "",
                "period": r.get("period"),
                "value": r["value"],
                "value_text": format_value(r["value"], decimals),
                "national_value": r.get("national_value"),
                "national_text": format_value(r.get("national_value"), decimals) or "–",
            }
        )
    return out


def lan_excel(report: dict[str, Any]) -> bytes:
    """The report as an Excel workbook (openpyxl): one sheet per table, a sources note."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = _("Förväntat antal")[:31]
    ws.append(
        [
            _("Tillstånd"),
            _("Åldrar och kön"),
            f"{report['base_year']} {_('låg')}",
            f"{report['base_year']}",
            f"{report['base_year']} {_('hög')}",
            f"{report['later_year']} {_('låg')}",
            f"{report['later_year']}",
            f"{report['later_year']} {_('hög')}",
        ]
    )
    for r in report["conditions"]:
        ws.append(
            [
                r["label"],
                r["bands"],
                round(r["now_low"]),
                round(r["now"]),
                round(r["now_high"]),
                round(r["later_low"]),
                round(r["later"]),
                round(r["later_high"]),
            ]
        )
    ws2 = wb.create_sheet(_("Kommuner")[:31])
    ws2.append(
        [
            _("Kod"),
            _("Kommun"),
            f"{_('Befolkning')} {report['base_year']}",
            f"{_('Befolkning')} {report['later_year']}",
            _("Förändring (%)"),
            f"{_('Förväntat antal')} {report['base_year']}",
            f"{_('Förväntat antal')} {report['later_year']}",
        ]
    )
    for k in report["kommuner"]:
        ws2.append(
            [
                k["code"],
                k["name"],
                k["population_now"],
                k["population_later"],
                round(k["change_pct"], 2),
                k["expected_now"],
                k["expected_later"],
            ]
        )
    ws3 = wb.create_sheet(_("Behov och vård")[:31])
    ws3.append(
        [
            _("Tillstånd"),
            _("Indikator"),
            _("Förväntat (central)"),
            _("Vård given"),
            _("Täckningsgrad"),
            _("Gap per 10 000 invånare"),
        ]
    )
    for g in report["gaps"]:
        ws3.append(
            [
                g["condition_label"],
                g["indicator_title"],
                round(g["expected_central"]),
                None if g["delivered"] is None else round(g["delivered"]),
                None if g["coverage"] is None else round(g["coverage"], 3),
                None if g["gap_per_10000"] is None else round(g["gap_per_10000"], 1),
            ]
        )
    ws5 = wb.create_sheet(_("Nyckelindikatorer")[:31])
    ws5.append([_("Indikator"), _("Period"), _("Länet"), _("Riket"), _("Enhet")])
    for i in report["indicators"]:
        ws5.append(
            [
                i["title"],
                i["period"],
                rounded(i["value"], 2),
                rounded(i["national_value"], 2),
                i["unit"],
            ]
        )
    ws6 = wb.create_sheet(_("Prevalens i underlaget")[:31])
    ws6.append(
        [
            _("Tillstånd"),
            _("Åldersgrupp"),
            _("Uppgiftens ålder och kön"),
            _("Låg (%)"),
            _("Central (%)"),
            _("Hög (%)"),
            _("Anmärkning"),
        ]
    )
    for c in report["coverage"]:
        note = " ".join(t for t in (c["reason"], c["judgement"]) if t)
        for f in c["figures"] or [None]:
            shares = [
                c["no_figure"] if f is None or f[k] is None else rounded(f[k] * 100, 2)
                for k in ("low", "central", "high")
            ]
            where = f"{f['age_band']} {conditions.sex_label(f['sex'])}" if f else "–"
            ws6.append([c["condition_label"], c["age_group_label"], where, *shares, note])
    ws4 = wb.create_sheet(_("Källor")[:31])
    ws4.append(
        [
            _(
                "Prevalenssiffrorna är sannolikt i underkant (register räknar bara vårdade; se sidan Källor)."  # noqa: E501
            )
        ]
    )
    ws4.append(
        [
            report["note"]
            or _("Befolkning: plattformens framskrivning från %(y)s.") % {"y": report["base_year"]}
        ]
    )
    ws4.append([_("Jämförelsen mellan behov och vård är indikativ: definitionerna skiljer sig.")])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def lan_pdf(html: str, base_url: str) -> bytes:
    """The report page rendered for print, as PDF (WeasyPrint; fonts from the system,
    installed by scripts/system-deps.sh)."""
    from weasyprint import HTML

    return bytes(HTML(string=html, base_url=base_url).write_pdf())


def kommun_change(report: dict[str, Any]) -> list[tuple[str, str, float]]:
    return [(k["code"], k["name"], float(np.round(k["change_pct"], 2))) for k in report["kommuner"]]
