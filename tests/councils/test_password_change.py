"""The password-change page with Django's password validators (ASVS 2.1)."""

from __future__ import annotations

from django.contrib.auth.models import User

NEW_PASSWORD = "plum orchard lantern 42"


def _change(client, old, new1, new2=None):
    return client.post(
        "/account/password/",
        {"old_password": old, "new_password1": new1, "new_password2": new2 or new1},
    )


def test_the_header_links_to_the_password_change_page(viewer_client):
    page = viewer_client.get("/")
    assert b'href="/account/password/"' in page.content
    form = viewer_client.get("/account/password/")
    assert form.status_code == 200
    assert b"Change your password" in form.content
    assert b'autocomplete="new-password"' in form.content


def test_a_password_change_keeps_the_person_signed_in(viewer_client, password):
    response = _change(viewer_client, password, NEW_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert User.objects.get(pk=viewer_client.user.pk).check_password(NEW_PASSWORD)
    assert viewer_client.get("/").status_code == 200


def test_a_wrong_current_password_changes_nothing(viewer_client, password):
    response = _change(viewer_client, "not-it", NEW_PASSWORD)
    assert response.status_code == 200
    assert b"govuk-error-summary" in response.content
    assert User.objects.get(pk=viewer_client.user.pk).check_password(password)


def test_a_short_password_is_refused(viewer_client, password):
    response = _change(viewer_client, password, "tiny-pw-9")
    assert (
        b"This password is too short. It must contain at least 12 characters." in response.content
    )
    assert User.objects.get(pk=viewer_client.user.pk).check_password(password)


def test_a_common_password_is_refused(viewer_client, password):
    response = _change(viewer_client, password, "password1234")
    assert b"This password is too common." in response.content


def test_mismatched_new_passwords_are_refused(viewer_client, password):
    response = _change(viewer_client, password, NEW_PASSWORD, NEW_PASSWORD + "x")
    assert b"govuk-error-message" in response.content
    assert User.objects.get(pk=viewer_client.user.pk).check_password(password)


def test_the_page_needs_sign_in(client, db):
    assert client.get("/account/password/")["Location"].startswith("/login/")


def test_an_empty_form_says_which_box_to_fill(viewer_client):
    response = _change(viewer_client, "", "", "")
    for message in [
        b"Enter your current password",
        b"Enter a new password",
        b"Enter the new password again",
    ]:
        assert message in response.content
