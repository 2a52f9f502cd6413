"""Committee documents of the latest published plan: the demo clerk (a viewer) downloads the
public Word, Excel and PDF versions; the demo admin downloads the full ones. The plan page
passes axe-core with the download links on it."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import openpyxl
import pytest
from pypdf import PdfReader

from tests.e2e.conftest import axe_violations, save_screenshot, sign_in

pytestmark = pytest.mark.e2e

FORMATS = ("Word", "Excel", "PDF")


def _latest_plan_url() -> tuple[str, str]:
    from councils.models import Council
    from planner.plans import plans_without_snapshots

    plan = plans_without_snapshots(Council.objects.get(slug="northmoor")).first()
    assert plan is not None, "the demo seed publishes plans"
    return f"/c/northmoor/plans/{plan.slug}/", plan.title


def _check(path: Path, label: str, title: str) -> None:
    data = path.read_bytes()
    if label == "Word":
        paragraphs = [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]
        assert title in paragraphs
    elif label == "Excel":
        book = openpyxl.load_workbook(io.BytesIO(data))
        assert book.sheetnames == ["Summary", "Ranking", "Roadmap", "Money", "Method"]
    else:
        reader = PdfReader(io.BytesIO(data))
        assert title in reader.pages[0].extract_text()


def _download_all(page, version: str, title: str) -> None:
    for label in FORMATS:
        with page.expect_download() as download_info:
            page.get_by_role("link", name=f"{label} ({version} version", exact=False).click()
        download = download_info.value
        assert f"-{version}-" in download.suggested_filename
        assert download.suggested_filename.endswith(
            {"Word": ".docx", "Excel": ".xlsx", "PDF": ".pdf"}[label]
        )
        _check(Path(download.path()), label, title)


def test_the_clerk_downloads_the_public_versions_only(page):
    url, title = _latest_plan_url()
    sign_in(page, "clerk")
    page.goto(url)
    assert page.get_by_role("link", name="Word (full version", exact=False).count() == 0
    _download_all(page, "public", title)
    assert axe_violations(page) == []
    save_screenshot(page, "plan-documents-clerk")


def test_the_admin_downloads_the_full_versions(page):
    url, title = _latest_plan_url()
    sign_in(page, "admin")
    page.goto(url)
    _download_all(page, "full", title)
