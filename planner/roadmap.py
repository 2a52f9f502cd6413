"""Lay a ranked backlog into a Now / Next / Later roadmap.

A pure function of plain data (no Django, standard library only), so Hypothesis can test it
and the ranking service, views and exports can all call it on a finished run.

Placement rules
---------------
Items are considered in rank order, except that an item is considered only after every ranked
item it depends on (a topological order that breaks ties by rank). Each item goes into the
earliest horizon that (1) is no earlier than any ranked dependency's horizon, (2) its status
allows (Now takes only "ready" and "in_progress"; Next also takes "new" and "triage", because
Next is next quarter's plan and there is time to get them ready; anything else, such as
"parked", goes to Later) and (3) has room. Now and Next each hold one quarter's capacity in
team-days; Later has no limit. Filling is greedy skip-and-continue: an item that does not fit
moves on, and smaller items ranked below it may still use the space it left. An item bigger
than a whole quarter fits only a Now or Next that is still empty, where it sits alone and is
flagged `oversized`. Missing effort counts as 0. A dependency that is done (status "done", or
its id in `done_ids`) never blocks; any other dependency that is not in the ranking (unranked,
needs scoring, parked, archived) sends its dependent to Later, "waiting on DIG-012". Every item
held back from an earlier horizon lists why: "waiting on ..." (the dependencies that hold it
back), "not ready" (or its status, e.g. "parked") and "over capacity". Items in the horizon they
naturally belong to have no reason.

Overrides
---------
An admin may pin an item to a horizon. Pins are always honoured and flagged `overridden`, with
"pinned" (and the admin's reason) as the item's reason. Pinned items take their horizon's
capacity before anything else is laid out, so they may push it over capacity: the result lists
such horizons in `over_capacity_by_override` and says so in `warnings`. Unpinned dependents of
a pinned item still never sit earlier than it. A pin that puts an item earlier than one of its
own dependencies, or into a horizon its status does not allow, is still honoured, and a warning
says so (a pin stands in for its dependencies: its dependents follow the pin, not them).

Dependency cycles should not exist (the model forbids them); if one arrives anyway, the items
caught in it, and those waiting on them, go to Later with a warning rather than failing.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import cache
from itertools import chain
from operator import attrgetter

NOW = "now"
NEXT = "next"
LATER = "later"
HORIZONS = (NOW, NEXT, LATER)
HORIZON_LABELS = {NOW: "Now", NEXT: "Next", LATER: "Later"}
READY_STATUSES = frozenset({"ready", "in_progress"})
# Next is next quarter's plan, so items still being shaped may be planned there.
NEXT_STATUSES = READY_STATUSES | {"new", "triage"}
DONE = "done"

OVER_CAPACITY = "over capacity"
NOT_READY = "not ready"
WAITING_ON = "waiting on "
PINNED = "pinned"

_NOW, _NEXT, _LATER = range(3)
# Cap the cycle warning: a cycle near the top of a long chain can strand thousands of items.
_MAX_NAMED_IN_WARNING = 10
_by_position = attrgetter("position")
# Any other status (parked, done, ...) can only go in Later.
_EARLIEST_FOR_STATUS = {
    **dict.fromkeys(READY_STATUSES, _NOW),
    **dict.fromkeys(NEXT_STATUSES - READY_STATUSES, _NEXT),
}


@dataclass(frozen=True, slots=True)
class RoadmapItem:
    item_id: int
    reference: str  # "DIG-012"
    position: int  # unique rank position, 1 = top
    effort: float | None  # team-days; None counts as 0
    status: str  # new, triage, ready, in_progress, done, parked
    depends_on: tuple[int, ...]  # item ids (may include ids not in the ranking)
    override: str | None = None  # pinned horizon, or None
    override_reason: str = ""  # why an admin pinned it, shown in the placement's reasons


@dataclass(frozen=True, slots=True)
class Placement:
    item_id: int
    reference: str
    position: int
    horizon: str
    reasons: tuple[str, ...]  # e.g. ("waiting on DIG-012",), ("over capacity",), ("not ready",)
    oversized: bool = False  # effort is bigger than a whole quarter
    overridden: bool = False


@dataclass(frozen=True, slots=True)
class Roadmap:
    placements: list[Placement]  # in position order
    capacity: float  # team-days per quarter
    load: dict[str, float]  # team-days placed in each horizon (Later for information)
    warnings: list[str]  # override conflicts, capacity exceeded by pins, dependency cycles
    over_capacity_by_override: tuple[str, ...] = ()  # horizons that pins pushed over capacity

    def horizon(self, name: str) -> list[Placement]:
        if name not in HORIZONS:
            raise ValueError(f"unknown horizon {name!r}")
        return [placement for placement in self.placements if placement.horizon == name]


def build_roadmap(
    items: Iterable[RoadmapItem],
    *,
    capacity: float,
    references: Mapping[int, str] | None = None,
    done_ids: AbstractSet[int] = frozenset(),
) -> Roadmap:
    """Lay ranked items into Now, Next and Later; see the module docstring for the rules.

    `references` names dependencies that are not in the ranking, for "waiting on" reasons.
    `done_ids` are dependencies that are done, so they do not block.
    """
    if not math.isfinite(capacity) or capacity < 0:
        raise ValueError(f"capacity must be a finite number of team-days >= 0, not {capacity!r}")
    # Efforts are often decimals (0.1 + 0.2 > 0.3 in floating point), so allow a hair over.
    limit = capacity + 1e-9 * max(1.0, capacity)
    ranked = sorted(items, key=_by_position)
    n = len(ranked)

    index_of = {item.item_id: i for i, item in enumerate(ranked)}
    if len(index_of) < n or len({item.position for item in ranked}) < n:
        _raise_for_duplicates(ranked)

    # Comprehensions rather than one loop with stores: this runs once per item.
    efforts = [_effort(item) for item in ranked]
    earliest = [_EARLIEST_FOR_STATUS.get(item.status, _LATER) for item in ranked]
    # Ranked dependencies as indices (= position order), and unranked blockers by reference.
    deps: list[tuple[int, ...]] = [()] * n
    waits: list[tuple[str, ...]] = [()] * n
    dependents: dict[int, list[int]] = {}
    indegree = [0] * n
    horizon_of = [-1] * n
    reasons: list[tuple[str, ...]] = [()] * n
    load = [0.0, 0.0, 0.0]
    count = [0, 0, 0]
    pinned_count = [0, 0, 0]
    pins: list[int | None] = [None] * n
    # Pins take their capacity before anything else: the admin's decision outranks the ranking.
    pinned = [i for i, item in enumerate(ranked) if item.override]  # "" from a form: no pin
    for i in pinned:
        item = ranked[i]
        pin = pins[i] = _pin(item, item.override)
        horizon_of[i] = pin
        load[pin] += efforts[i]
        count[pin] += 1
        pinned_count[pin] += 1
        note = item.override_reason.strip()
        reasons[i] = (f"{PINNED}: {note}" if note else PINNED,)

    names = references or {}
    for i in [i for i, item in enumerate(ranked) if item.depends_on]:
        item = ranked[i]
        depends_on = item.depends_on
        ranked_deps: list[int] = []
        outside: list[int] = []
        for dep in depends_on if len(depends_on) == 1 else dict.fromkeys(depends_on):
            if dep == item.item_id or dep in done_ids:
                continue
            j = index_of.get(dep)
            if j is None:
                outside.append(dep)
            elif ranked[j].status != DONE:
                ranked_deps.append(j)
        if ranked_deps:
            ranked_deps.sort()
            deps[i] = tuple(ranked_deps)
            # Only unplaced items are waited for: pinned ones are already in place, and a
            # pinned item need not wait for anything.
            if pins[i] is None:
                for j in ranked_deps:
                    if pins[j] is None:
                        indegree[i] += 1
                        dependents.setdefault(j, []).append(i)
        if outside:
            waits[i] = tuple(names.get(dep, f"item #{dep}") for dep in sorted(outside))

    order, stuck = _layout_order(indegree, dependents, pins)
    # Items caught in a dependency cycle can only go last; marking them first makes each one
    # wait on the others.
    for i in stuck:
        horizon_of[i] = _LATER
    for i in chain(order, stuck):
        effort = efforts[i]
        if waits[i]:
            floor = _LATER
        elif deps[i]:
            floor = max([horizon_of[j] for j in deps[i]])
        else:
            floor = _NOW
        start = floor if floor > earliest[i] else earliest[i]
        h = start
        if effort > limit:  # oversized: only an empty horizon will do
            while h < _LATER and count[h]:
                h += 1
        else:
            while h < _LATER and load[h] + effort > limit:
                h += 1
        horizon_of[i] = h
        load[h] += effort
        count[h] += 1
        if h == _NOW:
            continue
        why = _status_and_capacity_reasons(ranked[i].status, h > start)
        if floor > _NOW:
            blockers = [ranked[j].reference for j in deps[i] if horizon_of[j] == floor]
            why = (WAITING_ON + ", ".join([*blockers, *waits[i]]), *why)
        reasons[i] = why

    warnings: list[str] = []
    if stuck:
        named = ", ".join(ranked[i].reference for i in stuck[:_MAX_NAMED_IN_WARNING])
        more = len(stuck) - _MAX_NAMED_IN_WARNING
        warnings.append(
            f"circular dependencies: {named}{f' and {more} more' if more > 0 else ''}"
            " are in Later until the cycle is broken"
        )

    for i in pinned:
        warnings.extend(_pin_conflicts(ranked, i, horizon_of[i], deps[i], waits[i], horizon_of))

    over_by_override: list[str] = []
    for h in (_NOW, _NEXT):
        if load[h] > limit and pinned_count[h]:
            name = HORIZONS[h]
            over_by_override.append(name)
            warnings.append(
                f"{HORIZON_LABELS[name]} is over capacity by {load[h] - capacity:g} team-days"
                " because of pinned items"
            )

    # Positional arguments, in field order: this is the hot loop for large backlogs.
    placements = [
        Placement(
            item.item_id,
            item.reference,
            item.position,
            HORIZONS[h],
            why,
            effort > limit,
            pin is not None,
        )
        for item, h, why, effort, pin in zip(
            ranked, horizon_of, reasons, efforts, pins, strict=True
        )
    ]
    return Roadmap(
        placements=placements,
        capacity=capacity,
        load=dict(zip(HORIZONS, load, strict=True)),
        warnings=warnings,
        over_capacity_by_override=tuple(over_by_override),
    )


def _layout_order(
    indegree: list[int], dependents: dict[int, list[int]], pins: list[int | None]
) -> tuple[list[int], list[int]]:
    """The order to lay out unpinned items in, and the items stuck in dependency cycles.

    Kahn's algorithm, taking the best-ranked available item each time: rank order, but
    dependencies first. Scanning in position order and keeping a heap only for items that
    were skipped and released later avoids heap work in the common case. Consumes `indegree`.
    """
    n = len(indegree)
    if not dependents:
        return [i for i in range(n) if pins[i] is None], []
    order: list[int] = []
    released: list[int] = []
    for scan in range(n):
        if indegree[scan] or pins[scan] is not None:
            continue  # pushed onto `released` when its last dependency is laid out
        i = scan
        while True:
            order.append(i)
            for k in dependents.get(i, ()):
                indegree[k] -= 1
                if indegree[k] == 0 and k < scan:
                    heapq.heappush(released, k)
            if not released:
                break
            i = heapq.heappop(released)
    return order, [i for i in range(n) if indegree[i]]


def _effort(item: RoadmapItem) -> float:
    if item.effort is None:
        return 0.0
    effort = float(item.effort)  # also accepts an int or a Decimal from a model field
    if not 0.0 <= effort < math.inf:  # also rejects NaN
        raise ValueError(f"{item.reference}: effort must be >= 0 team-days, not {item.effort!r}")
    return effort


def _raise_for_duplicates(ranked: list[RoadmapItem]) -> None:
    seen_ids: set[int] = set()
    for i, item in enumerate(ranked):
        if item.item_id in seen_ids:
            raise ValueError(f"item {item.item_id} appears more than once")
        if i and ranked[i - 1].position == item.position:
            raise ValueError(f"position {item.position} is used more than once")
        seen_ids.add(item.item_id)


def _pin(item: RoadmapItem, override: str) -> int:
    try:
        return HORIZONS.index(override)
    except ValueError:
        raise ValueError(f"{item.reference}: unknown horizon {override!r}") from None


def _earliest_for_status(status: str) -> int:
    return _EARLIEST_FOR_STATUS.get(status, _LATER)


@cache  # a handful of distinct answers, asked for almost every item
def _status_and_capacity_reasons(status: str, over_capacity: bool) -> tuple[str, ...]:
    why = () if status in READY_STATUSES else (_status_reason(status),)
    return (*why, OVER_CAPACITY) if over_capacity else why


def _status_reason(status: str) -> str:
    return NOT_READY if status in NEXT_STATUSES else status.replace("_", " ")


def _pin_conflicts(
    ranked: list[RoadmapItem],
    i: int,
    pin: int,
    deps: tuple[int, ...],
    waits: tuple[str, ...],
    horizon_of: list[int],
) -> list[str]:
    item = ranked[i]
    prefix = f"{item.reference} is pinned to {HORIZON_LABELS[HORIZONS[pin]]} but"
    conflicts = []
    later = [j for j in deps if horizon_of[j] > pin]
    if later:
        named = ", ".join(
            f"{ranked[j].reference} ({HORIZON_LABELS[HORIZONS[horizon_of[j]]]})" for j in later
        )
        conflicts.append(f"{prefix} depends on {named}")
    if waits and pin < _LATER:
        conflicts.append(f"{prefix} is waiting on {', '.join(waits)}, not ranked and not done")
    if _earliest_for_status(item.status) > pin:
        conflicts.append(f"{prefix} is {_status_reason(item.status)}")
    return conflicts
