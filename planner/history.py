"""An item's history: who changed what on the item and its scores, from and to."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from django.db.models import Field
from django.utils.functional import Promise

from planner.items import ITEM_COLUMN_FIELDS
from planner.models import BacklogItem, Criterion, ItemScore

HISTORY_LIMIT = 100
# The item's own columns (wards, a many-to-many, have their own history table).
ITEM_HISTORY_FIELDS = [
    *(f"{name}_id" if name in {"theme", "directorate"} else name for name in ITEM_COLUMN_FIELDS),
    "archived",
]
# Fields with choices show their labels: {field: {value: label}}.
_CHOICE_LABELS: dict[str, dict[Any, str]] = {
    name: {value: str(label) for value, label in getattr(field, "flatchoices", [])}
    for name in ITEM_HISTORY_FIELDS
    if getattr(field := BacklogItem._meta.get_field(name.removesuffix("_id")), "choices", None)
}


@dataclasses.dataclass
class HistoryEntry:
    when: datetime
    who: str
    summary: str
    changes: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)


def _display(item_field: str, value: Any, names: dict[str, dict[int, str]]) -> str:
    if value is None or value == "":
        return "(blank)"
    if item_field in names:
        return names[item_field].get(value, "(removed)")
    if item_field in _CHOICE_LABELS:
        return _CHOICE_LABELS[item_field].get(value, str(value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


def _verbose_name(name: str) -> str | Promise:
    field = BacklogItem._meta.get_field(name)
    assert isinstance(field, Field), name  # a field of the item, not a reverse relation
    return field.verbose_name


def item_history(item: BacklogItem, criteria: list[Criterion]) -> list[HistoryEntry]:
    """Who changed what on the item and its scores, newest first, from and to, in a fixed
    number of queries (diffs are computed here, not with one query per record)."""
    names: dict[str, dict[int, str]] = {
        "theme_id": dict(item.council.themes.values_list("pk", "name")),
        "directorate_id": dict(item.council.directorates.values_list("pk", "name")),
    }
    labels = {name: _verbose_name(name.removesuffix("_id")) for name in ITEM_HISTORY_FIELDS}
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
                    _display(name, getattr(previous, name), names),
                    _display(name, getattr(record, name), names),
                )
                for name in ITEM_HISTORY_FIELDS
                if getattr(previous, name) != getattr(record, name)
            ]
            if changes:
                entries.append(HistoryEntry(record.history_date, who, "Changed the item", changes))
        previous = record
    criterion_names = {criterion.pk: criterion.name for criterion in criteria}
    score_records = (
        ItemScore.history.filter(item_id=item.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")[:HISTORY_LIMIT]
    )
    last_by_criterion: dict[int, Any] = {}
    for record in score_records:
        who = record.history_user.get_username() if record.history_user else "System"
        name = criterion_names.get(record.criterion_id, "a removed criterion")
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
            # A score agreed in a scoring round says so ("agreed in round Digital board").
            reason = f" ({record.history_change_reason})" if record.history_change_reason else ""
            entries.append(
                HistoryEntry(record.history_date, who, f"Scored {name}{reason}", changes)
            )
        last_by_criterion[record.criterion_id] = record
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries
