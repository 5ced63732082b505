"""Middleware for the web interface."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse


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


#: Shown when a request carries a NUL character (Swedish: the default language).
NUL_MESSAGE = "Begäran innehåller ett otillåtet tecken (NUL, \\0) i {where}."


class RejectNulCharactersMiddleware:
    """Refuse requests with a NUL character in the path, the query string or a text body.

    PostgreSQL text cannot hold NUL, so such a value reaching a query or a save would be a
    500 (``DataError``) on PostgreSQL while SQLite accepts it: one clear refusal at the
    door instead of a check in every form, API schema and lookup. The API gets the
    project's error body (``detail``, ``field``) with 422, pages a plain 400. Multipart
    bodies are not read here (files may hold NUL bytes; their text fields go through the
    forms, which refuse NUL themselves).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = self._nul_in(request)
        if where is None:
            return self.get_response(request)
        message = NUL_MESSAGE.format(where=where)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message, "field": where}, status=422)
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")

    @staticmethod
    def _nul_in(request: HttpRequest) -> str | None:
        if "\x00" in request.path:
            return "adressen"
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                return key.replace("\x00", "") or "adressen"
        content_type = request.content_type or ""
        if request.method in {"POST", "PUT", "PATCH"} and (
            content_type == "application/json"
            or content_type == "application/x-www-form-urlencoded"
        ):
            body = request.body
            if b"\x00" in body or b"\\u0000" in body or b"%00" in body:
                return "innehållet"
        return None
