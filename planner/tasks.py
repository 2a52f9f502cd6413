"""Thin Celery tasks: take ids, call one service."""

from __future__ import annotations

import logging

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError

log = logging.getLogger(__name__)

# Transient database trouble (a restart, a failover, a dropped connection) is retried with
# exponential backoff; anything else fails the run at once with its reason.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
MAX_RETRIES = 4


class RankingTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        """The last attempt failed: say why on the run, so the page can offer "Try again"."""
        from planner import ranking

        run_id = kwargs.get("run_id", args[0] if args else None)
        if run_id is None:
            return
        reason = str(exc) if isinstance(exc, ranking.RankingError) else _reason(exc)
        try:
            ranking.mark_failed(run_id=run_id, reason=reason)
        except Exception:  # the database may still be down; the sweep re-sends the run
            log.exception("Could not mark ranking run %s failed", run_id)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TRANSIENT_ERRORS):
        return f"The database was unavailable after {MAX_RETRIES} retries ({type(exc).__name__})."
    return f"The ranking stopped with an unexpected error ({type(exc).__name__}: {exc})."


@shared_task(
    name="planner.tasks.execute_ranking_run",
    base=RankingTask,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
    serializer="json",
    bind=True,
)
def execute_ranking_run(self, run_id: int) -> None:
    from planner import ranking

    try:
        # The task id is the same for this message's retries and redeliveries, and differs
        # between copies sent separately: it tells a duplicate from this delivery's retry.
        ranking.execute_run(run_id=run_id, delivery=self.request.id)
    except ranking.RankingError:
        # Already marked failed with its reason; retrying cannot help.
        log.info("Ranking run %s failed: the data cannot be ranked as it stands", run_id)


@shared_task(name="planner.tasks.sweep_rankings", acks_late=True, serializer="json")
def sweep_rankings() -> list[int]:
    """Celery beat runs this every RANKING_SWEEP_SECONDS: re-sends runs the broker never got."""
    from planner import rank_ranges, ranking

    sent = ranking.sweep()
    # Ranges whose message was lost: pages say "working out" until these land.
    rank_ranges.sweep()
    return sent


@shared_task(
    name="planner.tasks.compute_rank_ranges",
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
    serializer="json",
)
def compute_rank_ranges(run_id: int) -> bool:
    """A done run's rank ranges (SMAA-2), after the live ranking has been published."""
    from planner import rank_ranges

    return rank_ranges.fill_run(run_id)
