"""Follow-up of an agreement: conditions and their fulfilment, payout status, and reporting
surveys (questions as data, draft → submit → reopen, who reported and who is late).

Same rules as :mod:`datasmart.funding.services`: keyword-only writes with ``by=``, rights
checked first (denials audited), change and audit event in one transaction, Swedish
:class:`~datasmart.funding.services.FundingError` messages for bad input.

Rights (one rule, :mod:`datasmart.funding.rights`): the agreement's administrators
(``MANAGE_FUNDING`` in a national organisation) create conditions and surveys, assess
fulfilment, set payout status, reopen responses and read every answer; a recipient reads
and answers only its own survey, with ``REPORT_FUNDING`` in an organisation whose unit *is*
that kommun or region. A kommun or region coordinator is not an administrator.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from django.db import transaction
from django.utils import timezone

from datasmart.accounts.audit import record_event
from datasmart.geo import services as geo
from datasmart.geo.models import Level, Unit

from ..models import (
    Acceptance,
    Agreement,
    AllocationLine,
    Condition,
    ConditionRule,
    Fulfilment,
    FulfilmentStatus,
    Payout,
    PayoutStatus,
    Post,
    RecipientLevel,
    ResponseStatus,
    Survey,
    SurveyResponse,
)
from ..plan_conditions import is_automatic, joint_plan_checks
from ..rights import (
    is_administrator,
    may_report_for,
    require_administrator,
    require_recipient,
    require_recipient_or_administrator,
)
from .common import FundingError

if TYPE_CHECKING:
    from django.http import HttpRequest

QUESTION_TYPES: Final = ("text", "number", "yesno", "choice")
UNIT_LEVEL: Final = {
    RecipientLevel.KOMMUN.value: Level.KOMMUN,
    RecipientLevel.REGION.value: Level.REGION,
    RecipientLevel.LAN.value: Level.REGION,
}


def _manage(by: Any, request: HttpRequest | None, action: str = "") -> None:
    require_administrator(by, request=request, action=action)


def _username(by: Any) -> str:
    return str(by.get_username()) if hasattr(by, "get_username") else ""


#: Codes of conditions and surveys appear in page addresses, CSV file names and the API:
#: lower-case letters, digits and hyphens, starting with a letter or digit.
CODE_RE: Final = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
#: A due date more than this many years before the agreement's year, or after the later of
#: the agreement's year and this year, is a typing error.
DUE_YEARS_BEFORE: Final = 1
DUE_YEARS_AFTER: Final = 5


def check_code(code: str, what: str) -> str:
    """The code stripped, or :class:`FundingError` naming the rule.

    A code such as ``"Å Ä ! <b>"`` once made the follow-up page answer 500 for everyone
    (it could not be put in a link), so codes are checked before they are stored.
    """
    code = (code or "").strip()
    if not CODE_RE.match(code):
        shown = code if len(code) <= 40 else code[:40] + "…"
        raise FundingError(
            f"Koden för {what} {shown!r} är ogiltig: använd 1–60 tecken a–z, 0–9 och "
            "bindestreck (till exempel 'rapport-2020'), utan mellanslag, å, ä eller ö."
        )
    return code


def check_due_date(due_date: dt.date | None, agreement: Agreement, what: str) -> None:
    """A due date must lie near the agreement's year (``DUE_YEARS_BEFORE``/``_AFTER``,
    counted from the later of the agreement's year and today's): a condition "due 1990" on
    the 2020 agreement, or one due 2099, is a typing error, not a deadline."""
    if due_date is None:
        return
    first = dt.date(agreement.year - DUE_YEARS_BEFORE, 1, 1)
    latest_year = max(agreement.year, timezone.localdate().year)
    last = dt.date(latest_year + DUE_YEARS_AFTER, 12, 31)
    if not first <= due_date <= last:
        raise FundingError(
            f"Sista dag för {what} ({due_date.isoformat()}) ska ligga mellan "
            f"{first.isoformat()} och {last.isoformat()} för {agreement.year} års "
            "överenskommelse."
        )


def _unit(code: str, level: str) -> Unit:
    unit = geo.get_unit(code)
    wanted = UNIT_LEVEL.get(level)
    if wanted is None or unit.level != wanted:
        raise FundingError(f"{unit.name} ({unit.code}) är ingen mottagare på nivån {level}.")
    return unit


# --------------------------------------------------------------------------- conditions


def add_condition(
    agreement: Agreement,
    *,
    code: str,
    text: str,
    recipient_level: str,
    post: Post | None = None,
    due_date: dt.date | None = None,
    rule: str = ConditionRule.MANUAL,
    by: Any,
    request: HttpRequest | None = None,
) -> Condition:
    """Add a condition to an agreement (optionally tied to one post). ``rule`` says how it
    is judged: by hand (``manual``) or from the agreed joint län plans (``joint_plan``,
    :mod:`.plan_conditions`)."""
    _manage(by, request)
    if recipient_level not in UNIT_LEVEL:
        raise FundingError(
            f"Villkor gäller kommuner, regioner eller län, inte {recipient_level!r}."
        )
    if rule not in ConditionRule.values:
        raise FundingError(
            f"Fältet bedöms: okänt värde {rule!r} (tillåtna: {', '.join(ConditionRule.values)})."
        )
    if post is not None and post.agreement_id != agreement.pk:
        raise FundingError(
            f"Posten {post.code} hör inte till {agreement.year} års överenskommelse."
        )
    if not text.strip():
        raise FundingError("Ett villkor behöver en text.")
    code = check_code(code, "villkoret")
    check_due_date(due_date, agreement, "villkoret")
    if agreement.conditions.filter(code=code).exists():
        raise FundingError(f"Villkoret {code!r} finns redan.")
    with transaction.atomic():
        condition = Condition.objects.create(
            agreement=agreement,
            post=post,
            code=code.strip(),
            text=text.strip(),
            recipient_level=recipient_level,
            due_date=due_date,
            order=agreement.conditions.count(),
            rule=rule,
        )
        record_event(
            "funding.condition.create",
            actor=by,
            target=condition,
            detail={"year": agreement.year, "code": condition.code, "rule": str(rule)},
            request=request,
        )
    return condition


def delete_condition(condition: Condition, *, by: Any, request: HttpRequest | None = None) -> None:
    """Remove a condition and its assessments (administrators; audited with how many
    assessments went with it). The way out for a condition entered by mistake."""
    _manage(by, request)
    with transaction.atomic():
        detail = {
            "year": condition.agreement.year,
            "code": condition.code,
            "assessments": condition.fulfilments.count(),
        }
        record_event(
            "funding.condition.delete",
            actor=by,
            target_type="funding.condition",
            target_id=str(condition.pk),
            detail=detail,
            request=request,
        )
        condition.delete()


def assess(
    condition: Condition,
    *,
    unit_code: str,
    status: str,
    note: str = "",
    by: Any,
    request: HttpRequest | None = None,
) -> Fulfilment:
    """Record whether a recipient fulfilled a condition (only one judged by hand)."""
    _manage(by, request)
    if is_automatic(condition):
        raise FundingError(
            f"Villkoret {condition.code} bedöms automatiskt från de gemensamma länsplanerna "
            "och kan inte bedömas för hand; ändra planen i stället."
        )
    if status not in FulfilmentStatus.values:
        raise FundingError(
            f"Okänd bedömning {status!r} (tillåtna: {', '.join(FulfilmentStatus.values)})."
        )
    unit = _unit(unit_code, condition.recipient_level)
    with transaction.atomic():
        fulfilment, created = Fulfilment.objects.update_or_create(
            condition=condition,
            unit=unit,
            defaults={"status": status, "note": note, "assessed_by_username": _username(by)},
        )
        record_event(
            f"funding.fulfilment.{'create' if created else 'update'}",
            actor=by,
            target=fulfilment,
            detail={"condition": condition.code, "unit": unit.code, "status": status},
            request=request,
        )
    return fulfilment


@dataclass(frozen=True)
class ConditionSummary:
    condition: Condition
    expected: int
    counts: dict[str, int]

    @property
    def not_assessed(self) -> int:
        return self.expected - sum(self.counts.values())


def condition_overview(agreement: Agreement) -> list[ConditionSummary]:
    """Per condition: how many recipients fulfilled it, partly, not, or are not assessed
    (a ``joint_plan`` condition is judged for every recipient from the plans, live)."""
    out = []
    for condition in agreement.conditions.select_related("post", "agreement"):
        units = expected_units(agreement, condition.recipient_level)
        expected = len(units)
        counts = dict.fromkeys(FulfilmentStatus.values, 0)
        if is_automatic(condition):
            for check in joint_plan_checks(condition, units).values():
                counts[check.status] += 1
            out.append(ConditionSummary(condition, expected, counts))
            continue
        for status in condition.fulfilments.values_list("status", flat=True):
            if status in counts:  # an unknown stored status counts as not assessed
                counts[status] += 1
        out.append(ConditionSummary(condition, expected, counts))
    return out


# --------------------------------------------------------------------------- payouts


def set_payout(
    line: AllocationLine,
    *,
    status: str,
    date: dt.date | None = None,
    reference: str = "",
    by: Any,
    request: HttpRequest | None = None,
) -> Payout:
    """Set the payout status of one line of a saved run (not of a scenario)."""
    _manage(by, request)
    if status not in PayoutStatus.values:
        raise FundingError(
            f"Okänd utbetalningsstatus {status!r} (tillåtna: {', '.join(PayoutStatus.values)})."
        )
    if line.run.is_scenario:
        raise FundingError("Ett scenario betalas inte ut; spara fördelningen som körning först.")
    if status == PayoutStatus.PAID and line.withheld:
        raise FundingError(
            f"{line.recipient_name} har tackat nej; beloppet för {line.post_code} hålls inne."
        )
    if status == PayoutStatus.PAID and date is None:
        raise FundingError("Ange utbetalningsdag.")
    if date is not None:
        _check_payout_date(line, status, date)
    with transaction.atomic():
        payout, created = Payout.objects.update_or_create(
            line=line,
            defaults={
                "status": status,
                "date": date,
                "reference": reference[:100],
                "updated_by_username": _username(by),
            },
        )
        record_event(
            f"funding.payout.{'create' if created else 'update'}",
            actor=by,
            target=payout,
            detail={
                "run": line.run_id,
                "post": line.post_code,
                "recipient": line.recipient_code,
                "amount_sek": line.amount_sek,
                "status": status,
            },
            request=request,
        )
    return payout


#: How many years after the agreement's year a payout may still be dated.
PAYOUT_YEARS_AFTER: Final = 5


def _check_payout_date(line: AllocationLine, status: str, date: dt.date) -> None:
    """A payout that happened (paid, reclaimed) cannot be dated after today; any payout
    date lies between the year before the agreement's year and ``PAYOUT_YEARS_AFTER``
    years after it (a "paid 2099" typo would otherwise stand in the ledger)."""
    year = line.run.agreement.year
    today = timezone.localdate()
    if status in (PayoutStatus.PAID, PayoutStatus.RECLAIMED) and date > today:
        label = PayoutStatus(status).label.lower()
        raise FundingError(
            f"Datumet {date.isoformat()} ligger efter dagens datum ({today.isoformat()}): "
            f"en utbetalning kan inte vara {label} i framtiden."
        )
    first, last = dt.date(year - 1, 1, 1), dt.date(year + PAYOUT_YEARS_AFTER, 12, 31)
    if not first <= date <= last:
        raise FundingError(
            f"Datumet {date.isoformat()} ligger utanför {year} års överenskommelse "
            f"(tillåtet {first.isoformat()}–{last.isoformat()})."
        )


def payout_totals(run_id: int) -> dict[str, int]:
    """Kronor per payout status for a run; lines without a payout row count as planned."""
    totals = dict.fromkeys(PayoutStatus.values, 0)
    for amount, withheld, status in AllocationLine.objects.filter(run_id=run_id).values_list(
        "amount_sek", "withheld", "payout__status"
    ):
        key = status or (PayoutStatus.HELD if withheld else PayoutStatus.PLANNED)
        totals[key] += amount
    return totals


# --------------------------------------------------------------------------- surveys


def expected_units(agreement: Agreement, level: str) -> list[Unit]:
    """The recipients expected to report: every unit of ``level`` that did not decline.

    An unknown stored ``level`` expects nobody rather than failing the page."""
    geo_level = UNIT_LEVEL.get(level)
    if geo_level is None:
        return []
    declined = set(
        Acceptance.objects.filter(agreement=agreement, accepted=False).values_list(
            "unit_id", flat=True
        )
    )
    return [
        u for u in Unit.objects.filter(level=geo_level).order_by("code") if u.pk not in declined
    ]


def _check_questions(questions: Any) -> list[dict[str, Any]]:
    if not isinstance(questions, list) or not questions:
        raise FundingError("En enkät behöver minst en fråga.")
    problems: list[str] = []
    seen: set[str] = set()
    clean: list[dict[str, Any]] = []
    for i, q in enumerate(questions):
        where = f"questions[{i}]"
        if not isinstance(q, Mapping):
            problems.append(f"{where}: ska vara en tabell")
            continue
        code, text, qtype = q.get("code"), q.get("text"), q.get("type", "text")
        if not isinstance(code, str) or not code.strip():
            problems.append(f"{where}.code: saknas")
        elif not CODE_RE.match(code):
            problems.append(f"{where}.code: {code!r} (använd a–z, 0–9 och bindestreck)")
        elif code in seen:
            problems.append(f"{where}.code: {code!r} används två gånger")
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{where}.text: saknas")
        if qtype not in QUESTION_TYPES:
            problems.append(f"{where}.type: {qtype!r} (tillåtna: {', '.join(QUESTION_TYPES)})")
        choices = q.get("choices") or []
        if qtype == "choice" and (
            not isinstance(choices, list)
            or len(choices) < 2
            or not all(isinstance(c, str) for c in choices)
        ):
            problems.append(f"{where}.choices: en flervalsfråga behöver minst två svarsalternativ")
        unknown = sorted(set(q) - {"code", "text", "type", "required", "choices", "help"})
        if unknown:
            problems.append(f"{where}: okända fält {unknown}")
        if isinstance(code, str):
            seen.add(code)
        clean.append(
            {
                "code": code,
                "text": text,
                "type": qtype,
                "required": bool(q.get("required", False)),
                "choices": list(choices),
                "help": q.get("help", ""),
            }
        )
    if problems:
        raise FundingError("Enkäten har fel: " + "; ".join(problems) + ".")
    return clean


def create_survey(
    agreement: Agreement,
    *,
    code: str,
    title: str,
    respondent_level: str,
    due_date: dt.date,
    questions: Sequence[Mapping[str, Any]],
    by: Any,
    request: HttpRequest | None = None,
) -> Survey:
    """Create a reporting survey (administrators); code, title, due date and every
    question are checked first."""
    _manage(by, request)
    if respondent_level not in (RecipientLevel.KOMMUN, RecipientLevel.REGION):
        raise FundingError("Enkäter besvaras av kommuner eller regioner.")
    code = check_code(code, "enkäten")
    title = _check_title(title)
    if due_date is None:
        raise FundingError("Ange enkätens sista dag.")
    check_due_date(due_date, agreement, "enkäten")
    clean = _check_questions(list(questions))
    if agreement.surveys.filter(code=code).exists():
        raise FundingError(f"Enkäten {code!r} finns redan för {agreement.year}.")
    with transaction.atomic():
        survey = Survey.objects.create(
            agreement=agreement,
            code=code,
            title=title,
            respondent_level=respondent_level,
            due_date=due_date,
            questions=clean,
        )
        record_event(
            "funding.survey.create",
            actor=by,
            target=survey,
            detail={"year": agreement.year, "code": code, "questions": len(clean)},
            request=request,
        )
    return survey


def _check_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise FundingError("Ge enkäten en rubrik.")
    if len(title) > 200:
        raise FundingError(f"Rubriken är {len(title)} tecken; högst 200.")
    return title


def update_survey(
    survey: Survey,
    *,
    title: str,
    due_date: dt.date,
    questions: Sequence[Mapping[str, Any]],
    by: Any,
    request: HttpRequest | None = None,
) -> Survey:
    """Change a survey's title, due date and questions (administrators).

    Answers already given must keep their meaning: once someone has answered a question,
    it cannot be removed or change type (its text and help may be clarified, and new
    questions added). The code and respondent level never change; make a new survey.
    """
    _manage(by, request)
    title = _check_title(title)
    if due_date is None:
        raise FundingError("Ange enkätens sista dag.")
    check_due_date(due_date, survey.agreement, "enkäten")
    clean = _check_questions(list(questions))
    new_types = {q["code"]: q["type"] for q in clean}
    old_types = {q.get("code"): q.get("type") for q in survey.questions}
    answered: set[str] = set()
    for answers in survey.responses.values_list("answers", flat=True):
        answered.update(answers or {})
    problems = []
    for code in sorted(answered & set(old_types)):
        if code not in new_types:
            problems.append(f"{code}: frågan har svar och kan inte tas bort")
        elif new_types[code] != old_types[code]:
            problems.append(
                f"{code}: frågan har svar och kan inte byta typ "
                f"({old_types[code]} → {new_types[code]})"
            )
    if problems:
        raise FundingError("Enkäten kan inte ändras så: " + "; ".join(problems) + ".")
    with transaction.atomic():
        survey.title = title
        survey.due_date = due_date
        survey.questions = clean
        survey.save(update_fields=["title", "due_date", "questions"])
        record_event(
            "funding.survey.update",
            actor=by,
            target=survey,
            detail={"year": survey.agreement.year, "code": survey.code, "questions": len(clean)},
            request=request,
        )
    return survey


def _check_answers(survey: Survey, answers: Mapping[str, Any], *, complete: bool) -> dict[str, Any]:
    questions = {q["code"]: q for q in survey.questions}
    problems: list[str] = []
    for code in sorted(set(answers) - set(questions)):
        problems.append(f"{code}: ingen fråga med den koden")
    clean: dict[str, Any] = {}
    for code, q in questions.items():
        value = answers.get(code)
        if value is None or value == "":
            if complete and q["required"]:
                problems.append(f"{code}: obligatorisk fråga saknar svar")
            continue
        if q["type"] == "number" and (
            isinstance(value, bool) or not isinstance(value, int | float)
        ):
            problems.append(f"{code}: {value!r} är inget tal")
        elif q["type"] == "yesno" and not isinstance(value, bool):
            problems.append(f"{code}: svara ja eller nej (true/false)")
        elif q["type"] == "choice" and value not in q["choices"]:
            problems.append(f"{code}: {value!r} är inget av svarsalternativen")
        elif q["type"] == "text" and not isinstance(value, str):
            problems.append(f"{code}: svaret ska vara text")
        else:
            clean[code] = value
    if problems:
        raise FundingError("Svaren har fel: " + "; ".join(problems) + ".")
    return clean


def save_response(
    survey: Survey,
    *,
    unit_code: str,
    answers: Mapping[str, Any],
    submit: bool = False,
    by: Any,
    request: HttpRequest | None = None,
) -> SurveyResponse:
    """Save a recipient's answers as a draft, or submit them (all required answers needed).

    A submitted response cannot be changed until a coordinator reopens it.
    """
    unit = _unit(unit_code, survey.respondent_level)
    require_recipient(by, unit, request=request, action=f"survey_response:{survey.code}")
    with transaction.atomic():
        response, _created = SurveyResponse.objects.select_for_update().get_or_create(
            survey=survey, unit=unit
        )
        if response.status == ResponseStatus.SUBMITTED:
            raise FundingError(
                f"{unit.name} har redan skickat in {survey.title!r}; "
                "be samordnaren öppna svaret igen för att ändra det."
            )
        merged = {**response.answers, **dict(answers)}
        response.answers = _check_answers(survey, merged, complete=submit)
        response.updated_by_username = _username(by)
        if submit:
            response.status = ResponseStatus.SUBMITTED
            response.submitted_at = timezone.now()
            response.submitted_by_username = _username(by)
        response.save()
        record_event(
            f"funding.survey_response.{'submit' if submit else 'save'}",
            actor=by,
            target=response,
            detail={"survey": survey.code, "unit": unit.code, "answered": len(response.answers)},
            request=request,
        )
    return response


def get_response(
    survey: Survey, *, unit_code: str, by: Any, request: HttpRequest | None = None
) -> SurveyResponse | None:
    """One recipient's response (``None`` if not started), for the recipient itself or an
    administrator; anyone else is refused (audited), whether or not a response exists."""
    unit = _unit(unit_code, survey.respondent_level)
    require_recipient_or_administrator(
        by, unit, request=request, action=f"survey_response_read:{survey.code}"
    )
    return (
        SurveyResponse.objects.select_related("unit", "survey")
        .filter(survey=survey, unit=unit)
        .first()
    )


def response_access(by: Any, unit: Unit) -> tuple[bool, bool]:
    """``(may_answer, may_administer)`` for showing one recipient's answer page."""
    return may_report_for(by, unit), is_administrator(by)


def require_results_access(by: Any, *, request: HttpRequest | None = None) -> None:
    """Every recipient's answers together (results, reminder list): administrators only."""
    _manage(by, request, "survey_results")


class SurveyNotFound(FundingError, LookupError):
    """No survey with that code in that year's agreement; the message is safe to show."""

    def __init__(self, year: int, code: str) -> None:
        super().__init__(f"Ingen enkät {code!r} för {year}.")


def results_survey(year: int, code: str, *, by: Any, request: HttpRequest | None = None) -> Survey:
    """The survey whose answers, all recipients together, ``by`` may read (results page,
    reminder list): administrators only (:func:`require_results_access`). Checked before
    the survey is looked up, so a refused user learns nothing about which surveys exist;
    an unknown survey then raises :class:`SurveyNotFound`."""
    require_results_access(by, request=request)
    survey = Survey.objects.select_related("agreement").filter(agreement__year=year, code=code)
    found = survey.first()
    if found is None:
        raise SurveyNotFound(year, code)
    return found


def reopen_response(
    response: SurveyResponse, *, reason: str, by: Any, request: HttpRequest | None = None
) -> SurveyResponse:
    """Turn a submitted response back into a draft (coordinators; the reason is audited)."""
    _manage(by, request)
    if response.status != ResponseStatus.SUBMITTED:
        raise FundingError("Bara inskickade svar kan öppnas igen.")
    if not reason.strip():
        raise FundingError("Ange varför svaret öppnas igen.")
    with transaction.atomic():
        response.status = ResponseStatus.DRAFT
        response.reopened += 1
        response.save(update_fields=["status", "reopened", "updated_at"])
        record_event(
            "funding.survey_response.reopen",
            actor=by,
            target=response,
            detail={"survey": response.survey.code, "unit": response.unit.code, "reason": reason},
            request=request,
        )
    return response


@dataclass(frozen=True)
class ReportStatus:
    unit_code: str
    unit_name: str
    status: str  # "submitted" | "draft" | "missing"
    late: bool
    submitted_at: dt.datetime | None
    reopened: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit_code": self.unit_code,
            "unit_name": self.unit_name,
            "status": self.status,
            "late": self.late,
            "submitted_at": self.submitted_at.isoformat() if self.submitted_at else None,
            "reopened": self.reopened,
        }


REPORT_COLUMNS: Final = ("unit_code", "unit_name", "status", "late", "submitted_at", "reopened")


@dataclass(frozen=True)
class Completeness:
    survey: Survey
    rows: list[ReportStatus]

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def late(self) -> list[ReportStatus]:
        return [r for r in self.rows if r.late]

    @property
    def share_submitted(self) -> float:
        return self.count("submitted") / len(self.rows) if self.rows else 0.0


def completeness(survey: Survey, *, today: dt.date | None = None) -> Completeness:
    """Who reported, who has a draft, who has not started, and who is late (not submitted
    after the due date). Recipients that declined the agreement are not expected."""
    today = today or timezone.localdate()
    responses = {r.unit_id: r for r in survey.responses.all()}
    rows = []
    for unit in expected_units(survey.agreement, survey.respondent_level):
        r = responses.get(unit.pk)
        status = r.status if r is not None else "missing"
        submitted_late = (
            r is not None
            and r.submitted_at is not None
            and timezone.localdate(r.submitted_at) > survey.due_date
        )
        late = (status != ResponseStatus.SUBMITTED and today > survey.due_date) or (
            status == ResponseStatus.SUBMITTED and submitted_late
        )
        rows.append(
            ReportStatus(
                unit.code,
                unit.name,
                status,
                late,
                r.submitted_at if r is not None else None,
                r.reopened if r is not None else 0,
            )
        )
    return Completeness(survey, rows)
