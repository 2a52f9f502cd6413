"""Dependencies: same council only, and never a cycle anywhere in the graph.

The pure cycle finder (planner.dependencies) and the item service that uses it
(planner.items, through create_item and update_item)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import items
from planner.dependencies import find_cycle
from tests.factories import BacklogItemFactory


def reaches(edges: dict[int, set[int]], start: int, goal: int) -> bool:
    """Plain reachability, as an independent oracle for find_cycle."""
    stack, seen = [start], set()
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(edges.get(node, ()))
    return False


def acyclic_graphs():
    # Edges only from a higher to a lower id: any such graph is acyclic by construction.
    return st.lists(
        st.tuples(st.integers(1, 12), st.integers(1, 12)).filter(lambda edge: edge[0] > edge[1]),
        max_size=40,
    ).map(lambda pairs: {a: {b for x, b in pairs if x == a} for a, _ in pairs})


@given(
    edges=acyclic_graphs(),
    item=st.integers(1, 12),
    new=st.sets(st.integers(1, 12), max_size=4),
)
def test_find_cycle_refuses_exactly_the_dependencies_that_close_a_loop(edges, item, new):
    edges = {node: targets for node, targets in edges.items() if node != item}
    path = find_cycle({**edges, item: new}, roots=[item])
    expected = any(reaches(edges, dependency, item) for dependency in new)
    assert bool(path) == expected
    if path:
        assert path[0] == item and path[-1] == item
        steps = list(zip(path, path[1:], strict=False))
        assert steps[0][1] in new
        assert all(target in edges.get(source, ()) for source, target in steps[1:])


@given(edges=acyclic_graphs(), new=st.sets(st.integers(1, 12), min_size=1, max_size=4))
def test_accepted_dependencies_never_leave_a_cycle(edges, new):
    item = 6
    edges = {node: targets for node, targets in edges.items() if node != item}
    if find_cycle({**edges, item: new}, roots=[item]):
        return
    edges[item] = set(new)
    assert not any(
        reaches(edges, target, node) for node, targets in edges.items() for target in targets
    )


def set_dependencies(item, depends_on):
    """Change only what `item` depends on, through the edit service the item form uses."""
    return items.update_item(
        item=item, user=None, data={"depends_on": depends_on}, version=item.version
    )


@pytest.mark.django_db
@settings(max_examples=25, deadline=None)
@given(chain=st.integers(2, 6), back=st.integers(0, 5))
def test_service_refuses_a_cycle_through_the_database(chain, back):
    from tests.factories import CouncilFactory

    council = CouncilFactory()
    chain_items = [BacklogItemFactory(council=council) for _ in range(chain)]
    for later, earlier in zip(chain_items[1:], chain_items, strict=False):
        later.depends_on.add(earlier)
    target = chain_items[min(back, chain - 1)]
    with pytest.raises(items.DependencyCycleError):
        set_dependencies(
            chain_items[0], [target] if target != chain_items[0] else [chain_items[-1]]
        )
    assert not chain_items[0].depends_on.exists()


@pytest.mark.django_db
def test_service_accepts_a_diamond(council):
    top, left, right, bottom = (BacklogItemFactory(council=council) for _ in range(4))
    set_dependencies(left, [top])
    set_dependencies(right, [top])
    set_dependencies(bottom, [left, right])
    assert set(bottom.depends_on.all()) == {left, right}


@pytest.mark.django_db
def test_service_refuses_another_councils_item(council, other_council):
    item = BacklogItemFactory(council=council)
    foreign = BacklogItemFactory(council=other_council)
    with pytest.raises(ValueError, match="same council"):
        set_dependencies(item, [foreign])
    assert not item.depends_on.exists()


def test_find_cycle_returns_the_loop():
    assert find_cycle({1: [2], 2: [3], 3: [1]}) in ([1, 2, 3, 1], [2, 3, 1, 2], [3, 1, 2, 3])


def test_find_cycle_is_none_for_a_dag():
    assert find_cycle({1: [2, 3], 2: [3], 3: []}) is None


def test_find_cycle_handles_a_long_chain_without_recursion():
    chain = {n: [n + 1] for n in range(50_000)}
    assert find_cycle(chain) is None
