"""Scoring rounds: start one, let each participant score blind, close it, agree one score per
cell, and apply the agreed scores once.

Privacy is a rule of this module's readers: `own_scores` is the only reader of an open
round's individual scores, and it returns one participant's own; `results` refuses an open
round. Views never query RoundScore themselves."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from councils.models import Council
from planner import ranking
from planner.consensus import CellSummary, disagreement_key, summarise
from planner.items import write_scores
from planner.models import (
    AgreedScore,
    BacklogItem,
    Criterion,
    ItemScore,
    RoundParticipant,
    RoundScore,
    RoundStatus,
    ScoringRound,
)

# simple-history keeps a change reason of at most 100 characters.
REASON_LENGTH = 100
# (item id, criterion id): one cell of a round.
Cell = tuple[int, int]


class RoundStateError(Exception):
    """The round is not in the state this step needs (scoring a closed round, applying
    twice...). The message says what happened, for the page."""


@transaction.atomic
def start_round(
    *,
    council: Council,
    user: Any,
    name: str,
    items: list[BacklogItem],
    participants: list[Any],
    anonymised: bool,
) -> ScoringRound:
    """A new open round on `items` (live items of the council) for `participants`
    (members of the council), on today's active hand-scored criteria."""
    if any(item.council_id != council.pk or item.archived for item in items):
        raise ValueError("A round scores live items of its own council.")
    member_ids = set(council.memberships.values_list("user_id", flat=True))
    if any(person.pk not in member_ids for person in participants):
        raise ValueError("Participants must be members of the council.")
    scoring_round = ScoringRound.objects.create(
        council=council, name=name, anonymised=anonymised, created_by=user
    )
    scoring_round.items.set(items)
    scoring_round.criteria.set(hand_scored_criteria(council))
    RoundParticipant.objects.bulk_create(
        RoundParticipant(scoring_round=scoring_round, user=person, position=position)
        for position, person in enumerate(participants, start=1)
    )
    return scoring_round


def hand_scored_criteria(council: Council) -> list[Criterion]:
    return list(council.criteria.filter(active=True, derived_from_estimate=False))


def round_items(scoring_round: ScoringRound) -> list[BacklogItem]:
    return list(scoring_round.items.select_related("theme").order_by("number"))


def round_criteria(scoring_round: ScoringRound) -> list[Criterion]:
    return list(scoring_round.criteria.order_by("position", "id"))


def participant_for(scoring_round: ScoringRound, *, user_id: int) -> RoundParticipant | None:
    return scoring_round.participants.filter(user_id=user_id).first()


def own_scores(participant: RoundParticipant) -> dict[Cell, int]:
    """One participant's own scores: the only reader of an open round's individual scores."""
    return {
        (item_id, criterion_id): value
        for item_id, criterion_id, value in participant.scores.values_list(
            "item_id", "criterion_id", "value"
        )
    }


@transaction.atomic
def save_own_scores(
    *, participant: RoundParticipant, values: dict[Cell, int | None], finished: bool
) -> None:
    """Replace the participant's scores on the given cells (None clears one) in a fixed
    number of queries; `finished` tells the facilitator they are done."""
    scoring_round = ScoringRound.objects.select_for_update().get(pk=participant.scoring_round_id)
    if not scoring_round.is_open:
        raise RoundStateError("This round has closed: scores can no longer change.")
    cleared = [cell for cell, value in values.items() if value is None]
    if cleared:
        participant.scores.filter(
            reduce(or_, (Q(item_id=item, criterion_id=criterion) for item, criterion in cleared))
        ).delete()
    RoundScore.objects.bulk_create(
        [
            RoundScore(participant=participant, item_id=item, criterion_id=criterion, value=value)
            for (item, criterion), value in values.items()
            if value is not None
        ],
        update_conflicts=True,
        unique_fields=["participant", "item", "criterion"],
        update_fields=["value"],
    )
    participant.finished_at = timezone.now() if finished else None
    participant.save(update_fields=["finished_at"])


@dataclass(frozen=True, slots=True)
class ResultCell:
    criterion: Criterion
    # Each participant's score in participant order (None: they left it blank).
    scores: list[int | None]
    summary: CellSummary | None
    agreed: AgreedScore | None


@dataclass(frozen=True, slots=True)
class ItemResult:
    item: BacklogItem
    cells: list[ResultCell]

    @property
    def disagreements(self) -> int:
        return sum(1 for cell in self.cells if cell.summary and cell.summary.disagree)


@dataclass(frozen=True, slots=True)
class RoundResults:
    participants: list[str]
    items: list[ItemResult]


def results(scoring_round: ScoringRound) -> RoundResults:
    """Every participant's score per item and criterion, with the median, range and agreed
    score, the most disputed item first. Only for a closed round; five queries."""
    if scoring_round.is_open:
        raise RoundStateError("Scores are shown when the round closes.")
    participants = list(scoring_round.participants.select_related("user"))
    items = round_items(scoring_round)
    criteria = round_criteria(scoring_round)
    by_cell: dict[Cell, dict[int, int]] = defaultdict(dict)
    for participant_id, item_id, criterion_id, value in RoundScore.objects.filter(
        participant__scoring_round=scoring_round
    ).values_list("participant_id", "item_id", "criterion_id", "value"):
        by_cell[(item_id, criterion_id)][participant_id] = value
    agreed = {(a.item_id, a.criterion_id): a for a in scoring_round.agreed_scores.all()}
    item_results = []
    for item in items:
        cells = []
        for criterion in criteria:
            given = by_cell.get((item.pk, criterion.pk), {})
            cells.append(
                ResultCell(
                    criterion=criterion,
                    scores=[given.get(p.pk) for p in participants],
                    summary=summarise(list(given.values())),
                    agreed=agreed.get((item.pk, criterion.pk)),
                )
            )
        item_results.append(ItemResult(item=item, cells=cells))
    item_results.sort(
        key=lambda result: (
            disagreement_key([cell.summary for cell in result.cells]),
            result.item.number,
        )
    )
    labels = [p.label(scoring_round.anonymised) for p in participants]
    return RoundResults(participants=labels, items=item_results)


def _locked(scoring_round: ScoringRound) -> ScoringRound:
    return ScoringRound.objects.select_for_update().get(pk=scoring_round.pk)


@transaction.atomic
def close_round(*, scoring_round: ScoringRound, user: Any) -> ScoringRound:
    """Close the round and agree every scored cell at its median (rounded half up) to begin
    with; the facilitator then changes what the meeting decides."""
    current = _locked(scoring_round)
    if not current.is_open:
        raise RoundStateError("This round is already closed.")
    current.status = RoundStatus.CLOSED
    current.closed_at = timezone.now()
    current.save(update_fields=["status", "closed_at"])
    AgreedScore.objects.bulk_create(
        AgreedScore(
            scoring_round=current,
            item=cell.item,
            criterion=result_cell.criterion,
            value=result_cell.summary.default_agreed,
            set_by=user,
        )
        for cell in results(current).items
        for result_cell in cell.cells
        if result_cell.summary is not None
    )
    return current


@transaction.atomic
def set_agreed(
    *, scoring_round: ScoringRound, user: Any, agreed: dict[Cell, tuple[int, str]]
) -> int:
    """Record the agreed value and note of each given cell; returns how many changed."""
    current = _locked(scoring_round)
    if current.status != RoundStatus.CLOSED:
        raise RoundStateError(
            "Close the round before agreeing scores."
            if current.is_open
            else "The agreed scores were already applied."
        )
    existing = {(a.item_id, a.criterion_id): a for a in current.agreed_scores.all()}
    changed, created = [], []
    now = timezone.now()
    for (item_id, criterion_id), (value, note) in agreed.items():
        row = existing.get((item_id, criterion_id))
        if row is None:
            created.append(
                AgreedScore(
                    scoring_round=current,
                    item_id=item_id,
                    criterion_id=criterion_id,
                    value=value,
                    note=note,
                    set_by=user,
                )
            )
        elif (row.value, row.note) != (value, note):
            row.value, row.note, row.set_by, row.set_at = value, note, user, now
            changed.append(row)
    AgreedScore.objects.bulk_create(created)
    AgreedScore.objects.bulk_update(changed, ["value", "note", "set_by", "set_at"])
    return len(changed) + len(created)


@transaction.atomic
def apply_agreed(*, scoring_round: ScoringRound, user: Any) -> int:
    """Write the agreed scores to the items, with history "agreed in round <name>", and ask
    for one ranking run. One-shot: the round row lock makes a second, concurrent apply find
    the round applied and refuse. Returns how many scores changed."""
    current = _locked(scoring_round)
    if current.status != RoundStatus.CLOSED:
        raise RoundStateError(
            "The agreed scores were already applied."
            if current.status == RoundStatus.APPLIED
            else "Close the round before applying its scores."
        )
    live_items = set(current.items.filter(archived=False).values_list("pk", flat=True))
    live_criteria = set(
        current.criteria.filter(active=True, derived_from_estimate=False).values_list(
            "pk", flat=True
        )
    )
    agreed = [
        a
        for a in current.agreed_scores.all()
        if a.item_id in live_items and a.criterion_id in live_criteria
    ]
    scores = {
        (s.item_id, s.criterion_id): s
        for s in ItemScore.objects.filter(item_id__in=live_items, criterion_id__in=live_criteria)
    }
    now = timezone.now()
    created, updated = [], []
    for row in agreed:
        note = row.note or "Agreed in the scoring round"
        score = scores.get((row.item_id, row.criterion_id))
        if score is None:
            created.append(
                ItemScore(
                    item_id=row.item_id,
                    criterion_id=row.criterion_id,
                    value=row.value,
                    rationale=note,
                    set_by=user,
                    set_at=now,
                )
            )
        elif score.value != row.value:
            score.value, score.rationale, score.set_by, score.set_at = row.value, note, user, now
            score.version += 1
            updated.append(score)
    reason = f"agreed in round {current.name}"[:REASON_LENGTH]
    write_scores(created=created, updated=updated, user=user, now=now, reason=reason)
    current.status = RoundStatus.APPLIED
    current.applied_at = now
    current.applied_by = user
    current.save(update_fields=["status", "applied_at", "applied_by"])
    if created or updated:
        ranking.request_run(council=current.council, requested_by=user)
    return len(created) + len(updated)
