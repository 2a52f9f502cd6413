from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.roadmap import (
    HORIZONS,
    LATER,
    NEXT,
    NOW,
    READY_STATUSES,
    Roadmap,
    RoadmapItem,
    build_roadmap,
)

STATUSES = ("new", "triage", "ready", "in_progress", "parked", "done")
# Mostly ready, so that Now and Next fill up and items compete for space.
DRAWN_STATUSES = ("ready", "ready", "ready", "in_progress", *STATUSES)
NEXT_STATUSES = READY_STATUSES | {"new", "triage"}
INDEX = {name: i for i, name in enumerate(HORIZONS)}
# Dependencies outside the ranking: some have references, some are done.
OUTSIDE_IDS = range(100, 105)
OUTSIDE_REFERENCES = {100: "DIG-100", 101: "DIG-101", 102: "DIG-102"}


def item(
    item_id: int,
    position: int | None = None,
    *,
    effort: float | None = 1,
    status: str = "ready",
    depends_on: tuple[int, ...] = (),
    override: str | None = None,
    override_reason: str = "",
) -> RoadmapItem:
    return RoadmapItem(
        item_id=item_id,
        reference=f"DIG-{item_id:03d}",
        position=item_id if position is None else position,
        effort=effort,
        status=status,
        depends_on=depends_on,
        override=override,
        override_reason=override_reason,
    )


def horizons(roadmap: Roadmap) -> dict[str, str]:
    return {p.reference: p.horizon for p in roadmap.placements}


def reasons(roadmap: Roadmap) -> dict[str, tuple[str, ...]]:
    return {p.reference: p.reasons for p in roadmap.placements}


@dataclass
class Backlog:
    items: list[RoadmapItem]
    capacity: float
    done_ids: frozenset[int] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        self.by_id = {i.item_id: i for i in self.items}

    def build(self) -> Roadmap:
        return build_roadmap(
            self.items,
            capacity=self.capacity,
            references=OUTSIDE_REFERENCES,
            done_ids=self.done_ids,
        )

    def ranked_blockers(self, it: RoadmapItem) -> set[int]:
        """Ranked dependencies that are not done, so constrain the item's horizon."""
        by_id = self.by_id
        return {
            dep
            for dep in it.depends_on
            if dep in by_id
            and dep != it.item_id
            and dep not in self.done_ids
            and by_id[dep].status != "done"
        }

    def outside_blockers(self, it: RoadmapItem) -> set[int]:
        by_id = self.by_id
        return {dep for dep in it.depends_on if dep not in by_id and dep not in self.done_ids}


EFFORTS = st.none() | st.integers(0, 48).map(lambda q: q / 4)
PINS = st.sampled_from((None, None, None, NOW, NEXT, LATER))


@st.composite
def backlogs(draw: st.DrawFn, *, overrides: bool = False, cycles: bool = False) -> Backlog:
    """Random rankings whose dependencies form a DAG (unless `cycles`), independent of rank.

    Efforts are quarter days and capacities half days, so every sum is exact in binary and
    the properties can compare loads with capacity without a tolerance. Whole columns are
    drawn at once because per-item draws made these tests slow.
    """
    n = draw(st.integers(0, 25))

    def column(elements: st.SearchStrategy) -> list:
        return draw(st.lists(elements, min_size=n, max_size=n))

    positions = draw(st.permutations(range(1, n + 1)))
    efforts = column(EFFORTS)
    statuses = column(st.sampled_from(DRAWN_STATUSES))
    pins = column(PINS) if overrides else [None] * n
    picks = column(st.lists(st.integers(0, 24), max_size=3))
    outside = column(st.lists(st.sampled_from(OUTSIDE_IDS), max_size=1))
    items = []
    for k in range(n):
        # Depending only on smaller ids keeps the graph acyclic whatever the ranking says.
        choices = n if cycles else k
        ranked_deps = [pick % choices + 1 for pick in picks[k]] if choices else []
        items.append(
            item(
                k + 1,
                positions[k],
                effort=efforts[k],
                status=statuses[k],
                depends_on=tuple(ranked_deps + outside[k]),
                override=pins[k],
            )
        )
    capacity = draw(st.integers(0, 40).map(lambda h: h / 2))
    done_ids = frozenset(draw(st.lists(st.sampled_from(OUTSIDE_IDS), max_size=3)))
    return Backlog(items, capacity, done_ids)


def effort_of(it: RoadmapItem) -> float:
    return it.effort or 0.0


def floor_of(backlog: Backlog, roadmap: Roadmap, it: RoadmapItem) -> int:
    """The earliest horizon an item's dependencies allow, given where they ended up."""
    if backlog.outside_blockers(it):
        return INDEX[LATER]
    where = {p.item_id: INDEX[p.horizon] for p in roadmap.placements}
    return max((where[dep] for dep in backlog.ranked_blockers(it)), default=INDEX[NOW])


def earliest_for_status(status: str) -> int:
    if status in READY_STATUSES:
        return INDEX[NOW]
    return INDEX[NEXT] if status in NEXT_STATUSES else INDEX[LATER]


def fits(roadmap: Roadmap, horizon: str, effort: float) -> bool:
    if horizon == LATER:
        return True
    if effort > roadmap.capacity:
        return not roadmap.horizon(horizon)
    return roadmap.load[horizon] + effort <= roadmap.capacity


# Properties

# Speed is measured in bench/, not here: a busy CI machine must not fail a property on timing.
untimed = settings(deadline=None)


@untimed
@given(backlogs(overrides=True))
def test_every_ranked_item_is_placed_once_in_position_order(backlog: Backlog) -> None:
    roadmap = backlog.build()
    assert [p.position for p in roadmap.placements] == sorted(i.position for i in backlog.items)
    assert sorted(p.item_id for p in roadmap.placements) == sorted(backlog.by_id)


@untimed
@given(backlogs())
def test_now_and_next_stay_within_capacity_unless_one_oversized_item_sits_alone(
    backlog: Backlog,
) -> None:
    roadmap = backlog.build()
    for horizon in (NOW, NEXT):
        placed = roadmap.horizon(horizon)
        if roadmap.load[horizon] > roadmap.capacity:
            assert len(placed) == 1
            assert placed[0].oversized


@untimed
@given(backlogs(overrides=True))
def test_only_pins_or_a_lone_oversized_item_push_a_horizon_over_capacity(
    backlog: Backlog,
) -> None:
    roadmap = backlog.build()
    for horizon in (NOW, NEXT):
        placed = roadmap.horizon(horizon)
        over = roadmap.load[horizon] > roadmap.capacity
        pinned = any(p.overridden for p in placed)
        assert (horizon in roadmap.over_capacity_by_override) == (over and pinned)
        if over and not pinned:
            assert len(placed) == 1
            assert placed[0].oversized


@untimed
@given(backlogs(overrides=True))
def test_load_is_the_effort_placed_in_each_horizon(backlog: Backlog) -> None:
    roadmap = backlog.build()
    by_id = backlog.by_id
    for horizon in HORIZONS:
        placed = roadmap.horizon(horizon)
        assert roadmap.load[horizon] == sum(effort_of(by_id[p.item_id]) for p in placed)


@untimed
@given(backlogs(overrides=True))
def test_oversized_flags_exactly_the_items_bigger_than_a_quarter(backlog: Backlog) -> None:
    roadmap = backlog.build()
    by_id = backlog.by_id
    for p in roadmap.placements:
        assert p.oversized == (effort_of(by_id[p.item_id]) > backlog.capacity)


@untimed
@given(backlogs(overrides=True))
def test_no_unpinned_item_sits_earlier_than_a_ranked_dependency(backlog: Backlog) -> None:
    roadmap = backlog.build()
    where = {p.item_id: INDEX[p.horizon] for p in roadmap.placements}
    for it in backlog.items:
        if it.override is None:
            for dep in backlog.ranked_blockers(it):
                assert where[it.item_id] >= where[dep]


@untimed
@given(backlogs(overrides=True))
def test_unpinned_items_waiting_outside_the_ranking_are_in_later(backlog: Backlog) -> None:
    roadmap = backlog.build()
    placed = {p.item_id: p for p in roadmap.placements}
    for it in backlog.items:
        if it.override is None and backlog.outside_blockers(it):
            assert placed[it.item_id].horizon == LATER
            assert placed[it.item_id].reasons[0].startswith("waiting on ")


@untimed
@given(backlogs())
def test_only_ready_or_in_progress_items_are_in_now(backlog: Backlog) -> None:
    roadmap = backlog.build()
    by_id = backlog.by_id
    assert all(by_id[p.item_id].status in READY_STATUSES for p in roadmap.horizon(NOW))


@untimed
@given(backlogs())
def test_parked_and_done_items_are_never_in_next(backlog: Backlog) -> None:
    roadmap = backlog.build()
    by_id = backlog.by_id
    assert all(by_id[p.item_id].status in NEXT_STATUSES for p in roadmap.horizon(NEXT))


@untimed
@given(backlogs(overrides=True))
def test_items_placed_in_now_by_the_ranking_have_no_reason(backlog: Backlog) -> None:
    roadmap = backlog.build()
    assert all(p.reasons == () for p in roadmap.horizon(NOW) if not p.overridden)


@untimed
@given(backlogs(overrides=True))
def test_every_item_held_back_from_now_says_why(backlog: Backlog) -> None:
    roadmap = backlog.build()
    assert all(p.reasons for p in roadmap.placements if p.horizon != NOW or p.overridden)


@untimed
@given(backlogs(overrides=True))
def test_no_unpinned_item_could_have_fitted_an_earlier_horizon_open_to_it(
    backlog: Backlog,
) -> None:
    """Greedy and maximal: an item is only ever later than it could be for a stated reason."""
    roadmap = backlog.build()
    placed = {p.item_id: p for p in roadmap.placements}
    for it in backlog.items:
        if it.override is not None:
            continue
        start = max(floor_of(backlog, roadmap, it), earliest_for_status(it.status))
        final = INDEX[placed[it.item_id].horizon]
        assert final >= start
        for h in range(start, final):
            assert not fits(roadmap, HORIZONS[h], effort_of(it))
        assert ("over capacity" in placed[it.item_id].reasons) == (final > start)


@untimed
@given(backlogs(overrides=True))
def test_waiting_on_names_exactly_the_dependencies_that_hold_an_item_back(
    backlog: Backlog,
) -> None:
    roadmap = backlog.build()
    placed = {p.item_id: p for p in roadmap.placements}
    by_id = backlog.by_id
    for it in backlog.items:
        if it.override is not None:
            continue
        floor = floor_of(backlog, roadmap, it)
        waiting = [r for r in placed[it.item_id].reasons if r.startswith("waiting on ")]
        if floor == INDEX[NOW]:
            assert waiting == []
            continue
        binding = [
            by_id[dep].reference
            for dep in backlog.ranked_blockers(it)
            if INDEX[placed[dep].horizon] == floor
        ]
        outside = [
            OUTSIDE_REFERENCES.get(dep, f"item #{dep}") for dep in backlog.outside_blockers(it)
        ]
        assert len(waiting) == 1
        assert sorted(waiting[0].removeprefix("waiting on ").split(", ")) == sorted(
            binding + outside
        )


@untimed
@given(backlogs(overrides=True))
def test_not_ready_is_said_of_new_and_triage_items_outside_now(backlog: Backlog) -> None:
    roadmap = backlog.build()
    by_id = backlog.by_id
    for p in roadmap.placements:
        if not p.overridden:
            expected = by_id[p.item_id].status in {"new", "triage"}
            assert ("not ready" in p.reasons) == expected


@untimed
@given(backlogs(overrides=True))
def test_a_higher_ranked_item_is_never_later_than_a_lower_ranked_one_it_could_join(
    backlog: Backlog,
) -> None:
    """Rank order, made precise for greedy filling with dependencies.

    Items are laid out in rank order, each as soon as its dependencies are placed. So if
    item A and everything it transitively waits for rank above item B, A is laid out before
    B. If A is no bigger than B and its status and dependencies allow B's horizon, A fits
    wherever B did, so A is never in a later horizon than B. (Pinned items are in place
    before anything else is laid out, so nothing waits for them.)
    """
    roadmap = backlog.build()
    placed = {p.item_id: p for p in roadmap.placements}
    by_id = backlog.by_id

    def lowest_rank_waited_for(it: RoadmapItem) -> int:
        lowest, stack, seen = it.position, [it.item_id], {it.item_id}
        while stack:
            current = by_id[stack.pop()]
            lowest = max(lowest, current.position)
            for dep in backlog.ranked_blockers(current) - seen:
                if by_id[dep].override is None:
                    seen.add(dep)
                    stack.append(dep)
        return lowest

    unpinned = [it for it in backlog.items if it.override is None]
    for a in unpinned:
        lowest = lowest_rank_waited_for(a)
        start = max(floor_of(backlog, roadmap, a), earliest_for_status(a.status))
        for b in unpinned:
            b_horizon = INDEX[placed[b.item_id].horizon]
            if b.position > lowest and effort_of(b) >= effort_of(a) and start <= b_horizon:
                assert INDEX[placed[a.item_id].horizon] <= b_horizon


def naive_layout(backlog: Backlog) -> dict[int, str]:
    """The rules read literally, at O(n²): an oracle for the real, linear-ish layout."""
    where = {it.item_id: INDEX[it.override] for it in backlog.items if it.override}
    load, count = [0.0, 0.0, 0.0], [0, 0, 0]
    for item_id, h in where.items():
        load[h] += effort_of(backlog.by_id[item_id])
        count[h] += 1
    waiting = sorted((it for it in backlog.items if not it.override), key=lambda it: it.position)
    while waiting:
        # The best-ranked item whose dependencies have all been placed goes next.
        it = next((it for it in waiting if backlog.ranked_blockers(it) <= where.keys()), None)
        if it is None:  # only dependency cycles are left
            where.update((it.item_id, INDEX[LATER]) for it in waiting)
            break
        waiting.remove(it)
        effort = effort_of(it)
        if backlog.outside_blockers(it):
            h = INDEX[LATER]
        else:
            h = max([where[dep] for dep in backlog.ranked_blockers(it)], default=INDEX[NOW])
        h = max(h, earliest_for_status(it.status))
        while h < INDEX[LATER] and (
            count[h] > 0 if effort > backlog.capacity else load[h] + effort > backlog.capacity
        ):
            h += 1
        where[it.item_id] = h
        load[h] += effort
        count[h] += 1
    return {item_id: HORIZONS[h] for item_id, h in where.items()}


@untimed
@given(backlogs(overrides=True, cycles=True))
def test_layout_matches_a_naive_reading_of_the_rules(backlog: Backlog) -> None:
    roadmap = backlog.build()
    assert {p.item_id: p.horizon for p in roadmap.placements} == naive_layout(backlog)


@untimed
@given(backlogs(overrides=True))
def test_an_acyclic_ranking_has_no_cycle_warning(backlog: Backlog) -> None:
    assert not any("circular" in w for w in backlog.build().warnings)


@untimed
@given(backlogs(overrides=True))
def test_pinned_items_are_honoured_and_flagged(backlog: Backlog) -> None:
    roadmap = backlog.build()
    placed = {p.item_id: p for p in roadmap.placements}
    for it in backlog.items:
        assert placed[it.item_id].overridden == (it.override is not None)
        if it.override is not None:
            assert placed[it.item_id].horizon == it.override
            assert placed[it.item_id].reasons == ("pinned",)


@untimed
@given(backlogs(overrides=True))
def test_a_pin_earlier_than_its_own_dependency_is_reported(backlog: Backlog) -> None:
    roadmap = backlog.build()
    placed = {p.item_id: p for p in roadmap.placements}
    by_id = backlog.by_id
    for it in backlog.items:
        if it.override is None:
            continue
        for dep in backlog.ranked_blockers(it):
            if INDEX[placed[dep].horizon] > INDEX[it.override]:
                assert any(
                    w.startswith(f"{it.reference} is pinned to") and by_id[dep].reference in w
                    for w in roadmap.warnings
                )


@untimed
@given(backlogs(overrides=True))
def test_layout_is_deterministic(backlog: Backlog) -> None:
    assert backlog.build() == backlog.build()


@untimed
@given(backlogs(overrides=True), st.randoms(use_true_random=False))
def test_input_order_does_not_change_the_layout(backlog: Backlog, rng: random.Random) -> None:
    shuffled = list(backlog.items)
    rng.shuffle(shuffled)
    assert Backlog(shuffled, backlog.capacity, backlog.done_ids).build() == backlog.build()


@untimed
@given(backlogs(cycles=True))
def test_circular_dependencies_still_give_a_valid_layout(backlog: Backlog) -> None:
    roadmap = backlog.build()
    where = {p.item_id: INDEX[p.horizon] for p in roadmap.placements}
    assert len(where) == len(backlog.items)
    for it in backlog.items:
        assert all(where[it.item_id] >= where[dep] for dep in backlog.ranked_blockers(it))
    for horizon in (NOW, NEXT):
        if roadmap.load[horizon] > roadmap.capacity:
            assert len(roadmap.horizon(horizon)) == 1


# Examples


def test_ready_items_fill_now_in_rank_order() -> None:
    roadmap = build_roadmap([item(1, effort=4), item(2, effort=4), item(3, effort=4)], capacity=8)
    assert horizons(roadmap) == {"DIG-001": NOW, "DIG-002": NOW, "DIG-003": NEXT}


def test_an_item_that_does_not_fit_says_over_capacity() -> None:
    roadmap = build_roadmap([item(1, effort=6), item(2, effort=6)], capacity=10)
    assert roadmap.placements[1].horizon == NEXT
    assert roadmap.placements[1].reasons == ("over capacity",)


def test_a_new_item_is_planned_in_next_saying_not_ready() -> None:
    roadmap = build_roadmap([item(1, status="new")], capacity=10)
    assert roadmap.placements[0].horizon == NEXT
    assert roadmap.placements[0].reasons == ("not ready",)


def test_a_triage_item_is_planned_in_next_saying_not_ready() -> None:
    roadmap = build_roadmap([item(1, status="triage")], capacity=10)
    assert (roadmap.placements[0].horizon, roadmap.placements[0].reasons) == (NEXT, ("not ready",))


def test_a_parked_item_goes_to_later_saying_parked() -> None:
    roadmap = build_roadmap([item(1, status="parked")], capacity=10)
    assert (roadmap.placements[0].horizon, roadmap.placements[0].reasons) == (LATER, ("parked",))


def test_an_item_waits_on_a_ranked_dependency_by_reference() -> None:
    roadmap = build_roadmap([item(1, status="new"), item(2, depends_on=(1,))], capacity=10)
    assert horizons(roadmap) == {"DIG-001": NEXT, "DIG-002": NEXT}
    assert reasons(roadmap)["DIG-002"] == ("waiting on DIG-001",)


def test_a_higher_ranked_item_can_share_now_with_a_lower_ranked_dependency() -> None:
    roadmap = build_roadmap([item(1, depends_on=(2,)), item(2)], capacity=10)
    assert horizons(roadmap) == {"DIG-001": NOW, "DIG-002": NOW}
    assert reasons(roadmap) == {"DIG-001": (), "DIG-002": ()}


def test_a_dependency_takes_capacity_at_its_own_rank() -> None:
    # DIG-001 must wait for DIG-003, which is considered after DIG-002 has taken its space.
    items = [item(1, effort=4, depends_on=(3,)), item(2, effort=4), item(3, effort=4)]
    roadmap = build_roadmap(items, capacity=8)
    assert horizons(roadmap) == {"DIG-001": NEXT, "DIG-002": NOW, "DIG-003": NOW}
    assert reasons(roadmap)["DIG-001"] == ("over capacity",)


def test_an_item_takes_its_rank_as_soon_as_its_dependency_is_placed() -> None:
    # DIG-001 waits for DIG-002, then comes before DIG-003 for the last space in Now.
    items = [item(1, effort=4, depends_on=(2,)), item(2, effort=4), item(3, effort=4)]
    roadmap = build_roadmap(items, capacity=8)
    assert horizons(roadmap) == {"DIG-001": NOW, "DIG-002": NOW, "DIG-003": NEXT}


def test_items_released_by_the_same_dependency_keep_their_rank_order() -> None:
    items = [
        item(1, effort=4, depends_on=(3,)),
        item(2, effort=4, depends_on=(3,)),
        item(3, effort=4),
    ]
    roadmap = build_roadmap(items, capacity=8)
    assert horizons(roadmap) == {"DIG-001": NOW, "DIG-002": NEXT, "DIG-003": NOW}


def test_several_blockers_are_named_in_rank_order() -> None:
    items = [item(1, depends_on=(3, 2)), item(2, status="parked"), item(3, status="parked")]
    roadmap = build_roadmap(items, capacity=10)
    assert reasons(roadmap)["DIG-001"] == ("waiting on DIG-002, DIG-003",)


def test_waiting_on_names_only_the_dependencies_in_the_latest_horizon() -> None:
    items = [item(1, status="new"), item(2, status="parked"), item(3, depends_on=(1, 2))]
    roadmap = build_roadmap(items, capacity=10)
    assert reasons(roadmap)["DIG-003"] == ("waiting on DIG-002",)


def test_a_dependency_on_an_unranked_item_holds_the_dependent_in_later() -> None:
    roadmap = build_roadmap([item(1, depends_on=(12,))], capacity=10, references={12: "DIG-012"})
    assert roadmap.placements[0].horizon == LATER
    assert roadmap.placements[0].reasons == ("waiting on DIG-012",)


def test_an_unranked_dependency_without_a_reference_is_named_by_id() -> None:
    roadmap = build_roadmap([item(1, depends_on=(12,))], capacity=10)
    assert roadmap.placements[0].reasons == ("waiting on item #12",)


def test_a_dependency_on_a_done_item_does_not_block() -> None:
    roadmap = build_roadmap([item(1, depends_on=(12,))], capacity=10, done_ids=frozenset({12}))
    assert (roadmap.placements[0].horizon, roadmap.placements[0].reasons) == (NOW, ())


def test_a_dependency_on_a_ranked_done_item_does_not_block() -> None:
    roadmap = build_roadmap([item(1, status="done"), item(2, depends_on=(1,))], capacity=10)
    assert horizons(roadmap)["DIG-002"] == NOW


def test_items_waiting_on_a_held_back_item_wait_on_it_in_turn() -> None:
    roadmap = build_roadmap(
        [item(1, depends_on=(12,)), item(2, depends_on=(1,))],
        capacity=10,
        references={12: "DIG-012"},
    )
    assert horizons(roadmap)["DIG-002"] == LATER
    assert reasons(roadmap)["DIG-002"] == ("waiting on DIG-001",)


def test_a_blocked_item_that_is_not_ready_gives_both_reasons() -> None:
    roadmap = build_roadmap(
        [item(1, status="parked"), item(2, status="new", depends_on=(1,))], capacity=1
    )
    assert reasons(roadmap)["DIG-002"] == ("waiting on DIG-001", "not ready")


def test_smaller_items_fill_the_space_a_big_item_leaves() -> None:
    items = [item(1, effort=6), item(2, effort=6), item(3, effort=4)]
    roadmap = build_roadmap(items, capacity=10)
    assert horizons(roadmap) == {"DIG-001": NOW, "DIG-002": NEXT, "DIG-003": NOW}


def test_a_lone_oversized_item_takes_an_empty_horizon_alone() -> None:
    roadmap = build_roadmap([item(1, effort=30), item(2, effort=1)], capacity=10)
    assert horizons(roadmap) == {"DIG-001": NOW, "DIG-002": NEXT}
    assert roadmap.placements[0].oversized
    assert roadmap.placements[1].reasons == ("over capacity",)


def test_an_oversized_item_waits_for_an_empty_horizon() -> None:
    roadmap = build_roadmap([item(1, effort=1), item(2, effort=30)], capacity=10)
    assert horizons(roadmap) == {"DIG-001": NOW, "DIG-002": NEXT}
    assert roadmap.placements[1].reasons == ("over capacity",)


def test_an_oversized_item_goes_to_later_when_now_and_next_are_taken() -> None:
    items = [item(1, effort=1), item(2, effort=1, status="new"), item(3, effort=30)]
    roadmap = build_roadmap(items, capacity=10)
    assert horizons(roadmap)["DIG-003"] == LATER
    assert roadmap.placements[2].oversized


def test_missing_effort_counts_as_zero() -> None:
    roadmap = build_roadmap([item(1, effort=10), item(2, effort=None)], capacity=10)
    assert horizons(roadmap) == {"DIG-001": NOW, "DIG-002": NOW}
    assert roadmap.load[NOW] == 10


def test_decimal_efforts_that_add_up_to_capacity_fit() -> None:
    items = [item(1, effort=0.1), item(2, effort=0.2)]
    roadmap = build_roadmap(items, capacity=0.3)
    assert horizons(roadmap) == {"DIG-001": NOW, "DIG-002": NOW}


def test_a_pinned_item_is_honoured_and_flagged() -> None:
    roadmap = build_roadmap([item(1, status="new", override=NOW)], capacity=10)
    assert roadmap.placements[0].horizon == NOW
    assert roadmap.placements[0].overridden


def test_a_pinned_item_gives_the_admins_reason() -> None:
    pinned = item(1, override=LATER, override_reason="waiting for the budget")
    roadmap = build_roadmap([pinned], capacity=10)
    assert roadmap.placements[0].reasons == ("pinned: waiting for the budget",)


def test_a_blank_override_is_no_pin() -> None:
    roadmap = build_roadmap([item(1, override="")], capacity=10)
    assert not roadmap.placements[0].overridden


def test_pinned_items_take_their_capacity_before_the_ranking() -> None:
    roadmap = build_roadmap([item(1, effort=6), item(2, effort=6, override=NOW)], capacity=10)
    assert horizons(roadmap) == {"DIG-001": NEXT, "DIG-002": NOW}
    assert roadmap.placements[0].reasons == ("over capacity",)


def test_an_item_waiting_on_a_pinned_item_does_not_wait_for_its_rank() -> None:
    # DIG-003 is pinned to Now ahead of the ranking, so DIG-001 can take Now's last space.
    items = [item(1, effort=4, depends_on=(3,)), item(2, effort=4), item(3, override=NOW)]
    roadmap = build_roadmap(items, capacity=8)
    assert horizons(roadmap) == {"DIG-001": NOW, "DIG-002": NEXT, "DIG-003": NOW}


def test_dependents_of_an_item_pinned_later_follow_it() -> None:
    roadmap = build_roadmap([item(1, override=LATER), item(2, depends_on=(1,))], capacity=10)
    assert horizons(roadmap)["DIG-002"] == LATER
    assert reasons(roadmap)["DIG-002"] == ("waiting on DIG-001",)


def test_a_pin_earlier_than_its_dependency_is_honoured_with_a_warning() -> None:
    items = [item(1, status="parked"), item(2, depends_on=(1,), override=NOW)]
    roadmap = build_roadmap(items, capacity=10)
    assert horizons(roadmap)["DIG-002"] == NOW
    assert roadmap.warnings == ["DIG-002 is pinned to Now but depends on DIG-001 (Later)"]


def test_a_pin_ahead_of_an_unranked_blocker_is_honoured_with_a_warning() -> None:
    pinned = item(1, depends_on=(12,), override=NEXT)
    roadmap = build_roadmap([pinned], capacity=10, references={12: "DIG-012"})
    assert horizons(roadmap)["DIG-001"] == NEXT
    assert roadmap.warnings == [
        "DIG-001 is pinned to Next but is waiting on DIG-012, not ranked and not done"
    ]


def test_pinning_an_item_that_is_not_ready_into_now_is_honoured_with_a_warning() -> None:
    roadmap = build_roadmap([item(1, status="triage", override=NOW)], capacity=10)
    assert roadmap.warnings == ["DIG-001 is pinned to Now but is not ready"]


def test_pins_beyond_capacity_are_flagged_on_the_roadmap() -> None:
    items = [item(1, effort=8, override=NEXT), item(2, effort=8, override=NEXT), item(3)]
    roadmap = build_roadmap(items, capacity=10)
    assert horizons(roadmap) == {"DIG-001": NEXT, "DIG-002": NEXT, "DIG-003": NOW}
    assert roadmap.over_capacity_by_override == (NEXT,)
    assert roadmap.warnings == ["Next is over capacity by 6 team-days because of pinned items"]


def test_circular_dependencies_go_to_later_with_a_warning() -> None:
    items = [item(1, depends_on=(2,)), item(2, depends_on=(1,)), item(3)]
    roadmap = build_roadmap(items, capacity=10)
    assert horizons(roadmap) == {"DIG-001": LATER, "DIG-002": LATER, "DIG-003": NOW}
    assert reasons(roadmap)["DIG-001"] == ("waiting on DIG-002",)
    assert roadmap.warnings == [
        "circular dependencies: DIG-001, DIG-002 are in Later until the cycle is broken"
    ]


def test_an_item_depending_on_itself_is_not_blocked() -> None:
    roadmap = build_roadmap([item(1, depends_on=(1,))], capacity=10)
    assert horizons(roadmap) == {"DIG-001": NOW}


def test_an_empty_ranking_gives_an_empty_roadmap() -> None:
    roadmap = build_roadmap([], capacity=10)
    assert roadmap.placements == []
    assert roadmap.load == {NOW: 0, NEXT: 0, LATER: 0}


def test_horizon_lists_its_placements_in_position_order() -> None:
    roadmap = build_roadmap([item(2, 2), item(1, 3), item(3, 1)], capacity=10)
    assert [p.position for p in roadmap.horizon(NOW)] == [1, 2, 3]


def test_an_unknown_horizon_name_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown horizon"):
        build_roadmap([], capacity=10).horizon("soon")


@pytest.mark.parametrize(
    ("items", "capacity", "message"),
    [
        ([item(1), item(1, 2)], 10, "appears more than once"),
        ([item(1), item(2, 1)], 10, "position 1 is used more than once"),
        ([item(1, effort=-1)], 10, "effort must be >= 0"),
        ([item(1, effort=math.nan)], 10, "effort must be >= 0"),
        ([item(1, override="soon")], 10, "unknown horizon"),
        ([item(1)], -1, "capacity must be"),
        ([item(1)], math.inf, "capacity must be"),
    ],
    ids=[
        "duplicate id",
        "duplicate position",
        "negative effort",
        "nan effort",
        "unknown override",
        "negative capacity",
        "infinite capacity",
    ],
)
def test_invalid_input_is_rejected(items: list[RoadmapItem], capacity: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_roadmap(items, capacity=capacity)
