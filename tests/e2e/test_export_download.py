"""The demo CIO (a viewer) downloads the current ranking's CSV from the dashboard."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def _ensure_ranking(slug: str) -> None:
    """The seeded demo may not have a finished ranking yet: make one with the real engine."""
    from councils.models import Council
    from planner import ranking

    council = Council.objects.get(slug=slug)
    if ranking.latest_done_run(council) is None:
        run = ranking.request_run(council=council)
        ranking.execute_run(run_id=run.pk)
    assert ranking.latest_done_run(council) is not None


def test_cio_downloads_the_current_ranking_as_csv(page):
    _ensure_ranking("northmoor")
    sign_in(page, "cio")
    page.goto("/c/northmoor/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export the current ranking as CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("northmoor-ranking-")
    assert download.suggested_filename.endswith(".csv")
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0][:6] == ["Rank", "Reference", "Title", "Theme", "Status", "Score"]
    # The problem statement, the rank range, then the committee columns (issues 10 and 12).
    assert rows[0][-17:-13] == ["Delivery stage", "Problem statement", "Rank range", "Stability"]
    assert rows[0][-1] == "Non-cashable benefits"
    assert len(rows) > 1
    assert rows[1][0] == "1"
    assert rows[1][1].startswith("DIG-")
