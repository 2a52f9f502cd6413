from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from planner import plans
from planner.models import BacklogItem, Status
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
    assert [e.reference for e in result.unranked] == [items["c"].reference]
    # Among the three items in both plans d rose from 3rd to 1st; a and b fell one place.
    assert [(m.reference, m.change) for m in result.up] == [(items["d"].reference, 2)]
    assert [(m.reference, m.change) for m in result.down] == [
        (items["a"].reference, -1),
        (items["b"].reference, -1),
    ]
    assert (result.new_count, result.unranked_count, result.dropped_count) == (1, 1, 0)
    assert (result.up_count, result.down_count, result.unchanged_count) == (1, 2, 0)


def test_compare_counts_every_item_and_lists_the_first_rows_of_each_group(two_plans, monkeypatch):
    """Long lists are cut (their counts stay whole), and entries stream in chunks smaller
    than the plans, as they do for two 50,000-item plans."""
    monkeypatch.setattr(plans, "COMPARE_LIST_ROWS", 1)
    monkeypatch.setattr(plans, "SNAPSHOT_CHUNK", 2)
    older, newer, items = two_plans
    result = plans.compare_plans(older, newer)
    assert [(m.reference, m.change) for m in result.down] == [(items["a"].reference, -1)]
    assert result.down_count == 2
    assert [e.reference for e in result.new] == [items["e"].reference]
    assert {line.reference for line in result.slope.lines} == {items[k].reference for k in "abcde"}


def test_compare_puts_the_earlier_meeting_first_whatever_the_order_given(two_plans):
    older, newer, _ = two_plans
    result = plans.compare_plans(newer, older)
    assert (result.older, result.newer) == (older, newer)


def test_slope_chart_has_a_line_per_item_in_either_plan(two_plans):
    older, newer, items = two_plans
    result = plans.compare_plans(older, newer)
    assert {line.reference for line in result.slope.lines} == {items[k].reference for k in "abcde"}


def test_compare_page_shows_tables_and_an_accessible_slope_chart(viewer_client, council, two_plans):
    older, newer, items = two_plans
    response = viewer_client.get(
        reverse("plan_compare", args=[council.slug]), {"a": older.slug, "b": newer.slug}
    )
    assert response.status_code == 200
    page = response.text
    assert 'role="img" aria-labelledby="slope-chart-title slope-chart-desc"' in page
    assert "Show the slope chart as a table" in page
    assert "Up 2" in page and "Down 1" in page
    assert "1 new item" in page and "1 no longer ranked" in page


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


# --- Moves among common items, exits and horizon changes (issue 12) ------------------------


def _set_schedule(run, item, horizon, why=""):
    run.entries.filter(item=item).update(
        horizon=horizon, schedule_details={"text": why} if why else {}
    )


@pytest.fixture
def arrivals(council):
    """Thirty items in order; the later plan puts two new items at ranks 2 and 3, and loses
    one item that was delivered, one archived, one parked and one no longer scored."""
    kept = [
        BacklogItemFactory(council=council, status=Status.READY, title=f"Kept {n}")
        for n in range(30)
    ]
    done, archived, parked, unscored = (
        BacklogItemFactory(council=council, status=Status.READY, title=title)
        for title in ("Done one", "Archived one", "Parked one", "Unscored one")
    )
    older_run = done_run_for(council, [*kept[:5], done, archived, parked, unscored, *kept[5:]])
    _set_schedule(older_run, kept[0], "now")
    older = plans.publish_plan(
        council=council, title="January", committee="Cabinet", meeting_date=date(2027, 1, 10)
    )
    fresh = [
        BacklogItemFactory(council=council, status=Status.READY, title=f"Fresh {n}") for n in "ab"
    ]
    done.status = Status.DONE
    done.save()
    archived.archived = True
    archived.save()
    parked.status = Status.PARKED
    parked.save()
    newer_run = done_run_for(council, [kept[1], *fresh, kept[0], *kept[2:]])
    _set_schedule(newer_run, kept[0], "later", "waits for capacity in 2027/28")
    newer = plans.publish_plan(
        council=council, title="March", committee="Cabinet", meeting_date=date(2027, 3, 7)
    )
    items = {"kept": kept, "fresh": fresh, "done": done, "archived": archived}
    items |= {"parked": parked, "unscored": unscored}
    return older, newer, items


def test_new_items_at_the_top_move_nothing_down(arrivals):
    """Two items arriving at ranks 2 and 3 push 28 items down two ranks, but relative to
    each other only the first two kept items swapped."""
    older, newer, items = arrivals
    result = plans.compare_plans(older, newer)
    kept = items["kept"]
    assert [(m.reference, m.change) for m in result.up] == [(kept[1].reference, 1)]
    assert [(m.reference, m.change) for m in result.down] == [(kept[0].reference, -1)]
    assert (result.up_count, result.down_count, result.unchanged_count) == (1, 1, 28)
    assert [e.reference for e in result.new] == [f.reference for f in items["fresh"]]


def test_a_move_keeps_both_plans_real_ranks_for_reading(arrivals):
    older, newer, items = arrivals
    (move,) = plans.compare_plans(older, newer).down
    assert (move.before_rank, move.after_rank) == ("1", "4")


def test_items_that_left_are_delivered_dropped_or_no_longer_ranked(arrivals):
    older, newer, items = arrivals
    result = plans.compare_plans(older, newer)
    assert [e.reference for e in result.delivered] == [items["done"].reference]
    assert [e.reference for e in result.dropped] == [
        items["archived"].reference,
        items["parked"].reference,
    ]
    assert [e.reference for e in result.unranked] == [items["unscored"].reference]
    assert (result.delivered_count, result.dropped_count, result.unranked_count) == (1, 2, 1)


def test_delivered_is_judged_at_the_time_of_the_later_plan(arrivals):
    """An item done when the later plan was published, and reopened since, was delivered."""
    older, newer, items = arrivals
    items["done"].status = Status.READY
    items["done"].save()
    result = plans.compare_plans(older, newer)
    assert [e.reference for e in result.delivered] == [items["done"].reference]


def test_an_item_deleted_since_counts_as_dropped(arrivals):
    older, newer, items = arrivals
    reference = items["unscored"].reference
    items["unscored"].delete()
    result = plans.compare_plans(older, newer)
    assert reference in [e.reference for e in result.dropped]


def test_horizon_changes_come_with_the_later_plans_reason(arrivals):
    older, newer, items = arrivals
    result = plans.compare_plans(older, newer)
    (change,) = result.horizon_changes
    assert change.reference == items["kept"][0].reference
    assert (change.before_horizon, change.after_horizon) == ("Now", "Later")
    assert change.why == "waits for capacity in 2027/28"
    assert result.horizon_change_count == 1


def test_slope_chart_shows_entries_and_exits(arrivals):
    older, newer, items = arrivals
    chart = plans.compare_plans(older, newer).slope
    by_reference = {line.reference: line for line in chart.lines}
    for fresh in items["fresh"]:
        assert by_reference[fresh.reference].direction == "new"
        assert by_reference[fresh.reference].before is None
    done = by_reference[items["done"].reference]
    assert (done.direction, done.after, done.note) == ("left", None, "Delivered")
    assert by_reference[items["archived"].reference].note == "Dropped"


def test_compare_page_puts_horizon_changes_first_and_names_exits(viewer_client, council, arrivals):
    older, newer, items = arrivals
    response = viewer_client.get(
        reverse("plan_compare", args=[council.slug]), {"a": older.slug, "b": newer.slug}
    )
    page = response.text
    assert page.index("Changed horizon") < page.index("Moved up") < page.index("Moved down")
    assert "Now → Later" in page and "Waits for capacity in 2027/28" in page
    assert "1 delivered" in page and "2 dropped" in page and "1 no longer ranked" in page
    assert "2 new items" in page
    assert "Among the 30 items in both plans:" in page
    assert "1 moved up, 1 moved down, 28 kept their place" in page
    table = page[page.index("Show the slope chart as a table") :]
    assert "Delivered" in table and "New" in table


def test_an_item_finished_by_a_bulk_update_without_history_counts_as_delivered(arrivals):
    """The demo seed marks items done with a queryset update, which writes no history."""
    older, newer, items = arrivals
    BacklogItem.objects.filter(pk=items["unscored"].pk).update(status=Status.DONE)
    result = plans.compare_plans(older, newer)
    assert items["unscored"].reference in [e.reference for e in result.delivered]


def test_comparing_takes_a_fixed_number_of_queries(
    viewer_client, council, arrivals, django_assert_max_num_queries
):
    older, newer, _ = arrivals
    url = reverse("plan_compare", args=[council.slug])
    with django_assert_max_num_queries(14):
        assert viewer_client.get(url, {"a": older.slug, "b": newer.slug}).status_code == 200
