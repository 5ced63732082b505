"""Idle timeout for signed-in sessions.

A staff member who walks away from a signed-in browser should not leave SIP plans and
national money open for the next person at the desk. Django's ``SESSION_COOKIE_AGE`` is
an absolute lifetime (unless every request rewrites the session, one database write per
request); this middleware instead stores the time of the last request in the session,
rewriting it at most once a minute, and signs the user out when more than
``SESSION_IDLE_TIMEOUT`` seconds have passed.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

#: Session key holding the time (epoch seconds) of the last request.
LAST_SEEN_KEY = "datasmart_last_seen"
#: The stored time is refreshed at most this often (seconds), to spare session writes.
REFRESH_EVERY = 60


class IdleTimeoutMiddleware:
    """Sign out an authenticated session idle longer than ``settings.SESSION_IDLE_TIMEOUT``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        timeout = int(getattr(settings, "SESSION_IDLE_TIMEOUT", 0))
        if timeout > 0 and user is not None and user.is_authenticated:
            now = time.time()
            last = request.session.get(LAST_SEEN_KEY)
            if isinstance(last, int | float) and now - last > timeout:
                logout(request)  # flushes the session; request.user becomes anonymous
                messages.info(
                    request,
                    _("Du loggades ut efter %(minutes)d minuter utan aktivitet.")
                    % {"minutes": timeout // 60},
                )
            elif not isinstance(last, int | float) or now - last >= REFRESH_EVERY:
                request.session[LAST_SEEN_KEY] = int(now)
        return self.get_response(request)
