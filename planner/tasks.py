"""Thin Celery tasks: take ids, call one service."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="planner.tasks.execute_ranking_run", acks_late=True, reject_on_worker_lost=True)
def execute_ranking_run(run_id: int) -> None:
    from planner import ranking

    ranking.execute_run(run_id=run_id)
