"""Sign-in throttling: per (username, address) lockout, a per-address limit against
password spraying, and a per-username slowdown (councils/throttle.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.db.models import F, Sum
from django.test import Client, RequestFactory

from councils.throttle import client_address, slowdown_seconds
from tests.factories import UserFactory

OFFICE = "10.0.0.1"
STRANGER = "203.0.113.9"


def _sign_in(username, password, address=OFFICE, client=None, **headers):
    client = client or Client()
    response = client.post(
        "/login/", {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )
    return response


def _fail(username, times, address=STRANGER):
    """`times` failures a minute apart: slow enough that the slowdown refuses none of them,
    quick enough that all stay inside the 15-minute cool-off."""
    for attempt in range(times):
        if attempt:
            _let_time_pass(60)
        _sign_in(username, "wrong", address)
    recorded = AccessAttempt.objects.filter(username=username).aggregate(
        n=Sum("failures_since_start")
    )
    assert recorded["n"] == times


def _let_time_pass(seconds):
    """Move every recorded failure into the past instead of sleeping."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(seconds=seconds))


@pytest.fixture
def lead(db):
    return UserFactory(username="lead")


def test_ten_failures_lock_the_username_at_that_address_even_with_the_right_password(
    lead, password
):
    _fail("lead", 10, OFFICE)
    _let_time_pass(61)  # past the slowdown, well inside the 15-minute lockout
    client = Client()
    response = _sign_in("lead", password, OFFICE, client)
    assert response.status_code == 429
    assert b"Too many sign-in attempts" in response.content
    assert b"for this username from your network" in response.content
    assert "_auth_user_id" not in client.session


def test_nine_failures_at_one_address_do_not_lock_it(lead, password):
    _fail("lead", 9, OFFICE)
    _let_time_pass(61)
    assert _sign_in("lead", password, OFFICE).status_code == 302


def test_a_strangers_failures_do_not_lock_the_user_out_of_their_own_address(lead, password):
    assert _sign_in("lead", password, OFFICE).status_code == 302  # the office is known
    _fail("lead", 10, STRANGER)
    # At once, with no wait, from the address the user signs in from.
    assert _sign_in("lead", password, OFFICE).status_code == 302
    # The stranger's own address stays locked for that username.
    assert _sign_in("lead", password, STRANGER).status_code == 429


def test_a_strangers_failures_only_slow_the_user_down_at_a_new_address(lead, password):
    _fail("lead", 10, STRANGER)
    response = _sign_in("lead", password, "198.51.100.7")
    assert response.status_code == 429
    assert b"wait" in response.content
    _let_time_pass(60)  # the longest slowdown
    assert _sign_in("lead", password, "198.51.100.7").status_code == 302


def test_the_slowdown_starts_after_five_failures_and_doubles_up_to_a_minute():
    assert [slowdown_seconds(n) for n in range(4, 13)] == [0, 1, 2, 4, 8, 16, 32, 60, 60]


def test_a_quick_retry_during_the_slowdown_is_refused_and_not_counted(lead, password):
    for index in range(5):
        _sign_in("lead", "wrong", f"198.51.100.{index}")
    response = _sign_in("lead", password, "192.0.2.1")
    assert response.status_code == 429
    assert b"wait 1 second " in response.content
    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == 5
    _let_time_pass(1)
    assert _sign_in("lead", password, "192.0.2.1").status_code == 302


def test_password_spraying_from_one_address_is_stopped(db, password):
    for number in range(30):
        UserFactory(username=f"officer{number}")
        _sign_in(f"officer{number}", "Winter2026!", STRANGER)
    UserFactory(username="victim")
    response = _sign_in("victim", password, STRANGER)
    assert response.status_code == 429
    assert b"from your network" in response.content
    # Other addresses are untouched.
    assert _sign_in("victim", password, OFFICE).status_code == 302


def test_the_address_limit_spares_people_who_signed_in_from_there_before(db, password):
    UserFactory(username="regular")
    assert _sign_in("regular", password, STRANGER).status_code == 302
    for number in range(30):
        _sign_in(f"nobody{number}", "Winter2026!", STRANGER)
    assert _sign_in("regular", password, STRANGER).status_code == 302


def test_without_a_proxy_the_address_is_the_connection(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.5", HTTP_X_FORWARDED_FOR="1.1.1.1")
    assert client_address(request) == "192.0.2.5"


def test_behind_a_proxy_the_address_is_the_one_the_proxy_added(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client claims 1.1.1.1; the proxy appended the address it really saw.
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.20"
    )
    assert client_address(request) == "198.51.100.20"


def test_behind_two_proxies_the_address_is_two_hops_from_the_right(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.20, 10.0.0.2"
    )
    assert client_address(request) == "198.51.100.20"


def test_a_request_that_skipped_the_proxy_falls_back_to_the_connection(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    request = RequestFactory().get("/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="1.1.1.1")
    assert client_address(request) == "10.9.9.9"


def test_behind_a_proxy_lockouts_follow_the_client_not_the_proxy(settings, lead, password):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.9.9.9"
    for _ in range(10):
        _sign_in("lead", "wrong", proxy, HTTP_X_FORWARDED_FOR=STRANGER)
        _let_time_pass(60)
    _let_time_pass(61)
    colleague = _sign_in("lead", password, proxy, HTTP_X_FORWARDED_FOR=OFFICE)
    assert colleague.status_code == 302
    stranger = _sign_in("lead", password, proxy, HTTP_X_FORWARDED_FOR=STRANGER)
    assert stranger.status_code == 429
