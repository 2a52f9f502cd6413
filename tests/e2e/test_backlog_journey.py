"""The digital lead's triage journey: filter by a theme, score every criterion of a row with
one Save (the row's "Score" opens the grid on it), with and without JavaScript; and the
backlog and item pages pass axe-core."""

from __future__ import annotations

import re

import pytest

from planner.models import ItemScore
from tests.e2e.conftest import axe_violations, save_screenshot, sign_in

pytestmark = pytest.mark.e2e

THEME = "Data sharing"


def filter_by_theme(page) -> None:
    page.goto("/c/northmoor/backlog/")
    page.select_option("#id_theme", label=THEME)
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"theme=\d+"))
    theme_cells = page.locator("#backlog-table tbody tr td:nth-child(4)")
    theme_cells.first.wait_for()
    assert set(theme_cells.all_inner_texts()) == {THEME}


def first_row_reference(page) -> str:
    return page.locator("#backlog-table tbody tr td:nth-child(2) a").first.inner_text().strip()


def score_the_row_in_the_grid(page, reference: str) -> dict[int, int]:
    """From the backlog row's "Score", choose a new level on every criterion of that row and
    press the one Save; returns {criterion id: level chosen}."""
    page.get_by_role("link", name=f"Score {reference}", exact=True).click()
    page.wait_for_url(re.compile(rf"/score/\?items={reference}$"))
    chosen = {}
    selects = page.locator(f"select[name^='score-{reference}-']")
    for index in range(selects.count()):
        select = selects.nth(index)
        new = "1" if select.input_value() != "1" else "2"
        select.select_option(new)
        chosen[int(select.get_attribute("name").rsplit("-", 1)[1])] = int(new)
    page.get_by_role("button", name="Save all scores").click()
    page.get_by_text(f"Saved {len(chosen)} scores").wait_for()
    return chosen


def saved_values(reference: str) -> dict[int, int]:
    return dict(
        ItemScore.objects.filter(
            item__council__slug="northmoor", item__reference=reference
        ).values_list("criterion_id", "value")
    )


def test_lead_filters_and_scores_every_criterion_of_a_row_with_one_save(page):
    sign_in(page, "lead")
    filter_by_theme(page)
    assert axe_violations(page) == []
    reference = first_row_reference(page)
    chosen = score_the_row_in_the_grid(page, reference)
    assert len(chosen) == 6  # every hand-scored criterion of the demo
    assert saved_values(reference).items() >= chosen.items()
    assert axe_violations(page) == []
    save_screenshot(page, "backlog-row-scored-in-grid")


def test_same_journey_works_without_javascript(no_js_page):
    page = no_js_page
    sign_in(page, "lead")
    filter_by_theme(page)
    reference = first_row_reference(page)
    chosen = score_the_row_in_the_grid(page, reference)
    assert saved_values(reference).items() >= chosen.items()


def test_item_page_passes_axe_and_scores_with_radios(page):
    sign_in(page, "lead")
    page.goto("/c/northmoor/items/DIG-001/")
    assert axe_violations(page) == []
    panel = page.locator(".app-score-panel").first
    panel.locator("label.govuk-radios__label").nth(2).click()
    panel.get_by_role("button").click()
    page.locator(".app-score-panel").first.get_by_role("status").wait_for()
    assert axe_violations(page) == []


def test_viewer_sees_a_read_only_backlog(page):
    sign_in(page, "clerk")
    page.goto("/c/northmoor/backlog/")
    assert page.get_by_role("button", name="Add").count() == 0
    assert page.locator("input[type=checkbox][name=items]").count() == 0
    assert axe_violations(page) == []


def test_quick_add_shows_the_new_row_and_returns_focus_to_the_title(page):
    sign_in(page, "lead")
    page.goto("/c/northmoor/backlog/")
    navigations: list[str] = []
    page.on(
        "framenavigated",
        lambda frame: frame == page.main_frame and navigations.append(frame.url),
    )
    # A missing title comes back as a 400 fragment, swapped in with its error summary.
    page.get_by_role("button", name="Add", exact=True).click()
    page.locator("#backlog-table .govuk-error-summary").wait_for()

    page.fill("#id_add-title", "Text alerts for bin collection changes")
    page.select_option("#id_add-theme", label=THEME)
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_role("cell", name="Text alerts for bin collection changes").wait_for()
    page.wait_for_function("document.activeElement && document.activeElement.id === 'id_add-title'")
    assert navigations == []
