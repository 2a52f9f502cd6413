"""The export's lean Horizon column and chunked CSV writing (issue 6's speed and memory bar)."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from planner.horizons import council_roadmap, horizon_labels_for_run, set_override
from planner.roadmap import HORIZON_LABELS

from planner import csv_export
from planner.models import Status
from tests.factories import BacklogItemFactory, done_run_for

pytestmark = pytest.mark.django_db


def _roadmap_labels(run) -> dict[int, str]:
    return {
        item_id: HORIZON_LABELS[placement.horizon]
        for item_id, placement in council_roadmap(council=run.council, run=run).placements().items()
    }


@pytest.fixture
def mixed_run(council):
    """Items that land in all three horizons for different reasons: capacity, status,
    a ranked dependency, an unranked dependency, a done unranked dependency and a pin."""
    council.capacity_days_per_quarter = 10
    council.save(update_fields=["capacity_days_per_quarter"])
    ready = [
        BacklogItemFactory(council=council, status=Status.READY, effort_days=6) for _ in range(4)
    ]
    triage = BacklogItemFactory(council=council, status=Status.TRIAGE, effort_days=1)
    parked = BacklogItemFactory(council=council, status=Status.PARKED, effort_days=1)
    waiting = BacklogItemFactory(council=council, status=Status.READY, effort_days=1)
    waiting.depends_on.add(ready[3])
    unranked_dependency = BacklogItemFactory(council=council, status=Status.NEW)
    blocked = BacklogItemFactory(council=council, status=Status.READY, effort_days=1)
    blocked.depends_on.add(unranked_dependency)
    done_dependency = BacklogItemFactory(council=council, status=Status.DONE)
    unblocked = BacklogItemFactory(council=council, status=Status.READY, effort_days=1)
    unblocked.depends_on.add(done_dependency)
    pinned = BacklogItemFactory(council=council, status=Status.NEW, effort_days=2)
    set_override(council=council, item=pinned, horizon="now", reason="Minister asked", set_by=None)
    ranked = [*ready, triage, parked, waiting, blocked, unblocked, pinned]
    return done_run_for(council, ranked)


def test_horizon_labels_match_the_roadmap_pages_horizons(mixed_run):
    labels = horizon_labels_for_run(mixed_run)
    assert labels == _roadmap_labels(mixed_run)
    assert set(labels.values()) == {"Now", "Next", "Later"}


def test_horizon_labels_honour_a_pin(council, mixed_run):
    pinned = council.items.get(horizon_override__isnull=False)
    assert horizon_labels_for_run(mixed_run)[pinned.pk] == "Now"


def test_horizon_labels_send_an_item_waiting_on_an_unranked_item_to_later(council, mixed_run):
    blocked = council.items.get(depends_on__status=Status.NEW)
    assert horizon_labels_for_run(mixed_run)[blocked.pk] == "Later"


def test_horizon_labels_of_an_empty_run_are_empty(council):
    assert horizon_labels_for_run(done_run_for(council, [])) == {}


@pytest.mark.parametrize("count", [3, 30])
def test_horizon_labels_query_count_does_not_grow_with_items(
    council, count, django_assert_max_num_queries
):
    items = [BacklogItemFactory(council=council, effort_days=3) for _ in range(count)]
    for before, after in zip(items, items[1:], strict=False):
        after.depends_on.add(before)
    items[-1].depends_on.add(BacklogItemFactory(council=council, status=Status.DONE))
    run = done_run_for(council, items)
    run.refresh_from_db()
    with django_assert_max_num_queries(5):
        labels = horizon_labels_for_run(run)
    assert len(labels) == count


def test_ranking_export_horizon_column_matches_the_roadmap(viewer_client, council, mixed_run):
    response = viewer_client.get(reverse("ranking_export", args=[council.slug]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    by_reference = dict(council.items.values_list("reference", "pk"))
    expected = _roadmap_labels(mixed_run)
    assert {row["Reference"]: row["Horizon"] for row in rows} == {
        reference: expected[by_reference[reference]]
        for reference in (row["Reference"] for row in rows)
    }


def test_csv_chunks_yield_one_chunk_per_thousand_rows():
    rows = ([n, f"item {n}"] for n in range(2_500))
    chunks = list(csv_export.csv_chunks(["Rank", "Title"], rows))
    assert len(chunks) == 3
    assert [chunk.count(b"\r\n") for chunk in chunks] == [1_001, 1_000, 500]
    assert chunks[0].startswith(b"\xef\xbb\xbfRank,Title\r\n0,item 0\r\n")


def test_csv_chunks_of_no_rows_is_the_bom_and_header():
    assert list(csv_export.csv_chunks(["Rank", "=Title"], [])) == [b"\xef\xbb\xbfRank,'=Title\r\n"]
