"""Throttling of unauthenticated attempts: sign-in across user names and invitation links.

Both count failures per client address. The address comes from django-axes' helper, so
``AXES_IPWARE_*`` (the balancer's header and proxy count) decide it in one place for
sign-in lockouts, link throttling and the audit log.

- :class:`LoginThrottleHandler` extends django-axes' database handler: besides a
  user name + address pair (``AXES_FAILURE_LIMIT``), an address with
  ``LOGIN_IP_FAILURE_LIMIT`` failures over *any* user names within the cool-off is locked
  too, so one password tried across many user names (password spraying) is slowed.
- :func:`too_many_failures` / :func:`record_failure` count failed invitation-link attempts
  in Django's cache (Redis in production, shared by every process; per process in the
  one-machine demo) so a flood is refused with 429 *before* it writes audit rows.
"""

from __future__ import annotations

import hashlib
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_ip_address, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.db.models import Sum
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's address as django-axes (and its ``AXES_IPWARE_*``) sees it."""
    return str(get_client_ip_address(request) or "unknown")


class LoginThrottleHandler(AxesDatabaseHandler):  # type: ignore[misc]
    """django-axes' database handler plus a lockout per address over all user names."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        failures: int = super().get_failures(request, credentials)
        ip_limit = int(getattr(settings, "LOGIN_IP_FAILURE_LIMIT", 0))
        address = getattr(request, "axes_ip_address", None)
        if ip_limit <= 0 or not address:
            return failures
        attempts = AccessAttempt.objects.filter(ip_address=address)
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        from_address = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
        if from_address >= ip_limit:
            # Report the pair limit: django-axes then locks out as for a user name.
            return max(failures, get_failure_limit(request, credentials))
        return failures


def _key(scope: str, request: HttpRequest) -> str:
    digest = hashlib.sha256(client_address(request).encode()).hexdigest()[:32]
    return f"datasmart:throttle:{scope}:{digest}"


def too_many_failures(scope: str, request: HttpRequest, *, limit: int) -> bool:
    """Whether the client has ``limit`` or more recorded failures in ``scope``."""
    return limit > 0 and int(cache.get(_key(scope, request), 0)) >= limit


def record_failure(scope: str, request: HttpRequest, *, window: int) -> int:
    """Count one failure for the client in ``scope``; the count expires ``window`` seconds
    after the first failure. Returns the new count."""
    key = _key(scope, request)
    if cache.add(key, 1, timeout=window):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        return 1
