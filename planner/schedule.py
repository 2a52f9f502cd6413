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
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy is loaded only when a best-value plan is asked for
    import numpy as np
    from numpy.typing import NDArray

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
    # The time limit covers the whole call, not just the solver.
    deadline = time.perf_counter() + time_limit_seconds
    if mode not in MODES:
        raise ValueError(f"unknown schedule mode {mode!r}")
    _check_limits(limits)
    plan = _Plan(items, limits, outside_dependencies)
    plan.place_fixed()
    rank_order = plan.rank_order()
    rank_objective = plan.objective(rank_order.starts, discount)
    if mode == RANK_ORDER:
        return plan.result(rank_order, mode, rank_objective, rank_objective)
    chosen, solver = _solve_best_value(plan, rank_order, discount, deadline)
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
        if max(ledger.capacity, default=0.0) < job.load - EPSILON:
            # No quarter has room for it (most of a long backlog once the plan is full):
            # every start is blocked, so skip the scan and say why.
            return None, self._why_not(job, after, ledger)
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
        if max(ledger.capacity, default=0.0) < job.load - EPSILON:
            return NO_CAPACITY, {"until": None}
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
# HiGHS stops when (bound − plan) / bound is at most this: 0.01% of the plan's value, well
# under a point on any real backlog. "Optimal" means optimal to this tolerance (ADR 0006).
MIP_REL_GAP = 1e-4
# Above this many start variables the programme is not tried and the plan stays in rank
# order, with a warning (5,000 items over 8 quarters is at most 40,000).
MAX_COLUMNS = 200_000
SolverResult = tuple[bool | None, float | None]  # (proven optimal, relative gap)


@dataclass(slots=True)
class _Model:
    """x[k] = 1 when free job `jobs[job[k]]` starts in quarter `start[k]`; columns are sorted
    by job (in dependency order), then start. Rows are `Σ a·x ≤ upper`, kept as coordinate
    triplets, each scaled so that its room is about 1 (pounds beside team-days otherwise
    make the programme badly scaled, which slows HiGHS down)."""

    jobs: list[_Job]
    horizon: int
    job: NDArray[np.int64]
    start: NDArray[np.int64]
    costs: NDArray[np.float64]
    row: list[NDArray[np.int64]] = field(default_factory=list)
    column: list[NDArray[np.int64]] = field(default_factory=list)
    value: list[NDArray[np.float64]] = field(default_factory=list)
    uppers: list[float] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.costs)

    def add_rows(
        self,
        row: NDArray[np.int64],
        column: NDArray[np.int64],
        value: NDArray[np.float64],
        uppers: Sequence[float],
    ) -> None:
        """Add rows numbered 0 … len(uppers) − 1 in `row`, after the rows so far."""
        self.row.append(row + len(self.uppers))
        self.column.append(column)
        self.value.append(value)
        self.uppers.extend(float(u) for u in uppers)

    def column_of(self, job: int, start: int) -> int | None:
        """The column of job index `job` starting at `start`, if there is one."""
        import numpy as np

        keys = self.job * self.horizon + self.start  # sorted, as the columns are
        key = job * self.horizon + start
        found = int(np.searchsorted(keys, key))
        return found if found < self.size and int(keys[found]) == key else None


def _arrays(jobs: Sequence[_Job]) -> dict[str, NDArray[Any]]:
    import numpy as np

    return {
        "load": np.array([j.load for j in jobs], dtype=np.float64),
        "duration": np.array([j.duration for j in jobs], dtype=np.int64),
        "earliest": np.array([j.earliest for j in jobs], dtype=np.int64),
        "one_off": np.array([j.item.one_off_cost for j in jobs], dtype=np.float64),
        "recurring": np.array([j.item.recurring_cost for j in jobs], dtype=np.float64),
        "score": np.array([j.item.score for j in jobs], dtype=np.float64),
    }


def _start_mask(plan: _Plan, a: Mapping[str, NDArray[Any]]) -> NDArray[np.bool_]:
    """Which (job, start) pairs fit on their own: ready by then, inside the plan, and within
    what fixed work leaves of capacity and budgets. Every limit row has non-negative
    coefficients, so a start that overruns a row alone is never feasible: dropping it keeps
    the programme exact, and makes it smaller and its relaxation tighter."""
    import numpy as np

    ledger, horizon = plan.ledger, plan.limits.horizon
    years = plan.limits.financial_years
    quarters = np.arange(horizon)
    duration = a["duration"][:, None]
    mask = (quarters >= a["earliest"][:, None]) & (quarters + duration <= horizon)
    room = np.array(ledger.capacity, dtype=np.float64)
    for d in (int(d) for d in np.unique(a["duration"])):
        # The least room over the quarters that a start of d quarters spans.
        least = np.full(horizon, -np.inf)
        for s in range(horizon - d + 1):
            least[s] = room[s : s + d].min()
        rows = a["duration"] == d
        mask[rows] &= a["load"][rows, None] <= least + EPSILON
    one_off = np.array([ledger.one_off.get(y, math.inf) for y in years])
    mask &= (a["one_off"][:, None] <= 0) | (a["one_off"][:, None] <= one_off + EPSILON)
    # Recurring cost is paid in every year from the one the item finishes in.
    paying = [[ledger.recurring.get(y, math.inf) for y in ledger.years if y >= fy] for fy in years]
    from_year = np.array([min(rooms, default=math.inf) for rooms in paying])
    end = np.minimum(quarters + duration - 1, horizon - 1)
    recurring = a["recurring"][:, None]
    mask &= (recurring <= 0) | (recurring <= from_year[end] + EPSILON)
    fits: NDArray[np.bool_] = mask.astype(bool)
    return fits


def _dependency_bounds(plan: _Plan, jobs: Sequence[_Job], mask: NDArray[np.bool_]) -> None:
    """A job starts after each dependency could first have finished. Jobs come in dependency
    order, so a dependency's row of `mask` is final before its dependents read it."""
    horizon = plan.limits.horizon
    index = {job.id: k for k, job in enumerate(jobs)}
    for k, job in enumerate(jobs):
        after = 0
        for dep in plan.deps(job):
            if dep in plan.fixed:
                start = plan.fixed[dep]
                first = horizon if start is None else start
            elif dep in index and mask[index[dep]].any():
                first = int(mask[index[dep]].argmax())
            else:
                first = horizon  # outside, in a cycle, unestimated or never able to start
            after = max(after, first + plan.jobs[dep].duration if first < horizon else horizon)
        mask[k, :after] = False


def _build_model(plan: _Plan, discount: float) -> _Model:
    """The programme in bulk with numpy: no Python loop over columns or entries."""
    import numpy as np

    jobs = [job for job in plan.free_jobs() if job.item.effort_days is not None]
    a = _arrays(jobs)
    mask = np.zeros((len(jobs), plan.limits.horizon), dtype=bool)
    if jobs:
        mask = _start_mask(plan, a)
        _dependency_bounds(plan, jobs, mask)
    job, start = (np.asarray(v, dtype=np.int64) for v in np.nonzero(mask))
    finish = start + a["duration"][job] - 1
    costs = a["score"][job] * (1.0 - discount) ** finish
    model = _Model(jobs, plan.limits.horizon, job, start, costs)
    if 0 < model.size <= MAX_COLUMNS:
        _add_capacity_rows(plan, model, a)
        _add_budget_rows(plan, model, a, finish)
        _add_one_start_rows(model)
        _add_precedence_rows(plan, model, a)
    return model


def _add_capacity_rows(plan: _Plan, model: _Model, a: Mapping[str, NDArray[Any]]) -> None:
    """One row per quarter: the load of every start that spans it."""
    import numpy as np

    room = np.array(plan.ledger.capacity, dtype=np.float64)
    scale = np.maximum(room, 1.0)
    load, duration = a["load"][model.job], a["duration"][model.job]
    columns = np.flatnonzero(load > 0)
    rows, cols = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    for d in (int(d) for d in np.unique(duration[columns])):
        spanning = columns[duration[columns] == d]
        for k in range(d):
            rows.append(model.start[spanning] + k)
            cols.append(spanning)
    row, col = np.concatenate(rows), np.concatenate(cols)
    model.add_rows(row, col, load[col] / scale[row], list(room / scale))


def _add_budget_rows(
    plan: _Plan, model: _Model, a: Mapping[str, NDArray[Any]], finish: NDArray[np.int64]
) -> None:
    """One-off cost in the year an item starts; recurring in every year from the one it
    finishes in. Only years with a budget get a row."""
    import numpy as np

    years = np.array(plan.limits.financial_years, dtype=np.int64)
    ledger = plan.ledger
    one_off, recurring = a["one_off"][model.job], a["recurring"][model.job]
    for year, room in sorted(ledger.one_off.items()):
        col = np.flatnonzero((one_off > 0) & (years[model.start] == year))
        zeros = np.zeros(len(col), dtype=np.int64)
        model.add_rows(zeros, col, one_off[col] / _scale(room), [room / _scale(room)])
    for year, room in sorted(ledger.recurring.items()):
        col = np.flatnonzero((recurring > 0) & (years[finish] <= year))
        zeros = np.zeros(len(col), dtype=np.int64)
        model.add_rows(zeros, col, recurring[col] / _scale(room), [room / _scale(room)])


def _scale(room: float) -> float:
    return max(room, 1.0)


def _add_one_start_rows(model: _Model) -> None:
    """At most one start per job; a job with a single column needs no row (its bound is 1)."""
    import numpy as np

    counts = np.bincount(model.job, minlength=len(model.jobs))
    several = counts >= 2
    row_of_job = np.cumsum(several) - 1
    col = np.flatnonzero(several[model.job])
    model.add_rows(row_of_job[model.job[col]], col, np.ones(len(col)), [1.0] * int(several.sum()))


def _add_precedence_rows(plan: _Plan, model: _Model, a: Mapping[str, NDArray[Any]]) -> None:
    """For j depending on i, at each start s of j: Σ_{s' ≤ s} x[j,s'] ≤ Σ_{s'' ≤ s − d_i}
    x[i,s''] (j may have started by s only if i started early enough to finish by s − 1).
    This per-quarter form is the strong one: its relaxation is tighter than one row per
    pair. Dependencies are few, so a loop over pairs is cheap."""
    import numpy as np

    index = {job.id: k for k, job in enumerate(model.jobs)}
    bounds = np.searchsorted(model.job, np.arange(len(model.jobs) + 1))
    rows, cols, values, count = [], [], [], 0
    for j, job in enumerate(model.jobs):
        j_cols = np.arange(bounds[j], bounds[j + 1])
        for dep in plan.deps(job):
            i = index.get(dep)
            if i is None or not len(j_cols):
                continue  # a fixed dependency already moved j's first start
            i_cols = np.arange(bounds[i], bounds[i + 1])
            d_i = int(a["duration"][i])
            for s in model.start[j_cols]:
                mine = j_cols[model.start[j_cols] <= s]
                theirs = i_cols[model.start[i_cols] <= s - d_i]
                rows.append(np.full(len(mine) + len(theirs), count))
                cols.append(np.concatenate([mine, theirs]))
                values.append(np.concatenate([np.ones(len(mine)), -np.ones(len(theirs))]))
                count += 1
    if count:
        model.add_rows(
            np.concatenate(rows), np.concatenate(cols), np.concatenate(values), [0.0] * count
        )


def _solve_best_value(
    plan: _Plan, rank_order: _Outcome, discount: float, deadline: float
) -> tuple[_Outcome, SolverResult]:
    model = _build_model(plan, discount)
    if not model.size:
        return rank_order, (True, 0.0)
    if model.size > MAX_COLUMNS:
        note = (
            f"The backlog is too large for the best-value solver ({model.size:,} possible "
            "starts); the plan is in rank order."
        )
        return replace(rank_order, solver_note=note), (None, None)
    try:
        import highspy  # noqa: F401 - only to know whether the solver is there
    except ImportError:
        note = "The best-value solver is not installed; the plan is in rank order."
        return replace(rank_order, solver_note=note), (None, None)
    problem = _problem(model, rank_order, plan.objective({}, discount))
    if model.size > CHILD_COLUMNS:
        solved = _solve_in_child(problem, deadline)
    else:
        solved = _run_highs(problem, deadline)
    return _read_solution(solved, plan, model, rank_order, discount)


# Larger programmes are solved in a child process that is killed at the deadline. HiGHS
# checks its time limit between phases, but on large programmes one root heuristic
# (central rounding) has run for minutes without looking at it; a process can be stopped,
# a thread cannot. Smaller ones are solved in this process, which saves ~0.3 s of start-up.
CHILD_COLUMNS = 10_000
_KILL_GRACE = 0.5  # seconds past the deadline before the child is killed
# The child loads this file on its own, not the `planner` package (which loads Celery).
_CHILD = (
    "import importlib.util as u, sys; s = u.spec_from_file_location('_plan_solver', sys.argv[1]); "
    "m = u.module_from_spec(s); sys.modules[s.name] = m; s.loader.exec_module(m); m._child_main()"
)
# What a solve gives back: the chosen columns (None: no plan), proven optimal, dual bound.
Solved = tuple["NDArray[np.int64] | None", bool, float]


def _problem(model: _Model, rank_order: _Outcome, constant: float) -> dict[str, Any]:
    """The programme as plain arrays (row-wise matrix), so it can go to a child process."""
    import numpy as np

    row, col = np.concatenate(model.row), np.concatenate(model.column)
    order = np.lexsort((col, row))
    counts = np.bincount(row, minlength=len(model.uppers))
    warm = np.zeros(model.size)
    for k, job in enumerate(model.jobs):
        start = rank_order.starts.get(job.id)
        column = None if start is None else model.column_of(k, start)
        if column is not None:  # every rank-order start fits on its own, so it has one
            warm[column] = 1.0
    return {
        "costs": model.costs,
        "offset": constant,  # fixed items' value, so the gap is relative to the whole plan
        "uppers": np.array(model.uppers, dtype=np.float64),
        "starts": np.concatenate([[0], np.cumsum(counts)]).astype(np.int32),
        "index": col[order].astype(np.int32),
        "value": np.concatenate(model.value)[order],
        "warm": warm,
    }


def _run_highs(
    problem: Mapping[str, Any], deadline: float, report: Callable[[Solved], None] | None = None
) -> Solved:
    """Solve with HiGHS until proven optimal or the deadline; `report` hears each better plan."""
    import highspy
    import numpy as np

    highs = _new_highs()
    highs.passModel(_lp(problem))
    _set_options(highs, deadline)
    if report is not None:

        def improved(event: Any) -> None:
            values = np.asarray(event.data_out.mip_solution)
            report((np.flatnonzero(values > 0.5), False, float(event.data_out.mip_dual_bound)))

        highs.cbMipImprovingSolution.subscribe(improved)
    if problem["warm"].any():
        solution = highspy.HighsSolution()
        solution.col_value = problem["warm"]
        solution.value_valid = True
        highs.setSolution(solution)
    highs.run()
    info = highs.getInfo()
    optimal = highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    chosen = None
    if info.primal_solution_status == 2:  # kSolutionStatusFeasible
        chosen = np.flatnonzero(np.asarray(highs.getSolution().col_value) > 0.5)
        value = float(problem["costs"][chosen].sum()) + problem["offset"]
        claimed = float(info.objective_function_value)
        if problem["warm"].any() and abs(claimed - value) > 1e-6 * max(1.0, abs(value)):
            # HiGHS 1.16 can carry a starting solution through presolve with the wrong
            # value, then stop on it as "optimal" (ADR 0006): solve again without it.
            return _run_highs({**problem, "warm": np.zeros_like(problem["warm"])}, deadline, report)
    return chosen, optimal, float(info.mip_dual_bound)


def _lp(problem: Mapping[str, Any]) -> Any:
    import highspy
    import numpy as np

    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(problem["costs"]), len(problem["uppers"])
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.offset_ = problem["offset"]
    lp.col_cost_ = problem["costs"]
    lp.col_lower_ = np.zeros(lp.num_col_)
    lp.col_upper_ = np.ones(lp.num_col_)
    lp.row_lower_ = np.full(lp.num_row_, -highspy.kHighsInf)
    lp.row_upper_ = problem["uppers"]
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = lp.num_col_, lp.num_row_
    lp.a_matrix_.start_ = problem["starts"]
    lp.a_matrix_.index_ = problem["index"]
    lp.a_matrix_.value_ = problem["value"]
    lp.integrality_ = [highspy.HighsVarType.kInteger] * lp.num_col_
    return lp


def _solve_in_child(problem: Mapping[str, Any], deadline: float) -> Solved:
    """Solve in a child process; at the deadline (and a little grace) kill it and keep the
    best plan it has reported."""
    reports: list[Solved] = []
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, os.path.abspath(__file__)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert child.stdin is not None and child.stdout is not None
    reader = threading.Thread(target=_read_reports, args=(child.stdout, reports), daemon=True)
    reader.start()
    try:
        seconds = deadline - time.perf_counter()
        pickle.dump({**problem, "seconds": seconds}, child.stdin)
        child.stdin.close()
        child.wait(timeout=max(0.0, deadline - time.perf_counter()) + _KILL_GRACE)
    except (subprocess.TimeoutExpired, BrokenPipeError):
        child.kill()
        child.wait()
    reader.join()
    return reports[-1] if reports else (None, False, math.inf)


def _read_reports(stream: IO[bytes], reports: list[Solved]) -> None:
    # Our own child's frames, read until it ends or is killed.
    while True:
        try:
            reports.append(pickle.load(stream))  # noqa: S301 - from the child we started
        except (EOFError, pickle.UnpicklingError, OSError):
            return


def _child_main() -> None:
    """The child: read the problem from stdin, solve it, write each better plan and then the
    final result to stdout. HiGHS's own printing goes to /dev/null, not into the pipe."""
    out = os.fdopen(os.dup(1), "wb")
    with open(os.devnull, "wb") as null:
        os.dup2(null.fileno(), 1)
    problem = pickle.load(sys.stdin.buffer)  # noqa: S301 - from the parent that started us
    deadline = time.perf_counter() + float(problem["seconds"])

    def report(solved: Solved) -> None:
        pickle.dump(solved, out)
        out.flush()

    report(_run_highs(problem, deadline, report))
    out.close()


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


def _set_options(highs: Any, deadline: float) -> None:
    # One thread and a fixed seed make the search, and so the plan, repeatable.
    highs.setOptionValue("threads", 1)
    highs.setOptionValue("random_seed", 0)
    highs.setOptionValue("mip_rel_gap", MIP_REL_GAP)
    # HiGHS's clock starts at run(): it gets what is left of the caller's limit, and a
    # callback also stops the search by the wall clock, in case a phase overruns.
    highs.setOptionValue("time_limit", max(0.01, deadline - time.perf_counter()))

    def interrupt(event: Any) -> None:
        if time.perf_counter() > deadline:
            event.interrupt()

    highs.cbMipInterrupt.subscribe(interrupt)


def _read_solution(
    solved: Solved, plan: _Plan, model: _Model, rank_order: _Outcome, discount: float
) -> tuple[_Outcome, SolverResult]:
    chosen, optimal, bound = solved
    starts: Starts = {}
    if chosen is not None:
        starts = {model.jobs[model.job[k]].id: int(model.start[k]) for k in chosen}
    outcome = _polish(plan, starts) if starts else None
    if outcome is None:
        note = "The best-value solver found no better plan in time; the plan is in rank order."
        outcome = replace(rank_order, solver_note=note)
    objective = plan.objective(outcome.starts, discount)
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
    moves: list[_Move] = []
    for item in plan.items:
        before, after = rank_order.starts.get(item.id), best.starts.get(item.id)
        if item.id in plan.fixed or before == after:
            continue
        if before is None or after is None:
            kind = ADDED if before is None else DROPPED
        else:
            kind = BROUGHT_FORWARD if after < before else HELD_BACK
        moves.append((plan.jobs[item.id], kind, before, after))
    # What changed in each quarter is worked out once, so this stays linear in the moves.
    changes: dict[int, _Change] = {}
    differences = []
    for job, kind, before, after in moves:
        quarter = _at(after, before)
        if quarter not in changes:
            changes[quarter] = _change(moves, quarter)
        explanation = _explain(plan, changes[quarter], job, before, after)
        differences.append(Difference(job.id, kind, before, after, explanation))
    return differences


_Move = tuple[_Job, str, int | None, int | None]
# In one quarter: what the items that came in deliver, what those that went out deliver,
# and the highest-ranked item that went out (None when none did).
_Change = tuple[str, str, "_Job | None"]


def _change(moves: Sequence[_Move], quarter: int) -> _Change:
    later = math.inf
    gained = [j for j, _, b, a in moves if a is not None and a <= quarter < _or(b, later)]
    lost = [j for j, _, b, a in moves if b is not None and b <= quarter < _or(a, later)]
    ahead = min(lost, key=lambda j: j.item.position) if lost else None
    gained_text = f"{_group(gained)} {_points(gained)}" if gained else ""
    lost_text = f"{_group(lost)} {_points(lost)}" if lost else ""
    return gained_text, lost_text, ahead


def _explain(plan: _Plan, change: _Change, job: _Job, before: int | None, after: int | None) -> str:
    """Name what changed in the quarter that matters: where the item now starts if it came
    forward, or where it used to start if it went back."""
    name = plan.limits.quarter_name
    gained, lost, ahead = change
    ref = job.item.reference
    was = "not in the rank-order plan" if before is None else f"was {name(before)}"
    now = "not in the plan" if after is None else name(after)
    if after is not None and (before is None or after < before):
        if ahead is None:
            return f"{ref} starts in {now} ({was}): the rearranged plan leaves room for it."
        verb = (
            "moved ahead of" if job.item.position > ahead.item.position else "brought forward past"
        )
        return f"{ref} {verb} {ahead.item.reference}: {gained} by starting in {now}; {lost}."
    if not gained:
        return f"{ref} moves to {now} ({was}): its room goes to items that deliver more sooner."
    return f"{ref} held back to {now} ({was}): {gained} in its place; {lost}."


def _at(after: int | None, before: int | None) -> int:
    """The quarter a difference is about: the new start if it came forward, else the old."""
    if after is not None and (before is None or after < before):
        return after
    assert before is not None
    return before


def _or(value: int | None, default: float) -> float:
    return default if value is None else value


_NAMED = 6  # items named in an explanation before "and N more items"


def _group(jobs: Sequence[_Job]) -> str:
    jobs = sorted(jobs, key=lambda j: j.item.position)
    refs = [j.item.reference for j in jobs]
    if len(refs) > _NAMED:  # a long list helps nobody on a page
        refs = [*refs[: _NAMED - 1], f"{len(refs) - _NAMED + 1:,} more items"]
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
