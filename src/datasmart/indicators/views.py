"""Indicator pages (Swedish paths under ``/indikatorer/``): the list, one page per
indicator (map, table, funnel plot, trend), a unit profile (spine chart) and the composite
index. Views only read GET parameters, call :mod:`datasmart.indicators.results` and
:mod:`datasmart.indicators.services`, hand numbers to :mod:`datasmart.indicators.charts`
and render. Every filter is a plain GET form (works without JavaScript); htmx swaps the
results section in place when it is available."""

from __future__ import annotations

import itertools
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from datasmart.geo import kommungrupper
from datasmart.geo import services as geo
from datasmart.geo.models import ComparatorGroup
from datasmart.indicators import charts, results, rounding, services
from datasmart.indicators.composite import composite_index
from datasmart.indicators.engine_compare import funnel_applies
from datasmart.indicators.models import Indicator, Result
from datasmart.indicators.templatetags.indicator_periods import period_label

MAP_LEVELS = ("kommun", "region")
LEVEL_LABELS = {
    "kommun": gettext_lazy("Kommuner"),
    "region": gettext_lazy("Regioner/län"),
    "sjukvardsregion": gettext_lazy("Sjukvårdsregioner"),
    "nation": gettext_lazy("Riket"),
}
SEX_LABELS = {"T": gettext_lazy("Totalt"), "1": gettext_lazy("Män"), "2": gettext_lazy("Kvinnor")}
GROUP_LABELS = {
    "population": gettext_lazy("Befolkning"),
    "patientregistret": gettext_lazy("Slutenvård (patientregistret)"),
    "adhd_medication": gettext_lazy("Läkemedel vid ADHD"),
    "kolada_barn_unga": gettext_lazy("Barn och unga: risk- och skyddsfaktorer (Kolada)"),
    "sip": gettext_lazy("Samordnad individuell plan (SIP)"),
    "suicide": gettext_lazy("Självmord"),
    "kolada_psychiatry": gettext_lazy("Psykiatri: tillgänglighet, överbeläggningar och kostnad"),
}
DOMAIN_LABELS = {
    # only what the catalogue documents (docs/indicators.md); other domains show the letter
    "C": gettext_lazy("C – Bestämningsfaktorer"),
}
TYPE_LABELS = {
    "proportion": gettext_lazy("andel"),
    "rate": gettext_lazy("kvot"),
    "mean": gettext_lazy("medelvärde"),
    "dsr": gettext_lazy("åldersstandardiserad kvot"),
    "count": gettext_lazy("antal"),
    "composite": gettext_lazy("sammanvägt index"),
    "value": gettext_lazy("publicerat värde"),
}
POLARITY_LABELS = {
    "higher_is_better": gettext_lazy("Högre är bättre"),
    "lower_is_better": gettext_lazy("Lägre är bättre"),
    "no_judgement": gettext_lazy("Ingen bedömning av riktning"),
}
SORTS = ("name", "value", "rank", "denominator")


# --- helpers -------------------------------------------------------------------------


def _is_htmx(request: HttpRequest) -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def _not_found(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "404.html", {"message": message}, status=404)


def _title(ind: Indicator) -> str:
    return ind.title_en if get_language() == "en" and ind.title_en else ind.title_sv


def _definition(ind: Indicator) -> str:
    return ind.definition_en if get_language() == "en" and ind.definition_en else ind.definition_sv


def _decimals(ind: Indicator) -> int:
    return rounding.decimals_for(ind)


def fmt(value: float | None, decimals: int = 1) -> str:
    """A number as every page, tooltip and export rounds it
    (:func:`datasmart.indicators.rounding.format_value`); ``""`` for no number."""
    return rounding.format_value(value, decimals)


def value_unit(ind: Indicator) -> str:
    """The indicator's unit in the active language. Units are catalogue data in Swedish
    ("per 1 000 invånare"); each one has an entry in the English catalogue
    (``tests/web/test_translations.py`` checks that every unit used has one)."""
    unit = ind.value_unit or ("%" if ind.type == "proportion" and ind.multiplier == 100 else "")
    return _(unit) if unit else ""


def method_description(ind: Indicator) -> str:
    """How the value and its interval are computed, in the active language.

    The results' ``method`` column (``engine_compare.method_text``) is English data for
    exports and the API; pages describe the same method from the indicator's type and
    interval method through gettext (it showed "rate; Byar's approximation interval
    (95 %)" on Swedish pages)."""
    kind = ind.type
    ci = ind.ci_method
    if kind == "value":
        return _("Publicerat värde; inget konfidensintervall")
    if kind == "count":
        return _("Antal; inget konfidensintervall")
    if ci == "none":
        return _("%(type)s; inget konfidensintervall (totalräkning)") % {
            "type": str(TYPE_LABELS.get(kind, kind)).capitalize()
        }
    if kind == "dsr":
        return _("Åldersstandardiserad kvot; Dobsons intervall med Byars gränser (95 %)")
    names = {
        "wilson": _("Wilsons intervall"),
        "exact": _("exakt intervall (Clopper–Pearson)")
        if kind == "proportion"
        else _("exakt Poissonintervall (Garwood)"),
        "byar": _("Byars approximation"),
        "auto": _("exakt Poissonintervall under 10 händelser, Byars approximation från 10"),
    }
    return _("%(type)s; %(method)s (95 %%)") % {
        "type": str(TYPE_LABELS.get(kind, kind)).capitalize(),
        "method": names.get(ci, ci),
    }


def targets(ind: Indicator) -> list[dict[str, Any]]:
    """The targets the source names (catalogue ``targets``), in the active language:
    ``value``, ``text`` (the value with its unit), ``label`` (whose target, for what) and
    ``short`` (the chart's legend entry)."""
    out = []
    for t in ind.targets or []:
        value = float(t["value"])
        unit = value_unit(ind)
        decimals = 0 if value.is_integer() else _decimals(ind)  # "80 %", not "80,0 %"
        text = f"{fmt(value, decimals)} {unit}".strip()
        label = t.get("label_en") if get_language() == "en" and t.get("label_en") else ""
        out.append(
            {
                "value": value,
                "text": text,
                "label": label or t.get("label_sv", ""),
                "short": _("Mål %(value)s") % {"value": text},
            }
        )
    return out


def attribution(ind: Indicator) -> str:
    """The catalogue's attribution ("Källa: Kolada") with "Källa" in the active language
    (the same text the exports carry: :func:`results.attribution_text`)."""
    return results.attribution_text(ind)


def no_ci_reason(ind: Indicator) -> str:
    """Why a published value has no confidence interval (shown on the page): the source
    gives the rate or share without the counts it was computed from, and an interval
    needs the number of events and the population (Byar, Wilson) behind it."""
    if ind.type != "value":
        return ""
    return _(
        "Källan redovisar bara värdet, utan antal händelser och befolkning (täljare och "
        "nämnare). Därför kan inget konfidensintervall beräknas och skillnader mot riket "
        "kan inte prövas statistiskt."
    )


def _value_label(ind: Indicator) -> str:
    unit = value_unit(ind)
    return f"{_('Värde')} ({unit})" if unit else _("Värde")


def _kommungrupper(edition: str) -> list[ComparatorGroup]:
    """The kommungrupper of SKR's ``edition`` (the filter lists the chosen edition's)."""
    return kommungrupper.groups(edition)


GROUP_COMPARISON_LABELS = {
    "better": gettext_lazy("Bättre än kommungruppen"),
    "worse": gettext_lazy("Sämre än kommungruppen"),
    "similar": gettext_lazy("Ingen skillnad mot kommungruppen"),
    "higher": gettext_lazy("Högre än kommungruppen"),
    "lower": gettext_lazy("Lägre än kommungruppen"),
}


def group_comparison(row: dict[str, Any], decimals: int) -> dict[str, str]:
    """The table's and tooltip's kommungrupp cell: group code, the group's value (in the
    edition the row's ``group_edition`` names) and the interval test's outcome
    (``vs_group``); empty for a row without a group or without a value (such a row shows
    only its marker, as in every other cell)."""
    code = row.get("group_code") or ""
    if not code or row.get("status") != "ok":
        return {"code": "", "value_text": "", "label": "", "key": ""}
    value = row.get("group_value")
    key = row.get("vs_group") or "not_compared"
    label = GROUP_COMPARISON_LABELS.get(key)
    return {
        "code": code,
        "value_text": fmt(value, decimals) if value is not None else "-",
        "label": str(label) if label else charts.comparison_label("not_compared"),
        "key": key if key in GROUP_COMPARISON_LABELS else "not_compared",
    }


def edition_sentence(edition: str, default: str, period_text: str) -> str:
    """Which kommungrupp edition the page compares with, and whether it is the one in
    force for the shown period (:func:`datasmart.geo.kommungrupper.edition_for_period`)."""
    if edition == default:
        return _(
            "Kommunerna jämförs med sina kommungrupper enligt SKR:s indelning %(edition)s, "
            "som gäller för %(period)s."
        ) % {"edition": edition, "period": period_text}
    return _(
        "Kommunerna jämförs med sina kommungrupper enligt SKR:s indelning %(edition)s; "
        "för %(period)s gäller indelningen %(default)s."
    ) % {"edition": edition, "period": period_text, "default": default}


def _choice(value: str | None, allowed: list[Any], default: Any) -> Any:
    return value if value in allowed else default


def _period(request: HttpRequest, periods: list[int]) -> int | None:
    try:
        wanted = int(request.GET.get("period", ""))
    except ValueError:
        wanted = None
    if wanted in periods:
        return wanted
    return periods[-1] if periods else None


def _age_key(label: str) -> tuple[int, str]:
    """All ages first, then bands by their first number ("5-9" before "10-14")."""
    digits = "".join(itertools.takewhile(str.isdigit, label))
    return (int(digits) if digits else -1, label)


def _level_periods(ind: Indicator, level: str | None) -> list[int]:
    """Periods with any result at ``level`` (the map's level), ascending."""
    if not level:
        return []
    qs = Result.objects.filter(indicator=ind, level=level).order_by()
    return sorted({int(p) for p in qs.values_list("period", flat=True).distinct()})


def _status_text(status: str) -> str:
    return charts.status_marker(status) or "-"


def table_row(row: dict[str, Any], *, mode: str, judged: bool, decimals: int) -> dict[str, Any]:
    """A result row made ready for display. Rows that are not ``ok`` carry only their
    Kolada marker (``..``, ``-``, ``.``) in every number cell: nothing of a suppressed
    row's numbers reaches the page."""
    status = row.get("status") or "missing"
    ok = status == "ok" and row.get("value") is not None
    key = charts.category(row, mode)
    marker = _status_text(status)
    lower, upper = row.get("lower"), row.get("upper")
    return {
        "code": row["unit_code"],
        "name": row.get("unit_name") or row["unit_code"],
        "status": status,
        "ok": ok,
        "value": row.get("value") if ok else None,
        "value_text": fmt(row.get("value"), decimals) if ok else marker,
        "ci_text": (
            f"{fmt(lower, decimals)}–{fmt(upper, decimals)}"
            if ok and lower is not None and upper is not None
            else ("" if ok else marker)
        ),
        "numerator_text": (
            fmt(row.get("numerator"), 0) if ok and row.get("numerator") is not None else ""
        )
        if ok
        else marker,
        "denominator": row.get("denominator") if ok else None,
        "denominator_text": (
            fmt(row.get("denominator"), 0) if ok and row.get("denominator") is not None else ""
        )
        if ok
        else marker,
        "colour_key": key,
        "colour": charts.category_colour(key),
        "colour_label": charts.category_label(key, judged),
        "cmp_key": charts.category(row, "comparison"),
        "q_key": charts.category(row, "quintile"),
        "q_label": charts.category_label(charts.category(row, "quintile"), judged),
        "vs_nation_text": charts.comparison_label(row.get("vs_nation") or "not_compared")
        if ok
        else charts.comparison_label(status),
        "rank": row.get("rank") if ok else None,
        "n_ranked": row.get("n_ranked"),
        "quintile": row.get("quintile") if ok else None,
        "profile_url": reverse("indicators:profile", args=[row["unit_code"]]),
        "group": group_comparison(row, decimals),
    }


def _group_tooltips(rows: list[dict[str, Any]], edition: str) -> dict[str, str]:
    """Per kommun, the map tooltip's kommungrupp line ("Kommungrupp B3 (SKR 2023): 12,3 –
    Ingen skillnad mot kommungruppen"), so the map says what the table says."""
    out = {}
    for r in rows:
        g = r["group"]
        if not g["code"] or not edition:
            continue
        line = _("Kommungrupp %(code)s (SKR %(edition)s)") % {
            "code": g["code"],
            "edition": edition,
        }
        if g["value_text"]:
            line += f": {g['value_text']} – {g['label']}"
        out[r["code"]] = line
    return out


def _sort_rows(rows: list[dict[str, Any]], sort: str, desc: bool) -> list[dict[str, Any]]:
    from datasmart.web.views import name_key

    def key(r: dict[str, Any]) -> Any:
        if sort == "name":
            return name_key(r["name"])
        field = {"value": "value", "rank": "rank", "denominator": "denominator"}[sort]
        return r[field]

    with_value = [r for r in rows if sort == "name" or r.get(sort) is not None]
    without = [r for r in rows if r not in with_value]
    with_value.sort(key=key, reverse=desc)
    without.sort(key=lambda r: name_key(r["name"]))
    return with_value + without  # markers last whichever way


# --- list ----------------------------------------------------------------------------


@require_GET
def indicator_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    items = services.list_indicators()
    if query:
        needle = query.casefold()
        items = [
            i
            for i in items
            if needle
            in " ".join(
                [i.code, i.title_sv, i.title_en, i.definition_sv, i.definition_en, i.source_code]
            ).casefold()
        ]
    groups: dict[str, list[dict[str, Any]]] = {}
    for ind in items:
        groups.setdefault(ind.group or "", []).append(
            {
                "code": ind.code,
                "title": _title(ind),
                "url": reverse("indicators:detail", args=[ind.code]),
                "type": TYPE_LABELS.get(ind.type, ind.type),
                "levels": ", ".join(str(LEVEL_LABELS.get(lv, lv)) for lv in ind.levels),
                "first_period": ind.first_period,
                "last_period": ind.last_period,
                "domain": DOMAIN_LABELS.get(ind.domain, ind.domain) if ind.domain else "",
                "polarity": POLARITY_LABELS.get(ind.polarity, ind.polarity),
            }
        )
    grouped = [
        {
            "key": key or "ovrigt",
            "label": GROUP_LABELS.get(key, key or _("Övrigt")),
            "items": sorted(members, key=lambda m: m["title"].casefold()),
        }
        for key, members in sorted(
            groups.items(), key=lambda kv: str(GROUP_LABELS.get(kv[0], kv[0]))
        )
    ]
    context = {"q": query, "groups": grouped, "count": len(items)}
    template = "indicators/_list_results.html" if _is_htmx(request) else "indicators/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- one indicator -------------------------------------------------------------------


def _funnel(
    ind: Indicator, rows: list[dict[str, Any]], nation: dict[str, Any] | None, decimals: int
) -> tuple[dict[str, Any] | None, str]:
    """The funnel figure, or None and the reason it is not drawn."""
    if ind.type not in {"proportion", "rate"}:
        return None, _("Trattdiagram ritas bara för andelar och kvoter med täljare och nämnare.")
    if not funnel_applies(ind.type, ind.ci_method):
        return None, _(
            "Inget trattdiagram: värdena är en totalräkning (hela befolkningen, inget urval), "
            "så det finns ingen slumpvariation att pröva mot. Skillnaderna mellan enheterna "
            "är verkliga och jämförs i tabellen."
        )
    if (
        not nation
        or nation.get("status") != "ok"
        or not nation.get("numerator")
        or not nation.get("denominator")
    ):
        return None, _("Rikets täljare och nämnare saknas för det här urvalet.")
    dens = [
        float(r["denominator"])
        for r in rows
        if r.get("status") == "ok"
        and r.get("value") is not None
        and (r.get("denominator") or 0) > 0
    ]
    if not dens:
        return None, _("Inga enheter med värde och nämnare i urvalet.")
    lines = charts.funnel_lines(
        ind.type,
        national_numerator=float(nation["numerator"]),
        national_denominator=float(nation["denominator"]),
        multiplier=ind.multiplier,
        x_min=min(dens),
        x_max=max(dens),
        at=dens,
    )
    figure = charts.funnel_figure(
        rows,
        lines,
        value_label=_value_label(ind),
        denominator_label=_("Nämnare (log-skala)"),
        decimals=decimals,
    )
    return figure, ""


def _median_reference(
    ind: Indicator,
    nation: dict[str, Any] | None,
    *,
    level: str | None,
    period: int | None,
    sex: str,
    age_group: str,
    kommungrupp: str,
    kommungrupp_edition: str | None = None,
    decimals: int,
) -> dict[str, Any] | None:
    """What a unit is compared with when the nation has no value (Kolada's kommun KPIs
    have no Riket row): the median and quartiles of all units of the level and, with a
    kommungrupp chosen, of the group (:func:`datasmart.indicators.results.distribution`).
    None when the nation has a value or there is nothing to describe."""
    if nation and nation.get("status") == "ok" and nation.get("value") is not None:
        return None
    if not level or period is None:
        return None
    cell: dict[str, Any] = {"level": level, "period": period, "sex": sex, "age_group": age_group}
    spread = results.distribution(ind, **cell)
    if not spread["n"]:
        return None
    plural = str(LEVEL_LABELS.get(level, level)).lower()
    group = (
        results.distribution(
            ind, **cell, kommungrupp=kommungrupp, kommungrupp_edition=kommungrupp_edition
        )
        if kommungrupp
        else None
    )
    return {
        "q1": spread["q1"],
        "q3": spread["q3"],
        "n": spread["n"],
        "label": _("Median, alla %(level)s") % {"level": plural},
        "note": _("Jämförs med medianen för alla %(level)s: källan har inget värde för riket.")
        % {"level": plural},
        "median_text": fmt(spread["median"], decimals),
        "quartiles_text": rounding.format_range(spread["q1"], spread["q3"], decimals),
        "group_median_text": fmt(group["median"], decimals) if group and group["n"] else "",
        "group_quartiles_text": rounding.format_range(group["q1"], group["q3"], decimals)
        if group and group["n"]
        else "",
    }


@require_GET
def indicator_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        ind = services.get_indicator(code)
    except services.IndicatorNotFound as exc:
        return _not_found(request, str(exc))

    filters = results.available_filters(ind)
    sexes = [s for s in ("T", "1", "2") if s in filters.get("sexes", ["T"])] or ["T"]
    age_groups = sorted(filters.get("age_groups", [""]) or [""], key=_age_key)
    levels = [lv for lv in MAP_LEVELS if lv in filters.get("levels", [])]

    level = _choice(request.GET.get("level"), levels, levels[0] if levels else None)
    periods = _level_periods(ind, level) or sorted(int(p) for p in filters.get("periods", []))
    period = _period(request, periods)
    sex = _choice(request.GET.get("sex"), sexes, sexes[0])
    age_group = _choice(request.GET.get("age_group"), age_groups, age_groups[0])
    # the kommungrupp edition: the one in force for the period unless the reader chose one
    default_edition = kommungrupper.edition_for_period(period)
    chosen_edition = _choice(
        request.GET.get("kommungrupp_edition"), list(kommungrupper.EDITIONS), ""
    )
    edition = (chosen_edition or default_edition) if level == "kommun" else ""
    groups = _kommungrupper(edition) if level == "kommun" else []
    group_codes = [g.code for g in groups]
    kommungrupp = _choice(request.GET.get("kommungrupp"), group_codes, "")
    sort = _choice(request.GET.get("sort"), list(SORTS), "rank" if level else "name")
    direction = _choice(request.GET.get("dir"), ["asc", "desc"], "asc")
    decimals = _decimals(ind)
    judged = ind.polarity != "no_judgement"

    raw: list[dict[str, Any]] = []
    nation: dict[str, Any] | None = None
    if period is not None:
        if level:
            raw = results.query_results(
                ind,
                level=level,
                period=period,
                sex=sex,
                age_group=age_group,
                kommungrupp=kommungrupp or None,
                kommungrupp_edition=edition or None,
            )
        national_rows = results.query_results(
            ind, level="nation", period=period, sex=sex, age_group=age_group
        )
        nation = national_rows[0] if national_rows else None
    auto_mode = charts.choose_mode(raw)
    mode = (
        charts.choose_mode(raw, request.GET.get("colour"))
        if auto_mode == "comparison"
        else auto_mode
    )
    rows = [table_row(r, mode=mode, judged=judged, decimals=decimals) for r in raw]
    reference = _median_reference(
        ind, nation, level=level, period=period, sex=sex, age_group=age_group,
        kommungrupp=kommungrupp, kommungrupp_edition=edition or None, decimals=decimals,
    )  # fmt: skip
    if reference:
        for r in rows:
            position = results.quartile_position(r["value"], reference["q1"], reference["q3"])
            key = charts.quartile_key(position, ind.polarity) if r["ok"] else None
            r["quartile_key"] = key or ""
            r["quartile_label"] = charts.comparison_label(key) if key else r["value_text"]
    rows = _sort_rows(rows, sort, direction == "desc")
    unit_urls = {r["code"]: r["profile_url"] for r in rows}

    map_fig = None
    if raw and level:
        map_fig = charts.indicator_map_figure(
            raw,
            mode=mode,
            geojson_url=reverse(
                "web:geojson_kommuner" if level == "kommun" else "web:geojson_regioner"
            ),
            topojson_url=reverse("web:topojson_base"),
            judged=judged,
            unit_urls=unit_urls,
            decimals=decimals,
            value_unit=value_unit(ind),
            extra_lines=_group_tooltips(rows, edition),
        )
    legend: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["colour_key"]] = counts.get(r["colour_key"], 0) + 1
    for key in charts.CATEGORY_ORDER:
        if key in counts:
            legend.append(
                {
                    "key": key,
                    "colour": charts.category_colour(key),
                    "label": charts.category_label(key, judged),
                    "count": counts[key],
                }
            )

    funnel_fig, funnel_reason = (None, "")
    if raw:
        funnel_fig, funnel_reason = _funnel(ind, raw, nation, decimals)

    # trend: the nation, optionally with one unit of the current level
    unit_code = request.GET.get("enhet", "")
    unit_choices = sorted(((r["code"], r["name"]) for r in rows), key=lambda cn: cn[1].casefold())
    if unit_code not in {c for c, _n in unit_choices}:
        unit_code = ""
    national: list[tuple[int, float | None, float | None, float | None]] = [
        (int(p[0]), p[1], p[2], p[3]) for p in results.national_series(ind, sex, age_group)
    ]
    unit_points = (
        [
            (int(r["period"]), r.get("value"), r.get("lower"), r.get("upper"))
            for r in results.unit_series(ind, unit_code, sex, age_group)
        ]
        if unit_code
        else []
    )
    unit_name = dict(unit_choices).get(unit_code, "")
    trend_fig = None
    goal = targets(ind)
    if any(p[1] is not None for p in national) or unit_points:
        trend_fig = charts.trend_figure(
            national,
            value_label=_value_label(ind),
            unit=unit_points or None,
            unit_name=unit_name,
            decimals=decimals,
            targets=[(t["value"], t["short"]) for t in goal],
        )
    unit_by_period = {p[0]: p for p in unit_points}
    trend_rows: list[dict[str, Any]] = [
        {
            "period": p[0],
            "value": fmt(p[1], decimals) if p[1] is not None else "-",
            "ci": f"{fmt(p[2], decimals)}–{fmt(p[3], decimals)}"
            if p[2] is not None and p[3] is not None
            else "",
            "unit_value": (
                fmt(unit_by_period[p[0]][1], decimals)
                if p[0] in unit_by_period and unit_by_period[p[0]][1] is not None
                else "-"
            ),
        }
        for p in national
    ]
    national_only = {p[0] for p in national}
    trend_rows += [
        {
            "period": p[0],
            "value": "-",
            "ci": "",
            "unit_value": fmt(p[1], decimals) if p[1] is not None else "-",
        }
        for p in unit_points
        if p[0] not in national_only
    ]
    trend_rows.sort(key=lambda r: r["period"])

    params = {
        "level": level or "",
        "period": period or "",
        "sex": sex,
        "age_group": age_group,
        "kommungrupp": kommungrupp,
        "kommungrupp_edition": chosen_edition if level == "kommun" else "",
        "enhet": unit_code,
        "colour": mode if mode != auto_mode else "",
    }

    def query(**extra: Any) -> str:
        merged = {**params, **extra}
        return urlencode({k: v for k, v in merged.items() if v not in ("", None)})

    def sort_link(key: str) -> dict[str, Any]:
        active = key == sort
        default_desc = key in {"value", "denominator"}
        next_dir = (
            ("asc" if direction == "desc" else "desc")
            if active
            else ("desc" if default_desc else "asc")
        )
        return {
            "active": active,
            "aria_sort": ("ascending" if direction == "asc" else "descending") if active else None,
            "query": query(sort=key, dir=next_dir),
        }

    api_base = f"/api/indicators/{ind.code}/values"
    api_filters = {
        "level": level or "",
        "period": period or "",
        "sex": sex,
        "age_group": age_group,
        "kommungrupp": kommungrupp,
        "kommungrupp_edition": edition,
    }
    api_query = {k: v for k, v in api_filters.items() if v not in ("", None)}
    downloads = {
        name: f"{api_base}?{urlencode({**api_query, 'format': name})}" for name in ("csv", "xlsx")
    }

    group_name = next((g.name for g in groups if g.code == kommungrupp), "")
    context = {
        "indicator": ind,
        "title": _title(ind),
        "definition": _definition(ind),
        "type_label": TYPE_LABELS.get(ind.type, ind.type),
        "polarity_label": POLARITY_LABELS.get(ind.polarity, ind.polarity),
        "group_label": GROUP_LABELS.get(ind.group, ind.group),
        "domain_label": DOMAIN_LABELS.get(ind.domain, ind.domain) if ind.domain else "",
        "value_label": _value_label(ind),
        "periods": periods,
        "period": period,
        "sex_options": [(s, SEX_LABELS[s]) for s in sexes],
        "sex": sex,
        "sex_label": SEX_LABELS.get(sex, sex),
        "age_groups": [(a, a or _("Alla åldrar")) for a in age_groups],
        "age_group": age_group,
        "age_label": age_group or _("alla åldrar"),
        "level_options": [(lv, LEVEL_LABELS[lv]) for lv in levels],
        "level": level,
        "level_label": LEVEL_LABELS.get(level or "", ""),
        "kommungrupper": groups,
        "kommungrupp": kommungrupp,
        "kommungrupp_name": group_name,
        "editions": list(kommungrupper.EDITIONS),
        "kommungrupp_edition": edition,
        "default_edition": default_edition,
        "edition_sentence": (
            edition_sentence(edition, default_edition, period_label(period))
            if edition and period is not None
            else ""
        ),
        "has_group": any(r["group"]["code"] for r in rows),
        "mode": mode,
        "colour_options": (
            [("comparison", _("Jämförelse med riket")), ("quintile", _("Kvintiler"))]
            if auto_mode == "comparison"
            else []
        ),
        "rows": rows,
        "denominator_notes": list(
            dict.fromkeys(
                note
                for r in [*raw, *([nation] if nation else [])]
                if (note := results.denominator_note(r.get("period"), r.get("denominator_year")))
            )
        ),
        "legend": legend,
        "n_ok": sum(1 for r in rows if r["ok"]),
        "nation": nation,
        "nation_text": (
            fmt(nation.get("value"), decimals)
            if nation and nation.get("status") == "ok" and nation.get("value") is not None
            else _status_text(nation.get("status") or "missing")
            if nation
            else "-"
        ),
        "nation_ci": (
            f"{fmt(nation.get('lower'), decimals)}–{fmt(nation.get('upper'), decimals)}"
            if nation and nation.get("status") == "ok" and nation.get("lower") is not None
            else ""
        ),
        "method": method_description(ind) if (raw or nation) else "",
        "map_fig": map_fig,
        "funnel_fig": funnel_fig,
        "funnel_reason": funnel_reason,
        "funnel_rows": [r for r in rows if r["ok"] and r["denominator"]],
        "trend_fig": trend_fig,
        "targets": goal,
        "no_ci_reason": no_ci_reason(ind),
        "attribution": attribution(ind),
        "trend_has_ci": any(p[2] is not None for p in national),
        "trend_rows": trend_rows,
        "unit_choices": unit_choices,
        "unit_code": unit_code,
        "unit_name": unit_name,
        "sort": {k: sort_link(k) for k in SORTS},
        "downloads": downloads,
        "has_comparison": auto_mode == "comparison",
        "judged": judged,
        "reference": reference,
        "has_ci": any(r["ci_text"] and r["ok"] for r in rows),
        "has_counts": any(r["ok"] and r["numerator_text"] for r in rows),
    }
    response = render(request, "indicators/detail.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- unit profile --------------------------------------------------------------------


@require_GET
def unit_profile(request: HttpRequest, unit_code: str) -> HttpResponse:
    try:
        unit = geo.get_unit(unit_code)
    except geo.UnitNotFound as exc:
        return _not_found(request, str(exc))
    try:
        period = int(request.GET.get("period", ""))
    except ValueError:
        period = None
    profile = results.unit_profile(unit.code, period)
    titles = {i.code: i for i in services.list_indicators()}
    level_plural = str(LEVEL_LABELS.get(unit.level, unit.level)).lower()
    median_label = _("Median, alla %(level)s") % {"level": level_plural}
    spine: list[charts.SpineRow] = []
    table: list[dict[str, Any]] = []
    for item in profile:
        code = item.get("indicator") or item.get("code") or ""
        ind = titles.get(code)
        decimals = _decimals(ind) if ind else 1
        polarity = item.get("polarity") or (ind.polarity if ind else "no_judgement")
        judged = polarity != "no_judgement"
        status = item.get("status") or ("ok" if item.get("value") is not None else "missing")
        row = {**item, "status": status}
        key = charts.category(row, "comparison")
        title = _title(ind) if ind else code
        ok = status == "ok" and item.get("value") is not None
        value = item.get("value") if ok else None
        # no comparison with the nation (Kolada's kommun KPIs have no Riket row): place
        # the unit against the level's quartiles instead of leaving it grey
        by_quartiles = key == "not_compared" and ok
        quartile = charts.quartile_key(item.get("vs_quartiles"), polarity) if ok else None
        if by_quartiles and quartile:
            key = quartile
        group_key = charts.quartile_key(item.get("vs_group_quartiles"), polarity) if ok else None
        spine.append(
            charts.SpineRow(
                code=code,
                label=title,
                value=value,
                national=item.get("national_value"),
                minimum=item.get("min"),
                q1=item.get("q1"),
                median=item.get("median"),
                q3=item.get("q3"),
                maximum=item.get("max"),
                colour_key=key,
                higher_is_better=None if not judged else polarity == "higher_is_better",
                decimals=decimals,
                median_label=median_label,
            )
        )
        table.append(
            {
                "code": code,
                "title": title,
                "url": reverse("indicators:detail", args=[code])
                + "?"
                + urlencode(
                    {
                        "level": unit.level if unit.level in MAP_LEVELS else "",
                        "period": item.get("period") or "",
                        "enhet": unit.code,
                    }
                ),
                "period": item.get("period"),
                "value_text": fmt(value, decimals) if ok else _status_text(status),
                "national_text": fmt(item.get("national_value"), decimals),
                "min_text": fmt(item.get("min"), decimals),
                "median_text": fmt(item.get("median"), decimals),
                "max_text": fmt(item.get("max"), decimals),
                "colour_key": key,
                "colour_label": charts.category_label(key, judged),
                "by_quartiles": key.startswith("quartile_"),
                "group_median_text": fmt(item.get("group_median"), decimals),
                "group_key": group_key or "",
                "group_label": charts.category_label(group_key, judged) if group_key else "",
                "polarity": POLARITY_LABELS.get(polarity, polarity),
            }
        )
    spine_fig = charts.spine_figure(spine) if spine else None
    shown = [titles[r["code"]] for r in table if r["code"] in titles]
    # "Källor: Kolada; NASP/…" under the table: every publisher whose figures are shown
    sources = sorted(
        {i.attribution.removeprefix("Källa: ") for i in shown if i.attribution}, key=str.casefold
    )
    used = {r["colour_key"] for r in table}
    group = next((i for i in profile if i.get("group_code")), None)
    context = {
        "unit": unit,
        "level_label": LEVEL_LABELS.get(unit.level, unit.level),
        "rows": table,
        "spine_fig": spine_fig,
        "period": period,
        "legend": [
            {"key": k, "label": charts.comparison_label(k)}
            for k in ("better", "similar", "worse", "higher", "lower", "not_compared", "suppressed")
        ]
        + [
            {"key": k, "label": charts.comparison_label(k)}
            for k in charts.QUARTILE_COLOURS
            if k in used
        ],
        "any_quartiles": any(r["by_quartiles"] for r in table),
        "level_plural": level_plural,
        "group_code": group.get("group_code") if group else "",
        "group_name": group.get("group_name") if group else "",
        "sources": sources,
    }
    return render(request, "indicators/profile.html", context)


# --- composite index -----------------------------------------------------------------


@require_GET
def composite(request: HttpRequest) -> HttpResponse:
    level = _choice(request.GET.get("level"), list(MAP_LEVELS), "kommun")
    try:
        period = int(request.GET.get("period", ""))
    except ValueError:
        period = None
    data = composite_index(period=period, level=level)
    domains = sorted(data.get("domains", {}))
    rows = []
    for r in data.get("rows", []):
        scores = r.get("domains") or {}
        rows.append(
            {
                "code": r.get("unit_code"),
                "name": r.get("unit_name") or r.get("unit_code"),
                "score": r.get("total"),
                "score_text": fmt(r.get("total"), 2) if r.get("total") is not None else "-",
                "n_indicators": r.get("n_indicators"),
                "complete": bool(r.get("complete")),
                "rank": r.get("rank"),
                "domain_texts": [
                    fmt(scores.get(d), 2) if scores.get(d) is not None else "-" for d in domains
                ],
                "profile_url": reverse("indicators:profile", args=[r.get("unit_code")]),
            }
        )
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["name"]))
    titles = {i.code: i for i in services.list_indicators()}
    map_fig = None
    if rows:
        map_fig = charts.value_map_figure(
            [(r["code"], r["name"], r["score"]) for r in rows],
            geojson_url=reverse(
                "web:geojson_kommuner" if level == "kommun" else "web:geojson_regioner"
            ),
            value_label=_("Indexvärde"),
            topojson_url=reverse("web:topojson_base"),
            unit_urls={r["code"]: r["profile_url"] for r in rows},
            decimals=2,  # as score_text in the table
        )
    context = {
        "level": level,
        "level_options": [(lv, LEVEL_LABELS[lv]) for lv in MAP_LEVELS],
        "level_label": LEVEL_LABELS[level],
        "period": period,
        "domains": [(d, DOMAIN_LABELS.get(d, d)) for d in domains],
        "domain_indicators": [
            {
                "label": _("Domän %(d)s") % {"d": DOMAIN_LABELS.get(d, d)},
                "indicators": [
                    {
                        "code": c,
                        "title": _title(titles[c]) if c in titles else c,
                        "url": reverse("indicators:detail", args=[c]),
                        "period": (data.get("indicators", {}).get(c) or {}).get("period"),
                        "n": (data.get("indicators", {}).get(c) or {}).get("n"),
                    }
                    for c in data["domains"][d]
                ],
            }
            for d in domains
        ],
        "rows": rows,
        # coverage told honestly: complete = a value for every indicator of the index;
        # ranked = every domain has at least half its indicators (not the same thing)
        "n_total_indicators": data.get("n_indicators_total", 0),
        "n_complete": sum(1 for r in rows if r["complete"]),
        "n_ranked": sum(1 for r in rows if r["rank"] is not None),
        "coverage_min": min((r["n_indicators"] or 0 for r in rows), default=0),
        "coverage_max": max((r["n_indicators"] or 0 for r in rows), default=0),
        "map_fig": map_fig,
        "method": data.get("method", ""),
        # the index is built from these publishers' figures: name them all (issue 12)
        "sources": sorted(
            {
                titles[c].attribution.removeprefix("Källa: ")
                for d in domains
                for c in data["domains"][d]
                if c in titles and titles[c].attribution
            },
            key=str.casefold,
        ),
    }
    return render(request, "indicators/index.html", context)
