"""The head of digital changes next year's budget, and the roadmap moves items for money."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from planner import quarters as cal
from tests.e2e.conftest import axe_violations, save_screenshot, sign_in

pytestmark = pytest.mark.e2e


def _next_financial_year() -> tuple[int, str]:
    year = cal.quarter_containing(timezone.localdate()).year + 1
    return year, cal.financial_year_label(year)


def test_admin_sets_next_years_budget_and_the_roadmap_moves_items_for_money(page):
    year, label = _next_financial_year()
    sign_in(page, "admin")
    page.goto("/c/northmoor/roadmap/")
    assert page.get_by_role("heading", name="How this plan was built").is_visible()
    assert page.get_by_role("img", name="Timeline of the delivery plan by quarter").is_visible()
    assert axe_violations(page) == []
    save_screenshot(page, "pages-roadmap")

    page.get_by_role("link", name="Change the planning settings").click()
    page.wait_for_url("**/c/northmoor/settings/planning/")
    budget = page.get_by_label(f"{label} one-off budget, £")
    budget.fill("lots")
    page.get_by_role("button", name="Save planning settings").click()
    assert page.get_by_role("heading", name="There is a problem").is_visible()
    assert page.get_by_role(
        "link", name=f"Enter the {label} one-off budget in whole pounds"
    ).is_visible()
    assert axe_violations(page) == []
    save_screenshot(page, "pages-settings-error")

    page.get_by_label(f"{label} one-off budget, £").fill("£1")
    page.get_by_role("button", name="Save planning settings").click()
    page.wait_for_url("**/c/northmoor/roadmap/")
    reason = re.compile(rf"Over the {re.escape(label)} one-off budget by £[\d,]+")
    assert page.get_by_text(reason).first.is_visible()
    # The money table shows the new budget for that year.
    money = page.locator("table", has_text="Money by financial year (table)")
    row = money.get_by_role("row").filter(has=page.get_by_role("rowheader", name=label, exact=True))
    assert row.get_by_role("cell").nth(1).inner_text() == "£1"
    assert axe_violations(page) == []
    save_screenshot(page, "pages-roadmap-after-budget")

    page.goto("/c/northmoor/")
    assert page.get_by_role("heading", name="The delivery plan").is_visible()
    assert page.get_by_text("Capacity used in Now and Next").is_visible()
    assert axe_violations(page) == []
    save_screenshot(page, "pages-dashboard")
    assert year  # the budget saved was for the year after this one


def test_delivery_plan_pages_work_without_javascript(no_js_page):
    page = no_js_page
    sign_in(page, "admin")
    page.goto("/c/riverside/roadmap/")
    assert page.get_by_role(
        "img", name="Column chart: team-days planned per quarter against capacity"
    ).is_visible()
    page.get_by_role("link", name="Change the planning settings").click()
    page.get_by_label("Planning horizon, in quarters").fill("6")
    page.get_by_role("button", name="Save planning settings").click()
    page.wait_for_url("**/c/riverside/roadmap/")
    assert page.locator("dd", has_text="6 quarters, from").is_visible()
