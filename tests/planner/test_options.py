"""Weighting options: saving them, their ranking runs (never live), and the comparison."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from planner import options, plans, ranking
from planner.models import (
    HorizonOverride,
    RankingRun,
    RunStatus,
    Status,
    WeightingProfile,
)
from tests.factories import BacklogItemFactory, score_all


def _weights(council, **by_key: float) -> dict[str, float]:
    """Every active criterion weighted 0 except those named by key."""
    return {str(c.pk): by_key.get(c.key, 0) for c in council.criteria.filter(active=True)}


@pytest.fixture
def items(council):
    """Four scored items: the first is strongest on citizen impact, the last on savings."""
    made = []
    for number, (impact, savings) in enumerate([(5, 1), (4, 2), (2, 4), (1, 5)], start=1):
        item = BacklogItemFactory.create(council=council, title=f"Item {number}")
        score_all(item, 3)
        item.scores.filter(criterion__key="citizen_impact").update(value=impact)
        item.scores.filter(criterion__key="savings").update(value=savings)
        made.append(item)
    ranking.run_now(council=council)
    return made


def _save(council, name="Option B: savings first", **weights: float) -> WeightingProfile:
    weights = weights or {"savings": 80, "citizen_impact": 5}
    return options.save_option(
        council=council,
        name=name,
        method="weighted_sum",
        weights=_weights(council, **weights),
    )


def test_saving_an_option_ranks_it_on_the_worker(
    council, items, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        option = _save(council)
    run = option.option_runs.get()
    assert run.status == RunStatus.DONE
    assert run.profile_name == "Option B: savings first"
    assert [e.item_id for e in run.entries.order_by("position")][0] == items[-1].pk
    assert not option.is_active and option.is_option


def test_an_option_run_finishing_after_a_live_run_never_becomes_live(
    council, items, django_capture_on_commit_callbacks
):
    live = ranking.latest_done_run(council)
    assert live is not None
    with django_capture_on_commit_callbacks(execute=True):
        option = _save(council)
    option_run = option.option_runs.get()
    assert option_run.generation > live.generation
    assert ranking.latest_done_run(council) == live
    assert ranking.pending_or_failed_run(council) is None


def test_a_queued_option_run_is_not_the_progress_indicator_or_reused_by_an_edit(council, items):
    option = _save(council)  # no on-commit callbacks run: its run stays queued
    queued = option.option_runs.get()
    assert queued.status == RunStatus.QUEUED
    assert ranking.pending_or_failed_run(council) is None
    live_request = ranking.request_run(council=council)
    assert live_request.pk != queued.pk
    assert live_request.option is None


def test_an_option_run_uses_the_options_weights_not_the_active_profiles(council, items):
    option = _save(council)
    run = ranking.run_now(council=council, option=option)
    assert run.weights_snapshot == {k: float(v) for k, v in option.weights.items()}
    assert run.profile_id == option.pk
    active = council.profiles.get(is_active=True)
    assert ranking.latest_done_run(council).profile_id == active.pk


def test_an_unknown_option_cannot_be_ranked(council, items):
    with pytest.raises(ranking.RankingError, match="deleted"):
        ranking.load_input(council_id=council.pk, option_id=999_999)


def test_pruning_keeps_only_the_latest_done_run_of_each_option(council, items):
    option = _save(council)
    option.option_runs.all().delete()
    first = ranking.run_now(council=council, option=option)
    second = ranking.run_now(council=council, option=option)
    live = ranking.latest_done_run(council)
    ranking.prune_runs(council_id=council.pk)
    assert list(option.option_runs.values_list("pk", flat=True)) == [second.pk]
    assert not RankingRun.objects.filter(pk=first.pk).exists()
    assert RankingRun.objects.filter(pk=live.pk).exists()


def test_option_runs_do_not_count_towards_the_live_runs_kept(council, items):
    option = _save(council)
    for _ in range(3):
        ranking.run_now(council=council, option=option)
    live = ranking.latest_done_run(council)
    ranking.prune_runs(council_id=council.pk, keep=1)
    assert RankingRun.objects.filter(pk=live.pk).exists()


@pytest.mark.parametrize(
    ("name", "weights", "message"),
    [
        ("", {"savings": 10}, "Enter a name"),
        ("   ", {"savings": 10}, "Enter a name"),
        ("Balanced", {"savings": 10}, "already exists"),
        ("x" * 81, {"savings": 10}, "80 characters"),
        ("All zero", {}, "above 0"),
    ],
)
def test_bad_options_are_refused_with_a_reason_and_nothing_saved(council, name, weights, message):
    before = WeightingProfile.objects.count()
    with pytest.raises(options.OptionError, match=message):
        options.save_option(
            council=council, name=name, method="weighted_sum", weights=_weights(council, **weights)
        )
    assert WeightingProfile.objects.count() == before


def test_a_duplicate_option_name_is_refused_whatever_its_case(council):
    _save(council, name="Savings first")
    with pytest.raises(options.OptionError, match="already exists"):
        _save(council, name="SAVINGS FIRST")


def test_a_council_keeps_at_most_ten_options(council):
    for number in range(options.MAX_OPTIONS):
        _save(council, name=f"Option {number}")
    with pytest.raises(options.OptionError, match="up to 10"):
        _save(council, name="One too many")


def test_renaming_and_deleting_an_option(council, items):
    option = _save(council)
    ranking.run_now(council=council, option=option)
    options.rename_option(option=option, name="Option C")
    assert WeightingProfile.objects.get(pk=option.pk).name == "Option C"
    option_pk = option.pk
    options.delete_option(option=option)
    assert not RankingRun.objects.filter(option_id=option_pk).exists()
    assert not WeightingProfile.objects.filter(pk=option_pk).exists()


def test_stale_options_are_those_ranked_before_the_latest_live_run(council, items):
    option = _save(council)
    assert options.stale_options(council) == []  # its first run is queued
    option.option_runs.all().delete()
    ranking.run_now(council=council, option=option)
    assert options.stale_options(council) == []
    ranking.run_now(council=council)
    assert options.stale_options(council) == [option]
    assert options.refresh_options(council=council) == 1
    assert option.option_runs.filter(status=RunStatus.QUEUED).count() == 1


def test_describe_weights_names_what_the_weights_favour():
    assert options.describe_weights([("Savings", 60), ("Impact", 30), ("Risk", 10)]) == (
        "Favours Savings (60%) and Impact (30%)."
    )
    assert options.describe_weights([("Savings", 5), ("Impact", 0)]) == "Only Savings counts."
    assert options.describe_weights([("A", 1), ("B", 1)]) == (
        "Every weighted criterion counts the same."
    )


def _order(run: RankingRun) -> list[int]:
    return list(run.entries.order_by("position").values_list("item_id", flat=True))


def _horizons(run: RankingRun) -> dict[int, str]:
    return dict(run.entries.values_list("item_id", "horizon"))


def test_comparison_shows_live_options_and_do_nothing(council, items):
    items[1].status = Status.IN_PROGRESS
    items[1].one_off_cost = Decimal("1000")
    items[1].save()
    live = ranking.run_now(council=council)
    option = _save(council)
    option_run = ranking.run_now(council=council, option=option)
    comparison = options.compare(council=council, options=[option])
    current, saved, baseline = comparison.columns
    assert current.is_live and not saved.is_live and baseline.is_baseline
    refs = {item.pk: item.reference for item in items}
    live_order = [
        refs[pk] for pk in live.entries.order_by("position").values_list("item", flat=True)
    ]
    option_order = [
        refs[pk] for pk in option_run.entries.order_by("position").values_list("item", flat=True)
    ]
    assert [row.reference for row in current.top] == live_order
    assert [row.reference for row in saved.top] == option_order
    # Do nothing: only the work in progress.
    assert [row.reference for row in baseline.top] == [items[1].reference]
    committed_entry = live.entries.get(item=items[1])
    assert baseline.total_score == committed_entry.score
    first_year_cost = baseline.cost_by_year[0][1]
    assert first_year_cost == Decimal("1000")
    # Totals: the scores of what each plan schedules.
    scheduled = live.entries.filter(start_quarter__isnull=False)
    assert current.total_score == sum(e.score for e in scheduled)
    # Horizon changes are counted against the live plan.
    live_h, option_h = _horizons(live), _horizons(option_run)
    changed = {refs[pk] for pk in live_h if live_h[pk] != option_h.get(pk, "")}
    assert {change.reference for change in saved.horizon_changes} == changed
    assert saved.horizon_change_count == len(changed)
    # Costs per year come from each run's plan.
    years = option_run.plan["years"]
    assert [year for year, _cost in saved.cost_by_year] == [y["label"] for y in years]


def test_only_in_now_lists_items_no_other_column_puts_in_now(council, items):
    live = ranking.run_now(council=council)
    option = _save(council)
    option_run = ranking.run_now(council=council, option=option)
    comparison = options.compare(council=council, options=[option])
    current, saved, _baseline = comparison.columns
    refs = {item.pk: item.reference for item in items}
    live_now = {refs[pk] for pk, h in _horizons(live).items() if h == "now"}
    option_now = {refs[pk] for pk, h in _horizons(option_run).items() if h == "now"}
    assert set(current.only_in_now) == live_now - option_now
    assert set(saved.only_in_now) == option_now - live_now


def test_an_option_not_yet_ranked_says_so(council, items):
    option = _save(council)
    comparison = options.compare(council=council, options=[option])
    assert comparison.columns[1].ranked is False
    assert comparison.columns[1].top == []


def test_a_pinned_item_counts_as_committed_in_do_nothing(council, items, approver_client):
    quarter = ranking.latest_done_run(council).plan["quarters"][1]["start"]
    HorizonOverride.objects.create(
        item=items[3], quarter=date.fromisoformat(quarter), reason="Statutory deadline"
    )
    ranking.run_now(council=council)
    baseline = options.compare(council=council, options=[]).columns[-1]
    assert [row.reference for row in baseline.top] == [items[3].reference]


def test_comparison_query_count_does_not_grow_with_items(council, items, django_assert_num_queries):
    option = _save(council)
    ranking.run_now(council=council, option=option)
    with django_assert_num_queries(6) as small:
        options.compare(council=council, options=[option])
    for _ in range(6):
        score_all(BacklogItemFactory.create(council=council), 4)
    ranking.run_now(council=council)
    ranking.run_now(council=council, option=option)
    with django_assert_num_queries(len(small.captured_queries)):
        options.compare(council=council, options=[option])


def test_publishing_with_options_freezes_them(council, items):
    option = _save(council)
    ranking.run_now(council=council, option=option)
    plan = plans.publish_plan(
        council=council,
        title="Plan with options",
        committee="Cabinet",
        meeting_date=date(2027, 3, 1),
        options=[option],
    )
    frozen = plan.snapshot["options"]
    # The plan's own weights first (the recommendation), then the option, then the baseline.
    assert [entry["name"] for entry in frozen] == [
        "Current weights (Balanced)",
        "Option B: savings first",
        "Do nothing",
    ]
    assert [entry["is_recommended"] for entry in frozen] == [True, False, False]
    assert [entry["is_baseline"] for entry in frozen] == [False, False, True]
    first = frozen[1]
    assert first["top"][0]["reference"] == items[-1].reference
    assert {"criterion": "Savings", "weight": 80.0} in first["weights"]
    assert first["description"].startswith("Favours Savings")
    # Later edits to the option (or its deletion) do not change the plan.
    options.rename_option(option=option, name="Renamed")
    options.delete_option(option=option)
    plan.refresh_from_db()
    assert plan.snapshot["options"] == frozen


def test_publishing_without_options_freezes_none(council, items):
    plan = plans.publish_plan(
        council=council, title="Plain", committee="Cabinet", meeting_date=date(2027, 3, 1)
    )
    assert plan.snapshot.get("options", []) == []


def test_an_option_plans_with_its_own_schedule_mode(council, items):
    option = _save(council)
    WeightingProfile.objects.filter(pk=option.pk).update(schedule_mode="best_value")
    run = ranking.run_now(council=council, option=option)
    assert run.schedule_mode == "best_value"
    assert ranking.latest_done_run(council).schedule_mode == "rank_order"


def test_a_saved_option_takes_the_active_profiles_schedule_mode(council, items):
    council.profiles.filter(is_active=True).update(schedule_mode="best_value")
    assert _save(council).schedule_mode == "best_value"


def test_a_plan_of_an_earlier_ranking_freezes_that_ranking_as_its_recommendation(council, items):
    published_run = ranking.latest_done_run(council)
    option = _save(council)
    ranking.run_now(council=council, option=option)
    # A newer live ranking with a different top item, finished before the publish.
    items[-1].scores.filter(criterion__key="citizen_impact").update(value=5)
    items[-1].scores.filter(criterion__key="savings").update(value=5)
    newer = ranking.run_now(council=council)
    assert newer.entries.get(position=1).item != published_run.entries.get(position=1).item
    plan = plans.publish_plan(
        council=council,
        title="Plan of the earlier ranking",
        committee="Cabinet",
        meeting_date=date(2027, 3, 1),
        run=published_run,
        options=[option],
    )
    recommended = plan.snapshot["options"][0]
    assert recommended["is_recommended"]
    top = published_run.entries.select_related("item").get(position=1).item
    assert recommended["top"][0]["reference"] == top.reference
