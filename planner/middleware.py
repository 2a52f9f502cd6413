"""Web-request plumbing that is not about tenancy (see councils.middleware for that)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from planner.tasks import TRANSIENT_ERRORS

log = logging.getLogger(__name__)
# Long enough for PostgreSQL to restart or fail over; the page says "in a minute".
RETRY_AFTER_SECONDS = 30


class DatabaseUnavailableMiddleware:
    """A request whose database connection is cut or refused gets a 503 page that says the
    change was not saved, instead of a bare 500. Nothing half-written survives: the
    request's open transaction dies with its connection. Django closes the broken
    connection at the end of the request (and CONN_HEALTH_CHECKS checks a persistent one
    before the next), so the next request opens a fresh one.

    The page is rendered without the request: its context processors (messages, the user's
    councils) would query the database that just failed."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, TRANSIENT_ERRORS):
            return None
        log.error("Database unavailable during %s %s", request.method, request.path, exc_info=True)
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


class RequestBodyLimitMiddleware:
    """Refuse a request whose declared body is far bigger than any form of ours takes
    (settings.MAX_REQUEST_BYTES), before anything reads it: CSRF checking
    parses a multipart body, spooling its files to disk, long before a view could look at the
    upload's size. The page is rendered without the request: nothing about it is needed."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > settings.MAX_REQUEST_BYTES:
            log.warning("Refused a %s-byte %s to %s", declared, request.method, request.path)
            return HttpResponse(render_to_string("413.html"), status=413)
        return self.get_response(request)
