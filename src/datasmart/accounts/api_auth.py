"""Authentication for the django-ninja API: a bearer API token or a browser session.

Use ``auth=token_or_session`` on an operation (or a router) that needs a signed-in user::

    from datasmart.accounts.api_auth import token_or_session

    @router.get("/private", auth=token_or_session)
    def private(request): ...

- :class:`ApiTokenAuth` reads ``Authorization: Bearer ds_…``. A header that is present
  but wrong is refused with 401 at once (it does not fall back to the session cookie);
  an expired token gets 401 saying so; a ``read`` token on a method that changes
  something (POST, PUT, PATCH, DELETE) gets 403 saying so. On success ``request.user``
  and ``request.auth`` are the token's user and ``request.api_token`` the token. Tokens
  need no CSRF token: browsers never attach them by themselves.
- :class:`SessionAuth` accepts a signed-in Django session and, like ninja's
  ``django_auth``, enforces CSRF on unsafe methods. Unlike ``django_auth`` it does no
  CSRF check for anonymous requests, so a bearer client without cookies gets 401, not a
  confusing CSRF failure.

Public endpoints (units, population, organisations) use ``auth=None``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from .models import TokenScope
from .services import find_api_token, use_api_token

#: Methods that change nothing; the only ones a ``read`` token may use.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ApiTokenAuth(HttpBearer):
    """``Authorization: Bearer <secret>`` with a personal API token."""

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get(self.header)
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != self.openapi_scheme or not token.strip():
            raise AuthenticationError(401, "Ogiltig API-nyckel / Invalid API token")
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = find_api_token(token)
        if found is None or found.revoked_at is not None or not found.user.is_active:
            raise AuthenticationError(401, "Ogiltig API-nyckel / Invalid API token")
        if found.is_expired():
            raise AuthenticationError(
                401,
                "API-nyckeln har gått ut; skapa en ny / "
                "The API token has expired; create a new one",
            )
        if found.scope != TokenScope.WRITE and request.method not in SAFE_METHODS:
            raise HttpError(
                403,
                "API-nyckeln får bara läsa (behörighet read); ändringar kräver en nyckel med "
                "behörighet write / The API token is read-only (scope read); changes need a "
                "token with scope write",
            )
        use_api_token(found)
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]
        return found.user


class SessionAuth(APIKeyCookie):
    """A signed-in Django session; CSRF is checked on unsafe methods."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(403, "CSRF-kontrollen misslyckades / CSRF check failed")
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if key and user is not None and user.is_authenticated and user.is_active:
            return user
        return None


api_token_auth = ApiTokenAuth()
session_auth = SessionAuth()

#: Bearer token first, then the session: pass as ``auth=`` to ninja operations/routers.
token_or_session: list[Any] = [api_token_auth, session_auth]
