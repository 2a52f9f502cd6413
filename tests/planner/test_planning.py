"""The delivery plan service (planner.planning) as it runs inside a real ranking run: what it
loads, what the scheduler makes of it, and what the run and its entries store."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from councils.models import FinancialYearBudget, QuarterCapacity
from planner import pins, planning, ranking, scoring
from planner.models import RankedEntry, ScheduleMode, Status
from tests.factories import BacklogItemFactory, done_run_for, score_all

pytestmark = pytest.mark.django_db

START = date(2027, 4, 1)  # Q1 2027/28


@pytest.fixture
def council(council):
    council.planning_start = START
    council.capacity_days_per_quarter = 100
    council.planning_horizon_quarters = 8
    council.save()
    return council


def _item(council, value, **fields):
    """An item scored `value` (1-5) on every criterion: a higher value ranks higher."""
    fields.setdefault("status", Status.READY)
    item = BacklogItemFactory(council=council, **fields)
    score_all(item, value)
    return item


def _run(council):
    run = ranking.run_now(council=council)
    assert run.status == "done", run.error
    return run, {entry.item_id: entry for entry in run.entries.all()}


def test_in_progress_work_is_committed_first_with_only_its_remaining_days(council):
    first = _item(council, 5, effort_days=100)
    under_way = _item(council, 1, status=Status.IN_PROGRESS, effort_days=80, remaining_days=30)
    run, entries = _run(council)
    committed = entries[under_way.pk]
    assert (committed.start_quarter, committed.schedule_reason) == (0, "committed")
    assert committed.schedule_details["days"] == 30
    assert run.plan["quarters"][0]["committed"] == 30
    # The top-ranked item is new work: it waits for a quarter with room after the committed work.
    assert (entries[first.pk].start_quarter, entries[first.pk].schedule_reason) == (
        1,
        "no_capacity",
    )


def test_unestimated_items_need_an_estimate_and_are_never_scheduled(council):
    estimated = _item(council, 3, effort_days=10)
    unestimated = _item(council, 5, effort_days=None)
    run, entries = _run(council)
    assert run.needs_estimate == [unestimated.pk]
    # Its Effort level comes from the estimate, so it is not ranked on a guess either.
    assert unestimated.pk not in entries and unestimated.pk not in run.needs_scoring
    assert entries[estimated.pk].start_quarter == 0


def test_an_item_longer_than_a_quarter_spans_quarters(council):
    big = _item(council, 5, effort_days=250)
    _run_result, entries = _run(council)
    entry = entries[big.pk]
    assert entry.start_quarter == 0 and entry.end_quarter == 2
    assert entry.horizon == "now"
    assert entry.schedule_details["days"] == 250


@pytest.mark.parametrize("blocker_status", [Status.PARKED, "unestimated"])
def test_an_item_depending_on_a_parked_or_unscheduled_item_waits(council, blocker_status):
    if blocker_status == "unestimated":
        blocker = _item(council, 5, effort_days=None)
    else:
        blocker = _item(council, 5, status=blocker_status, effort_days=5)
    waiting = _item(council, 4, effort_days=5)
    waiting.depends_on.add(blocker)
    _run_result, entries = _run(council)
    entry = entries[waiting.pk]
    assert entry.start_quarter is None and entry.horizon == "unscheduled"
    assert entry.schedule_reason == "waiting_on"
    assert entry.schedule_details["text"] == f"waiting on {blocker.reference}"


def test_a_pin_that_breaks_a_budget_is_placed_and_warned(council):
    FinancialYearBudget.objects.create(council=council, year=2027, one_off=1_000)
    pinned = _item(council, 1, effort_days=10, one_off_cost=Decimal("5000"))
    pins.pin_item(council=council, item=pinned, quarter=START, reason="Statutory", pinned_by=None)
    run, entries = _run(council)
    entry = entries[pinned.pk]
    assert (entry.start_quarter, entry.schedule_reason) == (0, "pinned")
    assert run.plan["years"][0]["one_off"] == 5_000
    assert any("2027/28" in warning for warning in run.plan["warnings"]), run.plan["warnings"]


def test_a_budget_change_moves_an_item_with_a_money_reason(council):
    costly = _item(council, 5, effort_days=10, one_off_cost=Decimal("5000"))
    _run_result, before = _run(council)
    assert before[costly.pk].start_quarter == 0
    FinancialYearBudget.objects.create(council=council, year=2027, one_off=1_000)
    _run_result, after = _run(council)
    entry = after[costly.pk]
    assert entry.start_quarter == 4  # Q1 2028/29, the next financial year
    assert entry.schedule_reason == "over_one_off_budget"
    assert entry.schedule_details["text"] == "over the 2027/28 one-off budget by £4,000"


def test_a_quarter_capacity_override_is_used(council):
    QuarterCapacity.objects.create(council=council, quarter_start=START, days=20)
    item = _item(council, 5, effort_days=30)
    run, entries = _run(council)
    assert [q["capacity"] for q in run.plan["quarters"][:2]] == [20, 100]
    assert (entries[item.pk].start_quarter, entries[item.pk].schedule_reason) == (1, "no_capacity")


def test_best_value_mode_records_optimality_gap_and_differences(council):
    profile = council.profiles.get(is_active=True)
    profile.schedule_mode = ScheduleMode.BEST_VALUE
    profile.save()
    # One big item ranked first, two halves just below it: together they are worth more
    # now than the big one, so best value brings them forward and holds the big one back.
    big = _item(council, 5, effort_days=100)
    halves = [_item(council, 4, effort_days=50) for _ in range(2)]
    run, entries = _run(council)
    assert run.schedule_mode == run.plan["mode"] == "best_value"
    assert run.plan["optimal"] is True and run.plan["gap"] is not None
    assert run.plan["objective"] >= run.plan["rank_order_objective"]
    assert [entries[h.pk].start_quarter for h in halves] == [0, 0]
    assert entries[big.pk].start_quarter == 1
    kinds = {d["item_id"]: d["kind"] for d in run.plan["differences"]}
    assert kinds[big.pk] == "held_back"
    assert {kinds[h.pk] for h in halves} == {"brought_forward"}


def test_stored_entries_carry_start_end_horizon_reason_and_details(council):
    first = _item(council, 5, effort_days=100)
    second = _item(council, 4, effort_days=150)
    parked = _item(council, 3, status=Status.PARKED, effort_days=5)
    run, entries = _run(council)
    stored = {
        item.pk: (
            entries[item.pk].start_quarter,
            entries[item.pk].end_quarter,
            entries[item.pk].horizon,
            entries[item.pk].schedule_reason,
            entries[item.pk].schedule_details.get("text"),
        )
        for item in (first, second, parked)
    }
    assert stored == {
        first.pk: (0, 0, "now", "", ""),
        second.pk: (1, 2, "next", "no_capacity", "no capacity until Q2 2027/28"),
        parked.pk: (None, None, "", "parked", None),
    }
    assert [q["new"] for q in run.plan["quarters"][:3]] == [100, 75, 75]
    assert run.plan["start"] == "2027-04-01"


def _queries_of_a_run(council, size: int) -> int:
    items = [_item(council, 1 + n % 5, effort_days=5 + n % 40) for n in range(size)]
    for before, after in zip(items, items[1:], strict=False):
        after.depends_on.add(before)
    pins.pin_item(council=council, item=items[-1], quarter=START, reason="Statute", pinned_by=None)
    FinancialYearBudget.objects.create(council=council, year=2027, one_off=1_000)
    run = ranking.request_run(council=council)
    with CaptureQueriesContext(connection) as queries:
        ranking.execute_run(run_id=run.pk)
    return len(queries)


def test_a_runs_query_count_does_not_grow_with_items(council, other_council):
    for target in (council, other_council):
        target.planning_start = START
        target.save()
    small = _queries_of_a_run(council, 3)
    large = _queries_of_a_run(other_council, 40)
    assert small == large


def test_plan_run_query_count_is_fixed(council, django_assert_num_queries):
    items = [_item(council, 1 + n % 5, effort_days=10) for n in range(20)]
    ranked = [(item.pk, position, 50.0) for position, item in enumerate(items, start=1)]
    # Council, capacities, budgets, mode, item facts, dependencies and pins.
    with django_assert_num_queries(7):
        plan = planning.plan_run(council_id=council.pk, ranked=ranked)
    assert len(plan.entries) == 20


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPY path is PostgreSQL's")
def test_copy_stores_schedule_details_with_quotes_backslashes_tabs_and_pounds(council):
    item = BacklogItemFactory(council=council)
    run = done_run_for(council, [])
    text = 'waiting on "DIG-001" \\ C:\\path\tand £4,000\nnext line'
    details = {"text": text, "refs": ['a"b', "c\\d"], "days": 12.5}
    result = scoring.RankingResult(
        ranked=[
            scoring.RankedItem(
                item_id=item.pk,
                score=50.0,
                rank=1,
                position=1,
                tied=False,
                contributions={1: 25.0, 2: 25.0},
            )
        ],
        needs_scoring=[],
    )
    plan = planning.RunPlan(
        mode="rank_order",
        totals={},
        entries={item.pk: planning.PlannedEntry(0, 1, "now", "waiting_on", details)},
        needs_estimate=[],
    )
    ranking.write_entries(run_id=run.pk, result=result, plan=plan)
    entry = RankedEntry.objects.get(run=run)
    assert entry.schedule_details == details
    assert (entry.start_quarter, entry.end_quarter, entry.horizon) == (0, 1, "now")
    assert entry.schedule_reason == "waiting_on"
    assert entry.contributions == {"1": 25.0, "2": 25.0}
