"""Reminders before a plan's follow-up date, sent by a once-a-day job (``datasmart plans
remind``; see docs/deployment.md).

Which plans: agreed, active or followed-up plans (not drafts, not closed, not a version
replaced by a newer agreed one) whose ``next_follow_up`` lies from today up to ``days``
ahead (default ``settings.PLANS_REMIND_DAYS``, 14). Two stages, each sent once per plan
and follow-up date: *ahead* (the first run inside the window) and *soon* (again when the
date is at most :data:`SOON_DAYS` days away, so a plan first seen 2 days ahead gets one
mail, not two). A moved follow-up date is a new date and is reminded again.

Who: the users who prepare the plan — the owner organisation's editors
(:data:`datasmart.plans.rights.EDIT_ROLES`) — and, for a joint län plan, the coordinators
(:data:`~datasmart.plans.rights.APPROVE_ROLES`) of every party that has not left. Active
users with an e-mail address only; a member without one of those roles gets nothing.

Like :mod:`datasmart.sip.jobs.reminders` and :mod:`datasmart.funding.services.reminders`:
Django's ``send_mail`` (the console backend in development), one mail per address so
recipients do not see each other, and a :class:`~datasmart.plans.models.PlanReminder` row
created in the same transaction as the mails, whose unique constraint makes a second run
send nothing.

Mails name the plan (title, owner, follow-up date) and link to its page, where reading
follows the plan's visibility; they carry no personal data (no names of approvers, no
addresses of others). Each mail is in its recipient's language
(:attr:`datasmart.accounts.models.User.language`, stored when the user switches language on
the site; Swedish, the site's default, until then).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Final

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from datasmart.accounts.audit import SYSTEM, record_event
from datasmart.accounts.models import Membership

from .models import ActionPlan, PlanParty, PlanReminder, PlanStatus, ReminderStage
from .rights import APPROVE_ROLES, EDIT_ROLES

__all__ = [
    "RESULT_COLUMNS",
    "SOON_DAYS",
    "ReminderResult",
    "recipient_language",
    "remind_days",
    "send_plan_reminders",
]

#: The second reminder goes when the follow-up is at most this many days away.
SOON_DAYS: Final = 3
#: Statuses whose plans are followed up (a draft is not yet in force, a closed plan is done).
FOLLOWED_STATUSES: Final = (PlanStatus.AGREED, PlanStatus.ACTIVE, PlanStatus.FOLLOWED_UP)
RESULT_COLUMNS: Final = ("plan", "title", "follow_up", "stage", "result", "addresses")


def remind_days() -> int:
    return int(getattr(settings, "PLANS_REMIND_DAYS", 14))


def recipient_language(user: Any) -> str:
    """The language to write to ``user`` in: their preference (``User.language``) if it is
    a site language, else the site's default (Swedish)."""
    wanted = str(getattr(user, "language", "") or "")
    known = {code for code, _name in settings.LANGUAGES}
    return wanted if wanted in known else settings.LANGUAGE_CODE


@dataclass(frozen=True)
class ReminderResult:
    plan: int
    title: str
    follow_up: str
    stage: str
    result: str  # "sent" | "already" | "no_address" | "dry_run"
    addresses: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "title": self.title,
            "follow_up": self.follow_up,
            "stage": self.stage,
            "result": self.result,
            "addresses": self.addresses,
        }


@dataclass(frozen=True)
class _Recipient:
    email: str
    language: str


def _due_plans(today: dt.date, days: int) -> list[ActionPlan]:
    # a version replaced by a newer one that is in force is followed up through that one
    replaced = ActionPlan.objects.filter(
        previous=OuterRef("pk"), status__in=[*FOLLOWED_STATUSES, PlanStatus.CLOSED]
    )
    return list(
        ActionPlan.objects.filter(
            status__in=FOLLOWED_STATUSES,
            next_follow_up__gte=today,
            next_follow_up__lte=today + dt.timedelta(days=days),
        )
        .exclude(Exists(replaced))
        .select_related("owner")
        .order_by("next_follow_up", "pk")
    )


def _recipients(plans: list[ActionPlan]) -> dict[int, list[_Recipient]]:
    """Plan id → its recipients (deduplicated by address, owner's editors first); two
    queries for all plans."""
    owner_of = {p.pk: p.owner_id for p in plans}
    parties: dict[int, list[int]] = defaultdict(list)
    for plan_id, org_id in PlanParty.objects.filter(
        plan_id__in=list(owner_of), left_at__isnull=True, plan__lan__isnull=False
    ).values_list("plan_id", "organisation_id"):
        parties[plan_id].append(org_id)
    org_ids = set(owner_of.values()) | {o for orgs in parties.values() for o in orgs}
    by_org: dict[tuple[int, str], list[_Recipient]] = defaultdict(list)
    members = (
        Membership.objects.filter(
            organisation_id__in=org_ids,
            role__in=[r.value for r in EDIT_ROLES | APPROVE_ROLES],
            user__is_active=True,
        )
        .exclude(user__email="")
        .select_related("user")
        .order_by("user__email")
    )
    for m in members:
        by_org[(m.organisation_id, m.role)].append(
            _Recipient(m.user.email, recipient_language(m.user))
        )
    out: dict[int, list[_Recipient]] = {}
    for plan_id, owner_id in owner_of.items():
        found = [r for role in EDIT_ROLES for r in by_org[(owner_id, role.value)]]
        for org_id in parties[plan_id]:
            found += [r for role in APPROVE_ROLES for r in by_org[(org_id, role.value)]]
        seen: set[str] = set()
        unique = []
        for r in sorted(found, key=lambda r: r.email.lower()):
            if r.email.lower() not in seen:
                seen.add(r.email.lower())
                unique.append(r)
        out[plan_id] = unique
    return out


def _stage(today: dt.date, follow_up: dt.date) -> ReminderStage:
    return ReminderStage.SOON if (follow_up - today).days <= SOON_DAYS else ReminderStage.AHEAD


def plan_url(plan: ActionPlan) -> str:
    base = getattr(settings, "DATASMART_SITE_URL", "").rstrip("/")
    return f"{base}{reverse('plans:detail', args=[plan.pk])}"


def _message(plan: ActionPlan, today: dt.date, language: str) -> tuple[str, str]:
    """Subject and body in ``language``: the plan, its owner, the date and a link."""
    with translation.override(language):
        left = (plan.next_follow_up - today).days if plan.next_follow_up else 0
        values = {
            "title": plan.title,
            "owner": plan.owner.name,
            "date": f"{plan.next_follow_up:%Y-%m-%d}",
            "days": left,
        }
        subject = _("Påminnelse: uppföljning av %(title)s %(date)s") % values
        body = "\n\n".join(
            [
                _("Hej!"),
                _(
                    "Handlingsplanen %(title)s (%(owner)s) ska följas upp %(date)s, om "
                    "%(days)s dagar."
                )
                % values,
                _("Planen och dess uppföljning: %(url)s") % {"url": plan_url(plan)},
                _(
                    "Du får meddelandet för att du förbereder planen eller godkänner den för "
                    "en part. Det här är ett automatiskt meddelande från datasmart; du får "
                    "högst två påminnelser per uppföljningsdag."
                ),
            ]
        )
    return subject, body + "\n"


def send_plan_reminders(
    *,
    now: dt.datetime | None = None,
    days: int | None = None,
    dry_run: bool = False,
    by: Any = SYSTEM,
) -> list[ReminderResult]:
    """Send the day's follow-up reminders (see the module doc); one result per plan due."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    ahead = remind_days() if days is None else days
    if not 0 <= ahead <= 365:
        raise ValueError(f"--days ska vara ett antal dagar 0–365, inte {ahead}.")
    plans = _due_plans(today, ahead)
    recipients = _recipients(plans)
    return [
        _remind_one(plan, recipients[plan.pk], today=today, dry_run=dry_run, by=by)
        for plan in plans
    ]


def _remind_one(
    plan: ActionPlan, recipients: list[_Recipient], *, today: dt.date, dry_run: bool, by: Any
) -> ReminderResult:
    assert plan.next_follow_up is not None
    follow_up = plan.next_follow_up
    stage = _stage(today, follow_up)

    def result(kind: str) -> ReminderResult:
        return ReminderResult(
            plan.pk, plan.title, follow_up.isoformat(), stage.value, kind, len(recipients)
        )

    sent = PlanReminder.objects.filter(plan=plan, follow_up_on=follow_up)
    # the "soon" stage covers "ahead": a plan first seen three days ahead gets one mail
    if sent.filter(stage__in=[stage, ReminderStage.SOON]).exists():
        return result("already")
    if not recipients:
        return result("no_address")
    if dry_run:
        return result("dry_run")
    try:
        with transaction.atomic():
            reminder = PlanReminder.objects.create(
                plan=plan,
                follow_up_on=follow_up,
                stage=stage,
                sent_on=today,
                addresses=len(recipients),
            )
            texts: dict[str, tuple[str, str]] = {}
            for r in recipients:  # one mail each: recipients do not see each other
                if r.language not in texts:
                    texts[r.language] = _message(plan, today, r.language)
                subject, body = texts[r.language]
                send_mail(subject, body, None, [r.email])
            record_event(
                "plans.reminder.send",
                actor=by,
                organisation=plan.owner,
                target=reminder,
                detail={
                    "plan": plan.pk,
                    "follow_up": follow_up.isoformat(),
                    "stage": stage.value,
                    "addresses": len(recipients),
                    "date": today.isoformat(),
                },
            )
    except IntegrityError:  # another run sent it a moment ago
        return result("already")
    return result("sent")
