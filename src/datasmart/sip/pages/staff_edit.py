"""SIP pages for staff, writing: consent, invitations, the plan itself, meetings,
follow-up, closing, invitation links and participants' answers.

Every form that changes a plan carries the version the user read (hidden
``expected_version``). When someone else changed the plan in between, the services
raise :class:`~datasmart.sip.domain.errors.StaleVersion` and nothing is written: the page is shown
again (HTTP 409) with a plain message, the current plan and **the user's own input kept**,
so they can check what changed and save again. Nothing is ever overwritten silently.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from datasmart.accounts.models import Organisation
from datasmart.sip import services
from datasmart.sip.domain.access import active_consent, is_owner
from datasmart.sip.domain.actors import StaffActor
from datasmart.sip.domain.errors import SipValidationError, StaleVersion
from datasmart.sip.models import ConsentGivenBy, Participant, ParticipantKind, Sip, SipStatus
from datasmart.sip.pages.forms import (
    CloseForm,
    ConsentForm,
    DateRow,
    FollowUpForm,
    GoalRow,
    InterventionRow,
    InviteeRow,
    InviteForm,
    LinkForm,
    MeetingHeldForm,
    NeedRow,
    OtherRow,
    PlanForm,
    add_service_error,
    row_formset,
)
from datasmart.sip.pages.staff import staff_page
from datasmart.sip.pages.support import (
    content_organisation_ids,
    error_summary,
    not_found,
    participant_label,
    plan_organisations,
    present_content,
)

Targets = dict[str, tuple[forms.Form, str | None]]


def stale_message(current_plan_version: int | None) -> str:
    """What a user reads when someone else saved first."""
    text = _(
        "Planen har ändrats av någon annan sedan du öppnade den. Det du skrev är inte "
        "sparat, men det finns kvar i formuläret nedan."
    )
    if current_plan_version:
        text += " " + _(
            "Den aktuella planen är version %(n)d. Jämför med den, ändra om det behövs och "
            "spara igen."
        ) % {"n": current_plan_version}
    else:
        text += " " + _("Kontrollera uppgifterna och spara igen.")
    return text


def _with_version(data: QueryDict, version: int) -> QueryDict:
    """The posted data with ``expected_version`` moved to the current version, so the
    user's next save is made knowing what is there now."""
    copy = data.copy()
    copy["expected_version"] = str(version)
    return copy


def _latest_number(sip: Sip) -> int | None:
    latest = sip.plan_versions.order_by("-number").values_list("number", flat=True).first()
    return latest


def _closed(request: HttpRequest, sip: Sip) -> HttpResponse | None:
    """Closed plans cannot change: back to the plan page with a message."""
    if sip.status == SipStatus.ACTIVE:
        return None
    messages.error(request, _("Planen är avslutad och kan inte ändras."))
    return redirect("sip:detail", sip_id=sip.pk)


def _render(
    request: HttpRequest,
    template: str,
    sip: Sip,
    context: Mapping[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    response = render(request, template, {"sip": sip, **context}, status=status)
    response["Cache-Control"] = "no-store"
    return response


# --- simple versioned forms ----------------------------------------------------------------


def _simple_form(
    request: HttpRequest,
    actor: StaffActor,
    sip: Sip,
    *,
    form_class: type[forms.Form],
    template: str,
    save: Callable[[forms.Form], Any],
    success: str,
    field_map: Mapping[str, str] | None = None,
    form_kwargs: Mapping[str, Any] | None = None,
    initial: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
) -> HttpResponse:
    """GET: the form for the plan's current version. POST: validate, call ``save`` (a
    service call); map service errors back to fields; a stale version keeps the input."""
    kwargs = dict(form_kwargs or {})
    stale = None
    status = 200
    if request.method == "POST":
        form = form_class(request.POST, **kwargs)
        if form.is_valid():
            try:
                save(form)
            except StaleVersion as exc:
                sip.refresh_from_db()
                form = form_class(_with_version(request.POST, exc.current_version), **kwargs)
                stale = stale_message(_latest_number(sip))
                status = 409
            except SipValidationError as exc:
                targets: Targets = {name: (form, name) for name in form.fields}
                for path, name in (field_map or {}).items():
                    targets[path] = (form, name)
                add_service_error(exc, targets, form)
                status = 400
            else:
                messages.success(request, success)
                return redirect("sip:detail", sip_id=sip.pk)
        else:
            status = 400
    else:
        form = form_class(initial={"expected_version": sip.version, **(initial or {})}, **kwargs)
    errors = error_summary(form) if status == 400 else []
    return _render(
        request,
        template,
        sip,
        {"form": form, "errors": errors, "stale": stale, **(context or {})},
        status=status,
    )


def _nearby_organisations(sip: Sip) -> tuple[list[Organisation], list[Organisation]]:
    """Organisations in the owner's län first (kommun and region alike), then the rest."""
    unit = sip.owner_organisation.unit
    region_id = unit.region_id or (unit.pk if unit.level == "region" else None)
    others = Organisation.objects.exclude(pk=sip.owner_organisation_id).select_related("unit")
    nearby: list[Organisation] = []
    rest: list[Organisation] = []
    for org in others.order_by("name"):
        if region_id is not None and region_id in (org.unit_id, org.unit.region_id):
            nearby.append(org)
        else:
            rest.append(org)
    return nearby, rest


@staff_page
@require_http_methods(["GET", "POST"])
def consent(request: HttpRequest, actor: StaffActor, sip_id: uuid.UUID) -> HttpResponse:
    """Record the person's or a guardian's consent, naming the organisations it covers."""
    sip = services.get_sip(actor, sip_id)
    if (response := _closed(request, sip)) is not None:
        return response
    nearby, rest = _nearby_organisations(sip)
    current = active_consent(sip)
    covered = list(current.organisations.values_list("pk", flat=True)) if current else []
    nearby_ids = {o.pk for o in nearby}
    other = next((pk for pk in covered if pk not in nearby_ids), None)
    initial = {
        "given_by": ConsentGivenBy.GUARDIAN if sip.is_child else ConsentGivenBy.PERSON,
        "organisations": [pk for pk in covered if pk in nearby_ids],
        "other_organisation": other,
        "guardian_name": current.guardian_name if current else "",
    }

    def save(form: forms.Form) -> Any:
        data = form.cleaned_data
        return services.record_consent(
            actor,
            sip.pk,
            expected_version=data["expected_version"],
            given_by=data["given_by"],
            guardian_name=data.get("guardian_name", ""),
            organisation_ids=data["organisation_ids"],
        )

    return _simple_form(
        request,
        actor,
        sip,
        form_class=ConsentForm,
        template="sip/consent.html",
        save=save,
        success=_("Samtycket är registrerat."),
        field_map={"organisation_ids": "organisations"},
        form_kwargs={"nearby": nearby, "others": rest},
        initial=initial,
        context={
            "consent": current,
            "consent_organisations": list(current.organisations.order_by("name"))
            if current
            else [],
            "owner": is_owner(actor, sip),
        },
    )


@staff_page
@require_POST
def withdraw_consent(request: HttpRequest, actor: StaffActor, sip_id: uuid.UUID) -> HttpResponse:
    """The owner records that the person (or guardian) withdrew consent, e.g. by phone."""
    services.withdraw_consent(actor, sip_id)
    messages.success(
        request,
        _("Samtycket är återkallat. Andra organisationer kan inte längre se planen."),
    )
    return redirect("sip:detail", sip_id=sip_id)


@staff_page
@require_http_methods(["GET", "POST"])
def follow_up(request: HttpRequest, actor: StaffActor, sip_id: uuid.UUID) -> HttpResponse:
    """Book a follow-up meeting."""
    sip = services.get_sip(actor, sip_id)
    if (response := _closed(request, sip)) is not None:
        return response

    def save(form: forms.Form) -> Any:
        data = form.cleaned_data
        return services.schedule_follow_up(
            actor,
            sip.pk,
            expected_version=data["expected_version"],
            meeting_at=data["meeting_at"],
            location=data.get("location", ""),
        )

    return _simple_form(
        request,
        actor,
        sip,
        form_class=FollowUpForm,
        template="sip/follow_up.html",
        save=save,
        success=_("Uppföljningen är bokad."),
        field_map={"meeting_at": "meeting_date"},
    )


@staff_page
@require_http_methods(["GET", "POST"])
def meeting_held(
    request: HttpRequest, actor: StaffActor, sip_id: uuid.UUID, meeting_id: int
) -> HttpResponse:
    """Record that a meeting took place, and when."""
    sip = services.get_sip(actor, sip_id)
    meeting = sip.meetings.filter(pk=meeting_id).first()
    if meeting is None:
        return not_found(request)
    if (response := _closed(request, sip)) is not None:
        return response
    now = timezone.localtime()
    start = timezone.localtime(meeting.scheduled_at)
    shown = start if start <= now else now

    def save(form: forms.Form) -> Any:
        data = form.cleaned_data
        return services.record_meeting_held(
            actor,
            sip.pk,
            meeting.pk,
            expected_version=data["expected_version"],
            held_at=data["held_at"],
        )

    return _simple_form(
        request,
        actor,
        sip,
        form_class=MeetingHeldForm,
        template="sip/meeting_held.html",
        save=save,
        success=_("Mötet är registrerat som hållet."),
        field_map={"held_at": "held_date"},
        initial={
            "held_date": shown.date(),
            "held_time": shown.time().replace(second=0, microsecond=0),
        },
        context={"meeting": meeting},
    )


@staff_page
@require_http_methods(["GET", "POST"])
def close(request: HttpRequest, actor: StaffActor, sip_id: uuid.UUID) -> HttpResponse:
    """Close the plan with a reason (staff of the organisation that started it)."""
    sip = services.get_sip(actor, sip_id)
    if (response := _closed(request, sip)) is not None:
        return response

    def save(form: forms.Form) -> Any:
        data = form.cleaned_data
        return services.close_sip(
            actor,
            sip.pk,
            expected_version=data["expected_version"],
            reason=data["reason"],
            note=data.get("note", ""),
        )

    return _simple_form(
        request,
        actor,
        sip,
        form_class=CloseForm,
        template="sip/close.html",
        save=save,
        success=_("Planen är avslutad."),
        context={"owner": is_owner(actor, sip)},
    )


# --- invitations ---------------------------------------------------------------------------


def _invitee_initial(sip: Sip) -> list[dict[str, Any]]:
    """Suggested rows: every organisation the consent covers and a guardian who gave
    consent, unless already invited."""
    invited = set(
        sip.participants.filter(organisation__isnull=False).values_list(
            "organisation_id", flat=True
        )
    )
    rows: list[dict[str, Any]] = []
    current = active_consent(sip)
    if current is not None:
        for org in current.organisations.order_by("name"):
            if org.pk not in invited:
                rows.append({"kind": ParticipantKind.ORGANISATION, "organisation": org.pk})
        if current.given_by == ConsentGivenBy.GUARDIAN and current.guardian_name:
            names = set(sip.participants.values_list("name", flat=True))
            if current.guardian_name not in names:
                rows.append({"kind": ParticipantKind.GUARDIAN, "name": current.guardian_name})
    return rows


@staff_page
@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest, actor: StaffActor, sip_id: uuid.UUID) -> HttpResponse:
    """Invite participants to a meeting: the first SIP meeting, or a later one."""
    sip = services.get_sip(actor, sip_id)
    if (response := _closed(request, sip)) is not None:
        return response
    organisations = plan_organisations(sip)
    row_kwargs = {"organisations": organisations}
    post = request.POST if request.method == "POST" else None
    adding = post is not None and post.get("add") == "participants"
    stale = None
    status = 200
    if post is None:
        form = InviteForm(initial={"expected_version": sip.version})
        rows = row_formset(
            InviteeRow,
            prefix="participants",
            initial=_invitee_initial(sip),
            blanks=1,
            form_kwargs=row_kwargs,
        )
    elif adding:
        form = InviteForm(initial=_raw(InviteForm(post)))
        rows = row_formset(
            InviteeRow,
            prefix="participants",
            initial=_raw_rows(
                row_formset(InviteeRow, prefix="participants", data=post, form_kwargs=row_kwargs)
            ),
            blanks=1,
            form_kwargs=row_kwargs,
        )
    else:
        form = InviteForm(post)
        rows = row_formset(InviteeRow, prefix="participants", data=post, form_kwargs=row_kwargs)
        valid = form.is_valid() & rows.is_valid()
        used = rows.used_forms() if valid else []
        if valid and not used:
            form.add_error(None, _("Bjud in minst en deltagare."))
            valid = False
        if valid:
            try:
                services.invite(
                    actor,
                    sip.pk,
                    expected_version=form.cleaned_data["expected_version"],
                    participants=[row.participant() for _i, row in used],
                    meeting_at=form.cleaned_data["meeting_at"],
                    location=form.cleaned_data.get("location", ""),
                )
            except StaleVersion as exc:
                sip.refresh_from_db()
                data = _with_version(post, exc.current_version)
                form = InviteForm(data)
                rows = row_formset(
                    InviteeRow, prefix="participants", data=data, form_kwargs=row_kwargs
                )
                stale = stale_message(_latest_number(sip))
                status = 409
            except SipValidationError as exc:
                targets: Targets = {name: (form, name) for name in form.fields}
                targets["meeting_at"] = (form, "meeting_date")
                for k, (_i, row) in enumerate(used):
                    targets[f"participants[{k}]"] = (row, None)
                    for service_name, name in (
                        ("kind", "kind"),
                        ("organisation_id", "organisation"),
                        ("unit_name", "unit_name"),
                        ("name", "name"),
                        ("email", "email"),
                    ):
                        targets[f"participants[{k}].{service_name}"] = (row, name)
                add_service_error(exc, targets, form)
                status = 400
            else:
                messages.success(request, _("Inbjudan är registrerad."))
                return redirect("sip:detail", sip_id=sip.pk)
        else:
            status = 400
    errors = error_summary(form, (rows, _("Deltagare"))) if status == 400 else []
    return _render(
        request,
        "sip/invite.html",
        sip,
        {
            "form": form,
            "rows": rows,
            "errors": errors,
            "stale": stale,
            "adding": adding,
            "has_first": sip.meetings.filter(kind="first").exists(),
        },
        status=status,
    )


# --- the plan itself -----------------------------------------------------------------------

PLAN_LISTS: tuple[tuple[str, type[forms.Form]], ...] = (
    ("goals", GoalRow),
    ("needs", NeedRow),
    ("interventions", InterventionRow),
    ("others", OtherRow),
    ("follow_up_dates", DateRow),
)


def _raw(form: forms.Form) -> dict[str, Any]:
    """What the user typed into a bound form, as initial values for an unbound copy."""
    return {name: form[name].value() for name in form.fields}


def _raw_rows(formset: Any) -> list[dict[str, Any]]:
    return [_raw(f) for f in formset.forms if f.has_changed()]


def _content_initial(content: Mapping[str, Any] | None) -> dict[str, list[dict[str, Any]]]:
    content = content or {}
    return {
        "goals": [{"text": g} for g in content.get("goals") or []],
        "needs": [{"text": n} for n in content.get("needs") or []],
        "interventions": [
            {
                "title": i.get("title", ""),
                "organisation": i.get("organisation_id"),
                "unit_name": i.get("unit_name", ""),
                "start": i.get("start"),
                "end": i.get("end"),
            }
            for i in content.get("interventions") or []
        ],
        "others": [
            {"who": o.get("who", ""), "what": o.get("what", "")}
            for o in content.get("others") or []
        ],
        "follow_up_dates": [{"day": d} for d in content.get("follow_up_dates") or []],
    }


class PlanEditor:
    """The plan form: single fields (:class:`PlanForm`) and one formset per list."""

    def __init__(
        self,
        sip: Sip,
        *,
        data: QueryDict | None = None,
        add: str = "",
        content: Mapping[str, Any] | None = None,
    ) -> None:
        self.sip = sip
        latest = content or {}
        named = content_organisation_ids(latest)
        self.organisations = plan_organisations(sip, *named)
        self.meetings = list(sip.meetings.order_by("scheduled_at"))
        main_kwargs: dict[str, Any] = {
            "organisations": self.organisations,
            "meetings": self.meetings,
        }
        row_kwargs = {"organisations": self.organisations}
        self.adding = add if add in dict(PLAN_LISTS) else ""
        self.lists: dict[str, Any] = {}
        if data is None:
            initial = _content_initial(content)
            self.form = PlanForm(
                initial={
                    "expected_version": sip.version,
                    "lead_organisation": latest.get("lead_organisation_id")
                    or sip.lead_organisation_id,
                    "coordinator_name": latest.get("coordinator_name") or sip.coordinator_name,
                },
                **main_kwargs,
            )
            for name, row in PLAN_LISTS:
                rows = initial[name]
                blanks = 1 if rows or name in ("others", "follow_up_dates") else 2
                self.lists[name] = row_formset(
                    row,
                    prefix=name,
                    initial=rows,
                    blanks=blanks,
                    form_kwargs=row_kwargs if row is InterventionRow else None,
                )
        elif self.adding:
            # "Lägg till rad": show what was typed, unchecked, with one more empty row.
            self.form = PlanForm(initial=_raw(PlanForm(data, **main_kwargs)), **main_kwargs)
            for name, row in PLAN_LISTS:
                kwargs = row_kwargs if row is InterventionRow else None
                typed = _raw_rows(row_formset(row, prefix=name, data=data, form_kwargs=kwargs))
                self.lists[name] = row_formset(
                    row,
                    prefix=name,
                    initial=typed,
                    blanks=1 if name == self.adding or not typed else 0,
                    form_kwargs=kwargs,
                )
        else:
            self.form = PlanForm(data, **main_kwargs)
            for name, row in PLAN_LISTS:
                self.lists[name] = row_formset(
                    row,
                    prefix=name,
                    data=data,
                    form_kwargs=row_kwargs if row is InterventionRow else None,
                )

    def is_valid(self) -> bool:
        valid = self.form.is_valid()
        for formset in self.lists.values():
            valid = formset.is_valid() and valid
        return valid

    def content(self) -> tuple[dict[str, Any], Targets]:
        """The plan content to save, and where each service field path shows its error."""
        targets: Targets = {}
        content: dict[str, Any] = {
            "lead_organisation_id": self.form.cleaned_data.get("lead_organisation"),
            "coordinator_name": self.form.cleaned_data.get("coordinator_name", ""),
        }
        targets["lead_organisation_id"] = (self.form, "lead_organisation")
        targets["coordinator_name"] = (self.form, "coordinator_name")
        targets["meeting_id"] = (self.form, "meeting")
        for name, _row in PLAN_LISTS:
            formset = self.lists[name]
            if formset.forms:
                first = formset.forms[0]
                targets[name] = (first, next(iter(first.fields)))
            items: list[Any] = []
            for k, (_i, row) in enumerate(formset.used_forms()):
                data = row.cleaned_data
                if name in ("goals", "needs"):
                    items.append(data["text"])
                    targets[f"{name}[{k}]"] = (row, "text")
                elif name == "interventions":
                    items.append(
                        {
                            "title": data["title"],
                            "organisation_id": data["organisation"],
                            "unit_name": data.get("unit_name", ""),
                            "start": _iso(data.get("start")),
                            "end": _iso(data.get("end")),
                        }
                    )
                    targets[f"{name}[{k}]"] = (row, None)
                    for service_name, field in (
                        ("title", "title"),
                        ("organisation_id", "organisation"),
                        ("unit_name", "unit_name"),
                        ("start", "start"),
                        ("end", "end"),
                    ):
                        targets[f"{name}[{k}].{service_name}"] = (row, field)
                elif name == "others":
                    items.append({"who": data["who"], "what": data["what"]})
                    targets[f"{name}[{k}]"] = (row, None)
                    targets[f"{name}[{k}].who"] = (row, "who")
                    targets[f"{name}[{k}].what"] = (row, "what")
                else:
                    items.append(_iso(data["day"]))
                    targets[f"{name}[{k}]"] = (row, "day")
            content[name] = items
        return content, targets

    def errors(self) -> list[Any]:
        lists = self.lists
        return error_summary(
            lists["goals"],
            lists["needs"],
            (lists["interventions"], _("Insats")),
            (lists["others"], _("Det här gör andra, rad")),
            self.form,
            lists["follow_up_dates"],
        )


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


@staff_page
@require_http_methods(["GET", "POST"])
def edit_plan(request: HttpRequest, actor: StaffActor, sip_id: uuid.UUID) -> HttpResponse:
    """Write the plan: the person's goals, needs, insatser, what others do, huvudansvar,
    coordinator and follow-up dates. Saving writes a new version."""
    sip = services.get_sip(actor, sip_id)
    if (response := _closed(request, sip)) is not None:
        return response
    latest = sip.plan_versions.order_by("-number").first()
    current = latest.content if latest else None
    stale = None
    status = 200
    post = request.POST if request.method == "POST" else None
    editor = PlanEditor(sip, data=post, add=post.get("add", "") if post else "", content=current)
    if post is not None and not editor.adding:
        if editor.is_valid():
            content, targets = editor.content()
            try:
                version = services.revise_plan(
                    actor,
                    sip.pk,
                    expected_version=editor.form.cleaned_data["expected_version"],
                    content=content,
                    meeting_id=editor.form.cleaned_data.get("meeting"),
                )
            except StaleVersion as exc:
                sip.refresh_from_db()
                latest = sip.plan_versions.order_by("-number").first()
                current = latest.content if latest else None
                editor = PlanEditor(
                    sip, data=_with_version(post, exc.current_version), content=current
                )
                editor.is_valid()
                stale = stale_message(latest.number if latest else None)
                status = 409
            except SipValidationError as exc:
                add_service_error(exc, targets, editor.form)
                status = 400
            else:
                messages.success(
                    request,
                    _("Planen är sparad som version %(n)d.") % {"n": version.number},
                )
                return redirect("sip:detail", sip_id=sip.pk)
        else:
            status = 400
    return _render(
        request,
        "sip/edit_plan.html",
        sip,
        {
            "editor": editor,
            "form": editor.form,
            "lists": editor.lists,
            "errors": editor.errors() if status == 400 else [],
            "stale": stale,
            "latest": latest,
            "current": present_content(current) if stale else None,
        },
        status=status,
    )


# --- links and answers ---------------------------------------------------------------------


def _link_participants(sip: Sip) -> Sequence[Participant]:
    return list(sip.participants.exclude(kind=ParticipantKind.ORGANISATION))


@staff_page
@require_http_methods(["GET", "POST"])
def create_link(request: HttpRequest, actor: StaffActor, sip_id: uuid.UUID) -> HttpResponse:
    """Make a one-time link for the person (or an invited guardian, relative …). The
    link is shown once, in this response only."""
    sip = services.get_sip(actor, sip_id)
    if (response := _closed(request, sip)) is not None:
        return response
    participants = _link_participants(sip)
    form = LinkForm(request.POST or None, participants=participants)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                link, secret = services.create_invitation_link(
                    actor,
                    sip.pk,
                    form.cleaned_data.get("participant") or None,
                    valid_for=dt.timedelta(days=form.cleaned_data["valid_days"]),
                )
            except SipValidationError as exc:
                add_service_error(
                    exc,
                    {"participant_id": (form, "participant"), "valid_for": (form, "valid_days")},
                    form,
                )
            else:
                url = request.build_absolute_uri(reverse("sip:redeem", args=[secret]))
                to = next((p for p in participants if p.pk == link.participant_id), None)
                return _render(
                    request,
                    "sip/link_created.html",
                    sip,
                    {"url": url, "link": link, "to": participant_label(to) if to else None},
                )
        status = 400
    return _render(
        request,
        "sip/link.html",
        sip,
        {"form": form, "errors": error_summary(form) if status == 400 else []},
        status=status,
    )


@staff_page
@require_POST
def answer(
    request: HttpRequest, actor: StaffActor, sip_id: uuid.UUID, participant_id: uuid.UUID
) -> HttpResponse:
    """Record a participant's answer to an invitation: an organisation answers for
    itself; the owner records answers given by phone or letter."""
    sip = services.get_sip(actor, sip_id)
    if not sip.participants.filter(pk=participant_id).exists():
        return not_found(request)
    accept = request.POST.get("svar")
    if accept not in ("ja", "nej"):
        messages.error(request, _("Välj ja eller nej."))
        return redirect("sip:detail", sip_id=sip_id)
    try:
        participant = services.respond(actor, participant_id, accept=accept == "ja")
    except SipValidationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Svaret är registrerat: %(who)s %(answer)s.")
            % {
                "who": participant_label(participant),
                "answer": participant.get_status_display().lower(),
            },
        )
    return redirect("sip:detail", sip_id=sip_id)
