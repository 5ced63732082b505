"""Middleware for the web interface."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


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
