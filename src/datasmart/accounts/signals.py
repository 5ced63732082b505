"""Audit sign-ins: ``auth.login``, ``auth.login_failed`` and ``auth.locked_out``.

The attempted password never reaches the audit log: only the username is kept.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from .audit import record_event


def _username(credentials: dict[str, Any] | None) -> str:
    value = (credentials or {}).get("username", "")
    return str(value)[:150] if value else ""


@receiver(user_logged_in, dispatch_uid="datasmart.accounts.audit_login")
def audit_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    record_event("auth.login", actor=user, target=user, request=request)


@receiver(user_login_failed, dispatch_uid="datasmart.accounts.audit_login_failed")
def audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    record_event(
        "auth.login_failed",
        actor=None,
        detail={"username": _username(credentials)},
        request=request,
    )


@receiver(user_locked_out, dispatch_uid="datasmart.accounts.audit_locked_out")
def audit_locked_out(
    sender: Any, request: HttpRequest | None = None, username: str | None = None, **kwargs: Any
) -> None:
    record_event(
        "auth.locked_out",
        actor=None,
        detail={"username": (username or "")[:150]},
        request=request,
    )
