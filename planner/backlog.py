"""Backlog workflows: creating items with safely allocated references, filtering, edits
with optimistic locking, scoring, bulk changes and dependency checks."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import slugify
from simple_history.utils import bulk_update_with_history

from councils.models import Council
from planner import ranking
from planner.models import (
    BacklogItem,
    Criterion,
    ItemScore,
    RunStatus,
    Stage,
    Status,
    Theme,
)


def allocate_numbers(*, council: Council, count: int = 1) -> list[int]:
    """Reserve the next `count` item numbers for the council.

    Locks the council row until the surrounding transaction ends, so concurrent
    creates queue up instead of both taking DIG-042.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_numbers must run inside transaction.atomic()")
    Council.objects.select_for_update().only("pk").get(pk=council.pk)
    last = council.items.aggregate(last=Max("number"))["last"] or 0
    return list(range(last + 1, last + 1 + count))


# --- Backlog services -------------------------------------------------------------------
# Views call one of these; forms have already validated the input. Every edit that can
# change the ranking asks for a run inside its own transaction.

SORT_KEYS = {
    "reference": ("number",),
    "title": ("title",),
    "theme": ("theme__position", "theme__name"),
    "status": ("status",),
    "owner": ("owner",),
    "effort": ("effort_days",),
    "score": ("ranked_score",),
    "rank": ("ranked_position",),
}
DEFAULT_SORT = "rank"
PAGE_SIZE = 50


class StaleEditError(Exception):
    """Someone else saved first. `current` is what the database holds now."""

    def __init__(self, current: Any) -> None:
        super().__init__("This was changed by someone else since you opened it.")
        self.current = current


class DependencyCycleError(Exception):
    """The dependencies asked for would make an item depend on itself."""

    def __init__(self, path: list[int]) -> None:
        super().__init__("Dependencies would form a cycle.")
        self.path = path


def with_ranking(queryset: QuerySet[BacklogItem], council: Council) -> QuerySet[BacklogItem]:
    """Annotate each item with its entry in the council's latest completed run, if any.

    A LEFT JOIN on (run, item) rather than correlated subqueries: sorting 5,000 items by
    rank then costs one hash join instead of one lookup per item.
    """
    run_id = (
        council.runs.filter(status=RunStatus.DONE)
        .order_by("-generation")
        .values_list("pk", flat=True)
        .first()
    )
    entry = FilteredRelation("ranked_entries", condition=Q(ranked_entries__run_id=run_id))
    return queryset.annotate(
        latest_entry=entry,
        ranked_score=F("latest_entry__score"),
        ranked_rank=F("latest_entry__rank"),
        ranked_tied=F("latest_entry__tied"),
        ranked_position=F("latest_entry__position"),
    )


def scored_count() -> Subquery:
    """How many active criteria the item has a score for."""
    counts = (
        ItemScore.objects.filter(item=OuterRef("pk"), criterion__active=True)
        .order_by()
        .values("item")
        .annotate(total=Count("pk"))
        .values("total")
    )
    return Coalesce(Subquery(counts), 0)


def needs_scoring_condition(council: Council) -> Exists:
    """True for an item that has no score on at least one active criterion."""
    unscored_criteria = council.criteria.filter(active=True).exclude(
        Exists(ItemScore.objects.filter(item=OuterRef(OuterRef("pk")), criterion=OuterRef("pk")))
    )
    return Exists(unscored_criteria)


def filter_items(council: Council, cleaned_data: dict[str, Any]) -> QuerySet[BacklogItem]:
    """The council's live backlog, filtered, searched and sorted as the backlog page shows it.

    `cleaned_data` comes from BacklogFilterForm; missing keys mean "no filter". Ordered,
    not paginated, so the CSV export can stream the same rows.
    """
    items = council.items.filter(archived=False).select_related("theme")
    if theme := cleaned_data.get("theme"):
        items = items.filter(theme=theme)
    if status := cleaned_data.get("status"):
        items = items.filter(status=status)
    if owner := cleaned_data.get("owner"):
        items = items.filter(owner=owner)
    if query := cleaned_data.get("q"):
        items = items.filter(Q(title__icontains=query) | Q(problem__icontains=query))
    if cleaned_data.get("needs_scoring"):
        items = items.filter(needs_scoring_condition(council))
    items = with_ranking(items, council).annotate(scored_count=scored_count())
    sort = cleaned_data.get("sort") or DEFAULT_SORT
    descending = sort.startswith("-")
    fields = SORT_KEYS.get(sort.lstrip("-"), SORT_KEYS[DEFAULT_SORT])
    # Unranked items (blank score) sort last either way; the number breaks ties stably.
    order = [
        F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
        for field in fields
    ]
    return items.order_by(*order, "number")


def owners(council: Council) -> list[str]:
    """Distinct owners of the live backlog, for the owner filter."""
    return list(
        council.items.filter(archived=False)
        .exclude(owner="")
        .order_by("owner")
        .values_list("owner", flat=True)
        .distinct()
    )


def scores_by_item(items: list[BacklogItem]) -> dict[int, dict[int, ItemScore]]:
    """{item id: {criterion id: score}} for a page of items, in one query."""
    result: dict[int, dict[int, ItemScore]] = {item.pk: {} for item in items}
    for score in ItemScore.objects.filter(item__in=[item.pk for item in items]):
        result[score.item_id][score.criterion_id] = score
    return result


@transaction.atomic
def create_item(*, council: Council, user: Any, data: dict[str, Any]) -> BacklogItem:
    """Create an item with the next reference (DIG-001, …) and queue a ranking run."""
    depends_on = data.pop("depends_on", None) or []
    (number,) = allocate_numbers(council=council)
    item = BacklogItem(
        council=council,
        number=number,
        reference=BacklogItem.format_reference(number),
        **data,
    )
    item._history_user = user
    item.full_clean()
    item.save()
    if depends_on:
        _set_dependencies(item=item, depends_on=depends_on)
    ranking.request_run(council=council, requested_by=user)
    return item


@transaction.atomic
def update_item(*, item: BacklogItem, user: Any, data: dict[str, Any], version: int) -> BacklogItem:
    """Save an edit made against `version`; refuse it if someone else saved in between."""
    current = BacklogItem.objects.select_for_update().get(pk=item.pk)
    if current.version != version:
        raise StaleEditError(current)
    depends_on = data.pop("depends_on", None)
    status_changed = "status" in data and data["status"] != current.status
    for field, value in data.items():
        setattr(current, field, value)
    current.version = version + 1
    current._history_user = user
    current.full_clean()
    current.save()
    if depends_on is not None:
        _set_dependencies(item=current, depends_on=depends_on)
    if status_changed:
        ranking.request_run(council=current.council, requested_by=user)
    return current


@transaction.atomic
def archive_item(*, item: BacklogItem, user: Any) -> BacklogItem:
    current = BacklogItem.objects.select_for_update().get(pk=item.pk)
    if not current.archived:
        current.archived = True
        current.version += 1
        current._history_user = user
        current.save()
        ranking.request_run(council=current.council, requested_by=user)
    return current


@transaction.atomic
def bulk_change(
    *,
    council: Council,
    user: Any,
    items: list[BacklogItem],
    status: str | None = None,
    theme: Theme | None = None,
) -> int:
    """Set the status or theme of many items in one step, with one history row each."""
    locked = list(
        council.items.select_for_update().filter(pk__in=[item.pk for item in items], archived=False)
    )
    changed = []
    for item in locked:
        if status and item.status != status:
            item.status = status
        elif theme and item.theme_id != theme.pk:
            item.theme = theme
        else:
            continue
        item.version += 1
        item.updated_at = timezone.now()
        changed.append(item)
    if changed:
        bulk_update_with_history(
            changed,
            BacklogItem,
            ["status", "theme", "version", "updated_at"],
            default_user=user,
        )
        if status:
            ranking.request_run(council=council, requested_by=user)
    return len(changed)


@transaction.atomic
def set_score(
    *,
    item: BacklogItem,
    criterion: Criterion,
    user: Any,
    value: int,
    rationale: str,
    version: int,
) -> ItemScore:
    """Set one criterion's score. `version` is the score's version the editor saw (0 when
    it was unscored); a mismatch means someone else scored it first."""
    # Locking the item serialises two first-time scores of the same criterion.
    BacklogItem.objects.select_for_update().only("pk").get(pk=item.pk)
    score = ItemScore.objects.filter(item=item, criterion=criterion).first()
    seen = score.version if score else 0
    if seen != version:
        raise StaleEditError(score)
    if score is None:
        score = ItemScore(item=item, criterion=criterion, value=value, rationale=rationale)
    else:
        score.value = value
        score.rationale = rationale
        score.version += 1
    score.set_by = user
    score._history_user = user
    score.full_clean(validate_unique=False)
    score.save()
    ranking.request_run(council=item.council, requested_by=user)
    return score


# --- Dependencies -----------------------------------------------------------------------


def find_cycle(edges: dict[int, set[int]], item_id: int, depends_on: set[int]) -> list[int]:
    """Pure: the path that would close a cycle if `item_id` depended on `depends_on`, given
    the rest of the graph as {item: items it depends on}; [] when there is none."""
    for start in depends_on:
        # Depth-first from each new dependency: reaching item_id again closes a loop.
        stack: list[tuple[int, list[int]]] = [(start, [item_id, start])]
        seen: set[int] = set()
        while stack:
            node, path = stack.pop()
            if node == item_id:
                return path
            if node in seen:
                continue
            seen.add(node)
            for nxt in edges.get(node, ()):
                stack.append((nxt, [*path, nxt]))
    return []


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


def _set_dependencies(*, item: BacklogItem, depends_on: list[BacklogItem]) -> None:
    # The council row lock makes the check and the write one step across concurrent edits.
    Council.objects.select_for_update().only("pk").get(pk=item.council_id)
    if any(dependency.council_id != item.council_id for dependency in depends_on):
        raise ValueError("Dependencies must belong to the same council.")
    edges = dependency_edges(item.council)
    edges.pop(item.pk, None)
    cycle = find_cycle(edges, item.pk, {dependency.pk for dependency in depends_on})
    if cycle:
        raise DependencyCycleError(cycle)
    item.depends_on.set(depends_on)


@transaction.atomic
def set_dependencies(*, item: BacklogItem, depends_on: list[BacklogItem]) -> None:
    """Replace what the item depends on; refuses other councils' items and any cycle."""
    _set_dependencies(item=item, depends_on=depends_on)


# --- History ----------------------------------------------------------------------------

HISTORY_LIMIT = 100
# What a person edits on an item's form; the history shows the same fields plus archiving.
ITEM_EDITABLE_FIELDS = [
    "title",
    "problem",
    "theme",
    "status",
    "owner",
    "effort_days",
    "one_off_cost",
    "recurring_cost",
    "stage",
]
ITEM_HISTORY_FIELDS = [
    *("theme_id" if name == "theme" else name for name in ITEM_EDITABLE_FIELDS),
    "archived",
]


@dataclasses.dataclass
class HistoryEntry:
    when: datetime
    who: str
    summary: str
    changes: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)


def _display(item_field: str, value: Any, themes: dict[int, str]) -> str:
    if value is None or value == "":
        return "(blank)"
    if item_field == "theme_id":
        return themes.get(value, "(removed theme)")
    if item_field == "status":
        return Status(value).label if value in Status.values else str(value)
    if item_field == "stage":
        return Stage(value).label if value in Stage.values else str(value)
    if item_field == "archived":
        return "Yes" if value else "No"
    return str(value)


def item_history(item: BacklogItem, criteria: list[Criterion]) -> list[HistoryEntry]:
    """Who changed what on the item and its scores, newest first, from and to, in a fixed
    number of queries (diffs are computed here, not with one query per record)."""
    themes = dict(item.council.themes.values_list("pk", "name"))
    labels = {
        name: BacklogItem._meta.get_field(name.removesuffix("_id")).verbose_name
        for name in ITEM_HISTORY_FIELDS
    }
    entries: list[HistoryEntry] = []
    records = list(
        item.history.select_related("history_user").order_by("history_date", "history_id")[
            :HISTORY_LIMIT
        ]
    )
    previous = None
    for record in records:
        who = record.history_user.get_username() if record.history_user else "System"
        if previous is None:
            entries.append(HistoryEntry(record.history_date, who, "Created the item"))
        else:
            changes = [
                (
                    str(labels[name]).capitalize(),
                    _display(name, getattr(previous, name), themes),
                    _display(name, getattr(record, name), themes),
                )
                for name in ITEM_HISTORY_FIELDS
                if getattr(previous, name) != getattr(record, name)
            ]
            if changes:
                entries.append(HistoryEntry(record.history_date, who, "Changed the item", changes))
        previous = record
    names = {criterion.pk: criterion.name for criterion in criteria}
    score_records = (
        ItemScore.history.filter(item_id=item.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")[:HISTORY_LIMIT]
    )
    last_by_criterion: dict[int, Any] = {}
    for record in score_records:
        who = record.history_user.get_username() if record.history_user else "System"
        name = names.get(record.criterion_id, "a removed criterion")
        before = last_by_criterion.get(record.criterion_id)
        changes = []
        if before is None or before.value != record.value:
            changes.append(
                ("Score", str(before.value) if before else "(unscored)", str(record.value))
            )
        if before is not None and before.rationale != record.rationale:
            changes.append(
                ("Rationale", before.rationale or "(blank)", record.rationale or "(blank)")
            )
        if changes:
            entries.append(HistoryEntry(record.history_date, who, f"Scored {name}", changes))
        last_by_criterion[record.criterion_id] = record
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries


# --- Set-up: themes and criteria (admins) -----------------------------------------------


class ThemeInUseError(Exception):
    """A theme with items (archived ones included) can only be retired, never deleted."""


@transaction.atomic
def add_theme(*, council: Council, user: Any, name: str, position: int | None) -> Theme:
    if position is None:
        position = (council.themes.aggregate(last=Max("position"))["last"] or 0) + 1
    theme = Theme(council=council, name=name, position=position)
    theme._history_user = user
    theme.save()
    return theme


@transaction.atomic
def change_theme(
    *, theme: Theme, user: Any, action: str, name: str, position: int | None
) -> Theme | None:
    """Rename or reorder (save), retire, restore or delete one theme. Returns None once
    deleted; raises ThemeInUseError for a theme that items still use."""
    theme._history_user = user
    if action == "delete":
        if theme.items.exists():
            raise ThemeInUseError(theme.name)
        theme.delete()
        return None
    theme.name = name
    if position is not None:
        theme.position = position
    if action in {"retire", "restore"}:
        theme.retired = action == "retire"
    theme.save()
    return theme


def _unique_criterion_key(council: Council, name: str) -> str:
    base = slugify(name).replace("-", "_")[:30] or "criterion"
    taken = set(council.criteria.values_list("key", flat=True))
    key, suffix = base, 2
    while key in taken:
        key, suffix = f"{base}_{suffix}", suffix + 1
    return key


@transaction.atomic
def save_criterion(*, council: Council, user: Any, criterion: Criterion) -> Criterion:
    """Add or change a criterion; scoring changes, so the ranking is asked for again."""
    if criterion.pk is None:
        criterion.council = council
        criterion.key = _unique_criterion_key(council, criterion.name)
        if not criterion.position:
            criterion.position = (council.criteria.aggregate(last=Max("position"))["last"] or 0) + 1
    criterion._history_user = user
    criterion.save()
    ranking.request_run(council=council, requested_by=user)
    return criterion
