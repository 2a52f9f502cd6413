"""The delivery plan's read model (planner.delivery) and the item page's "In the delivery
plan" section."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from councils.models import QuarterCapacity
from planner import delivery, plan_charts, ranking
from planner.models import Status
from tests.factories import BacklogItemFactory, score_all

START = date(2027, 4, 1)


@pytest.fixture
def planned(council):
    council.planning_start = START
    council.capacity_days_per_quarter = 100
    council.save()
    QuarterCapacity.objects.create(council=council, quarter_start=date(2027, 7, 1), days=50)
    items = []
    for n in range(3):
        item = BacklogItemFactory(council=council, status=Status.READY, effort_days=80)
        score_all(item, 5 - n)
        items.append(item)
    run = ranking.run_now(council=council)
    return items, delivery.delivery_plan(council=council, run=run)


def test_plan_reads_a_runs_stored_plan_in_at_most_three_queries(
    council, planned, django_assert_max_num_queries
):
    run = ranking.latest_done_run(council)
    with django_assert_max_num_queries(3):
        plan = delivery.delivery_plan(council=council, run=run)
        assert len(plan.groups) == 4
    assert plan.span == "Q1 2027/28 (Apr–Jun 2027) to Q4 2028/29 (Jan–Mar 2029)"


def test_quarters_with_other_capacity_are_listed(planned):
    _items, plan = planned
    assert [(q.short, q.capacity) for q in plan.capacity_changes] == [("Q2 2027/28", 50)]


def test_headline_sums_now_and_next(planned):
    _items, plan = planned
    # 80 in Q1; Q2 has 50, too small for an 80-day item; the next two fit in Q3 and Q4 (Later).
    assert plan.headline.near_capacity == 250
    assert plan.headline.near_used == 160


def test_headline_is_none_for_a_run_without_a_plan():
    assert delivery.headline({}) is None


def test_rank_order_has_no_solver_status(planned):
    _items, plan = planned
    assert plan.solver_status == "" and plan.gain_percent is None


def test_solver_status_reports_the_gap_when_not_proven():
    plan = delivery.DeliveryPlan(
        run=None, totals={"mode": "best_value", "optimal": False, "gap": 0.031}
    )
    assert "at most 3.1% more value" in plan.solver_status


def test_timeline_draws_at_most_its_limit_and_counts_the_rest(council, planned, monkeypatch):
    monkeypatch.setattr(delivery, "TIMELINE_LIMIT", 2)
    plan = delivery.delivery_plan(council=council, run=ranking.latest_done_run(council))
    assert len(plan.timeline_chart.bars) == 2 and plan.timeline_rest == 1


def test_total_label_moves_above_a_limit_line_that_runs_just_over_the_column():
    chart = plan_charts.limited_columns([plan_charts.LimitedInput("Q1", [("new", 95)], 100)])
    column = chart.columns[0]
    assert column.value_y < column.limit_y < column.total_y + 14


def test_total_label_stays_on_its_column_when_the_limit_is_well_above_it():
    chart = plan_charts.limited_columns([plan_charts.LimitedInput("Q1", [("new", 50)], 100)])
    column = chart.columns[0]
    assert column.value_y == column.total_y and column.limit_y < column.total_y - 16


def test_item_page_shows_its_quarters_and_why(viewer_client, council, planned):
    items, _plan = planned
    url = reverse("item_detail", args=[council.slug, items[1].reference])
    text = viewer_client.get(url).text
    assert "In the delivery plan" in text
    assert "Q3 2027/28" in text
    assert "No capacity until Q3 2027/28" in text
