"""Dependencies: same council only, and never a cycle anywhere in the graph."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import backlog
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
    path = backlog.find_cycle(edges, item, new)
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
    if backlog.find_cycle(edges, item, new):
        return
    edges[item] = set(new)
    assert not any(
        reaches(edges, target, node) for node, targets in edges.items() for target in targets
    )


@pytest.mark.django_db
@settings(max_examples=25, deadline=None)
@given(chain=st.integers(2, 6), back=st.integers(0, 5))
def test_service_refuses_a_cycle_through_the_database(chain, back):
    from tests.factories import CouncilFactory

    council = CouncilFactory()
    items = [BacklogItemFactory(council=council) for _ in range(chain)]
    for later, earlier in zip(items[1:], items, strict=False):
        later.depends_on.add(earlier)
    target = items[min(back, chain - 1)]
    with pytest.raises(backlog.DependencyCycleError):
        backlog.set_dependencies(
            item=items[0], depends_on=[target] if target != items[0] else [items[-1]]
        )
    assert not items[0].depends_on.exists()


@pytest.mark.django_db
def test_service_accepts_a_diamond(council):
    top, left, right, bottom = (BacklogItemFactory(council=council) for _ in range(4))
    backlog.set_dependencies(item=left, depends_on=[top])
    backlog.set_dependencies(item=right, depends_on=[top])
    backlog.set_dependencies(item=bottom, depends_on=[left, right])
    assert set(bottom.depends_on.all()) == {left, right}


@pytest.mark.django_db
def test_service_refuses_another_councils_item(council, other_council):
    item = BacklogItemFactory(council=council)
    foreign = BacklogItemFactory(council=other_council)
    with pytest.raises(ValueError, match="same council"):
        backlog.set_dependencies(item=item, depends_on=[foreign])
    assert not item.depends_on.exists()
