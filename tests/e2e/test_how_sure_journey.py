"""Issue 10's whole journey in one browser session: the demo approver reads an item's tornado
chart, asks why it is above another item, saves a weighting option and compares it with the
current weights. axe-core finds nothing on any of the pages on the way."""

from __future__ import annotations

import re

import pytest

from councils.models import Council
from planner import ranking
from tests.e2e.conftest import axe_violations, save_screenshot, sign_in

pytestmark = pytest.mark.e2e
SLUG = "northmoor"
OPTION = "Option D: statutory duties first"


def test_cio_reads_a_tornado_compares_two_items_and_weighs_an_option(page):
    council = Council.objects.get(slug=SLUG)
    live = ranking.latest_done_run(council)
    # The seeded top 10 always holds a contested item: its tornado has bars worth reading.
    top = (
        live.entries.select_related("item")
        .filter(position__lte=10, stability="contested")
        .order_by("position")
        .first()
    )
    sign_in(page, "cio")

    # 1. The item's tornado chart: one bar (and one table row) per weighted criterion.
    page.goto(f"/c/{SLUG}/items/{top.item.reference}/")
    page.get_by_role("heading", name="Which weights move this rank").wait_for()
    assert page.locator("figure.app-tornado svg[role=img]").is_visible()
    assert page.locator("#tornado-heading ~ table tbody tr").count() == len(live.scored_criteria())
    assert axe_violations(page) == []
    save_screenshot(page, "how-sure-item")

    # 2. "Compare with…" the next item in the ranking.
    chooser = page.get_by_label("Compare with…")
    other = chooser.locator("option").nth(1).get_attribute("value")
    chooser.select_option(other)
    page.get_by_role("button", name=f"Compare {top.item.reference} with the chosen item").click()
    page.wait_for_url(re.compile(r"/compare-items/\?"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("Why is ")
    assert page.get_by_role("heading", name="What would swap them").is_visible()
    assert re.search(r"stays above .* in ", page.locator("#p-above").inner_text())
    assert axe_violations(page) == []
    save_screenshot(page, "how-sure-compare")

    # 3. Save the weights being edited as an option, without making them live.
    page.goto(f"/c/{SLUG}/weightings/")
    page.get_by_label("Statutory or risk reduction", exact=True).fill("60")
    page.locator("#weightings-preview").get_by_text("with these weights (not saved)").wait_for()
    assert axe_violations(page) == []
    page.get_by_label("Option name").fill(OPTION)
    page.get_by_role("button", name="Save as an option").click()

    # 4. The options page compares it with the current weights and "Do nothing".
    page.wait_for_url(f"**/c/{SLUG}/options/?option=*")
    headers = page.locator("table.app-options-table thead th").all_inner_texts()
    assert headers[0].startswith("Current weights")
    assert OPTION in headers and headers[-1] == "Do nothing"
    assert axe_violations(page) == []
    save_screenshot(page, "how-sure-options")
    assert ranking.latest_done_run(council) == live  # the option never went live
