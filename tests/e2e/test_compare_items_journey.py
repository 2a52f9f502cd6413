"""The CIO asks "why is X above Y?": from an item page's "Compare with…" and from two ticked
backlog rows, with and without JavaScript; the comparison passes axe-core."""

from __future__ import annotations

import re

import pytest

from planner import ranking
from planner.models import RankedEntry
from tests.e2e.conftest import axe_violations, save_screenshot, sign_in

pytestmark = pytest.mark.e2e

COUNCIL = "northmoor"


def ranked_references(count: int) -> list[str]:
    from councils.models import Council

    run = ranking.latest_done_run(Council.objects.get(slug=COUNCIL))
    return list(
        RankedEntry.objects.filter(run=run)
        .order_by("position")
        .values_list("item__reference", flat=True)[:count]
    )


def compare_from_the_item_page(page, reference: str) -> str:
    page.goto(f"/c/{COUNCIL}/items/{reference}/")
    page.locator("#compare-with").scroll_into_view_if_needed()
    chooser = page.get_by_label("Compare with…")
    other = chooser.locator("option").nth(1).get_attribute("value")
    chooser.select_option(other)
    page.get_by_role("button", name=f"Compare {reference} with the chosen item").click()
    page.wait_for_url(re.compile(rf"/compare-items/\?a={reference}&b={other}$"))
    return other


def test_cio_compares_an_item_with_another_from_its_page(page):
    sign_in(page, "cio")
    top = ranked_references(1)[0]
    page.goto(f"/c/{COUNCIL}/items/{top}/")
    assert axe_violations(page) == []
    save_screenshot(page, "compare-with-item-page")
    other = compare_from_the_item_page(page, top)
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == f"Why is {top} above {other}?"
    assert page.get_by_role("table", name="Side by side").is_visible()
    assert page.get_by_role("table", name="Points by criterion").is_visible()
    assert page.get_by_role("heading", name="What would swap them").is_visible()
    assert page.locator("#p-above").inner_text().startswith(f"{top} stays above {other} in ")
    assert axe_violations(page) == []
    save_screenshot(page, "compare-items")


def test_cio_ticks_two_backlog_rows_and_compares_them(page):
    sign_in(page, "cio")
    first, second = ranked_references(2)
    page.goto(f"/c/{COUNCIL}/backlog/")
    assert axe_violations(page) == []
    page.check(f"#select-{first}")
    page.check(f"#select-{second}")
    save_screenshot(page, "compare-two-ticked")
    page.get_by_role("button", name="Compare two items").click()
    page.wait_for_url(re.compile(rf"/compare-items/\?a={first}&b={second}$"))
    assert page.get_by_role("heading", level=1).inner_text() == f"Why is {first} above {second}?"
    assert axe_violations(page) == []

    # One ticked row: the backlog says what to do.
    page.goto(f"/c/{COUNCIL}/backlog/")
    page.check(f"#select-{first}")
    page.get_by_role("button", name="Compare two items").click()
    page.get_by_text("Tick exactly two rows to compare them (you ticked 1).").wait_for()
    assert axe_violations(page) == []
    save_screenshot(page, "compare-items-one-ticked")


def test_a_bad_pair_is_a_clear_error_page(page):
    sign_in(page, "cio")
    first = ranked_references(1)[0]
    page.goto(f"/c/{COUNCIL}/compare-items/?a={first}&b={first}")
    assert page.get_by_role("heading", name="There is a problem").is_visible()
    assert page.get_by_role("link", name="Choose two different items to compare").is_visible()
    assert axe_violations(page) == []
    save_screenshot(page, "compare-items-error")


def test_both_entry_points_work_without_javascript(no_js_page):
    page = no_js_page
    sign_in(page, "cio")
    first, second = ranked_references(2)
    other = compare_from_the_item_page(page, first)
    assert page.get_by_role("heading", level=1).inner_text() == f"Why is {first} above {other}?"
    page.goto(f"/c/{COUNCIL}/backlog/")
    page.check(f"#select-{first}")
    page.check(f"#select-{second}")
    page.get_by_role("button", name="Compare two items").click()
    page.wait_for_url(re.compile(rf"/compare-items/\?a={first}&b={second}$"))
