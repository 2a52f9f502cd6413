"""The delivery plan as pages read it: a run's stored schedule, grouped into Now, Next, Later
and "Not scheduled within the plan", with its quarter and money totals and its charts.

Nothing here computes a plan: the worker did that inside the ranking run (planner.planning),
so a page costs a fixed number of queries whatever the backlog size. The quarter and money
totals are stored with the run; each horizon's count and team-days are summed by the
database; only the rows a page shows are loaded (a horizon's first ROWS_PER_HORIZON, or one
page of it), so a 400,000-item plan costs no more memory than a 400-item one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, FloatField, Q, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from councils.models import Council
from planner import plan_charts
from planner import quarters as cal
from planner.models import HorizonOverride, RankedEntry, RankingRun, ScheduleMode
from planner.ranked_rows import RankedRow, load_rows

PLAN_HORIZONS = (cal.NOW, cal.NEXT, cal.LATER, cal.NOT_SCHEDULED)
# Bars on the timeline: beyond a few dozen rows a Gantt is unreadable and slow to render; the
# horizon tables below it list every item with the same quarters.
TIMELINE_LIMIT = 40
# Now and Next together: the planning start's quarter and the two after it.
NEAR_QUARTERS = 3
# Rows shown per horizon, and per page when the reader asks for all of one horizon: a long
# Later list would otherwise make the page slow to build, to render and to read.
ROWS_PER_HORIZON = 100


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
    rows: list[PlanRow]  # the rows shown: the first ROWS_PER_HORIZON, or `page` of them
    span: str  # the quarters it covers, e.g. "Q2 2027/28 to Q3 2027/28"
    count: int = 0  # every item in the horizon, shown or not
    team_days: float = 0.0
    page: Page | None = None  # set when the reader pages through the whole horizon

    @property
    def more(self) -> bool:
        """Whether rows are left out and no pagination offers them."""
        return self.page is None and self.count > len(self.rows)


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
    # The timeline's rows (at most TIMELINE_LIMIT) and how many scheduled items it could draw.
    timeline_rows: list[PlanRow] = field(default_factory=list)
    timeline_count: int = 0
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

    @property
    def timeline_rest(self) -> int:
        return max(self.timeline_count - len(self.timeline_rows), 0)

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


def delivery_plan(
    *, council: Council, run: RankingRun | None, expand: str = "", page: str | int = 1
) -> DeliveryPlan:
    """The stored plan of `run`: each horizon's first ROWS_PER_HORIZON rows, or for the
    horizon `expand` the page `page` of all its rows. Eight queries whatever the size (nine
    when best value moved items): the horizons' counts, each horizon's rows, the timeline's
    rows, their pins, and the unestimated items."""
    if run is None:
        return DeliveryPlan(run=None)
    totals = run.plan or {}
    quarters = quarter_totals(totals)
    namer = QuarterNamer.from_totals(totals)
    stats = _horizon_stats(run, last_quarter=len(quarters) - 1)
    shown: dict[str, list[RankedRow]] = {}
    pages: dict[str, Page] = {}
    for key in PLAN_HORIZONS:
        count = stats.get(key, {}).get("count", 0)
        window = slice(0, ROWS_PER_HORIZON)
        if key == expand:
            pages[key] = Paginator(range(count), ROWS_PER_HORIZON).get_page(page)
            # An empty horizon's only page starts at index 0, not 1.
            window = slice(max(pages[key].start_index() - 1, 0), pages[key].end_index())
        shown[key] = load_rows(run, where=Q(horizon=key), rows=window)
    timeline_count = sum(
        stats.get(key, {}).get("timeline", 0) for key in PLAN_HORIZONS if key != cal.NOT_SCHEDULED
    )
    timeline = load_rows(
        run,
        where=_on_timeline(len(quarters) - 1),
        order_by=("start_quarter", "position"),
        rows=slice(0, TIMELINE_LIMIT),
    )
    shown_ids = {row.item_id for rows in shown.values() for row in rows}
    shown_ids.update(row.item_id for row in timeline)
    pins = {
        pin.item_id: pin
        for pin in HorizonOverride.objects.filter(
            item__council=council, item_id__in=shown_ids
        ).select_related("set_by")
    }

    def plan_row(entry: RankedRow) -> PlanRow:
        return PlanRow(
            entry, namer.span(entry.start_quarter, entry.end_quarter), pins.get(entry.item_id)
        )

    groups = [
        HorizonGroup(
            key=key,
            label=cal.HORIZON_LABELS[key],
            rows=[plan_row(entry) for entry in shown[key]],
            span=_horizon_span(key, quarters),
            count=stats.get(key, {}).get("count", 0),
            team_days=stats.get(key, {}).get("days", 0.0),
            page=pages.get(key),
        )
        for key in PLAN_HORIZONS
    ]
    needs_estimate = list(
        council.items.filter(pk__in=run.needs_estimate)
        .order_by("number")
        .values_list("reference", "title")
    )
    return DeliveryPlan(
        run=run,
        quarters=quarters,
        years=year_totals(totals),
        groups=groups,
        timeline_rows=[plan_row(entry) for entry in timeline],
        timeline_count=timeline_count,
        needs_estimate=needs_estimate,
        differences=_differences(council, totals, namer),
        totals=totals,
    )


def _on_timeline(last_quarter: int) -> Q:
    """Entries the timeline can draw: scheduled, starting within the plan's quarters."""
    return (
        ~Q(horizon=cal.NOT_SCHEDULED)
        & Q(start_quarter__isnull=False)
        & Q(start_quarter__lte=last_quarter)
    )


def _horizon_stats(run: RankingRun, *, last_quarter: int) -> dict[str, dict[str, Any]]:
    """Per horizon: how many entries, their team-days, and how many the timeline could draw;
    one GROUP BY query."""
    days = Cast(KeyTextTransform("days", "schedule_details"), FloatField())
    rows = (
        RankedEntry.objects.filter(run=run)
        .values("horizon")
        .order_by()
        .annotate(
            count=Count("pk"),
            days=Sum(days),
            timeline=Count("pk", filter=_on_timeline(last_quarter)),
        )
    )
    return {
        row["horizon"]: {
            "count": row["count"],
            "days": float(row["days"] or 0),
            "timeline": row["timeline"],
        }
        for row in rows
    }


def _differences(council: Council, totals: dict[str, Any], namer: QuarterNamer) -> list[Difference]:
    """What best value moved compared with rank order, with the moved items' names."""
    moved = totals.get("differences", [])
    if not moved:
        return []
    names = {
        pk: (reference, title)
        for pk, reference, title in council.items.filter(
            pk__in=[d["item_id"] for d in moved]
        ).values_list("pk", "reference", "title")
    }
    return [
        Difference(
            reference=names.get(d["item_id"], ("", ""))[0],
            title=names.get(d["item_id"], ("", ""))[1],
            kind=d["kind"].replace("_", " "),
            rank_order=namer.name(d["rank_order_start"]),
            best_value=namer.name(d["best_value_start"]),
            explanation=d["explanation"],
        )
        for d in moved
    ]


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
