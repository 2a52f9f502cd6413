from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django_htmx.http import HttpResponseClientRedirect

# Session keys (seconds since the epoch) for the idle and absolute timeouts.
SESSION_STARTED_KEY = "session_started_at"
SESSION_LAST_SEEN_KEY = "session_last_seen_at"
# Set by the sign-in view when an admin signs in with a password and has no app yet.
TWO_FACTOR_SETUP_DUE_KEY = "two_factor_setup_due"


class NoStoreForAuthenticatedMiddleware:
    """Pages a signed-in user saw must not be readable from the back/forward or
    htmx history cache after logout, so authenticated responses are never stored."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            patch_cache_control(response, no_store=True, private=True)
        return response


def _sign_in_again(request: HttpRequest, message: str) -> HttpResponse:
    """Send the browser to sign in, then back to the page it was on."""
    messages.info(request, message)
    return redirect_to_login(_page_path(request))


def _page_path(request: HttpRequest) -> str:
    """The page the person is on: for an htmx request, the page that sent it, not the
    fragment's URL, so signing in again lands on a whole page."""
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.current_url_abs_path:
        return str(htmx.current_url_abs_path)
    return request.get_full_path()


def stamp_new_session(sender: object, request: HttpRequest | None, **kwargs: object) -> None:
    """Start the idle and absolute clocks at sign-in, in the session the sign-in saves
    anyway, so the first page after it writes nothing more."""
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SESSION_STARTED_KEY] = now
        request.session[SESSION_LAST_SEEN_KEY] = now


class SessionExpiryMiddleware:
    """Ends a session after SESSION_IDLE_TIMEOUT_MINUTES without a request, and
    SESSION_ABSOLUTE_TIMEOUT_HOURS after it began, whatever the activity (ASVS 3.3)."""

    # The last-seen time is written at most this often, not on every request.
    TOUCH_EVERY_SECONDS = 60

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            session = request.session
            now = time.time()
            started = session.setdefault(SESSION_STARTED_KEY, now)
            last_seen = session.get(SESSION_LAST_SEEN_KEY, now)
            if now - last_seen > settings.SESSION_IDLE_TIMEOUT_MINUTES * 60:
                logout(request)
                return _sign_in_again(
                    request, "You were signed out because you were inactive for a while."
                )
            if now - started > settings.SESSION_ABSOLUTE_TIMEOUT_HOURS * 3600:
                logout(request)
                return _sign_in_again(
                    request, "You were signed out because you signed in a long time ago."
                )
            if now - last_seen >= self.TOUCH_EVERY_SECONDS or SESSION_LAST_SEEN_KEY not in session:
                session[SESSION_LAST_SEEN_KEY] = now
        return self.get_response(request)


class TwoFactorRequiredMiddleware:
    """An admin who signed in with a password but has no authenticator app set up goes to
    the set-up page before anything else. The sign-in view decides once, at sign-in, so
    other requests cost no query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and request.session.get(TWO_FACTOR_SETUP_DUE_KEY):
            allowed = {reverse("two_factor_setup"), reverse("logout")}
            if request.path_info not in allowed and not request.path_info.startswith(
                settings.STATIC_URL
            ):
                return redirect("two_factor_setup")
        return self.get_response(request)


class HtmxSignInRedirectMiddleware:
    """htmx follows a redirect inside its request and would swap the sign-in or set-up
    page into a fragment; tell the browser to load it as a whole page instead."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        htmx = getattr(request, "htmx", None)
        if not htmx or response.status_code not in {301, 302, 303, 307, 308}:
            return response
        location = urlsplit(response["Location"])
        if location.path == resolve_url(settings.LOGIN_URL) and "next=" in location.query:
            # Sign-in was demanded (login_required, an expired session): login_required
            # names the fragment as `next`, so name the page instead.
            return HttpResponseClientRedirect(redirect_to_login(_page_path(request))["Location"])
        if location.path == reverse("two_factor_setup"):
            return HttpResponseClientRedirect(response["Location"])
        return response
