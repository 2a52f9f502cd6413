"""The exports' delivery plan columns (Horizon, Quarters, Why), read from the run's stored
entries in the streamed rows, and chunked CSV writing (issue 6's speed and memory bar)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.urls import reverse

from councils.models import FinancialYearBudget
from planner import csv_export, csv_import, pins, ranking
from planner.models import Status
from planner.quarters import HORIZON_LABELS
from tests.factories import BacklogItemFactory, score_all

pytestmark = pytest.mark.django_db


def _export(client, name: str, council) -> list[dict[str, str]]:
    response = client.get(reverse(name, args=[council.slug]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.fixture
def planned(council):
    """A real ranking run whose plan puts items in every horizon for different reasons."""
    council.planning_start = date(2027, 4, 1)
    council.capacity_days_per_quarter = 20
    council.save()
    items = []
    for value, fields in (
        (5, {"effort_days": 10}),
        (5, {"effort_days": 5, "one_off_cost": 5_000}),
        (4, {"effort_days": 45}),
        (3, {"effort_days": 5, "status": Status.PARKED}),
        (2, {"effort_days": None}),
        (1, {"effort_days": 2}),
    ):
        item = BacklogItemFactory(
            council=council, status=fields.pop("status", Status.READY), **fields
        )
        score_all(item, value)
        items.append(item)
    items[5].depends_on.add(items[4])  # waits on an item that needs an estimate
    FinancialYearBudget.objects.create(council=council, year=2027, one_off=1_000)
    pins.pin_item(
        council=council, item=items[2], quarter=date(2027, 7, 1), reason="Statute", pinned_by=None
    )
    return ranking.run_now(council=council), items


@pytest.mark.parametrize("export", ["ranking_export", "backlog_export"])
def test_plan_columns_are_the_runs_stored_entries(viewer_client, council, planned, export):
    run, _items = planned
    rows = {row["Reference"]: row for row in _export(viewer_client, export, council)}
    for entry in run.entries.select_related("item"):
        row = rows[entry.item.reference]
        assert row["Horizon"] == HORIZON_LABELS.get(entry.horizon, "")
        assert row["Why"] == entry.schedule_details.get("text", "")
    assert {row["Horizon"] for row in rows.values()} >= {"Now", "Next", "Later", ""}


def test_plan_columns_name_quarters_and_reasons(viewer_client, council, planned):
    _run, items = planned
    rows = {row["Reference"]: row for row in _export(viewer_client, "ranking_export", council)}
    unestimated_item = items[4]
    # Without an estimate an item is not ranked at all: it is listed as needing one.
    assert unestimated_item.reference not in rows
    first, costly, pinned, parked, waiting = (
        rows[i.reference] for i in items if i is not unestimated_item
    )
    assert (first["Horizon"], first["Quarters"], first["Why"]) == ("Now", "Q1 2027/28", "")
    assert costly["Quarters"].startswith("Q1 2028/29")
    assert costly["Why"] == "over the 2027/28 one-off budget by £4,000"
    assert (pinned["Quarters"], pinned["Why"]) == ("Q2 2027/28 to Q4 2027/28", "pinned")
    assert (parked["Horizon"], parked["Quarters"], parked["Why"]) == ("", "", "")
    assert waiting["Why"] == f"waiting on {items[4].reference}"


def test_an_exported_ranking_imports_with_the_plan_columns_ignored(viewer_client, council, planned):
    response = viewer_client.get(reverse("ranking_export", args=[council.slug]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    preview = csv_import.validate(council=council, text=text)
    assert not preview.file_errors
    assert not any("Quarters" in w or "Why" in w for w in preview.warnings)
    assert any("Quarters, Why are worked out by the planner" in note for note in preview.notes)


@pytest.mark.parametrize("count", [3, 30])
def test_ranking_export_query_count_with_plan_columns_does_not_grow(
    viewer_client, council, count, django_assert_max_num_queries
):
    items = [BacklogItemFactory(council=council, effort_days=3) for _ in range(count)]
    for before, after in zip(items, items[1:], strict=False):
        after.depends_on.add(before)
        score_all(after, 3)
    score_all(items[0], 3)
    ranking.run_now(council=council)
    with django_assert_max_num_queries(16):
        rows = _export(viewer_client, "ranking_export", council)
    assert len(rows) == count and all(row["Horizon"] for row in rows)


def test_csv_chunks_yield_one_chunk_per_thousand_rows():
    rows = ([n, f"item {n}"] for n in range(2_500))
    chunks = list(csv_export.csv_chunks(["Rank", "Title"], rows))
    assert len(chunks) == 3
    assert [chunk.count(b"\r\n") for chunk in chunks] == [1_001, 1_000, 500]
    assert chunks[0].startswith(b"\xef\xbb\xbfRank,Title\r\n0,item 0\r\n")


def test_csv_chunks_of_no_rows_is_the_bom_and_header():
    assert list(csv_export.csv_chunks(["Rank", "=Title"], [])) == [b"\xef\xbb\xbfRank,'=Title\r\n"]
