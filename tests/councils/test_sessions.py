"""Sessions end after SESSION_IDLE_TIMEOUT_MINUTES idle and SESSION_ABSOLUTE_TIMEOUT_HOURS
in all; htmx requests then get a whole-page redirect (councils/middleware.py)."""

from __future__ import annotations

import time

from councils.middleware import SESSION_LAST_SEEN_KEY, SESSION_STARTED_KEY


def _age_session(client, *, idle_seconds=0, since_start_seconds=0):
    """Move the session's stored times into the past instead of sleeping."""
    client.get("/")  # stamps the session
    session = client.session
    now = time.time()
    session[SESSION_LAST_SEEN_KEY] = now - idle_seconds
    session[SESSION_STARTED_KEY] = now - max(since_start_seconds, idle_seconds)
    session.save()


def test_a_session_idle_for_29_minutes_continues(viewer_client, council):
    _age_session(viewer_client, idle_seconds=29 * 60)
    assert viewer_client.get(f"/c/{council.slug}/").status_code == 200


def test_a_session_idle_for_31_minutes_ends(viewer_client, council):
    _age_session(viewer_client, idle_seconds=31 * 60)
    response = viewer_client.get(f"/c/{council.slug}/")
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/c/{council.slug}/"
    assert "_auth_user_id" not in viewer_client.session
    page = viewer_client.get(response["Location"])
    assert b"signed out because you were inactive" in page.content


def test_the_idle_timeout_is_a_setting(viewer_client, council, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 5
    _age_session(viewer_client, idle_seconds=6 * 60)
    assert viewer_client.get(f"/c/{council.slug}/").status_code == 302


def test_activity_keeps_a_session_going_past_the_idle_timeout(viewer_client, council):
    _age_session(viewer_client, idle_seconds=25 * 60, since_start_seconds=60 * 60)
    assert viewer_client.get(f"/c/{council.slug}/").status_code == 200
    # That request counted as activity, so 25 more idle minutes are still inside the limit.
    session = viewer_client.session
    assert time.time() - session[SESSION_LAST_SEEN_KEY] < 5
    session[SESSION_LAST_SEEN_KEY] -= 25 * 60
    session.save()
    assert viewer_client.get(f"/c/{council.slug}/").status_code == 200


def test_a_session_ends_twelve_hours_after_sign_in_however_active(viewer_client, council):
    _age_session(viewer_client, idle_seconds=10, since_start_seconds=12 * 3600 + 1)
    response = viewer_client.get(f"/c/{council.slug}/")
    assert response.status_code == 302
    assert "_auth_user_id" not in viewer_client.session


def test_an_htmx_request_after_expiry_reloads_the_whole_page_at_sign_in(viewer_client, council):
    _age_session(viewer_client, idle_seconds=31 * 60)
    response = viewer_client.get(
        f"/c/{council.slug}/backlog/?page=2",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver/c/{council.slug}/backlog/",
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/login/?next=/c/{council.slug}/backlog/"
    assert b"Sign in" not in response.content


def test_an_htmx_request_without_a_session_reloads_the_whole_page_at_sign_in(client, council):
    response = client.get(
        f"/c/{council.slug}/backlog/?page=2",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver/c/{council.slug}/backlog/?sort=rank",
    )
    assert response["HX-Redirect"] == f"/login/?next=/c/{council.slug}/backlog/%3Fsort%3Drank"


def test_the_session_cookie_lasts_no_longer_than_the_absolute_timeout(settings):
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_ABSOLUTE_TIMEOUT_HOURS * 3600 == 43_200
