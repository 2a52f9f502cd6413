"""The ranking service: computing a run, idempotence, staleness, pruning, the sweep."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from planner import ranking, scoring
from planner.models import (
    BacklogItem,
    ItemScore,
    PublishedPlan,
    RankedEntry,
    RankingRun,
    RunStatus,
    Status,
)
from tests.concurrency import needs_postgres
from tests.factories import BacklogItemFactory, score_all


def _queued_run(council, generation: int | None = None) -> RankingRun:
    if generation is None:
        generation = (
            council.runs.order_by("-generation").values_list("generation", flat=True).first() or 0
        ) + 1
    return RankingRun.objects.create(council=council, generation=generation)


def _execute_expecting_failure(run: RankingRun) -> None:
    with pytest.raises(ranking.RankingError):
        ranking.execute_run(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED


def _assert_done(run: RankingRun, *, attempts: int, entries: int) -> None:
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert run.attempts == attempts
    assert run.entries.count() == entries


def _queued_run_whose_send_fails(council) -> RankingRun:
    """A queued run, sent once while the broker is down (the send reports False)."""
    run = _queued_run(council)
    with mock.patch(
        "planner.tasks.execute_ranking_run.apply_async", side_effect=ConnectionError("down")
    ):
        assert ranking.enqueue_run(run.pk) is False
    run.refresh_from_db()
    return run


def _scored_items(council, count: int, value: int = 3) -> list[BacklogItem]:
    items = []
    for _ in range(count):
        item = BacklogItemFactory.create(council=council)
        score_all(item, value)
        items.append(item)
    return items


def _set_score(item: BacklogItem, key: str, value: int) -> None:
    ItemScore.objects.filter(item=item, criterion__key=key).update(value=value)


@pytest.fixture
def three_items(council):
    top, middle, bottom = _scored_items(council, 3)
    _set_score(top, "citizen_impact", 5)
    _set_score(bottom, "citizen_impact", 1)
    return top, middle, bottom


def test_execute_run_ranks_items_by_score(council, three_items):
    run = _queued_run(council)
    ranking.execute_run(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert run.progress == 100
    assert list(run.entries.values_list("item_id", flat=True)) == [i.pk for i in three_items]


def test_execute_run_matches_the_pure_scoring_module(council, three_items):
    run = _queued_run(council)
    ranking.execute_run(run_id=run.pk)
    data = ranking.load_input(council_id=council.pk)
    expected = scoring.rank_items(data.items, data.criteria, data.method)
    stored = list(
        run.entries.values_list("item_id", "score", "rank", "position", "tied", "contributions")
    )
    assert stored == [
        (
            e.item_id,
            Decimal(f"{e.score:.2f}"),
            e.rank,
            e.position,
            e.tied,
            {str(k): v for k, v in e.contributions.items()},
        )
        for e in expected.ranked
    ]


def test_entries_store_each_criteria_contribution(council, three_items):
    run = _queued_run(council)
    ranking.execute_run(run_id=run.pk)
    entry = run.entries.get(item=three_items[0])
    active_ids = {
        str(pk) for pk in council.criteria.filter(active=True).values_list("pk", flat=True)
    }
    assert set(entry.contributions) == active_ids
    assert sum(entry.contributions.values()) == pytest.approx(float(entry.score), abs=0.01)


def test_equal_scores_share_a_rank_and_keep_unique_positions(council):
    _scored_items(council, 3)
    run = _queued_run(council)
    ranking.execute_run(run_id=run.pk)
    assert list(run.entries.values_list("rank", "position", "tied")) == [
        (1, 1, True),
        (1, 2, True),
        (1, 3, True),
    ]


def test_run_snapshots_profile_method_weights_and_criteria(council, three_items):
    profile = council.profiles.get(is_active=True)
    run = _queued_run(council)
    ranking.execute_run(run_id=run.pk)
    run.refresh_from_db()
    assert run.profile == profile
    assert run.profile_name == profile.name
    assert run.method == profile.method
    assert run.weights_snapshot == {k: float(v) for k, v in profile.weights.items()}
    assert [c["key"] for c in run.criteria_snapshot][0] == "citizen_impact"
    assert run.item_count == 3


def test_unscored_item_needs_scoring_and_is_not_ranked(council, three_items):
    unscored = BacklogItemFactory(council=council)
    partly = BacklogItemFactory(council=council)
    ItemScore.objects.create(item=partly, criterion=council.criteria.first(), value=5)
    run = _queued_run(council)
    ranking.execute_run(run_id=run.pk)
    run.refresh_from_db()
    assert run.needs_scoring == [unscored.pk, partly.pk]
    assert not run.entries.filter(item__in=[unscored, partly]).exists()


def test_archived_and_done_items_are_not_ranked(council, three_items):
    top, middle, bottom = three_items
    BacklogItem.objects.filter(pk=top.pk).update(archived=True)
    BacklogItem.objects.filter(pk=middle.pk).update(status=Status.DONE)
    run = _queued_run(council)
    ranking.execute_run(run_id=run.pk)
    assert list(run.entries.values_list("item_id", flat=True)) == [bottom.pk]


def test_inactive_criteria_are_ignored(council, three_items):
    council.criteria.filter(key="citizen_impact").update(active=False)
    run = _queued_run(council)
    ranking.execute_run(run_id=run.pk)
    entry = run.entries.first()
    assert len(entry.contributions) == council.criteria.filter(active=True).count()
    assert run.entries.values("rank").distinct().count() == 1


def test_executing_a_done_run_again_changes_nothing(council, three_items):
    run = _queued_run(council)
    ranking.execute_run(run_id=run.pk)
    before = list(run.entries.values_list("pk", "item_id", "position"))
    assert ranking.execute_run(run_id=run.pk) is None
    assert list(run.entries.values_list("pk", "item_id", "position")) == before
    run.refresh_from_db()
    assert run.attempts == 1


def test_run_left_running_by_a_lost_worker_is_redone_once(council, three_items):
    run = _queued_run(council)
    RankingRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, attempts=1, progress=65)
    ranking.execute_run(run_id=run.pk)
    _assert_done(run, attempts=2, entries=3)


def test_a_failure_while_writing_leaves_no_entries(council, three_items):
    run = _queued_run(council)
    with (
        mock.patch.object(RankingRun, "save", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError),
    ):
        ranking.execute_run(run_id=run.pk)
    assert not RankedEntry.objects.filter(run_id=run.pk).exists()
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING


def test_all_zero_weights_fail_the_run_with_a_reason(council, three_items):
    profile = council.profiles.get(is_active=True)
    profile.weights = dict.fromkeys(profile.weights, 0)
    profile.save()
    run = _queued_run(council)
    _execute_expecting_failure(run)
    assert "weighted 0" in run.error
    assert not run.entries.exists()


def test_missing_active_profile_fails_the_run(council, three_items):
    council.profiles.update(is_active=False)
    run = _queued_run(council)
    _execute_expecting_failure(run)
    assert "no active weighting profile" in run.error


def test_failed_run_is_not_executed_again(council, three_items):
    run = _queued_run(council)
    ranking.mark_failed(run_id=run.pk, reason="broken")
    assert ranking.execute_run(run_id=run.pk) is None
    assert not run.entries.exists()


def test_run_is_given_up_after_too_many_attempts(council, three_items):
    run = _queued_run(council)
    RankingRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, attempts=ranking.MAX_ATTEMPTS
    )
    assert ranking.execute_run(run_id=run.pk) is None
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "Gave up" in run.error


def test_stale_run_finishing_late_never_replaces_the_newer_one(council, three_items):
    older = _queued_run(council, generation=1)
    newer = _queued_run(council, generation=2)
    ranking.execute_run(run_id=newer.pk)
    ranking.execute_run(run_id=older.pk)
    assert ranking.latest_done_run(council) == newer
    assert ranking.pending_or_failed_run(council) is None


def test_latest_done_run_ignores_other_councils(council, other_council, three_items):
    _scored_items(other_council, 1)
    theirs = _queued_run(other_council, generation=5)
    ranking.execute_run(run_id=theirs.pk)
    assert ranking.latest_done_run(council) is None


def test_prune_keeps_the_last_twenty_done_runs(council, three_items):
    for generation in range(1, 24):
        ranking.execute_run(run_id=_queued_run(council, generation).pk)
    generations = sorted(council.runs.values_list("generation", flat=True))
    assert generations == list(range(4, 24))
    assert RankedEntry.objects.filter(run__council=council).count() == 20 * 3


def test_prune_never_deletes_a_published_run(council, three_items):
    first = _queued_run(council, generation=1)
    ranking.execute_run(run_id=first.pk)
    PublishedPlan.objects.create(
        council=council,
        run=first,
        title="Plan",
        slug="plan",
        committee="Cabinet",
        meeting_date=timezone.localdate(),
    )
    for generation in range(2, 25):
        ranking.execute_run(run_id=_queued_run(council, generation).pk)
    assert council.runs.filter(pk=first.pk).exists()
    assert first.entries.count() == 3


def test_deleting_an_item_deletes_its_entries_in_every_run(council, three_items):
    # RankedEntry has no index on item alone (migration 0008): the cascade still works.
    for generation in (1, 2):
        ranking.execute_run(run_id=_queued_run(council, generation).pk)
    top, middle, bottom = three_items
    top.delete()
    assert not RankedEntry.objects.filter(item_id=top.pk).exists()
    assert RankedEntry.objects.filter(run__council=council).count() == 2 * 2


@pytest.mark.django_db(transaction=True)
def test_entries_still_need_an_existing_run_and_item(council, three_items):
    # The foreign keys stay (checked at commit): only their single-column indexes went.
    run = _queued_run(council)
    ranking.execute_run(run_id=run.pk)
    entry = run.entries.first()
    assert entry is not None
    missing = BacklogItem.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    with pytest.raises(IntegrityError), transaction.atomic():
        RankedEntry.objects.filter(pk=entry.pk).update(item_id=missing)


def _queries_for_a_run(council) -> int:
    run = _queued_run(council)
    with CaptureQueriesContext(connection) as queries:
        ranking.execute_run(run_id=run.pk)
    assert run.entries.exists()
    return len(queries)


def test_query_count_of_a_run_does_not_grow_with_items(council, django_assert_max_num_queries):
    _scored_items(council, 5)
    small = _queries_for_a_run(council)
    _scored_items(council, 60)
    # Scoring takes 20; the delivery plan adds settings, budgets, capacities, mode, items,
    # dependencies and pins (7), and one progress update.
    with django_assert_max_num_queries(28):
        large = _queries_for_a_run(council)
    assert large == small


def test_request_run_coalesces_a_burst_into_one_queued_run(
    council, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        first = ranking.request_run(council=council)
        second = ranking.request_run(council=council)
    assert first == second
    assert len(callbacks) == 1


def test_request_run_on_commit_computes_the_run_eagerly(
    council, three_items, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = ranking.request_run(council=council)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE


def test_request_run_resends_an_overdue_queued_run(council, django_capture_on_commit_callbacks):
    run = _queued_run(council)
    RankingRun.objects.filter(pk=run.pk).update(requested_at=timezone.now() - timedelta(minutes=5))
    with django_capture_on_commit_callbacks() as callbacks:
        assert ranking.request_run(council=council) == run
    assert len(callbacks) == 1


def test_enqueue_failure_keeps_the_run_queued_and_marks_it_delayed(council):
    run = _queued_run_whose_send_fails(council)
    assert run.status == RunStatus.QUEUED
    assert run.is_delayed


def test_fresh_queued_run_is_not_delayed(council):
    assert not _queued_run(council).is_delayed


def test_old_queued_run_is_delayed(council):
    run = _queued_run(council)
    run.requested_at = timezone.now() - timedelta(minutes=1)
    assert run.is_delayed


def test_sweep_resends_old_queued_and_abandoned_running_runs(council, other_council, three_items):
    old = _queued_run(council, generation=1)
    fresh = _queued_run(council, generation=2)
    abandoned = _queued_run(other_council, generation=1)
    long_ago = timezone.now() - timedelta(hours=1)
    RankingRun.objects.filter(pk=old.pk).update(requested_at=long_ago)
    RankingRun.objects.filter(pk=abandoned.pk).update(status=RunStatus.RUNNING, started_at=long_ago)
    with mock.patch.object(ranking, "enqueue_run", return_value=True) as enqueue:
        sent = ranking.sweep()
    assert sent == sorted([old.pk, abandoned.pk])
    assert fresh.pk not in [call.args[0] for call in enqueue.call_args_list]


def test_sweep_resends_a_run_the_broker_refused_at_once(council):
    run = _queued_run(council)
    RankingRun.objects.filter(pk=run.pk).update(error=ranking.ENQUEUE_FAILED_MESSAGE)
    with mock.patch.object(ranking, "enqueue_run", return_value=True):
        assert ranking.sweep() == [run.pk]


# --- Duplicate deliveries (issue 14, item 3) ---------------------------------------------


def _running(run: RankingRun, *, claimed_by: str, started_at=None, attempts: int = 1) -> None:
    RankingRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING,
        claimed_by=claimed_by,
        attempts=attempts,
        progress=ranking.PROGRESS_CLAIMED,
        started_at=started_at or timezone.now(),
    )


def _deliver(run: RankingRun, task_id: str) -> None:
    """One delivery of the run's task message, as a worker would execute it."""
    from planner.tasks import execute_ranking_run

    execute_ranking_run.apply(args=[run.pk], task_id=task_id)


def test_duplicate_deliveries_of_a_running_run_are_no_ops_and_not_attempts(council, three_items):
    run = _queued_run(council)
    _running(run, claimed_by="first-delivery")
    # A worker with concurrency 8 starts and takes the eight re-sent copies at once.
    for number in range(8):
        _deliver(run, f"duplicate-{number}")
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
    assert run.attempts == 1
    assert not run.entries.exists()
    # The delivery that claimed it finishes it, on its first attempt's count plus its own.
    _deliver(run, "first-delivery")
    _assert_done(run, attempts=2, entries=3)


def test_duplicate_delivery_of_a_done_run_is_not_an_attempt(council, three_items):
    run = _queued_run(council)
    _deliver(run, "first-delivery")
    for number in range(ranking.MAX_ATTEMPTS + 1):
        _deliver(run, f"duplicate-{number}")
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert run.attempts == 1
    assert run.claimed_by == "first-delivery"


def test_the_claiming_delivery_may_claim_its_running_run_again(council, three_items):
    # Its retry after a database error, or its redelivery after its worker was killed.
    run = _queued_run(council)
    _running(run, claimed_by="first-delivery")
    _deliver(run, "first-delivery")
    run.refresh_from_db()
    assert (run.status, run.attempts) == (RunStatus.DONE, 2)


def test_a_run_abandoned_past_the_time_limit_is_claimed_by_another_delivery(
    council, three_items, settings
):
    run = _queued_run(council)
    long_ago = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1)
    _running(run, claimed_by="lost-delivery", started_at=long_ago)
    _deliver(run, "sweep-delivery")
    run.refresh_from_db()
    assert (run.status, run.attempts, run.claimed_by) == (RunStatus.DONE, 2, "sweep-delivery")


def test_request_run_does_not_resend_a_run_sent_recently(
    council, django_capture_on_commit_callbacks
):
    run = _queued_run(council)
    RankingRun.objects.filter(pk=run.pk).update(
        requested_at=timezone.now() - timedelta(minutes=5), last_sent_at=timezone.now()
    )
    with django_capture_on_commit_callbacks() as callbacks:
        for _ in range(8):  # eight edits while the worker is down
            assert ranking.request_run(council=council) == run
    assert callbacks == []


def test_request_run_resends_an_overdue_run_last_sent_a_while_ago(
    council, django_capture_on_commit_callbacks, settings
):
    run = _queued_run(council)
    a_while_ago = timezone.now() - timedelta(seconds=settings.RANKING_RESEND_AFTER_SECONDS + 1)
    RankingRun.objects.filter(pk=run.pk).update(
        requested_at=timezone.now() - timedelta(minutes=5), last_sent_at=a_while_ago
    )
    with django_capture_on_commit_callbacks() as callbacks:
        ranking.request_run(council=council)
    assert len(callbacks) == 1


def test_enqueue_records_when_the_run_was_sent(council):
    run = _queued_run(council)
    with mock.patch("planner.tasks.execute_ranking_run.apply_async") as send:
        assert ranking.enqueue_run(run.pk) is True
    send.assert_called_once()
    run.refresh_from_db()
    assert run.last_sent_at is not None
    assert timezone.now() - run.last_sent_at < timedelta(seconds=5)


def test_a_failed_send_is_not_recorded_as_sent(council):
    run = _queued_run_whose_send_fails(council)
    assert run.last_sent_at is None


def test_sweep_skips_an_overdue_run_sent_recently(council):
    run = _queued_run(council)
    RankingRun.objects.filter(pk=run.pk).update(
        requested_at=timezone.now() - timedelta(hours=1), last_sent_at=timezone.now()
    )
    with mock.patch.object(ranking, "enqueue_run", return_value=True):
        assert ranking.sweep() == []


@pytest.mark.django_db(transaction=True)
def test_an_edit_joining_a_queued_run_holds_the_claim_until_it_commits(council, three_items):
    """The edit's transaction joins the queued run; a worker claiming that run before the
    edit commits would rank the old data, with nothing newer queued. So the claim waits."""
    needs_postgres()
    queued = _queued_run(council)
    claim_outcome: list[str] = []

    def claim_from_another_connection() -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '200ms'")
                ranking._claim(queued.pk, "delivery-1")
            claim_outcome.append("claimed")
        except OperationalError:
            claim_outcome.append("waited for the edit")
        finally:
            connection.close()

    with transaction.atomic():
        assert ranking.request_run(council=council).pk == queued.pk
        worker = threading.Thread(target=claim_from_another_connection)
        worker.start()
        worker.join()
    assert claim_outcome == ["waited for the edit"]
    queued.refresh_from_db()
    assert queued.status == RunStatus.QUEUED
    # Once the edit has committed, the worker claims the run as usual.
    assert ranking._claim(queued.pk, "delivery-1") is not None
