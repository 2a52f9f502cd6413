"""The delivery plan as pages read it: a run's stored schedule, grouped into Now, Next, Later
and "Not scheduled within the plan", with its quarter and money totals and its charts.

Nothing here computes a plan: the worker did that inside the ranking run (planner.planning),
so a page costs a fixed number of queries whatever the backlog size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from councils.models import Council
from planner import plan_charts
from planner import quarters as cal
from planner.models import HorizonOverride, RankingRun, ScheduleMode
from planner.ranked_rows import RankedRow, load_rows

PLAN_HORIZONS = (cal.NOW, cal.NEXT, cal.LATER, cal.NOT_SCHEDULED)
# Bars on the timeline: beyond a few dozen rows a Gantt is unreadable and slow to render; the
# horizon tables below it list every item with the same quarters.
TIMELINE_LIMIT = 40
# Now and Next together: the planning start's quarter and the two after it.
NEAR_QUARTERS = 3


@dataclass(frozen=True, slots=True)
class QuarterTotals:
    key: str
    label: str
    short: str
    start: date
    capacity: float
    committed: float
    new: float

    @property
    def used(self) -> float:
        return self.committed + self.new

    @property
    def spare(self) -> float:
        return self.capacity - self.used

    @property
    def over(self) -> bool:
        return self.used > self.capacity + 1e-6


@dataclass(frozen=True, slots=True)
class MoneyAgainstBudget:
    """One-off and recurring spend against their budgets (None: no budget set)."""

    one_off: float
    one_off_budget: float | None
    recurring: float
    recurring_budget: float | None

    @property
    def one_off_over(self) -> bool:
        return self.one_off_budget is not None and self.one_off > self.one_off_budget + 0.005

    @property
    def recurring_over(self) -> bool:
        return self.recurring_budget is not None and self.recurring > self.recurring_budget + 0.005


@dataclass(frozen=True, slots=True)
class YearTotals(MoneyAgainstBudget):
    year: int
    label: str


@dataclass(frozen=True, slots=True)
class PlanHeadline(MoneyAgainstBudget):
    """The dashboard's figures: the plan's first financial year against its budgets, and the
    capacity used in Now and Next."""

    year_label: str
    near_used: float
    near_capacity: float
    near_label: str  # the quarters Now and Next cover

    @property
    def near_percent(self) -> int:
        return round(100 * self.near_used / self.near_capacity) if self.near_capacity else 0


def headline(totals: dict[str, Any]) -> PlanHeadline | None:
    """The headline figures of a stored plan (None for a run made without one). No queries."""
    quarters = quarter_totals(totals)
    years = year_totals(totals)
    if not quarters or not years:
        return None
    near = quarters[:NEAR_QUARTERS]
    year = years[0]
    return PlanHeadline(
        year_label=year.label,
        one_off=year.one_off,
        one_off_budget=year.one_off_budget,
        recurring=year.recurring,
        recurring_budget=year.recurring_budget,
        near_used=sum(q.used for q in near),
        near_capacity=sum(q.capacity for q in near),
        near_label=near[0].short if len(near) == 1 else f"{near[0].short} to {near[-1].short}",
    )


@dataclass(frozen=True, slots=True)
class PlanRow:
    entry: RankedRow
    quarters: str  # "Q1 2027/28", or "Q1 2027/28 to Q3 2027/28"; "" when not scheduled
    pin: HorizonOverride | None


@dataclass(frozen=True, slots=True)
class HorizonGroup:
    key: str
    label: str
    rows: list[PlanRow]
    span: str  # the quarters it covers, e.g. "Q2 2027/28 to Q3 2027/28"

    @property
    def team_days(self) -> float:
        return sum(float(row.entry.schedule_details.get("days") or 0) for row in self.rows)


@dataclass(frozen=True, slots=True)
class Difference:
    reference: str
    title: str
    kind: str
    rank_order: str
    best_value: str
    explanation: str


@dataclass
class DeliveryPlan:
    run: RankingRun | None
    quarters: list[QuarterTotals] = field(default_factory=list)
    years: list[YearTotals] = field(default_factory=list)
    groups: list[HorizonGroup] = field(default_factory=list)
    needs_estimate: list[tuple[str, str]] = field(default_factory=list)  # (reference, title)
    differences: list[Difference] = field(default_factory=list)
    totals: dict[str, Any] = field(default_factory=dict)

    @property
    def has_plan(self) -> bool:
        return bool(self.quarters)

    @property
    def mode(self) -> str:
        return self.totals.get("mode", ScheduleMode.RANK_ORDER)

    @property
    def mode_label(self) -> str:
        return ScheduleMode(self.mode).label if self.mode in ScheduleMode.values else self.mode

    @property
    def best_value(self) -> bool:
        return self.mode == ScheduleMode.BEST_VALUE

    @property
    def discount_percent(self) -> float:
        return round(100 * float(self.totals.get("discount", 0.05)), 1)

    @property
    def gain_percent(self) -> float | None:
        """How much more discounted score best value delivers than rank order."""
        base = self.totals.get("rank_order_objective") or 0
        if not self.best_value or base <= 0:
            return None
        return round(100 * (self.totals.get("objective", 0) - base) / base, 1)

    @property
    def warnings(self) -> list[str]:
        return list(self.totals.get("warnings", []))

    @property
    def solver_status(self) -> str:
        """Whether best value's plan is proven the best possible, or how far off it may be."""
        if not self.best_value:
            return ""
        if self.totals.get("optimal"):
            return "Proven optimal: no plan within these limits delivers more value."
        gap = self.totals.get("gap")
        if gap is None:
            return "The solver stopped at its time limit before it could bound the result."
        return (
            "The solver stopped at its time limit: the best possible plan delivers at most "
            f"{100 * float(gap):.2g}% more value than this one."
        )

    @property
    def usual_capacity(self) -> float:
        return float(self.totals.get("reference_capacity") or 0)

    @property
    def capacity_changes(self) -> list[QuarterTotals]:
        """Quarters whose capacity differs from the usual (holidays, a vacancy, a new hire)."""
        return [q for q in self.quarters if abs(q.capacity - self.usual_capacity) > 1e-6]

    @property
    def span(self) -> str:
        if not self.quarters:
            return ""
        return f"{self.quarters[0].label} to {self.quarters[-1].label}"

    @property
    def headline(self) -> PlanHeadline | None:
        return headline(self.totals)

    def group(self, key: str) -> HorizonGroup | None:
        return next((group for group in self.groups if group.key == key), None)

    @cached_property
    def _timeline_all(self) -> list[PlanRow]:
        last = len(self.quarters) - 1
        rows = [
            row
            for group in self.groups
            if group.key != cal.NOT_SCHEDULED
            for row in group.rows
            if row.entry.start_quarter is not None and row.entry.start_quarter <= last
        ]
        # By start, then rank: the bars step down the quarters like a Gantt chart does.
        return sorted(rows, key=lambda row: (row.entry.start_quarter, row.entry.position))

    @property
    def timeline_rows(self) -> list[PlanRow]:
        """The items the timeline draws: by start quarter, then by rank."""
        return self._timeline_all[:TIMELINE_LIMIT]

    @property
    def timeline_rest(self) -> int:
        return max(len(self._timeline_all) - TIMELINE_LIMIT, 0)

    @cached_property
    def timeline_chart(self) -> plan_charts.Timeline:
        last = len(self.quarters) - 1
        rows = [
            plan_charts.TimelineInput(
                reference=row.entry.reference,
                title=row.entry.title,
                start=max(row.entry.start_quarter, 0),
                end=min(row.entry.end_quarter if row.entry.end_quarter is not None else 0, last),
                committed=row.entry.committed,
                pinned=row.entry.pinned,
            )
            for row in self.timeline_rows
            if row.entry.start_quarter is not None
        ]
        return plan_charts.timeline(rows, [q.short for q in self.quarters])

    @cached_property
    def capacity_chart(self) -> plan_charts.LimitedChart:
        return plan_charts.limited_columns(
            [
                plan_charts.LimitedInput(
                    q.short, [("committed", q.committed), ("new", q.new)], q.capacity
                )
                for q in self.quarters
            ]
        )

    def _money_chart(self, key: str) -> plan_charts.LimitedChart:
        """Spend of one kind ("one_off" or "recurring") per year against that kind's budget."""
        return plan_charts.limited_columns(
            [
                plan_charts.LimitedInput(
                    y.label, [(key, getattr(y, key))], getattr(y, f"{key}_budget")
                )
                for y in self.years
            ],
            money=True,
            width=480,
        )

    @property
    def money_charts(self) -> list[tuple[plan_charts.LimitedChart, str, str]]:
        """(chart, what it counts, id prefix) for the money section."""
        return [
            (self._money_chart("one_off"), "one-off", "one-off"),
            (self._money_chart("recurring"), "recurring", "recurring"),
        ]


def delivery_plan(*, council: Council, run: RankingRun | None) -> DeliveryPlan:
    """The stored plan of `run`. Three queries: entries, pins, and unestimated items."""
    if run is None:
        return DeliveryPlan(run=None)
    totals = run.plan or {}
    quarters = quarter_totals(totals)
    years = year_totals(totals)
    entries = load_rows(run)
    pins = {
        pin.item_id: pin
        for pin in HorizonOverride.objects.filter(item__council=council).select_related("set_by")
    }
    namer = QuarterNamer.from_totals(totals)
    by_horizon: dict[str, list[PlanRow]] = {key: [] for key in PLAN_HORIZONS}
    by_id = {}
    for entry in entries:
        by_id[entry.item_id] = entry
        if entry.horizon in by_horizon:
            span = namer.span(entry.start_quarter, entry.end_quarter)
            by_horizon[entry.horizon].append(PlanRow(entry, span, pins.get(entry.item_id)))
    groups = [
        HorizonGroup(
            key=key,
            label=cal.HORIZON_LABELS[key],
            rows=by_horizon[key],
            span=_horizon_span(key, quarters),
        )
        for key in PLAN_HORIZONS
    ]
    needs_estimate = list(
        council.items.filter(pk__in=run.needs_estimate)
        .order_by("number")
        .values_list("reference", "title")
    )
    differences = [
        Difference(
            reference=by_id[d["item_id"]].reference if d["item_id"] in by_id else "",
            title=by_id[d["item_id"]].title if d["item_id"] in by_id else "",
            kind=d["kind"].replace("_", " "),
            rank_order=namer.name(d["rank_order_start"]),
            best_value=namer.name(d["best_value_start"]),
            explanation=d["explanation"],
        )
        for d in totals.get("differences", [])
    ]
    return DeliveryPlan(
        run=run,
        quarters=quarters,
        years=years,
        groups=groups,
        needs_estimate=needs_estimate,
        differences=differences,
        totals=totals,
    )


def quarter_totals(totals: dict[str, Any]) -> list[QuarterTotals]:
    return [
        QuarterTotals(
            key=q["key"],
            label=q["label"],
            short=q["short"],
            start=date.fromisoformat(q["start"]),
            capacity=q["capacity"],
            committed=q["committed"],
            new=q["new"],
        )
        for q in totals.get("quarters", [])
    ]


def year_totals(totals: dict[str, Any]) -> list[YearTotals]:
    return [YearTotals(**year) for year in totals.get("years", [])]


@dataclass(frozen=True, slots=True)
class QuarterNamer:
    """Names quarter indexes of a stored plan, including committed work that runs past it."""

    first: cal.Quarter | None

    @classmethod
    def from_totals(cls, totals: dict[str, Any]) -> QuarterNamer:
        if not totals.get("start"):
            return cls(None)
        start = date.fromisoformat(totals["start"])
        return cls(cal.quarter_containing(start, totals.get("first_month", cal.APRIL)))

    def name(self, index: int | None) -> str:
        if index is None or self.first is None:
            return "not in the plan"
        return self.first.plus(index).short_label

    def span(self, start: int | None, end: int | None) -> str:
        if start is None or self.first is None:
            return ""
        if end is None or end == start:
            return self.name(start)
        return f"{self.name(start)} to {self.name(end)}"


def _horizon_span(key: str, quarters: list[QuarterTotals]) -> str:
    indexes = [i for i in range(len(quarters)) if cal.horizon_of(i) == key]
    if not indexes:
        return ""
    first, last = quarters[indexes[0]].short, quarters[indexes[-1]].short
    return first if first == last else f"{first} to {last}"
