"""Why an item ranks where it does: its score by criterion, its rank and horizon in the latest
ranking, and how far it moved since the latest published plan."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from councils.models import Council
from planner import plans, ranking
from planner.delivery import QuarterNamer
from planner.models import BacklogItem, PublishedPlan, RankedEntry, RankingRun
from planner.quarters import HORIZON_LABELS
from planner.schedule import PINNED


@dataclass(frozen=True, slots=True)
class Contribution:
    criterion: str
    direction: str
    weight: float | None
    points: float


@dataclass(frozen=True, slots=True)
class ItemExplanation:
    run: RankingRun
    score: Decimal
    rank_label: str
    rank: int
    ranked_count: int
    contributions: list[Contribution]
    horizon: str | None
    quarters: str
    horizon_reasons: tuple[str, ...]
    overridden: bool
    plan: PublishedPlan | None
    plan_rank_label: str | None
    movement: int | None  # places up since the plan (negative = down); None if not in it

    @property
    def new_since_plan(self) -> bool:
        return self.plan is not None and self.plan_rank_label is None


def explain_item(*, council: Council, item: BacklogItem) -> ItemExplanation | None:
    """Why `item` ranks where it does in the latest ranking: its score by criterion (weight ×
    normalised score, as stored on the entry), its rank and horizon, and how far it moved since
    the latest published plan. None when the item is not in the latest ranking."""
    if item.council_id != council.pk:
        raise ValueError("the item belongs to another council")
    run = ranking.latest_done_run(council)
    if run is None:
        return None
    entry = RankedEntry.objects.filter(run=run, item=item).first()
    if entry is None:
        return None
    criteria = {str(c["id"]): c for c in run.scored_criteria()}
    contributions = [
        Contribution(
            criterion=criteria.get(key, {}).get("name") or f"criterion {key}",
            direction=criteria.get(key, {}).get("direction", ""),
            weight=criteria.get(key, {}).get("weight"),
            points=float(points),
        )
        for key, points in entry.contributions.items()
    ]
    contributions.sort(key=lambda c: -c.points)
    plan, plan_entry = plans.latest_plan_with_entry(council, item)
    return ItemExplanation(
        run=run,
        score=entry.score,
        rank_label=entry.rank_label,
        rank=entry.rank,
        ranked_count=run.item_count or RankedEntry.objects.filter(run=run).count(),
        contributions=contributions,
        horizon=HORIZON_LABELS.get(entry.horizon) if entry.horizon else None,
        quarters=QuarterNamer.from_totals(run.plan or {}).span(
            entry.start_quarter, entry.end_quarter
        ),
        horizon_reasons=(entry.schedule_details["text"],)
        if entry.schedule_details.get("text")
        else (),
        overridden=entry.schedule_reason == PINNED,
        plan=plan,
        plan_rank_label=plan_entry["rank_label"] if plan_entry else None,
        movement=(plan_entry["rank"] - entry.rank) if plan_entry else None,
    )
