"""Grid scoring: many items against every hand-scored criterion, saved all or nothing.

A grid page is a snapshot: each cell carries the version of the score it showed (0 when the
cell was unscored). `save_grid` locks the grid's items, then compares every cell with what
is stored now:
- the version is unchanged: the cell is written if its level or rationale differs;
- someone else saved the cell since the page loaded: if this person left the cell as it was
  loaded (read from the score's history), or chose what is stored now, there is nothing to
  write; otherwise it is a conflict.
Any conflict writes nothing and raises GridConflictError with the other person's value for
each conflicting cell. Otherwise every changed score is written in bulk, with one history
row each, and one ranking run is asked for. The number of queries does not grow with the
grid's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from councils.models import Council
from planner import ranking
from planner.items import write_scores
from planner.models import ItemScore

# The most rows one grid shows and saves: 200 items × 7 criteria renders well inside the
# 150 ms page budget (bench/grid_save.py), and a meeting never scores more at once.
GRID_MAX_ROWS = 200
# Fields a grid posts besides its cells: the CSRF token and the return address.
_OTHER_FIELDS = 10


def max_rows(criteria_count: int) -> int:
    """The rows a grid of `criteria_count` columns may hold: each row posts its reference and
    three fields a cell, and the request must stay under DATA_UPLOAD_MAX_NUMBER_FIELDS."""
    per_row = 1 + 3 * max(criteria_count, 1)
    fits = (settings.DATA_UPLOAD_MAX_NUMBER_FIELDS - _OTHER_FIELDS) // per_row
    return max(1, min(GRID_MAX_ROWS, fits))


@dataclass(frozen=True, slots=True)
class CellInput:
    """One cell as posted: the level chosen (None: left unscored), the rationale, and the
    version of the score the page showed (0 when it was unscored)."""

    item_id: int
    criterion_id: int
    value: int | None
    rationale: str
    seen_version: int


@dataclass(frozen=True, slots=True)
class Conflict:
    """A cell someone else saved after the page loaded, which this person changed too."""

    item_id: int
    criterion_id: int
    their_value: int | None  # None: their change removed the score, or archived the item
    their_rationale: str
    by: str
    # The version saved now: carried in the form, so saving again replaces theirs.
    version: int
    archived: bool = False


class GridConflictError(Exception):
    def __init__(self, conflicts: list[Conflict]) -> None:
        super().__init__(f"{len(conflicts)} cells were changed by someone else")
        self.conflicts = conflicts


def _who(score: ItemScore | None) -> str:
    if score is None or score.set_by is None:
        return "Someone else"
    return score.set_by.get_username()


def _loaded_values(
    stale: list[tuple[CellInput, ItemScore]],
) -> dict[tuple[int, int], tuple[int, str]]:
    """{(score id, version): (value, rationale)} as each stale cell was when its page loaded,
    from the scores' history in one query."""
    if not stale:
        return {}
    records = ItemScore.history.filter(
        id__in={score.pk for _cell, score in stale},
        version__in={cell.seen_version for cell, _score in stale},
    ).values_list("id", "version", "value", "rationale")
    return {(pk, version): (value, rationale) for pk, version, value, rationale in records}


@transaction.atomic
def save_grid(*, council: Council, user: Any, cells: list[CellInput]) -> int:
    """Save a grid's cells all or nothing; returns how many scores were written.

    Raises GridConflictError (writing nothing) when any changed cell is stale, and
    ValueError for an item or criterion the grid cannot score (another council's, archived
    before the page loaded, or derived from the estimate): the view never offers those.
    """
    item_ids = sorted({cell.item_id for cell in cells})
    criterion_ids = {cell.criterion_id for cell in cells}
    scorable = set(
        council.criteria.filter(
            pk__in=criterion_ids, active=True, derived_from_estimate=False
        ).values_list("pk", flat=True)
    )
    if scorable != criterion_ids:
        raise ValueError("The grid can only score this council's active hand-scored criteria.")
    # Locking the items (in id order, so two grids queue rather than deadlock) serialises this
    # save with other grids and with single scores (items.set_score locks the item too).
    items = dict(
        council.items.select_for_update()
        .filter(pk__in=item_ids)
        .order_by("pk")
        .values_list("pk", "archived")
    )
    if len(items) != len(item_ids):
        raise ValueError("The grid can only score this council's items.")
    current = {
        (score.item_id, score.criterion_id): score
        for score in ItemScore.objects.filter(
            item_id__in=item_ids, criterion_id__in=criterion_ids
        ).select_related("set_by")
    }
    stale = [
        (cell, score)
        for cell in cells
        if (score := current.get((cell.item_id, cell.criterion_id))) is not None
        and score.version != cell.seen_version
        and cell.seen_version > 0
    ]
    loaded = _loaded_values(stale)
    now = timezone.now()
    conflicts: list[Conflict] = []
    created: list[ItemScore] = []
    updated: list[ItemScore] = []
    for cell in cells:
        score = current.get((cell.item_id, cell.criterion_id))
        mine = (cell.value, cell.rationale)
        stored = (score.value, score.rationale) if score else (None, "")
        if cell.value is None or mine == stored:
            continue  # left unscored, or already what is stored: nothing to write
        if items[cell.item_id] or (score.version if score else 0) != cell.seen_version:
            was = loaded.get((score.pk, cell.seen_version)) if score and cell.seen_version else None
            if cell.seen_version and was == mine and not items[cell.item_id]:
                continue  # untouched since the page loaded: their newer score stands
            conflicts.append(
                Conflict(
                    item_id=cell.item_id,
                    criterion_id=cell.criterion_id,
                    their_value=stored[0],
                    their_rationale=stored[1],
                    by=_who(score),
                    version=score.version if score else 0,
                    archived=items[cell.item_id],
                )
            )
            continue
        if score is None:
            created.append(
                ItemScore(
                    item_id=cell.item_id,
                    criterion_id=cell.criterion_id,
                    value=cell.value,
                    rationale=cell.rationale,
                    set_by=user,
                    set_at=now,
                )
            )
        else:
            score.value = cell.value
            score.rationale = cell.rationale
            score.version += 1
            score.set_by = user
            score.set_at = now
            updated.append(score)
    if conflicts:
        raise GridConflictError(conflicts)
    write_scores(created=created, updated=updated, user=user, now=now)
    if created or updated:
        ranking.request_run(council=council, requested_by=user)
    return len(created) + len(updated)
