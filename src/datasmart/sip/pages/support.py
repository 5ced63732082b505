"""Helpers for the SIP pages (``views``, ``views_edit``, ``person_views``).

The pages are thin: they turn a request into an *actor* and call
:mod:`datasmart.sip.services`, which checks access, logs and writes. This module holds
what the three view modules share:

- **who is acting**: :func:`staff_actor` (the organisation a user acts for, chosen on the
  list page when they belong to several) and :func:`person_actor` (an invitation-link
  session stored in the session, or the person's own account);
- **presentation**: plan content with organisation names, a plan's participants,
  meetings and consents for one page, a field-wise comparison ready for a template;
- **errors**: the "not found" page shown alike for unknown plans and plans the user may
  not see, and the error summary that links every problem to its field.

Reading a plan's related rows (participants, meetings …) here is part of the read that
``services.get_sip`` has just checked and logged; nothing is written outside the services.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from datasmart.accounts.audit import record_event_autonomous
from datasmart.accounts.models import Membership, Organisation
from datasmart.accounts.permissions import Permission, has_permission
from datasmart.sip.domain.access import LINK_SESSION, active_consent
from datasmart.sip.domain.actors import PersonActor, StaffActor
from datasmart.sip.models import (
    Consent,
    InvitationLink,
    Meeting,
    Participant,
    ParticipantKind,
    Person,
    PersonResponse,
    PlanVersion,
    Sip,
)
from datasmart.sip.services.links import token_digest

__all__ = [
    "ErrorItem",
    "PlanParts",
    "comparison_rows",
    "content_organisation_ids",
    "end_link_session",
    "error_summary",
    "link_is_open",
    "not_found",
    "organisation_names",
    "person_actor",
    "plan_parts",
    "present_content",
    "sip_organisations",
    "staff_actor",
    "start_link_session",
]

SESSION_ORGANISATION: Final = "sip_organisation_id"
SESSION_LINK: Final = "sip_link_session"

#: The plan's content fields in page order, with their labels.
CONTENT_FIELDS: Final = (
    ("goals", gettext_lazy("Mål, med personens egna ord")),
    ("needs", gettext_lazy("Behov")),
    ("interventions", gettext_lazy("Insatser")),
    ("others", gettext_lazy("Det här gör andra")),
    ("lead_organisation_id", gettext_lazy("Huvudansvar")),
    ("coordinator_name", gettext_lazy("Samordnare")),
    ("follow_up_dates", gettext_lazy("Uppföljning")),
)


# --- who is acting -------------------------------------------------------------------------


def sip_organisations(user: Any) -> list[Organisation]:
    """The organisations in which ``user`` may start or read plans (by role, not as a
    superuser: a superuser acts through a membership like anyone else)."""
    if not getattr(user, "is_authenticated", False):
        return []
    member_of = Membership.objects.filter(user_id=user.pk).values_list("organisation_id", flat=True)
    orgs = Organisation.objects.filter(pk__in=list(member_of)).order_by("name")
    return [
        org
        for org in orgs
        if has_permission(user, Permission.READ_SIP_PLANS, org)
        or has_permission(user, Permission.CREATE_SIP, org)
    ]


def chosen_organisation(request: HttpRequest, orgs: Sequence[Organisation]) -> Organisation:
    """The organisation picked in the session if still one of ``orgs``, else the first."""
    wanted = request.session.get(SESSION_ORGANISATION)
    for org in orgs:
        if org.pk == wanted:
            return org
    return orgs[0]


def staff_actor(request: HttpRequest) -> StaffActor | None:
    """``request.user`` acting for their chosen SIP organisation.

    A user without a SIP role acts for one of their other organisations so that the
    services decide (and audit) the refusal; a user who belongs to no organisation at all
    gets None (the caller shows "not found").
    """
    user = request.user
    orgs = sip_organisations(user)
    if orgs:
        return StaffActor(user, chosen_organisation(request, orgs))  # type: ignore[arg-type]
    membership = (
        Membership.objects.filter(user_id=user.pk or 0)
        .select_related("organisation")
        .order_by("organisation__name")
        .first()
    )
    if membership is None:
        return None
    return StaffActor(user, membership.organisation)  # type: ignore[arg-type]


def audit_no_organisation(request: HttpRequest, target: Any) -> None:
    """A signed-in user with no organisation asked for a plan: on record, like any denial."""
    record_event_autonomous(
        "sip.access_denied",
        actor=request.user,
        target_type="sip.sip",
        target_id=str(target)[:64],
        detail={"actor_kind": "staff", "reason": "no_organisation"},
        request=request,
    )


def start_link_session(request: HttpRequest, actor: PersonActor) -> None:
    """Remember a redeemed invitation link in the session (new session key, limited time).

    The key is rotated so that a session id known before the link was opened (fixation)
    cannot be used to read the plan. Only ids are stored; the services re-check the link
    on every request.
    """
    request.session.cycle_key()
    request.session[SESSION_LINK] = {
        "person": str(actor.person.pk),
        "link": str(actor.link_id),
        "sip": str(actor.sip_id),
        "kind": actor.participant_kind,
        "expires": (timezone.now() + LINK_SESSION).isoformat(),
    }
    if not request.user.is_authenticated:
        request.session.set_expiry(int(LINK_SESSION.total_seconds()))


def end_link_session(request: HttpRequest) -> None:
    request.session.pop(SESSION_LINK, None)


def _link_actor(request: HttpRequest) -> PersonActor | None:
    data = request.session.get(SESSION_LINK)
    if not isinstance(data, dict):
        return None
    expires = parse_datetime(str(data.get("expires", "")))
    if expires is None or expires <= timezone.now():
        end_link_session(request)
        return None
    try:
        link_id, sip_id = uuid.UUID(data["link"]), uuid.UUID(data["sip"])
        person = Person.objects.filter(pk=uuid.UUID(data["person"])).first()
    except (KeyError, TypeError, ValueError):
        end_link_session(request)
        return None
    if person is None:
        end_link_session(request)
        return None
    return PersonActor(
        person, "link", link_id=link_id, sip_id=sip_id, participant_kind=str(data.get("kind", ""))
    )


def _account_actor(request: HttpRequest) -> PersonActor | None:
    user = request.user
    if not (user.is_authenticated and user.is_active):
        return None
    person = Person.objects.filter(user_id=user.pk).first()
    return PersonActor(person, "account") if person is not None else None


def person_actor(request: HttpRequest, sip_id: uuid.UUID | None = None) -> PersonActor | None:
    """The person acting: the link session for ``sip_id`` if there is one, else the
    person's own account, else any link session (the services then say "not found")."""
    link = _link_actor(request)
    if link is not None and (sip_id is None or link.sip_id == sip_id):
        return link
    return _account_actor(request) or link


def link_is_open(secret: str) -> bool:
    """Whether an invitation link can still be opened (unused, not expired). A look only:
    nothing is marked used until the person presses the button (POST), so a mail client
    that fetches links to scan them does not use up the link."""
    if not secret or len(secret) > 200:
        return False
    return InvitationLink.objects.filter(
        token_digest=token_digest(secret),
        used_at__isnull=True,
        expires_at__gt=timezone.now(),
        sip__erased_at__isnull=True,
        sip__person__isnull=False,
    ).exists()


def not_found(request: HttpRequest, *, person: bool = False) -> HttpResponse:
    """The same page for an unknown plan and one the user may not see (principle 6)."""
    response = render(request, "sip/not_found.html", {"person_page": person}, status=404)
    response["Cache-Control"] = "no-store"
    return response


# --- presentation --------------------------------------------------------------------------


def organisation_names(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if isinstance(i, int)}
    if not wanted:
        return {}
    return dict(Organisation.objects.filter(pk__in=wanted).values_list("pk", "name"))


def content_organisation_ids(*contents: Mapping[str, Any] | None) -> set[int]:
    found: set[int] = set()
    for content in contents:
        if not content:
            continue
        for item in content.get("interventions") or []:
            if isinstance(item, Mapping) and isinstance(item.get("organisation_id"), int):
                found.add(item["organisation_id"])
        if isinstance(content.get("lead_organisation_id"), int):
            found.add(content["lead_organisation_id"])
    return found


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None


def _org_name(names: Mapping[int, str], org_id: Any) -> str:
    if org_id is None:
        return ""
    return names.get(org_id) or _("Organisation %(id)s") % {"id": org_id}


def present_content(
    content: Mapping[str, Any] | None, names: Mapping[int, str] | None = None
) -> dict[str, Any] | None:
    """Stored plan content with organisation names and real dates, for templates."""
    if content is None:
        return None
    if names is None:
        names = organisation_names(content_organisation_ids(content))
    return {
        "goals": list(content.get("goals") or []),
        "needs": list(content.get("needs") or []),
        "interventions": [
            {
                "title": item.get("title", ""),
                "organisation": _org_name(names, item.get("organisation_id")),
                "unit_name": item.get("unit_name", ""),
                "start": _date(item.get("start")),
                "end": _date(item.get("end")),
            }
            for item in content.get("interventions") or []
        ],
        "others": [
            {"who": item.get("who", ""), "what": item.get("what", "")}
            for item in content.get("others") or []
        ],
        "lead_organisation": _org_name(names, content.get("lead_organisation_id")),
        "coordinator_name": content.get("coordinator_name", ""),
        "follow_up_dates": [d for d in map(_date, content.get("follow_up_dates") or []) if d],
    }


@dataclass
class PlanParts:
    """Everything the plan page shows besides the ``Sip`` row itself."""

    latest: PlanVersion | None
    content: dict[str, Any] | None
    consent: Consent | None
    consents: list[Consent]
    participants: list[Participant]
    meetings: list[Meeting]
    responses: list[PersonResponse]
    next_meeting: Meeting | None = None
    consent_organisations: list[Organisation] = field(default_factory=list)
    #: Meetings whose time has come (today or earlier) and that are not marked as held.
    due_meeting_ids: set[int] = field(default_factory=set)


def plan_parts(sip: Sip) -> PlanParts:
    """The plan's current content and its related rows (after ``get_sip`` checked access)."""
    latest = sip.plan_versions.order_by("-number").first()
    consents = list(sip.consents.prefetch_related("organisations").order_by("-given_at", "-id"))
    consent = active_consent(sip)
    meetings = list(sip.meetings.order_by("scheduled_at", "id"))
    now = timezone.now()
    upcoming = [m for m in meetings if m.held_at is None and m.scheduled_at >= now]
    return PlanParts(
        latest=latest,
        content=present_content(latest.content) if latest else None,
        consent=consent,
        consents=consents,
        participants=list(sip.participants.select_related("organisation")),
        meetings=meetings,
        responses=list(sip.person_responses.select_related("plan_version").order_by("-created_at")),
        next_meeting=upcoming[0] if upcoming else None,
        consent_organisations=list(consent.organisations.order_by("name")) if consent else [],
        due_meeting_ids={
            m.pk
            for m in meetings
            if m.held_at is None and timezone.localdate(m.scheduled_at) <= timezone.localdate(now)
        },
    )


def next_meetings(sips: Sequence[Sip]) -> dict[uuid.UUID, Meeting]:
    """The next meeting not yet held, per plan (for the list)."""
    now = timezone.now()
    found: dict[uuid.UUID, Meeting] = {}
    for meeting in Meeting.objects.filter(
        sip__in=list(sips), held_at__isnull=True, scheduled_at__gte=now
    ).order_by("scheduled_at", "id"):
        found.setdefault(meeting.sip_id, meeting)
    return found


def plan_organisations(sip: Sip, *also: int | None) -> list[Organisation]:
    """The organisations a plan may name: the owner, those the active consent covers,
    invited organisations and any ``also`` ids (already named in the content)."""
    ids: set[int] = {sip.owner_organisation_id}
    consent = active_consent(sip)
    if consent is not None:
        ids.update(consent.organisations.values_list("pk", flat=True))
    ids.update(
        sip.participants.filter(organisation__isnull=False).values_list(
            "organisation_id", flat=True
        )
    )
    ids.update(i for i in also if isinstance(i, int))
    return list(Organisation.objects.filter(pk__in=ids).order_by("name"))


def participant_label(participant: Participant) -> str:
    if participant.kind == ParticipantKind.ORGANISATION:
        org = participant.organisation.name if participant.organisation else ""
        return f"{org} – {participant.unit_name}" if participant.unit_name else org
    return participant.name or participant.get_kind_display()


# --- comparison ----------------------------------------------------------------------------


def _key(item: Any) -> str:
    # The same key as datasmart.sip.domain.diff uses to decide what was added and removed.
    return json.dumps(item, sort_keys=True, ensure_ascii=False, default=str)


def _item_text(name: str, item: Any, names: Mapping[int, str]) -> str:
    if name == "interventions" and isinstance(item, Mapping):
        text = str(item.get("title", ""))
        org = _org_name(names, item.get("organisation_id"))
        unit = item.get("unit_name") or ""
        who = f"{org} ({unit})" if unit else org
        start, end = _date(item.get("start")), _date(item.get("end"))
        when = " – ".join(d.isoformat() for d in (start, end) if d)
        return " · ".join(part for part in (text, who, when) if part)
    if name == "others" and isinstance(item, Mapping):
        return f"{item.get('who', '')}: {item.get('what', '')}"
    return str(item)


def comparison_rows(diff: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``compare_versions(...)["fields"]`` as rows: label, changed, and the before/after
    items each marked ``added``/``removed``/unchanged."""
    fields = diff
    names = organisation_names(
        content_organisation_ids(
            {k: v.get("before") for k, v in fields.items()},
            {k: v.get("after") for k, v in fields.items()},
        )
    )
    rows: list[dict[str, Any]] = []
    for name, label in CONTENT_FIELDS:
        entry = fields.get(name)
        if entry is None:
            continue
        before, after = entry.get("before"), entry.get("after")
        if isinstance(before, list) or isinstance(after, list):
            removed = {_key(i) for i in entry.get("removed", [])}
            added = {_key(i) for i in entry.get("added", [])}
            old = [
                {
                    "text": _item_text(name, i, names),
                    "mark": "removed" if _key(i) in removed else "",
                }
                for i in before or []
            ]
            new = [
                {"text": _item_text(name, i, names), "mark": "added" if _key(i) in added else ""}
                for i in after or []
            ]
        else:
            if name == "lead_organisation_id":
                before_text, after_text = _org_name(names, before), _org_name(names, after)
            else:
                before_text, after_text = str(before or ""), str(after or "")
            changed = bool(entry.get("changed"))
            old = (
                [{"text": before_text, "mark": "removed" if changed else ""}] if before_text else []
            )
            new = [{"text": after_text, "mark": "added" if changed else ""}] if after_text else []
        rows.append(
            {"name": name, "label": label, "changed": entry.get("changed"), "old": old, "new": new}
        )
    return rows


# --- errors --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorItem:
    """One line of the error summary: the message and the id of the field it is about."""

    anchor: str
    label: str
    message: str


def _anchor(bound: forms.BoundField) -> str:
    widget = bound.field.widget
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return f"{bound.auto_id}_0"
    return bound.id_for_label or bound.auto_id


def error_summary(
    *forms_: forms.BaseForm | forms.BaseFormSet | tuple[forms.BaseFormSet, str] | None,
    extra: Iterable[str] = (),
) -> list[ErrorItem]:
    """Every error of ``forms_`` in page order, each linking to its field; ``extra``
    messages (not tied to a field) come first.

    Rows of a formset are numbered so the summary says which row is meant: "Mål 2" for a
    formset given alone, "Insats 2 – Till" for ``(formset, "Insats")``.
    """
    items = [ErrorItem("", "", message) for message in extra]
    for form in forms_:
        if form is None:
            continue
        row_name = ""
        if isinstance(form, tuple):
            form, row_name = form
        if isinstance(form, forms.BaseFormSet):
            items.extend(ErrorItem("", "", str(e)) for e in form.non_form_errors())
            for number, row in enumerate(form.forms, start=1):
                items.extend(_form_errors(row, number, row_name))
            continue
        items.extend(_form_errors(form))
    return items


def _form_errors(
    form: forms.BaseForm, row_number: int | None = None, row_name: str = ""
) -> list[ErrorItem]:
    items: list[ErrorItem] = []
    first = form[next(iter(form.fields))] if form.fields else None
    for error in form.non_field_errors():
        anchor = _anchor(first) if first is not None and row_number is not None else ""
        label = f"{row_name} {row_number}" if row_name else ""
        items.append(ErrorItem(anchor, label, str(error)))
    for name in form.fields:
        bound = form[name]
        label = str(bound.label or "")
        if row_number is not None:
            label = f"{row_name} {row_number} – {label}" if row_name else f"{label} {row_number}"
        for error in bound.errors:
            items.append(ErrorItem(_anchor(bound), label, str(error)))
    return items
