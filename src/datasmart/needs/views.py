"""Needs pages (thin: every figure comes from the services in this package)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from datasmart.accounts.models import Organisation
from datasmart.geo import services as geo
from datasmart.geo.models import Level
from datasmart.needs import charts, conditions, coverage, scenarios
from datasmart.needs.expected import HORIZONS, condition_summary
from datasmart.needs.gap import gap_rows, indicative_label
from datasmart.needs.models import PrevalenceEstimate, PrevalenceVariant
from datasmart.needs.prevalence import UNDERESTIMATE_CAVEAT
from datasmart.needs.published import projection_summary
from datasmart.needs.report import NotALan, kommun_change, lan_excel, lan_pdf, lan_report
from datasmart.needs.services import scenarios as projection_choices
from datasmart.needs.templatetags.needs_tags import percent_text


def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return render(request, "404.html", {"message": str(exc)}, status=404)


@require_GET
def sources(request: HttpRequest) -> HttpResponse:
    estimates = list(PrevalenceEstimate.objects.all())
    for e in estimates:
        e.condition_label = conditions.label(e.condition)  # type: ignore[attr-defined]
        e.measure_label = conditions.measure_label(e.measure)  # type: ignore[attr-defined]
        e.sex_label = conditions.sex_label(e.sex)  # type: ignore[attr-defined]
        for name in ("low", "central", "high"):
            value = getattr(e, name)
            setattr(e, f"{name}_pct", None if value is None else percent_text(value))
    return render(
        request,
        "needs/sources.html",
        {
            "estimates": estimates,
            "coverage": coverage.cells(),
            "projections": projection_summary(),
            "caveat": UNDERESTIMATE_CAVEAT,
        },
    )


def _unit_context(request: HttpRequest, code: str) -> dict[str, Any]:
    unit = geo.get_unit(code)
    summary = condition_summary(unit.level, unit.code)
    cube = summary["cube"]
    return {
        "unit": unit,
        "summary": summary["conditions"],
        "cube": cube,
        "horizons": HORIZONS,
        "years": cube.years,
        "bars": charts.expected_bars(summary["conditions"], HORIZONS, cube.years)
        if summary["conditions"]
        else None,
        "pyramid": charts.pyramid(
            cube.data[0, 0], cube.data[-1, 0], year=cube.years[0], later_year=cube.years[-1]
        ),
        "gaps": gap_rows(unit.level, unit.code),
        "indicative": indicative_label(),
        "caveat": UNDERESTIMATE_CAVEAT,
        "coverage": coverage.cells(),
        "is_lan": unit.level == Level.REGION,
        "saved": scenarios.compare(scenarios.visible_scenarios(request.user, unit.code), unit),
        "projections": projection_choices(),
        "save_organisations": scenarios.organisations_for(request.user),
        "variants": PrevalenceVariant.choices,
    }


@require_GET
def unit_needs(request: HttpRequest, code: str) -> HttpResponse:
    try:
        context = _unit_context(request, code)
    except geo.UnitNotFound as exc:
        return _not_found(request, exc)
    return render(request, "needs/unit.html", context)


@require_POST
def save_scenario(request: HttpRequest, code: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next={request.path}")
    try:
        org = Organisation.objects.get(pk=int(request.POST.get("organisation", "0") or 0))
    except (Organisation.DoesNotExist, ValueError):
        raise PermissionDenied(_("Du saknar behörighet för detta.")) from None
    try:
        scenarios.save_scenario(
            by=request.user,
            organisation=org,
            unit_code=code,
            name=request.POST.get("name", ""),
            projection_variant=request.POST.get("projection_variant", "platform"),
            prevalence_variant=request.POST.get("prevalence_variant", "central"),
            comment=request.POST.get("comment", ""),
            request=request,
        )
    except geo.UnitNotFound as exc:
        return _not_found(request, exc)
    except scenarios.ScenarioError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Scenariot sparades."))
    return redirect("needs:unit", code=code)


def _horizon(request: HttpRequest) -> int:
    value = request.GET.get("horisont", "10")
    return 5 if value == "5" else 10


def _lan(request: HttpRequest, code: str) -> dict[str, Any] | HttpResponse:
    try:
        report = lan_report(code, _horizon(request))
    except (geo.UnitNotFound, NotALan) as exc:
        return _not_found(request, exc)
    return report


@require_GET
def lan(request: HttpRequest, code: str) -> HttpResponse:
    report = _lan(request, code)
    if isinstance(report, HttpResponse):
        return report
    values = [(c, n, v, reverse("needs:unit", args=[c])) for c, n, v in kommun_change(report)]
    report["map"] = (
        charts.change_map(
            values,
            geojson_url=reverse("web:geojson_kommuner"),
            topojson_url=reverse("web:topojson_base"),
            value_label=_("Förändring"),
        )
        if values
        else None
    )
    report["pyramid"] = charts.pyramid(
        report["cube"].data[0, 0],
        report["cube"].data[report["hi"], 0],
        year=report["base_year"],
        later_year=report["later_year"],
    )
    report["indicative"] = indicative_label()
    return render(request, "needs/lan.html", report)


@require_GET
def lan_pdf_view(request: HttpRequest, code: str) -> HttpResponse:
    report = _lan(request, code)
    if isinstance(report, HttpResponse):
        return report
    html = render_to_string("needs/lan_print.html", report, request=request)
    response = HttpResponse(
        lan_pdf(html, request.build_absolute_uri("/")), content_type="application/pdf"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="behovsanalys-{code}-{report["later_year"]}.pdf"'
    )
    return response


@require_GET
def lan_xlsx_view(request: HttpRequest, code: str) -> HttpResponse:
    report = _lan(request, code)
    if isinstance(report, HttpResponse):
        return report
    response = HttpResponse(
        lan_excel(report),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="behovsanalys-{code}-{report["later_year"]}.xlsx"'
    )
    return response
