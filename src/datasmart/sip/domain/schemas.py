"""The validated shape of a plan's content (ADR 0004, ``PlanContent``) and of invitations.

Plan versions store ``PlanContent.model_dump(mode="json")``; anything that writes a plan
(services, API, FHIR import) validates through these models, so a stored version always
has the same shape. Pydantic's own messages are English and technical: :func:`to_sip_error`
turns a pydantic ``ValidationError`` into a :class:`~datasmart.sip.domain.errors.SipValidationError`
with a Swedish message and the field path (``interventions[0].end``) of the first problem
(all problems are in ``.errors``).

Only the shape is checked here. Whether an organisation id exists is a database question,
answered by the services (``interventions[0].organisation_id`` names it just the same).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Final

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from datasmart.sip.domain.errors import SipValidationError
from datasmart.sip.models import ParticipantKind

__all__ = [
    "Intervention",
    "OtherAction",
    "ParticipantIn",
    "PlanContent",
    "field_path",
    "parse_participants",
    "parse_plan_content",
    "to_sip_error",
]

#: A required line of text: surrounding spaces dropped, not empty.
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
#: A longer required text (a goal or need in the person's own words).
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
#: An optional short text.
Label = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
OrganisationId = Annotated[int, Field(gt=0)]

MAX_ITEMS: Final = 100


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Intervention(_Schema):
    """An intervention (insats): what, by which organisation and unit, when."""

    title: Line
    organisation_id: OrganisationId
    unit_name: Label = ""
    start: dt.date | None = None
    end: dt.date | None = None

    @field_validator("end")
    @classmethod
    def _end_not_before_start(cls, end: dt.date | None, info: ValidationInfo) -> dt.date | None:
        start = info.data.get("start")
        if end is not None and start is not None and end < start:
            raise PydanticCustomError("end_before_start", "end is before start")
        return end


class OtherAction(_Schema):
    """What someone outside the organisations will do (family, a sports club …)."""

    who: Line
    what: Text


class PlanContent(_Schema):
    """The plan itself: the person's goals and needs, who does what, who leads."""

    goals: Annotated[list[Text], Field(min_length=1, max_length=MAX_ITEMS)]
    needs: Annotated[list[Text], Field(max_length=MAX_ITEMS)]
    interventions: Annotated[list[Intervention], Field(max_length=MAX_ITEMS)]
    others: Annotated[list[OtherAction], Field(max_length=MAX_ITEMS)] = []
    lead_organisation_id: OrganisationId | None
    coordinator_name: Label = ""
    follow_up_dates: Annotated[list[dt.date], Field(max_length=MAX_ITEMS)] = []

    def organisation_ids(self) -> dict[str, int]:
        """``{field path: organisation id}`` for every organisation the plan names."""
        found = {
            f"interventions[{i}].organisation_id": item.organisation_id
            for i, item in enumerate(self.interventions)
        }
        if self.lead_organisation_id is not None:
            found["lead_organisation_id"] = self.lead_organisation_id
        return found


class ParticipantIn(_Schema):
    """One invitee for :func:`datasmart.sip.services.invite`."""

    kind: ParticipantKind
    organisation_id: Annotated[OrganisationId | None, Field(validate_default=True)] = None
    unit_name: Label = ""
    name: Label = ""
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)] = ""

    @field_validator("organisation_id")
    @classmethod
    def _organisation_for_organisations(cls, value: int | None, info: ValidationInfo) -> int | None:
        kind = info.data.get("kind")
        if kind == ParticipantKind.ORGANISATION and value is None:
            raise PydanticCustomError("organisation_required", "organisation required")
        if kind is not None and kind != ParticipantKind.ORGANISATION and value is not None:
            raise PydanticCustomError("organisation_not_allowed", "organisation not allowed")
        return value

    @field_validator("email")
    @classmethod
    def _valid_email(cls, value: str) -> str:
        if value:
            try:
                validate_email(value)
            except DjangoValidationError:
                raise PydanticCustomError("email", "invalid e-mail address") from None
        return value


# --- errors --------------------------------------------------------------------------------

_MESSAGES: Final[dict[str, Promise]] = {
    "missing": gettext_lazy("Uppgiften saknas."),
    "extra_forbidden": gettext_lazy("Okänt fält."),
    "string_type": gettext_lazy("Ska vara text."),
    "string_too_short": gettext_lazy("Får inte vara tomt."),
    "string_too_long": gettext_lazy("Får vara högst %(max_length)s tecken."),
    "too_short": gettext_lazy("Ange minst %(min_length)s."),
    "too_long": gettext_lazy("Högst %(max_length)s får anges."),
    "list_type": gettext_lazy("Ska vara en lista."),
    "model_type": gettext_lazy("Ska vara ett objekt med fält."),
    "model_attributes_type": gettext_lazy("Ska vara ett objekt med fält."),
    "dict_type": gettext_lazy("Ska vara ett objekt med fält."),
    "int_type": gettext_lazy("Ska vara ett heltal."),
    "int_parsing": gettext_lazy("Ska vara ett heltal."),
    "int_from_float": gettext_lazy("Ska vara ett heltal."),
    "greater_than": gettext_lazy("Ska vara större än %(gt)s."),
    "date_type": gettext_lazy("Ska vara ett datum (ÅÅÅÅ-MM-DD)."),
    "date_parsing": gettext_lazy("Ska vara ett datum (ÅÅÅÅ-MM-DD)."),
    "date_from_datetime_parsing": gettext_lazy("Ska vara ett datum (ÅÅÅÅ-MM-DD)."),
    "date_from_datetime_inexact": gettext_lazy("Ska vara ett datum utan klockslag."),
    "enum": gettext_lazy("Ogiltigt val; välj ett av: %(expected)s."),
    "end_before_start": gettext_lazy("Slutdatumet får inte vara före startdatumet."),
    "organisation_required": gettext_lazy("Ange vilken organisation som bjuds in."),
    "organisation_not_allowed": gettext_lazy(
        "Bara deltagare av typen organisation har en organisation."
    ),
    "email": gettext_lazy("Ogiltig e-postadress."),
}

#: Messages that read better for one field than the generic one.
_FIELD_MESSAGES: Final[dict[tuple[str, str], Promise]] = {
    ("goals", "too_short"): gettext_lazy("Ange minst ett mål, gärna med personens egna ord."),
    ("title", "string_too_short"): gettext_lazy("Ange vad insatsen är."),
    ("who", "string_too_short"): gettext_lazy("Ange vem som gör det."),
    ("what", "string_too_short"): gettext_lazy("Ange vad som ska göras."),
}


def field_path(loc: tuple[int | str, ...], prefix: str = "") -> str:
    """``("interventions", 0, "end")`` → ``interventions[0].end`` (after ``prefix``)."""
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else str(part)
    return path


def _message(error: Mapping[str, Any]) -> str:
    kind = str(error["type"])
    last = next((str(p) for p in reversed(error["loc"]) if isinstance(p, str)), "")
    template = _FIELD_MESSAGES.get((last, kind)) or _MESSAGES.get(kind)
    if template is None:
        return _("Ogiltigt värde.")
    context = dict(error.get("ctx") or {})
    try:
        return str(template) % context if "%(" in str(template) else str(template)
    except (KeyError, TypeError, ValueError):
        return str(template).split("%(")[0].strip() or _("Ogiltigt värde.")


def to_sip_error(exc: ValidationError, prefix: str = "") -> SipValidationError:
    """A :class:`SipValidationError` for the first problem; all problems in ``.errors``."""
    problems = [(field_path(tuple(e["loc"]), prefix), _message(e)) for e in exc.errors()]
    field, message = problems[0] if problems else (prefix, _("Ogiltigt värde."))
    return SipValidationError(message, field=field or None, errors=problems)


def parse_plan_content(data: PlanContent | Mapping[str, Any], prefix: str = "") -> PlanContent:
    """Validate plan content given as a dict (e.g. JSON) or already a :class:`PlanContent`."""
    if isinstance(data, PlanContent):
        return data
    if not isinstance(data, Mapping):
        raise SipValidationError(_("Planens innehåll ska vara ett objekt med fält."), field=prefix)
    try:
        return PlanContent.model_validate(dict(data))
    except ValidationError as exc:
        raise to_sip_error(exc, prefix) from None


def parse_participants(
    items: Sequence[Mapping[str, Any] | ParticipantIn], prefix: str = "participants"
) -> list[ParticipantIn]:
    """Validate a list of invitees; the field path names the item (``participants[1].kind``)."""
    if not isinstance(items, list | tuple):
        raise SipValidationError(_("Ska vara en lista."), field=prefix)
    if not items:
        raise SipValidationError(_("Bjud in minst en deltagare."), field=prefix)
    parsed: list[ParticipantIn] = []
    for i, item in enumerate(items):
        if isinstance(item, ParticipantIn):
            parsed.append(item)
            continue
        try:
            parsed.append(ParticipantIn.model_validate(dict(item)))
        except (ValidationError, TypeError, ValueError) as exc:
            if isinstance(exc, ValidationError):
                raise to_sip_error(exc, f"{prefix}[{i}]") from None
            raise SipValidationError(
                _("Ska vara ett objekt med fält."), field=f"{prefix}[{i}]"
            ) from None
    return parsed
