from __future__ import annotations

import pytest
from django.test import Client

from councils.models import Role
from tests.factories import MembershipFactory, UserFactory


def _sign_in(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def test_sign_in_page_renders_as_a_govuk_form(client, db):
    response = client.get("/login/")
    assert response.status_code == 200
    assert b'class="govuk-input' in response.content
    assert b"Sign in" in response.content


def test_sign_in_with_correct_password_goes_home(client, council, password):
    UserFactory(username="lead")
    response = _sign_in(client, "lead", password)
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_wrong_password_shows_an_error_summary(client, db):
    UserFactory(username="lead")
    response = _sign_in(client, "lead", "wrong")
    assert response.status_code == 200
    assert b"govuk-error-summary" in response.content
    assert b"Enter a correct username and password" in response.content


def test_home_lists_the_users_councils_with_role(council, other_council):
    user = UserFactory()
    MembershipFactory(user=user, council=council, role=Role.EDITOR)
    client = Client()
    client.force_login(user)
    response = client.get("/")
    assert council.name.encode() in response.content
    assert b"Editor" in response.content
    assert other_council.name.encode() not in response.content


def test_authenticated_pages_are_never_stored(viewer_client, council):
    response = viewer_client.get(f"/c/{council.slug}/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_sign_out_ends_the_session(viewer_client, council):
    response = viewer_client.post("/logout/")
    assert response.status_code == 302
    assert viewer_client.get(f"/c/{council.slug}/").status_code == 302


def test_sign_out_needs_post(viewer_client):
    assert viewer_client.get("/logout/").status_code == 405


@pytest.mark.parametrize("path", ["/", "/c/anything/"])
def test_anonymous_is_sent_to_sign_in(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_htmx_post_without_csrf_token_is_refused(council):
    user = UserFactory()
    MembershipFactory(user=user, council=council, role=Role.EDITOR)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/logout/", HTTP_HX_REQUEST="true")
    assert response.status_code == 403


def test_htmx_post_with_csrf_header_is_accepted(council):
    user = UserFactory()
    MembershipFactory(user=user, council=council, role=Role.EDITOR)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    page = client.get("/")
    token = page.context["csrf_token"]
    # The base template hands this token to htmx through hx-headers on <body>.
    assert f'"X-CSRFToken": "{token}"'.encode() in page.content
    response = client.post("/logout/", HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=str(token))
    assert response.status_code == 302
