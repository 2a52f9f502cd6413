"""Set-up of a council's themes and criteria (admins), as views/setup.py offers it.

Two admins may edit the same theme or criterion from pages loaded at the same time: each
edit carries the version its form was rendered with, and a stale one raises StaleEditError
with the row as saved now, so nothing is silently overwritten. Two people adding the same
name at once meet the database's unique constraint: the loser gets NameTakenError.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.text import slugify

from councils.models import Council
from planner import ranking
from planner.audit import record_history_user
from planner.models import Criterion, Theme


class ThemeInUseError(Exception):
    """A theme with items (archived ones included) can only be retired, never deleted."""


class StaleEditError(Exception):
    """Someone else saved (or deleted) this row after the form was loaded. `current` is the
    row as saved now, or None once deleted."""

    def __init__(self, current: Any) -> None:
        super().__init__("stale edit")
        self.current = current


class NameTakenError(Exception):
    """Another entry of the council took this name first (a concurrent save)."""


def save_unique(obj: Any) -> None:
    """Save `obj` in a savepoint; a unique-name clash (a concurrent save of the same name,
    which the form's check could not see yet) becomes NameTakenError instead of a 500."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as error:
        raise NameTakenError(getattr(obj, "name", "")) from error


def _locked_current(model: Any, pk: int, version: int) -> Any:
    """The row, locked; raises StaleEditError unless it is still at `version`."""
    current = model.objects.select_for_update().filter(pk=pk).first()
    if current is None or current.version != version:
        raise StaleEditError(current)
    return current


@transaction.atomic
def add_theme(*, council: Council, user: Any, name: str, position: int | None) -> Theme:
    if position is None:
        position = (council.themes.aggregate(last=Max("position"))["last"] or 0) + 1
    theme = Theme(council=council, name=name, position=position)
    record_history_user(theme, user)
    save_unique(theme)
    return theme


@transaction.atomic
def change_theme(
    *, theme: Theme, user: Any, action: str, name: str, position: int | None, version: int
) -> Theme | None:
    """Rename or reorder (save), retire, restore or delete one theme, edited from a form
    rendered at `version`. Returns None once deleted; raises ThemeInUseError for a theme
    that items still use, StaleEditError when someone else saved it in between."""
    theme = _locked_current(Theme, theme.pk, version)
    record_history_user(theme, user)
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
    theme.version = version + 1
    save_unique(theme)
    return theme


def _unique_criterion_key(council: Council, name: str) -> str:
    base = slugify(name).replace("-", "_")[:30] or "criterion"
    taken = set(council.criteria.values_list("key", flat=True))
    key, suffix = base, 2
    while key in taken:
        key, suffix = f"{base}_{suffix}", suffix + 1
    return key


@transaction.atomic
def save_criterion(
    *, council: Council, user: Any, criterion: Criterion, version: int | None = None
) -> Criterion:
    """Add or change a criterion; scoring changes, so the ranking is asked for again.
    A change carries the `version` its form was rendered with: StaleEditError when someone
    else saved the criterion in between. A clashing name raises NameTakenError."""
    if criterion.pk is None:
        criterion.council = council
        criterion.key = _unique_criterion_key(council, criterion.name)
        if not criterion.position:
            criterion.position = (council.criteria.aggregate(last=Max("position"))["last"] or 0) + 1
    else:
        if version is None:
            raise ValueError("a change to a criterion needs the version it was made against")
        _locked_current(Criterion, criterion.pk, version)
        criterion.version = version + 1
    record_history_user(criterion, user)
    save_unique(criterion)
    ranking.request_run(council=council, requested_by=user)
    return criterion
