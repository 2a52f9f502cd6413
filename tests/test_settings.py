"""Settings read from the environment, checked in a fresh interpreter each time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 60 + "-production-like-secret-key-for-the-deploy-check",
    "ALLOWED_HOSTS": "planner.example.gov.uk",
    "CSRF_TRUSTED_ORIGINS": "https://planner.example.gov.uk",
    "DATABASE_URL": "postgres://planner@127.0.0.1:5432/planner",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}
# TLS ends at a proxy that also redirects http:// to https://, so Django does not redirect.
BEHIND_PROXY_ENV = {"SECURE_SSL_REDIRECT": "false", "BEHIND_HTTPS_PROXY": "true"}
PROBE = """
import json, django
from django.conf import settings
from django.contrib.auth.hashers import get_hasher
django.setup()
print(json.dumps({
    "debug": settings.DEBUG,
    "engine": settings.DATABASES["default"]["ENGINE"],
    "name": str(settings.DATABASES["default"]["NAME"]),
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "broker": settings.CELERY_BROKER_URL,
    "hosts": settings.ALLOWED_HOSTS,
    "origins": settings.CSRF_TRUSTED_ORIGINS,
    "ssl": settings.SECURE_SSL_REDIRECT,
    "options": settings.DATABASES["default"].get("OPTIONS", {}),
    "hashers": settings.PASSWORD_HASHERS,
    "hasher": get_hasher().algorithm,
    "session_cookie": [settings.SESSION_COOKIE_NAME, settings.SESSION_COOKIE_SECURE],
    "csrf_cookie": [settings.CSRF_COOKIE_NAME, settings.CSRF_COOKIE_SECURE],
    "hsts": settings.SECURE_HSTS_SECONDS,
    "proxy_header": settings.SECURE_PROXY_SSL_HEADER,
    "proxy_count": settings.TRUSTED_PROXY_COUNT,
    "demo_exempt": settings.TWO_FACTOR_DEMO_EXEMPT,
    "session_age": settings.SESSION_COOKIE_AGE,
}))
"""


def _clean_env(**overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            *PRODUCTION_ENV,
            *BEHIND_PROXY_ENV,
            "SECURE_HSTS_SECONDS",
            "TRUSTED_PROXY_COUNT",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env["DJANGO_SETTINGS_MODULE"] = "planner.settings"
    env.update(overrides)
    return env


def _run(args, env):
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def _probe(**env) -> dict:
    result = _run(["-c", PROBE], _clean_env(**env))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_embedded_default_is_sqlite_and_eager_celery():
    values = _probe(DEBUG="true")
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"].endswith("db.sqlite3")
    assert values["eager"] is True
    assert values["broker"] == "memory://"
    assert values["ssl"] is False


def test_database_and_redis_urls_select_the_real_services():
    values = _probe(**PRODUCTION_ENV)
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "planner"
    assert values["eager"] is False
    assert values["broker"] == "redis://127.0.0.1:6379/0"
    assert values["hosts"] == ["planner.example.gov.uk"]
    assert values["origins"] == ["https://planner.example.gov.uk"]
    assert values["debug"] is False
    assert values["options"]["options"] == "-c jit=off"


def test_secret_key_is_required_when_debug_is_off():
    result = _run(["-c", PROBE], _clean_env(DEBUG="false"))
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    "extra_env", [{}, BEHIND_PROXY_ENV], ids=["planner-redirects", "proxy-redirects"]
)
def test_check_deploy_passes_with_production_settings(extra_env):
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        _clean_env(**PRODUCTION_ENV, **extra_env),
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "extra_env", [{}, BEHIND_PROXY_ENV], ids=["planner-redirects", "proxy-redirects"]
)
def test_production_cookies_are_secure_with_the_host_prefix_and_hsts(extra_env):
    values = _probe(**PRODUCTION_ENV, **extra_env)
    assert values["session_cookie"] == ["__Host-sessionid", True]
    assert values["csrf_cookie"] == ["__Host-csrftoken", True]
    assert values["hsts"] == 31_536_000
    assert values["demo_exempt"] is False
    assert values["session_age"] == 12 * 3600


def test_behind_a_proxy_the_forwarded_scheme_and_one_hop_are_trusted():
    values = _probe(**PRODUCTION_ENV, **BEHIND_PROXY_ENV)
    assert values["ssl"] is False
    assert values["proxy_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["proxy_count"] == 1


def test_the_embedded_demo_uses_plain_cookies_and_exempts_the_demo_users():
    values = _probe(DEBUG="true")
    assert values["session_cookie"] == ["sessionid", False]
    assert values["csrf_cookie"] == ["csrftoken", False]
    assert values["hsts"] == 0
    assert values["demo_exempt"] is True


def test_production_hashes_passwords_with_the_strong_default():
    """The tests swap in MD5 for speed (tests/conftest.py); production must not."""
    values = _probe(**PRODUCTION_ENV)
    assert values["hasher"] == "pbkdf2_sha256"
    assert not any("MD5" in hasher for hasher in values["hashers"])


def test_the_tests_themselves_use_the_fast_hasher():
    from django.contrib.auth.hashers import get_hasher

    assert get_hasher().algorithm == "md5"


def test_postgresql_connections_come_from_a_pool_by_default():
    values = _probe(**PRODUCTION_ENV)
    assert values["options"]["pool"] == {"min_size": 1, "max_size": 4, "timeout": 10}


def test_pool_size_comes_from_the_environment():
    values = _probe(**PRODUCTION_ENV, DB_POOL_MAX_SIZE="8", DB_POOL_MIN_SIZE="2")
    assert values["options"]["pool"] == {"min_size": 2, "max_size": 8, "timeout": 10}


def test_persistent_connections_or_db_pool_false_turn_the_pool_off():
    # Django refuses a pool with CONN_MAX_AGE > 0, so persistence wins rather than crashing.
    assert "pool" not in _probe(**PRODUCTION_ENV, DB_CONN_MAX_AGE="60")["options"]
    assert "pool" not in _probe(**PRODUCTION_ENV, DB_POOL="false")["options"]


def test_sqlite_has_no_pool():
    assert "pool" not in _probe(DEBUG="true")["options"]
