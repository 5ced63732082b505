"""SIP pages for staff, reading: "Mina SIP:ar", starting a plan, the plan page, versions,
comparison and the access log.

Thin views: each turns the request into a :class:`~datasmart.sip.domain.actors.StaffActor`
(:func:`~datasmart.sip.pages.support.staff_actor`) and calls :mod:`datasmart.sip.services`.
A plan the user may not see is "not found" (404) exactly like an unknown one; the
services have already written the denial to the audit log. The forms that change a plan
are in :mod:`datasmart.sip.pages.staff_edit`, the person's pages in
:mod:`datasmart.sip.pages.person`.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from datasmart.accounts.permissions import Permission, deny
from datasmart.sip import services
from datasmart.sip.domain.access import is_owner
from datasmart.sip.domain.actors import StaffActor
from datasmart.sip.domain.errors import SipNotFound, SipValidationError
from datasmart.sip.domain.guards import may_start, require_caseworker
from datasmart.sip.models import ParticipantKind, ParticipantStatus, SipStatus
from datasmart.sip.pages.forms import StartForm, add_service_error
from datasmart.sip.pages.support import (
    SESSION_ORGANISATION,
    audit_no_organisation,
    comparison_rows,
    error_summary,
    next_meetings,
    not_found,
    participant_label,
    plan_parts,
    present_content,
    sip_organisations,
    staff_actor,
)

P = ParamSpec("P")
StaffView = Callable[Concatenate[HttpRequest, StaffActor, P], HttpResponse]
LOG_PAGE_SIZE = 50


def staff_page(view: StaffView[P]) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """Sign-in required, the staff actor resolved, ``SipNotFound`` shown as 404, and no
    caching of pages with personal data."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        actor = staff_actor(request)
        if actor is None:
            audit_no_organisation(request, kwargs.get("sip_id", ""))
            return not_found(request)
        try:
            return view(request, actor, *args, **kwargs)
        except SipNotFound:
            return not_found(request)

    return never_cache(login_required(wrapper))


def _organisation_switch(request: HttpRequest, actor: StaffActor) -> dict[str, Any]:
    orgs = sip_organisations(request.user)
    return {"organisations": orgs if len(orgs) > 1 else [], "acting_for": actor.organisation}


# --- the list and starting a plan ----------------------------------------------------------

STATUS_FILTERS = {"pagaende": SipStatus.ACTIVE, "avslutade": SipStatus.CLOSED, "alla": None}


@staff_page
@require_GET
def sip_list(request: HttpRequest, actor: StaffActor) -> HttpResponse:
    """ "Mina SIP:ar": the plans the user's organisation may see, with a status filter."""
    if not sip_organisations(request.user):
        deny(request.user, Permission.READ_SIP_PLANS, request=request, detail={"area": "sip"})
    key = request.GET.get("status", "pagaende")
    if key not in STATUS_FILTERS:
        key = "pagaende"
    sips = services.list_sips(actor, status=STATUS_FILTERS[key])
    upcoming = next_meetings(sips)
    rows = [{"sip": sip, "next_meeting": upcoming.get(sip.pk)} for sip in sips]
    filters = [
        ("pagaende", _("Pågående")),
        ("avslutade", _("Avslutade")),
        ("alla", _("Alla")),
    ]
    return render(
        request,
        "sip/list.html",
        {
            "rows": rows,
            "status": key,
            "filters": filters,
            "can_start": may_start(actor),
            **_organisation_switch(request, actor),
        },
    )


@login_required
@require_POST
def choose_organisation(request: HttpRequest) -> HttpResponse:
    """Act for another of the user's organisations (only those with a SIP role)."""
    orgs = {str(o.pk): o for o in sip_organisations(request.user)}
    chosen = orgs.get(request.POST.get("organisation", ""))
    if chosen is not None:
        request.session[SESSION_ORGANISATION] = chosen.pk
        messages.success(request, _("Du arbetar nu för %(org)s.") % {"org": chosen.name})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("sip:list")
    return HttpResponseRedirect(target)


@staff_page
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, actor: StaffActor) -> HttpResponse:
    """ "Starta SIP": the person's number, name, the detected need and child yes/no.

    Only a caseworker (by role, not as a superuser) starts a plan; anyone else gets this
    page with the requirement explained instead of the form (403, audited by the service).
    """
    form = StartForm(request.POST if request.method == "POST" else None)
    status = 200
    if not may_start(actor):
        try:
            require_caseworker(actor, "start")
        except PermissionDenied as exc:
            return render(
                request,
                "sip/start.html",
                {
                    "form": None,
                    "refused": str(exc),
                    "errors": [],
                    **_organisation_switch(request, actor),
                },
                status=403,
            )
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                sip = services.start_sip(
                    actor,
                    person_id=data["person_id"],
                    display_name=data["display_name"],
                    need=data["need"],
                    is_child=data["is_child"],
                    id_kind=data["id_kind"],
                )
            except SipValidationError as exc:
                add_service_error(exc, {f: (form, f) for f in form.fields}, form)
            else:
                messages.success(
                    request,
                    _("SIP:en är startad. Nästa steg är att registrera samtycke."),
                )
                return redirect("sip:detail", sip_id=sip.pk)
        status = 400
    return render(
        request,
        "sip/start.html",
        {"form": form, "errors": error_summary(form), **_organisation_switch(request, actor)},
        status=status,
    )


# --- one plan ------------------------------------------------------------------------------


def _may_answer(actor: StaffActor, participant: Any, owner: bool) -> bool:
    if participant.kind == ParticipantKind.ORGANISATION:
        return participant.organisation_id == actor.organisation.pk
    return owner


@staff_page
@require_GET
def detail(request: HttpRequest, actor: StaffActor, sip_id: uuid.UUID) -> HttpResponse:
    """The plan page: person (masked), status, consent, participants, meetings, content."""
    sip = services.get_sip(actor, sip_id)
    parts = plan_parts(sip)
    owner = is_owner(actor, sip)
    active = sip.status == SipStatus.ACTIVE
    participants = [
        {
            "participant": p,
            "label": participant_label(p),
            "may_answer": active and _may_answer(actor, p, owner),
            "answered": p.status != ParticipantStatus.INVITED,
        }
        for p in parts.participants
    ]
    return render(
        request,
        "sip/detail.html",
        {
            "sip": sip,
            "parts": parts,
            "participants": participants,
            "owner": owner,
            "active": active,
            **_organisation_switch(request, actor),
        },
    )


@staff_page
@require_GET
def versions(request: HttpRequest, actor: StaffActor, sip_id: uuid.UUID) -> HttpResponse:
    """Every version of the plan's content, newest first, and a form to compare two."""
    sip = services.get_sip(actor, sip_id)
    all_versions = services.plan_versions(actor, sip.pk)
    numbers = [v.number for v in all_versions]
    return render(
        request,
        "sip/versions.html",
        {
            "sip": sip,
            "versions": list(reversed(all_versions)),
            "numbers": numbers,
            "default_a": numbers[-2] if len(numbers) > 1 else None,
            "default_b": numbers[-1] if numbers else None,
        },
    )


@staff_page
@require_GET
def version_detail(
    request: HttpRequest, actor: StaffActor, sip_id: uuid.UUID, number: int
) -> HttpResponse:
    sip = services.get_sip(actor, sip_id)
    found = [v for v in services.plan_versions(actor, sip.pk) if v.number == number]
    if not found:
        return not_found(request)
    version = found[0]
    return render(
        request,
        "sip/version_detail.html",
        {"sip": sip, "version": version, "content": present_content(version.content)},
    )


def _int(value: Any) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if number >= 1 else None


@staff_page
@require_GET
def compare(request: HttpRequest, actor: StaffActor, sip_id: uuid.UUID) -> HttpResponse:
    """Two versions side by side, what changed highlighted (``?a=1&b=2``)."""
    sip = services.get_sip(actor, sip_id)
    a, b = _int(request.GET.get("a")), _int(request.GET.get("b"))
    error = None
    rows: list[dict[str, Any]] = []
    if a is None or b is None:
        error = _("Välj två versioner att jämföra.")
    else:
        try:
            diff = services.compare_versions(actor, sip.pk, a, b)
        except SipValidationError as exc:
            error = exc.message
        else:
            rows = comparison_rows(diff["fields"])
    numbers = list(sip.plan_versions.order_by("number").values_list("number", flat=True))
    return render(
        request,
        "sip/compare.html",
        {
            "sip": sip,
            "a": a,
            "b": b,
            "rows": rows,
            "error": error,
            "numbers": numbers,
            "changed": sum(1 for r in rows if r["changed"]),
        },
        status=400 if error else 200,
    )


@staff_page
@require_GET
def access_log(request: HttpRequest, actor: StaffActor, sip_id: uuid.UUID) -> HttpResponse:
    """Who read or changed the plan, for which organisation, what and when."""
    sip = services.get_sip(actor, sip_id)
    rows = services.access_log(actor, sip.pk)
    page = Paginator(rows, LOG_PAGE_SIZE).get_page(request.GET.get("sida"))
    return render(request, "sip/access_log.html", {"sip": sip, "page": page})
