"""Printing (issue 12): every print view as Chromium prints it to PDF. Each page carries the
council and the page's title, sections run on without forced page breaks, and the pages
are saved (PRINT_SHOTS, default test-artifacts/print) to be looked at."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.e2e.conftest import ARTIFACTS, axe_violations, sign_in

pytestmark = pytest.mark.e2e

COUNCIL = "Northmoor County Council"
SHOTS = Path(os.environ.get("PRINT_SHOTS", ARTIFACTS / "print"))


def _print(page, url: str, name: str) -> list[str]:
    """The text of each printed page of `url`; the PDF is kept under SHOTS."""
    page.goto(url)
    pdf = page.pdf(prefer_css_page_size=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / f"{name}.pdf").write_bytes(pdf)
    return [" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages]


def _latest_plans():
    from councils.models import Council

    council = Council.objects.get(slug="northmoor")
    return list(council.plans.order_by("-meeting_date").values_list("slug", "title")[:2])


def test_roadmap_and_plan_print_the_council_and_title_on_every_page_without_a_page_per_horizon(
    page,
):
    sign_in(page, "cio")
    (plan_slug, plan_title), _ = _latest_plans()

    roadmap = _print(page, "/c/northmoor/roadmap/", "roadmap")
    plan = _print(page, f"/c/northmoor/plans/{plan_slug}/", "plan")

    for pages, title in ((roadmap, "Roadmap"), (plan, plan_title)):
        for number, text in enumerate(pages, start=1):
            assert COUNCIL in text, f"{title}: page {number} lacks the council"
            assert title in text, f"{title}: page {number} lacks the title"
            assert f"Page {number} of {len(pages)}" in text
    # Horizons run on: some page holds more than one of them (forced breaks gave each its
    # own page), and the demo's 36 items print on a handful of pages, not one per section.
    assert any(text.count("team-days in all") > 1 for text in roadmap)
    assert any(len(re.findall(r"(Now|Next|Later): \d+ items?,", text)) > 1 for text in plan)
    assert len(roadmap) <= 10 and len(plan) <= 8, (len(roadmap), len(plan))


def test_every_print_view_prints_its_council_and_title(page):
    from planner.models import BacklogItem

    sign_in(page, "cio")
    (newer, _), (older, _) = _latest_plans()
    item = BacklogItem.objects.filter(council__slug="northmoor").order_by("number").first()
    views = {
        "dashboard": ("/c/northmoor/", "Dashboard"),
        "backlog": ("/c/northmoor/backlog/", "Backlog"),
        "item": (f"/c/northmoor/items/{item.reference}/", item.reference),
        "compare": (f"/c/northmoor/plans/compare/?a={older}&b={newer}", "Compare plans"),
    }
    for name, (url, title) in views.items():
        pages = _print(page, url, name)
        assert pages, name
        assert all(COUNCIL in text and title in text for text in pages), name


def test_the_comparison_page_with_entries_and_exits_passes_axe(page):
    """On screen the print frame is plain blocks and the slope chart reads as an image."""
    sign_in(page, "clerk")
    (newer, _), (older, _) = _latest_plans()
    page.goto(f"/c/northmoor/plans/compare/?a={older}&b={newer}")
    assert page.get_by_role("img", name="Slope chart").is_visible()
    assert page.locator(".app-print-header").is_hidden()
    assert axe_violations(page) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "compare-screen.png"), full_page=True)


# Text that a visible tag's box covers, on the page as printed: a tag's padding and border
# must not reach into the words beside, above or below it.
TAG_OVERLAPS_JS = """() => {
  const overlaps = [];
  for (const tag of document.querySelectorAll(".govuk-tag")) {
    const box = tag.getBoundingClientRect();
    if (!box.width || !box.height) continue;
    const around = tag.closest("td, th, dd, li, p") || tag.parentElement;
    const walker = document.createTreeWalker(around, NodeFilter.SHOW_TEXT);
    for (let node; (node = walker.nextNode()); ) {
      if (tag.contains(node) || !node.textContent.trim()) continue;
      if (node.parentElement.closest(".govuk-visually-hidden")) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) {
        if (r.width && r.left < box.right - 1 && r.right > box.left + 1
            && r.top < box.bottom - 1 && r.bottom > box.top + 1) {
          overlaps.push(tag.textContent.trim() + " over " + node.textContent.trim().slice(0, 30));
        }
      }
    }
  }
  return overlaps;
}"""

# Elements that would print a background block (SVG shapes' fills are the charts' data, and
# the legend swatches, .app-key, show what a chart's bar looks like).
BACKGROUNDS_JS = """() => [...document.querySelectorAll("body *:not(.app-key)")].filter((el) => {
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return box.width > 0 && box.height > 0 && (style.backgroundImage !== "none"
    || !["rgba(0, 0, 0, 0)", "transparent"].includes(style.backgroundColor));
}).map((el) => el.tagName + "." + el.className)"""


def test_printed_pages_have_no_background_blocks_and_no_tag_over_text(page):
    sign_in(page, "cio")
    (newer, _), (older, _) = _latest_plans()
    page.emulate_media(media="print")
    for url in (
        "/c/northmoor/roadmap/",
        f"/c/northmoor/plans/{newer}/",
        "/c/northmoor/backlog/",
        "/c/northmoor/",
        f"/c/northmoor/plans/compare/?a={older}&b={newer}",
    ):
        page.goto(url)
        assert page.locator(".govuk-tag").count() or "compare" in url, url
        assert page.evaluate(TAG_OVERLAPS_JS) == [], url
        assert page.evaluate(BACKGROUNDS_JS) == [], url
