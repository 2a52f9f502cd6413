"""Ranking through a real Celery worker process and a real Redis broker."""

from __future__ import annotations

import time

from django.db import transaction
from django.test import Client
from django.urls import reverse

from councils.models import Role
from planner import ranking
from planner.models import RankedEntry, RankingRun, RunStatus
from tests.factories import (
    MembershipFactory,
    UserFactory,
)
from tests.integration.conftest import council_with_items, set_broker, wait_for

CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"


def _status(run: RankingRun) -> str:
    return RankingRun.objects.values_list("status", flat=True).get(pk=run.pk)


def _entries(run: RankingRun) -> list[tuple]:
    return list(
        RankedEntry.objects.filter(run=run)
        .order_by("position")
        .values_list("item_id", "score", "rank", "position", "tied", "contributions")
    )


def _request(council) -> RankingRun:
    with transaction.atomic():
        return ranking.request_run(council=council)


def test_worker_process_completes_a_requested_run(start_worker):
    council = council_with_items(12)
    start_worker()
    run = _request(council)
    wait_for(lambda: _status(run) == RunStatus.DONE, timeout=60, message="run never finished")
    assert RankedEntry.objects.filter(run=run).count() == 12
    assert ranking.latest_done_run(council) == run


def test_worker_killed_mid_run_is_redone_with_exactly_the_clean_result(start_worker, settings):
    council = council_with_items(12)
    visibility = 8
    # Time limits stay below the visibility timeout, as in production.
    limits = {
        "CELERY_VISIBILITY_TIMEOUT": str(visibility),
        "CELERY_TASK_SOFT_TIME_LIMIT": "5",
        "CELERY_TASK_TIME_LIMIT": "6",
    }
    doomed = start_worker(RANKING_TEST_DELAY_SECONDS="60", **limits)
    run = _request(council)
    # The run sleeps inside its write transaction, entries written but not committed.
    wait_for(
        lambda: RankingRun.objects.get(pk=run.pk).progress >= ranking.PROGRESS_SCORED,
        timeout=60,
        message="the first worker never reached the write phase",
    )
    delivered_at = time.monotonic()
    time.sleep(1)
    doomed.kill()

    assert _status(run) == RunStatus.RUNNING
    assert not RankedEntry.objects.filter(run=run).exists()

    # Redis hands the unacknowledged message out again once the visibility timeout has
    # passed; a worker restores such messages when it starts.
    time.sleep(max(0.0, delivered_at + visibility + 1 - time.monotonic()))
    start_worker(**limits)
    wait_for(lambda: _status(run) == RunStatus.DONE, timeout=90, message="run never redone")

    run.refresh_from_db()
    assert run.attempts == 2
    recovered = _entries(run)
    assert len(recovered) == len({entry[0] for entry in recovered}) == 12

    settings.RANKING_TEST_DELAY_SECONDS = 0
    clean = RankingRun.objects.create(council=council, generation=run.generation + 1)
    ranking.execute_run(run_id=clean.pk)
    assert recovered == _entries(clean)


def test_edit_saved_while_redis_is_down_is_ranked_once_redis_is_back(
    start_worker, broker, redis_url, django_capture_on_commit_callbacks
):
    council = council_with_items(3)
    admin = UserFactory(username="integration-admin")
    MembershipFactory(user=admin, council=council, role=Role.ADMIN)
    client = Client()
    client.force_login(admin)
    profile = council.profiles.get(is_active=True)
    data = {"name": profile.name, "method": "wsjf", "version": str(profile.version)}
    data.update({f"weight_{key}": str(value) for key, value in profile.weights.items()})

    set_broker(broker, CLOSED_PORT_BROKER)
    started = time.monotonic()
    response = client.post(reverse("weightings", args=[council.slug]), data)
    elapsed = time.monotonic() - started
    assert response.status_code == 302
    assert elapsed < 5
    profile.refresh_from_db()
    assert profile.method == "wsjf"
    page = client.get(reverse("weightings", args=[council.slug])).content.decode()
    assert "Ranking is delayed" in page
    run = council.runs.get()
    assert run.status == RunStatus.QUEUED

    set_broker(broker, redis_url)
    start_worker()
    from planner.tasks import sweep_rankings

    sweep_rankings.delay()  # what celery beat sends every RANKING_SWEEP_SECONDS
    wait_for(lambda: _status(run) == RunStatus.DONE, timeout=60, message="sweep never ran it")
    run.refresh_from_db()
    assert run.method == "wsjf"
    page = client.get(reverse("weightings", args=[council.slug])).content.decode()
    assert "Ranking is delayed" not in page


def test_stale_run_finishing_after_a_newer_one_never_replaces_it(start_worker):
    council = council_with_items(12)
    start_worker()
    older = RankingRun.objects.create(council=council, generation=1)
    newer = RankingRun.objects.create(council=council, generation=2)
    ranking.enqueue_run(newer.pk)
    wait_for(lambda: _status(newer) == RunStatus.DONE, timeout=60, message="newer never ran")
    shown = _entries(newer)

    # The older run now finishes late, and against different weights.
    profile = council.profiles.get(is_active=True)
    profile.method = "rice"
    profile.save()
    ranking.enqueue_run(older.pk)
    wait_for(lambda: _status(older) == RunStatus.DONE, timeout=60, message="older never ran")

    assert _entries(older) != shown
    assert ranking.latest_done_run(council) == newer
    assert ranking.pending_or_failed_run(council) is None
