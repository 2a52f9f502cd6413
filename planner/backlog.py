"""Backlog queries: the live backlog filtered, searched and sorted as the backlog page shows
it, annotated with the latest ranking, and the counts the pages need."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.db.models import (
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
)
from django.utils import timezone

from councils.models import Council
from planner.models import BacklogItem, Criterion, ItemScore, RunStatus, Status

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class RankingAnnotations(TypedDict):
    """What `with_ranking` adds to each item: its entry in the latest completed run."""

    ranked_score: Decimal | None
    ranked_rank: int | None
    ranked_tied: bool | None
    ranked_position: int | None
    ranked_low: int | None
    ranked_high: int | None
    ranked_stability: str | None


class BacklogAnnotations(RankingAnnotations):
    """What `filter_items` adds: the ranking, and whether the item needs scoring."""

    needs_scoring: bool


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


def with_ranking(
    queryset: QuerySet[BacklogItem], council: Council
) -> QuerySet[WithAnnotations[BacklogItem, RankingAnnotations]]:
    """Annotate each item with its entry in the council's latest completed run, if any.

    A LEFT JOIN on (run, item) rather than correlated subqueries: sorting 5,000 items by
    rank then costs one hash join instead of one lookup per item.
    """
    run_id = (
        council.runs.filter(status=RunStatus.DONE, option__isnull=True)
        .order_by("-generation")
        .values_list("pk", flat=True)
        .first()
    )
    entry = FilteredRelation("ranked_entries", condition=Q(ranked_entries__run_id=run_id))
    annotated = queryset.annotate(
        latest_entry=entry,
        ranked_score=F("latest_entry__score"),
        ranked_rank=F("latest_entry__rank"),
        ranked_tied=F("latest_entry__tied"),
        ranked_position=F("latest_entry__position"),
        ranked_low=F("latest_entry__rank_low"),
        ranked_high=F("latest_entry__rank_high"),
        ranked_stability=F("latest_entry__stability"),
    )
    # django-stubs types annotations as Any: this names what they hold.
    return cast("QuerySet[WithAnnotations[BacklogItem, RankingAnnotations]]", annotated)


def required_criteria(council: Council) -> QuerySet[Criterion]:
    """The criteria an item must be scored on to be ranked: active, scored by hand (Effort comes
    from the estimate) and weighted above 0 in the active profile. A criterion weighted 0 is
    still collecting scores, so missing it never sends an item to "Needs scoring" (the
    ranking's rule too: scoring.rank_items). One query for the profile's weights; with no
    active profile every hand-scored criterion counts."""
    criteria = council.criteria.filter(active=True, derived_from_estimate=False)
    weights = council.profiles.filter(is_active=True).values_list("weights", flat=True).first()
    if weights is None:
        return criteria
    return criteria.filter(pk__in=weighted_ids(weights))


def weighted_ids(weights: dict[str, Any]) -> list[int]:
    """The criterion ids a profile's weights give more than 0 (bad values count as 0)."""
    ids = []
    for key, value in weights.items():
        try:
            if float(value) > 0 and key.isdigit():
                ids.append(int(key))
        except (TypeError, ValueError):
            continue
    return ids


def needs_scoring_condition(council: Council) -> Exists:
    """True for an item that has no score on at least one required criterion."""
    unscored_criteria = required_criteria(council).exclude(
        Exists(ItemScore.objects.filter(item=OuterRef(OuterRef("pk")), criterion=OuterRef("pk")))
    )
    return Exists(unscored_criteria)


def filter_items(
    council: Council, cleaned_data: dict[str, Any]
) -> QuerySet[WithAnnotations[BacklogItem, BacklogAnnotations]]:
    """The council's live backlog, filtered, searched and sorted as the backlog page shows it.

    `cleaned_data` comes from BacklogFilterForm; missing keys mean "no filter". Ordered,
    not paginated, so the CSV export can stream the same rows. The "archived" filter shows
    the archived items instead of the live ones, so they can be restored.
    """
    archived = bool(cleaned_data.get("archived"))
    items = council.items.filter(archived=archived).select_related("theme")
    if theme := cleaned_data.get("theme"):
        items = items.filter(theme=theme)
    if status := cleaned_data.get("status"):
        items = items.filter(status=status)
    if owner := cleaned_data.get("owner"):
        items = items.filter(owner=owner)
    items = _committee_filters(items, cleaned_data)
    if query := cleaned_data.get("q"):
        items = items.filter(Q(title__icontains=query) | Q(problem__icontains=query))
    needs_scoring = needs_scoring_condition(council)
    if cleaned_data.get("needs_scoring"):
        items = items.filter(needs_scoring)
    # django-stubs infers the annotation's type here; the cast below names it for readers.
    items = with_ranking(items, council).annotate(needs_scoring=needs_scoring)
    sort = cleaned_data.get("sort") or DEFAULT_SORT
    descending = sort.startswith("-")
    fields = SORT_KEYS.get(sort.lstrip("-"), SORT_KEYS[DEFAULT_SORT])
    # Unranked items (blank score) sort last either way; the number breaks ties stably.
    order = [
        F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
        for field in fields
    ]
    ordered: QuerySet[WithAnnotations[BacklogItem, BacklogAnnotations]] = items.order_by(
        *order, "number"
    )
    return ordered


# Values of the committee filters' yes/no and "not recorded" choices.
YES, NO, NOT_SET = "yes", "no", "none"
COMMITTEE_FILTERS = ("ward", "directorate", "key_decision", "exempt", "eqia", "risk")


def _committee_filters(items: QuerySet[BacklogItem], cleaned_data: dict[str, Any]) -> Any:
    """The committee filters. A ward's filter includes items that affect all wards; EXISTS
    rather than a join, so an item in two wards is listed once."""
    if ward := cleaned_data.get("ward"):
        in_ward = BacklogItem.wards.through.objects.filter(
            backlogitem_id=OuterRef("pk"), ward_id=ward.pk
        )
        items = items.filter(Q(all_wards=True) | Exists(in_ward))
    if directorate := cleaned_data.get("directorate"):
        items = items.filter(directorate=directorate)
    if key_decision := cleaned_data.get("key_decision"):
        items = items.filter(key_decision=key_decision == YES)
    if exempt := cleaned_data.get("exempt"):
        items = items.filter(exempt_paragraph__isnull=exempt == NO)
    if eqia := cleaned_data.get("eqia"):
        items = items.filter(eqia_status="" if eqia == NOT_SET else eqia)
    if risk := cleaned_data.get("risk"):
        items = items.filter(risk_rating="" if risk == NOT_SET else risk)
    return items


# "This sitting": quick adds by the same person within this long of each other.
SITTING = timedelta(hours=1)
SITTING_LIMIT = 20


@dataclass(frozen=True, slots=True)
class QuickAddSitting:
    """What one person added to the backlog in this sitting, newest first, and the theme
    of their latest add, which quick add keeps chosen for the next one."""

    items: list[tuple[str, str]]
    theme_id: int | None


NO_SITTING = QuickAddSitting(items=[], theme_id=None)


def quick_add_sitting(council: Council, *, user_id: int) -> QuickAddSitting:
    """Read from the item history (one query): the items the user created in the council in
    the last hour that are still live. The history is the record, so nothing is kept in
    the session and the page is the same with or without JavaScript."""
    created = list(
        BacklogItem.history.filter(
            council_id=council.pk,
            history_type="+",
            history_user_id=user_id,
            history_date__gte=timezone.now() - SITTING,
            id__in=council.items.filter(archived=False).values("pk"),
        )
        .order_by("-history_date", "-history_id")
        .values_list("reference", "title", "theme_id")[:SITTING_LIMIT]
    )
    if not created:
        return NO_SITTING
    return QuickAddSitting(
        items=[(reference, title) for reference, title, _ in created], theme_id=created[0][2]
    )


def owners(council: Council) -> list[str]:
    """Distinct owners of the live backlog, for the owner filter."""
    return list(
        council.items.filter(archived=False)
        .exclude(owner="")
        .order_by("owner")
        .values_list("owner", flat=True)
        .distinct()
    )


def scores_by_item(items: Sequence[BacklogItem]) -> dict[int, dict[int, ItemScore]]:
    """{item id: {criterion id: score}} for a page of items, in one query."""
    result: dict[int, dict[int, ItemScore]] = {item.pk: {} for item in items}
    for score in ItemScore.objects.filter(item__in=[item.pk for item in items]):
        result[score.item_id][score.criterion_id] = score
    return result


def count_needs_scoring(council: Council) -> int:
    """Open items missing a score on a required criterion."""
    return (
        council.items.filter(archived=False)
        .exclude(status=Status.DONE)
        .filter(needs_scoring_condition(council))
        .count()
    )
