from __future__ import annotations

import pytest

from tests.e2e.conftest import axe_violations, sign_in

pytestmark = pytest.mark.e2e


def test_digital_lead_signs_in_opens_a_council_and_signs_out(page):
    page.goto("/login/")
    assert axe_violations(page) == []

    sign_in(page, "lead")
    assert page.get_by_role("heading", name="Your councils").is_visible()
    assert axe_violations(page) == []

    page.get_by_role("link", name="Cyngor Gwynedd").click()
    page.wait_for_url("**/c/gwynedd/")
    assert page.get_by_role("heading", level=1, name="Cyngor Gwynedd").is_visible()
    assert axe_violations(page) == []

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    page.goto("/c/gwynedd/")
    assert "/login/" in page.url


def test_signed_out_pages_are_not_served_from_the_back_button(page):
    sign_in(page, "lead")
    page.goto("/c/gwynedd/")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    page.go_back()
    page.wait_for_load_state()
    # no-store means the browser must refetch, and the server sends it to sign in.
    assert "/login/" in page.url or page.get_by_role("heading", name="Sign in").is_visible()
