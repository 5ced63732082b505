"""Follow-up pages: thin. Parse, call :mod:`.followup`, render. ``PermissionDenied`` is
the 403 page, an unknown plan the 404 page, :class:`~.services.PlanError` (a bad year,
indicator or län) a Swedish message on the page with status 400."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from datasmart.geo.models import Level, Unit

from . import followup, report
from .models import ActionPlan, GoalIndicator, PlanStatus
from .services import PlanError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _plan(request: HttpRequest, plan_id: int) -> ActionPlan:
    try:
        return followup.get_readable_plan(plan_id, request.user, request=request)
    except LookupError as exc:
        raise Http404(str(exc)) from None


def _year(request: HttpRequest, plan: ActionPlan) -> Any:
    """``?ar=`` as given, or this year held inside the years a follow-up may cover."""
    raw = request.GET.get("ar", "").strip()
    if raw:
        return raw
    return min(max(timezone.localdate().year, plan.start_year), plan.end_year + 10)


def _report(request: HttpRequest, plan: ActionPlan) -> followup.FollowUpReport | HttpResponse:
    try:
        return followup.plan_follow_up(plan, _year(request, plan), request.user, request=request)
    except PlanError as exc:
        return render(
            request,
            "plans/followup.html",
            {"plan": plan, "error": str(exc), "year_value": request.GET.get("ar", "")},
            status=400,
        )


@require_GET
def follow_up(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan(request, plan_id)
    result = _report(request, plan)
    if isinstance(result, HttpResponse):
        return result
    return render(
        request,
        "plans/followup.html",
        {
            "plan": plan,
            "report": result,
            "rule": followup.RULE_SV,
            "year_value": result.year,
            "may_record": followup.may_record(request.user, plan)
            and plan.status != PlanStatus.DRAFT,
            "history": followup.list_follow_ups(plan, request.user, request=request),
        },
    )


@login_required
@require_POST
def record(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan(request, plan_id)
    year = request.POST.get("year", "")
    try:
        done = followup.record_follow_up(
            plan, year, note=request.POST.get("note", ""), by=request.user, request=request
        )
    except PlanError as exc:
        messages.error(request, str(exc))
        return redirect(reverse("plans:follow_up", args=[plan.pk]))
    messages.success(request, _("Uppföljningen för %(y)s är sparad.") % {"y": done.year})
    return redirect(reverse("plans:follow_up", args=[plan.pk]) + f"?ar={done.year}")


def _filename(plan: ActionPlan, year: int, ext: str) -> str:
    return f"uppfoljning-plan-{plan.pk}-{year}.{ext}"


@require_GET
def report_pdf(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan(request, plan_id)
    result = _report(request, plan)
    if isinstance(result, HttpResponse):
        return result
    body = report.follow_up_pdf(result, base_url=request.build_absolute_uri("/"), request=request)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{_filename(plan, result.year, "pdf")}"'
    )
    return response


@require_GET
def report_xlsx(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan(request, plan_id)
    result = _report(request, plan)
    if isinstance(result, HttpResponse):
        return result
    response = HttpResponse(report.follow_up_excel(result), content_type=XLSX)
    response["Content-Disposition"] = (
        f'attachment; filename="{_filename(plan, result.year, "xlsx")}"'
    )
    return response


@require_GET
def compare_units(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("indikator", "").strip()
    lan = request.GET.get("lan", "").strip()
    context: dict[str, Any] = {
        "code": code,
        "lan_code": lan,
        "year_value": request.GET.get("ar", "").strip(),
        "lans": Unit.objects.filter(level=Level.REGION).order_by("code"),
        "codes": sorted(set(GoalIndicator.objects.values_list("indicator_code", flat=True))),
        "rule": followup.RULE_SV,
    }
    if not code and not lan:
        return render(request, "plans/compare_units.html", context)
    try:
        comparison = followup.compare_units(code, lan, request.user, year=context["year_value"])
    except PlanError as exc:
        context["error"] = str(exc)
        return render(request, "plans/compare_units.html", context, status=400)
    context["comparison"] = comparison
    context["figure"] = (
        report.comparison_figure(comparison, get_language()) if comparison.rows else None
    )
    return render(request, "plans/compare_units.html", context)
