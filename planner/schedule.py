"""Schedule a ranked backlog into quarters, within capacity, budgets and dependencies.

A pure function of plain data (no Django). PLANNING.md beside DESIGN.md gives the maths; in
short:

- Quarters are indices 0 … T−1 (0 = the planning start). An item of `e` team-days lasts
  `d = max(1, ceil(e / K_ref))` quarters and loads `e / d` team-days on each.
- In-progress items are committed: they are placed first, in rank order, at the earliest
  quarter with room (quarter 0 unless committed work alone fills it); if none has room they
  start at quarter 0 anyway, with a warning. Pins are then placed as given. Both are the same
  in either mode, and any limit they break is reported in `warnings`.
- Everything else is free. The room it may use is what committed work and pins leave, never
  below zero. A free item starts no earlier than its status allows (new and triage wait a
  quarter), after every dependency has finished, where every quarter it spans has room, its
  one-off cost fits the budget of the year it starts in, and its recurring cost fits every
  year from the one it finishes in to the end of the plan.
- Rank order places free items one by one in rank order (dependencies first), each at its
  earliest start. Best value chooses starts with a 0/1 programme (HiGHS) that maximises the
  score delivered, discounted by `discount` a quarter from the quarter an item finishes.

Dependencies name other candidates or ids in `outside_dependencies` (not candidates, not
done: they block their dependents for the whole plan). Any other id is taken as done, because
the caller drops done dependencies. Quarter indices in `Placement` may run past the horizon
only for committed or pinned items that are longer than what is left of it.
"""

from __future__ import annotations

import heapq
import math
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

RANK_ORDER = "rank_order"
BEST_VALUE = "best_value"
MODES = (RANK_ORDER, BEST_VALUE)

# Reason codes. A scheduled item's reason says what held it back from quarter 0; an
# unscheduled item's says why it is not in the plan.
COMMITTED = "committed"
PINNED = "pinned"
PLACED = ""
NOT_READY = "not_ready"
WAITING_ON = "waiting_on"
NO_CAPACITY = "no_capacity"
OVER_ONE_OFF_BUDGET = "over_one_off_budget"
OVER_RECURRING_BUDGET = "over_recurring_budget"
NEEDS_ESTIMATE = "needs_estimate"

BROUGHT_FORWARD = "brought_forward"
HELD_BACK = "held_back"
ADDED = "added"
DROPPED = "dropped"

IN_PROGRESS = "in_progress"
# Items still being shaped need a quarter of triage before they can start.
NOT_READY_STATUSES = frozenset({"new", "triage"})
# Floats add up team-days and pounds; a rounding error must not refuse an exact fit.
EPSILON = 1e-6


@dataclass(frozen=True, slots=True)
class PlanItem:
    id: int
    reference: str
    position: int  # unique rank position, 1 = top
    score: float  # 0–100
    effort_days: float | None  # None = needs an estimate; remaining days for work under way
    one_off_cost: float = 0.0
    recurring_cost: float = 0.0  # per year
    status: str = "ready"  # "in_progress" (committed) | "ready" | "new" / "triage" (not ready)
    depends_on: tuple[int, ...] = ()
    pinned_quarter: int | None = None


@dataclass(frozen=True, slots=True)
class PlanLimits:
    capacities: tuple[float, ...]  # K[t], team-days per quarter; its length is the horizon
    financial_years: tuple[int, ...]  # fy(t), the financial year of each quarter
    reference_capacity: float  # K_ref, the usual quarterly capacity, for durations
    one_off_budgets: Mapping[int, float] = field(default_factory=dict)  # absent = unconstrained
    recurring_budgets: Mapping[int, float] = field(default_factory=dict)
    # Optional, for warnings and explanations in words ("Q1 2027/28", "2027/28").
    quarter_labels: tuple[str, ...] = ()
    year_labels: Mapping[int, str] = field(default_factory=dict)

    @property
    def horizon(self) -> int:
        return len(self.capacities)

    def quarter_name(self, index: int) -> str:
        if 0 <= index < len(self.quarter_labels):
            return self.quarter_labels[index]
        return f"quarter {index + 1} of the plan"

    def year_name(self, year: int) -> str:
        return self.year_labels.get(year, str(year))


@dataclass(frozen=True, slots=True)
class Placement:
    item_id: int
    start: int | None  # quarter index, None = not scheduled within the plan
    end: int | None  # inclusive quarter index
    duration: int  # quarters (0 when there is no estimate)
    load: float  # team-days in each quarter it spans
    committed: bool
    pinned: bool
    reason: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def scheduled(self) -> bool:
        return self.start is not None


@dataclass(frozen=True, slots=True)
class Difference:
    item_id: int
    kind: str  # brought_forward | held_back | added | dropped
    rank_order_start: int | None
    best_value_start: int | None
    explanation: str


@dataclass(frozen=True, slots=True)
class Schedule:
    mode: str
    placements: list[Placement]  # one per input item, in rank-position order
    capacity: tuple[float, ...]
    capacity_committed: tuple[float, ...]
    capacity_new: tuple[float, ...]
    one_off_by_year: dict[int, float]
    recurring_by_year: dict[int, float]
    objective: float
    rank_order_objective: float
    optimal: bool | None = None
    gap: float | None = None
    warnings: list[str] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)

    def placement_for(self, item_id: int) -> Placement:
        return next(p for p in self.placements if p.item_id == item_id)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly (financial years become string keys, as JSON requires)."""
        data = asdict(self)
        for name in ("one_off_by_year", "recurring_by_year"):
            data[name] = {str(year): spent for year, spent in data[name].items()}
        for name in ("capacity", "capacity_committed", "capacity_new"):
            data[name] = list(data[name])
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schedule:
        values = dict(data)
        values["placements"] = [Placement(**p) for p in data["placements"]]
        values["differences"] = [Difference(**d) for d in data["differences"]]
        for name in ("one_off_by_year", "recurring_by_year"):
            values[name] = {int(year): spent for year, spent in data[name].items()}
        for name in ("capacity", "capacity_committed", "capacity_new"):
            values[name] = tuple(data[name])
        values["warnings"] = list(data["warnings"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class _Job:
    """An item with its duration, load and earliest start fixed, so both modes share them."""

    item: PlanItem
    duration: int
    load: float
    earliest: int

    @property
    def id(self) -> int:
        return self.item.id

    @property
    def committed(self) -> bool:
        return self.item.status == IN_PROGRESS


Reason = tuple[str, dict[str, Any]]
Starts = dict[int, int | None]  # item id -> start quarter


def build_schedule(
    items: Sequence[PlanItem],
    limits: PlanLimits,
    *,
    mode: str = RANK_ORDER,
    discount: float = 0.05,
    time_limit_seconds: float = 10.0,
    outside_dependencies: Mapping[int, str] = {},  # noqa: B006 - read only
) -> Schedule:
    if mode not in MODES:
        raise ValueError(f"unknown schedule mode {mode!r}")
    _check_limits(limits)
    plan = _Plan(items, limits, outside_dependencies)
    plan.place_fixed()
    rank_order = plan.rank_order()
    rank_objective = plan.objective(rank_order.starts, discount)
    if mode == RANK_ORDER:
        return plan.result(rank_order, mode, rank_objective, rank_objective)
    chosen, solver = _solve_best_value(plan, rank_order, discount, time_limit_seconds)
    objective = plan.objective(chosen.starts, discount)
    if objective <= rank_objective + EPSILON:
        # Nothing better than rank order: keep the transparent plan (and its reasons).
        chosen, objective = rank_order, rank_objective
    result = plan.result(chosen, mode, objective, rank_objective, solver=solver)
    differences = explain_differences(plan, rank_order, chosen)
    return replace(result, differences=differences)


def _check_limits(limits: PlanLimits) -> None:
    if len(limits.financial_years) != limits.horizon:
        raise ValueError("financial_years must give one year per quarter of capacities")
    if limits.reference_capacity <= 0:
        raise ValueError("reference_capacity must be positive")


def _make_job(item: PlanItem, reference_capacity: float) -> _Job:
    earliest = 1 if item.status in NOT_READY_STATUSES else 0
    if item.effort_days is None:
        return _Job(item, 0, 0.0, earliest)
    effort = max(0.0, float(item.effort_days))
    duration = max(1, math.ceil(effort / reference_capacity - EPSILON))
    return _Job(item, duration, effort / duration, earliest)


@dataclass(slots=True)
class _Outcome:
    """One mode's free placements: start per item id, and each item's reason."""

    starts: Starts
    reasons: dict[int, Reason]
    solver_note: str = ""


class _Ledger:
    """What is left of each quarter's capacity and each year's budgets."""

    def __init__(self, limits: PlanLimits) -> None:
        self.limits = limits
        self.years = sorted(set(limits.financial_years))
        self.capacity = [float(k) for k in limits.capacities]
        self.one_off = {
            y: float(limits.one_off_budgets[y])
            for y in self.years
            if _has(limits.one_off_budgets, y)
        }
        self.recurring = {
            y: float(limits.recurring_budgets[y])
            for y in self.years
            if _has(limits.recurring_budgets, y)
        }

    def copy(self) -> _Ledger:
        other = _Ledger.__new__(_Ledger)
        other.limits, other.years = self.limits, self.years
        other.capacity = list(self.capacity)
        other.one_off, other.recurring = dict(self.one_off), dict(self.recurring)
        return other

    def clamp(self) -> None:
        """Free items may use what fixed items left, and nothing when they overran it."""
        self.capacity = [max(0.0, room) for room in self.capacity]
        self.one_off = {y: max(0.0, room) for y, room in self.one_off.items()}
        self.recurring = {y: max(0.0, room) for y, room in self.recurring.items()}

    def recurring_years(self, job: _Job, start: int) -> list[int]:
        end = start + job.duration - 1
        if end >= self.limits.horizon:
            return []  # it finishes after the plan, so no year in the plan pays for running it
        first = self.limits.financial_years[end]
        return [y for y in self.years if y >= first]

    def apply(self, job: _Job, start: int, sign: float = 1.0) -> None:
        """Take (sign 1) or give back (sign −1) the job's load and costs from `start`."""
        horizon = self.limits.horizon
        for t in range(start, min(start + job.duration, horizon)):
            self.capacity[t] -= sign * job.load
        if start < horizon:
            year = self.limits.financial_years[start]
            if year in self.one_off:
                self.one_off[year] -= sign * job.item.one_off_cost
        for year in self.recurring_years(job, start):
            if year in self.recurring:
                self.recurring[year] -= sign * job.item.recurring_cost

    def fits_capacity(self, job: _Job, start: int) -> bool:
        need = job.load - EPSILON
        if job.duration == 1:  # most items: skip the generator, this is the hot loop
            return self.capacity[start] >= need
        return all(self.capacity[t] >= need for t in range(start, start + job.duration))

    def budget_blocker(self, job: _Job, start: int) -> Reason | None:
        year = self.limits.financial_years[start]
        cost = job.item.one_off_cost
        if cost > 0 and year in self.one_off and cost > self.one_off[year] + EPSILON:
            return OVER_ONE_OFF_BUDGET, {"year": year, "over_by": cost - self.one_off[year]}
        cost = job.item.recurring_cost
        for year in self.recurring_years(job, start) if cost > 0 else ():
            if year in self.recurring and cost > self.recurring[year] + EPSILON:
                return OVER_RECURRING_BUDGET, {"year": year, "over_by": cost - self.recurring[year]}
        return None

    def blocker(self, job: _Job, start: int, after: Mapping[int, int]) -> Reason | None:
        """Why `job` cannot start at `start` (None: it can). `after` maps the job's
        dependencies to the quarters they finish in."""
        if start < job.earliest:
            return NOT_READY, {}
        if after and max(after.values()) >= start:
            return WAITING_ON, {"ids": sorted(i for i, end in after.items() if end >= start)}
        if not self.fits_capacity(job, start):
            return NO_CAPACITY, {"until": None}
        return self.budget_blocker(job, start)


def _has(budgets: Mapping[int, float], year: int) -> bool:
    return year in budgets and budgets[year] is not None


class _Plan:
    """The parts both modes share: jobs, fixed placements, dependency order and the room left."""

    def __init__(
        self, items: Sequence[PlanItem], limits: PlanLimits, outside: Mapping[int, str]
    ) -> None:
        self.limits = limits
        self.items = sorted(items, key=lambda item: item.position)
        self.jobs = {item.id: _make_job(item, limits.reference_capacity) for item in self.items}
        if len(self.jobs) != len(self.items):
            raise ValueError("item ids must be unique")
        self.outside = dict(outside)
        self.references = {item.id: item.reference for item in self.items} | self.outside
        self.fixed: Starts = {}
        self.fixed_reasons: dict[int, Reason] = {}
        self.warnings: list[str] = []
        self.ledger = _Ledger(limits)
        self.order, self.cyclic = _dependency_order(self.items, self.jobs)
        if self.cyclic:
            names = ", ".join(self.references[i] for i in sorted(self.cyclic)[:10])
            self.warnings.append(f"Dependencies go round in a circle; not planned: {names}.")

    def deps(self, job: _Job) -> list[int]:
        """Dependencies that can block: candidates and outside items (others are done)."""
        return [d for d in job.item.depends_on if d in self.jobs or d in self.outside]

    def place_fixed(self) -> None:
        for item in self.items:
            job = self.jobs[item.id]
            if job.committed and item.pinned_quarter is None and item.effort_days is not None:
                self._place_committed(job)
        for item in self.items:
            if item.pinned_quarter is not None:
                self._place_pinned(self.jobs[item.id])
        self.ledger.clamp()

    def _place_committed(self, job: _Job) -> None:
        last = self.limits.horizon - job.duration
        start = next((s for s in range(last + 1) if self.ledger.fits_capacity(job, s)), None)
        if start is None:
            start = 0
            self.warnings.append(
                f"{job.item.reference} is in progress but there is no room for it within the "
                "plan; it is placed from the start anyway."
            )
        self.fixed[job.id] = start
        self.fixed_reasons[job.id] = (COMMITTED, {})
        self.ledger.apply(job, start)

    def _place_pinned(self, job: _Job) -> None:
        quarter = job.item.pinned_quarter
        assert quarter is not None
        reference = job.item.reference
        if job.item.effort_days is None:
            self.warnings.append(
                f"{reference} is pinned but needs an estimate, so it is not planned."
            )
            return
        if quarter >= self.limits.horizon:
            self.warnings.append(f"{reference} is pinned beyond the end of the plan.")
            self.fixed[job.id] = None
            self.fixed_reasons[job.id] = (PINNED, {"quarter": quarter})
            return
        start = max(0, quarter)
        if quarter < 0:
            self.warnings.append(f"{reference} is pinned before the plan starts; it starts first.")
        self.fixed[job.id] = start
        self.fixed_reasons[job.id] = (PINNED, {})
        self.ledger.apply(job, start)

    def free_jobs(self) -> Iterable[_Job]:
        """Free jobs in dependency order (rank order among those that are ready)."""
        return (self.jobs[i] for i in self.order if i not in self.fixed and i not in self.cyclic)

    def prior_block(self, job: _Job, starts: Starts) -> Reason | None:
        """A reason that holds for every quarter: no estimate, or a dependency outside the
        candidates, in a cycle, or not scheduled."""
        if job.item.effort_days is None:
            return NEEDS_ESTIMATE, {}
        waiting = [
            d
            for d in self.deps(job)
            if d in self.outside or d in self.cyclic or self.start_of(d, starts) is None
        ]
        return (WAITING_ON, {"ids": sorted(waiting)}) if waiting else None

    def start_of(self, item_id: int, starts: Starts) -> int | None:
        return self.fixed[item_id] if item_id in self.fixed else starts.get(item_id)

    def end_of(self, item_id: int, starts: Starts) -> int:
        start = self.start_of(item_id, starts)
        assert start is not None
        return start + self.jobs[item_id].duration - 1

    def running(self, job: _Job, starts: Starts) -> dict[int, int]:
        return {d: self.end_of(d, starts) for d in self.deps(job)}

    def earliest_start(
        self, job: _Job, starts: Starts, ledger: _Ledger
    ) -> tuple[int | None, Reason]:
        """Scan the plan for the job's earliest start; with none, say why (PLANNING.md)."""
        after = self.running(job, starts)
        last_blocker: Reason = (PLACED, {})
        for start in range(self.limits.horizon - job.duration + 1):
            blocker = ledger.blocker(job, start, after)
            if blocker is None:
                return start, _until(last_blocker, start)
            last_blocker = blocker
        return None, self._why_not(job, after, ledger)

    def _why_not(self, job: _Job, after: Mapping[int, int], ledger: _Ledger) -> Reason:
        last = self.limits.horizon - job.duration
        if last < 0:
            return NO_CAPACITY, {"until": None, "longer_than_plan": True}
        if last < job.earliest:
            return NOT_READY, {}
        first = max([job.earliest, *(end + 1 for end in after.values())])
        if first > last:
            return WAITING_ON, {"ids": sorted(d for d, end in after.items() if end >= last)}
        for start in range(first, last + 1):
            if ledger.fits_capacity(job, start):
                money = ledger.budget_blocker(job, start)
                if money is not None:
                    return money
        return NO_CAPACITY, {"until": None}

    def rank_order(self) -> _Outcome:
        ledger = self.ledger.copy()
        outcome = _Outcome({}, {})
        for job in self.free_jobs():
            self.place_free(job, ledger, outcome)
        return outcome

    def place_free(self, job: _Job, ledger: _Ledger, outcome: _Outcome) -> None:
        blocked = self.prior_block(job, outcome.starts)
        if blocked is not None:
            outcome.starts[job.id], outcome.reasons[job.id] = None, blocked
            return
        start, reason = self.earliest_start(job, outcome.starts, ledger)
        outcome.starts[job.id], outcome.reasons[job.id] = start, reason
        if start is not None:
            ledger.apply(job, start)

    def objective(self, starts: Starts, discount: float) -> float:
        keep = 1.0 - discount
        total = 0.0
        for item_id, job in self.jobs.items():
            start = self.start_of(item_id, starts)
            if start is not None and job.item.effort_days is not None:
                total += job.item.score * keep ** (start + job.duration - 1)
        return total

    def result(
        self,
        outcome: _Outcome,
        mode: str,
        objective: float,
        rank_objective: float,
        *,
        solver: tuple[bool | None, float | None] = (None, None),
    ) -> Schedule:
        placements = [self._placement(item, outcome) for item in self.items]
        committed, new = _loads(placements, self.limits.horizon)
        one_off, recurring = self._spending(outcome.starts)
        warnings = [*self.warnings, *self._fixed_breaches(outcome.starts, committed, new)]
        if outcome.solver_note:
            warnings.append(outcome.solver_note)
        return Schedule(
            mode=mode,
            placements=placements,
            capacity=tuple(float(k) for k in self.limits.capacities),
            capacity_committed=committed,
            capacity_new=new,
            one_off_by_year=one_off,
            recurring_by_year=recurring,
            objective=objective,
            rank_order_objective=rank_objective,
            optimal=solver[0],
            gap=solver[1],
            warnings=warnings,
        )

    def _placement(self, item: PlanItem, outcome: _Outcome) -> Placement:
        job = self.jobs[item.id]
        start = self.start_of(item.id, outcome.starts)
        if item.id in self.fixed_reasons:
            code, details = self.fixed_reasons[item.id]
        elif item.effort_days is None:
            code, details = NEEDS_ESTIMATE, {}
        elif item.id in self.cyclic:
            code, details = WAITING_ON, {"ids": sorted(self.cyclic[item.id])}
        else:
            code, details = outcome.reasons.get(item.id, (PLACED, {}))
        if "ids" in details:
            details = {"refs": [self.references[i] for i in details["ids"]]}
        return Placement(
            item_id=item.id,
            start=start,
            end=None if start is None else start + job.duration - 1,
            duration=job.duration,
            load=job.load,
            committed=job.committed,
            pinned=item.pinned_quarter is not None,
            reason=code,
            details=dict(details),
        )

    def _spending(self, starts: Starts) -> tuple[dict[int, float], dict[int, float]]:
        ledger = _Ledger(replace(self.limits, one_off_budgets={}, recurring_budgets={}))
        one_off = dict.fromkeys(ledger.years, 0.0)
        recurring = dict.fromkeys(ledger.years, 0.0)
        for item_id, job in self.jobs.items():
            start = self.start_of(item_id, starts)
            if start is None or job.item.effort_days is None:
                continue
            if start < self.limits.horizon:
                one_off[self.limits.financial_years[start]] += job.item.one_off_cost
            for year in ledger.recurring_years(job, start):
                recurring[year] += job.item.recurring_cost
        return one_off, recurring

    def _fixed_breaches(
        self, starts: Starts, committed: Sequence[float], new: Sequence[float]
    ) -> list[str]:
        """Free items never overrun what is left, so any overrun comes from fixed work."""
        notes = []
        for t, capacity in enumerate(self.limits.capacities):
            over = committed[t] + new[t] - capacity
            if over > EPSILON:
                notes.append(
                    f"Committed and pinned work puts {self.limits.quarter_name(t)} over capacity "
                    f"by {over:,.0f} team-days."
                )
        one_off, recurring = self._spending(starts)
        for kind, spent, budgets in (
            ("one-off", one_off, self.limits.one_off_budgets),
            ("recurring", recurring, self.limits.recurring_budgets),
        ):
            for year, amount in spent.items():
                if _has(budgets, year) and amount - budgets[year] > EPSILON:
                    notes.append(
                        f"Committed and pinned work puts the {self.limits.year_name(year)} {kind} "
                        f"budget over by £{amount - budgets[year]:,.0f}."
                    )
        return notes + self._fixed_dependency_breaches(starts)

    def _fixed_dependency_breaches(self, starts: Starts) -> list[str]:
        """Pinned and in-progress items keep their quarters whatever they depend on."""
        notes = []
        for item in self.items:
            start = self.fixed.get(item.id)
            if start is None:
                continue
            if item.pinned_quarter is None:
                where = "is in progress"
            else:
                where = f"is pinned to {self.limits.quarter_name(start)}"
            for dep in self.deps(self.jobs[item.id]):
                dep_start = None if dep in self.outside else self.start_of(dep, starts)
                if dep_start is None or dep_start + self.jobs[dep].duration - 1 >= start:
                    notes.append(
                        f"{item.reference} {where}, before its dependency "
                        f"{self.references[dep]} has finished."
                    )
        return notes


def _until(reason: Reason, start: int) -> Reason:
    code, details = reason
    return (code, {"until": start}) if code == NO_CAPACITY else reason


def _loads(placements: Sequence[Placement], horizon: int) -> tuple[tuple[float, ...], ...]:
    committed, new = [0.0] * horizon, [0.0] * horizon
    for placement in placements:
        if placement.start is None or placement.end is None:
            continue
        column = committed if placement.committed else new
        for t in range(placement.start, min(placement.end + 1, horizon)):
            column[t] += placement.load
    return tuple(committed), tuple(new)


def _dependency_order(
    items: Sequence[PlanItem], jobs: Mapping[int, _Job]
) -> tuple[list[int], dict[int, set[int]]]:
    """Kahn's algorithm, breaking ties by rank: an item comes after what it depends on and
    otherwise in rank order. Items left over sit on, or behind, a cycle: they map to the
    dependencies that never came."""
    waiting_on = {i.id: {d for d in i.depends_on if d in jobs and d != i.id} for i in items}
    dependents: dict[int, list[int]] = {i.id: [] for i in items}
    for item_id, deps in waiting_on.items():
        for dep in deps:
            dependents[dep].append(item_id)
    position = {i.id: i.position for i in items}
    ready = [(position[i], i) for i, deps in waiting_on.items() if not deps]
    heapq.heapify(ready)
    order = []
    left = {i: len(deps) for i, deps in waiting_on.items()}
    while ready:
        _, item_id = heapq.heappop(ready)
        order.append(item_id)
        for dependent in dependents[item_id]:
            left[dependent] -= 1
            if not left[dependent]:
                heapq.heappush(ready, (position[dependent], dependent))
    placed = set(order)
    cyclic = {i: waiting_on[i] - placed for i in waiting_on if i not in placed}
    # A self-dependency is a cycle of one.
    for item in items:
        if item.id in item.depends_on:
            cyclic.setdefault(item.id, set()).add(item.id)
    order = [i for i in order if i not in cyclic]
    return order, cyclic


# --- Best value: a time-indexed 0/1 programme (PLANNING.md), solved by HiGHS ----------------

_MAX_POLISH_PASSES = 10
SolverResult = tuple[bool | None, float | None]  # (proven optimal, relative gap)


@dataclass(slots=True)
class _Model:
    """x[i, s] = 1 when free item i starts in quarter s. Rows are `Σ a·x ≤ upper`."""

    columns: list[tuple[int, int]] = field(default_factory=list)  # (item id, start)
    costs: list[float] = field(default_factory=list)
    uppers: list[float] = field(default_factory=list)
    rows: list[dict[int, float]] = field(default_factory=list)
    by_item: dict[int, dict[int, int]] = field(default_factory=dict)  # id -> start -> column

    def add_row(self, coefficients: dict[int, float], upper: float) -> None:
        if coefficients:
            self.rows.append(coefficients)
            self.uppers.append(upper)


def _variable_ranges(plan: _Plan) -> dict[int, int]:
    """The first start each free item could ever have (status and dependencies, taken at
    their earliest); items that can never start in the plan get no variables."""
    first: dict[int, int] = {}
    horizon = plan.limits.horizon
    for job in plan.free_jobs():
        if job.item.effort_days is None:
            continue
        bounds = [job.earliest]
        for dep in plan.deps(job):
            if dep in plan.fixed:
                start = plan.fixed[dep]
                bounds.append(-1 if start is None else start + plan.jobs[dep].duration)
            else:
                bounds.append(first[dep] + plan.jobs[dep].duration if dep in first else -1)
        if min(bounds) >= 0 and max(bounds) <= horizon - job.duration:
            first[job.id] = max(bounds)
    return first


def _build_model(plan: _Plan, discount: float) -> _Model:
    model = _Model()
    keep, horizon = 1.0 - discount, plan.limits.horizon
    for item_id, first in _variable_ranges(plan).items():
        job = plan.jobs[item_id]
        model.by_item[item_id] = {}
        for start in range(first, horizon - job.duration + 1):
            model.by_item[item_id][start] = len(model.columns)
            model.columns.append((item_id, start))
            model.costs.append(job.item.score * keep ** (start + job.duration - 1))
    _add_limit_rows(plan, model)
    for columns in model.by_item.values():
        model.add_row(dict.fromkeys(columns.values(), 1.0), 1.0)  # one start at most
    _add_precedence_rows(plan, model)
    return model


def _add_limit_rows(plan: _Plan, model: _Model) -> None:
    ledger, years = plan.ledger, plan.limits.financial_years
    capacity: list[dict[int, float]] = [{} for _ in range(plan.limits.horizon)]
    one_off: dict[int, dict[int, float]] = {y: {} for y in ledger.one_off}
    recurring: dict[int, dict[int, float]] = {y: {} for y in ledger.recurring}
    for column, (item_id, start) in enumerate(model.columns):
        job = plan.jobs[item_id]
        if job.load > 0:
            for t in range(start, start + job.duration):
                capacity[t][column] = job.load
        if job.item.one_off_cost > 0 and years[start] in one_off:
            one_off[years[start]][column] = job.item.one_off_cost
        if job.item.recurring_cost > 0:
            for year in ledger.recurring_years(job, start):
                if year in recurring:
                    recurring[year][column] = job.item.recurring_cost
    for t, row in enumerate(capacity):
        model.add_row(row, ledger.capacity[t])
    for year, row in one_off.items():
        model.add_row(row, ledger.one_off[year])
    for year, row in recurring.items():
        model.add_row(row, ledger.recurring[year])


def _add_precedence_rows(plan: _Plan, model: _Model) -> None:
    """j may have started by s only if each dependency i started by s − d_i."""
    for j, j_columns in model.by_item.items():
        for i in plan.deps(plan.jobs[j]):
            if i not in model.by_item:
                continue  # a fixed dependency already moved j's first start
            i_columns, d_i = model.by_item[i], plan.jobs[i].duration
            for s in j_columns:
                row = {c: 1.0 for start, c in j_columns.items() if start <= s}
                row |= {c: -1.0 for start, c in i_columns.items() if start <= s - d_i}
                model.add_row(row, 0.0)


def _solve_best_value(
    plan: _Plan, rank_order: _Outcome, discount: float, time_limit: float
) -> tuple[_Outcome, SolverResult]:
    model = _build_model(plan, discount)
    if not model.columns:
        return rank_order, (True, 0.0)
    try:
        highs = _new_highs()
    except ImportError:
        note = "The best-value solver is not installed; the plan is in rank order."
        return replace(rank_order, solver_note=note), (None, None)
    _pass_model(highs, model, plan.objective({}, discount))
    _set_options(highs, time_limit)
    warm = [0.0] * len(model.columns)
    for item_id, columns in model.by_item.items():
        start = rank_order.starts.get(item_id)
        if start is not None:
            warm[columns[start]] = 1.0
    _warm_start(highs, warm)
    highs.run()
    return _read_solution(highs, plan, model, rank_order, discount)


def _new_highs() -> Any:
    """HiGHS prints a banner from C on the first solver of a process, before any option can
    silence it; point the process's stdout at /dev/null for that moment."""
    import highspy

    new: Callable[[], Any] = highspy.Highs  # highspy's constructor is untyped
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            highs = new()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    highs.setOptionValue("output_flag", False)
    return highs


def _pass_model(highs: Any, model: _Model, constant: float) -> None:
    import highspy
    import numpy as np

    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(model.columns), len(model.rows)
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.offset_ = constant  # fixed items' value, so the gap is relative to the whole plan
    lp.col_cost_ = np.array(model.costs, dtype=np.float64)
    lp.col_lower_ = np.zeros(lp.num_col_)
    lp.col_upper_ = np.ones(lp.num_col_)
    lp.row_lower_ = np.full(lp.num_row_, -highspy.kHighsInf)
    lp.row_upper_ = np.array(model.uppers, dtype=np.float64)
    starts, indices, values = [0], list[int](), list[float]()
    for row in model.rows:
        indices.extend(row.keys())
        values.extend(row.values())
        starts.append(len(indices))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = lp.num_col_, lp.num_row_
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(indices, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(values, dtype=np.float64)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * lp.num_col_
    highs.passModel(lp)


def _set_options(highs: Any, time_limit: float) -> None:
    # One thread and a fixed seed make the search, and so the plan, repeatable.
    highs.setOptionValue("threads", 1)
    highs.setOptionValue("random_seed", 0)
    highs.setOptionValue("time_limit", float(time_limit))
    highs.setOptionValue("mip_rel_gap", 1e-6)


def _warm_start(highs: Any, values: list[float]) -> None:
    import highspy

    solution = highspy.HighsSolution()
    solution.col_value = values
    solution.value_valid = True
    highs.setSolution(solution)


def _read_solution(
    highs: Any, plan: _Plan, model: _Model, rank_order: _Outcome, discount: float
) -> tuple[_Outcome, SolverResult]:
    import highspy

    info = highs.getInfo()
    optimal = highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    starts: Starts = {}
    if info.primal_solution_status == 2:  # kSolutionStatusFeasible
        values = highs.getSolution().col_value
        starts = {i: s for column, (i, s) in enumerate(model.columns) if values[column] > 0.5}
    outcome = _polish(plan, starts) if starts else None
    if outcome is None:
        note = "The best-value solver found no better plan in time; the plan is in rank order."
        outcome = replace(rank_order, solver_note=note)
    objective = plan.objective(outcome.starts, discount)
    bound = float(info.mip_dual_bound)
    gap = max(0.0, bound - objective) / max(objective, EPSILON) if math.isfinite(bound) else None
    return outcome, (optimal, gap)


def _polish(plan: _Plan, chosen: Starts) -> _Outcome | None:
    """Check the solver's plan against the same rules as rank order (None if it breaks one),
    then move each item to its earliest start and add any item that still fits. Neither step
    lowers the value, and afterwards every item's reason is true of the final plan."""
    ledger = plan.ledger.copy()
    outcome = _Outcome({}, {})
    for job in plan.free_jobs():
        start = chosen.get(job.id)
        if start is not None:
            after = (
                plan.running(job, outcome.starts)
                if plan.prior_block(job, outcome.starts) is None
                else None
            )
            if after is None or ledger.blocker(job, start, after) is not None:
                return None
            ledger.apply(job, start)
        outcome.starts[job.id] = start
    for _ in range(_MAX_POLISH_PASSES):
        if not _polish_pass(plan, ledger, outcome):
            break
    return outcome


def _polish_pass(plan: _Plan, ledger: _Ledger, outcome: _Outcome) -> bool:
    changed = False
    for job in plan.free_jobs():
        start = outcome.starts[job.id]
        if start is not None:
            ledger.apply(job, start, -1.0)
        plan.place_free(job, ledger, outcome)
        changed = changed or outcome.starts[job.id] != start
    return changed


# --- Explaining a plan in words ------------------------------------------------------------


def explain_differences(plan: _Plan, rank_order: _Outcome, best: _Outcome) -> list[Difference]:
    """Compare best value with rank order item by item, in rank order, with the figures."""
    moves: list[tuple[_Job, str, int | None, int | None]] = []
    for item in plan.items:
        before, after = rank_order.starts.get(item.id), best.starts.get(item.id)
        if item.id in plan.fixed or before == after:
            continue
        if before is None or after is None:
            kind = ADDED if before is None else DROPPED
        else:
            kind = BROUGHT_FORWARD if after < before else HELD_BACK
        moves.append((plan.jobs[item.id], kind, before, after))
    return [
        Difference(job.id, kind, before, after, _explain(plan, moves, job, before, after))
        for job, kind, before, after in moves
    ]


def _explain(
    plan: _Plan,
    moves: Sequence[tuple[_Job, str, int | None, int | None]],
    job: _Job,
    before: int | None,
    after: int | None,
) -> str:
    """Name what changed in the quarter that matters: where the item now starts if it came
    forward, or where it used to start if it went back."""
    name = plan.limits.quarter_name
    later = math.inf
    gained = [
        j for j, _, b, a in moves if a is not None and a <= _at(after, before) < _or(b, later)
    ]
    lost = [j for j, _, b, a in moves if b is not None and b <= _at(after, before) < _or(a, later)]
    ref = job.item.reference
    was = "not in the rank-order plan" if before is None else f"was {name(before)}"
    now = "not in the plan" if after is None else name(after)
    if after is not None and (before is None or after < before):
        if not lost:
            return f"{ref} starts in {now} ({was}): the rearranged plan leaves room for it."
        ahead = min(lost, key=lambda j: j.item.position)
        verb = (
            "moved ahead of" if job.item.position > ahead.item.position else "brought forward past"
        )
        return (
            f"{ref} {verb} {ahead.item.reference}: {_group(gained)} "
            f"{_points(gained)} by starting in {now}; {_group(lost)} {_points(lost)}."
        )
    if not gained:
        return f"{ref} moves to {now} ({was}): its room goes to items that deliver more sooner."
    return (
        f"{ref} held back to {now} ({was}): {_group(gained)} {_points(gained)} "
        f"in its place; {_group(lost)} {_points(lost)}."
    )


def _at(after: int | None, before: int | None) -> int:
    """The quarter a difference is about: the new start if it came forward, else the old."""
    if after is not None and (before is None or after < before):
        return after
    assert before is not None
    return before


def _or(value: int | None, default: float) -> float:
    return default if value is None else value


def _group(jobs: Sequence[_Job]) -> str:
    jobs = sorted(jobs, key=lambda j: j.item.position)
    refs = [j.item.reference for j in jobs]
    names = refs[0] if len(refs) == 1 else ", ".join(refs[:-1]) + " and " + refs[-1]
    efforts = {round(float(j.item.effort_days or 0)) for j in jobs}
    if len(jobs) == 1:
        return f"{names} ({efforts.pop():,} team-days)"
    if len(efforts) == 1:
        return f"{names} ({efforts.pop():,} team-days each)"
    total = sum(float(j.item.effort_days or 0) for j in jobs)
    return f"{names} ({total:,.0f} team-days in all)"


def _points(jobs: Sequence[_Job]) -> str:
    """ "deliver 140 points" for a group, "delivers 80 points" for one item."""
    verb = "delivers" if len(jobs) == 1 else "deliver"
    return f"{verb} {sum(j.item.score for j in jobs):,.0f} points"


def reason_text(
    placement: Placement, quarter_labels: Sequence[str], year_labels: Mapping[int, str]
) -> str:
    """The placement's reason in plain English, for pages and exports."""
    code, details = placement.reason, placement.details
    if code == WAITING_ON:
        return "waiting on " + ", ".join(details.get("refs", []))
    if code == NO_CAPACITY:
        if details.get("longer_than_plan"):
            return "longer than the whole plan"
        until = details.get("until")
        if until is None:
            return "no capacity within the plan"
        label = (
            quarter_labels[until] if 0 <= until < len(quarter_labels) else f"quarter {until + 1}"
        )
        return f"no capacity until {label}"
    if code in (OVER_ONE_OFF_BUDGET, OVER_RECURRING_BUDGET):
        kind = "one-off" if code == OVER_ONE_OFF_BUDGET else "recurring"
        year = year_labels.get(details["year"], str(details["year"]))
        return f"over the {year} {kind} budget by £{details['over_by']:,.0f}"
    if code == PINNED and "quarter" in details:
        return "pinned beyond the end of the plan"
    return _REASON_WORDS.get(code, code.replace("_", " "))


_REASON_WORDS = {
    COMMITTED: "in progress",
    PINNED: "pinned",
    PLACED: "",
    NOT_READY: "not ready",
    NEEDS_ESTIMATE: "needs an estimate",
}
