"""One settings module for every environment; production differs only by its variables.

See .env.example and the README's "Configuration" section for every variable.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "")
    if not value.strip():
        return default
    return [part.strip() for part in value.split(",") if part.strip()]


DEBUG = envbool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (it is required when DEBUG is off).")
    SECRET_KEY = "insecure-development-key-only-used-with-debug-on"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "simple_history",
    "councils",
    "planner",
]

MIDDLEWARE = [
    # First: a body too big for any form is refused before anything reads it.
    "planner.middleware.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "councils.middleware.NoStoreForAuthenticatedMiddleware",
    # Outside the two below, so their redirects reach htmx as whole-page redirects too.
    "councils.middleware.HtmxSignInRedirectMiddleware",
    "councils.middleware.SessionExpiryMiddleware",
    "councils.middleware.TwoFactorRequiredMiddleware",
    "planner.middleware.DatabaseUnavailableMiddleware",
    # Axes must come last so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "planner.urls"
WSGI_APPLICATION = "planner.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# The embedded default is a SQLite file beside manage.py, so `make run` needs no server.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=envint("DB_CONN_MAX_AGE", 0),
        # With persistent connections, check a kept connection at the start of each request
        # and replace it if PostgreSQL dropped it (restart, failover, pg_terminate_backend),
        # rather than failing that request with a 500.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A long busy timeout stops the eager in-process worker and the web request
    # tripping over SQLite's single writer lock.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The planner's queries are short; PostgreSQL's JIT spent seconds compiling the wide
    # export and ranking queries and never paid that back (docs/performance.md).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
    # psycopg's pool keeps each process's connections open between requests, saving a
    # connection set-up (a few ms and a PostgreSQL backend fork) on every request. Django
    # refuses a pool together with persistent connections, so DB_CONN_MAX_AGE > 0 (or
    # DB_POOL=false, e.g. behind PgBouncer in transaction mode) keeps the old behaviour.
    # A gunicorn sync worker or Celery child uses one connection at a time; the headroom is
    # for threads. CONN_HEALTH_CHECKS becomes the pool's check of each connection it lends.
    if DATABASES["default"]["CONN_MAX_AGE"] == 0 and envbool("DB_POOL", True):
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": envint("DB_POOL_MIN_SIZE", 1),
            "max_size": envint("DB_POOL_MAX_SIZE", 4),
            # Seconds a request waits for a free connection before failing.
            "timeout": envint("DB_POOL_TIMEOUT", 10),
        }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Signs in the people a council's identity provider vouches for (single sign-on).
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # ASVS 2.1.1: at least 12 characters; no composition rules (2.1.9).
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": envint("PASSWORD_MIN_LENGTH", 12)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed sign-ins (django-axes with councils.throttle's handler; README "Sign-in security"):
# - 10 failures for one username from one address lock that pair out for the cool-off, so a
#   stranger elsewhere cannot lock a known user out of their own address;
# - 30 failures from one address across usernames (password spraying) lock the address out,
#   except for people who have signed in from it before;
# - from 5 failures for one username (from any address), each further try from an address
#   the user has not signed in from must wait 1, 2, 4 ... up to 60 seconds.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = envint("AXES_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "councils.throttle.SignInThrottleHandler"
AXES_CLIENT_IP_CALLABLE = "councils.throttle.client_address"
AXES_LOCKOUT_CALLABLE = "councils.views.sign_in_refused"
AXES_RESET_ON_SUCCESS = True
# A refused try is not counted, so retrying during a wait does not make it longer.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_VERBOSE = False
SIGN_IN_ADDRESS_FAILURE_LIMIT = envint("SIGN_IN_ADDRESS_FAILURE_LIMIT", 30)
SIGN_IN_SLOWDOWN_AFTER = envint("SIGN_IN_SLOWDOWN_AFTER", 5)
SIGN_IN_SLOWDOWN_MAX_SECONDS = envint("SIGN_IN_SLOWDOWN_MAX_SECONDS", 60)

# Two-factor sign-in (django-otp): required for admins who sign in with a password,
# optional for everyone else. The demo users are exempt while DEBUG is on.
OTP_TOTP_ISSUER = "Council Priority Planner"
TWO_FACTOR_DEMO_EXEMPT = DEBUG

# Sessions end after 30 minutes without a request and 12 hours after sign-in.
SESSION_IDLE_TIMEOUT_MINUTES = envint("SESSION_IDLE_TIMEOUT_MINUTES", 30)
SESSION_ABSOLUTE_TIMEOUT_HOURS = envint("SESSION_ABSOLUTE_TIMEOUT_HOURS", 12)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT_HOURS * 3600

# Single sign-on (docs/adr/0008-single-sign-on.md): django-allauth's OpenID Connect provider,
# fed from each council's IdentityProvider by councils.sso_adapter. allauth runs social-only:
# the password sign-in (with django-axes) stays ours, and allauth never shows its own forms.
SOCIALACCOUNT_ONLY = True
ACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_ADAPTER = "councils.sso_adapter.CouncilSocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
# Never sign someone in to an existing account because an identity provider claims its email
# address: the adapter decides, council by council (no takeover of another council's account).
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = envint("SSO_REQUESTS_TIMEOUT", 10)
# A Fernet key that encrypts the client secrets stored in the database; make one with
# python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
SSO_SECRET_KEY = os.environ.get("SSO_SECRET_KEY", "")
# Issuers must be https:// in production; the test provider and a local demo run on http.
SSO_ALLOW_HTTP_ISSUER = envbool("SSO_ALLOW_HTTP_ISSUER", DEBUG)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# GOV.UK Frontend's compiled files come from npm at build time; nothing is copied into the repo.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("govuk", BASE_DIR / "node_modules" / "govuk-frontend" / "dist" / "govuk"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Uploads: the CSV import accepts at most 5 MB; anything larger never reaches memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
# The scoring grid posts three fields a cell (level, rationale, version): 200 rows of 7
# criteria is 4,400 fields. Django's default (1,000) would refuse a 50-row grid; the grid
# shows fewer rows when a council has more criteria (planner/score_grid.py: max_rows).
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5_000
IMPORT_MAX_BYTES = 5 * 1024 * 1024
# Bodies bigger than this are refused before anything reads them (a multi-gigabyte POST
# would otherwise be spooled to disk first). Well above the import cap, so a file a few MB
# too big still gets the import form's own message.
MAX_REQUEST_BYTES = 5 * IMPORT_MAX_BYTES
IMPORT_MAX_ROWS = 20_000

# Content-Security-Policy with nonces: no inline script or style needs 'unsafe-inline'.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# Security headers. They are always on; HTTPS-only settings apply when the planner redirects
# to HTTPS itself or sits behind a proxy that does, so the embedded demo keeps working on
# plain http://127.0.0.1.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
BEHIND_HTTPS_PROXY = envbool("BEHIND_HTTPS_PROXY", False)
HTTPS_ONLY = SECURE_SSL_REDIRECT or BEHIND_HTTPS_PROXY
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
# The __Host- prefix makes the browser refuse these cookies unless they are Secure, for
# the whole site and for this exact host (no Domain), so a sibling subdomain cannot plant them.
SESSION_COOKIE_NAME = "__Host-sessionid" if HTTPS_ONLY else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if HTTPS_ONLY else "csrftoken"
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS_ONLY else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_HTTPS_PROXY else None
# Behind proxies, the client's address is the entry this many hops from the right of
# X-Forwarded-For (each trusted proxy appends one); entries further left are the client's
# own claims and are never trusted. 0 uses REMOTE_ADDR (councils.throttle.client_address).
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 1 if BEHIND_HTTPS_PROXY else 0)
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
if BEHIND_HTTPS_PROXY and not SECURE_SSL_REDIRECT:
    # The proxy in front redirects http:// to https://, so Django need not (security.W008).
    SILENCED_SYSTEM_CHECKS = ["security.W008"]

# Celery. Without REDIS_URL tasks run eagerly in the web process (the embedded default).
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Time limits stay well below the visibility timeout, so a task is never handed to a
# second worker while the first is still legitimately running it.
# A save sends its ranking run after committing, while the user waits: a frozen or
# unreachable Redis must not hold the page. Redis answers in microseconds, so half a second
# to connect and half a second for any reply mean "the broker is not there"; one try, no
# retry (the sweep re-sends what did not arrive). The worker's BRPOP is read by the event
# loop when a reply is ready, so it is not cut short by socket_timeout.
BROKER_TIMEOUT_SECONDS = float(os.environ.get("BROKER_TIMEOUT_SECONDS", "0.5") or 0.5)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 3600),
    "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
    "socket_timeout": BROKER_TIMEOUT_SECONDS,
    "max_retries": 0,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.1,
}
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_TIMEOUT_SECONDS
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", 240)
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", 300)
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "planner")
CELERY_BEAT_SCHEDULE = {
    "sweep-missing-rankings": {
        "task": "planner.tasks.sweep_rankings",
        "schedule": envint("RANKING_SWEEP_SECONDS", 60),
    },
}

# A queued run older than this that no worker has started is shown as "Ranking is delayed".
RANKING_DELAYED_AFTER_SECONDS = envint("RANKING_DELAYED_AFTER_SECONDS", 10)

# An overdue queued run is re-sent (by an edit or the sweep) at most this often.
RANKING_RESEND_AFTER_SECONDS = envint("RANKING_RESEND_AFTER_SECONDS", 30)

# Slows each ranking run down; only the worker-kill integration test sets it.
RANKING_TEST_DELAY_SECONDS = float(os.environ.get("RANKING_TEST_DELAY_SECONDS", "0") or 0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint narrates every step of every PDF at INFO ("Step 2 - Fetching and parsing CSS").
    "loggers": {"weasyprint": {"level": "WARNING"}},
}

# Email (invitations), through Django 6.1's MAILERS. With DEBUG on and no EMAIL_HOST, emails
# are printed to the console so the demo needs no mail server; otherwise they go by SMTP,
# set by the environment variables below. Tests use Django's locmem outbox.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
MAILERS: dict[str, dict[str, Any]]
if DEBUG and not EMAIL_HOST:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": EMAIL_HOST or "localhost",
                "port": envint("EMAIL_PORT", 587),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": envbool("EMAIL_USE_TLS", True),
                "timeout": envint("EMAIL_TIMEOUT", 10),
            },
        }
    }
del EMAIL_HOST  # read through MAILERS only: the EMAIL_* settings are deprecated in Django 6.1
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "planner@localhost")
