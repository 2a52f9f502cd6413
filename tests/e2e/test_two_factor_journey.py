from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from councils.models import Council, Membership, Role
from tests.e2e.conftest import (
    axe_violations,
    current_totp_code,
    save_screenshot,
    sign_in,
    submit_password,
)
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.e2e


def _password_step(page, username: str) -> None:
    page.goto("/login/")
    submit_password(page, username, PASSWORD)


def test_an_admin_sets_up_two_factor_then_signs_in_with_a_recovery_code(page):
    head = UserFactory(username="head")
    Membership.objects.create(
        user=head, council=Council.objects.get(slug="northmoor"), role=Role.ADMIN
    )

    _password_step(page, "head")
    page.wait_for_url("**/account/two-factor/")
    assert page.get_by_role("heading", name="Two-factor sign-in").is_visible()
    assert page.locator(".app-qr-code svg").is_visible()
    page.get_by_text("I cannot scan the QR code").click()
    assert page.locator("#secret").is_visible()
    assert axe_violations(page) == []
    save_screenshot(page, "two-factor-setup")

    page.fill("#id_code", "123")
    page.click("button:has-text('Turn on two-factor sign-in')")
    assert page.locator(".govuk-error-summary").is_visible()
    assert axe_violations(page) == []

    # A person takes longer than django-otp's one-second wait after a wrong code.
    TOTPDevice.objects.filter(user=head).update(throttling_failure_timestamp=None)
    page.fill("#id_code", current_totp_code("head"))
    page.click("button:has-text('Turn on two-factor sign-in')")
    assert page.get_by_role("heading", name="Two-factor sign-in is on").is_visible()
    codes = page.locator(".app-recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    assert axe_violations(page) == []
    save_screenshot(page, "two-factor-recovery-codes")

    page.get_by_role("link", name="I have saved my codes").click()
    page.wait_for_url("**/")
    assert page.get_by_role("heading", name="Your councils").is_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login/")

    _password_step(page, "head")
    page.wait_for_url("**/login/code/")
    assert page.get_by_role("heading", name="Enter your code").is_visible()
    assert axe_violations(page) == []
    save_screenshot(page, "two-factor-code")
    page.get_by_text("I cannot use my authenticator app").click()
    page.fill("#id_code", codes[0])
    page.click("button:has-text('Continue')")
    page.wait_for_url("**/")
    assert page.get_by_role("heading", name="Your councils").is_visible()


def test_a_wrong_code_shows_an_accessible_error(page):
    lead = UserFactory(username="officer")
    TOTPDevice.objects.create(user=lead, name="app", confirmed=True)
    _password_step(page, "officer")
    page.wait_for_url("**/login/code/")
    page.fill("#id_code", "000000")
    page.click("button:has-text('Continue')")
    assert page.locator(".govuk-error-summary").is_visible()
    assert "Error:" in page.title()
    assert axe_violations(page) == []
    save_screenshot(page, "two-factor-code-error")


def test_the_account_and_error_pages_are_accessible(page):
    sign_in(page, "lead")
    page.get_by_role("link", name="Your account").click()
    page.wait_for_url("**/account/password/")
    page.click("button:has-text('Change password')")
    assert page.locator(".govuk-error-summary").is_visible()
    assert axe_violations(page) == []
    save_screenshot(page, "password-change-errors")

    page.goto("/c/no-such-council/")
    assert page.get_by_role("heading", name="Page not found").is_visible()
    assert axe_violations(page) == []
    save_screenshot(page, "page-not-found")
