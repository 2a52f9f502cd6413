"""The head of digital changes a weight, saves, watches the ranking, and sees it change.

Runs twice: with eager Celery (the run finishes inside the save request) and with a real
worker process on Redis (the page polls the progress indicator until the run is done).
"""

from __future__ import annotations

import pytest

from councils.models import Council
from planner import ranking
from tests.e2e.conftest import axe_violations, sign_in
from tests.integration.conftest import (  # noqa: F401 (fixtures, requested by name)
    broker,
    queue_name,
    redis_url,
    shared_db,
    start_worker,
)

pytestmark = pytest.mark.e2e
SLUG = "northmoor"


def _current_refs(page) -> list[str]:
    return page.locator("#current-ranking tbody tr").evaluate_all(
        "rows => rows.map(row => row.dataset.item)"
    )


def _expected_refs() -> list[str]:
    council = Council.objects.get(slug=SLUG)
    run = ranking.latest_done_run(council)
    assert run is not None
    return list(run.entries.values_list("item__reference", flat=True)[:10])


@pytest.mark.parametrize("worker", ["eager", "worker process"])
def test_admin_changes_a_weight_and_sees_the_ranking_change_without_reloading(
    page, request, worker
):
    if worker == "worker process":
        # A slow worker, so the progress indicator is on screen long enough to watch.
        request.getfixturevalue("start_worker")(RANKING_TEST_DELAY_SECONDS="2")
    sign_in(page, "admin")
    page.goto(f"/c/{SLUG}/weightings/")
    before = _current_refs(page)
    assert before == _expected_refs()
    assert axe_violations(page) == []
    page.evaluate("window.__stillTheSamePage = true")

    # Only savings counts now: the order has to change.
    for field in page.locator("input[type=number]").all():
        field.fill("0")
    page.get_by_label("Savings", exact=True).fill("100")
    preview = page.locator("#weightings-preview")
    preview.get_by_text("with these weights (not saved)").wait_for()

    page.get_by_role("button", name="Save weights and rank again").click()
    page.get_by_text("Weights saved.").wait_for()
    if worker == "worker process":
        page.locator("#ranking-status progress.app-progress").wait_for()
        assert page.locator("#ranking-status").get_by_text("Ranking…").is_visible()
    page.locator("#ranking-status").get_by_text("Ranking computed").wait_for(timeout=60_000)

    page.wait_for_function(
        "expected => JSON.stringify([...document.querySelectorAll('#current-ranking tbody tr')]"
        ".map(row => row.dataset.item)) === JSON.stringify(expected)",
        arg=_expected_refs(),
        timeout=30_000,
    )
    after = _current_refs(page)
    assert after != before
    assert page.evaluate("window.__stillTheSamePage") is True
    assert axe_violations(page) == []


def test_without_javascript_admin_previews_and_saves_weights(no_js_page):
    page = no_js_page
    sign_in(page, "admin")
    page.goto(f"/c/{SLUG}/weightings/")
    before = _current_refs(page)
    council = Council.objects.get(slug=SLUG)
    runs_before = council.runs.count()
    for field in page.locator("input[type=number]").all():
        field.fill("0")
    page.get_by_label("Savings", exact=True).fill("100")

    page.get_by_role("button", name="Preview the top 10").click()
    page.get_by_text("with these weights (not saved)").wait_for()
    assert council.runs.count() == runs_before  # a preview saves nothing

    page.get_by_role("button", name="Save weights and rank again").click()
    page.get_by_text("Weights saved.").wait_for()
    after = _current_refs(page)
    assert after == _expected_refs()
    assert after != before
