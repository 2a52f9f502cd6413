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
