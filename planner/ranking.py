"""Ranking runs: asking for one, and (in execute_run) computing one.

Edits call `request_run` inside their transaction. The run is enqueued only when that
transaction commits, so a rolled-back edit queues nothing, and a burst of edits reuses
the one queued run (at most one queued plus the one running).

Which items are ranked: the council's items that are not archived and whose status is not
"done" (finished work no longer competes for capacity). Of those, an item missing a score on
any active criterion weighted above 0 is listed in the run's `needs_scoring`, never ranked as
zero. A criterion weighted 0 is collecting scores: missing it unranks nothing.

A run moves queued → running → done (or failed). `execute_run` loads and scores outside the
write transaction, committing `progress` between phases so the page can show movement, then
writes every entry and marks the run done in ONE transaction under a per-council lock. A run
that dies mid-way therefore leaves no entries, and executing the same run twice writes its
result once. See docs/adr/0002-ranking-runs.md.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from councils.models import Council
from planner import planning, rank_ranges, scoring
from planner.models import (
    BacklogItem,
    Criterion,
    ItemScore,
    RankedEntry,
    RankingRun,
    RunStatus,
    Status,
    WeightingProfile,
)
from planner.raw_rows import fetch_rows

log = logging.getLogger(__name__)

# Keep this many completed runs per council; published runs are kept whatever their age.
KEEP_DONE_RUNS = 20
# A run is given up after this many attempts (a poison run must not loop forever).
MAX_ATTEMPTS = 5
# Progress (percent) committed at the end of each phase, for the progress indicator.
PROGRESS_CLAIMED = 5
PROGRESS_LOADED = 35
PROGRESS_SCORED = 65
PROGRESS_DONE = 100
ENQUEUE_FAILED_MESSAGE = "The task queue could not be reached; the run will be queued again."
PROGRESS_PLANNED = 80
_COPY_COLUMNS = (
    "(run_id, item_id, score, rank, position, tied, contributions,"
    " start_quarter, end_quarter, horizon, schedule_reason, schedule_details)"
)


class RankingError(Exception):
    """A run that cannot succeed as the data stands (no profile, all weights zero...)."""


def request_run(*, council: Council, requested_by=None) -> RankingRun:
    with transaction.atomic():
        # Lock the council row so two concurrent edits cannot both create a queued run.
        Council.objects.select_for_update().only("pk").get(pk=council.pk)
        # Lock the queued run too: a worker claims it with an UPDATE, which now waits until
        # this edit commits, so the run it joins reads the edit. Unlocked, a claim landing
        # between this read and the commit ranked the old data and nothing newer was queued.
        queued = (
            live_runs(council)
            .select_for_update()
            .filter(status=RunStatus.QUEUED)
            .order_by("-generation")
            .first()
        )
        if queued is not None:
            if _is_overdue(queued) and not _sent_recently(queued):
                # The broker was probably down when it was asked for: this edit re-sends it,
                # at most once per RANKING_RESEND_AFTER_SECONDS however many edits arrive.
                transaction.on_commit(lambda: enqueue_run(queued.pk))
            return queued
        latest = council.runs.aggregate(latest=Max("generation"))["latest"] or 0
        run = RankingRun.objects.create(
            council=council, generation=latest + 1, requested_by=requested_by
        )
        transaction.on_commit(lambda: enqueue_run(run.pk))
    return run


def enqueue_run(run_id: int) -> bool:
    """Hand the run to Celery. If the broker is unreachable the run stays queued and the
    periodic sweep enqueues it later; the user's edit has already been saved.

    No retry here: the user is waiting for the page, and the broker transport's connect and
    socket timeouts (settings: CELERY_BROKER_TRANSPORT_OPTIONS) bound one attempt to well
    under a second even when Redis accepts the connection but never answers (frozen)."""
    from planner.tasks import execute_ranking_run

    try:
        execute_ranking_run.apply_async(args=[run_id], retry=False)
    except Exception:
        log.warning("Could not enqueue ranking run %s; the sweep will retry", run_id)
        try:
            RankingRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
                error=ENQUEUE_FAILED_MESSAGE
            )
        except Exception:  # the page's "delayed" wording also follows the run's age
            log.exception("Could not record the enqueue failure of run %s", run_id)
        return False
    try:
        RankingRun.objects.filter(pk=run_id).update(last_sent_at=timezone.now())
    except Exception:  # sent all the same; at worst it is re-sent once more
        log.exception("Could not record the sending of run %s", run_id)
    return True


def live_runs(council: Council) -> QuerySet[RankingRun]:
    """The council's own ranking runs: never a weighting option's (compared, never live)."""
    return council.runs.filter(option__isnull=True)


def latest_done_run(council: Council) -> RankingRun | None:
    """The ranking pages show: the highest generation that finished. A slow old run that
    finishes late can never hide a newer one, and a half-written run is never read."""
    return live_runs(council).filter(status=RunStatus.DONE).order_by("-generation").first()


def request_option_run(*, option: WeightingProfile, requested_by=None) -> RankingRun:
    """Queue a run ranking with a saved option's weights (reusing one already queued for
    it). It shares the council's generation numbers but is never the live ranking."""
    with transaction.atomic():
        council = Council.objects.select_for_update().only("pk").get(pk=option.council_id)
        queued = (
            RankingRun.objects.select_for_update()
            .filter(option=option, status=RunStatus.QUEUED)
            .first()
        )
        if queued is not None:
            return queued
        latest = council.runs.aggregate(latest=Max("generation"))["latest"] or 0
        run = RankingRun.objects.create(
            council=council, generation=latest + 1, requested_by=requested_by, option=option
        )
        transaction.on_commit(lambda: enqueue_run(run.pk))
    return run


def pending_or_failed_run(council: Council) -> RankingRun | None:
    """A run newer than the latest done one that is queued, running or failed, if any:
    what the progress indicator shows."""
    latest_done = latest_done_run(council)
    newer = live_runs(council).exclude(status=RunStatus.DONE).order_by("-generation")
    if latest_done is not None:
        newer = newer.filter(generation__gt=latest_done.generation)
    return newer.first()


def _is_overdue(run: RankingRun) -> bool:
    after = timedelta(seconds=settings.RANKING_DELAYED_AFTER_SECONDS)
    return run.requested_at is not None and timezone.now() - run.requested_at > after


def _sent_recently(run: RankingRun) -> bool:
    window = timedelta(seconds=settings.RANKING_RESEND_AFTER_SECONDS)
    return run.last_sent_at is not None and timezone.now() - run.last_sent_at < window


def run_now(
    *, council: Council, requested_by=None, option: WeightingProfile | None = None
) -> RankingRun:
    """Create a run (of `option`, if given) and compute it in this process, with no broker
    (seeding, commands)."""
    with transaction.atomic():
        Council.objects.select_for_update().only("pk").get(pk=council.pk)
        latest = council.runs.aggregate(latest=Max("generation"))["latest"] or 0
        run = RankingRun.objects.create(
            council=council, generation=latest + 1, requested_by=requested_by, option=option
        )
    if execute_run(run_id=run.pk, ranges_later=False) is not None:
        rank_ranges.fill_run(run.pk)
    run.refresh_from_db()
    return run


# --- Computing a run --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RankingInput:
    """Everything one run needs, loaded in a fixed number of queries."""

    profile_id: int | None
    profile_name: str
    method: str
    weights: dict[str, float]
    criteria: list[scoring.CriterionInput]
    criteria_snapshot: list[dict[str, Any]]
    items: list[scoring.ItemInput]
    # Criteria scored by hand and weighted above 0: an item missing one of these needs
    # scoring; an item missing only a criterion derived from the estimate needs an estimate.
    hand_scored: frozenset[int] = frozenset()
    # An option's (schedule mode, discount per quarter); None plans as the active profile does.
    schedule: tuple[str, float] | None = None


def execute_run(
    *, run_id: int, delivery: str | None = None, ranges_later: bool = True
) -> RankingRun | None:
    """Compute one run. Safe to call twice, or after a worker died part-way through.

    `delivery` is the Celery task id of the message being executed (None when called
    directly, e.g. by run_now). Returns the run when this call finished it, None when there
    was nothing to do (already done or failed, running under another delivery, or gone).
    Raises RankingError after marking the run failed when the data cannot be ranked;
    database errors propagate so the task can retry them. With `ranges_later`, the run's
    rank ranges are enqueued as a second task once the finished run has committed, so the
    live ranking never waits for them.
    """
    run = _claim(run_id, delivery)
    if run is None:
        return None
    try:
        data = load_input(council_id=run.council_id, option_id=run.option_id)
        _set_progress(run_id, PROGRESS_LOADED)
        result = rank(data)
        _set_progress(run_id, PROGRESS_SCORED)
        plan = plan_for(council_id=run.council_id, result=result, schedule=data.schedule)
    except RankingError as error:
        mark_failed(run_id=run_id, reason=str(error))
        raise
    _set_progress(run_id, PROGRESS_PLANNED)
    with transaction.atomic():
        _lock_council(run.council_id)
        # Re-read under the lock: another delivery of this run may have finished it.
        run = RankingRun.objects.select_for_update().get(pk=run_id)
        if run.status != RunStatus.RUNNING:
            return None
        # A worker killed mid-write left nothing (its transaction rolled back); this is
        # belt and braces for rows written by any other path.
        RankedEntry.objects.filter(run_id=run_id).delete()
        write_entries(run_id=run_id, result=result, plan=plan)
        if settings.RANKING_TEST_DELAY_SECONDS:
            # Test hook: hold the run open with its entries written but not committed.
            time.sleep(settings.RANKING_TEST_DELAY_SECONDS)
        run.status = RunStatus.DONE
        run.progress = PROGRESS_DONE
        run.profile_id = data.profile_id
        run.profile_name = data.profile_name
        run.method = data.method
        run.weights_snapshot = data.weights
        run.criteria_snapshot = data.criteria_snapshot
        run.needs_scoring = _missing_hand_scores(data, result.needs_scoring)
        run.needs_estimate = plan.needs_estimate
        run.schedule_mode = plan.mode
        run.plan = plan.totals
        run.item_count = len(result.ranked)
        run.finished_at = timezone.now()
        run.error = ""
        run.save()
        if ranges_later:
            transaction.on_commit(lambda: rank_ranges.enqueue(run_id))
    # Housekeeping after the commit keeps the lock short; if it is lost, the next run prunes.
    prune_runs(council_id=run.council_id)
    return run


def _claim(run_id: int, delivery: str | None = None) -> RankingRun | None:
    """queued → running (or running → running again, after a lost worker), attempts + 1.

    A running run is claimed again only by the delivery that claimed it (its own retry, or
    Redis handing its message out again after its worker died), or once it has been running
    past the hard time limit (no live worker can still be on it: the sweep's re-send). Any
    other delivery of a running run is a duplicate, a no-op that is not an attempt: a worker
    starting with eight re-sent copies in its queue must not use up the run's attempts.
    A direct call (no delivery) may claim any queued or running run, as before.
    """
    now = timezone.now()
    claimable = Q(status=RunStatus.QUEUED)
    if delivery is None:
        claimable |= Q(status=RunStatus.RUNNING)
    else:
        abandoned_before = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
        claimable |= Q(status=RunStatus.RUNNING) & (
            Q(claimed_by=delivery) | Q(started_at__isnull=True) | Q(started_at__lt=abandoned_before)
        )
    claimed = RankingRun.objects.filter(claimable, pk=run_id).update(
        status=RunStatus.RUNNING,
        attempts=F("attempts") + 1,
        started_at=now,
        progress=PROGRESS_CLAIMED,
        error="",
        claimed_by=delivery or "",
    )
    if not claimed:
        return None
    run = RankingRun.objects.only("pk", "council_id", "attempts", "option_id").get(pk=run_id)
    if run.attempts > MAX_ATTEMPTS:
        mark_failed(run_id=run_id, reason=f"Gave up after {MAX_ATTEMPTS} attempts.")
        return None
    return run


def _set_progress(run_id: int, progress: int) -> None:
    RankingRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(progress=progress)


def _lock_council(council_id: int) -> None:
    """Serialise run writes per council. Transaction-scoped: released on commit, rollback or
    a dropped connection, so a killed worker never leaves it held. SQLite has one writer."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [council_id])


def mark_failed(*, run_id: int, reason: str) -> None:
    """Record why a run failed; a done run is never turned into a failed one."""
    RankingRun.objects.filter(pk=run_id, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).update(
        status=RunStatus.FAILED, error=reason[:2000], finished_at=timezone.now()
    )


def load_input(
    *,
    council_id: int,
    method: str | None = None,
    weights: dict[str, float] | None = None,
    only_items: QuerySet[Any, Any] | None = None,
    option_id: int | None = None,
) -> RankingInput:
    """Five queries whatever the backlog size, in one consistent snapshot.

    With `method` and `weights` (the weightings preview) those replace the active profile's.
    With `only_items` (a queryset of item ids) only those of the rankable items are loaded.
    With `option_id` (an option's run) the option's method, weights and schedule mode do.
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        return _load(council_id, method, weights, only_items, option_id)


def rankable_items(council_id: int) -> QuerySet[BacklogItem]:
    """The items a run ranks: not archived and not done (see the module docstring)."""
    return BacklogItem.objects.filter(council_id=council_id, archived=False).exclude(
        status=Status.DONE
    )


def _load(
    council_id: int,
    method: str | None,
    weights: dict | None,
    only_items: QuerySet[Any, Any] | None = None,
    option_id: int | None = None,
) -> RankingInput:
    chosen = Q(pk=option_id, is_option=True) if option_id else Q(is_active=True)
    profile = (
        WeightingProfile.objects.filter(chosen, council_id=council_id)
        .values_list("pk", "name", "method", "weights", "schedule_mode", "value_discount_percent")
        .first()
    )
    if profile is None and option_id:
        raise RankingError("The weighting option has been deleted.")
    if profile is None and (method is None or weights is None):
        raise RankingError("The council has no active weighting profile.")
    profile_id, profile_name, profile_method, profile_weights, mode, discount = profile or (
        (None, "", "", {}, "", 0)
    )
    schedule = (mode, float(discount) / 100) if option_id else None
    method = method or profile_method
    weights = profile_weights if weights is None else weights
    rows_with_derived = list(
        Criterion.objects.filter(council_id=council_id, active=True)
        .order_by("position", "pk")
        .values_list("pk", "key", "name", "direction", "derived_from_estimate")
    )
    criteria_rows = [
        (pk, key, name, direction) for pk, key, name, direction, _ in rows_with_derived
    ]
    criteria = [
        scoring.CriterionInput(
            id=pk, key=key, direction=direction, weight=_weight(weights, pk, name)
        )
        for pk, key, name, direction in criteria_rows
    ]
    if not criteria:
        raise RankingError("The council has no active criteria to score against.")
    weighted = {criterion.id for criterion in criteria if criterion.weight}
    hand_scored = frozenset(
        row[0] for row in rows_with_derived if not row[4] and row[0] in weighted
    )
    if not any(criterion.weight for criterion in criteria):
        raise RankingError("Every criterion is weighted 0; give at least one a weight.")
    snapshot = [
        {"id": pk, "key": key, "name": name, "direction": direction, "weight": c.weight}
        for (pk, key, name, direction), c in zip(criteria_rows, criteria, strict=True)
    ]
    rankable = rankable_items(council_id)
    if only_items is not None:
        rankable = rankable.filter(pk__in=only_items)
    # Only the order of creation matters (earlier wins a tie, then lower id), so each item's
    # place in that order stands in for its timestamp: no datetime parsing per item.
    item_ids = list(rankable.order_by("created_at", "pk").values_list("pk", flat=True))
    scores: dict[int, dict[int, int]] = {pk: {} for pk in item_ids}
    score_rows = (
        ItemScore.objects.filter(
            item__council_id=council_id,
            item__archived=False,
            criterion_id__in=[criterion.id for criterion in criteria],
        )
        .exclude(item__status=Status.DONE)
        .values_list("item_id", "criterion_id", "value")
    )
    if only_items is not None:
        score_rows = score_rows.filter(item_id__in=only_items)
    for item_id, criterion_id, value in fetch_rows(score_rows):
        item_scores = scores.get(item_id)
        if item_scores is not None:  # an item added since the first query waits its turn
            item_scores[criterion_id] = value
    items = [
        scoring.ItemInput(id=pk, created=float(order), scores=scores[pk])
        for order, pk in enumerate(item_ids)
    ]
    return RankingInput(
        profile_id=profile_id,
        profile_name=profile_name,
        method=method,
        weights={str(c.id): c.weight for c in criteria},
        criteria=criteria,
        criteria_snapshot=snapshot,
        items=items,
        hand_scored=hand_scored,
        schedule=schedule,
    )


def _weight(weights: dict, criterion_id: int, name: str) -> float:
    value = weights.get(str(criterion_id), 0)
    try:
        weight = float(value)
    except (TypeError, ValueError):
        raise RankingError(f"The weight for {name} is not a number.") from None
    if not 0 <= weight <= 100:  # also rejects NaN
        raise RankingError(f"The weight for {name} must be between 0 and 100.")
    return weight


def rank(data: RankingInput) -> scoring.RankingResult:
    try:
        return scoring.rank_items(data.items, data.criteria, data.method)
    except ValueError as error:
        raise RankingError(f"The backlog could not be ranked: {error}") from error


def plan_for(
    *,
    council_id: int,
    result: scoring.RankingResult,
    schedule: tuple[str, float] | None = None,
) -> planning.RunPlan:
    """The delivery plan of a ranking, computed here on the worker and stored with it."""
    try:
        return planning.plan_run(
            council_id=council_id,
            ranked=[(entry.item_id, entry.position, entry.score) for entry in result.ranked],
            unranked_ids=result.needs_scoring,
            mode_and_discount=schedule,
        )
    except ValueError as error:
        raise RankingError(f"The delivery plan could not be built: {error}") from error


def _missing_hand_scores(data: RankingInput, needs_scoring: list[int]) -> list[int]:
    """The items that still need a score by hand (not only an estimate)."""
    scores = {item.id: item.scores for item in data.items}
    return [
        item_id
        for item_id in needs_scoring
        if any(criterion not in scores[item_id] for criterion in data.hand_scored)
    ]


def write_entries(
    *, run_id: int, result: scoring.RankingResult, plan: planning.RunPlan | None = None
) -> None:
    """All entries in one statement on PostgreSQL (COPY); batched inserts elsewhere."""
    if not result.ranked:
        return
    planned = plan.entries if plan else {}
    if connection.vendor == "postgresql":
        _copy_entries(run_id, result.ranked, planned)
        return
    RankedEntry.objects.bulk_create(
        (
            ranked_entry(run_id=run_id, entry=entry, planned=planned.get(entry.item_id))
            for entry in result.ranked
        ),
        batch_size=500,
    )


def ranked_entry(
    *, run_id: int, entry: scoring.RankedItem, planned: planning.PlannedEntry | None = None
) -> RankedEntry:
    """One ranked item as an unsaved entry of the run."""
    planned = planned or planning.UNPLANNED
    return RankedEntry(
        run_id=run_id,
        item_id=entry.item_id,
        score=f"{entry.score:.2f}",
        rank=entry.rank,
        position=entry.position,
        tied=entry.tied,
        contributions={str(k): v for k, v in entry.contributions.items()},
        start_quarter=planned.start_quarter,
        end_quarter=planned.end_quarter,
        horizon=planned.horizon,
        schedule_reason=planned.reason,
        schedule_details=planned.details,
    )


def _copy_field(value: int | None) -> str:
    return r"\N" if value is None else str(value)


def _copy_json(value: dict[str, Any]) -> str:
    # COPY's text format reads backslashes as escapes, so JSON's own escapes are doubled.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("\\", "\\\\")


def _copy_entries(
    run_id: int, ranked: list[scoring.RankedItem], planned: dict[int, planning.PlannedEntry]
) -> None:
    # COPY's text format, one %-format per row. Every entry has a contribution for every
    # active criterion, in the same order; %r of a float is exactly what json.dumps writes,
    # at a fraction of its cost (json.dumps takes a slow path for integer keys).
    criterion_ids = tuple(ranked[0].contributions)
    if len(criterion_ids) == 1:
        only = criterion_ids[0]

        def only_contribution(contributions: dict[int, float]) -> tuple[float, ...]:
            return (contributions[only],)

        contributions_of: Callable[[dict[int, float]], tuple[float, ...]] = only_contribution
    else:
        # itemgetter of several keys returns their tuple, as the function above does.
        contributions_of = itemgetter(*criterion_ids)
    as_json = "{" + ", ".join(f'"{criterion_id}": %r' for criterion_id in criterion_ids) + "}"
    row = f"{run_id}\t%d\t%.2f\t%d\t%d\t%s\t{as_json}\t%s\n"
    # The plan's part of a row, encoded once per distinct PlannedEntry: planning shares one
    # object between the many entries with the same place and reason.
    tails: dict[int, str] = {}
    unplanned = planning.UNPLANNED
    get_plan = planned.get
    lines = []
    for entry in ranked:
        plan = get_plan(entry.item_id, unplanned)
        tail = tails.get(id(plan))
        if tail is None:
            tail = tails[id(plan)] = "\t".join(
                (
                    _copy_field(plan.start_quarter),
                    _copy_field(plan.end_quarter),
                    plan.horizon,
                    plan.reason,
                    _copy_json(plan.details),
                )
            )
        lines.append(
            row
            % (
                (entry.item_id, entry.score, entry.rank, entry.position, "t" if entry.tied else "f")
                + contributions_of(entry.contributions)
                + (tail,)
            )
        )
    text = "".join(lines)
    copy_sql = f"COPY {RankedEntry._meta.db_table} {_COPY_COLUMNS} FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
        copy.write(text)


def prune_runs(*, council_id: int, keep: int = KEEP_DONE_RUNS) -> int:
    """Delete finished live runs older than the newest `keep` done ones, except published
    runs (PublishedPlan PROTECTs its run), and every finished run of a weighting option
    older than its latest done one. Returns how many runs were deleted."""
    live_done = RankingRun.objects.filter(
        council_id=council_id, status=RunStatus.DONE, option__isnull=True
    )
    # The generation of the oldest live run kept (NULL, so nothing older, with fewer runs).
    oldest_kept = live_done.order_by("-generation").values("generation")[keep - 1 : keep]
    newer_of_same_option = RankingRun.objects.filter(
        option=OuterRef("option"), status=RunStatus.DONE, generation__gt=OuterRef("generation")
    )
    stale = RankingRun.objects.filter(
        Q(option__isnull=True, generation__lt=Subquery(oldest_kept), plans__isnull=True)
        | Q(Exists(newer_of_same_option), option__isnull=False),
        council_id=council_id,
        status__in=[RunStatus.DONE, RunStatus.FAILED],
    )
    stale_ids = list(stale.values_list("pk", flat=True))
    if not stale_ids:
        return 0
    # Entries first, in one statement, rather than the ORM's cascade collecting them.
    RankedEntry.objects.filter(run_id__in=stale_ids).delete()
    RankingRun.objects.filter(pk__in=stale_ids).delete()
    return len(stale_ids)


# --- The sweep --------------------------------------------------------------------------


def sweep(*, now=None) -> list[int]:
    """Re-send runs that were asked for but never reached a worker (the broker was down when
    the edit saved), and runs left "running" by a worker that vanished. Enqueueing is safe to
    repeat: a run already done ignores the message. Returns the ids sent."""
    now = now or timezone.now()
    queued_before = now - timedelta(seconds=settings.RANKING_DELAYED_AFTER_SECONDS)
    # Past the hard time limit, a "running" run has no live worker behind it.
    running_before = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 30)
    # A run handed to the broker recently is waiting for a worker: sending it again would
    # only queue a duplicate (harmless, but each one costs a worker a claim query).
    sent_before = now - timedelta(seconds=settings.RANKING_RESEND_AFTER_SECONDS)
    not_sent_recently = Q(last_sent_at__isnull=True) | Q(last_sent_at__lt=sent_before)
    run_ids = RankingRun.objects.filter(
        (
            Q(status=RunStatus.QUEUED, requested_at__lt=queued_before)
            | Q(status=RunStatus.QUEUED, error=ENQUEUE_FAILED_MESSAGE)
        )
        & not_sent_recently
        | Q(status=RunStatus.RUNNING, started_at__lt=running_before)
    ).values_list("pk", flat=True)
    return [run_id for run_id in sorted(run_ids) if enqueue_run(run_id)]
