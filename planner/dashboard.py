"""The figures on a council's dashboard, read in a fixed number of queries.

Value and effort, for the matrix:
- value is the part of an item's score earned on BENEFIT criteria (the sum of its stored
  contributions from benefit criteria), so it is on the same 0-100 points scale as the score
  and leaves out the effort criterion, which would otherwise be counted on both axes;
- effort is the item's own estimate in team-days (what the roadmap fills capacity with).
  Items without an estimate cannot be placed, so they are counted and listed instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q

from councils.models import Council
from planner import charts, horizons, ranking
from planner.models import (
    Direction,
    ItemScore,
    RankedEntry,
    RankingRun,
    Status,
    WeightingProfile,
)

TOP_COUNT = 10


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
    top: list[RankedEntry]
    theme_chart: charts.BarChart
    matrix: charts.Matrix
    ranked_count: int = 0
    unestimated: list[RankedEntry] = field(default_factory=list)


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
    # An open item needs scoring while some active criterion has no score for it.
    unscored = council.criteria.filter(active=True).exclude(
        Exists(ItemScore.objects.filter(item=OuterRef(OuterRef("pk")), criterion=OuterRef("pk")))
    )
    needs_scoring = (
        council.items.filter(archived=False)
        .exclude(status=Status.DONE)
        .filter(Exists(unscored))
        .count()
    )
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
    entries: list[RankedEntry] = []
    benefit_ids: set[str] = set()
    if latest_run is not None:
        entries = list(
            RankedEntry.objects.filter(run=latest_run)
            .select_related("item__theme")
            .only(*horizons.ENTRY_FIELDS, "contributions")
            .order_by("position")
        )
        benefit_ids = {
            str(pk)
            for pk in council.criteria.filter(direction=Direction.BENEFIT).values_list(
                "pk", flat=True
            )
        }
    points = []
    unestimated = []
    for entry in entries:
        effort = entry.item.effort_days
        if effort is None:
            unestimated.append(entry)
            continue
        value = sum(
            float(points_earned)
            for criterion_id, points_earned in entry.contributions.items()
            if criterion_id in benefit_ids
        )
        points.append(
            charts.MatrixInput(
                reference=entry.item.reference,
                title=entry.item.title,
                value=round(value, 2),
                effort=float(effort),
                rank_label=entry.rank_label,
            )
        )
    return Dashboard(
        status_counts=status_counts,
        total_items=sum(by_status.values()),
        needs_scoring=needs_scoring,
        active_profile=council.profiles.filter(is_active=True).first(),
        latest_run=latest_run,
        pending_run=ranking.pending_or_failed_run(council),
        top=entries[:TOP_COUNT],
        theme_chart=charts.bar_chart([(name, count) for name, count in themes]),
        matrix=charts.value_effort_matrix(points),
        ranked_count=len(entries),
        unestimated=unestimated,
    )
