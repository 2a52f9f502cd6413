"""The CIO (an approver) sees how sure each rank is: the dashboard's interval bars, the
stability beside ranks on the backlog and roadmap, and an item's tornado chart."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from councils.models import Council
from planner import ranking
from tests.e2e.conftest import axe_violations, sign_in

pytestmark = pytest.mark.e2e
SLUG = "northmoor"
SHOTS = Path(os.environ.get("RANK_RANGES_SHOTS", "test-artifacts"))


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_cio_reads_rank_ranges_and_an_item_tornado(page):
    council = Council.objects.get(slug=SLUG)
    run = ranking.latest_done_run(council)
    assert run is not None and run.robustness["samples"] == 2000  # seeding computed them
    top = run.entries.select_related("item").order_by("position").first()
    # The item whose rank is least sure: its tornado has bars worth looking at.
    widest = max(run.entries.select_related("item"), key=lambda e: e.rank_high - e.rank_low)
    sign_in(page, "cio")

    page.goto(f"/c/{SLUG}/")
    bars = page.locator("svg.app-rank-interval")
    assert bars.count() == 10
    page.locator("#top-heading").scroll_into_view_if_needed()
    _shot(page, "dashboard")
    assert page.get_by_text(f"Rank range {top.rank_low}–{top.rank_high}").first.is_visible()
    assert axe_violations(page) == []

    for name in ("backlog", "roadmap"):
        page.goto(f"/c/{SLUG}/{name}/")
        assert page.locator(".app-rank-range").count() > 0
        assert axe_violations(page) == []

    page.goto(f"/c/{SLUG}/items/{widest.item.reference}/")
    page.get_by_role("heading", name="Which weights move this rank").wait_for()
    chart = page.locator("figure.app-tornado svg[role=img]")
    assert chart.is_visible()
    rows = page.locator("#tornado-heading ~ table tbody tr")
    assert rows.count() == len(run.scored_criteria())
    assert axe_violations(page) == []
    page.locator("#tornado-heading").scroll_into_view_if_needed()
    _shot(page, "item-tornado")
