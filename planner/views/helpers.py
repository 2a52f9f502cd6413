"""Small helpers the view modules share."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request as the views see it: django-htmx's middleware (in settings) adds `htmx`.

    Only a type, for annotations: Django still builds plain HttpRequests.
    """

    htmx: HtmxDetails


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The posted `next` address if it is on this site, else `fallback`: never an open
    redirect."""
    candidate = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback
