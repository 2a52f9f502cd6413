from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from planner import horizons
from planner.models import HorizonOverride, Status
from planner.roadmap import LATER, NEXT, NOW
from tests.factories import BacklogItemFactory, UserFactory, done_run_for


def _items(council, count, **kwargs):
    return [BacklogItemFactory(council=council, **kwargs) for _ in range(count)]


def test_no_run_gives_an_empty_roadmap(council):
    result = horizons.council_roadmap(council=council, run=None)
    assert result.rows == [] and result.columns == []


def test_ready_items_fill_now_up_to_capacity_then_next(council):
    # capacity 100, effort 40 each: two fit in Now, two in Next, the rest Later.
    items = _items(council, 5, status=Status.READY, effort_days=40)
    run = done_run_for(council, items)
    placements = horizons.council_roadmap(council=council, run=run).placements()
    assert [placements[item.pk].horizon for item in items] == [NOW, NOW, NEXT, NEXT, LATER]
    assert "over capacity" in placements[items[2].pk].reasons


def test_dependency_outside_the_ranking_holds_an_item_back_and_says_on_what(council):
    blocker = BacklogItemFactory(council=council, status=Status.NEW)
    item = BacklogItemFactory(council=council, status=Status.READY)
    item.depends_on.add(blocker)
    run = done_run_for(council, [item])
    placement = horizons.council_roadmap(council=council, run=run).placements()[item.pk]
    assert placement.horizon == LATER
    assert placement.reasons == (f"waiting on {blocker.reference}",)


def test_done_dependency_outside_the_ranking_does_not_block(council):
    blocker = BacklogItemFactory(council=council, status=Status.DONE)
    item = BacklogItemFactory(council=council, status=Status.READY)
    item.depends_on.add(blocker)
    run = done_run_for(council, [item])
    assert horizons.council_roadmap(council=council, run=run).placements()[item.pk].horizon == NOW


def test_set_override_pins_the_item_and_keeps_the_reason_in_history(council):
    user = UserFactory()
    items = _items(council, 3, status=Status.READY, effort_days=10)
    run = done_run_for(council, items)
    horizons.set_override(
        council=council, item=items[0], horizon=LATER, reason="Waiting for budget", set_by=user
    )
    placement = horizons.council_roadmap(council=council, run=run).placements()[items[0].pk]
    assert (placement.horizon, placement.overridden) == (LATER, True)
    record = HorizonOverride.history.get()
    assert (record.history_change_reason, record.horizon) == ("Waiting for budget", LATER)


def test_set_override_refuses_a_blank_reason(council):
    item = BacklogItemFactory(council=council)
    with pytest.raises(ValueError, match="reason"):
        horizons.set_override(council=council, item=item, horizon=NOW, reason="  ", set_by=None)
    assert not HorizonOverride.objects.exists()


def test_set_override_refuses_another_councils_item(council, other_council):
    item = BacklogItemFactory(council=other_council)
    with pytest.raises(ValueError):
        horizons.set_override(council=council, item=item, horizon=NOW, reason="x", set_by=None)


def test_clear_override_deletes_the_pin_and_records_the_reason(council):
    user = UserFactory()
    item = BacklogItemFactory(council=council)
    horizons.set_override(council=council, item=item, horizon=NOW, reason="a", set_by=user)
    assert horizons.clear_override(council=council, item=item, reason="done", cleared_by=user)
    assert not HorizonOverride.objects.exists()
    deletion = HorizonOverride.history.filter(history_type="-").get()
    assert (deletion.history_change_reason, deletion.history_user) == ("done", user)


def test_clear_override_without_a_pin_changes_nothing(council):
    item = BacklogItemFactory(council=council)
    assert not horizons.clear_override(council=council, item=item, reason="x", cleared_by=None)


def _count_queries(council, size):
    items = _items(council, size, status=Status.READY, effort_days=5)
    for index in range(1, size):
        items[index].depends_on.add(items[index - 1])
    outside = BacklogItemFactory(council=council, status=Status.TRIAGE)
    items[0].depends_on.add(outside)
    run = done_run_for(council, items)
    HorizonOverride.objects.create(item=items[-1], horizon=NOW, reason="r")
    with CaptureQueriesContext(connection) as captured:
        horizons.council_roadmap(council=council, run=run)
    return len(captured)


def test_roadmap_loads_in_a_constant_number_of_queries(council, other_council):
    assert _count_queries(council, 3) == _count_queries(other_council, 40) == 4
