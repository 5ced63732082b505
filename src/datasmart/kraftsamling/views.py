"""Kraftsamling pages: thin. Parse, call :mod:`.services`, render. ``PermissionDenied``
becomes the 403 page, ``LookupError`` the 404 page, :class:`~.services.KraftsamlingError`
a message naming the field."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from datasmart.accounts.models import Organisation, Role
from datasmart.accounts.permissions import roles_by_organisation

from . import reference, rights, services
from .models import Delarena, Handslag, OutputStatus, ParticipantRole

Error = services.KraftsamlingError


def _delarena(delarena_id: int) -> Delarena:
    try:
        return services.get_delarena(delarena_id)
    except LookupError as exc:
        raise Http404(str(exc)) from None


def _handslag(handslag_id: int) -> Handslag:
    try:
        return services.get_handslag(handslag_id)
    except LookupError as exc:
        raise Http404(str(exc)) from None


def _organisation(raw: str | None, field: str) -> Organisation:
    if raw and str(raw).strip().isdigit():
        org = Organisation.objects.filter(pk=int(str(raw).strip())).first()
        if org is not None:
            return org
    raise Error(_("Fältet %(field)s: välj en organisation.") % {"field": field})


def _acting_org(request: HttpRequest, delarena: Delarena, *, sign: bool = False) -> Organisation:
    """The organisation the user acts for: the posted one, else their first participant
    organisation where they may act; else the convenor (the service then refuses, audited)."""
    raw = request.POST.get("organisation", "")
    if raw.strip():
        return _organisation(raw, _("organisation"))
    roles = roles_by_organisation(request.user) if request.user.is_authenticated else {}
    wanted = rights.SIGN_ROLES if sign else rights.EDIT_ROLES
    for org_id in sorted(rights.active_participant_ids(delarena)):
        if roles.get(org_id) in wanted:
            return Organisation.objects.get(pk=org_id)
    return delarena.created_by_organisation


def _my_orgs(request: HttpRequest) -> list[Organisation]:
    if not request.user.is_authenticated:
        return []
    return list(Organisation.objects.filter(pk__in=roles_by_organisation(request.user)))


@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "kraftsamling/overview.html",
        {
            "goals": services.goals(),
            "delarenor": services.delarenor(),
            "goal_source": reference.GOAL_SOURCE,
            "proposals": {n: p for n, _t, _e, p in reference.GOALS},
            "proposals_source": reference.PROPOSALS_SOURCE,
            "stages": services.stages(),
            "stage_source": reference.STAGE_SOURCE,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    orgs = _my_orgs(request)
    values: dict[str, Any] = {"name": "", "description": "", "areas": [], "organisation": ""}
    if request.method == "POST":
        values = {
            "name": request.POST.get("name", ""),
            "description": request.POST.get("description", ""),
            "areas": request.POST.getlist("areas"),
            "organisation": request.POST.get("organisation", ""),
        }
        try:
            if values["organisation"]:
                org = _organisation(values["organisation"], _("organisation"))
            elif len(orgs) >= 1:
                org = orgs[0]
            else:
                raise Error(_("Fältet organisation: du är inte medlem i någon organisation."))
            delarena = services.create_delarena(
                org,
                name=values["name"],
                description=values["description"],
                area_letters=values["areas"],
                by=request.user,
                request=request,
            )
        except Error as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Delarenan är skapad."))
            return redirect("kraftsamling:delarena", delarena_id=delarena.pk)
    return render(
        request,
        "kraftsamling/create.html",
        {"areas": services.areas(), "organisations": orgs, "values": values},
        status=200,
    )


@require_GET
def delarena(request: HttpRequest, delarena_id: int) -> HttpResponse:
    d = _delarena(delarena_id)
    context = services.delarena_view(d, request.user)
    context.update(
        {
            "all_organisations": Organisation.objects.exclude(
                pk__in=rights.active_participant_ids(d)
            ).order_by("name")
            if context["may_edit"]
            else [],
            "participant_roles": ParticipantRole.choices,
            "output_statuses": OutputStatus.choices,
            "editor_organisations": Organisation.objects.filter(pk__in=context["editor_orgs"]),
        }
    )
    return render(request, "kraftsamling/delarena.html", context)


def _back(delarena_id: int) -> HttpResponse:
    return redirect("kraftsamling:delarena", delarena_id=delarena_id)


@login_required
@require_POST
def add_participant(request: HttpRequest, delarena_id: int) -> HttpResponse:
    d = _delarena(delarena_id)
    try:
        org = _organisation(request.POST.get("participant"), _("deltagare"))
        services.add_participant(
            d,
            org,
            role=request.POST.get("role", ParticipantRole.MEMBER),
            by=request.user,
            request=request,
        )
    except Error as exc:
        # rights first: a refused user learns nothing from a validation message
        rights.require_edit(request.user, d, action="add_participant", request=request)
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(org)s deltar nu i delarenan.") % {"org": org.name})
    return _back(d.pk)


@login_required
@require_POST
def remove_participant(request: HttpRequest, delarena_id: int) -> HttpResponse:
    d = _delarena(delarena_id)
    try:
        org = _organisation(request.POST.get("participant"), _("deltagare"))
        services.remove_participant(
            d, org, reason=request.POST.get("reason", ""), by=request.user, request=request
        )
    except Error as exc:
        rights.require_edit(request.user, d, action="remove_participant", request=request)
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(org)s har lämnat delarenan.") % {"org": org.name})
    return _back(d.pk)


@login_required
@require_POST
def record_output(request: HttpRequest, delarena_id: int) -> HttpResponse:
    d = _delarena(delarena_id)
    try:
        org = _acting_org(request, d)
        services.record_output(
            d,
            stage_number=services.parse_int(request.POST.get("stage"), _("verkstad")),
            organisation=org,
            text=request.POST.get("text", ""),
            document=request.POST.get("document", ""),
            status=request.POST.get("status", OutputStatus.DRAFT),
            held_on=services.parse_date(request.POST.get("held_on"), _("datum")),
            by=request.user,
            request=request,
        )
    except Error as exc:
        rights.require_edit(request.user, d, action="record_output", request=request)
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Verkstadens resultat är sparat."))
    return _back(d.pk)


@login_required
@require_POST
def update_output(request: HttpRequest, delarena_id: int, output_id: int) -> HttpResponse:
    d = _delarena(delarena_id)
    output = _lookup(services.get_output, d, output_id)
    try:
        services.update_output(
            output,
            stage_number=services.parse_int(request.POST.get("stage"), _("verkstad")),
            text=request.POST.get("text", ""),
            document=request.POST.get("document", ""),
            status=request.POST.get("status", OutputStatus.DRAFT),
            held_on=services.parse_date(request.POST.get("held_on"), _("datum")),
            by=request.user,
            request=request,
        )
    except Error as exc:
        rights.require_edit(request.user, d, action="update_output", request=request)
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Verkstadens resultat är ändrat."))
    return _back(d.pk)


@login_required
@require_POST
def delete_output(request: HttpRequest, delarena_id: int, output_id: int) -> HttpResponse:
    d = _delarena(delarena_id)
    output = _lookup(services.get_output, d, output_id)
    try:
        services.delete_output(output, by=request.user, request=request)
    except Error as exc:
        rights.require_edit(request.user, d, action="delete_output", request=request)
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Verkstadens resultat är borttaget."))
    return _back(d.pk)


@login_required
@require_POST
def create_handslag(request: HttpRequest, delarena_id: int) -> HttpResponse:
    d = _delarena(delarena_id)
    try:
        org = _acting_org(request, d)
        handslag = services.create_handslag(
            d,
            organisation=org,
            start_year=services.parse_int(request.POST.get("start_year"), _("första år")),
            end_year=services.parse_int(request.POST.get("end_year"), _("sista år")),
            vision=request.POST.get("vision", ""),
            unmet_needs=request.POST.get("unmet_needs", ""),
            by=request.user,
            request=request,
        )
    except Error as exc:
        rights.require_edit(request.user, d, action="create_handslag", request=request)
        messages.error(request, str(exc))
        return _back(d.pk)
    messages.success(request, _("Handslaget är skapat som utkast."))
    return redirect("kraftsamling:handslag", handslag_id=handslag.pk)


@require_GET
def handslag(request: HttpRequest, handslag_id: int) -> HttpResponse:
    h = _handslag(handslag_id)
    doc = services.handslag_document(h)
    d = h.delarena
    may_edit = rights.may_edit(request.user, d)
    roles = roles_by_organisation(request.user) if request.user.is_authenticated else {}
    doc.update(
        {
            "may_edit": may_edit and not h.signatures.exists(),
            "kraftsamling_goals": services.goals(),
            "all_areas": services.areas(),
            "participants": [
                p.organisation
                for p in d.participants.filter(left_on__isnull=True).select_related("organisation")
            ],
            "roles": Role.choices,
            "kinds": reference.INITIATIVE_KINDS,
            "may_sign_for": [
                s["organisation"]
                for s in doc["signatories"]
                if s["signature"] is None and roles.get(s["organisation"].pk) in rights.SIGN_ROLES
            ],
        }
    )
    return render(request, "kraftsamling/handslag.html", doc)


def _back_h(handslag_id: int) -> HttpResponse:
    return redirect("kraftsamling:handslag", handslag_id=handslag_id)


@login_required
@require_POST
def add_goal(request: HttpRequest, handslag_id: int) -> HttpResponse:
    h = _handslag(handslag_id)
    try:
        number = request.POST.get("goal_number", "").strip()
        services.add_goal(
            h,
            text=request.POST.get("text", ""),
            goal_number=services.parse_int(number, _("Kraftsamlingsmål")) if number else None,
            area_letter=request.POST.get("area", "") or None,
            by=request.user,
            request=request,
        )
    except Error as exc:
        rights.require_edit(request.user, h.delarena, action="add_handslag_goal", request=request)
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Målet är tillagt."))
    return _back_h(h.pk)


@login_required
@require_POST
def add_activity(request: HttpRequest, handslag_id: int) -> HttpResponse:
    h = _handslag(handslag_id)
    try:
        services.add_activity(
            h,
            title=request.POST.get("title", ""),
            goal_ids=[services.parse_int(v, _("mål")) for v in request.POST.getlist("goals")],
            organisation=_acting_org(request, h.delarena)
            if not request.POST.get("who")
            else _organisation(request.POST.get("who"), _("vem")),
            start=services.parse_date(request.POST.get("start"), _("start")),
            end=services.parse_date(request.POST.get("end"), _("slut")),
            responsible_role=request.POST.get("responsible_role", Role.COORDINATOR),
            kind=request.POST.get("kind", "implement"),
            how=request.POST.get("how", ""),
            by=request.user,
            request=request,
        )
    except Error as exc:
        rights.require_edit(
            request.user, h.delarena, action="add_handslag_activity", request=request
        )
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Aktiviteten är tillagd."))
    return _back_h(h.pk)


def _lookup(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except LookupError as exc:
        raise Http404(str(exc)) from None


def _goal_changes(request: HttpRequest) -> dict[str, Any]:
    number = request.POST.get("goal_number", "").strip()
    return {
        "text": request.POST.get("text", ""),
        "goal_number": services.parse_int(number, _("Kraftsamlingsmål")) if number else None,
        "area": request.POST.get("area", ""),
    }


@login_required
@require_POST
def update_goal(request: HttpRequest, handslag_id: int, goal_id: int) -> HttpResponse:
    h = _handslag(handslag_id)
    goal = _lookup(services.get_handslag_goal, h, goal_id)
    try:
        services.update_goal(h, goal, by=request.user, request=request, **_goal_changes(request))
    except Error as exc:
        rights.require_edit(
            request.user, h.delarena, action="update_handslag_goal", request=request
        )
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Målet är ändrat."))
    return _back_h(h.pk)


@login_required
@require_POST
def delete_goal(request: HttpRequest, handslag_id: int, goal_id: int) -> HttpResponse:
    h = _handslag(handslag_id)
    goal = _lookup(services.get_handslag_goal, h, goal_id)
    try:
        services.delete_goal(h, goal, by=request.user, request=request)
    except Error as exc:
        rights.require_edit(
            request.user, h.delarena, action="delete_handslag_goal", request=request
        )
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Målet är borttaget."))
    return _back_h(h.pk)


@login_required
@require_POST
def update_activity(request: HttpRequest, handslag_id: int, activity_id: int) -> HttpResponse:
    h = _handslag(handslag_id)
    activity = _lookup(services.get_handslag_activity, h, activity_id)
    try:
        services.update_activity(
            h,
            activity,
            title=request.POST.get("title", ""),
            goal_ids=[services.parse_int(v, _("mål")) for v in request.POST.getlist("goals")],
            organisation=_organisation(request.POST.get("who"), _("vem")),
            start=services.parse_date(request.POST.get("start"), _("start")),
            end=services.parse_date(request.POST.get("end"), _("slut")),
            responsible_role=request.POST.get("responsible_role", Role.COORDINATOR),
            kind=request.POST.get("kind", "implement"),
            how=request.POST.get("how", ""),
            by=request.user,
            request=request,
        )
    except Error as exc:
        rights.require_edit(
            request.user, h.delarena, action="update_handslag_activity", request=request
        )
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Initiativet är ändrat."))
    return _back_h(h.pk)


@login_required
@require_POST
def delete_activity(request: HttpRequest, handslag_id: int, activity_id: int) -> HttpResponse:
    h = _handslag(handslag_id)
    activity = _lookup(services.get_handslag_activity, h, activity_id)
    try:
        services.delete_activity(h, activity, by=request.user, request=request)
    except Error as exc:
        rights.require_edit(
            request.user, h.delarena, action="delete_handslag_activity", request=request
        )
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Initiativet är borttaget."))
    return _back_h(h.pk)


@login_required
@require_POST
def sign(request: HttpRequest, handslag_id: int) -> HttpResponse:
    h = _handslag(handslag_id)
    org = _acting_org(request, h.delarena, sign=True)
    try:
        services.sign(h, org, by=request.user, request=request)
    except Error as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(org)s har undertecknat handslaget.") % {"org": org.name})
    return _back_h(h.pk)


@require_GET
def handslag_pdf(request: HttpRequest, handslag_id: int) -> HttpResponse:
    h = _handslag(handslag_id)
    doc = services.handslag_document(h)
    html = render_to_string("kraftsamling/handslag_print.html", doc, request=request)
    response = HttpResponse(
        services.handslag_pdf(html, request.build_absolute_uri("/")),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = f'attachment; filename="handslag-{h.pk}.pdf"'
    return response


@require_GET
def handslag_markdown(request: HttpRequest, handslag_id: int) -> HttpResponse:
    h = _handslag(handslag_id)
    text = services.handslag_markdown(services.handslag_document(h))
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="handslag-{h.pk}.md"'
    return response
