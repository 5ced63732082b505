"""Pages for agreement funding (Swedish): the agreements, one agreement with its posts,
keys, map and table per recipient, a scenario comparison, annex downloads and saved runs.

Views are thin: they read parameters, check ``VIEW_FUNDING``, call
:mod:`datasmart.funding.services` (which checks that a writer administers the agreement,
:mod:`datasmart.funding.rights`) and render; a ``PermissionDenied`` becomes the 403 page.
Every figure comes from the same :class:`~datasmart.funding.services.Allocation` as the API
and the annex.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from datasmart.api.responses import csv_response
from datasmart.geo import services as geo
from datasmart.geo.models import Level, Unit

from . import services
from .charts import AreaValue, amount_map_figure
from .exports import ANNEX_CSV_COLUMNS, annex_filename, annex_workbook
from .models import (
    AcceptancePolicy,
    Agreement,
    AgreementStatus,
    ConditionRule,
    RecipientLevel,
)
from .page_support import agreement_or_404 as _get
from .page_support import reporter_tasks
from .page_support import require_view as _view
from .rights import is_administrator
from .texts import kronor

LEVELS = {"region": gettext_lazy("Regioner och län"), "kommun": gettext_lazy("Kommuner")}
MEASURES = {"per_invanare": gettext_lazy("Kronor per invånare"), "kr": gettext_lazy("Kronor")}
SORTS = ("namn", "kod", "belopp", "per_invanare")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _unit_url(code: str) -> str:
    return reverse("web:unit", args=[code])


def link(name: str, *args: Any) -> str:
    """``reverse(name, args)``, or "" when a stored value cannot be put in an address (a
    code with "/" from before codes were checked): the page then shows the item without a
    link instead of answering 500 for everyone."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _map_urls(level: str) -> tuple[str, str]:
    name = "web:geojson_kommuner" if level == "kommun" else "web:geojson_regioner"
    return reverse(name), reverse("web:topojson_base")


@dataclass(frozen=True)
class RecipientRow:
    code: str
    name: str
    url: str
    amount_sek: int
    paid_sek: int
    withheld_sek: int
    population: int | None

    @property
    def per_inhabitant(self) -> float | None:
        return self.amount_sek / self.population if self.population else None


def _lines_for_level(lines: list[services.Line], level: str) -> list[services.Line]:
    wanted = {"region": ("region", "lan"), "kommun": ("kommun",)}[level]
    return [ln for ln in lines if ln.recipient_level in wanted]


def recipient_rows(lines: list[services.Line], level: str, year: int | None) -> list[RecipientRow]:
    """One row per recipient of ``level`` (regions and län are the same units)."""
    acc: dict[str, dict[str, Any]] = {}
    for ln in _lines_for_level(lines, level):
        row = acc.setdefault(ln.recipient_code, {"name": ln.recipient_name, "a": 0, "p": 0})
        if ln.recipient_level != RecipientLevel.LAN:
            row["name"] = ln.recipient_name
        row["a"] += ln.amount_sek
        row["p"] += ln.paid_sek
    geo_level = Level.KOMMUN if level == "kommun" else Level.REGION
    pops = geo.population_by_level(geo_level, year) if year else {}
    return [
        RecipientRow(
            code,
            r["name"],
            _unit_url(code),
            r["a"],
            r["p"],
            r["a"] - r["p"],
            pops.get(code),
        )
        for code, r in sorted(acc.items())
    ]


def _sort_rows(rows: list[RecipientRow], sort: str, direction: str) -> list[RecipientRow]:
    keys: dict[str, Any] = {
        "namn": lambda r: r.name.casefold(),
        "kod": lambda r: r.code,
        "belopp": lambda r: r.amount_sek,
        "per_invanare": lambda r: r.per_inhabitant or 0.0,
    }
    return sorted(rows, key=keys[sort], reverse=direction == "desc")


def _choice(request: HttpRequest, name: str, allowed: Any, default: str) -> str:
    value = request.GET.get(name, default)
    return value if value in allowed else default


def _int(request: HttpRequest, name: str) -> int | None:
    try:
        return int(request.GET.get(name, ""))
    except ValueError:
        return None


# --------------------------------------------------------------------------- pages


@login_required
@require_GET
def agreement_list(request: HttpRequest) -> HttpResponse:
    _view(request)
    items = [
        {
            "agreement": a,
            "status": AgreementStatus(a.status).label,
            "levels": services.level_summary(a),
        }
        for a in services.list_agreements()
    ]
    return render(request, "funding/agreement_list.html", {"items": items})


@login_required
@require_GET
def agreement_detail(request: HttpRequest, year: int) -> HttpResponse:
    _view(request)
    agreement = _get(year)
    level = _choice(request, "niva", LEVELS, "region")
    measure = _choice(request, "visa", MEASURES, "per_invanare")
    sort = _choice(request, "sort", SORTS, "belopp")
    direction = _choice(request, "ordning", ("asc", "desc"), "desc" if sort != "namn" else "asc")
    explanations = services.post_explanations(agreement)
    level_posts = [
        e
        for e in explanations
        if e["recipient_level"] in {"region": ("region", "lan"), "kommun": ("kommun",)}[level]
    ]
    post = request.GET.get("post", "")
    if post not in {e["code"] for e in level_posts}:
        post = ""

    error = None
    result = None
    rows: list[RecipientRow] = []
    figure = None
    try:
        result = services.preview(agreement)
    except services.FundingError as exc:
        error = str(exc)
    if result is not None:
        lines = [ln for ln in result.lines if not post or ln.post_code == post]
        rows = recipient_rows(lines, level, result.population_year)
        if rows:
            geojson_url, topojson_url = _map_urls(level)
            per = measure == "per_invanare"
            figure = amount_map_figure(
                [
                    AreaValue(
                        r.code,
                        r.name,
                        r.url,
                        (r.per_inhabitant or 0.0) if per else float(r.amount_sek),
                        r.amount_sek,
                        r.per_inhabitant,
                    )
                    for r in rows
                ],
                geojson_url=geojson_url,
                topojson_url=topojson_url,
                value_label=_("Kr per invånare") if per else _("Kronor"),
                value_format=",.2f" if per else ",.0f",
            )
        rows = _sort_rows(rows, sort, direction)

    other_lines = (
        [ln for ln in result.lines if ln.recipient_level not in ("region", "lan", "kommun")]
        if result is not None
        else []
    )
    total_rows = sum(r.amount_sek for r in rows)
    population_rows = sum(r.population or 0 for r in rows)

    def query(**changes: str) -> str:
        params = {"niva": level, "visa": measure, "post": post, "sort": sort, "ordning": direction}
        params.update(changes)
        return "&".join(f"{k}={v}" for k, v in params.items() if v)

    def sort_link(key: str) -> dict[str, Any]:
        active = key == sort
        next_dir = (
            ("asc" if direction == "desc" else "desc")
            if active
            else ("asc" if key in ("namn", "kod") else "desc")
        )
        return {
            "active": active,
            "aria_sort": ("ascending" if direction == "asc" else "descending") if active else None,
            "query": query(sort=key, ordning=next_dir),
        }

    selected_post = next((e for e in explanations if e["code"] == post), None)
    context = {
        "agreement": agreement,
        "status_label": AgreementStatus(agreement.status).label,
        "policy_label": AcceptancePolicy(agreement.acceptance_policy).label,
        "posts": explanations,
        "levels_summary": services.level_summary(agreement),
        "acceptance": _acceptance_summary(agreement),
        "level": level,
        "level_options": [
            {"value": k, "label": v, "query": query(niva=k, post="")} for k, v in LEVELS.items()
        ],
        "measure": measure,
        "measures": MEASURES,
        "level_posts": level_posts,
        "post": post,
        "selected_post": selected_post,
        "result": result,
        "error": error,
        "rows": rows,
        "total_rows": total_rows,
        "population_rows": population_rows,
        "per_inhabitant_rows": total_rows / population_rows if population_rows else None,
        "other_lines": other_lines,
        "figure": figure,
        "sort": {k: sort_link(k) for k in SORTS},
        "runs": list(agreement.runs.all()[:10]),
        "can_manage": is_administrator(request.user),
        "has_population_keys": any(
            e["key_type"] in ("population_share", "fixed_plus_population") for e in explanations
        ),
    }
    return render(request, "funding/agreement_detail.html", context)


def _acceptance_summary(agreement: Agreement) -> list[dict[str, Any]]:
    labels = {"kommun": "kommuner", "region": "regioner"}
    out = []
    for level, counts in (agreement.acceptance_summary or {}).items():
        accepted, total = counts
        out.append({"label": labels.get(level, level), "accepted": accepted, "total": total})
    return out


def _scenario_years(agreement: Agreement) -> list[int]:
    first = Unit.objects.filter(level=Level.REGION).order_by("code").first()
    years = list(geo.population_years(first)) if first else []
    return [y for y in years if y != agreement.population_year]


@login_required
@require_GET
def scenario(request: HttpRequest, year: int) -> HttpResponse:
    _view(request)
    agreement = _get(year)
    years = _scenario_years(agreement)
    population_year = _int(request, "ar")
    if population_year not in years:
        population_year = years[-1] if years else None
    policy = _choice(request, "hantering", AcceptancePolicy.values, agreement.acceptance_policy)
    level = _choice(request, "niva", (*LEVELS, "alla"), "region")
    has_keys = agreement.population_year is not None
    context: dict[str, Any] = {
        "agreement": agreement,
        "years": years,
        "population_year": population_year,
        "policy": policy,
        "policies": [(p.value, p.label) for p in AcceptancePolicy],
        "level": level,
        "levels": [*LEVELS.items(), ("alla", _("Alla mottagare"))],
        "has_keys": has_keys,
        "result": None,
        "error": None,
    }
    if has_keys and population_year is not None:
        try:
            result = services.scenario(agreement, population_year=population_year, policy=policy)
        except services.FundingError as exc:
            context["error"] = str(exc)
        else:
            rows = result.recipients
            if level == "region":
                rows = [r for r in rows if len(r.recipient_code) == 2]
            elif level == "kommun":
                rows = [r for r in rows if len(r.recipient_code) == 4]
            rows.sort(key=lambda r: (-abs(r.difference_sek), r.recipient_code))
            figure = None
            if level in LEVELS and rows:
                geojson_url, topojson_url = _map_urls(level)
                figure = amount_map_figure(
                    [
                        AreaValue(
                            r.recipient_code,
                            r.recipient_name,
                            _unit_url(r.recipient_code),
                            100 * (r.difference_share or 0.0),
                            r.scenario_sek,
                            None,
                        )
                        for r in rows
                    ],
                    geojson_url=geojson_url,
                    topojson_url=topojson_url,
                    value_label=_("Skillnad (%)"),
                    value_format=",.1f",
                    diverging=True,
                    height=640,
                )
            per_post = _per_post(result)
            context.update(
                result=result,
                rows=rows,
                figure=figure,
                per_post=per_post,
                gainers=sum(1 for r in rows if r.difference_sek > 0),
                losers=sum(1 for r in rows if r.difference_sek < 0),
                moved=sum(r.difference_sek for r in rows if r.difference_sek > 0),
            )
    return render(request, "funding/scenario.html", context)


def _per_post(result: services.Scenario) -> list[dict[str, Any]]:
    years = {p["code"]: p["population_year"] for p in result.scenario.inputs["posts"]}
    base_years = {p["code"]: p["population_year"] for p in result.base.inputs["posts"]}
    acc: dict[str, dict[str, Any]] = {}
    for r in result.rows:
        row = acc.setdefault(
            r.post_code, {"code": r.post_code, "name": r.post_name, "moved": 0, "base": 0}
        )
        row["base"] += r.base_sek
        row["moved"] += max(r.difference_sek, 0)
    for code, row in acc.items():
        row["year"] = years.get(code)
        row["base_year"] = base_years.get(code)
    return list(acc.values())


@login_required
@require_GET
def annex(request: HttpRequest, year: int, fmt: str) -> HttpResponseBase:
    _view(request)
    agreement = _get(year)
    run_id = _int(request, "korning")
    if run_id is not None:
        run = agreement.runs.filter(pk=run_id).first()
        if run is None:
            raise Http404(_("Ingen körning nr %(n)s för %(year)s.") % {"n": run_id, "year": year})
        result = services.run_allocation_result(run)
    else:
        try:
            result = services.preview(agreement)
        except services.FundingError as exc:
            raise Http404(str(exc)) from exc
    if fmt == "csv":
        return csv_response(
            (ln.as_dict() for ln in result.lines), ANNEX_CSV_COLUMNS, annex_filename(result, "csv")
        )
    response = HttpResponse(annex_workbook(result), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{annex_filename(result, "xlsx")}"'
    return response


@login_required
@require_POST
def run_create(request: HttpRequest, year: int) -> HttpResponse:
    agreement = _get(year)
    label = request.POST.get("label", "").strip()[:200]
    try:
        run = services.run_allocation(agreement, by=request.user, request=request, label=label)
    except services.FundingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Fördelningen är sparad som körning nr %(n)s (%(amount)s utbetalas).")
            % {"n": run.pk, "amount": kronor(run.paid_sek)},
        )
    return HttpResponseRedirect(reverse("funding:agreement", args=[year]) + "#korningar")


STATUS_LABELS = {
    "submitted": gettext_lazy("Inskickad"),
    "draft": gettext_lazy("Utkast"),
    "missing": gettext_lazy("Inte påbörjad"),
}


@login_required
@require_GET
def reporting(request: HttpRequest, year: int) -> HttpResponse:
    """Reporting surveys and conditions: who reported, who has a draft, who is late."""
    from .services.followup import completeness, condition_overview

    _view(request)
    agreement = _get(year)
    surveys: list[dict[str, Any]] = []
    for s in agreement.surveys.all():
        c = completeness(s)
        surveys.append(
            {
                "survey": s,
                "c": c,
                "late": len(c.late),
                "submitted": c.count("submitted"),
                "draft": c.count("draft"),
                "missing": c.count("missing"),
                "remind_url": link("funding:remind", year, s.code),
                "results_url": link("funding:results", year, s.code),
                "edit_url": link("funding:survey_edit", year, s.code),
            }
        )
    code = request.GET.get("enkat", "")
    selected = next((s for s in surveys if s["survey"].code == code), None)
    if selected is None and surveys:
        selected = surveys[0]
    only_late = request.GET.get("sena") == "1"
    rows = []
    if selected is not None:
        rows = [
            {
                "row": r,
                "label": STATUS_LABELS.get(r.status, r.status),
                "url": _unit_url(r.unit_code),
                "answer_url": link("funding:answer", year, selected["survey"].code, r.unit_code),
            }
            for r in selected["c"].rows
            if r.late or not only_late
        ]
    can_manage = is_administrator(request.user)
    context = {
        "agreement": agreement,
        "surveys": surveys,
        "selected": selected,
        "rows": rows,
        "only_late": only_late,
        "conditions": [
            (c, link("funding:condition", year, c.condition.code))
            for c in condition_overview(agreement)
        ],
        "tasks": reporter_tasks(request, [s["survey"] for s in surveys]),
        "can_manage": can_manage,
        "levels": [
            (v, label) for v, label in RecipientLevel.choices if v in ("kommun", "region", "lan")
        ],
        "posts": list(agreement.posts.all()) if can_manage else [],
        "rules": ConditionRule.choices,
    }
    return render(request, "funding/reporting.html", context)
