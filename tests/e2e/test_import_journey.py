"""The digital lead imports a backlog CSV in the browser: upload, preview, apply. Each page
passes axe-core, and the journey works with JavaScript switched off."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import axe_violations, sign_in

pytestmark = pytest.mark.e2e

CSV = "Title,Theme,Citizen impact\r\nImported from Excel: Ynys Môn £5,Data sharing,4\r\n".encode(
    "cp1252"
)


def _upload_and_apply(page) -> None:
    page.goto("/c/northmoor/import/")
    page.set_input_files(
        "#id_file", files=[{"name": "backlog.csv", "mimeType": "text/csv", "buffer": CSV}]
    )
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_url("**/import/*/")
    assert page.get_by_role("heading", name="Check your import").is_visible()
    assert page.get_by_text("Imported from Excel: Ynys Môn £5").is_visible()
    assert page.get_by_text("windows-1252").is_visible()


def test_lead_imports_a_windows_1252_file_after_checking_the_preview(page):
    from planner.models import BacklogItem

    sign_in(page, "lead")
    page.goto("/c/northmoor/import/")
    assert axe_violations(page) == []
    _upload_and_apply(page)
    assert axe_violations(page) == []
    page.get_by_role("button", name="Import 1 row").click()
    page.wait_for_load_state()
    assert "Import complete: 1 created" in page.content()
    assert BacklogItem.objects.filter(
        council__slug="northmoor", title="Imported from Excel: Ynys Môn £5"
    ).exists()


def test_import_works_without_javascript(no_js_page):
    from planner.models import BacklogItem

    sign_in(no_js_page, "lead")
    _upload_and_apply(no_js_page)
    no_js_page.get_by_role("button", name="Import 1 row").click()
    no_js_page.wait_for_load_state()
    assert BacklogItem.objects.filter(title="Imported from Excel: Ynys Môn £5").exists()


def test_upload_errors_are_shown_in_an_accessible_summary(page):
    sign_in(page, "lead")
    page.goto("/c/northmoor/import/")
    page.get_by_role("button", name="Upload and check").click()
    assert page.get_by_text("Choose a CSV file to upload.").first.is_visible()
    assert axe_violations(page) == []


def test_admin_sees_the_export_record(page):
    sign_in(page, "admin")
    page.goto("/c/northmoor/exports/")
    assert page.get_by_role("heading", name="Exports").is_visible()
    assert axe_violations(page) == []
