"""Reminders to recipients that have not submitted a reporting survey.

:func:`remind_rows` lists every expected respondent that has not submitted (with the
addresses of its users who may report); :func:`send_reminders` e-mails the late ones with
Django's ``send_mail`` (the console backend in development), each address in its user's
language (:attr:`datasmart.accounts.models.User.language`). At most one reminder per
survey, recipient and day: a :class:`~datasmart.funding.models.Reminder` row is created in
the same transaction as the mail is sent, so running the command again the same day (from
cron or a task queue, even twice at once) sends nothing more.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Final

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from datasmart.accounts.audit import SYSTEM, record_event
from datasmart.accounts.models import Membership
from datasmart.accounts.permissions import ROLE_PERMISSIONS, Permission

from ..models import Agreement, Reminder, Survey
from .followup import completeness

REMIND_COLUMNS: Final = (
    "survey",
    "unit_code",
    "unit_name",
    "status",
    "late",
    "due_date",
    "emails",
)
STATUS_LABELS: Final = {
    "submitted": gettext_lazy("Inskickad"),
    "draft": gettext_lazy("Utkast"),
    "missing": gettext_lazy("Inte påbörjad"),
}


def reporters(unit_codes: list[str]) -> dict[str, dict[str, str]]:
    """Unit code → address → language of the active users who may report for the unit
    (``REPORT_FUNDING`` roles). Two users sharing an address: the first user's language."""
    roles = [r.value for r, perms in ROLE_PERMISSIONS.items() if Permission.REPORT_FUNDING in perms]
    out: dict[str, dict[str, str]] = {code: {} for code in unit_codes}
    rows = (
        Membership.objects.filter(
            organisation__unit__code__in=unit_codes, role__in=roles, user__is_active=True
        )
        .order_by("user_id")
        .values_list("organisation__unit__code", "user__email", "user__language")
    )
    for code, email, language in rows:
        if email:
            out[code].setdefault(email, language)
    return out


def reporter_emails(unit_codes: list[str]) -> dict[str, list[str]]:
    """Addresses of active users who may report for each unit (``REPORT_FUNDING`` roles)."""
    return {code: sorted(found) for code, found in reporters(unit_codes).items()}


@dataclass(frozen=True)
class RemindRow:
    survey: Survey
    unit_code: str
    unit_name: str
    status: str
    late: bool
    emails: list[str]
    #: address → the language to write to it in (``sv`` when not listed)
    languages: dict[str, str] = field(default_factory=dict, compare=False)

    def language(self, email: str) -> str:
        found = self.languages.get(email, "")
        known = {code for code, _name in settings.LANGUAGES}
        return found if found in known else settings.LANGUAGE_CODE

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    def as_dict(self) -> dict[str, Any]:
        return {
            "survey": self.survey.code,
            "unit_code": self.unit_code,
            "unit_name": self.unit_name,
            "status": self.status,
            "late": self.late,
            "due_date": self.survey.due_date.isoformat(),
            "emails": " ".join(self.emails),
        }


def remind_rows(
    survey: Survey, *, today: dt.date | None = None, only_late: bool = False
) -> list[RemindRow]:
    """Expected respondents that have not submitted (draft or not started), late first."""
    rows = [r for r in completeness(survey, today=today).rows if r.status != "submitted"]
    if only_late:
        rows = [r for r in rows if r.late]
    found = reporters([r.unit_code for r in rows])
    out = [
        RemindRow(
            survey,
            r.unit_code,
            r.unit_name,
            r.status,
            r.late,
            sorted(found[r.unit_code]),
            found[r.unit_code],
        )
        for r in rows
    ]
    out.sort(key=lambda r: (not r.late, r.unit_code))
    return out


@dataclass(frozen=True)
class ReminderResult:
    survey: str
    unit_code: str
    unit_name: str
    result: str  # "sent" | "already" | "no_address" | "dry_run"
    addresses: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "survey": self.survey,
            "unit_code": self.unit_code,
            "unit_name": self.unit_name,
            "result": self.result,
            "addresses": self.addresses,
        }


RESULT_COLUMNS: Final = ("survey", "unit_code", "unit_name", "result", "addresses")


def _message(survey: Survey, row: RemindRow, language: str) -> tuple[str, str]:
    """Subject and body in ``language``: the survey, the recipient, the due date, a link."""
    path = reverse("funding:answer", args=[survey.agreement.year, survey.code, row.unit_code])
    base = getattr(settings, "DATASMART_SITE_URL", "").rstrip("/")
    values = {
        "survey": survey.title,
        "unit": row.unit_name,
        "year": survey.agreement.year,
        "date": f"{survey.due_date:%Y-%m-%d}",
        "url": f"{base}{path}",
    }
    with translation.override(language):
        subject = _("Påminnelse: %(survey)s (%(unit)s)") % values
        body = "\n\n".join(
            [
                _("Hej!"),
                _(
                    "%(unit)s har inte skickat in enkäten '%(survey)s' inom överenskommelsen "
                    "%(year)s. Sista dag var %(date)s."
                )
                % values,
                _("Fyll i och skicka in svaret här: %(url)s") % values,
                _(
                    "Det här är ett automatiskt meddelande från datasmart; du får högst en "
                    "påminnelse per dag."
                ),
            ]
        )
    return subject, body + "\n"


def send_reminders(
    agreements: list[Agreement],
    *,
    survey_code: str | None = None,
    today: dt.date | None = None,
    dry_run: bool = False,
    by: Any = SYSTEM,
) -> list[ReminderResult]:
    """E-mail the users of every recipient that is late with a survey, once per day."""
    today = today or timezone.localdate()
    results: list[ReminderResult] = []
    for agreement in agreements:
        surveys = agreement.surveys.filter(due_date__lt=today)
        if survey_code is not None:
            surveys = surveys.filter(code=survey_code)
        for survey in surveys:
            for row in remind_rows(survey, today=today, only_late=True):
                results.append(_remind_one(survey, row, today=today, dry_run=dry_run, by=by))
    return results


def _remind_one(
    survey: Survey, row: RemindRow, *, today: dt.date, dry_run: bool, by: Any
) -> ReminderResult:
    def result(kind: str) -> ReminderResult:
        return ReminderResult(survey.code, row.unit_code, row.unit_name, kind, len(row.emails))

    if Reminder.objects.filter(survey=survey, unit__code=row.unit_code, sent_on=today).exists():
        return result("already")
    if not row.emails:
        return result("no_address")
    if dry_run:
        return result("dry_run")
    try:
        with transaction.atomic():
            reminder = Reminder.objects.create(
                survey=survey,
                unit_id=_unit_pk(row.unit_code),
                sent_on=today,
                addresses=len(row.emails),
            )
            texts: dict[str, tuple[str, str]] = {}
            for email in row.emails:  # one mail each: recipients do not see each other
                language = row.language(email)
                if language not in texts:
                    texts[language] = _message(survey, row, language)
                subject, body = texts[language]
                send_mail(subject, body, None, [email])
            record_event(
                "funding.reminder.send",
                actor=by,
                target=reminder,
                detail={
                    "survey": survey.code,
                    "unit": row.unit_code,
                    "addresses": len(row.emails),
                    "date": today.isoformat(),
                },
            )
    except IntegrityError:  # another run sent it a moment ago
        return result("already")
    return result("sent")


def _unit_pk(code: str) -> int:
    from datasmart.geo.models import Unit

    return int(Unit.objects.values_list("pk", flat=True).get(code=code))
