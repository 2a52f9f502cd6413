from __future__ import annotations

import pytest

from tests.e2e.conftest import axe_violations, save_screenshot, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def large_council(demo):
    """A 600-item council, ranked, that the demo CIO can read: past the matrix's dot limit."""
    from django.contrib.auth import get_user_model

    from councils.models import Membership, Role
    from planner import ranking
    from planner.management.commands.seed_demo import seed_bulk_council

    council = seed_bulk_council(slug="large", items=600)
    ranking.run_now(council=council)
    cio = get_user_model().objects.get(username="cio")
    Membership.objects.create(user=cio, council=council, role=Role.VIEWER)
    return council


def test_large_dashboard_shows_a_density_grid_and_its_table(page, large_council):
    sign_in(page, "cio")
    page.goto(f"/c/{large_council.slug}/")
    chart = page.get_by_role("img", name="Value-versus-effort matrix")
    assert chart.is_visible()
    assert page.locator("svg .app-density").count() > 10
    assert page.locator("svg use").count() == 0  # no per-item markers
    page.get_by_text("Show the grid of counts as a table").click()
    table = page.get_by_role(
        "table", name="Items by value (rows, points) and effort (columns, team-days)"
    )
    assert table.is_visible()
    assert table.get_by_role("rowheader").count() == 10
    assert axe_violations(page) == []
    save_screenshot(page, "large-dashboard")
    chart.screenshot(path=str(save_screenshot(page, "large-dashboard-matrix")))
