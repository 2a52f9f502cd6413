"""A council officer signs in through their council's identity provider (the real test
OpenID Connect provider) and lands in the right council with the right role."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from councils.models import Council, IdentityProvider, Membership, Role
from councils.secrets import encrypt_secret
from tests.e2e.conftest import axe_violations, save_screenshot, sign_in
from tests.oidc import CLIENT_ID, CLIENT_SECRET, running_provider

pytestmark = pytest.mark.e2e


@pytest.fixture
def northmoor_sso(live_server, demo, settings):
    settings.SSO_SECRET_KEY = Fernet.generate_key().decode()
    settings.SSO_ALLOW_HTTP_ISSUER = True
    callback = f"{live_server.url}/accounts/oidc/northmoor/login/callback/"
    with running_provider([callback]) as provider:
        IdentityProvider.objects.create(
            council=Council.objects.get(slug="northmoor"),
            issuer_url=provider.issuer,
            client_id=CLIENT_ID,
            client_secret_encrypted=encrypt_secret(CLIENT_SECRET),
            allowed_domains=["northmoor.gov.uk"],
            group_roles={"Planner-Approvers": int(Role.APPROVER)},
            enabled=True,
        )
        yield provider


def test_an_officer_signs_in_with_their_council_account(page, northmoor_sso):
    page.goto("/login/")
    assert axe_violations(page) == []

    page.get_by_label("Work email address").fill("ada@northmoor.gov.uk")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/")

    assert page.get_by_role("heading", name="Your councils").is_visible()
    page.get_by_role("link", name="Northmoor", exact=False).first.click()
    page.wait_for_url("**/c/northmoor/")
    membership = Membership.objects.get(user__email="ada@northmoor.gov.uk")
    assert (membership.council.slug, membership.role) == ("northmoor", Role.APPROVER)
    assert page.get_by_text("Approver").first.is_visible()


def test_an_unknown_domain_is_sent_to_the_password_form(page, northmoor_sso):
    page.goto("/login/")
    page.get_by_label("Work email address").fill("someone@nowhere.example")
    page.get_by_role("button", name="Continue").click()

    assert page.get_by_text("Sign in with your username and password below").first.is_visible()
    assert axe_violations(page) == []
    save_screenshot(page, "sso-unknown-domain")


def test_the_sign_in_settings_page_is_accessible(page, northmoor_sso):
    sign_in(page, "admin")
    page.goto("/c/northmoor/settings/sign-in/")

    assert page.get_by_role("heading", name="Sign-in settings").is_visible()
    assert page.get_by_label("Client secret", exact=True).input_value() == ""
    assert axe_violations(page) == []
    save_screenshot(page, "sso-settings")
    page.get_by_role("button", name="Save sign-in settings").click()
    assert page.get_by_text("Sign-in settings saved").is_visible()
