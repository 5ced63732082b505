"""SIP pages for the person the plan is about (the third party), in plain Swedish.

Two ways in:

- an **invitation link** ``/sip/lank/<secret>/`` made by a caseworker. Opening the page
  only shows a button; pressing it (POST) uses the link once
  (``services.redeem_invitation_link``), gives the browser a new session key and keeps a
  session limited to that plan for a few hours;
- the person's **own account** (``Person.user``): sign in and go to ``/sip/min-plan/``.

The person reads the plan, agrees or comments, sees who has read it, withdraws consent,
ends the plan and downloads everything recorded (GDPR art. 15 and 20). A relative or
another invitee on a link may read but not act for the person; the services refuse that
(403) and the page does not offer it.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable
from typing import Concatenate, ParamSpec

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from datasmart.accounts.throttle import record_failure, too_many_failures
from datasmart.sip import services
from datasmart.sip.domain.access import LINK_SESSION
from datasmart.sip.domain.access_log import who_for_person
from datasmart.sip.domain.actors import PersonActor
from datasmart.sip.domain.errors import SipNotFound, SipValidationError, StaleVersion
from datasmart.sip.models import CloseReason, ResponseKind, Sip, SipStatus
from datasmart.sip.pages.forms import PersonResponseForm
from datasmart.sip.pages.support import (
    end_link_session,
    link_is_open,
    person_actor,
    plan_parts,
    start_link_session,
)

P = ParamSpec("P")
PersonView = Callable[Concatenate[HttpRequest, PersonActor, uuid.UUID, P], HttpResponse]
LOG_PAGE_SIZE = 50


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def person_not_found(request: HttpRequest) -> HttpResponse:
    """One page for every "cannot show you this plan": no session, session expired,
    another person's plan. It says what to do next and reveals nothing."""
    return _no_store(render(request, "sip/person/not_found.html", status=404))


def person_page(
    view: PersonView[P],
) -> Callable[Concatenate[HttpRequest, uuid.UUID, P], HttpResponse]:
    @functools.wraps(view)
    def wrapper(
        request: HttpRequest, sip_id: uuid.UUID, *args: P.args, **kwargs: P.kwargs
    ) -> HttpResponse:
        actor = person_actor(request, sip_id)
        if actor is None:
            return person_not_found(request)
        try:
            return _no_store(view(request, actor, sip_id, *args, **kwargs))
        except SipNotFound:
            return person_not_found(request)

    return never_cache(wrapper)


# --- the link ------------------------------------------------------------------------------


LINK_THROTTLE = "sip-link"


def _link_gone(request: HttpRequest) -> HttpResponse:
    record_failure(LINK_THROTTLE, request, window=settings.LINK_ATTEMPT_WINDOW)
    return _no_store(render(request, "sip/person/link_invalid.html", status=404))


def _too_many_attempts(request: HttpRequest) -> HttpResponse:
    minutes = max(1, -(-settings.LINK_ATTEMPT_WINDOW // 60))
    response = render(
        request, "sip/person/too_many_attempts.html", {"minutes": minutes}, status=429
    )
    response["Retry-After"] = str(settings.LINK_ATTEMPT_WINDOW)
    return _no_store(response)


@never_cache
@require_http_methods(["GET", "POST"])
def redeem(request: HttpRequest, secret: str) -> HttpResponse:
    """GET: a page with a button (fetching the page does not use the link, so a mail
    program that checks links cannot use it up). POST: open the plan.

    Failed attempts are counted per client address (``accounts.throttle``); past
    ``LINK_ATTEMPT_LIMIT`` the address gets 429 before any lookup, so a flood of guesses
    cannot fill the audit log."""
    if too_many_failures(LINK_THROTTLE, request, limit=settings.LINK_ATTEMPT_LIMIT):
        return _too_many_attempts(request)
    if request.method == "GET":
        if not link_is_open(secret):
            return _link_gone(request)
        response = render(
            request,
            "sip/person/open_link.html",
            {"hours": int(LINK_SESSION.total_seconds() // 3600)},
        )
        return _no_store(response)
    try:
        actor = services.redeem_invitation_link(secret)
    except SipNotFound:
        return _link_gone(request)
    start_link_session(request, actor)
    return redirect("sip:person_plan", sip_id=actor.sip_id)


@require_POST
def leave(request: HttpRequest) -> HttpResponse:
    """End the link session (on a shared computer, for example)."""
    end_link_session(request)
    if not request.user.is_authenticated:
        request.session.flush()
    return _no_store(render(request, "sip/person/left.html"))


# --- the person's plans --------------------------------------------------------------------


@never_cache
@require_GET
def my_plans(request: HttpRequest) -> HttpResponse:
    """``/sip/min-plan/``: the plan of a link session, or the signed-in person's plans."""
    actor = person_actor(request)
    if actor is None:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return person_not_found(request)
    if actor.via == "link":
        return redirect("sip:person_plan", sip_id=actor.sip_id)
    sips = services.list_sips(actor)
    if len(sips) == 1:
        return redirect("sip:person_plan", sip_id=sips[0].pk)
    return _no_store(render(request, "sip/person/my_plans.html", {"sips": sips}))


def _plan_page(
    request: HttpRequest,
    actor: PersonActor,
    sip: Sip,
    *,
    form: PersonResponseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    parts = plan_parts(sip)
    latest = parts.latest
    if form is None:
        form = PersonResponseForm(initial={"plan_version": latest.number if latest else None})
    agreed = any(
        r.kind == ResponseKind.AGREE and latest is not None and r.plan_version_id == latest.pk
        for r in parts.responses
    )
    return render(
        request,
        "sip/person/plan.html",
        {
            "sip": sip,
            "parts": parts,
            "form": form,
            "speaks": actor.speaks_for_person,
            "via_link": actor.via == "link",
            "active": sip.status == SipStatus.ACTIVE,
            "agreed": agreed,
        },
        status=status,
    )


@person_page
@require_GET
def plan(request: HttpRequest, actor: PersonActor, sip_id: uuid.UUID) -> HttpResponse:
    """The plan in plain language, with what the person can do."""
    sip = services.get_sip(actor, sip_id)
    return _plan_page(request, actor, sip)


@person_page
@require_POST
def respond(request: HttpRequest, actor: PersonActor, sip_id: uuid.UUID) -> HttpResponse:
    """Agree with the plan, or comment on it. The answer is about the version the person
    read: if the plan changed in between, they are asked to read it again first."""
    sip = services.get_sip(actor, sip_id)
    form = PersonResponseForm(request.POST)
    kind = request.POST.get("kind")
    if kind not in ResponseKind.values:
        form.add_error(None, _("Välj om du håller med eller vill skriva en kommentar."))
        return _plan_page(request, actor, sip, form=form, status=400)
    if not form.is_valid():
        return _plan_page(request, actor, sip, form=form, status=400)
    latest = sip.plan_versions.order_by("-number").values_list("number", flat=True).first()
    if latest != form.cleaned_data["plan_version"]:
        messages.warning(
            request,
            _("Planen har ändrats sedan du öppnade sidan. Läs den nya versionen innan du svarar."),
        )
        return redirect("sip:person_plan", sip_id=sip.pk)
    try:
        services.person_respond(actor, sip.pk, kind=kind, text=form.cleaned_data.get("text", ""))
    except SipValidationError as exc:
        if exc.field == "text":
            form.add_error("text", _("Skriv din kommentar i rutan."))
        else:
            form.add_error(None, exc.message)
        return _plan_page(request, actor, sip, form=form, status=400)
    if kind == ResponseKind.AGREE:
        messages.success(request, _("Tack! Vi har noterat att du håller med om planen."))
    else:
        messages.success(request, _("Tack! Din kommentar är skickad till dem som gör planen."))
    return redirect("sip:person_plan", sip_id=sip.pk)


@person_page
@require_GET
def log(request: HttpRequest, actor: PersonActor, sip_id: uuid.UUID) -> HttpResponse:
    """ "Vem har läst min plan?": every read and change, newest first."""
    sip = services.get_sip(actor, sip_id)
    rows = services.access_log(actor, sip.pk)
    page = Paginator(rows, LOG_PAGE_SIZE).get_page(request.GET.get("sida"))
    for row in page.object_list:
        row.who = who_for_person(row)  # type: ignore[attr-defined]
    return render(request, "sip/person/log.html", {"sip": sip, "page": page})


@person_page
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, actor: PersonActor, sip_id: uuid.UUID) -> HttpResponse:
    """Withdraw consent, after a page that says what it means."""
    sip = services.get_sip(actor, sip_id)
    if request.method == "POST":
        services.withdraw_consent(actor, sip.pk)
        messages.success(
            request,
            _(
                "Ditt samtycke är återkallat. Andra verksamheter kan inte längre se din plan. "
                "Den som startade planen har kvar sina egna uppgifter."
            ),
        )
        return redirect("sip:person_plan", sip_id=sip.pk)
    parts = plan_parts(sip)
    return render(
        request,
        "sip/person/withdraw.html",
        {"sip": sip, "parts": parts, "speaks": actor.speaks_for_person},
    )


@person_page
@require_http_methods(["GET", "POST"])
def end(request: HttpRequest, actor: PersonActor, sip_id: uuid.UUID) -> HttpResponse:
    """End the plan, after a page that says what it means."""
    sip = services.get_sip(actor, sip_id)
    notice = None
    status = 200
    if sip.status != SipStatus.ACTIVE:
        messages.info(request, _("Planen är redan avslutad."))
        return redirect("sip:person_plan", sip_id=sip.pk)
    if request.method == "POST":
        try:
            expected = int(request.POST.get("expected_version", ""))
        except ValueError:
            expected = 0
        try:
            services.close_sip(
                actor, sip.pk, expected_version=expected, reason=CloseReason.PERSON_ENDED
            )
        except StaleVersion:
            sip.refresh_from_db()
            notice = _(
                "Planen har ändrats sedan du öppnade sidan. Läs den gärna igen. Vill du "
                "fortfarande avsluta den, tryck på knappen en gång till."
            )
            status = 409
        except SipValidationError as exc:
            notice = exc.message
            status = 400
        else:
            messages.success(
                request,
                _("Din SIP är avslutad. Du kan fortfarande läsa den och ladda ner dina uppgifter."),
            )
            return redirect("sip:person_plan", sip_id=sip.pk)
    return render(
        request,
        "sip/person/end.html",
        {"sip": sip, "notice": notice, "speaks": actor.speaks_for_person},
        status=status,
    )


#: Readable names for the keys of :func:`services.export_person_data` on the HTML page.
EXPORT_LABELS = {
    "person": _lazy("Person"),
    "sip": _lazy("Planen"),
    "consents": _lazy("Samtycken"),
    "participants": _lazy("Deltagare"),
    "meetings": _lazy("Möten"),
    "plan_versions": _lazy("Planens versioner"),
    "responses": _lazy("Dina svar"),
    "invitation_links": _lazy("Inbjudningslänkar"),
    "access_log": _lazy("Vem har läst eller ändrat planen"),
    "display_name": _lazy("Namn"),
    "identity_number": _lazy("Personnummer"),
    "birth_date": _lazy("Födelsedatum"),
    "status": _lazy("Status"),
    "started_at": _lazy("Startad"),
    "need": _lazy("Behov"),
    "owner_organisation": _lazy("Startad av"),
    "lead_organisation": _lazy("Huvudansvarig"),
    "coordinator_name": _lazy("Samordnare"),
    "closed_at": _lazy("Avslutad"),
    "given_by": _lazy("Givet av"),
    "given_at": _lazy("Givet"),
    "organisations": _lazy("Verksamheter"),
    "withdrawn_at": _lazy("Återkallat"),
    "name": _lazy("Namn"),
    "organisation": _lazy("Organisation"),
    "kind": _lazy("Typ"),
    "scheduled_at": _lazy("Tid"),
    "location": _lazy("Plats"),
    "held_at": _lazy("Hållet"),
    "number": _lazy("Version"),
    "content": _lazy("Innehåll"),
    "created_at": _lazy("Skapad"),
    "created_by": _lazy("Av"),
    "text": _lazy("Text"),
    "at": _lazy("När"),
    "who": _lazy("Vem"),
    "action": _lazy("Vad"),
}
#: Technical fields the person does not need on the printable page (the JSON file has
#: them); ``created_by`` is a staff login name, which the person's pages never show.
EXPORT_HIDDEN = {
    "id",
    "format",
    "format_version",
    "org_number",
    "detail",
    "meeting_id",
    "created_by",
}


def _tree(value: object) -> dict[str, object]:
    """The export as nodes for ``sip/person/_data_value.html`` (dict, list or text)."""
    if isinstance(value, dict):
        items = [
            (str(EXPORT_LABELS.get(k, k.replace("_", " ").capitalize())), _tree(v))
            for k, v in value.items()
            if k not in EXPORT_HIDDEN and v not in (None, "", [], {})
        ]
        return {"kind": "dict", "items": items}
    if isinstance(value, list):
        return {"kind": "list", "items": [_tree(v) for v in value]}
    if isinstance(value, bool):
        return {"kind": "text", "text": _("ja") if value else _("nej")}
    return {"kind": "text", "text": str(value)}


@person_page
@require_GET
def export_page(request: HttpRequest, actor: PersonActor, sip_id: uuid.UUID) -> HttpResponse:
    """The same data as :func:`export` on a page that can be read and printed (the JSON
    file alone was no use to most people). Logged as an export like the file."""
    data = services.export_person_data(actor, sip_id)
    sections = [
        (str(EXPORT_LABELS.get(k, k)), _tree(v))
        for k, v in data.items()
        if k not in EXPORT_HIDDEN and k != "exported_at"
    ]
    return _no_store(
        render(
            request,
            "sip/person/export.html",
            {"sip_id": sip_id, "sections": sections, "exported_at": data.get("exported_at")},
        )
    )


@person_page
@require_GET
def export(request: HttpRequest, actor: PersonActor, sip_id: uuid.UUID) -> HttpResponse:
    """Everything recorded about the person in this plan, as a JSON file."""
    data = services.export_person_data(actor, sip_id)
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="min-sip-{day}.json"'
    return response
