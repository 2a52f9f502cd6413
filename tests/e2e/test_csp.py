from __future__ import annotations

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def test_pages_run_under_the_content_security_policy_without_violations(strict_page):
    sign_in(strict_page, "lead")
    strict_page.goto("/c/northmoor/")
    strict_page.wait_for_load_state("networkidle")
    assert strict_page.evaluate("typeof htmx") == "object"
    assert strict_page.evaluate("document.body.classList.contains('govuk-frontend-supported')")
    assert strict_page.csp_errors == []


def test_the_scoring_grids_keyboard_module_runs_under_the_policy(strict_page):
    """score_grid.js loads as a same-origin module: no inline script, no nonce needed."""
    sign_in(strict_page, "lead")
    strict_page.goto("/c/northmoor/score/")
    strict_page.wait_for_load_state("networkidle")
    first, second = strict_page.locator("select[data-grid-cell]").all()[:2]
    first.focus()
    strict_page.keyboard.press("4")
    assert first.input_value() == "4"
    assert second.evaluate("cell => cell === document.activeElement")
    assert strict_page.csp_errors == []
