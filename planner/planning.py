"""The delivery plan of a ranking run: gather what the pure scheduler needs, run it, and
shape its result for storage on the run and its entries.

Called by the ranking service on the worker, right after scoring, so pages and exports read a
stored plan and never compute one. Loads in a fixed number of queries whatever the backlog
size. The maths is in `planner.schedule` (pure); calendar maths in `planner.quarters`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from django.db.models import Case, DecimalField, F, FloatField, Value, When
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from councils.models import Council, FinancialYearBudget, QuarterCapacity
from planner import quarters as cal
from planner import schedule
from planner.dependency_graph import dependency_edges
from planner.models import BacklogItem, HorizonOverride, ScheduleMode, Status, WeightingProfile
from planner.raw_rows import fetch_rows

# Statuses that compete for the plan; done and parked never do, archived items are not ranked.
CANDIDATE_STATUSES = frozenset({Status.NEW, Status.TRIAGE, Status.READY, Status.IN_PROGRESS})
DEFAULT_TIME_LIMIT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class PlannedEntry:
    """What one ranked entry stores of the plan."""

    start_quarter: int | None
    end_quarter: int | None
    horizon: str
    reason: str
    details: dict[str, Any]


# An entry the plan leaves out (a parked item, or a run written without a plan).
UNPLANNED = PlannedEntry(None, None, "", "", {})


@dataclass(frozen=True, slots=True)
class RunPlan:
    mode: str
    totals: dict[str, Any]  # stored as RankingRun.plan
    entries: dict[int, PlannedEntry]  # item id -> its place in the plan
    needs_estimate: list[int]


# An item's facts as the plan reads them: (reference, status, effort or None, one-off cost,
# recurring cost), the numbers already floats. Plain tuples: 10,000 of them per run.
_ItemFacts = tuple[str, str, float | None, float, float]
# Final, so that mypy reads each as its literal index into the tuple.
_REFERENCE: Final = 0
_STATUS: Final = 1
_EFFORT: Final = 2


def plan_quarters(council: Council, today: date | None = None) -> list[cal.Quarter]:
    """The plan's quarters: from the council's planning start (the current quarter when
    blank) for its horizon."""
    first_month = council.financial_year_start_month
    start_day = council.planning_start or today or timezone.localdate()
    start = cal.quarter_containing(start_day, first_month)
    return cal.quarters_from(start, council.planning_horizon_quarters)


def plan_limits(council: Council, quarters: Sequence[cal.Quarter]) -> schedule.PlanLimits:
    """Capacity per quarter (with the council's overrides) and budgets per financial year."""
    overrides = dict(
        QuarterCapacity.objects.filter(council=council).values_list("quarter_start", "days")
    )
    usual = float(council.capacity_days_per_quarter)
    one_off: dict[int, float] = {}
    recurring: dict[int, float] = {}
    for budget in FinancialYearBudget.objects.filter(council=council):
        if budget.one_off is not None:
            one_off[budget.year] = float(budget.one_off)
        if budget.recurring is not None:
            recurring[budget.year] = float(budget.recurring)
    return schedule.PlanLimits(
        capacities=tuple(float(overrides.get(q.start, usual)) for q in quarters),
        financial_years=tuple(q.year for q in quarters),
        reference_capacity=usual,
        one_off_budgets=one_off,
        recurring_budgets=recurring,
        quarter_labels=tuple(q.short_label for q in quarters),
        year_labels={q.year: q.financial_year_label for q in quarters},
    )


def plan_run(
    *,
    council_id: int,
    ranked: Sequence[tuple[int, int, float]],
    unranked_ids: Sequence[int] = (),
    today: date | None = None,
    mode_and_discount: tuple[str, float] | None = None,
) -> RunPlan:
    """Schedule a run's ranked items, given as (item id, position, score) in position order.
    `unranked_ids` are items the ranking left out (needing scores or an estimate): they are
    never planned, but their dependents wait on them. `mode_and_discount` plans a
    weighting option's run its own way; by default the active profile's."""
    council = Council.objects.get(pk=council_id)
    quarters = plan_quarters(council, today)
    limits = plan_limits(council, quarters)
    mode, discount = mode_and_discount or _mode_of(council_id)
    facts = _item_facts(council_id)
    depends = _open_dependencies(dependency_edges(council), facts)
    pins = _pins(council_id, quarters)
    ranked_ids = {item_id for item_id, _position, _score in ranked}
    candidates = CANDIDATE_STATUSES
    no_deps: tuple[int, ...] = ()
    plan_items = []
    for item_id, position, score in ranked:
        reference, status, effort, one_off, recurring = facts[item_id]
        if status in candidates:
            plan_items.append(
                schedule.PlanItem(
                    item_id,
                    reference,
                    position,
                    float(score),
                    effort,
                    one_off,
                    recurring,
                    status,
                    depends.get(item_id, no_deps),
                    pins.get(item_id),
                )
            )
    candidate_ids = {item.id for item in plan_items}
    outside = {
        dep: facts[dep][_REFERENCE]
        for item in plan_items
        for dep in item.depends_on
        if dep not in candidate_ids
    }
    result = schedule.build_schedule(
        plan_items,
        limits,
        mode=mode,
        discount=discount,
        time_limit_seconds=DEFAULT_TIME_LIMIT_SECONDS,
        outside_dependencies=outside,
    )
    entries = _planned_entries(result.placements, limits)
    for item_id in ranked_ids - candidate_ids:  # parked: ranked, never planned
        entries[item_id] = PlannedEntry(None, None, "", facts[item_id][_STATUS], {})
    needs_estimate = [
        item_id
        for item_id in [*(item_id for item_id, _p, _s in ranked), *unranked_ids]
        if facts[item_id][_EFFORT] is None and facts[item_id][_STATUS] in candidates
    ]
    totals = _totals(result, quarters, limits, discount)
    return RunPlan(mode=mode, totals=totals, entries=entries, needs_estimate=needs_estimate)


def _mode_of(council_id: int) -> tuple[str, float]:
    row = (
        WeightingProfile.objects.filter(council_id=council_id, is_active=True)
        .values_list("schedule_mode", "value_discount_percent")
        .first()
    )
    if row is None:
        return ScheduleMode.RANK_ORDER, 0.05
    return row[0], float(row[1]) / 100


def _item_facts(council_id: int) -> dict[int, _ItemFacts]:
    """Every item's facts in one round trip, as driver tuples with the numbers cast to
    floats by the database (no Decimal per value). Work under way commits only what is left
    of it, when the team has said."""
    effort = Case(
        When(
            status=Status.IN_PROGRESS,
            remaining_days__isnull=False,
            then=F("remaining_days"),
        ),
        default=F("effort_days"),
    )
    rows = BacklogItem.objects.filter(council_id=council_id).values_list(
        "pk",
        "reference",
        "status",
        Cast(effort, FloatField()),
        Cast(Coalesce("one_off_cost", Value(0), output_field=DecimalField()), FloatField()),
        Cast(Coalesce("recurring_cost", Value(0), output_field=DecimalField()), FloatField()),
    )
    return {row[0]: row[1:] for row in fetch_rows(rows)}


def _open_dependencies(
    edges: dict[int, set[int]], facts: dict[int, _ItemFacts]
) -> dict[int, tuple[int, ...]]:
    """Item id -> the ids it depends on, leaving out those already done (they never block)."""
    open_edges = {
        item_id: tuple(sorted(dep for dep in deps if facts[dep][_STATUS] != Status.DONE))
        for item_id, deps in edges.items()
    }
    return {item_id: deps for item_id, deps in open_edges.items() if deps}


def _pins(council_id: int, quarters: Sequence[cal.Quarter]) -> dict[int, int]:
    """Item id -> pinned quarter, counted from the plan's first quarter. The scheduler reports
    a pin before the plan starts and leaves one beyond its end unscheduled."""
    first = quarters[0]
    rows = HorizonOverride.objects.filter(item__council_id=council_id).values_list(
        "item_id", "quarter"
    )
    return {
        item_id: cal.quarter_containing(day, first.first_month).minus(first)
        for item_id, day in rows
    }


def _planned_entries(
    placements: Sequence[schedule.Placement], limits: schedule.PlanLimits
) -> dict[int, PlannedEntry]:
    """Item id -> its PlannedEntry. Most placements repeat a few dozen (place, reason,
    details, days) combinations, so each is built once, with its reason text, and shared:
    treat the entries and their details as read-only."""
    shared: dict[tuple[Any, ...], PlannedEntry] = {}
    entries = {}
    for placement in placements:
        load = placement.load
        days = round(load * placement.duration, 1) if load else None
        key = (
            placement.start,
            placement.end,
            placement.reason,
            repr(placement.details),
            days,
        )
        entry = shared.get(key)
        if entry is None:
            entry = shared[key] = _planned_entry(placement, limits, days)
        entries[placement.item_id] = entry
    return entries


def _planned_entry(
    placement: schedule.Placement, limits: schedule.PlanLimits, days: float | None
) -> PlannedEntry:
    horizon = cal.horizon_of(placement.start)
    details = dict(placement.details)
    details["text"] = schedule.reason_text(placement, limits.quarter_labels, limits.year_labels)
    details["days"] = days
    return PlannedEntry(
        start_quarter=placement.start,
        end_quarter=placement.end,
        horizon=horizon,
        reason=placement.reason,
        details=details,
    )


def _totals(result, quarters, limits: schedule.PlanLimits, discount: float) -> dict[str, Any]:
    years = sorted(set(limits.financial_years))
    year_labels = {q.year: q.financial_year_label for q in quarters}
    return {
        "start": quarters[0].start.isoformat(),
        "first_month": quarters[0].first_month,
        "reference_capacity": limits.reference_capacity,
        "quarters": [
            {
                "key": q.key,
                "label": q.label,
                "short": q.short_label,
                "start": q.start.isoformat(),
                "year": q.year,
                "capacity": capacity,
                "committed": round(committed, 1),
                "new": round(new, 1),
            }
            for q, capacity, committed, new in zip(
                quarters,
                result.capacity,
                result.capacity_committed,
                result.capacity_new,
                strict=True,
            )
        ],
        "years": [
            {
                "year": year,
                "label": year_labels[year],
                "one_off": round(result.one_off_by_year.get(year, 0.0), 2),
                "one_off_budget": limits.one_off_budgets.get(year),
                "recurring": round(result.recurring_by_year.get(year, 0.0), 2),
                "recurring_budget": limits.recurring_budgets.get(year),
            }
            for year in years
        ],
        "mode": result.mode,
        "discount": discount,
        "optimal": result.optimal,
        "gap": result.gap,
        "objective": round(result.objective, 4),
        "rank_order_objective": round(result.rank_order_objective, 4),
        "differences": [
            {
                "item_id": d.item_id,
                "kind": d.kind,
                "rank_order_start": d.rank_order_start,
                "best_value_start": d.best_value_start,
                "explanation": d.explanation,
            }
            for d in result.differences
        ],
        "warnings": list(result.warnings),
    }
