"""Keep the Effort criterion's scores in step with the items' estimates in team-days.

The estimate is the one source of effort. A criterion marked `derived_from_estimate` is
never scored by hand: this service writes its scores from the council's bands whenever an
estimate or the bands change, with the reason in the score's history. An item without an
estimate has no derived score, so the ranking lists it as needing an estimate.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from councils.models import Council
from planner.audit import delete_with_history, record_change_reason, record_history_user
from planner.effort import effort_level
from planner.models import BacklogItem, Criterion, ItemScore


def reason_for(days: Decimal) -> str:
    return f"Derived from the estimate of {days.normalize():f} team-days"


@transaction.atomic
def sync_effort_scores(
    *, council: Council, item_ids: Iterable[int] | None = None, user: Any = None
) -> int:
    """Write the derived criteria's scores for `item_ids` (all the council's items when None).
    Returns how many scores were created, changed or removed. Four queries, one bulk insert
    of new scores (with their history rows) and one write per changed or removed score, so
    history records each change and its reason; an import of 20,000 new items with
    estimates is two inserts, not 40,000."""
    criteria = list(Criterion.objects.filter(council=council, derived_from_estimate=True))
    if not criteria:
        return 0
    items = BacklogItem.objects.filter(council=council)
    if item_ids is not None:
        items = items.filter(pk__in=list(item_ids))
    estimates = dict(items.values_list("pk", "effort_days"))
    existing = {
        (score.item_id, score.criterion_id): score
        for score in ItemScore.objects.filter(criterion__in=criteria, item_id__in=list(estimates))
    }
    bands = council.effort_bands
    changed = 0
    new_scores: list[ItemScore] = []
    for item_id, days in estimates.items():
        for criterion in criteria:
            score = existing.get((item_id, criterion.pk))
            changed += _sync_one(item_id, criterion, score, days, bands, user, new_scores)
    if new_scores:
        bulk_create_with_history(new_scores, ItemScore, batch_size=1_000, default_user=user)
    return changed


def _sync_one(item_id, criterion, score, days, bands, user, new_scores) -> int:
    if days is None:
        if score is None:
            return 0
        delete_with_history(
            score, reason="No estimate: Effort comes from the team-days estimate", user=user
        )
        return 1
    level = effort_level(days, bands)
    reason = reason_for(days)
    if score is not None and score.value == level and score.rationale == reason:
        return 0
    if score is None:
        # Written in one bulk insert by the caller; the history row carries the reason.
        created = ItemScore(
            item_id=item_id, criterion=criterion, value=level, rationale=reason, set_by=user
        )
        record_change_reason(created, reason)
        record_history_user(created, user)
        new_scores.append(created)
        return 1
    score.version += 1
    score.value = level
    score.rationale = reason
    score.set_by = user
    record_change_reason(score, reason)
    record_history_user(score, user)
    score.save()
    return 1
