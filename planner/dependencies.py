"""Pure: cycles in a dependency graph given as {item id: ids it depends on}. No Django
imports; the graph comes from `planner.dependency_graph.dependency_edges` (the one loader
that reads it from the database) or from an import being checked before it is written."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

_WHITE, _GREY, _BLACK = 0, 1, 2


def find_cycle(
    graph: Mapping[int, Iterable[int]], *, roots: Iterable[int] | None = None
) -> list[int] | None:
    """One dependency cycle as a list of nodes, the first repeated at the end, or None.

    Searches from `roots` (every node when None). A caller that adds one item's dependencies
    to a graph known to have no cycle passes that item as the only root: any cycle then runs
    through it, so the cycle comes back starting and ending at the item.
    Iterative depth-first search, so a 20,000-item chain cannot overflow the stack.
    """
    colour: dict[int, int] = {}
    for root in graph if roots is None else roots:
        if colour.get(root, _WHITE) != _WHITE:
            continue
        colour[root] = _GREY
        path = [root]
        stack = [iter(graph.get(root, ()))]
        while stack:
            advanced = False
            for nxt in stack[-1]:
                state = colour.get(nxt, _WHITE)
                if state == _GREY:
                    return [*path[path.index(nxt) :], nxt]
                if state == _WHITE:
                    colour[nxt] = _GREY
                    path.append(nxt)
                    stack.append(iter(graph.get(nxt, ())))
                    advanced = True
                    break
            if not advanced:
                colour[path.pop()] = _BLACK
                stack.pop()
    return None
