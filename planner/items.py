"""Item workflows: create with a safely allocated reference, edit with optimistic locking,
archive and restore, change many at once, score one criterion, and set dependencies without
a cycle.

Views call one of these; forms have already validated the input. Every edit that can change
the ranking asks for a run inside its own transaction."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from councils.models import Council
from planner import estimates, ranking
from planner.audit import record_history_user
from planner.dependencies import find_cycle
from planner.dependency_graph import dependency_edges
from planner.models import BacklogItem, Criterion, ItemScore, Theme

# The committee fields (planner.committee), all optional, in the order the item form shows them.
COMMITTEE_FIELDS = (
    "wards",
    "all_wards",
    "directorate",
    "key_decision",
    "exempt_paragraph",
    "eqia_status",
    "dpia_status",
    "one_off_funding",
    "recurring_funding",
    "funding_source",
    "risk_rating",
    "risk_description",
    "cashable_savings",
    "non_cashable_benefits",
)
# What a person edits on an item's form (the history shows the same fields plus archiving).
ITEM_EDITABLE_FIELDS = [
    "title",
    "problem",
    "theme",
    "status",
    "owner",
    "effort_days",
    "remaining_days",
    "one_off_cost",
    "recurring_cost",
    "stage",
    *COMMITTEE_FIELDS,
]
# Many-to-many fields are set after the item's row is saved; the rest are columns of it.
ITEM_MANY_TO_MANY_FIELDS = ("wards",)
ITEM_COLUMN_FIELDS = [name for name in ITEM_EDITABLE_FIELDS if name not in ITEM_MANY_TO_MANY_FIELDS]


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


# Fields the delivery plan reads: changing one asks for a new run (and so a new plan).
PLAN_FIELDS = ("status", "effort_days", "remaining_days", "one_off_cost", "recurring_cost")


@transaction.atomic
def create_item(*, council: Council, user: Any, data: dict[str, Any]) -> BacklogItem:
    """Create an item with the next reference (DIG-001, …) and queue a ranking run."""
    depends_on = data.pop("depends_on", None) or []
    wards = data.pop("wards", None) or []
    (number,) = allocate_numbers(council=council)
    item = BacklogItem(
        council=council,
        number=number,
        reference=BacklogItem.format_reference(number),
        **data,
    )
    record_history_user(item, user)
    item.full_clean()
    item.save()
    if wards:
        _set_wards(item=item, wards=wards)
    if depends_on:
        _set_dependencies(item=item, depends_on=depends_on)
    estimates.sync_effort_scores(council=council, item_ids=[item.pk], user=user)
    ranking.request_run(council=council, requested_by=user)
    return item


@transaction.atomic
def update_item(*, item: BacklogItem, user: Any, data: dict[str, Any], version: int) -> BacklogItem:
    """Save an edit made against `version`; refuse it if someone else saved in between."""
    current = BacklogItem.objects.select_for_update().get(pk=item.pk)
    if current.version != version:
        raise StaleEditError(current)
    depends_on = data.pop("depends_on", None)
    wards = data.pop("wards", None)
    plan_changed = any(
        field in data and data[field] != getattr(current, field) for field in PLAN_FIELDS
    )
    estimate_changed = "effort_days" in data and data["effort_days"] != current.effort_days
    for field, value in data.items():
        setattr(current, field, value)
    current.version = version + 1
    record_history_user(current, user)
    current.full_clean()
    current.save()
    if wards is not None and {ward.pk for ward in wards} != set(
        current.wards.values_list("pk", flat=True)
    ):
        _set_wards(item=current, wards=wards)
    if depends_on is not None:
        plan_changed |= {d.pk for d in depends_on} != set(
            current.depends_on.values_list("pk", flat=True)
        )
        _set_dependencies(item=current, depends_on=depends_on)
    if estimate_changed:
        estimates.sync_effort_scores(council=current.council, item_ids=[current.pk], user=user)
    if plan_changed:
        ranking.request_run(council=current.council, requested_by=user)
    return current


@transaction.atomic
def archive_item(*, item: BacklogItem, user: Any) -> BacklogItem:
    current = BacklogItem.objects.select_for_update().get(pk=item.pk)
    if not current.archived:
        current.archived = True
        current.version += 1
        record_history_user(current, user)
        current.save()
        ranking.request_run(council=current.council, requested_by=user)
    return current


@transaction.atomic
def restore_item(*, item: BacklogItem, user: Any) -> BacklogItem:
    """Bring an archived item back to the backlog (its history shows both steps)."""
    current = BacklogItem.objects.select_for_update().get(pk=item.pk)
    if current.archived:
        current.archived = False
        current.version += 1
        record_history_user(current, user)
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
) -> list[str]:
    """Set the status or theme of many items in one step, with one history row each.
    Returns the references of the items that changed, in backlog order."""
    locked = list(
        council.items.select_for_update()
        .filter(pk__in=[item.pk for item in items], archived=False)
        .order_by("number")
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
    return [item.reference for item in changed]


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
    if criterion.derived_from_estimate:
        raise ValueError(f"{criterion.name} comes from the estimate in team-days.")
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
    record_history_user(score, user)
    score.full_clean(validate_unique=False)
    score.save()
    ranking.request_run(council=item.council, requested_by=user)
    return score


def _set_wards(*, item: BacklogItem, wards: Any) -> None:
    """Replace the wards an item affects; only its own council's wards (the form checks
    this too: this is the last line for any other caller)."""
    if any(ward.council_id != item.council_id for ward in wards):
        raise ValueError("Wards must belong to the item's council.")
    item.wards.set(wards)


# --- Dependencies -----------------------------------------------------------------------


def _set_dependencies(*, item: BacklogItem, depends_on: list[BacklogItem]) -> None:
    """Replace what the item depends on; refuses other councils' items and any cycle."""
    # The council row lock makes the check and the write one step across concurrent edits.
    Council.objects.select_for_update().only("pk").get(pk=item.council_id)
    if any(dependency.council_id != item.council_id for dependency in depends_on):
        raise ValueError("Dependencies must belong to the same council.")
    edges = dependency_edges(item.council)
    edges[item.pk] = {dependency.pk for dependency in depends_on}
    # The stored graph has no cycle, so any cycle now runs through the item: search from it.
    cycle = find_cycle(edges, roots=[item.pk])
    if cycle:
        raise DependencyCycleError(cycle)
    item.depends_on.set(depends_on)


# One statement for every changed score: Django's bulk_update builds a CASE expression per
# field per row, which took ~0.5 s of a 350-cell save. Parameters only; the table name is
# the model's own.
_UPDATE_SCORES = (
    "UPDATE {table} AS score SET value = changed.value, rationale = changed.rationale, "
    "version = changed.version, set_by_id = %s, set_at = %s "
    "FROM unnest(%s::bigint[], %s::smallint[], %s::text[], %s::integer[]) "
    "AS changed(id, value, rationale, version) WHERE score.id = changed.id"
)


def _update_scores(scores: list[ItemScore], *, user: Any, now: Any) -> None:
    if connection.vendor != "postgresql":
        ItemScore.objects.bulk_update(scores, ["value", "rationale", "version", "set_by", "set_at"])
        return
    table = connection.ops.quote_name(ItemScore._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            _UPDATE_SCORES.format(table=table),
            [
                getattr(user, "pk", None),
                now,
                [score.pk for score in scores],
                [score.value for score in scores],
                [score.rationale for score in scores],
                [score.version for score in scores],
            ],
        )


def write_scores(
    *,
    created: list[ItemScore],
    updated: list[ItemScore],
    user: Any,
    now: Any,
    reason: str | None = None,
) -> None:
    """Write many new and changed scores at once, each with its history row (`reason` as
    the change reason): the grid's save and a round's agreed scores. The caller locks the
    items, bumps the versions and asks for the ranking run."""
    if created:
        bulk_create_with_history(
            created, ItemScore, default_user=user, default_date=now, default_change_reason=reason
        )
    if updated:
        _update_scores(updated, user=user, now=now)
        ItemScore.history.bulk_history_create(
            updated, default_user=user, default_date=now, default_change_reason=reason
        )
