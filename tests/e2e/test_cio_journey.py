from __future__ import annotations

import pytest

from tests.e2e.conftest import axe_violations, save_screenshot, sign_in

pytestmark = pytest.mark.e2e


def test_cio_reads_dashboard_roadmap_latest_plan_and_compares_it(page):
    sign_in(page, "cio")
    page.goto("/c/northmoor/")
    assert page.get_by_role("heading", level=1, name="Northmoor County Council").is_visible()
    assert page.get_by_role("heading", name="Top 10 ranked challenges").is_visible()
    assert page.get_by_role("img", name="Value-versus-effort matrix").is_visible()
    for quadrant in ("Quick wins", "Big bets", "Fill-ins", "Money pits"):
        assert page.get_by_role("rowheader", name=quadrant).count() == 1
    assert axe_violations(page) == []
    save_screenshot(page, "cio-dashboard")

    page.get_by_role("link", name="Roadmap").first.click()
    page.wait_for_url("**/c/northmoor/roadmap/")
    for horizon in ("Now", "Next", "Later"):
        assert page.locator(f"#horizon-{horizon.lower()}").is_visible()
    # The CIO is an approver: the roadmap offers the pin form and the planning settings.
    assert page.get_by_role("heading", name="Pin an item to a quarter").count() == 1
    assert page.get_by_role("link", name="Change the planning settings").count() == 1
    assert axe_violations(page) == []
    save_screenshot(page, "cio-roadmap")

    page.get_by_role("link", name="Published plans").first.click()
    page.wait_for_url("**/c/northmoor/plans/")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Digital priorities: winter update").click()
    page.wait_for_url("**/plans/digital-priorities-winter-update/")
    assert page.get_by_role(
        "heading", level=1, name="Digital priorities: winter update"
    ).is_visible()
    assert page.get_by_role("heading", name="Weights and method").is_visible()
    assert axe_violations(page) == []

    page.get_by_role("link", name="All published plans").click()
    page.get_by_label("Earlier plan").select_option("digital-priorities-autumn-review")
    page.get_by_label("Later plan").select_option("digital-priorities-winter-update")
    page.get_by_role("button", name="Compare plans").click()
    page.wait_for_url("**/plans/compare/?**")
    assert page.get_by_role("img", name="Slope chart").first.is_visible()
    assert page.get_by_role("heading", name="Moved up").is_visible()
    assert page.get_by_role("heading", name="New in the later plan").is_visible()
    assert axe_violations(page) == []
    save_screenshot(page, "cio-plan-compare")


def test_clerk_reads_the_roadmap_without_controls_to_change_it(page):
    sign_in(page, "clerk")
    page.goto("/c/northmoor/roadmap/")
    assert page.locator("#horizon-now").is_visible()
    assert page.get_by_role("heading", name="Pin an item to a quarter").count() == 0
    assert page.get_by_role("link", name="Change the planning settings").count() == 0


def test_cio_journey_works_without_javascript(no_js_page):
    page = no_js_page
    sign_in(page, "cio")
    page.goto(
        "/c/riverside/plans/compare/?a=digital-priorities-autumn-review&b=digital-priorities-winter-update"
    )
    assert page.get_by_role("heading", name="Moved down").is_visible()
    page.goto("/c/riverside/roadmap/")
    assert page.locator("#horizon-now").is_visible()


def test_roadmap_and_plan_print_without_navigation_or_controls(page):
    sign_in(page, "admin")
    page.emulate_media(media="print")
    page.goto("/c/gwynedd/roadmap/")
    assert not page.locator(".govuk-service-navigation").is_visible()
    assert not page.locator("#pin").is_visible()
    assert page.locator("#horizon-later").is_visible()
    page.goto("/c/gwynedd/plans/digital-priorities-winter-update/")
    assert not page.locator(".govuk-footer").is_visible()
    assert page.get_by_role("heading", name="Weights and method").is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
