"""Pages: sign in/out, "Mina API-nycklar" and the audit log. Thin: they call services."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from .audit import record_event
from .forms import AuditFilterForm, LoginForm, TokenCreateForm
from .models import AuditEvent
from .permissions import Permission, require_permission
from .services import (
    AccountsError,
    audit_events,
    create_api_token,
    list_api_tokens,
    revoke_api_token,
    set_user_language,
)

AUDIT_PAGE_SIZE = 50
AUDIT_CSV_COLUMNS = [
    "timestamp",
    "action",
    "actor_username",
    "organisation",
    "target_type",
    "target_id",
    "ip_address",
    "path",
    "detail",
]


class LoginView(auth_views.LoginView):
    """Sign in. A browser without a language choice of its own gets the user's stored
    language (``User.language``, saved when they last switched), so an English-speaking
    user on a new computer is not dropped into Swedish."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        language = getattr(form.get_user(), "language", "")
        if language and settings.LANGUAGE_COOKIE_NAME not in self.request.COOKIES:
            response.set_cookie(  # the cookie Django's own language switch sets
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response


class LogoutView(auth_views.LogoutView):
    pass


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch (``/i18n/setlang/``: cookie and redirect), and for a
    signed-in user the choice is also stored as their language (e-mail reminders)."""
    response = django_set_language(request)
    if request.method == "POST":  # Django switches only on POST, too
        set_user_language(request.user, request.POST.get("language"))
    return response


def _render_tokens(
    request: HttpRequest, form: TokenCreateForm, *, secret: str | None = None, status: int = 200
) -> HttpResponse:
    response = render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": list_api_tokens(request.user), "secret": secret},  # type: ignore[arg-type]
        status=status,
    )
    response["Cache-Control"] = "no-store"  # the secret must not sit in a cache
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """List, create (secret shown once, in this response only) and revoke own API tokens."""
    require_permission(request.user, Permission.MANAGE_TOKENS_OWN, request=request)
    if request.method != "POST":
        return _render_tokens(request, TokenCreateForm())
    form = TokenCreateForm(request.POST)
    if not form.is_valid():
        return _render_tokens(request, form, status=400)
    try:
        token, secret = create_api_token(
            user=request.user,  # type: ignore[arg-type]
            name=form.cleaned_data["name"],
            expires_at=form.expires_at(),
            scope=form.cleaned_data["scope"],
            by=request.user,
            request=request,
        )
    except AccountsError as exc:
        form.add_error(None, str(exc))
        return _render_tokens(request, form, status=400)
    messages.success(request, _("API-nyckeln ”%(name)s” är skapad.") % {"name": token.name})
    return _render_tokens(request, TokenCreateForm(), secret=secret)


@login_required
@require_POST
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = revoke_api_token(token_id=token_id, by=request.user, request=request)
    except AccountsError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("API-nyckeln ”%(name)s” är återkallad.") % {"name": token.name})
    return redirect("accounts:tokens")


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_safe(value: Any) -> str:
    """Text for a CSV cell; a leading = + - @ is neutralised so Excel runs no formula."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def _audit_csv(events: Any) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(AUDIT_CSV_COLUMNS)
        for event in events.iterator(chunk_size=2000):
            values = [
                timezone.localtime(event.timestamp).isoformat(),
                event.action,
                event.actor_username,
                event.organisation,
                event.target_type,
                event.target_id,
                event.ip_address,
                event.path,
                event.detail,
            ]
            yield writer.writerow([_csv_safe(v) for v in values])

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="granskningslogg-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
@require_http_methods(["GET"])
def audit_log(request: HttpRequest) -> HttpResponseBase:
    """The audit log for administrators: filter, page through, export as CSV."""
    form = AuditFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v}
    events = audit_events(by=request.user, request=request, **filters)
    if form.is_bound and not form.is_valid():
        events = AuditEvent.objects.none()
    if request.GET.get("format") == "csv":
        record_event(
            "audit.export",
            actor=request.user,
            detail={k: str(v) for k, v in filters.items()},
            request=request,
        )
        return _audit_csv(events)
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return render(
        request,
        "accounts/audit_log.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )
