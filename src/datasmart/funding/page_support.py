"""Helpers shared by the funding pages (:mod:`.views` and :mod:`.followup_views`).

They live here, below both page modules, so that neither page module imports the other
(no import circle). Page-only code: it may import Django, :mod:`datasmart.accounts`,
:mod:`datasmart.geo` and this app's services, models and rights; no view module.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.urls import reverse

from datasmart.accounts.permissions import (
    Permission,
    organisations_with_permission,
    require_permission,
)
from datasmart.geo.models import Unit

from . import services
from .models import Agreement, ResponseStatus, Survey, SurveyResponse

__all__ = ["agreement_or_404", "reporter_tasks", "require_view"]


def agreement_or_404(year: int) -> Agreement:
    """The agreement of ``year``; an unknown year is the 404 page, not a 500."""
    try:
        return services.get_agreement(year)
    except services.AgreementNotFound as exc:
        raise Http404(str(exc)) from exc


def require_view(request: HttpRequest) -> None:
    """``VIEW_FUNDING`` for the signed-in user (denials audited by accounts)."""
    require_permission(request.user, Permission.VIEW_FUNDING, request=request)


def reporter_tasks(request: HttpRequest, surveys: list[Survey]) -> list[dict[str, Any]]:
    """The surveys the signed-in user answers for their own kommun or region."""
    if getattr(request.user, "is_superuser", False):
        return []
    units = Unit.objects.filter(
        organisations__in=organisations_with_permission(request.user, Permission.REPORT_FUNDING)
    ).distinct()
    level = {"kommun": "kommun", "region": "region"}
    out = []
    responses = {
        (r.survey_id, r.unit_id): r
        for r in SurveyResponse.objects.filter(survey__in=surveys, unit__in=units)
    }
    for survey in surveys:
        for unit in units:
            if unit.level != level.get(survey.respondent_level):
                continue
            r = responses.get((survey.pk, unit.pk))
            out.append(
                {
                    "survey": survey,
                    "unit": unit,
                    "status": ResponseStatus(r.status).label if r else "Inte påbörjad",
                    "url": reverse(
                        "funding:answer", args=[survey.agreement.year, survey.code, unit.code]
                    ),
                }
            )
    return out
