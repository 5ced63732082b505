"""Django settings for datasmart.

Configuration comes from environment variables (twelve-factor), so the same code runs as
the embedded SQLite demo, in CI against PostgreSQL, and as stateless production processes:

- ``DATABASE_URL``: any dj-database-url URL; default ``sqlite:///<repo>/var/datasmart.sqlite3``.
- ``DATASMART_DATA_DIR``: folder with the reference data; default ``<repo>/../shared/data``.
- ``SECRET_KEY``: required when ``DEBUG`` is off; a development key is generated otherwise.
- ``DATASMART_DEBUG``: ``1`` for debug pages (never in production).
- ``ALLOWED_HOSTS``: comma separated; default ``127.0.0.1,localhost``.
- ``DATASMART_SIP_IDENTITY_KEY``: key for SIP identity-number digests and encryption;
  required when ``DATASMART_ENV=production``, derived from ``SECRET_KEY`` otherwise.
- ``DATASMART_SIP_RETENTION_DAYS``: days a closed SIP is kept before erasure (default 3650).
- ``DATASMART_SIP_FIRST_MEETING_DAYS``: target days from start to first SIP meeting (30).

Production hardening (``DATASMART_ENV=production`` turns each on; every one can be set
explicitly, see docs/deployment.md): ``DATASMART_SSL_REDIRECT``, ``DATASMART_HSTS_SECONDS``,
``DATASMART_HSTS_INCLUDE_SUBDOMAINS``, ``DATASMART_HSTS_PRELOAD``,
``DATASMART_PROXY_SSL_HEADER``, ``DATASMART_USE_X_FORWARDED_HOST``, ``AXES_IPWARE_*``,
``DATASMART_SESSION_IDLE_MINUTES``, ``DATASMART_SESSION_MAX_HOURS``,
``DATASMART_API_TOKEN_MAX_DAYS``, ``DATASMART_API_TOKEN_DEFAULT_DAYS``,
``DATASMART_LOGIN_IP_FAILURE_LIMIT``, ``DATASMART_LINK_ATTEMPT_LIMIT``,
``DATASMART_LINK_ATTEMPT_WINDOW_SECONDS``, ``DATASMART_SITE_URL``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from datasmart.config.env import env_bool, env_int, env_list, proxy_ssl_header

PACKAGE_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = PACKAGE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("DATASMART_VAR_DIR", REPO_DIR / "var"))

DEBUG = os.environ.get("DATASMART_DEBUG", "0") == "1"
#: ``DATASMART_ENV=production``: the secure defaults below switch on.
PRODUCTION = os.environ.get("DATASMART_ENV", "development") == "production"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    # Development and test only: a fixed key is acceptable because nothing is deployed
    # with it; production refuses to start without SECRET_KEY (see docs/deployment.md).
    if PRODUCTION:
        raise RuntimeError("SECRET_KEY must be set when DATASMART_ENV=production")
    SECRET_KEY = "datasmart-development-key-not-for-production-" + "x" * 20

# SIP identity numbers (personnummer) are stored as an HMAC digest and Fernet-encrypted
# under keys derived from this one (datasmart.sip.identity). It must stay the same for the
# life of the data: a new key makes stored numbers unreadable and unfindable. Production
# refuses to start without it; development derives it from SECRET_KEY.
SIP_IDENTITY_KEY = os.environ.get("DATASMART_SIP_IDENTITY_KEY", "")
if not SIP_IDENTITY_KEY:
    if os.environ.get("DATASMART_ENV", "development") == "production":
        raise RuntimeError("DATASMART_SIP_IDENTITY_KEY must be set when DATASMART_ENV=production")
    SIP_IDENTITY_KEY = hashlib.sha256(b"datasmart.sip.identity:" + SECRET_KEY.encode()).hexdigest()
elif len(SIP_IDENTITY_KEY) < 32:
    raise RuntimeError("DATASMART_SIP_IDENTITY_KEY must be at least 32 characters")
# Days a closed SIP is kept before erase_expired() removes the personal content. A
# configurable default, not a statement of what the law requires: each organisation sets
# it from its own records-management decision (dokumenthanteringsplan).
SIP_RETENTION_DAYS = int(os.environ.get("DATASMART_SIP_RETENTION_DAYS", "3650"))
# Target number of days from start to the first SIP meeting (statistics).
SIP_FIRST_MEETING_DAYS = int(os.environ.get("DATASMART_SIP_FIRST_MEETING_DAYS", "30"))

ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

DATA_DIR = Path(os.environ.get("DATASMART_DATA_DIR", REPO_DIR.parent / "shared" / "data")).resolve()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "ninja",  # serves Swagger UI from the package (without it ninja links a CDN)
    "datasmart.geo",
    "datasmart.accounts",
    "datasmart.indicators",
    "datasmart.funding",
    "datasmart.sip",
    "datasmart.needs",
    "datasmart.plans",
    "datasmart.kraftsamling",
    "datasmart.checklist",
    "datasmart.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "datasmart.web.middleware.SwedishByDefaultMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "datasmart.web.middleware.RejectNulCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "datasmart.accounts.middleware.IdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "datasmart.config.urls"
WSGI_APPLICATION = "datasmart.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'datasmart.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while a load runs; a busy timeout avoids spurious locks.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"

# Login throttling (django-axes): lock a username+IP pair after 5 failures for 15 minutes,
# and (datasmart.accounts.throttle.LoginThrottleHandler) an IP address after
# DATASMART_LOGIN_IP_FAILURE_LIMIT failures over any user names, so one password tried
# across many user names is slowed as well.
AXES_HANDLER = "datasmart.accounts.throttle.LoginThrottleHandler"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
LOGIN_IP_FAILURE_LIMIT = env_int("DATASMART_LOGIN_IP_FAILURE_LIMIT", 20)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# Behind a proxy or balancer: which header carries the client address and how many proxies
# stand in front (django-ipware). Unset: REMOTE_ADDR, no proxies.
AXES_IPWARE_PROXY_COUNT = env_int("AXES_IPWARE_PROXY_COUNT", None)
AXES_IPWARE_META_PRECEDENCE_ORDER = env_list("AXES_IPWARE_META_PRECEDENCE_ORDER", ["REMOTE_ADDR"])
AXES_IPWARE_PROXY_ORDER = os.environ.get("AXES_IPWARE_PROXY_ORDER", "left-most")
AXES_IPWARE_PROXY_TRUSTED_IPS = env_list("AXES_IPWARE_PROXY_TRUSTED_IPS", None)

# Staff sessions end after DATASMART_SESSION_IDLE_MINUTES without a request
# (datasmart.accounts.middleware.IdleTimeoutMiddleware) and after
# DATASMART_SESSION_MAX_HOURS in any case.
SESSION_IDLE_TIMEOUT = env_int("DATASMART_SESSION_IDLE_MINUTES", 30) * 60
SESSION_COOKIE_AGE = env_int("DATASMART_SESSION_MAX_HOURS", 12) * 3600

# API tokens: at most DATASMART_API_TOKEN_MAX_DAYS long, DATASMART_API_TOKEN_DEFAULT_DAYS
# when no expiry is given.
API_TOKEN_MAX_DAYS = env_int("DATASMART_API_TOKEN_MAX_DAYS", 365)
API_TOKEN_DEFAULT_DAYS = min(env_int("DATASMART_API_TOKEN_DEFAULT_DAYS", 90), API_TOKEN_MAX_DAYS)

# Invitation links: an IP address with this many failed attempts within the window gets
# 429 (and writes no more audit rows) until the window has passed.
LINK_ATTEMPT_LIMIT = env_int("DATASMART_LINK_ATTEMPT_LIMIT", 10)
LINK_ATTEMPT_WINDOW = env_int("DATASMART_LINK_ATTEMPT_WINDOW_SECONDS", 900)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env_bool("DATASMART_SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# TLS. In production TLS ends at the balancer, which must set X-Forwarded-Proto (and
# overwrite one sent by the client); Django then knows the request was https, builds
# https links and redirects plain http. DATASMART_PROXY_SSL_HEADER="off" turns that off.
SECURE_PROXY_SSL_HEADER = proxy_ssl_header(
    os.environ.get("DATASMART_PROXY_SSL_HEADER", "X-Forwarded-Proto=https" if PRODUCTION else "")
)
USE_X_FORWARDED_HOST = env_bool("DATASMART_USE_X_FORWARDED_HOST", False)
SECURE_SSL_REDIRECT = env_bool("DATASMART_SSL_REDIRECT", PRODUCTION)
# The balancer's health check calls plain http without the proxy header.
SECURE_REDIRECT_EXEMPT = [r"^api/health$"]
SECURE_HSTS_SECONDS = env_int("DATASMART_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DATASMART_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("DATASMART_HSTS_PRELOAD", PRODUCTION)
#: Absolute links in mails (reminders) start with this, e.g. ``https://datasmart.example.se``.
DATASMART_SITE_URL = os.environ.get("DATASMART_SITE_URL", "")

# Content-Security-Policy: everything from our own origin; Plotly needs inline styles
# and 'unsafe-eval' is not granted (plotly.min.js works without it for the charts we use).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Svenska")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DATASMART_STATIC_ROOT", VAR_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve straight from app folders when collectstatic has not run
# whitenoise warns (an error under pytest) when STATIC_ROOT is missing; on a read-only
# filesystem in production collectstatic creates it at build time.
with contextlib.suppress(OSError):
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

NINJA_PAGINATION_PER_PAGE = 100
NINJA_PAGINATION_MAX_LIMIT = 1000

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DATASMART_LOG_LEVEL", "WARNING")},
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
