"""A council's own details (admins): its name, and its lists of wards and directorates.

The name carries a version, as the planning settings do, so two admins renaming the
council from pages loaded at the same time never overwrite each other silently. Wards and
directorates are plain named lists: add, rename, remove, each change kept in history.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from councils.models import Council, Directorate, Ward
from planner.audit import delete_with_history, record_history_user
from planner.setup import save_unique


class StaleCouncilError(Exception):
    """Someone else saved the council's details after the form was loaded."""


@transaction.atomic
def rename_council(*, council: Council, name: str, version: int, user: Any) -> Council:
    locked = Council.objects.select_for_update().get(pk=council.pk)
    if locked.version != version:
        raise StaleCouncilError
    locked.name = name
    locked.version = version + 1
    record_history_user(locked, user)
    locked.save(update_fields=["name", "version"])
    return locked


# The lists a council keeps, by the name their pages use in URLs.
LIST_MODELS: dict[str, type[Ward] | type[Directorate]] = {
    "wards": Ward,
    "directorates": Directorate,
}


@transaction.atomic
def add_entry(*, council: Council, kind: str, name: str, user: Any) -> Ward | Directorate:
    """Add a ward or directorate; setup.NameTakenError when the council already has the name."""
    entry = LIST_MODELS[kind](council=council, name=name)
    record_history_user(entry, user)
    save_unique(entry)
    return entry


@transaction.atomic
def rename_entry(*, entry: Ward | Directorate, name: str, user: Any) -> Ward | Directorate:
    entry.name = name
    record_history_user(entry, user)
    save_unique(entry)
    return entry


@transaction.atomic
def remove_entry(*, entry: Ward | Directorate, user: Any) -> None:
    delete_with_history(entry, reason="removed from the council's list", user=user)
