"""What large councils see: a paged horizon on the roadmap, a capped weightings preview, and
the page shown when the database connection is lost. Limits are lowered so the demo council
counts as large."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from planner import delivery, weightings
from planner.views import dashboard
from tests.e2e.conftest import axe_violations, save_screenshot, sign_in

pytestmark = pytest.mark.e2e


def test_roadmap_pages_through_one_horizon(page, monkeypatch):
    monkeypatch.setattr(delivery, "ROWS_PER_HORIZON", 3)
    sign_in(page, "cio")
    page.goto("/c/northmoor/roadmap/")
    show_all = page.get_by_role("link", name="Show all items").first
    show_all.click()
    pages = page.get_by_role("navigation", name="pages").first
    pages.get_by_role("link", name="Next page").click()
    assert page.get_by_text("Items 4 to 6 of").is_visible()
    assert "page=2" in page.url
    assert axe_violations(page) == []
    save_screenshot(page, "pages-roadmap-show-all-page-2")


def test_capped_weightings_preview_says_what_it_covers(page, monkeypatch):
    monkeypatch.setattr(weightings, "PREVIEW_FULL_LIMIT", 5)
    monkeypatch.setattr(weightings, "PREVIEW_SUBSET", 8)
    sign_in(page, "cio")
    page.goto("/c/northmoor/weightings/")
    page.get_by_label("Savings", exact=True).fill("100")
    preview = page.locator("#weightings-preview")
    preview.get_by_text("Preview of the top 8 of").wait_for()
    assert axe_violations(page) == []
    save_screenshot(page, "pages-weightings-capped-preview")


def test_lost_database_page_is_accessible(page, monkeypatch):
    def cut(**kwargs):
        raise OperationalError("terminating connection due to administrator command")

    sign_in(page, "clerk")
    monkeypatch.setattr(dashboard, "dashboard_for", cut)
    response = page.goto("/c/northmoor/")
    assert response is not None and response.status == 503
    assert page.get_by_role("heading", name="Sorry, the service is unavailable").is_visible()
    assert axe_violations(page) == []
    save_screenshot(page, "pages-database-unavailable")
