"""The one loader of a council's dependency graph, {item id: ids it depends on}.

It reads the database, so it is kept apart from the pure `planner.dependencies`; it imports
only models, so the item services, the import and the delivery plan can all call it."""

from __future__ import annotations

from councils.models import Council
from planner.models import BacklogItem


def dependency_edges(council: Council) -> dict[int, set[int]]:
    """The council's whole dependency graph in one query."""
    through = BacklogItem.depends_on.through
    edges: dict[int, set[int]] = {}
    rows = through.objects.filter(from_backlogitem__council=council).values_list(
        "from_backlogitem_id", "to_backlogitem_id"
    )
    for source, target in rows:
        edges.setdefault(source, set()).add(target)
    return edges
