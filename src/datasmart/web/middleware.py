"""Middleware for the web interface."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy


class SwedishByDefaultMiddleware:
    """Make Swedish the default whatever the browser's Accept-Language says.

    Users switch language explicitly (the language cookie set by /i18n/setlang/); Django's
    LocaleMiddleware would otherwise serve English to every browser set to English, which
    for a Swedish public-sector service is the wrong default. Must run before
    ``LocaleMiddleware``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


#: Shown when a query parameter carries a NUL character.
NUL_MESSAGE = gettext_lazy("Parametern %(where)s innehåller ett otillåtet tecken (NUL, \\0).")


class RejectNulCharactersMiddleware:
    """Refuse requests with a NUL character in a query parameter (runs after LocaleMiddleware,
    so the message is in the user's language).

    PostgreSQL text cannot hold NUL, so a query parameter with one that reached a lookup
    was a 500 (``DataError``) on PostgreSQL while SQLite answered: one clear refusal at
    the door instead of a check in every filter. The API answers 422 with the project's
    error body (``detail``, ``field`` = the parameter), as for any other bad parameter;
    pages a plain 400. (The schemathesis tests leave NUL out of generated strings for
    this reason: tests/web/test_nul_characters.py checks the refusal.) Paths
    and bodies are left to the views, which already answer precisely (an identifier with
    NUL is an unknown object, 404; a body field with NUL is a 422 naming the field, as the
    SIP API and Django's form fields do).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = self._nul_in_query(request)
        if where is None:
            return self.get_response(request)
        message = str(NUL_MESSAGE) % {"where": where}
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message, "field": where}, status=422)
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")

    @staticmethod
    def _nul_in_query(request: HttpRequest) -> str | None:
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                return key.replace("\x00", "") or "?"
        return None
