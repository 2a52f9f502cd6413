"""Rank ranges for a finished ranking run: load what planner.robustness needs, call it, and
write the results onto the run's entries in one statement.

Runs on the worker as a second task after the ranking (planner.tasks.compute_rank_ranges),
so the live ranking is never held up by it; run_now (seeding, commands) computes it inline.
Safe to repeat (it overwrites with the same values: the seed is the run's id) and safe if the
run was pruned meanwhile (nothing to do). See /work/shared/PLANNING.md, "Rank ranges".

What p_now models (stated on the method page and in the method CSV): in each sample the
items are taken in that sample's rank order into the plan's first quarter (Now), each taking
its effort, until the first one that no longer fits. The capacity is the first quarter's,
less the work under way already committed to it. Work under way and pinned items keep the
place the plan gave them; items that are parked or have no effort estimate never land in Now
by this reckoning; dependencies and budgets are not modelled in the samples.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from planner import planning, robustness, schedule, scoring
from planner.models import Criterion, Horizon, ItemScore, RankedEntry, RankingRun, RunStatus
from planner.schedule import COMMITTED, PINNED

log = logging.getLogger(__name__)

SAMPLES = robustness.DEFAULT_SAMPLES
DEFAULT_BAND_PERCENT = 25
# A missing Confidence score reads as full confidence: the item's scores do not move.
NO_NOISE_CONFIDENCE = 5
# The plan keeps these where it put them; the samples do not move them in or out of Now.
_FIXED_REASONS = frozenset({COMMITTED, PINNED})


@dataclass(frozen=True, slots=True)
class RangesInput:
    """A run's entries in position order, with everything robustness.rank_ranges takes."""

    entry_ids: list[int]
    criteria: list[scoring.CriterionInput]
    method: str
    values: np.ndarray
    confidence: np.ndarray
    efforts: np.ndarray | None
    capacity: float | None
    # Per entry: None when the samples decide, else the plan's own answer (in Now or not).
    fixed_now: list[bool | None]
    band_percent: int


def band_percent(run: RankingRun) -> int:
    """The weight band of the profile (or option) the run ranked with; 25 when it is gone."""
    profile = run.option or run.profile
    return DEFAULT_BAND_PERCENT if profile is None else int(profile.weight_band_percent)


def sampled_band_percent(run: RankingRun) -> int:
    """The band the run's rank ranges were sampled with, as recorded; the profile's band
    before they are worked out. Every figure shown beside the ranges uses it."""
    recorded = (run.robustness or {}).get("band")
    return int(recorded) if isinstance(recorded, int | float) else band_percent(run)


def load(run: RankingRun) -> RangesInput:
    """Five queries whatever the run's size: entries, confidence criterion, scores, item
    facts (effort), and the profile."""
    rows = list(
        RankedEntry.objects.filter(run_id=run.pk)
        .order_by("position")
        .values_list("pk", "item_id", "horizon", "schedule_reason")
    )
    criteria, values, confidence = _scores(run, [item_id for _pk, item_id, _h, _r in rows])
    efforts, capacity, fixed_now = _now_inputs(run, rows)
    return RangesInput(
        entry_ids=[pk for pk, *_rest in rows],
        criteria=criteria,
        method=run.method or scoring.WEIGHTED_SUM,
        values=values,
        confidence=confidence,
        efforts=efforts,
        capacity=capacity,
        fixed_now=fixed_now,
        band_percent=band_percent(run),
    )


def _criteria_and_values(
    run: RankingRun, item_ids: list[int]
) -> tuple[list[scoring.CriterionInput], np.ndarray]:
    criteria, values, _confidence = _scores(run, item_ids, with_confidence=False)
    return criteria, values


def _scores(
    run: RankingRun, item_ids: list[int], *, with_confidence: bool = True
) -> tuple[list[scoring.CriterionInput], np.ndarray, np.ndarray]:
    """The run's criteria (from its snapshot, in its order), the items' scores (items in the
    order given × criteria) and each item's Confidence score. Two queries."""
    criteria = [
        scoring.CriterionInput(
            id=int(c["id"]),
            key=str(c["key"]),
            direction=str(c["direction"]),
            weight=float(c["weight"] or 0),
        )
        for c in run.scored_criteria()
    ]
    column = {c.id: i for i, c in enumerate(criteria)}
    row_of = {item_id: i for i, item_id in enumerate(item_ids)}
    confidence_id = None
    if with_confidence:
        confidence_id = (
            Criterion.objects.filter(council_id=run.council_id, key=scoring.CONFIDENCE_KEY)
            .values_list("pk", flat=True)
            .first()
        )
    # Missing scores read as the scale's lowest value, as scoring does for criteria weighted
    # 0 (a ranked item has every weighted criterion's score).
    lowest = np.array([c.scale_min for c in criteria], dtype=np.float64)
    values = np.tile(lowest, (len(item_ids), 1))
    confidence = np.full(len(item_ids), float(NO_NOISE_CONFIDENCE))
    wanted = [*column, *([confidence_id] if confidence_id is not None else [])]
    scores = ItemScore.objects.filter(
        item__ranked_entries__run_id=run.pk, criterion_id__in=wanted
    ).values_list("item_id", "criterion_id", "value")
    for item_id, criterion_id, value in scores.iterator(chunk_size=5_000):
        row = row_of.get(item_id)
        if row is None:
            continue
        if criterion_id in column:
            values[row, column[criterion_id]] = value
        if criterion_id == confidence_id:
            confidence[row] = value
    return criteria, values, confidence


def _now_inputs(
    run: RankingRun, rows: list[tuple[int, int, str, str]]
) -> tuple[np.ndarray | None, float | None, list[bool | None]]:
    quarters = (run.plan or {}).get("quarters") or []
    if not quarters:
        return None, None, [None] * len(rows)
    first = quarters[0]
    capacity = max(float(first.get("capacity") or 0) - float(first.get("committed") or 0), 0.0)
    reference = float((run.plan or {}).get("reference_capacity") or 0)
    facts = planning._item_facts(run.council_id)  # the plan's own efforts, one query
    efforts = np.zeros(len(rows))
    fixed: list[bool | None] = []
    for i, (_pk, item_id, horizon, reason) in enumerate(rows):
        _reference, status, effort, _one_off, _recurring = facts[item_id]
        if reason in _FIXED_REASONS:
            fixed.append(horizon == Horizon.NOW)
        elif (
            effort is None
            or status not in planning.CANDIDATE_STATUSES
            or status in schedule.NOT_READY_STATUSES  # new and triage wait a quarter
        ):
            fixed.append(False)
        else:
            efforts[i] = first_quarter_load(float(effort), reference)
            fixed.append(None)
    return efforts, capacity, fixed


def first_quarter_load(effort: float, reference_capacity: float) -> float:
    """The team-days an item puts on each quarter it spans, as planner/schedule.py spreads it:
    an estimate longer than a quarter's usual capacity runs over several quarters."""
    if reference_capacity <= 0:
        return effort
    return effort / max(1, math.ceil(effort / reference_capacity - schedule.EPSILON))


def compute(data: RangesInput, seed: int) -> list[robustness.RankRange]:
    ranges = robustness.rank_ranges(
        data.criteria,
        data.method,
        data.values,
        data.confidence,
        band=data.band_percent / 100,
        seed=seed,
        samples=SAMPLES,
        efforts=data.efforts,
        capacity=data.capacity,
    )
    return [
        r if fixed is None else _with_p_now(r, 1.0 if fixed else 0.0)
        for r, fixed in zip(ranges, data.fixed_now, strict=True)
    ]


def _with_p_now(r: robustness.RankRange, p_now: float) -> robustness.RankRange:
    return robustness.RankRange(r.median, r.low, r.high, r.p_top10, p_now, r.stability)


def fill_run(run_id: int) -> bool:
    """Compute and store a done run's rank ranges. False when there was nothing to do (the
    run is gone, pruned, or not done)."""
    run = (
        RankingRun.objects.select_related("profile", "option")
        .filter(pk=run_id, status=RunStatus.DONE)
        .first()
    )
    if run is None:
        return False
    data = load(run)
    ranges = compute(data, seed=run.pk)
    with transaction.atomic():
        # Lock the run: a prune deleting it meanwhile either waits for this or has won.
        if not RankingRun.objects.select_for_update().filter(pk=run_id).exists():
            return False
        write(run_id, data.entry_ids, ranges)
        RankingRun.objects.filter(pk=run_id).update(
            robustness={"samples": SAMPLES, "band": data.band_percent, "seed": run.pk}
        )
    return True


def write(run_id: int, entry_ids: list[int], ranges: list[robustness.RankRange]) -> None:
    """Every entry's range in one UPDATE: the values travel as seven array parameters."""
    if not entry_ids:
        return
    if connection.vendor != "postgresql":
        entries = [
            RankedEntry(
                pk=pk,
                rank_median=r.median,
                rank_low=r.low,
                rank_high=r.high,
                p_top10=r.p_top10,
                p_now=r.p_now,
                stability=r.stability,
            )
            for pk, r in zip(entry_ids, ranges, strict=True)
        ]
        RankedEntry.objects.bulk_update(entries, list(_FIELDS), batch_size=500)
        return
    columns: dict[str, list[Any]] = {
        "median": [r.median for r in ranges],
        "low": [r.low for r in ranges],
        "high": [r.high for r in ranges],
        "p_top10": [r.p_top10 for r in ranges],
        "p_now": [r.p_now for r in ranges],
        "stability": [r.stability for r in ranges],
    }
    table = RankedEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS e SET rank_median = v.median, rank_low = v.low,"
            " rank_high = v.high, p_top10 = v.p_top10, p_now = v.p_now, stability = v.stability"
            " FROM unnest(%s::bigint[], %s::integer[], %s::integer[], %s::integer[],"
            " %s::float8[], %s::float8[], %s::text[])"
            " AS v(id, median, low, high, p_top10, p_now, stability)"
            " WHERE e.id = v.id AND e.run_id = %s",
            [entry_ids, *columns.values(), run_id],
        )


_FIELDS = ("rank_median", "rank_low", "rank_high", "p_top10", "p_now", "stability")


# The sweep re-sends the ranges of runs finished this long ago without them (a lost message, a
# worker restart), for a day at most: a run whose ranges keep failing is not retried forever.
SWEEP_AFTER = timedelta(minutes=2)
SWEEP_WITHIN = timedelta(days=1)
SWEEP_LIMIT = 20


def sweep(*, now: datetime | None = None) -> list[int]:
    """Enqueue the ranges of recently finished runs that still have none; the ids sent."""
    now = now or timezone.now()
    run_ids = list(
        RankingRun.objects.filter(
            status=RunStatus.DONE,
            robustness={},
            item_count__gt=0,
            finished_at__lt=now - SWEEP_AFTER,
            finished_at__gt=now - SWEEP_WITHIN,
        )
        .order_by("-finished_at")
        .values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
    return [run_id for run_id in run_ids if enqueue(run_id)]


def enqueue(run_id: int) -> bool:
    """Hand the run's rank ranges to the worker. A lost message costs only the ranges (pages
    say "working out"); the next run computes its own."""
    from planner.tasks import compute_rank_ranges

    try:
        compute_rank_ranges.apply_async(args=[run_id], retry=False)
    except Exception:
        log.warning("Could not enqueue the rank ranges of run %s", run_id)
        return False
    return True


def method_text(sampling: dict[str, Any] | None) -> str:
    """How the rank ranges were worked out, in plain English, from run.robustness."""
    sampling = sampling or {}
    samples, band, seed = sampling.get("samples"), sampling.get("band"), sampling.get("seed")
    if samples is None or band is None or seed is None:
        return "How sure each rank is has not been worked out for this ranking yet."
    thresholds = {label: limit for limit, label in robustness.STABILITY_THRESHOLDS}
    return (
        f"To show how sure each rank is, the ranking was worked out again {samples:,} times."
        f" Each time, every weight moved at random by up to ±{band}% of its value (the weights"
        " then kept the same total), and each item's scores moved at random according to its"
        " Confidence score: by up to 1 level at Confidence 1, half a level at 3, and not at all"
        " at 5, staying on the 1 to 5 scale. An item's rank range runs from the 5th to the"
        " 95th percentile of its ranks in those samples. It is"
        f" “{robustness.SETTLED}” when the range spans {thresholds[robustness.SETTLED]} places"
        f" or fewer, “{robustness.FAIRLY_SETTLED}” up to"
        f" {thresholds[robustness.FAIRLY_SETTLED]}, and “{robustness.CONTESTED}” beyond that."
        f" The chance of landing in Now uses the first {robustness.NOW_SAMPLES} of those samples:"
        " in each, the items are taken in that sample's rank order into the first quarter's"
        " capacity (less the work under way), each taking its share of the quarter if it still"
        " fits and being passed over if not. Work under way and pinned items keep their place;"
        " items with no estimate, and new or triage items (which wait a quarter), are never in"
        " Now; dependencies and budgets are left out of the samples."
        f" The random seed is {seed}, so the same ranking always gives the same ranges."
    )


# --- The item page's tornado chart ----------------------------------------------------

TORNADO_WIDTH = 360.0
TORNADO_BAR_HEIGHT = 20.0


@dataclass(frozen=True, slots=True)
class TornadoRow:
    criterion: str
    weight: float
    rank_low_weight: int  # the item's rank with this weight at the low end of the band
    rank_high_weight: int  # ... and at the high end
    swing: int  # places between the best and the worst of: now, weight lower, weight higher
    bar: robustness.TornadoBar


@dataclass(frozen=True, slots=True)
class Tornado:
    rank: int  # the item's plain rank position in the run
    band_percent: int
    best: int  # the best and worst ranks on the chart's scale
    worst: int
    marker: float  # the plain rank's x on the chart
    rows: list[TornadoRow]
    width: float = TORNADO_WIDTH

    @property
    def height(self) -> float:
        return len(self.rows) * TORNADO_BAR_HEIGHT * 1.5


def tornado(run: RankingRun, item_id: int) -> Tornado | None:
    """The item's rank with each weight in turn at the low and high end of the profile's band,
    widest swing first. None when the item is not in the run (or the run recorded no
    weights). A few queries; numpy does the ranking (milliseconds at 5,000 items)."""
    rows = list(
        RankedEntry.objects.filter(run_id=run.pk)
        .order_by("position")
        .values_list("item_id", flat=True)
    )
    if item_id not in rows:
        return None
    position = rows.index(item_id)
    criteria, values = _criteria_and_values(run, rows)
    band = sampled_band_percent(run)
    try:
        swings = robustness.tornado(
            criteria, run.method or scoring.WEIGHTED_SUM, values, position, band / 100
        )
    except ValueError:  # an old run with no weights recorded: nothing to vary
        return None
    plain = position + 1

    def reach(swing: robustness.Swing) -> int:
        # How far the rank moves either way from where it is now: a tie that either change
        # breaks moves it although both ends of the band give the same rank.
        ends = (swing.rank_low_weight, swing.rank_high_weight, plain)
        return max(ends) - min(ends)

    swings = sorted(swings, key=lambda s: -reach(s))  # stable: robustness's order on a tie
    bars = robustness.tornado_bars(swings, plain, TORNADO_WIDTH, TORNADO_BAR_HEIGHT)
    ranks = [plain, *(r for s in swings for r in (s.rank_low_weight, s.rank_high_weight))]
    best, worst = min(ranks), max(ranks)
    by_id = {c.id: c for c in criteria}
    names = {int(c["id"]): str(c["name"]) for c in run.scored_criteria()}
    return Tornado(
        rank=plain,
        band_percent=band,
        best=best,
        worst=worst,
        marker=TORNADO_WIDTH * (plain - best) / max(worst - best, 1),
        rows=[
            TornadoRow(
                names.get(s.criterion_id, f"criterion {s.criterion_id}"),
                by_id[s.criterion_id].weight,
                s.rank_low_weight,
                s.rank_high_weight,
                reach(s),
                bar,
            )
            for s, bar in zip(swings, bars, strict=True)
        ],
    )
