"""Facts a SIP plan cannot hold: checked once, here, for the services, API and FHIR import.

A plan is about a person whose date of birth is known from the personnummer or
samordningsnummer (not from a reserve number), and it lives in a time window: SIP exists
since 1 January 2010 (2 kap. 7 § SoL and 16 kap. 4 § HSL came into force then), and
nothing about a plan is planned decades ahead. Forms, the API and the FHIR import all go
through the services, and the services call these functions, so a rule lives in one
place and reads the same everywhere (the forms show the message on the field the
``SipValidationError.field`` names).

The rules (documented in docs/sip.md, "Rimliga uppgifter"):

- **Date of birth** from 1900-01-01 (older numbers exist, but nobody that old gets a new
  plan) and not in the future (already refused by
  :func:`~datasmart.sip.domain.identity.parse_identity_number`).
- **Child or not** (``is_child``) must agree with the age on the day the plan starts:
  under :data:`ADULT_AGE` (18) is a child.
- **Who consents**: a child under :data:`OWN_CONSENT_AGE` (15) cannot consent on their
  own: a guardian (vårdnadshavare) must. From 15 a young person may consent themselves
  (from 15 they speak for themselves in social-services matters, 11 kap. 10 § SoL, and
  health care weighs their maturity, 6 kap. 12 § OSL; the caseworker judges maturity) or
  the guardian may. An adult (18 or older) has no vårdnadshavare, so their consent is
  their own. The age counts on the day consent is given.
- **Times of events** (start, consent, invitation, answer, meeting, closing) lie on or
  after :data:`EARLIEST_EVENT` and the date of birth, and not in the future, except
  meetings, which may be booked up to :data:`MEETING_HORIZON` ahead.
- **Dates in the plan** (interventions from–to, follow-up dates) lie on or after the date
  of birth (interventions) or :data:`EARLIEST_EVENT` (follow-ups), and at most
  :data:`PLAN_HORIZON` ahead.

Unknown date of birth (reserve numbers): only the fixed window applies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Final

from django.utils import timezone
from django.utils.translation import gettext as _

from datasmart.sip.domain.errors import SipValidationError
from datasmart.sip.domain.schemas import PlanContent

__all__ = [
    "ADULT_AGE",
    "EARLIEST_BIRTH",
    "EARLIEST_EVENT",
    "MEETING_HORIZON",
    "OWN_CONSENT_AGE",
    "PLAN_HORIZON",
    "age_on",
    "check_birth_date",
    "check_consent_giver",
    "check_event_time",
    "check_is_child",
    "check_plan_dates",
]

#: The earliest date of birth accepted for a new plan.
EARLIEST_BIRTH: Final = dt.date(1900, 1, 1)
#: SIP came into law on this day (2 kap. 7 § SoL, 16 kap. 4 § HSL, SFS 2009:981/2009:982).
EARLIEST_EVENT: Final = dt.date(2010, 1, 1)
#: Under this age the plan is about a child.
ADULT_AGE: Final = 18
#: From this age a young person may give consent themselves (see the module docstring).
OWN_CONSENT_AGE: Final = 15
#: How far ahead a meeting may be booked.
MEETING_HORIZON: Final = dt.timedelta(days=2 * 365)
#: How far ahead dates in the plan (interventions, follow-ups) may lie.
PLAN_HORIZON: Final = dt.timedelta(days=10 * 365)
#: Clock skew allowed for "not in the future".
_SKEW: Final = dt.timedelta(minutes=5)


def _day(value: dt.date) -> str:
    return value.isoformat()  # zero-padded also for year 1 (strftime is not)


def _local_date(value: dt.datetime | dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


def age_on(birth: dt.date, day: dt.date) -> int:
    """Whole years from ``birth`` to ``day`` (a birthday on 29 February counts from
    1 March in other years, as Swedish practice does)."""
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years


def check_birth_date(birth: dt.date | None, field: str) -> None:
    """A date of birth a plan can be about: from :data:`EARLIEST_BIRTH`, not ahead."""
    if birth is None:
        return
    if birth < EARLIEST_BIRTH:
        raise SipValidationError(
            _(
                "Födelsedatumet %(birth)s är orimligt tidigt: en SIP kan bara gälla den som "
                "är född %(earliest)s eller senare."
            )
            % {"birth": _day(birth), "earliest": _day(EARLIEST_BIRTH)},
            field=field,
        )
    if birth > timezone.localdate():
        raise SipValidationError(_("Födelsedatumet ligger i framtiden."), field=field)


def check_is_child(
    birth: dt.date | None, is_child: bool, field: str = "is_child", on: dt.date | None = None
) -> None:
    """``is_child`` agrees with the age on ``on`` (default today), when birth is known."""
    if birth is None:
        return
    age = age_on(birth, on or timezone.localdate())
    if is_child and age >= ADULT_AGE:
        raise SipValidationError(
            _(
                "Personen är %(age)d år enligt personnumret (född %(birth)s) och är alltså "
                "inte ett barn. Svara nej på frågan om planen gäller ett barn."
            )
            % {"age": age, "birth": _day(birth)},
            field=field,
        )
    if not is_child and age < ADULT_AGE:
        raise SipValidationError(
            _(
                "Personen är %(age)d år enligt personnumret (född %(birth)s), alltså ett barn. "
                "Svara ja på frågan om planen gäller ett barn."
            )
            % {"age": age, "birth": _day(birth)},
            field=field,
        )


def check_consent_giver(
    birth: dt.date | None, given_by: str, field: str = "given_by", on: dt.date | None = None
) -> None:
    """Who may consent at the person's age on ``on`` (default today); see the module
    docstring. ``given_by`` is ``person`` or ``guardian``."""
    if birth is None:
        return
    age = age_on(birth, on or timezone.localdate())
    if given_by == "person" and age < OWN_CONSENT_AGE:
        raise SipValidationError(
            _(
                "Personen är %(age)d år. Ett barn under %(limit)d år kan inte själv samtycka: "
                "vårdnadshavaren ger samtycket."
            )
            % {"age": age, "limit": OWN_CONSENT_AGE},
            field=field,
        )
    if given_by == "guardian" and age >= ADULT_AGE:
        raise SipValidationError(
            _(
                "Personen är %(age)d år och har ingen vårdnadshavare: en vuxen ger sitt "
                "samtycke själv."
            )
            % {"age": age},
            field=field,
        )


def check_event_time(
    value: dt.datetime | dt.date,
    field: str,
    *,
    birth: dt.date | None = None,
    not_before: dt.datetime | dt.date | None = None,
    ahead: dt.timedelta | None = None,
    floor: dt.date = EARLIEST_EVENT,
) -> None:
    """A time something happened (or is booked) in a plan.

    From ``floor`` (:data:`EARLIEST_EVENT`, when SIP came into law), the date of birth
    and ``not_before`` (e.g. the start of the plan for its closing), and not in the
    future, or at most ``ahead`` into it.
    """
    day = _local_date(value)
    if floor == EARLIEST_EVENT:
        earliest, why = floor, _("SIP infördes %(day)s") % {"day": _day(floor)}
    else:
        earliest, why = floor, _("det är före %(day)s") % {"day": _day(floor)}
    if birth is not None and birth > earliest:
        earliest, why = birth, _("personen föddes %(day)s") % {"day": _day(birth)}
    if not_before is not None and _local_date(not_before) > earliest:
        earliest = _local_date(not_before)
        why = _("det är före %(day)s") % {"day": _day(earliest)}
    if day < earliest:
        raise SipValidationError(
            _("Datumet %(day)s är orimligt: %(why)s.") % {"day": _day(day), "why": why},
            field=field,
        )
    now = timezone.now()
    if ahead is None:
        moment = (
            value
            if isinstance(value, dt.datetime) and timezone.is_aware(value)
            else timezone.make_aware(dt.datetime.combine(day, dt.time()))
        )
        if moment > now + _SKEW:
            raise SipValidationError(
                _("Datumet %(day)s ligger i framtiden; det kan bara gälla något som redan hänt.")
                % {"day": _day(day)},
                field=field,
            )
    elif day > timezone.localdate(now + ahead):
        raise SipValidationError(
            _("Datumet %(day)s ligger för långt fram: högst %(limit)s.")
            % {"day": _day(day), "limit": _day(timezone.localdate(now + ahead))},
            field=field,
        )


def _plan_problems(
    plan: PlanContent, birth: dt.date | None, prefix: str
) -> Iterable[SipValidationError]:
    def path(name: str) -> str:
        return f"{prefix}.{name}" if prefix else name

    for i, item in enumerate(plan.interventions):
        for name in ("start", "end"):
            value = getattr(item, name)
            if value is None:
                continue
            try:
                check_event_time(
                    value,
                    path(f"interventions[{i}].{name}"),
                    birth=birth,
                    ahead=PLAN_HORIZON,
                    floor=EARLIEST_BIRTH,
                )
            except SipValidationError as exc:
                yield exc
    for i, day in enumerate(plan.follow_up_dates):
        try:
            check_event_time(day, path(f"follow_up_dates[{i}]"), birth=birth, ahead=PLAN_HORIZON)
        except SipValidationError as exc:
            yield exc


def check_plan_dates(plan: PlanContent, birth: dt.date | None, prefix: str = "") -> None:
    """Every date in the plan's content (see the module docstring); all problems at once
    in ``.errors``, each naming its field (``interventions[0].start``)."""
    problems = list(_plan_problems(plan, birth, prefix))
    if problems:
        errors = [(p.field or "", p.message) for p in problems]
        raise SipValidationError(problems[0].message, field=problems[0].field, errors=errors)
