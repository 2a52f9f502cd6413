"""GOV.UK-styled error pages that leak no stack trace, settings or version (DEBUG off)."""

from __future__ import annotations

import django
import pytest
from django.core.exceptions import BadRequest, PermissionDenied
from django.test import Client
from django.urls import include, path

from councils.models import Role


def _bad_request(request):
    raise BadRequest("secret-detail-400")


def _forbidden(request):
    raise PermissionDenied("secret-detail-403")


def _broken(request):
    raise RuntimeError("secret-detail-500")


urlpatterns = [
    path("", include("planner.urls")),
    path("boom/400/", _bad_request),
    path("boom/403/", _forbidden),
    path("boom/500/", _broken),
]

LEAKS = [b"Traceback", b"secret-detail", django.get_version().encode(), b"DEBUG", b"settings"]


def _assert_nothing_leaks(response):
    for leak in LEAKS:
        assert leak not in response.content, leak


@pytest.fixture
def signed_in(council):
    from tests.conftest import member_client

    return member_client(council, Role.VIEWER)


@pytest.mark.urls("tests.test_error_pages")
@pytest.mark.parametrize(
    ("path", "status", "heading"),
    [
        ("/boom/400/", 400, b"Something was wrong with the request"),
        ("/boom/403/", 403, b"You cannot do this"),
        ("/no/such/page/", 404, b"Page not found"),
    ],
)
def test_error_pages_are_govuk_pages_without_details(signed_in, settings, path, status, heading):
    assert settings.DEBUG is False
    response = signed_in.get(path)
    assert response.status_code == status
    assert heading in response.content
    assert b"govuk-heading-l" in response.content
    assert b"Council Priority Planner" in response.content
    _assert_nothing_leaks(response)


@pytest.mark.urls("tests.test_error_pages")
def test_the_500_page_needs_no_context_and_leaks_nothing(db, settings):
    client = Client(raise_request_exception=False)
    response = client.get("/boom/500/")
    assert response.status_code == 500
    assert b"Sorry, there is a problem with the service" in response.content
    _assert_nothing_leaks(response)


def test_a_non_members_council_page_is_the_404_page(signed_in, other_council):
    response = signed_in.get(f"/c/{other_council.slug}/")
    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert other_council.name.encode() not in response.content


def test_a_csrf_failure_is_a_govuk_page(council, signed_in):
    client = Client(enforce_csrf_checks=True)
    client.force_login(signed_in.user)
    response = client.post("/logout/")
    assert response.status_code == 403
    assert b"Your form has expired" in response.content
    _assert_nothing_leaks(response)
