from __future__ import annotations

import re

import pytest
from django.core import mail

from tests.e2e.conftest import (
    axe_violations,
    save_screenshot,
    set_up_two_factor,
    sign_in,
    submit_password,
)

pytestmark = pytest.mark.e2e


def test_admin_invites_a_member_who_accepts_and_signs_in(page, browser, live_server):
    sign_in(page, "admin")
    page.goto("/c/northmoor/")
    page.get_by_role("link", name="Settings").first.click()
    page.wait_for_url("**/c/northmoor/settings/")
    assert page.get_by_role("heading", level=1, name="Council settings").is_visible()
    assert axe_violations(page) == []
    save_screenshot(page, "admin-council-settings")

    page.get_by_role("link", name="Members").click()
    page.wait_for_url("**/c/northmoor/settings/members/")
    assert page.get_by_role("rowheader", name=re.compile(r"^cio")).is_visible()
    assert axe_violations(page) == []
    page.get_by_label("Email address").fill("nia.evans@northmoor.example")
    page.get_by_label("Editor").check()
    page.get_by_role("button", name="Send invitation").click()
    page.wait_for_url("**/c/northmoor/settings/members/")
    assert page.get_by_text("Invitation sent to nia.evans@northmoor.example").is_visible()
    assert axe_violations(page) == []
    save_screenshot(page, "admin-members-invited")

    # The live server runs in this process, so the invitation lands in Django's outbox.
    (email,) = [m for m in mail.outbox if m.to == ["nia.evans@northmoor.example"]]
    link = re.search(r"(http://\S+/invitations/\S+/)", email.body).group(1)
    assert link.startswith(live_server.url)

    invitee = browser.new_context(base_url=live_server.url, bypass_csp=True).new_page()
    invitee.goto(link)
    heading = invitee.get_by_role("heading", level=1, name="Join Northmoor County Council")
    assert heading.is_visible()
    invitee.get_by_label("Username").fill("nia")
    invitee.get_by_label("Password", exact=True).fill("slate-meadow-river-88")
    invitee.get_by_label("Confirm password").fill("slate-meadow-river-88")
    assert axe_violations(invitee) == []
    save_screenshot(invitee, "invitee-create-account")
    invitee.get_by_role("button", name="Create account and join").click()
    invitee.wait_for_url("**/login/?next=**")

    submit_password(invitee, "nia", "slate-meadow-river-88")
    invitee.wait_for_url("**/c/northmoor/")
    assert invitee.get_by_text("Editor").first.is_visible()
    save_screenshot(invitee, "invitee-signed-in")

    # The link was single use.
    invitee.goto(link)
    assert invitee.get_by_text("already been used").is_visible()
    invitee.context.close()


def test_wards_and_service_administration_pages_are_accessible(page):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("operator", "op@example.test", "demo-operator-9")
    sign_in(page, "admin")
    page.goto("/c/northmoor/settings/wards/")
    page.get_by_label("Name", exact=True).fill("Harbourside")
    page.get_by_role("button", name="Add ward").click()
    page.wait_for_url("**/settings/wards/")
    assert page.get_by_label("Name of Harbourside").is_visible()
    assert axe_violations(page) == []
    save_screenshot(page, "admin-wards")
    page.goto("/c/northmoor/settings/planning/")
    assert axe_violations(page) == []

    page.context.clear_cookies()
    sign_in(page, "operator", "demo-operator-9")
    set_up_two_factor(page, "operator")  # superusers must use two-factor sign-in
    page.goto("/manage/")
    assert page.get_by_role("rowheader", name=re.compile("Cyngor Gwynedd")).is_visible()
    page.get_by_role("button", name="Create council and invite its admin").click()
    assert page.get_by_text("Enter the council's name").first.is_visible()
    assert axe_violations(page) == []
    save_screenshot(page, "operator-manage")
