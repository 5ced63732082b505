"""Follow-up pages (Swedish): answering a reporting survey (draft, submit, reopen), the
list of recipients to remind (with CSV), conditions and their fulfilment, payout status.

Thin views: parse the form, call :mod:`datasmart.funding.services.followup`, which checks the
rights (:mod:`datasmart.funding.rights`: ``REPORT_FUNDING`` in the responding kommun or
region; the agreement's national administrators for everything else) and audits every
change and every denial. A refused action raises ``PermissionDenied``, which Django turns
into the 403 page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from datasmart.api.responses import csv_response
from datasmart.geo.models import Level, Unit

from .models import (
    AllocationLine,
    AllocationRun,
    Condition,
    ConditionRule,
    FulfilmentStatus,
    PayoutStatus,
    RecipientLevel,
    ResponseStatus,
    Survey,
    SurveyResponse,
)
from .page_support import agreement_or_404 as _get
from .page_support import require_view as _view
from .plan_conditions import is_automatic, joint_plan_checks
from .rights import is_administrator, require_administrator
from .services import FundingError, followup
from .services.reminders import REMIND_COLUMNS, remind_rows

YESNO = {"ja": True, "nej": False}


def _survey(year: int, code: str) -> Survey:
    survey = Survey.objects.select_related("agreement").filter(agreement__year=year, code=code)
    found = survey.first()
    if found is None:
        raise Http404(_("Ingen enkät %(code)r för %(year)s.") % {"code": code, "year": year})
    return found


def _results_survey(request: HttpRequest, year: int, code: str) -> Survey:
    """:func:`followup.results_survey` (which checks the rights) as a page: 403 / 404."""
    try:
        return followup.results_survey(year, code, by=request.user, request=request)
    except followup.SurveyNotFound as exc:
        raise Http404(str(exc)) from exc


def _manage(request: HttpRequest) -> bool:
    """Whether to show the administrators' forms (the services check again on POST)."""
    return is_administrator(request.user)


def _parse(survey: Survey, post: Any) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """Form → answers (typed), raw values to show again, and field errors."""
    answers: dict[str, Any] = {}
    raw: dict[str, str] = {}
    errors: dict[str, str] = {}
    for q in survey.questions:
        value = post.get(f"q_{q['code']}", "").strip()
        raw[q["code"]] = value
        if value == "":
            answers[q["code"]] = None
        elif q["type"] == "number":
            try:
                number = float(value.replace(" ", "").replace("\u00a0", "").replace(",", "."))
            except ValueError:
                errors[q["code"]] = _("Ange ett tal, till exempel 12 eller 3,5.")
                continue
            answers[q["code"]] = int(number) if number.is_integer() else number
        elif q["type"] == "yesno":
            if value not in YESNO:
                errors[q["code"]] = _("Välj ja eller nej.")
                continue
            answers[q["code"]] = YESNO[value]
        else:
            answers[q["code"]] = value
    return answers, raw, errors


def _shown(value: Any, qtype: str) -> str:
    if value is None:
        return ""
    if qtype == "yesno":
        return "ja" if value else "nej"
    if qtype == "number" and isinstance(value, float):
        return str(value).replace(".", ",")
    return str(value)


@login_required
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, year: int, code: str, unit_code: str) -> HttpResponse:
    """One recipient's answers to one survey: fill in, save as draft, submit; a coordinator
    sees the answers and may reopen a submitted response."""
    survey = _survey(year, code)
    unit = Unit.objects.filter(code=unit_code).first()
    if unit is None:
        raise Http404(_("Ingen kommun eller region med koden %(code)s.") % {"code": unit_code})
    try:
        response = followup.get_response(
            survey, unit_code=unit.code, by=request.user, request=request
        )
    except FundingError as exc:
        raise Http404(str(exc)) from exc
    may_report, manage = followup.response_access(request.user, unit)
    stored = dict(response.answers) if response else {}
    raw = {q["code"]: _shown(stored.get(q["code"]), q["type"]) for q in survey.questions}
    errors: dict[str, str] = {}
    error = None
    status = 200
    if request.method == "POST":
        submit = request.POST.get("action") == "skicka"
        answers, raw, errors = _parse(survey, request.POST)
        if errors:
            error = _("Rätta de markerade svaren.")
            status = 400
        else:
            try:
                followup.save_response(
                    survey,
                    unit_code=unit.code,
                    answers=answers,
                    submit=submit,
                    by=request.user,
                    request=request,
                )
            except FundingError as exc:
                error = str(exc)
                status = 400
            else:
                messages.success(
                    request,
                    _("Svaret är inskickat. Tack!") if submit else _("Utkastet är sparat."),
                )
                return HttpResponseRedirect(request.path)
    submitted = response is not None and response.status == ResponseStatus.SUBMITTED
    questions = [
        {
            **q,
            "value": raw.get(q["code"], ""),
            "error": errors.get(q["code"]),
            "field": f"q_{q['code']}",
        }
        for q in survey.questions
    ]
    context = {
        "agreement": survey.agreement,
        "survey": survey,
        "unit": unit,
        "response": response,
        "submitted": submitted,
        "status_label": ResponseStatus(response.status).label if response else _("Inte påbörjad"),
        "questions": questions,
        "error": error,
        "editable": may_report and not submitted,
        "can_reopen": manage and submitted,
        "late": not submitted and dt.date.today() > survey.due_date,
    }
    return render(request, "funding/answer.html", context, status=status)


@login_required
@require_POST
def reopen(request: HttpRequest, year: int, code: str, unit_code: str) -> HttpResponse:
    survey = _survey(year, code)
    response = SurveyResponse.objects.filter(survey=survey, unit__code=unit_code).first()
    if response is None:
        raise Http404(_("Inget svar att öppna."))
    try:
        followup.reopen_response(
            response, reason=request.POST.get("reason", ""), by=request.user, request=request
        )
    except FundingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Svaret från %(name)s är öppnat igen.") % {"name": response.unit.name}
        )
    return HttpResponseRedirect(reverse("funding:answer", args=[year, code, unit_code]))


@login_required
@require_GET
def remind(request: HttpRequest, year: int, code: str) -> HttpResponseBase:
    """Recipients that have not submitted (late first), with their users' addresses."""
    survey = _results_survey(request, year, code)
    only_late = request.GET.get("sena") == "1"
    rows = remind_rows(survey, only_late=only_late)
    if request.GET.get("format") == "csv":
        return csv_response(
            (r.as_dict() for r in rows), REMIND_COLUMNS, f"paminnelser-{year}-{code}.csv"
        )
    context = {
        "agreement": survey.agreement,
        "survey": survey,
        "rows": rows,
        "only_late": only_late,
        "late": sum(1 for r in rows if r.late),
        "without_address": sum(1 for r in rows if not r.emails),
    }
    return render(request, "funding/remind.html", context)


# --------------------------------------------------------------------------- conditions


@login_required
@require_POST
def condition_create(request: HttpRequest, year: int) -> HttpResponse:
    agreement = _get(year)
    due = request.POST.get("due_date", "").strip()
    try:
        due_date = dt.date.fromisoformat(due) if due else None
    except ValueError:
        messages.error(request, _("Ange datum som ÅÅÅÅ-MM-DD."))
        return HttpResponseRedirect(reverse("funding:reporting", args=[year]) + "#villkor")
    post_code = request.POST.get("post", "")
    post = agreement.posts.filter(code=post_code).first() if post_code else None
    try:
        condition = followup.add_condition(
            agreement,
            code=request.POST.get("code", "").strip(),
            text=request.POST.get("text", ""),
            recipient_level=request.POST.get("recipient_level", ""),
            post=post,
            due_date=due_date,
            rule=request.POST.get("rule", "") or ConditionRule.MANUAL,
            by=request.user,
            request=request,
        )
    except FundingError as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("funding:reporting", args=[year]) + "#villkor")
    messages.success(request, _("Villkoret %(code)s är tillagt.") % {"code": condition.code})
    return HttpResponseRedirect(reverse("funding:condition", args=[year, condition.code]))


@login_required
@require_http_methods(["GET", "POST"])
def condition(request: HttpRequest, year: int, code: str) -> HttpResponse:
    """Fulfilment of one condition per recipient; coordinators assess with one form per row.

    A ``joint_plan`` condition has no forms: each row shows the verdict read from the plans
    (:mod:`.plan_conditions`) and a link to the län's joint plan when the reader may see it.
    """
    _view(request)
    agreement = _get(year)
    cond = Condition.objects.filter(agreement=agreement, code=code).first()
    if cond is None:
        raise Http404(_("Inget villkor %(code)r för %(year)s.") % {"code": code, "year": year})
    if request.method == "POST":
        unit_code = request.POST.get("unit", "")
        try:
            followup.assess(
                cond,
                unit_code=unit_code,
                status=request.POST.get("status", ""),
                note=request.POST.get("note", "").strip(),
                by=request.user,
                request=request,
            )
        except FundingError as exc:
            messages.error(request, str(exc))
        else:
            unit_name = Unit.objects.filter(code=unit_code).values_list("name", flat=True).first()
            messages.success(
                request,
                _("Bedömningen för %(name)s är sparad.") % {"name": unit_name or unit_code},
            )
        return HttpResponseRedirect(request.path + f"#u{unit_code}")
    automatic = is_automatic(cond)
    units = followup.expected_units(agreement, cond.recipient_level)
    checks = joint_plan_checks(cond, units, by=request.user) if automatic else {}
    fulfilments = {} if automatic else {f.unit_id: f for f in cond.fulfilments.all()}
    labels = dict(FulfilmentStatus.choices)
    rows = (
        [{"unit": u, "check": checks[u.pk], "label": labels[checks[u.pk].status]} for u in units]
        if automatic
        else [
            {
                "unit": u,
                "f": fulfilments.get(u.pk),
                "label": labels.get(fulfilments[u.pk].status, fulfilments[u.pk].status)
                if u.pk in fulfilments
                else _("Inte bedömt"),
            }
            for u in units
        ]
    )
    context = {
        "agreement": agreement,
        "condition": cond,
        "level_label": dict(RecipientLevel.choices).get(cond.recipient_level, cond.recipient_level),
        "rows": rows,
        "statuses": FulfilmentStatus.choices,
        "can_manage": _manage(request) and not automatic,
        "automatic": automatic,
        "rule_label": ConditionRule(cond.rule).label if cond.rule in ConditionRule.values else "",
    }
    return render(request, "funding/condition.html", context)


# --------------------------------------------------------------------------- payouts

PAYOUT_LEVELS = ("region", "kommun", "ovrigt")


@login_required
@require_GET
def payouts(request: HttpRequest, year: int) -> HttpResponse:
    """Payout status per line of a saved run; coordinators set status, date and reference."""
    _view(request)
    agreement = _get(year)
    runs = list(agreement.runs.filter(is_scenario=False))
    run: AllocationRun | None = runs[0] if runs else None
    try:
        wanted = int(request.GET.get("korning", ""))
    except ValueError:
        wanted = None
    if wanted is not None:
        run = next((r for r in runs if r.pk == wanted), None)
        if run is None:
            raise Http404(
                _("Ingen sparad körning nr %(n)s för %(year)s.") % {"n": wanted, "year": year}
            )
    level = request.GET.get("niva", "region")
    if level not in PAYOUT_LEVELS:
        level = "region"
    recipient = request.GET.get("mottagare", "").strip()
    lines: list[AllocationLine] = []
    totals: dict[str, int] = {}
    if run is not None:
        qs = run.lines.select_related("payout", "post").order_by("recipient_code", "post_code")
        qs = qs.filter(recipient_code=recipient) if recipient else _filter_level(qs, level)
        lines = list(qs)
        totals = followup.payout_totals(run.pk)
    labels = dict(PayoutStatus.choices)
    rows = []
    for ln in lines:
        p = getattr(ln, "payout", None)
        status = p.status if p else (PayoutStatus.HELD if ln.withheld else PayoutStatus.PLANNED)
        rows.append({"line": ln, "payout": p, "status": status, "label": labels[status]})
    context = {
        "agreement": agreement,
        "runs": runs,
        "run": run,
        "level": level,
        "levels": [
            ("region", _("Regioner och län")),
            ("kommun", _("Kommuner")),
            ("ovrigt", "SKR"),
        ],
        "recipient": recipient,
        "rows": rows,
        "totals": [(labels[k], v) for k, v in totals.items()],
        "statuses": PayoutStatus.choices,
        "can_manage": _manage(request),
        "today": dt.date.today(),
    }
    return render(request, "funding/payouts.html", context)


def _filter_level(qs: QuerySet[AllocationLine], level: str) -> QuerySet[AllocationLine]:
    if level == "ovrigt":
        return qs.filter(unit__isnull=True)
    return qs.filter(unit__level=Level.KOMMUN if level == "kommun" else Level.REGION)


@login_required
@require_POST
def payout_set(request: HttpRequest, year: int, line_id: int) -> HttpResponse:
    line = (
        AllocationLine.objects.select_related("run", "run__agreement", "post")
        .filter(pk=line_id, run__agreement__year=year)
        .first()
    )
    if line is None:
        raise Http404(_("Ingen sådan rad."))
    raw_date = request.POST.get("date", "").strip()
    try:
        date = dt.date.fromisoformat(raw_date) if raw_date else None
    except ValueError:
        messages.error(request, _("Ange datum som ÅÅÅÅ-MM-DD."))
    else:
        try:
            followup.set_payout(
                line,
                status=request.POST.get("status", ""),
                date=date,
                reference=request.POST.get("reference", "").strip(),
                by=request.user,
                request=request,
            )
        except FundingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("Utbetalningen till %(name)s (%(post)s) är sparad.")
                % {
                    "name": line.recipient_name,
                    "post": line.post.name if line.post else line.post_code,
                },
            )
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("funding:payouts", args=[year])
    return HttpResponseRedirect(back)


@login_required
@require_GET
def results(request: HttpRequest, year: int, code: str) -> HttpResponseBase:
    """Submitted answers aggregated per län and for Sweden; CSV of the aggregate
    (``format=csv``) or of every submitted response (``format=svar``). Coordinators only."""
    from .services.survey_results import RESULT_COLUMNS, aggregate, answers_table

    survey = _results_survey(request, year, code)
    fmt = request.GET.get("format", "")
    if fmt == "svar":
        columns, rows = answers_table(survey)
        return csv_response(rows, columns, f"svar-{year}-{code}.csv")
    table = aggregate(survey)
    if fmt == "csv":
        return csv_response(table, RESULT_COLUMNS, f"resultat-{year}-{code}.csv")
    nation: dict[str, dict[str, Any]] = {}
    for row in table:
        if row["group_code"] != "00":
            continue
        q = nation.setdefault(row["question"], {"text": row["text"], "measures": []})
        q["measures"].append((row["measure"], row["value"]))
    context = {
        "agreement": survey.agreement,
        "survey": survey,
        "questions": list(nation.values()),
        "submitted": survey.responses.filter(status=ResponseStatus.SUBMITTED).count(),
        "expected": len(followup.expected_units(survey.agreement, survey.respondent_level)),
    }
    return render(request, "funding/results.html", context)


# --------------------------------------------------------------------------- survey editing

QUESTION_TYPE_LABELS = [
    ("text", gettext_lazy("Text")),
    ("number", gettext_lazy("Tal")),
    ("yesno", gettext_lazy("Ja eller nej")),
    ("choice", gettext_lazy("Ett av flera alternativ")),
]
BLANK_QUESTION_ROWS = 3


def _question_rows(post: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The form's question rows → (rows to show again, questions for the service).

    A row without text is skipped; a row without a code gets ``fraga-<n>``; choices are
    separated by semicolons."""
    rows: list[dict[str, Any]] = []
    questions: list[dict[str, Any]] = []
    raw_count = post.get("rader", "")
    count = min(int(raw_count), 100) if raw_count.isdigit() else 0
    used: set[str] = set()
    for i in range(count):
        row = {
            "code": post.get(f"q-{i}-code", "").strip(),
            "text": post.get(f"q-{i}-text", "").strip(),
            "type": post.get(f"q-{i}-type", "text"),
            "required": post.get(f"q-{i}-required") == "on",
            "choices": post.get(f"q-{i}-choices", "").strip(),
            "help": post.get(f"q-{i}-help", "").strip(),
        }
        rows.append(row)
        if not row["text"] and not row["code"]:
            continue
        code = row["code"] or next(
            c for n in range(len(questions) + 1, 1000) if (c := f"fraga-{n}") not in used
        )
        used.add(code)
        questions.append(
            {
                "code": code,
                "text": row["text"],
                "type": row["type"],
                "required": row["required"],
                "choices": [c.strip() for c in row["choices"].split(";") if c.strip()],
                "help": row["help"],
            }
        )
    return rows, questions


def _rows_from_survey(survey: Survey | None) -> list[dict[str, Any]]:
    out = []
    for q in survey.questions if survey else []:
        out.append(
            {
                "code": q.get("code", ""),
                "text": q.get("text", ""),
                "type": q.get("type", "text"),
                "required": bool(q.get("required")),
                "choices": "; ".join(str(c) for c in q.get("choices") or []),
                "help": q.get("help", ""),
            }
        )
    return out


def _blank_rows(n: int) -> list[dict[str, Any]]:
    return [
        {"code": "", "text": "", "type": "text", "required": False, "choices": "", "help": ""}
        for _ in range(n)
    ]


@login_required
@require_http_methods(["GET", "POST"])
def survey_edit(request: HttpRequest, year: int, code: str | None = None) -> HttpResponse:
    """Create (``code`` None) or change a reporting survey: title, who answers, due date and
    the questions as rows (no JavaScript; "Fler frågor" adds blank rows). Only the
    agreement's administrators see the form; :func:`followup.create_survey` and
    :func:`followup.update_survey` check the rights and every field again."""
    agreement = _get(year)
    survey = _survey(year, code) if code is not None else None
    require_administrator(request.user, request=request, action="survey_form")
    error = None
    status = 200
    values = {
        "code": survey.code if survey else "",
        "title": survey.title if survey else "",
        "respondent_level": survey.respondent_level if survey else "kommun",
        "due_date": survey.due_date.isoformat() if survey else "",
    }
    rows = _rows_from_survey(survey) + _blank_rows(BLANK_QUESTION_ROWS if survey else 5)
    if request.method == "POST":
        values = {
            "code": survey.code if survey else request.POST.get("code", "").strip(),
            "title": request.POST.get("title", ""),
            "respondent_level": survey.respondent_level
            if survey
            else request.POST.get("respondent_level", ""),
            "due_date": request.POST.get("due_date", "").strip(),
        }
        rows, questions = _question_rows(request.POST)
        if request.POST.get("action") == "fler":
            rows += _blank_rows(BLANK_QUESTION_ROWS)
        else:
            try:
                try:
                    due_date = dt.date.fromisoformat(values["due_date"])
                except ValueError:
                    raise FundingError(_("Ange sista dag som ÅÅÅÅ-MM-DD.")) from None
                if survey is None:
                    saved = followup.create_survey(
                        agreement,
                        code=values["code"],
                        title=values["title"],
                        respondent_level=values["respondent_level"],
                        due_date=due_date,
                        questions=questions,
                        by=request.user,
                        request=request,
                    )
                else:
                    saved = followup.update_survey(
                        survey,
                        title=values["title"],
                        due_date=due_date,
                        questions=questions,
                        by=request.user,
                        request=request,
                    )
            except FundingError as exc:
                error = str(exc)
                status = 400
            else:
                messages.success(
                    request,
                    (
                        _("Enkäten %(title)s är sparad.")
                        if survey
                        else _("Enkäten %(title)s är skapad.")
                    )
                    % {"title": saved.title},
                )
                return HttpResponseRedirect(
                    reverse("funding:reporting", args=[year]) + f"?enkat={saved.code}#svar"
                )
    context = {
        "agreement": agreement,
        "survey": survey,
        "values": values,
        "rows": rows,
        "types": QUESTION_TYPE_LABELS,
        "levels": [("kommun", _("Kommuner")), ("region", _("Regioner"))],
        "error": error,
        "answered": survey.responses.exists() if survey else False,
    }
    return render(request, "funding/survey_form.html", context, status=status)
