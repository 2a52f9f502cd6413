"""Set-up of a council's themes and criteria (admins), as views/setup.py offers it."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify

from councils.models import Council
from planner import ranking
from planner.audit import record_history_user
from planner.models import Criterion, Theme


class ThemeInUseError(Exception):
    """A theme with items (archived ones included) can only be retired, never deleted."""


@transaction.atomic
def add_theme(*, council: Council, user: Any, name: str, position: int | None) -> Theme:
    if position is None:
        position = (council.themes.aggregate(last=Max("position"))["last"] or 0) + 1
    theme = Theme(council=council, name=name, position=position)
    record_history_user(theme, user)
    theme.save()
    return theme


@transaction.atomic
def change_theme(
    *, theme: Theme, user: Any, action: str, name: str, position: int | None
) -> Theme | None:
    """Rename or reorder (save), retire, restore or delete one theme. Returns None once
    deleted; raises ThemeInUseError for a theme that items still use."""
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
    record_history_user(criterion, user)
    criterion.save()
    ranking.request_run(council=council, requested_by=user)
    return criterion
