"""SIP reminders, sent by a once-a-day job (``datasmart sip remind``).

Two kinds, both for ongoing plans only:

- **follow-up**: a follow-up meeting not yet held is scheduled within the next
  ``follow_up_days`` (default ``settings.SIP_REMIND_FOLLOW_UP_DAYS``, 7). The
  coordinator and every participant with an e-mail address who has not declined get
  one reminder per meeting (a rescheduled meeting is a new one).
- **unanswered**: participants invited more than ``unanswered_days`` ago (default
  ``settings.SIP_REMIND_UNANSWERED_DAYS``, 3) have not answered, and the plan has a
  meeting ahead. Each such participant with an address, and the coordinator, get a
  reminder; again at most every ``unanswered_days`` days while it stays unanswered.

The coordinator is the plan's ``coordinator_user``, or the user who started the plan
when none is set (active users with an address only).

Like :mod:`datasmart.funding.services.reminders`: Django's ``send_mail`` (the console
backend in development), one mail per address so recipients do not see each other, and a
:class:`~datasmart.sip.models.SipReminder` row created in the same transaction as the
mails are sent. Its unique constraint (kind, subject, day) means a second run the same
day — even two at once — sends nothing more.

Mails carry **no personal data**: no identity number, no name, no need, no place. A plan
is named by a short reference (the first 8 characters of its id, ``SIP 1A2B3C4D``) and a
link to ``/sip/<id>/``, where the reader must sign in and pass the need-to-know check.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from datasmart.accounts.audit import SYSTEM, record_event
from datasmart.sip.models import (
    Meeting,
    MeetingKind,
    Participant,
    ParticipantKind,
    ParticipantStatus,
    ReminderKind,
    Sip,
    SipReminder,
    SipStatus,
)

__all__ = [
    "RESULT_COLUMNS",
    "ReminderResult",
    "follow_up_days",
    "plan_reference",
    "send_sip_reminders",
    "unanswered_days",
]

RESULT_COLUMNS: Final = ("kind", "plan", "when", "result", "addresses")
KIND_LABELS: Final = {
    ParticipantKind.ORGANISATION: "organisation",
    ParticipantKind.PERSON: "personen",
    ParticipantKind.GUARDIAN: "vårdnadshavare",
    ParticipantKind.RELATIVE: "närstående",
    ParticipantKind.OTHER: "annan deltagare",
}


def follow_up_days() -> int:
    return int(getattr(settings, "SIP_REMIND_FOLLOW_UP_DAYS", 7))


def unanswered_days() -> int:
    return int(getattr(settings, "SIP_REMIND_UNANSWERED_DAYS", 3))


def plan_reference(sip_id: Any) -> str:
    """A short, non-personal name for a plan in mails: ``SIP 1A2B3C4D``."""
    return f"SIP {str(sip_id).replace('-', '')[:8].upper()}"


def plan_url(sip_id: Any) -> str:
    base = getattr(settings, "DATASMART_SITE_URL", "").rstrip("/")
    return f"{base}/sip/{sip_id}/"


@dataclass(frozen=True)
class ReminderResult:
    kind: str
    plan: str  # the short reference, never the person
    when: str  # meeting time (follow-up) or the invitation date (unanswered)
    result: str  # "sent" | "already" | "no_address" | "dry_run"
    addresses: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "plan": self.plan,
            "when": self.when,
            "result": self.result,
            "addresses": self.addresses,
        }


@dataclass(frozen=True)
class _Mail:
    address: str
    subject: str
    body: str


def _coordinator_addresses(sips: Iterable[Sip]) -> dict[Any, list[str]]:
    out: dict[Any, list[str]] = {}
    for sip in sips:
        user = sip.coordinator_user or sip.started_by
        ok = user is not None and user.is_active and bool(user.email)
        out[sip.pk] = [user.email] if ok and user is not None else []
    return out


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d kl. %H:%M")


FOOTER: Final = (
    "\n\nDet här är ett automatiskt meddelande från datasmart. Av sekretesskäl står inga "
    "personuppgifter i meddelandet: logga in och öppna planen via länken.\n"
)


#: For invitees who are not staff (the person, a guardian, relatives): the plan's staff
#: page would only ask them to sign in, so their mails point back to their invitation.
NO_STAFF_LINK: Final = (
    "Har du frågor, kontakta den som bjöd in dig. Planen ser du via länken i din inbjudan."
)


def _follow_up_mails(meeting: Meeting, staff: list[str], others: list[str]) -> list[_Mail]:
    """Staff get the plan's page; the person and other invitees get no staff link."""
    ref = plan_reference(meeting.sip_id)
    subject = f"Påminnelse: uppföljningsmöte {ref} {_local(meeting.scheduled_at)}"
    text = (
        f"Hej!\n\nEtt uppföljningsmöte för den samordnade individuella planen {ref} är "
        f"planerat {_local(meeting.scheduled_at)}."
    )
    to_staff = text + f"\n\nPlanen: {plan_url(meeting.sip_id)}" + FOOTER
    to_others = text + f"\n\n{NO_STAFF_LINK}" + FOOTER
    mails = [_Mail(a, subject, to_staff) for a in staff]
    mails += [_Mail(a, subject, to_others) for a in others if a not in staff]
    return mails


def _unanswered_mails(sip: Sip, waiting: list[Participant], coordinator: list[str]) -> list[_Mail]:
    ref = plan_reference(sip.pk)
    url = plan_url(sip.pk)
    mails: list[_Mail] = []
    asked = (
        f"Hej!\n\nDu har bjudits in till ett möte om den samordnade individuella planen {ref} "
        "men vi har inte fått något svar."
    )
    to_staff_invitee = asked + f" Svara om du kan delta: {url}" + FOOTER
    to_other_invitee = asked + f" {NO_STAFF_LINK}" + FOOTER
    for p in waiting:
        if p.email:
            body = to_staff_invitee if p.kind == ParticipantKind.ORGANISATION else to_other_invitee
            mails.append(_Mail(p.email, f"Påminnelse: svara på inbjudan till {ref}", body))
    labels = sorted(
        {p.unit_name if p.kind == ParticipantKind.ORGANISATION and p.unit_name
         else KIND_LABELS.get(ParticipantKind(p.kind), "deltagare") for p in waiting}
    )  # fmt: skip
    to_coordinator = (
        f"Hej!\n\n{len(waiting)} inbjudna till mötet om den samordnade individuella planen "
        f"{ref} har inte svarat ({', '.join(labels)}).\n\nPlanen: {url}" + FOOTER
    )
    mails += [_Mail(a, f"Obesvarade inbjudningar: {ref}", to_coordinator) for a in coordinator]
    seen: set[str] = set()
    unique = []
    for m in mails:  # an address gets one mail per reminder
        if m.address.lower() not in seen:
            seen.add(m.address.lower())
            unique.append(m)
    return unique


def _send(
    *,
    sip_id: Any,
    kind: ReminderKind,
    subject_key: str,
    mails: list[_Mail],
    today: dt.date,
    dry_run: bool,
    by: Any,
    result: Any,
    since: dt.date | None,
) -> ReminderResult:
    """Send ``mails`` as one reminder unless it was sent today (or on/after ``since``)."""
    sent = SipReminder.objects.filter(kind=kind, subject_key=subject_key)
    if since is not None:
        sent = sent.filter(sent_on__gte=since)
    if sent.filter(sent_on__lte=today).exists():
        return result("already", len(mails))
    if not mails:
        return result("no_address", 0)
    if dry_run:
        return result("dry_run", len(mails))
    try:
        with transaction.atomic():
            reminder = SipReminder.objects.create(
                sip_id=sip_id,
                kind=kind,
                subject_key=subject_key,
                sent_on=today,
                addresses=len(mails),
            )
            for mail in mails:  # one mail each: recipients do not see each other
                send_mail(mail.subject, mail.body, None, [mail.address])
            record_event(
                "sip.reminder.send",
                actor=by,
                target=reminder,
                detail={
                    "kind": str(kind),
                    "plan": plan_reference(sip_id),
                    "addresses": len(mails),
                    "date": today.isoformat(),
                },
            )
    except IntegrityError:  # another run sent it a moment ago
        return result("already", len(mails))
    return result("sent", len(mails))


def send_sip_reminders(
    *,
    now: dt.datetime | None = None,
    follow_up_within: int | None = None,
    unanswered_after: int | None = None,
    dry_run: bool = False,
    by: Any = SYSTEM,
) -> list[ReminderResult]:
    """Send the day's follow-up and unanswered-invitation reminders (see the module doc).

    ``now`` defaults to the current time; ``follow_up_within`` and ``unanswered_after``
    (days) to the settings. Returns one result per reminder considered.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    ahead = follow_up_days() if follow_up_within is None else follow_up_within
    waited = unanswered_days() if unanswered_after is None else unanswered_after
    if ahead < 0 or waited < 0:
        raise ValueError("Antalet dagar kan inte vara negativt.")
    results: list[ReminderResult] = []

    meetings = list(
        Meeting.objects.filter(
            kind=MeetingKind.FOLLOW_UP,
            held_at__isnull=True,
            scheduled_at__gt=now,
            scheduled_at__lte=now + dt.timedelta(days=ahead),
            sip__status=SipStatus.ACTIVE,
        )
        .select_related("sip__coordinator_user", "sip__started_by")
        .order_by("scheduled_at", "id")
    )
    sips = {m.sip_id: m.sip for m in meetings}
    staff_invitees: dict[Any, list[str]] = defaultdict(list)
    other_invitees: dict[Any, list[str]] = defaultdict(list)
    for sip_id, email, kind in (
        Participant.objects.filter(sip_id__in=list(sips))
        .exclude(status=ParticipantStatus.DECLINED)
        .exclude(email="")
        .order_by("invited_at", "id")
        .values_list("sip_id", "email", "kind")
    ):
        target = staff_invitees if kind == ParticipantKind.ORGANISATION else other_invitees
        target[sip_id].append(email)
    coordinators = _coordinator_addresses(sips.values())
    for meeting in meetings:
        staff = list(dict.fromkeys(coordinators[meeting.sip_id] + staff_invitees[meeting.sip_id]))
        others = list(dict.fromkeys(other_invitees[meeting.sip_id]))
        when = _local(meeting.scheduled_at)
        key = f"meeting:{meeting.pk}:{meeting.scheduled_at.isoformat()}"

        def follow_result(
            kind: str, n: int, when: str = when, sip_id: Any = meeting.sip_id
        ) -> ReminderResult:
            return ReminderResult("follow_up", plan_reference(sip_id), when, kind, n)

        results.append(
            _send(
                sip_id=meeting.sip_id,
                kind=ReminderKind.FOLLOW_UP,
                subject_key=key,
                mails=_follow_up_mails(meeting, staff, others),
                today=today,
                dry_run=dry_run,
                by=by,
                result=follow_result,
                since=None,  # once per meeting and time
            )
        )

    upcoming = Meeting.objects.filter(
        sip_id=OuterRef("sip_id"), held_at__isnull=True, scheduled_at__gt=now
    )
    waiting = list(
        Participant.objects.filter(
            Q(status=ParticipantStatus.INVITED)
            & Q(invited_at__lte=now - dt.timedelta(days=waited))
            & Q(sip__status=SipStatus.ACTIVE)
        )
        .filter(Exists(upcoming))
        .select_related("sip__coordinator_user", "sip__started_by")
        .order_by("sip_id", "invited_at", "id")
    )
    by_sip: dict[Any, list[Participant]] = defaultdict(list)
    for p in waiting:
        by_sip[p.sip_id].append(p)
    plans = {p.sip_id: p.sip for p in waiting}
    coordinators = _coordinator_addresses(plans.values())
    for sip_id, group in by_sip.items():
        oldest = min(p.invited_at for p in group)

        def unanswered_result(
            kind: str, n: int, sip_id: Any = sip_id, oldest: dt.datetime = oldest
        ) -> ReminderResult:
            return ReminderResult("unanswered", plan_reference(sip_id), _local(oldest), kind, n)

        results.append(
            _send(
                sip_id=sip_id,
                kind=ReminderKind.UNANSWERED,
                subject_key=f"sip:{sip_id}",
                mails=_unanswered_mails(plans[sip_id], group, coordinators[sip_id]),
                today=today,
                dry_run=dry_run,
                by=by,
                result=unanswered_result,
                # again at most every `waited` days while nobody answers
                since=today - dt.timedelta(days=max(waited, 1) - 1),
            )
        )
    return results
