"""The Celery tasks stay thin: retries, failure reasons and the sweep, run eagerly."""

from __future__ import annotations

from unittest import mock

from django.db import OperationalError

from planner import rank_ranges, ranking, tasks
from planner.models import RankingRun, RunStatus


def _run(council) -> RankingRun:
    return RankingRun.objects.create(council=council, generation=1)


def test_ranking_task_settings_survive_a_lost_worker():
    task = tasks.execute_ranking_run
    assert task.acks_late is True
    assert task.reject_on_worker_lost is True
    assert task.serializer == "json"
    assert OperationalError in task.autoretry_for
    assert task.max_retries == tasks.MAX_RETRIES


def test_task_calls_the_ranking_service(council):
    run = _run(council)
    tasks.execute_ranking_run.delay(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE


def test_transient_database_error_is_retried_then_succeeds(council):
    run = _run(council)
    real = ranking.execute_run
    calls = []

    def flaky(*, run_id, delivery=None):
        calls.append(run_id)
        if len(calls) == 1:
            raise OperationalError("connection reset")
        return real(run_id=run_id, delivery=delivery)

    with mock.patch.object(ranking, "execute_run", side_effect=flaky):
        tasks.execute_ranking_run.delay(run.pk)
    run.refresh_from_db()
    assert len(calls) == 2
    assert run.status == RunStatus.DONE


def test_run_is_marked_failed_after_the_last_retry(council):
    run = _run(council)
    with mock.patch.object(
        ranking, "execute_run", side_effect=OperationalError("database is down")
    ) as execute:
        tasks.execute_ranking_run.delay(run.pk)
    run.refresh_from_db()
    assert execute.call_count == tasks.MAX_RETRIES + 1
    assert run.status == RunStatus.FAILED
    assert "database was unavailable" in run.error


def test_unexpected_error_fails_the_run_with_its_reason(council):
    run = _run(council)
    with mock.patch.object(ranking, "rank", side_effect=ZeroDivisionError("oops")):
        tasks.execute_ranking_run.delay(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "ZeroDivisionError" in run.error


def test_unrankable_data_fails_without_retrying(council):
    council.profiles.update(is_active=False)
    run = _run(council)
    with mock.patch.object(ranking, "execute_run", wraps=ranking.execute_run) as execute:
        tasks.execute_ranking_run.delay(run.pk)
    run.refresh_from_db()
    assert execute.call_count == 1
    assert run.status == RunStatus.FAILED


def test_sweep_task_calls_the_sweep_service():
    with (
        mock.patch.object(ranking, "sweep", return_value=[3]) as sweep,
        mock.patch.object(rank_ranges, "sweep", return_value=[]),  # tested on its own
    ):
        assert tasks.sweep_rankings.apply().result == [3]
    sweep.assert_called_once_with()


def test_beat_schedule_runs_the_sweep(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-missing-rankings"]
    assert entry["task"] == tasks.sweep_rankings.name
