"""Rank ranges wired into ranking runs: planner.rank_ranges and its task."""

from __future__ import annotations

import random
from unittest import mock

import pytest
from django.urls import reverse

from planner import rank_ranges, ranking, robustness, scoring
from planner.models import (
    Horizon,
    ItemScore,
    RankedEntry,
    RankingRun,
    RunStatus,
    Status,
    WeightingProfile,
)
from planner.schedule import COMMITTED, PINNED
from tests.factories import BacklogItemFactory, score_all

pytestmark = pytest.mark.django_db


def _varied_items(council, count: int = 14, seed: int = 3) -> None:
    """Items with scores all over the scale, and low confidence for some."""
    chooser = random.Random(seed)
    for _ in range(count):
        item = BacklogItemFactory.create(
            council=council, status=Status.READY, effort_days=chooser.choice([5, 10, 20])
        )
        score_all(item, 3)
        for score in ItemScore.objects.filter(item=item, criterion__derived_from_estimate=False):
            score.value = chooser.randint(1, 5)
            score.save(update_fields=["value"])


def _ranges(run: RankingRun) -> list[tuple]:
    return list(
        run.entries.order_by("position").values_list(
            "rank_median", "rank_low", "rank_high", "p_top10", "p_now", "stability"
        )
    )


def test_run_now_fills_what_robustness_computes_directly(council):
    _varied_items(council)
    run = ranking.run_now(council=council)
    assert run.robustness == {"samples": 2000, "band": 25, "seed": run.pk}
    data = rank_ranges.load(run)
    assert data.values.shape == (run.item_count, len(run.scored_criteria()))
    expected = robustness.rank_ranges(
        data.criteria,
        data.method,
        data.values,
        data.confidence,
        band=0.25,
        seed=run.pk,
        samples=2000,
        efforts=data.efforts,
        capacity=data.capacity,
    )
    stored = _ranges(run)
    assert [(m, lo, hi, p10, st) for m, lo, hi, p10, _pn, st in stored] == [
        (r.median, r.low, r.high, r.p_top10, r.stability) for r in expected
    ]
    # p_now comes from the samples, except for items the plan fixes (none here: all estimated).
    assert [row[4] for row in stored] == [r.p_now for r in expected]
    assert all(lo <= m <= hi for m, lo, hi, *_ in stored)


def test_the_scores_loaded_are_the_run_items_scores_in_criteria_order(council):
    _varied_items(council, count=4)
    run = ranking.run_now(council=council)
    data = rank_ranges.load(run)
    entries = list(run.entries.order_by("position").values_list("item_id", flat=True))
    for row, item_id in enumerate(entries):
        scores = dict(
            ItemScore.objects.filter(item_id=item_id).values_list("criterion_id", "value")
        )
        assert list(data.values[row]) == [scores.get(c.id, 1) for c in data.criteria]
        confidence = ItemScore.objects.get(item_id=item_id, criterion__key=scoring.CONFIDENCE_KEY)
        assert data.confidence[row] == confidence.value


def test_band_zero_and_full_confidence_collapse_to_the_plain_rank(council):
    _varied_items(council)
    ItemScore.objects.filter(criterion__key=scoring.CONFIDENCE_KEY).update(value=5)
    WeightingProfile.objects.filter(council=council, is_active=True).update(weight_band_percent=0)
    run = ranking.run_now(council=council)
    assert run.robustness["band"] == 0
    for position, (median, low, high, p_top10, _p_now, stability) in enumerate(_ranges(run), 1):
        assert median == low == high == position
        assert p_top10 == (1.0 if position <= 10 else 0.0)
        assert stability == robustness.SETTLED


def test_the_band_comes_from_the_profile_and_widening_it_widens_intervals(council):
    _varied_items(council, count=20)
    narrow = ranking.run_now(council=council)
    WeightingProfile.objects.filter(council=council, is_active=True).update(weight_band_percent=90)
    wide = ranking.run_now(council=council)
    assert wide.robustness["band"] == 90

    def width(run):
        return sum(high - low for _m, low, high, *_ in _ranges(run))

    assert width(wide) > width(narrow)


def test_filling_again_is_deterministic(council):
    _varied_items(council)
    run = ranking.run_now(council=council)
    first = _ranges(run)
    RankedEntry.objects.filter(run=run).update(rank_low=None, rank_high=None, stability="")
    assert rank_ranges.fill_run(run.pk) is True
    assert _ranges(run) == first


def test_a_pruned_or_unfinished_run_is_left_alone(council):
    _varied_items(council, count=3)
    run = ranking.run_now(council=council)
    run_id = run.pk
    run.delete()
    assert rank_ranges.fill_run(run_id) is False
    queued = RankingRun.objects.create(council=council, generation=99)
    assert rank_ranges.fill_run(queued.pk) is False
    queued.refresh_from_db()
    assert queued.robustness == {}


def test_the_task_is_enqueued_on_commit_after_the_run_is_done(
    council, django_capture_on_commit_callbacks
):
    _varied_items(council, count=5)
    run = RankingRun.objects.create(council=council, generation=1)
    seen: list[tuple] = []

    def record(args, retry):
        finished = RankingRun.objects.get(pk=args[0])
        seen.append((args[0], finished.status, _ranges(finished)[0][1]))

    with (
        mock.patch("planner.tasks.compute_rank_ranges.apply_async", side_effect=record),
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        ranking.execute_run(run_id=run.pk)
        assert seen == []  # nothing is sent before the run's transaction commits
    for callback in callbacks:
        with mock.patch("planner.tasks.compute_rank_ranges.apply_async", side_effect=record):
            callback()
    # The live run was done, and had no ranges yet, when its ranges were asked for.
    assert seen == [(run.pk, RunStatus.DONE, None)]


def test_the_task_fills_the_run_on_the_worker(council):
    _varied_items(council, count=5)
    run = RankingRun.objects.create(council=council, generation=1)
    # Eager Celery in unit tests: enqueueing runs the task in-process.
    with mock.patch("django.db.transaction.on_commit", side_effect=lambda fn, *a, **k: fn()):
        ranking.execute_run(run_id=run.pk)
    run.refresh_from_db()
    assert run.robustness["seed"] == run.pk
    assert all(row[1] is not None for row in _ranges(run))


def test_a_broker_outage_costs_only_the_ranges(council):
    with mock.patch(
        "planner.tasks.compute_rank_ranges.apply_async", side_effect=ConnectionError("down")
    ):
        assert rank_ranges.enqueue(123) is False


def test_unestimated_and_parked_items_never_land_in_now(council):
    _varied_items(council, count=6)
    item = council.items.order_by("pk").first()
    item.effort_days = None
    item.save()
    run = ranking.run_now(council=council)
    p_now = dict(run.entries.values_list("item_id", "p_now"))
    assert p_now[item.pk] == 0.0
    assert any(value and value > 0 for value in p_now.values())


def test_new_and_triage_items_wait_a_quarter_so_never_land_in_now(council):
    _varied_items(council, count=6)
    waiting = list(council.items.order_by("pk")[:2])
    waiting[0].status, waiting[1].status = Status.NEW, Status.TRIAGE
    for item in waiting:
        item.save()
    run = ranking.run_now(council=council)
    p_now = dict(run.entries.values_list("item_id", "p_now"))
    assert [p_now[item.pk] for item in waiting] == [0.0, 0.0]
    assert any(value and value > 0 for value in p_now.values())


def test_an_item_the_plan_puts_in_now_is_likely_in_now_in_the_samples(council):
    """The fill passes over an item that does not fit and goes on, as the schedule does."""
    _varied_items(council, count=10)
    run = ranking.run_now(council=council)
    entries = (
        run.entries.filter(horizon=Horizon.NOW)
        .exclude(schedule_reason__in=[COMMITTED, PINNED])
        .values_list("p_now")
    )
    in_now = [p for (p,) in entries]
    assert in_now and min(in_now) > 0


def test_a_long_item_loads_each_quarter_with_its_share():
    assert rank_ranges.first_quarter_load(45.0, 20.0) == 15.0  # three quarters of 15
    assert rank_ranges.first_quarter_load(20.0, 20.0) == 20.0
    assert rank_ranges.first_quarter_load(8.0, 0.0) == 8.0  # no usual capacity known


def test_stability_thresholds_live_in_one_place():
    assert robustness.stability(2) == robustness.SETTLED
    assert robustness.stability(6) == robustness.FAIRLY_SETTLED
    assert robustness.stability(7) == robustness.CONTESTED


def test_the_ranking_csv_has_each_entry_rank_range_and_stability(council, viewer_client):
    import csv
    import io

    _varied_items(council, count=12)
    run = ranking.run_now(council=council)
    response = viewer_client.get(reverse("ranking_export", args=[council.slug]))
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    expected = {
        reference: (f"{low}–{high}", stability)
        for reference, low, high, stability in run.entries.values_list(
            "item__reference", "rank_low", "rank_high", "stability"
        )
    }
    assert {row["Reference"]: (row["Rank range"], row["Stability"]) for row in rows} == expected


def test_the_method_csv_explains_the_sampling(council, viewer_client):
    import csv
    import io

    _varied_items(council, count=4)
    run = ranking.run_now(council=council)
    response = viewer_client.get(reverse("method_export", args=[council.slug]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = dict(csv.reader(io.StringIO(text, newline="")))
    assert rows["Rank range samples"] == "2000"
    assert rows["Weight band (±%)"] == "25"
    assert rows["Random seed"] == str(run.pk)
    explained = rows["How sure each rank is"]
    assert "2,000 times" in explained and "±25%" in explained and str(run.pk) in explained
    assert "Confidence" in explained and "first quarter's capacity" in explained


def test_the_method_text_before_the_ranges_exist():
    assert "not been worked out" in rank_ranges.method_text({})


def test_a_published_plan_freezes_each_entry_range_and_the_sampling(council):
    from planner import plans

    _varied_items(council, count=5)
    run = ranking.run_now(council=council)
    snapshot = plans.build_snapshot(council=council, run=run)
    assert snapshot["robustness"] == run.robustness
    assert "2,000 times" in snapshot["robustness_text"]
    by_id = {e["item_id"]: e for e in snapshot["entries"]}
    for item_id, low, high, stability in run.entries.values_list(
        "item_id", "rank_low", "rank_high", "stability"
    ):
        assert (by_id[item_id]["rank_low"], by_id[item_id]["rank_high"]) == (low, high)
        assert by_id[item_id]["stability"] == stability


def test_the_item_page_shows_the_range_and_a_tornado_with_its_table(council, viewer_client):
    _varied_items(council, count=15)
    run = ranking.run_now(council=council)
    entry = run.entries.order_by("position")[7]
    response = viewer_client.get(reverse("item_detail", args=[council.slug, entry.item.reference]))
    body = response.content.decode()
    assert f"Rank range {entry.rank_low}–{entry.rank_high}" in body
    assert entry.stability in body
    assert "Which weights move this rank" in body
    assert "<svg" in body and 'role="img"' in body
    tornado = rank_ranges.tornado(run, entry.item_id)
    assert tornado is not None and tornado.rank == entry.position
    swings = [row.swing for row in tornado.rows]
    assert swings == sorted(swings, reverse=True)
    assert len(tornado.rows) == len(run.scored_criteria())
    for row in tornado.rows:  # the table equivalent carries every bar's numbers
        assert f'<th scope="row" class="govuk-table__header">{row.criterion}</th>' in body


def test_the_tornado_moves_the_item_as_robustness_says(council):
    _varied_items(council, count=10)
    run = ranking.run_now(council=council)
    entry = run.entries.order_by("position")[4]
    data = rank_ranges.load(run)
    expected = robustness.tornado(data.criteria, data.method, data.values, 4, 0.25)
    tornado = rank_ranges.tornado(run, entry.item_id)
    by_criterion = {r.criterion: (r.rank_low_weight, r.rank_high_weight) for r in tornado.rows}
    names = {c["id"]: c["name"] for c in run.scored_criteria()}
    assert by_criterion == {
        names[s.criterion_id]: (s.rank_low_weight, s.rank_high_weight) for s in expected
    }
    for row in tornado.rows:  # the swing counts the places from now to the farthest end
        ends = (row.rank_low_weight, row.rank_high_weight, entry.position)
        assert row.swing == max(ends) - min(ends)


def test_pages_say_working_out_before_the_ranges_exist(council, viewer_client):
    _varied_items(council, count=4)
    run = ranking.run_now(council=council)
    RankedEntry.objects.filter(run=run).update(rank_low=None, rank_high=None, stability="")
    entry = run.entries.order_by("position").first()
    item_page = viewer_client.get(reverse("item_detail", args=[council.slug, entry.item.reference]))
    assert "Working out" in item_page.content.decode()
    dashboard = viewer_client.get(reverse("dashboard", args=[council.slug])).content.decode()
    assert "Working out" in dashboard and "Rank range" not in dashboard
    for name in ("backlog", "roadmap"):
        page = viewer_client.get(reverse(name, args=[council.slug]))
        assert page.status_code == 200
        assert "Rank range" not in page.content.decode()


def test_backlog_roadmap_and_dashboard_show_each_rank_range(council, viewer_client):
    _varied_items(council, count=12)
    run = ranking.run_now(council=council)
    RankedEntry.objects.filter(run=run, position=2).update(
        rank_low=1, rank_high=9, stability=robustness.CONTESTED
    )
    for name in ("backlog", "roadmap", "dashboard"):
        body = viewer_client.get(reverse(name, args=[council.slug])).content.decode()
        assert "Rank range 1–9" in body, name
        assert f'app-tag-small govuk-tag--orange">{robustness.CONTESTED}<' in body, name
    dashboard = viewer_client.get(reverse("dashboard", args=[council.slug])).content.decode()
    assert dashboard.count('class="app-rank-interval"') == 10


@pytest.mark.parametrize("name", ["backlog", "roadmap", "dashboard"])
def test_rank_ranges_add_no_query_per_row(council, viewer_client, name):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _varied_items(council, count=5)
    ranking.run_now(council=council)
    with CaptureQueriesContext(connection) as few:
        viewer_client.get(reverse(name, args=[council.slug]))
    _varied_items(council, count=20, seed=9)
    ranking.run_now(council=council)
    with CaptureQueriesContext(connection) as many:
        body = viewer_client.get(reverse(name, args=[council.slug])).content.decode()
    assert "Rank range" in body
    assert len(many) == len(few)


def test_the_sweep_resends_recent_runs_without_ranges_only(council):
    from datetime import timedelta

    from django.utils import timezone

    _varied_items(council, count=3)
    filled = ranking.run_now(council=council)
    lost = ranking.run_now(council=council)
    old = ranking.run_now(council=council)
    fresh = ranking.run_now(council=council)
    now = timezone.now()
    RankingRun.objects.filter(pk__in=[lost.pk, old.pk, fresh.pk]).update(robustness={})
    RankingRun.objects.filter(pk__in=[filled.pk, lost.pk]).update(
        finished_at=now - timedelta(minutes=5)
    )
    RankingRun.objects.filter(pk=old.pk).update(finished_at=now - timedelta(days=2))
    RankingRun.objects.filter(pk=fresh.pk).update(finished_at=now - timedelta(seconds=5))
    with mock.patch("planner.tasks.compute_rank_ranges.apply_async") as send:
        assert rank_ranges.sweep(now=now) == [lost.pk]
    send.assert_called_once_with(args=[lost.pk], retry=False)


def test_the_sweep_task_also_sweeps_the_ranges():
    from planner import tasks

    with (
        mock.patch.object(ranking, "sweep", return_value=[3]),
        mock.patch.object(rank_ranges, "sweep", return_value=[4]) as ranges_sweep,
    ):
        assert tasks.sweep_rankings.apply().result == [3]
    ranges_sweep.assert_called_once_with()


def test_the_method_text_needs_the_whole_record_of_the_sampling():
    not_yet = "How sure each rank is has not been worked out for this ranking yet."
    assert rank_ranges.method_text(None) == not_yet
    assert rank_ranges.method_text({"band": 25}) == not_yet
    assert "2,000 times" in rank_ranges.method_text({"samples": 2000, "band": 25, "seed": 7})


def test_the_tornado_uses_the_band_the_ranges_were_sampled_with(council):
    _varied_items(council, count=8)
    run = ranking.run_now(council=council)
    item_id = run.entries.order_by("position").values_list("item_id", flat=True)[3]
    before = rank_ranges.tornado(run, item_id)
    council.profiles.filter(is_active=True).update(weight_band_percent=90)
    run.refresh_from_db()
    after = rank_ranges.tornado(run, item_id)
    assert rank_ranges.sampled_band_percent(run) == 25 == run.robustness["band"]
    assert after == before  # the ranges beside it were sampled at ±25%, so is the tornado
