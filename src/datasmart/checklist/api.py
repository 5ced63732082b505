"""REST endpoints of Politikerchecklistan, mounted at ``/api/checklist``.

Same services and rights as the pages: reading submitted answers is public, drafts only
for the unit's members; writes need an answering role at the unit (``rights``).
``PermissionDenied`` → 403, :class:`~.services.ChecklistError` → 422, an unknown unit → 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.errors import HttpError

from datasmart.accounts.api_auth import api_token_auth, session_auth, token_or_session
from datasmart.api.responses import ErrorOut
from datasmart.geo.services import UnitNotFound

from . import report, services
from .models import AnswerValue, ChecklistRound

router = Router(tags=["politikerchecklistan"])


def _anonymous(request: HttpRequest) -> Any:
    return AnonymousUser()


optional_auth: list[Any] = [api_token_auth, session_auth, _anonymous]
READ = {404: ErrorOut, 422: ErrorOut}
WRITE = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class QuestionOut(Schema):
    code: str
    order: int
    section: str
    text_sv: str
    text_en: str
    help_sv: str
    help_en: str
    source_ref: str = Field(description="Var i källorna frågan kommer ifrån (dokument, avsnitt)")
    evidence_kind: str


class VersionOut(Schema):
    version: str
    questions: list[QuestionOut]
    answer_values: list[str]


class AnswerIn(Schema):
    question: str = Field(..., max_length=40, description="Frågans kod")
    value: str = Field("", max_length=16, description="yes, partly, no, unknown ('' tar bort)")
    comment: str = Field("", max_length=2000)
    evidence_url: str = Field("", max_length=500, description="Sökväg (/behov/…) eller https://")


class AnswersIn(Schema):
    answers: list[AnswerIn] = Field(..., max_length=200)


class RoundOut(Schema):
    unit_code: str
    unit_name: str
    year: int
    number: int
    status: str
    organisation: str
    version: str
    submitted_at: str | None


def _round_out(r: ChecklistRound) -> dict[str, Any]:
    return {
        "unit_code": r.unit.code,
        "unit_name": r.unit.name,
        "year": r.year,
        "number": r.number,
        "status": r.status,
        "organisation": r.organisation.name,
        "version": r.version.code,
        "submitted_at": r.submitted_at.isoformat() if r.submitted_at else None,
    }


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from exc
    except UnitNotFound as exc:
        raise HttpError(404, str(exc)) from exc
    except services.ChecklistError as exc:
        raise HttpError(422, str(exc)) from exc


def _writer(request: HttpRequest) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    if not getattr(user, "is_authenticated", False):
        raise HttpError(401, "Logga in eller använd en API-nyckel / Sign in or use an API token")
    return user


@router.get("/questions", response={200: VersionOut}, summary="Frågorna (nuvarande version)")
def questions(request: HttpRequest) -> Any:
    version = services.current_version()
    return {
        "version": version.code,
        "questions": services.questions(version),
        "answer_values": list(AnswerValue.values),
    }


@router.get(
    "/rounds",
    response={200: list[RoundOut], **READ},
    auth=optional_auth,
    summary="Omgångar: alla inskickade, och utkast för de egna enheterna",
)
def rounds(
    request: HttpRequest,
    unit: str | None = Query(None, max_length=32),
    year: int | None = Query(None, ge=2000, le=2100),
) -> Any:
    qs = services.visible_rounds(request.auth).order_by(  # type: ignore[attr-defined]
        "-year", "unit__code", "-number"
    )
    if unit:
        qs = qs.filter(unit__code=unit)
    if year:
        qs = qs.filter(year=year)
    return [_round_out(r) for r in qs[:1000]]


@router.get(
    "/rounds/{unit_code}/{year}/report",
    response={200: dict[str, Any], **READ},
    auth=optional_auth,
    summary="Rapporten: varje fråga med svar, eget underlag och plattformens underlag",
)
def round_report(
    request: HttpRequest, unit_code: str = Path(..., max_length=32), year: int = Path(...)
) -> Any:
    return _call(report.unit_report, unit_code, year, request.auth)  # type: ignore[attr-defined]


@router.put(
    "/rounds/{unit_code}/{year}/answers",
    response={200: RoundOut, **WRITE},
    auth=token_or_session,
    summary="Spara svar i enhetens utkast (öppnar ett vid behov); allt eller inget",
)
def save_answers(
    request: HttpRequest,
    body: AnswersIn,
    unit_code: str = Path(..., max_length=32),
    year: int = Path(...),
) -> Any:
    by = _writer(request)
    answers: dict[str, dict[str, str]] = {}
    for i, a in enumerate(body.answers):
        if a.question in answers:
            raise HttpError(422, f"answers[{i}].question: frågan {a.question} finns två gånger.")
        answers[a.question] = {
            "value": a.value,
            "comment": a.comment,
            "evidence_url": a.evidence_url,
        }
    r = _call(services.save_answers, unit_code, year, answers, by=by, request=request)
    return _round_out(r)


@router.post(
    "/rounds/{unit_code}/{year}/submit",
    response={200: RoundOut, **WRITE},
    auth=token_or_session,
    summary="Skicka in utkastet (alla frågor besvarade); omgången låses",
)
def submit(
    request: HttpRequest, unit_code: str = Path(..., max_length=32), year: int = Path(...)
) -> Any:
    by = _writer(request)
    return _round_out(_call(services.submit_round, unit_code, year, by=by, request=request))


@router.post(
    "/rounds/{unit_code}/{year}/new",
    response={201: RoundOut, **WRITE},
    auth=token_or_session,
    summary="Öppna en ny omgång (utkast med de senaste svaren) för att ändra inskickade svar",
)
def new_round(
    request: HttpRequest, unit_code: str = Path(..., max_length=32), year: int = Path(...)
) -> Any:
    by = _writer(request)
    r = _call(services.new_round, unit_code, year, by=by, request=request)
    return Status(201, _round_out(r))


@router.get(
    "/comparison",
    response={200: dict[str, Any], **READ},
    summary="Inskickade svar per fråga för länets region och kommuner, med antal per svar",
)
def comparison(
    request: HttpRequest,
    lan: str = Query(..., max_length=8, description="Länskod, t.ex. 01"),
    year: int = Query(..., ge=2000, le=2100),
) -> Any:
    return _call(report.comparison, lan, year)
