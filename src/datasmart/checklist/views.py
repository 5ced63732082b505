"""Pages of Politikerchecklistan: thin. Parse, call :mod:`.services` / :mod:`.report`,
render. ``PermissionDenied`` becomes the 403 page, an unknown unit the 404 page,
:class:`~.services.ChecklistError` a message on the page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from datasmart.geo.models import Level, Unit
from datasmart.geo.services import UnitNotFound

from . import report, rights, services
from .models import AnswerValue, RoundStatus, Section


def _unit_or_404(code: str) -> Unit:
    try:
        return services.answering_unit(code)
    except (UnitNotFound, services.ChecklistError) as exc:
        raise Http404(str(exc)) from None


def _year_or_404(year: int) -> int:
    try:
        return services.parse_year(year)
    except services.ChecklistError as exc:
        raise Http404(str(exc)) from None


def _this_year() -> int:
    return timezone.localdate().year


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """What the checklist is, its questions with sources, and the rounds one may see."""
    code = request.GET.get("enhet", "").strip()
    if code:
        try:
            unit = services.answering_unit(code)
            year = services.parse_year(request.GET.get("ar", _this_year()))
        except (UnitNotFound, services.ChecklistError) as exc:
            messages.error(request, str(exc))
        else:
            return redirect("checklist:round", unit_code=unit.code, year=year)
    questions = services.questions()
    sections: list[dict[str, Any]] = []
    for q in questions:
        if not sections or sections[-1]["code"] != q.section:
            sections.append({"code": q.section, "label": Section(q.section).label, "rows": []})
        sections[-1]["rows"].append(
            {"q": q, "text": report.question_text(q), "help": report.question_help(q)}
        )
    mine: list[Unit] = []
    if request.user.is_authenticated:
        from datasmart.accounts.permissions import roles_by_organisation

        orgs = request.user.memberships.select_related("organisation__unit")  # type: ignore[union-attr]
        seen: set[int] = set()
        roles = roles_by_organisation(request.user)
        for m in orgs:
            org = m.organisation
            if (
                org.kind in rights.ANSWERING_KINDS
                and roles.get(org.pk) in rights.ANSWER_ROLES
                and org.unit.level in rights.ANSWERING_LEVELS
                and org.unit_id not in seen
            ):
                seen.add(org.unit_id)
                mine.append(org.unit)
    rounds = list(
        services.visible_rounds(request.user).order_by("-year", "unit__code", "-number")[:200]
    )
    return render(
        request,
        "checklist/index.html",
        {
            "version": services.current_version(),
            "sections": sections,
            "count": len(questions),
            "rounds": rounds,
            "mine": mine,
            "year": _this_year(),
            "lans": Unit.objects.filter(level=Level.REGION).order_by("code"),
        },
    )


def _posted_answers(request: HttpRequest, codes: list[str]) -> dict[str, dict[str, str]]:
    return {
        c: {
            "value": request.POST.get(f"value_{c}", ""),
            "comment": request.POST.get(f"comment_{c}", ""),
            "evidence_url": request.POST.get(f"url_{c}", ""),
        }
        for c in codes
    }


@require_http_methods(["GET", "POST"])
def round_page(request: HttpRequest, unit_code: str, year: int) -> HttpResponse:
    """The unit's answers for the year: a form for those who answer while it is a draft,
    the answers otherwise. POST saves (and with ``submit`` also submits)."""
    unit = _unit_or_404(unit_code)
    year = _year_or_404(year)
    posted: dict[str, dict[str, str]] | None = None
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        codes = [q.code for q in services.questions()]
        latest = services.latest_round(unit, year, request.user)
        if latest is not None and latest.status == RoundStatus.DRAFT:
            codes = [q.code for q in services.questions(latest.version)]
        posted = _posted_answers(request, codes)
        try:
            services.save_answers(unit.code, year, posted, by=request.user, request=request)
            if "submit" in request.POST:
                services.submit_round(unit.code, year, by=request.user, request=request)
                messages.success(request, _("Svaren är inskickade."))
                return redirect("checklist:report", unit_code=unit.code, year=year)
        except services.ChecklistError as exc:
            messages.error(request, str(exc))
            if "submit" not in request.POST:
                return _render_round(request, unit, year, posted, status=400)
            posted = None  # saved, not submitted: show what is stored
        else:
            messages.success(request, _("Svaren är sparade."))
        return redirect("checklist:round", unit_code=unit.code, year=year)
    return _render_round(request, unit, year, posted)


def _render_round(
    request: HttpRequest,
    unit: Unit,
    year: int,
    posted: dict[str, dict[str, str]] | None,
    status: int = 200,
) -> HttpResponse:
    data = report.unit_report(unit.code, year, request.user)
    may_answer = rights.may_answer(request.user, unit)
    round_ = data["round"]
    editable = may_answer and (round_ is None or round_["status"] == RoundStatus.DRAFT)
    if posted:
        for row in data["questions"]:
            p = posted.get(row["code"])
            if p:
                row.update(value=p["value"], comment=p["comment"], evidence_url=p["evidence_url"])
    return render(
        request,
        "checklist/round.html",
        {
            "unit": unit,
            "year": year,
            "data": data,
            "editable": editable,
            "may_answer": may_answer,
            "choices": AnswerValue.choices,
        },
        status=status,
    )


@require_POST
def submit(request: HttpRequest, unit_code: str, year: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    unit = _unit_or_404(unit_code)
    year = _year_or_404(year)
    try:
        services.submit_round(unit.code, year, by=request.user, request=request)
    except services.ChecklistError as exc:
        messages.error(request, str(exc))
        return redirect("checklist:round", unit_code=unit.code, year=year)
    messages.success(request, _("Svaren är inskickade."))
    return redirect("checklist:report", unit_code=unit.code, year=year)


@require_POST
def new_round(request: HttpRequest, unit_code: str, year: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    unit = _unit_or_404(unit_code)
    year = _year_or_404(year)
    try:
        services.new_round(unit.code, year, by=request.user, request=request)
    except services.ChecklistError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("En ny omgång är öppnad med de senaste svaren; ändra och skicka in den.")
        )
    return redirect("checklist:round", unit_code=unit.code, year=year)


def _report_context(request: HttpRequest, unit_code: str, year: int) -> dict[str, Any]:
    unit = _unit_or_404(unit_code)
    year = _year_or_404(year)
    return {"unit": unit, "year": year, "data": report.unit_report(unit.code, year, request.user)}


@require_GET
def report_page(request: HttpRequest, unit_code: str, year: int) -> HttpResponse:
    return render(request, "checklist/report.html", _report_context(request, unit_code, year))


@require_GET
def report_pdf(request: HttpRequest, unit_code: str, year: int) -> HttpResponse:
    context = _report_context(request, unit_code, year)
    base = request.build_absolute_uri("/")
    pdf = report.render_pdf(report.print_html(context, base, request=request), base)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="politikerchecklistan-{context["unit"].code}-{context["year"]}.pdf"'
    )
    return response


def _comparison(request: HttpRequest) -> dict[str, Any] | None:
    lan = request.GET.get("lan", "").strip()
    if not lan:
        return None
    try:
        return report.comparison(lan, request.GET.get("ar") or _this_year())
    except services.ChecklistError as exc:
        messages.error(request, str(exc))
        return None


def _xlsx_query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query["format"] = "xlsx"
    return query.urlencode()


@require_GET
def compare(request: HttpRequest) -> HttpResponse:
    data = _comparison(request)
    if data is not None and request.GET.get("format") == "xlsx":
        response = HttpResponse(
            report.comparison_excel(data),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        name = f"politikerchecklistan-{data['lan']['code']}-{data['year']}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    year = data["year"] if data else _this_year()
    short = {
        AnswerValue.YES: _("J"),
        AnswerValue.PARTLY: _("D"),
        AnswerValue.NO: _("N"),
        AnswerValue.UNKNOWN: "?",
    }
    if data:
        labels = data["value_labels"]
        for u in data["units"]:
            u["cells"] = [(v, labels.get(v, ""), short.get(v, "–")) for v in u["values"]]
    return render(
        request,
        "checklist/compare.html",
        {
            "data": data,
            "year": year,
            "lan": request.GET.get("lan", ""),
            "lans": Unit.objects.filter(level=Level.REGION).order_by("code"),
            "xlsx_query": _xlsx_query(request),
        },
    )
