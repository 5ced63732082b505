"""The only way in to Politikerchecklistan for pages, API, CLI and other domains.

Every write takes ``by`` (a user or ``SYSTEM``), checks rights first (:mod:`.rights`,
scoped to the unit answered for), refuses to change a submitted round (it is frozen:
open a new round, a draft copy, to change the answers), validates the whole input before
writing anything, and writes in one transaction with an audit event. User errors are
:class:`ChecklistError` with a Swedish message naming the field.

A unit's answer for a year is its latest submitted round; drafts are seen only by the
unit's own members (:func:`rights.may_read`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from datasmart.accounts.audit import SYSTEM, SystemActor, record_event
from datasmart.accounts.models import Organisation
from datasmart.geo.models import Level, Unit
from datasmart.geo.services import UnitNotFound, get_unit

from . import rights
from .models import (
    Answer,
    AnswerValue,
    ChecklistRound,
    ChecklistVersion,
    Question,
    RoundStatus,
)
from .questions import QUESTIONS_FILE, LoadReport, QuestionFileError, read_questions, write_version

if TYPE_CHECKING:
    from pathlib import Path

    from django.http import HttpRequest

__all__ = [
    "ChecklistError",
    "answer_map",
    "current_version",
    "get_round",
    "latest_round",
    "latest_submitted",
    "load_questions",
    "new_round",
    "questions",
    "rounds_for_lan",
    "save_answers",
    "submit_round",
    "visible_rounds",
]

MIN_YEAR = 2000
MAX_YEAR = 2100
MAX_COMMENT = 2000
MAX_URL = 500
#: an internal path of the platform (no scheme, no host, no ``//``), or an https address
_INTERNAL_PATH = re.compile(r"^/(?!/)[^\s\\]*$")
_HTTPS = re.compile(r"^https://[^\s/\\]+\.[^\s/\\]+(/[^\s\\]*)?$", re.IGNORECASE)


class ChecklistError(ValueError):
    """A user error in a checklist write; the message is Swedish and safe to show."""


# --- questions ---------------------------------------------------------------------------------


def load_questions(path: Path | None = None) -> LoadReport:
    """Load ``data/questions.toml`` (or ``path``): a new version, or nothing if unchanged."""
    try:
        content = read_questions(path or QUESTIONS_FILE)
        with transaction.atomic():
            report = write_version(ChecklistVersion, Question, content)
            if report.created:
                record_event(
                    "checklist.questions_loaded",
                    actor=SYSTEM,
                    detail={"version": report.version, "questions": report.questions},
                )
    except QuestionFileError as exc:
        raise ChecklistError(str(exc)) from exc
    return report


def current_version() -> ChecklistVersion:
    """The newest loaded version (new rounds answer it)."""
    version = ChecklistVersion.objects.first()
    if version is None:
        raise ChecklistError(_("Frågorna är inte inlästa; kör datasmart checklist load."))
    return version


def questions(version: ChecklistVersion | None = None) -> list[Question]:
    return list((version or current_version()).questions.order_by("order"))


# --- reading -----------------------------------------------------------------------------------


def parse_year(value: Any, field: str = "år") -> int:
    """A year between 2000 and 2100, or :class:`ChecklistError` naming ``field``."""
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        raise ChecklistError(
            _("Fältet %(field)s: ange ett årtal, t.ex. 2026.") % {"field": field}
        ) from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ChecklistError(
            _("Fältet %(field)s: ange ett år mellan %(lo)s och %(hi)s.")
            % {"field": field, "lo": MIN_YEAR, "hi": MAX_YEAR}
        )
    return year


def answering_unit(code: str) -> Unit:
    """The kommun or region ``code``; ``UnitNotFound`` (404) or ChecklistError otherwise."""
    unit = get_unit(code)
    if unit.level not in rights.ANSWERING_LEVELS:
        raise ChecklistError(
            _("Fältet enhet: checklistan besvaras av kommuner och regioner, inte av %(name)s.")
            % {"name": unit.name}
        )
    return unit


def _rounds(unit: Unit, year: int) -> QuerySet[ChecklistRound]:
    return ChecklistRound.objects.filter(unit=unit, year=year).select_related(
        "organisation", "unit", "version", "submitted_by"
    )


def latest_round(unit: Unit, year: int, by: Any) -> ChecklistRound | None:
    """The newest round ``by`` may read: the newest one, or the newest submitted one when
    the newest is a draft that ``by`` may not see."""
    rounds = _rounds(unit, year).order_by("-number")
    if not rights.may_read_draft(by, unit):
        rounds = rounds.filter(status=RoundStatus.SUBMITTED)
    return rounds.first()


def latest_submitted(unit: Unit, year: int) -> ChecklistRound | None:
    """The unit's answer for the year: its newest submitted round."""
    return _rounds(unit, year).filter(status=RoundStatus.SUBMITTED).order_by("-number").first()


def get_round(unit: Unit, year: int, number: int, by: Any) -> ChecklistRound:
    """One round; ``LookupError`` if it does not exist or is a draft ``by`` may not see."""
    found = _rounds(unit, year).filter(number=number).first()
    if found is None or not rights.may_read(by, found):
        raise LookupError(_("Omgången finns inte."))
    return found


def visible_rounds(by: Any) -> QuerySet[ChecklistRound]:
    """Every submitted round, and the drafts of the units where ``by`` is a member."""
    rounds = ChecklistRound.objects.select_related("organisation", "unit", "version")
    if isinstance(by, SystemActor) or getattr(by, "is_superuser", False):
        return rounds
    from django.db.models import Q

    from datasmart.accounts.permissions import roles_by_organisation

    units = []
    if getattr(by, "is_authenticated", False):
        orgs = Organisation.objects.filter(pk__in=list(roles_by_organisation(by)))
        units = list(orgs.values_list("unit_id", flat=True))
    return rounds.filter(Q(status=RoundStatus.SUBMITTED) | Q(unit_id__in=units))


def answer_map(round_: ChecklistRound) -> dict[str, Answer]:
    """The round's answers by question code."""
    return {a.question.code: a for a in round_.answers.select_related("question", "answered_by")}


def lan_units(lan_code: str) -> tuple[Unit, list[Unit]]:
    """A län and its kommuner (by code); ChecklistError if ``lan_code`` is not a län."""
    try:
        lan = get_unit(lan_code)
    except UnitNotFound:
        raise ChecklistError(
            _("Fältet län: länet %(code)s finns inte.") % {"code": lan_code}
        ) from None
    if lan.level != Level.REGION:
        raise ChecklistError(_("Fältet län: %(name)s är inte ett län.") % {"name": lan.name})
    kommuner = list(Unit.objects.filter(region=lan, level=Level.KOMMUN).order_by("code"))
    return lan, kommuner


def rounds_for_lan(
    lan_code: str, year: int
) -> tuple[Unit, list[tuple[Unit, ChecklistRound | None]]]:
    """Each unit of the län (the region first, then its kommuner) with its submitted answer
    for ``year`` (None when it has not answered)."""
    lan, kommuner = lan_units(lan_code)
    units = [lan, *kommuner]
    latest: dict[int, ChecklistRound] = {}
    submitted = ChecklistRound.objects.filter(
        unit__in=units, year=year, status=RoundStatus.SUBMITTED
    ).select_related("organisation", "unit", "version")
    for r in submitted.order_by("number"):
        latest[r.unit_id] = r  # the highest number wins
    return lan, [(u, latest.get(u.pk)) for u in units]


# --- writing -----------------------------------------------------------------------------------


def _audit(action: str, by: Any, round_: ChecklistRound, **detail: Any) -> None:
    record_event(
        action, actor=by, organisation=round_.organisation, target=round_, detail=detail or None
    )


def _organisation_for(by: Any, unit: Unit, organisation: Organisation | None) -> Organisation:
    """The organisation a new round is opened in: the one asked for (if ``by`` answers in
    it), else ``by``'s first answering organisation at the unit (SYSTEM: the first one)."""
    if isinstance(by, SystemActor):
        candidates = list(
            Organisation.objects.filter(unit=unit, kind__in=rights.ANSWERING_KINDS).order_by("name")
        )
    else:
        candidates = rights.answering_organisations(by, unit)
    if organisation is not None:
        if organisation not in candidates:
            raise ChecklistError(
                _("Fältet organisation: du kan inte svara för %(org)s.")
                % {"org": organisation.name}
            )
        return organisation
    if not candidates:
        raise ChecklistError(
            _("Fältet organisation: %(unit)s har ingen organisation som kan svara.")
            % {"unit": unit.name}
        )
    return candidates[0]


def _user(by: Any) -> Any:
    return None if isinstance(by, SystemActor) else by


def _open_draft(
    unit: Unit, year: int, by: Any, organisation: Organisation | None
) -> ChecklistRound:
    """The current draft, or a new one (copying the latest submitted answers whose question
    code is still asked). Call inside a transaction after the rights check."""
    last = (
        ChecklistRound.objects.select_for_update()
        .filter(unit=unit, year=year)
        .order_by("-number")
        .first()
    )
    if last is not None and last.status == RoundStatus.DRAFT:
        return last
    version = current_version()
    created = ChecklistRound.objects.create(
        organisation=_organisation_for(by, unit, organisation),
        unit=unit,
        year=year,
        number=(last.number + 1) if last else 1,
        version=version,
        created_by=_user(by),
    )
    copied = 0
    if last is not None:
        by_code = {q.code: q for q in version.questions.all()}
        rows = [
            Answer(
                round=created,
                question=by_code[a.question.code],
                value=a.value,
                comment=a.comment,
                evidence_url=a.evidence_url,
                answered_by=a.answered_by,
            )
            for a in last.answers.select_related("question")
            if a.question.code in by_code
        ]
        Answer.objects.bulk_create(rows)
        copied = len(rows)
    _audit(
        "checklist.round_opened",
        by,
        created,
        unit=unit.code,
        year=year,
        number=created.number,
        copied_from=last.number if last else None,
        copied_answers=copied,
    )
    return created


def new_round(
    unit_code: str,
    year: Any,
    *,
    by: Any,
    organisation: Organisation | None = None,
    request: HttpRequest | None = None,
) -> ChecklistRound:
    """Open a draft for the unit and year (the existing draft if there is one): how a
    submitted, frozen round is changed."""
    unit = answering_unit(unit_code)
    year = parse_year(year)
    rights.require_answer(by, unit, action="new_round", request=request)
    with transaction.atomic():
        return _open_draft(unit, year, by, organisation)


def check_evidence_url(value: str, field: str) -> str:
    """An internal path of the platform (``/behov/enhet/0180/``) or an https address."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) > MAX_URL:
        raise ChecklistError(
            _("%(field)s: länken får vara högst %(n)s tecken.") % {"field": field, "n": MAX_URL}
        )
    if not (_INTERNAL_PATH.match(value) or _HTTPS.match(value)):
        raise ChecklistError(
            _(
                "%(field)s: ange en sökväg på plattformen som börjar med / "
                "(t.ex. /behov/enhet/0180/) eller en adress som börjar med https://."
            )
            % {"field": field}
        )
    return value


def _clean_answers(
    version: ChecklistVersion, answers: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, str]]:
    """Check every answer before anything is written; the first error names the question
    (number and code) and the field."""
    by_code = {q.code: q for q in version.questions.all()}
    unknown = sorted(set(answers) - set(by_code))
    if unknown:
        raise ChecklistError(
            _("Fältet fråga: okänd fråga %(codes)s i den här versionen av checklistan.")
            % {"codes": ", ".join(unknown)}
        )
    clean: dict[str, dict[str, str]] = {}
    labels = ", ".join(str(label).lower() for label in AnswerValue.labels)
    for code, raw in answers.items():
        q = by_code[code]
        where = _("Fråga %(n)s (%(code)s)") % {"n": q.order, "code": code}
        if not isinstance(raw, Mapping):
            raise ChecklistError(_("%(where)s: svaret ska vara ett objekt.") % {"where": where})
        value = str(raw.get("value") or "").strip()
        comment = str(raw.get("comment") or "").strip()
        url = str(raw.get("evidence_url") or "").strip()
        if not value:
            if comment or url:
                raise ChecklistError(
                    _(
                        "%(where)s, fältet svar: välj ett svar (%(labels)s) när du skriver en "
                        "kommentar eller länk."
                    )
                    % {"where": where, "labels": labels}
                )
            continue  # unanswered: left out (or removed)
        if value not in AnswerValue.values:
            raise ChecklistError(
                _("%(where)s, fältet svar: okänt värde; välj %(labels)s.")
                % {"where": where, "labels": labels}
            )
        if len(comment) > MAX_COMMENT:
            raise ChecklistError(
                _("%(where)s, fältet kommentar: högst %(n)s tecken.")
                % {"where": where, "n": MAX_COMMENT}
            )
        url = check_evidence_url(url, _("%(where)s, fältet länk till underlag") % {"where": where})
        clean[code] = {"value": value, "comment": comment, "evidence_url": url}
    return clean


def save_answers(
    unit_code: str,
    year: Any,
    answers: Mapping[str, Mapping[str, Any]],
    *,
    by: Any,
    organisation: Organisation | None = None,
    request: HttpRequest | None = None,
) -> ChecklistRound:
    """Save answers (question code → ``{value, comment, evidence_url}``) into the unit's
    draft for the year, opening one if needed. A question given with an empty value is
    cleared; questions not given are left as they are. All or nothing."""
    unit = answering_unit(unit_code)
    year = parse_year(year)
    rights.require_answer(by, unit, action="save_answers", request=request)
    with transaction.atomic():
        round_ = _open_draft(unit, year, by, organisation)
        clean = _clean_answers(round_.version, answers)
        by_code = {q.code: q for q in round_.version.questions.all()}
        existing = answer_map(round_)
        cleared = [c for c in answers if c not in clean and c in existing]
        changed: list[str] = []
        for code, values in clean.items():
            old = existing.get(code)
            if old is None:
                Answer.objects.create(
                    round=round_, question=by_code[code], answered_by=_user(by), **values
                )
                changed.append(code)
            elif any(getattr(old, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(old, k, v)
                old.answered_by = _user(by)
                old.save()
                changed.append(code)
        if cleared:
            round_.answers.filter(question__code__in=cleared).delete()
        if changed or cleared:
            _audit(
                "checklist.answers_saved",
                by,
                round_,
                unit=unit.code,
                year=year,
                number=round_.number,
                changed=sorted(changed),
                cleared=sorted(cleared),
            )
    return round_


def submit_round(
    unit_code: str, year: Any, *, by: Any, request: HttpRequest | None = None
) -> ChecklistRound:
    """Submit the unit's draft for the year: every question must have an answer ("vet
    inte" is one). The round is frozen from then on."""
    unit = answering_unit(unit_code)
    year = parse_year(year)
    rights.require_answer(by, unit, action="submit_round", request=request)
    with transaction.atomic():
        round_ = (
            ChecklistRound.objects.select_for_update()
            .filter(unit=unit, year=year)
            .order_by("-number")
            .first()
        )
        if round_ is None or round_.status != RoundStatus.DRAFT:
            raise ChecklistError(
                _("Det finns inget utkast för %(unit)s %(year)s att skicka in; öppna en ny omgång.")
                % {"unit": unit.name, "year": year}
            )
        answered = set(round_.answers.values_list("question__code", flat=True))
        missing = [q for q in questions(round_.version) if q.code not in answered]
        if missing:
            raise ChecklistError(
                _("Fältet svar: fråga %(numbers)s saknar svar (välj “vet inte” om ni inte vet).")
                % {"numbers": ", ".join(str(q.order) for q in missing)}
            )
        round_.status = RoundStatus.SUBMITTED
        round_.submitted_at = timezone.now()
        round_.submitted_by = _user(by)
        round_.save(update_fields=["status", "submitted_at", "submitted_by"])
        _audit(
            "checklist.round_submitted", by, round_, unit=unit.code, year=year, number=round_.number
        )
    return round_
