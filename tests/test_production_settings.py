"""Issue #10 §6: the production configuration is read from the environment and passes
Django's deployment check. Settings are computed at import, so each case starts a fresh
interpreter with the environment a deployment would give it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from datasmart.config.env import env_bool, env_int, env_list, proxy_ssl_header

REPO = Path(__file__).resolve().parents[1]
MANAGE = [sys.executable, "-m", "datasmart.manage"]

SHOW = """
import json
from django.conf import settings as s
print(json.dumps({k: getattr(s, k) for k in (
    "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER", "USE_X_FORWARDED_HOST",
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "AXES_IPWARE_PROXY_COUNT",
    "AXES_IPWARE_META_PRECEDENCE_ORDER", "DATASMART_SITE_URL", "SESSION_IDLE_TIMEOUT",
    "API_TOKEN_MAX_DAYS")}))
"""


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("DATASMART_", "AXES_"))}
    keep.pop("SECRET_KEY", None)
    return {
        **keep,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DATASMART_VAR_DIR": str(tmp_path),
        **extra,
    }


def _production(tmp_path: Path, **extra: str) -> dict[str, str]:
    return _env(
        tmp_path,
        DATASMART_ENV="production",
        SECRET_KEY="k9V$-" + "Zq2#xW7!pL4&mN8@rT1%" * 3,
        DATASMART_SIP_IDENTITY_KEY="s" * 16 + "i" * 16 + "p" * 16,
        ALLOWED_HOSTS="datasmart.example.se",
        **extra,
    )


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed argv
        [*MANAGE, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_in_production(tmp_path: Path) -> None:
    done = _run(["check", "--deploy", "--fail-level", "WARNING"], _production(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout
    # The development defaults are what the deployment check warns about.
    dev = _run(["check", "--deploy"], _env(tmp_path))
    assert "security.W004" in dev.stderr and "security.W008" in dev.stderr


def test_production_defaults_and_overrides_come_from_the_environment(tmp_path: Path) -> None:
    shown = _run(["shell", "-c", SHOW], _production(tmp_path))
    assert shown.returncode == 0, shown.stderr
    values = json.loads(shown.stdout.strip().splitlines()[-1])
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SESSION_COOKIE_SECURE"] is values["CSRF_COOKIE_SECURE"] is True
    assert values["AXES_IPWARE_PROXY_COUNT"] is None
    assert values["AXES_IPWARE_META_PRECEDENCE_ORDER"] == ["REMOTE_ADDR"]

    overridden = _production(
        tmp_path,
        DATASMART_HSTS_SECONDS="600",
        DATASMART_HSTS_PRELOAD="off",
        DATASMART_PROXY_SSL_HEADER="X-Forwarded-Scheme=https",
        DATASMART_USE_X_FORWARDED_HOST="1",
        AXES_IPWARE_PROXY_COUNT="1",
        AXES_IPWARE_META_PRECEDENCE_ORDER='["HTTP_X_FORWARDED_FOR"]',
        DATASMART_SITE_URL="https://datasmart.example.se",
        DATASMART_SESSION_IDLE_MINUTES="15",
        DATASMART_API_TOKEN_MAX_DAYS="90",
    )
    shown = _run(["shell", "-c", SHOW], overridden)
    assert shown.returncode == 0, shown.stderr
    values = json.loads(shown.stdout.strip().splitlines()[-1])
    assert values["SECURE_HSTS_SECONDS"] == 600 and values["SECURE_HSTS_PRELOAD"] is False
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_SCHEME", "https"]
    assert values["USE_X_FORWARDED_HOST"] is True
    assert values["AXES_IPWARE_PROXY_COUNT"] == 1
    assert values["AXES_IPWARE_META_PRECEDENCE_ORDER"] == ["HTTP_X_FORWARDED_FOR"]
    assert values["DATASMART_SITE_URL"] == "https://datasmart.example.se"
    assert values["SESSION_IDLE_TIMEOUT"] == 900 and values["API_TOKEN_MAX_DAYS"] == 90


def test_a_typo_in_a_security_setting_stops_the_start(tmp_path: Path) -> None:
    done = _run(["check"], _production(tmp_path, DATASMART_SSL_REDIRECT="ture"))
    assert done.returncode != 0 and "DATASMART_SSL_REDIRECT" in done.stderr


# --- the parsing helpers, in process -------------------------------------------------------


def test_env_helpers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_BOOL", "Yes")
    monkeypatch.setenv("X_INT", "12")
    monkeypatch.setenv("X_LIST", "HTTP_X_REAL_IP, REMOTE_ADDR")
    monkeypatch.setenv("X_EMPTY", "")
    assert env_bool("X_BOOL", False) is True and env_bool("X_EMPTY", True) is True
    assert env_int("X_INT", 0) == 12 and env_int("X_EMPTY", None) is None
    assert env_list("X_LIST", None) == ["HTTP_X_REAL_IP", "REMOTE_ADDR"]
    assert proxy_ssl_header("X-Forwarded-Proto=https") == ("HTTP_X_FORWARDED_PROTO", "https")
    assert proxy_ssl_header("off") is None and proxy_ssl_header("") is None
    for bad in ("maybe", "-1"):
        monkeypatch.setenv("X_BAD", bad)
        with pytest.raises(ImproperlyConfigured, match="X_BAD"):
            env_bool("X_BAD", False) if bad == "maybe" else env_int("X_BAD", 0)
    monkeypatch.setenv("X_BAD", '["unclosed"')
    with pytest.raises(ImproperlyConfigured, match="JSON"):
        env_list("X_BAD", None)
    with pytest.raises(ImproperlyConfigured, match="X-Forwarded-Proto=https"):
        proxy_ssl_header("X-Forwarded-Proto")
