from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from planner.celery import app as celery_app


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _broker_ok() -> bool:
    if celery_app.conf.task_always_eager:
        return True  # the embedded default runs tasks in-process: no broker to reach
    # One try, bounded by the transport's connect and socket timeouts (0.5 s each, see
    # settings): a frozen Redis accepts the TCP connection and never answers the PING that
    # opening a channel sends, so this answers "no" within about a second, never hangs.
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0, interval_start=0, timeout=1)
            conn.default_channel.client.ping()
        return True
    except Exception:
        return False


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    healthy = all(checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )


@require_safe
@never_cache
def ping(request: HttpRequest) -> HttpResponse:
    """A view that does nothing: the load benchmark's baseline, so its page timings read as
    ratios to the stack's own overhead. Unlike /healthz it touches neither the database nor
    the broker."""
    return HttpResponse("pong", content_type="text/plain")
