from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from planner import plans
from planner.models import Status
from tests.factories import BacklogItemFactory, done_run_for


@pytest.fixture
def two_plans(council):
    a, b, c, d, e = (
        BacklogItemFactory(council=council, status=Status.READY, title=f"Item {n}") for n in "abcde"
    )
    done_run_for(council, [a, b, c, d])
    older = plans.publish_plan(
        council=council, title="January", committee="Cabinet", meeting_date=date(2027, 1, 10)
    )
    # d rises from 4th to 1st, a falls 1st to 3rd, b falls 2nd to 4th, c dropped, e new.
    done_run_for(council, [d, e, a, b])
    newer = plans.publish_plan(
        council=council, title="March", committee="Cabinet", meeting_date=date(2027, 3, 7)
    )
    return older, newer, {"a": a, "b": b, "c": c, "d": d, "e": e}


def test_compare_finds_new_dropped_and_moved_items_with_the_size_of_each_move(two_plans):
    older, newer, items = two_plans
    result = plans.compare_plans(older, newer)
    assert [e.reference for e in result.new] == [items["e"].reference]
    assert [e.reference for e in result.dropped] == [items["c"].reference]
    assert [(m.reference, m.change) for m in result.up] == [(items["d"].reference, 3)]
    assert [(m.reference, m.change) for m in result.down] == [
        (items["a"].reference, -2),
        (items["b"].reference, -2),
    ]
    assert (result.new_count, result.dropped_count) == (1, 1)
    assert (result.up_count, result.down_count, result.unchanged_count) == (1, 2, 0)


def test_compare_counts_every_item_and_lists_the_first_rows_of_each_group(two_plans, monkeypatch):
    """Long lists are cut (their counts stay whole), and entries stream in chunks smaller
    than the plans, as they do for two 50,000-item plans."""
    monkeypatch.setattr(plans, "COMPARE_LIST_ROWS", 1)
    monkeypatch.setattr(plans, "SNAPSHOT_CHUNK", 2)
    older, newer, items = two_plans
    result = plans.compare_plans(older, newer)
    assert [(m.reference, m.change) for m in result.down] == [(items["a"].reference, -2)]
    assert result.down_count == 2
    assert [e.reference for e in result.new] == [items["e"].reference]
    assert {line.reference for line in result.slope.lines} == {items[k].reference for k in "abd"}


def test_compare_puts_the_earlier_meeting_first_whatever_the_order_given(two_plans):
    older, newer, _ = two_plans
    result = plans.compare_plans(newer, older)
    assert (result.older, result.newer) == (older, newer)


def test_slope_chart_has_a_line_per_item_in_both_plans(two_plans):
    older, newer, items = two_plans
    result = plans.compare_plans(older, newer)
    assert {line.reference for line in result.slope.lines} == {items[k].reference for k in "abd"}


def test_compare_page_shows_tables_and_an_accessible_slope_chart(viewer_client, council, two_plans):
    older, newer, items = two_plans
    response = viewer_client.get(
        reverse("plan_compare", args=[council.slug]), {"a": older.slug, "b": newer.slug}
    )
    assert response.status_code == 200
    page = response.text
    assert 'role="img" aria-labelledby="slope-chart-title slope-chart-desc"' in page
    assert "Show the slope chart as a table" in page
    assert "Up 3" in page and "Down 2" in page
    assert "1 new item" in page and "1 item dropped" in page


def test_compare_page_without_a_choice_shows_the_form(viewer_client, council, two_plans):
    response = viewer_client.get(reverse("plan_compare", args=[council.slug]))
    assert response.status_code == 200
    assert "Compare plans" in response.text
    assert response.context["comparison"] is None


def test_compare_with_an_unknown_plan_shows_an_error(viewer_client, council, two_plans):
    older, _, _ = two_plans
    response = viewer_client.get(
        reverse("plan_compare", args=[council.slug]), {"a": older.slug, "b": "no-such-plan"}
    )
    assert response.status_code == 400
    assert "Select a published plan from the list" in response.text


def test_compare_a_plan_with_itself_shows_an_error(viewer_client, council, two_plans):
    older, _, _ = two_plans
    response = viewer_client.get(
        reverse("plan_compare", args=[council.slug]), {"a": older.slug, "b": older.slug}
    )
    assert response.status_code == 400
    assert "Select two different plans" in response.text


def test_compare_cannot_reach_another_councils_plans(viewer_client, council, other_council):
    done_run_for(other_council, [BacklogItemFactory(council=other_council)])
    for month in (1, 2):
        plans.publish_plan(
            council=other_council,
            title=f"Theirs {month}",
            committee="Cabinet",
            meeting_date=date(2027, month, 1),
        )
    response = viewer_client.get(
        reverse("plan_compare", args=[council.slug]), {"a": "theirs-1", "b": "theirs-2"}
    )
    assert response.status_code in {200, 400}
    assert response.context["comparison"] is None
    assert "Theirs" not in response.text


def test_outsider_gets_404_for_compare(outsider_client, council, two_plans):
    older, newer, _ = two_plans
    url = reverse("plan_compare", args=[council.slug])
    assert outsider_client.get(url, {"a": older.slug, "b": newer.slug}).status_code == 404
