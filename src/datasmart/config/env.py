"""Reading settings from environment variables, strictly.

A typo in a security setting must stop the start-up, not silently fall back to a default
(``DATASMART_SSL_REDIRECT=ture`` would otherwise leave plain http on). So every helper
raises :class:`ImproperlyConfigured` naming the variable and what it accepts.
"""

from __future__ import annotations

import json
import os
from typing import TypeVar, overload

from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_bool(name: str, default: bool) -> bool:
    """``1/true/yes/on`` or ``0/false/no/off`` (any case); unset or empty: ``default``."""
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be 1/true/yes/on or 0/false/no/off, not {raw!r}")


@overload
def env_int(name: str, default: int) -> int: ...
@overload
def env_int(name: str, default: None) -> int | None: ...
def env_int(name: str, default: int | None) -> int | None:
    """A whole number >= 0; unset or empty: ``default``."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < 0:
        raise ImproperlyConfigured(f"{name} must not be negative, not {raw!r}")
    return value


def env_list(name: str, default: T) -> list[str] | T:
    """A list of strings: a JSON list (``["HTTP_X_FORWARDED_FOR"]``, as docs/deployment.md
    writes it) or comma separated (``HTTP_X_FORWARDED_FOR,REMOTE_ADDR``); unset or empty:
    ``default``."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if raw.startswith("["):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            raise ImproperlyConfigured(f"{name} is not a valid JSON list: {raw!r}") from None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ImproperlyConfigured(f"{name} must be a list of strings: {raw!r}")
        items = [v.strip() for v in value]
    else:
        items = [v.strip() for v in raw.split(",")]
    return [v for v in items if v]


def proxy_ssl_header(value: str) -> tuple[str, str] | None:
    """``"X-Forwarded-Proto=https"`` -> ``("HTTP_X_FORWARDED_PROTO", "https")`` for Django's
    ``SECURE_PROXY_SSL_HEADER``; empty or ``off``: None (requests are https only when they
    reach Django over TLS)."""
    value = value.strip()
    if not value or value.lower() in _FALSE:
        return None
    header, sep, expected = value.partition("=")
    header, expected = header.strip(), expected.strip()
    if not sep or not header or not expected:
        raise ImproperlyConfigured(
            "DATASMART_PROXY_SSL_HEADER must look like 'X-Forwarded-Proto=https' or be 'off', "
            f"not {value!r}"
        )
    meta = header.upper().replace("-", "_")
    if not meta.startswith("HTTP_"):
        meta = "HTTP_" + meta
    return meta, expected
