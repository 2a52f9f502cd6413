"""Sign-in throttling on top of django-axes (ASVS 2.2.1).

Axes records each failure per (username, address, user agent) and locks a (username,
address) pair out after AXES_FAILURE_LIMIT failures. This handler adds two limits read
from the same records, so they hold across every web process:

- an address that fails SIGN_IN_ADDRESS_FAILURE_LIMIT times across usernames (password
  spraying) is refused for the cool-off;
- a username that failed SIGN_IN_SLOWDOWN_AFTER times from anywhere must wait a growing
  delay between tries (1, 2, 4 ... SIGN_IN_SLOWDOWN_MAX_SECONDS seconds).

Neither applies to an address the user has signed in from successfully before: a stranger
spraying or guessing elsewhere can never keep a known user out of their own office.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.db.models import Max, Sum
from django.http import HttpRequest
from django.utils import timezone

# A successful sign-in from an address makes it a known address for this long.
KNOWN_ADDRESS_DAYS = 90


def client_address(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the entry
    that the outermost trusted proxy appended to X-Forwarded-For."""
    hops = settings.TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR")
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < hops:
        # Fewer entries than proxies: the request did not come through all of them.
        return remote
    return forwarded[-hops]


class Refusal(StrEnum):
    PAIR_LOCKED = "pair"
    ADDRESS_LOCKED = "address"
    SLOW_DOWN = "slow-down"


@dataclass(frozen=True, slots=True)
class Throttle:
    reason: Refusal
    wait_seconds: int

    @property
    def wait_minutes(self) -> int:
        return math.ceil(self.wait_seconds / 60)


def _is_known_address(username: str, address: str | None) -> bool:
    since = timezone.now() - timedelta(days=KNOWN_ADDRESS_DAYS)
    return AccessLog.objects.filter(
        username=username, ip_address=address, attempt_time__gte=since
    ).exists()


def _failures(**filters: str | None) -> tuple[int, object]:
    totals = AccessAttempt.objects.filter(
        attempt_time__gte=timezone.now() - _cool_off(), **filters
    ).aggregate(failures=Sum("failures_since_start"), latest=Max("attempt_time"))
    return totals["failures"] or 0, totals["latest"]


def _cool_off() -> timedelta:
    return get_cool_off() or timedelta(minutes=15)


def slowdown_seconds(failures: int) -> int:
    """The wait before the next try for a username with `failures` recent failures."""
    if failures < settings.SIGN_IN_SLOWDOWN_AFTER:
        return 0
    doubling = 2 ** (failures - settings.SIGN_IN_SLOWDOWN_AFTER)
    return int(min(doubling, settings.SIGN_IN_SLOWDOWN_MAX_SECONDS))


def extra_throttle(request: HttpRequest, username: str | None) -> Throttle | None:
    """The address or username limit that refuses this try, if any (not the pair lockout)."""
    address = client_address(request)
    if username and _is_known_address(username, address):
        return None
    address_failures, _ = _failures(ip_address=address)
    if address_failures >= settings.SIGN_IN_ADDRESS_FAILURE_LIMIT:
        return Throttle(Refusal.ADDRESS_LOCKED, int(_cool_off().total_seconds()))
    if not username:
        return None
    username_failures, latest = _failures(username=username)
    wait = slowdown_seconds(username_failures)
    if wait and latest is not None:
        remaining = wait - (timezone.now() - latest).total_seconds()  # type: ignore[operator]
        if remaining > 0:
            return Throttle(Refusal.SLOW_DOWN, math.ceil(remaining))
    return None


def sign_in_throttle(request: HttpRequest, credentials: dict | None) -> Throttle | None:
    """Why this sign-in try is refused, or None if it may go ahead."""
    if AxesDatabaseHandler().is_locked(request, credentials):
        return Throttle(Refusal.PAIR_LOCKED, int(_cool_off().total_seconds()))
    return extra_throttle(request, get_client_username(request, credentials))


class SignInThrottleHandler(AxesDatabaseHandler):
    """Axes' database handler plus the address and username limits above."""

    def is_locked(self, request: HttpRequest, credentials: dict | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        return extra_throttle(request, get_client_username(request, credentials)) is not None
