"""The delivery plan's read model (planner.delivery) and the item page's "In the delivery
plan" section."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
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


def _queries_for_plan(council) -> int:
    run = ranking.latest_done_run(council)
    with CaptureQueriesContext(connection) as queries:
        plan = delivery.delivery_plan(council=council, run=run)
        plan.timeline_chart  # noqa: B018 (drawn from the rows already loaded)
    assert len(plan.groups) == 4
    return len(queries)


def test_plan_reads_a_runs_stored_plan_in_the_same_few_queries_at_any_size(
    council, planned, monkeypatch
):
    monkeypatch.setattr(delivery, "ROWS_PER_HORIZON", 2)
    small = _queries_for_plan(council)
    for n in range(12):
        score_all(BacklogItemFactory(council=council, status=Status.READY, effort_days=10 + n))
    ranking.run_now(council=council)
    assert small == _queries_for_plan(council) <= 8


def test_plan_span_names_its_first_and_last_quarters(planned):
    _items, plan = planned
    assert plan.span == "Q1 2027/28 (Apr–Jun 2027) to Q4 2028/29 (Jan–Mar 2029)"


@pytest.fixture
def long_plan(council, planned):
    """Twelve more small items, so every horizon holds more rows than a short page shows."""
    for n in range(12):
        score_all(BacklogItemFactory(council=council, status=Status.READY, effort_days=5 + n))
    return ranking.run_now(council=council)


def test_horizon_counts_and_team_days_cover_every_row_not_just_those_shown(
    council, long_plan, monkeypatch
):
    monkeypatch.setattr(delivery, "ROWS_PER_HORIZON", 1)
    plan = delivery.delivery_plan(council=council, run=long_plan)
    entries = list(long_plan.entries.values_list("horizon", "schedule_details"))
    for group in plan.groups:
        mine = [details for horizon, details in entries if horizon == group.key]
        assert group.count == len(mine)
        assert group.team_days == pytest.approx(sum(d.get("days") or 0 for d in mine))
        assert len(group.rows) == min(1, len(mine))
    assert sum(group.more for group in plan.groups) >= 1


def test_quarter_and_money_totals_do_not_depend_on_the_rows_shown(council, long_plan, monkeypatch):
    monkeypatch.setattr(delivery, "ROWS_PER_HORIZON", 1)
    short = delivery.delivery_plan(council=council, run=long_plan)
    monkeypatch.setattr(delivery, "ROWS_PER_HORIZON", 1000)
    everything = delivery.delivery_plan(council=council, run=long_plan)
    assert short.quarters == everything.quarters and short.years == everything.years
    assert short.headline == everything.headline
    # The capacity used per quarter is the stored sum of every scheduled entry's days.
    assert sum(q.used for q in short.quarters) == pytest.approx(
        sum(group.team_days for group in everything.groups)
    )


def test_an_expanded_horizon_pages_through_all_its_rows_in_rank_order(
    council, long_plan, monkeypatch
):
    monkeypatch.setattr(delivery, "ROWS_PER_HORIZON", 2)
    biggest = max(
        delivery.delivery_plan(council=council, run=long_plan).groups, key=lambda g: g.count
    )
    seen = []
    for number in range(1, biggest.count // 2 + 2):
        plan = delivery.delivery_plan(
            council=council, run=long_plan, expand=biggest.key, page=number
        )
        group = plan.group(biggest.key)
        assert group.page is not None and not group.more
        seen += [row.entry.position for row in group.rows]
    expected = long_plan.entries.filter(horizon=biggest.key).order_by("position")
    assert seen[: biggest.count] == list(expected.values_list("position", flat=True))


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
