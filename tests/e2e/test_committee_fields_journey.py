"""The digital lead records an item's committee information (wards, or "All wards" as the
exclusive choice, directorate, key decision, exempt paragraph, assessments, risk), sees it
on the item page and filters the backlog by it; the clerk (a viewer) sees the exempt item
marked on the latest plan. The pages pass axe-core."""

from __future__ import annotations

import re

import pytest

from planner.models import BacklogItem
from tests.e2e.conftest import axe_violations, save_screenshot, sign_in

pytestmark = pytest.mark.e2e


def test_lead_records_committee_information_and_filters_by_it(page):
    sign_in(page, "lead")
    page.goto("/c/northmoor/items/new/")
    page.fill("#id_title", "Pothole reporting with photos")
    page.select_option("#id_theme", index=1)
    page.get_by_label("Abbeyfield").check()
    page.get_by_label("Moorside").check()
    # "All wards" is exclusive: ticking it clears the named wards (GOV.UK Frontend).
    page.get_by_label("All wards").check()
    assert not page.get_by_label("Abbeyfield").is_checked()
    page.get_by_label("Moorside").check()
    assert not page.get_by_label("All wards").is_checked()
    page.select_option("#id_directorate", label="Place and Economy")
    page.locator("#id_key_decision_0").check()
    page.select_option(
        "#id_exempt_paragraph",
        label="Paragraph 3: financial or business affairs of any particular person",
    )
    page.get_by_label("Screening").first.check()
    page.locator("input[name=risk_rating][value=amber]").check()
    page.fill("#id_risk_description", "Relies on the new highways contract")
    page.fill("#id_cashable_savings", "18000")
    assert axe_violations(page) == []
    save_screenshot(page, "committee-item-form")
    page.get_by_role("button", name="Add item").click()
    page.wait_for_url(re.compile(r"/items/DIG-\d+/$"))
    page.get_by_text("Exempt: paragraph 3 (financial or business affairs)").first.wait_for()
    assert "Moorside" in page.locator(".app-committee-list").inner_text()
    assert axe_violations(page) == []
    save_screenshot(page, "committee-item-page")
    reference = page.url.rstrip("/").rsplit("/", 1)[1]
    item = BacklogItem.objects.get(council__slug="northmoor", reference=reference)
    assert [ward.name for ward in item.wards.all()] == ["Moorside"]

    page.goto("/c/northmoor/backlog/")
    page.get_by_text("Committee filters").click()
    page.select_option("#id_ward", label="Moorside")
    page.select_option("#id_exempt", label="Exempt items only")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"exempt=yes"))
    page.locator(f"#row-{reference}").wait_for()
    assert axe_violations(page) == []
    save_screenshot(page, "committee-backlog-filters")


def test_clerk_sees_the_public_plan_with_the_exempt_item_marked(page):
    sign_in(page, "clerk")
    page.goto("/c/northmoor/plans/")
    page.locator("main a[href*='/plans/']").first.click()
    page.get_by_text("This is the public version").wait_for()
    assert page.get_by_text(re.compile(r"Exempt: paragraph 3")).count() >= 1
    assert axe_violations(page) == []
    save_screenshot(page, "committee-plan-public")
