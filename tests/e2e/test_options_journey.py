"""The CIO saves a weighting option on the weightings page and compares it with the current
weights (and "Do nothing") on the options page; axe-core finds nothing on either page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from councils.models import Council
from planner import ranking
from tests.e2e.conftest import axe_violations, save_screenshot, sign_in

pytestmark = pytest.mark.e2e
SLUG = "northmoor"
OPTION = "Option C: citizens first"
SHOTS = os.environ.get("OPTIONS_SHOTS_DIR", "")


def _shot(page, name: str) -> None:
    path = save_screenshot(page, name)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        Path(SHOTS, path.name).write_bytes(path.read_bytes())


def test_cio_saves_an_option_and_compares_it_with_the_current_weights(page):
    council = Council.objects.get(slug=SLUG)
    live_before = ranking.latest_done_run(council)
    sign_in(page, "cio")
    page.goto(f"/c/{SLUG}/weightings/")
    for field in page.locator(".app-weightings-inputs input[type=number]").all():
        field.fill("0")
    page.get_by_label("Citizen impact", exact=True).fill("100")
    preview = page.locator("#weightings-preview")
    preview.get_by_text("with these weights (not saved)").wait_for()
    # Rank moves are given in words as well as arrows.
    assert preview.locator(".app-rank-move .govuk-visually-hidden").count() == 10
    assert axe_violations(page) == []
    _shot(page, "options-weightings-preview")

    page.get_by_label("Option name").fill(OPTION)
    page.get_by_role("button", name="Save as an option").click()
    page.wait_for_url(f"**/c/{SLUG}/options/?option=*")
    page.get_by_text(f"Saved “{OPTION}” as an option").wait_for()
    table = page.locator("table.app-options-table")
    headers = table.locator("thead th").all_inner_texts()
    assert headers[0].startswith("Current weights")
    assert OPTION in headers
    assert headers[-1] == "Do nothing"
    assert page.get_by_text("Cost per financial year").is_visible()
    # The option's run never became the live ranking.
    assert ranking.latest_done_run(council) == live_before
    assert axe_violations(page) == []
    _shot(page, "options-compare")

    # Compare it with the seeded option too, by ticking both (a GET form).
    page.get_by_role("checkbox", name="Option B: savings first").check()
    page.get_by_role("button", name="Compare").click()
    headers = page.locator("table.app-options-table thead th").all_inner_texts()
    assert "Option B: savings first" in headers and OPTION in headers
    assert axe_violations(page) == []


def test_cio_publishes_a_plan_with_the_options_considered(page):
    sign_in(page, "cio")
    page.goto(f"/c/{SLUG}/plans/")
    page.get_by_label("Title").fill("Digital priorities with options")
    page.get_by_label("Committee").fill("Cabinet")
    page.get_by_label("Meeting date").fill("1/3/2027")
    page.get_by_role("checkbox", name="Option B: savings first").check()
    page.get_by_role("button", name="Publish plan").click()
    section = page.locator("section[aria-labelledby=plan-options]")
    section.get_by_role("heading", name="Options considered").wait_for()
    names = section.locator("tbody th").all_inner_texts()
    assert names[0].startswith("Current weights") and "Recommended: this plan" in names[0]
    assert names[1] == "Option B: savings first"
    assert names[2].startswith("Do nothing")
    assert axe_violations(page) == []
    _shot(page, "options-plan-considered")
