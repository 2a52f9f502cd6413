"""Ranking runs: asking for one, and (in execute_run) computing one.

Edits call `request_run` inside their transaction. The run is enqueued only when that
transaction commits, so a rolled-back edit queues nothing, and a burst of edits reuses
the one queued run (at most one queued plus the one running).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Max

from councils.models import Council
from planner.models import RankingRun, RunStatus

log = logging.getLogger(__name__)


def request_run(*, council: Council, requested_by=None) -> RankingRun:
    with transaction.atomic():
        # Lock the council row so two concurrent edits cannot both create a queued run.
        Council.objects.select_for_update().only("pk").get(pk=council.pk)
        queued = council.runs.filter(status=RunStatus.QUEUED).order_by("-generation").first()
        if queued is not None:
            return queued
        latest = council.runs.aggregate(latest=Max("generation"))["latest"] or 0
        run = RankingRun.objects.create(
            council=council, generation=latest + 1, requested_by=requested_by
        )
        transaction.on_commit(lambda: enqueue_run(run.pk))
    return run


def enqueue_run(run_id: int) -> bool:
    """Hand the run to Celery. If the broker is unreachable the run stays queued and the
    periodic sweep enqueues it later; the user's edit has already been saved."""
    from planner.tasks import execute_ranking_run

    try:
        execute_ranking_run.delay(run_id)
    except Exception:
        log.warning("Could not enqueue ranking run %s; the sweep will retry", run_id)
        return False
    return True


def latest_done_run(council: Council) -> RankingRun | None:
    """The ranking pages show: the highest generation that finished. A slow old run that
    finishes late can never hide a newer one, and a half-written run is never read."""
    return council.runs.filter(status=RunStatus.DONE).order_by("-generation").first()


def pending_or_failed_run(council: Council) -> RankingRun | None:
    """A run newer than the latest done one that is queued, running or failed, if any:
    what the progress indicator shows."""
    latest_done = latest_done_run(council)
    newer = council.runs.exclude(status=RunStatus.DONE).order_by("-generation")
    if latest_done is not None:
        newer = newer.filter(generation__gt=latest_done.generation)
    return newer.first()
