"""The figures on a council's dashboard, read in a fixed number of queries.

Value and effort, for the matrix:
- value is the part of an item's score earned on BENEFIT criteria (the sum of its stored
  contributions from benefit criteria), so it is on the same 0-100 points scale as the score
  and leaves out the effort criterion, which would otherwise be counted on both axes;
- effort is the item's own estimate in team-days (what the roadmap fills capacity with).
  Items without an estimate cannot be placed, so they are counted and listed instead.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from operator import attrgetter

from django.db.models import Count, Q

from councils.models import Council
from planner import backlog, charts, delivery, ranking, robustness
from planner.models import (
    Direction,
    RankedEntry,
    RankingRun,
    Status,
    WeightingProfile,
)
from planner.ranked_rows import RankedRow, load_rows

TOP_COUNT = 10
# The matrix plots the top of the ranking, at most this many items: beyond a thousand the
# markers are an unreadable blot, and at 50,000 items they made a 7 MB page that took 62 MB
# to build. Its table lists the top 100, because a table of thousands of rows helps nobody.
MATRIX_POINT_LIMIT = 1_000
MATRIX_TABLE_LIMIT = 100
# Ranked items without an estimate, named under the matrix; the rest are counted.
UNESTIMATED_LIMIT = 50


@dataclass(frozen=True, slots=True)
class StatusCount:
    status: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class Dashboard:
    status_counts: list[StatusCount]
    total_items: int
    needs_scoring: int
    active_profile: WeightingProfile | None
    latest_run: RankingRun | None
    pending_run: RankingRun | None
    top: list[RankedRow]
    theme_chart: charts.BarChart
    matrix: charts.Matrix
    ranked_count: int = 0
    unestimated: list[RankedRow] = field(default_factory=list)
    unestimated_count: int = 0
    # Ranked items with an estimate: the matrix plots the top MATRIX_POINT_LIMIT of them.
    estimated_count: int = 0
    # This year's cost against budget and the capacity used in Now and Next, from the plan
    # stored on the run (no query of its own).
    plan: delivery.PlanHeadline | None = None

    @property
    def top_ranges(self) -> list[tuple[RankedRow, robustness.IntervalBar | None]]:
        """The top ten with each rank interval's bar, drawn to one scale."""
        bars = robustness.interval_bars([(e.rank, e.rank_low, e.rank_high) for e in self.top])
        return list(zip(self.top, bars, strict=True))

    @property
    def matrix_table(self) -> list[charts.MatrixPoint]:
        return self.matrix.points[:MATRIX_TABLE_LIMIT]

    @property
    def matrix_table_rest(self) -> int:
        return max(len(self.matrix.points) - MATRIX_TABLE_LIMIT, 0)

    @property
    def matrix_rest(self) -> int:
        """Estimated items the matrix leaves out (below the top MATRIX_POINT_LIMIT)."""
        return max(self.estimated_count - len(self.matrix.points), 0)

    @property
    def unestimated_rest(self) -> int:
        return max(self.unestimated_count - len(self.unestimated), 0)


def dashboard_for(*, council: Council) -> Dashboard:
    by_status = dict(
        council.items.filter(archived=False)
        .values_list("status")
        .annotate(count=Count("id"))
        .values_list("status", "count")
    )
    status_counts = [
        StatusCount(status=value, label=label, count=by_status.get(value, 0))
        for value, label in Status.choices
    ]
    themes = (
        council.themes.annotate(
            open_items=Count(
                "items", filter=Q(items__archived=False) & ~Q(items__status=Status.DONE)
            )
        )
        .filter(Q(retired=False) | Q(open_items__gt=0))
        .values_list("name", "open_items")
    )
    latest_run = ranking.latest_done_run(council)
    # Every run records the items that need scoring as it ranks, and every edit that could
    # change them asks for a run, so reading the run saves a slow query on large backlogs; the
    # query is only needed before the first ranking.
    needs_scoring = (
        len(latest_run.needs_scoring)
        if latest_run is not None
        else backlog.count_needs_scoring(council)
    )
    estimated: list[RankedRow] = []
    top: list[RankedRow] = []
    unestimated: list[RankedRow] = []
    counts = {"ranked": 0, "unestimated": 0}
    if latest_run is not None:
        no_estimate = Q(item__effort_days__isnull=True)
        # Each list starts at the top of the ranking with at least TOP_COUNT rows (when there
        # are that many), so merging them by position gives the top ten without a query.
        estimated = load_rows(
            latest_run,
            benefit_keys=_benefit_keys(latest_run),
            where=~no_estimate,
            rows=slice(0, max(MATRIX_POINT_LIMIT, TOP_COUNT)),
        )
        unestimated = load_rows(
            latest_run, where=no_estimate, rows=slice(0, max(UNESTIMATED_LIMIT, TOP_COUNT))
        )
        top = list(heapq.merge(estimated, unestimated, key=attrgetter("position")))[:TOP_COUNT]
        estimated = estimated[:MATRIX_POINT_LIMIT]
        unestimated = unestimated[:UNESTIMATED_LIMIT]
        counts = RankedEntry.objects.filter(run=latest_run).aggregate(
            ranked=Count("pk"), unestimated=Count("pk", filter=no_estimate)
        )
    points = [
        charts.MatrixInput(
            reference=entry.reference,
            title=entry.title,
            value=round(entry.benefit_points or 0.0, 2),
            effort=float(entry.effort_days or 0),
            rank_label=entry.rank_label,
        )
        for entry in estimated
    ]
    return Dashboard(
        status_counts=status_counts,
        total_items=sum(by_status.values()),
        needs_scoring=needs_scoring,
        active_profile=council.profiles.filter(is_active=True).first(),
        latest_run=latest_run,
        pending_run=ranking.pending_or_failed_run(council),
        top=top,
        theme_chart=charts.bar_chart([(name, count) for name, count in themes]),
        matrix=charts.value_effort_matrix(points),
        ranked_count=counts["ranked"],
        unestimated=unestimated,
        unestimated_count=counts["unestimated"],
        estimated_count=counts["ranked"] - counts["unestimated"],
        plan=delivery.headline(latest_run.plan or {}) if latest_run is not None else None,
    )


def _benefit_keys(run: RankingRun) -> list[str]:
    """The ids of the benefit criteria the run scored with."""
    return [str(c["id"]) for c in run.scored_criteria() if c["direction"] == Direction.BENEFIT]
