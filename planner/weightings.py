"""Weighting profiles: create, copy, rename, edit weights, activate, and preview.

Every change that alters the active profile's ranking asks for a run (`ranking.request_run`)
inside the same transaction, so it is enqueued only if the change commits. A council always
has exactly one active profile; the database enforces "at most one" and these services keep
"at least one" by switching in a single transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, QuerySet

from councils.models import Council
from planner import quarters as cal
from planner import ranking, scoring
from planner.models import (
    Criterion,
    ItemScore,
    Method,
    RankedEntry,
    ScheduleMode,
    Status,
    WeightingProfile,
)

PREVIEW_SIZE = 10
# The preview ranks in the request, about 11 µs an item (4.5 s at 400,000 items). Up to this
# many rankable items it ranks the whole backlog, exactly as a saved run would; beyond it, it
# re-ranks only the PREVIEW_SUBSET items at the top of the current ranking (or, before any
# run, the oldest), and the page says so. Scores are per item, so the subset's order is
# exactly the order those items would have in a full run.
PREVIEW_FULL_LIMIT = 20_000
PREVIEW_SUBSET = 5_000
# Up to this many rankable items the preview also schedules its ranking (rank order, a few
# milliseconds a thousand items), to show which of its top 10 would change horizon. Only
# when the live plan is in rank order too: a best-value plan is solved on the worker.
PREVIEW_PLAN_LIMIT = 2_000


class StaleProfileError(Exception):
    """Someone else saved this profile after the editor was loaded; `current` is the profile
    as saved now."""

    def __init__(self, current: WeightingProfile) -> None:
        super().__init__("stale profile")
        self.current = current


class ProfileNameTakenError(Exception):
    """Another profile of the council took this name first (a concurrent save)."""


def save_unique(profile: WeightingProfile, **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            profile.save(**kwargs)
    except IntegrityError as error:
        raise ProfileNameTakenError(profile.name) from error


def profiles_of(council: Council) -> QuerySet[WeightingProfile]:
    """The council's weighting profiles, not its saved options (which are never made active
    or edited as profiles: see planner.options)."""
    return council.profiles.filter(is_option=False)


def active_profile(council: Council) -> WeightingProfile | None:
    return council.profiles.filter(is_active=True).first()


def active_criteria(council: Council) -> list[Criterion]:
    return list(council.criteria.filter(active=True).order_by("position", "pk"))


@transaction.atomic
def create_profile(
    *, council: Council, name: str, source: WeightingProfile | None = None
) -> WeightingProfile:
    """A new, inactive profile. It starts from `source` (a copy) or else from the active
    profile, so a council never starts from a blank, all-zero set of weights."""
    source = source or active_profile(council)
    profile = WeightingProfile(
        council=council,
        name=name,
        method=source.method if source else Method.WEIGHTED_SUM,
        weights=dict(source.weights) if source else {},
        is_active=False,
    )
    save_unique(profile)
    return profile


def copy_profile(*, profile: WeightingProfile, name: str) -> WeightingProfile:
    return create_profile(council=profile.council, name=name, source=profile)


@transaction.atomic
def update_profile(
    *,
    profile: WeightingProfile,
    name: str | None = None,
    method: str,
    weights: dict[str, float],
    version: int,
    changed_by=None,
    weight_band_percent: int | None = None,
) -> WeightingProfile:
    """Save a profile's name, method, weights and weight band, edited from a page rendered
    at `version`; re-rank if it is the active one. Raises StaleProfileError when someone
    else saved the profile in between, ProfileNameTakenError when a concurrent save took
    the name.

    Weights for criteria not on the form (inactive ones) are kept, so re-activating a
    criterion brings its old weight back.
    """
    profile = WeightingProfile.objects.select_for_update().get(pk=profile.pk)
    if profile.version != version:
        raise StaleProfileError(profile)
    if name is not None:
        profile.name = name
    profile.method = method
    profile.weights = {**profile.weights, **weights}
    if weight_band_percent is not None:
        profile.weight_band_percent = weight_band_percent
    profile.version = version + 1
    save_unique(profile)
    if profile.is_active:
        ranking.request_run(council=profile.council, requested_by=changed_by)
    return profile


@transaction.atomic
def activate_profile(*, profile: WeightingProfile, activated_by=None) -> WeightingProfile:
    """Make this the council's one active profile and re-rank with it. Two activations at
    once are serialised on the council's row, so the later one wins instead of meeting the
    one-active-profile constraint."""
    council = Council.objects.select_for_update().get(pk=profile.council_id)
    profile = WeightingProfile.objects.get(pk=profile.pk)
    # Deactivate first: the partial unique constraint allows one active row at a time.
    council.profiles.filter(is_active=True).exclude(pk=profile.pk).update(is_active=False)
    if not profile.is_active:
        profile.is_active = True
        profile.save(update_fields=["is_active", "updated_at"])
    ranking.request_run(council=council, requested_by=activated_by)
    return profile


@dataclass(frozen=True, slots=True)
class UnscoredWarning:
    """A criterion these weights take above 0, and how many open items have no score on it:
    they would leave the ranking for "Needs scoring"."""

    criterion_id: int
    name: str
    unscored: int


def unscored_if_weighted(
    *, profile: WeightingProfile, criteria: list[Criterion], weights: dict[str, float]
) -> list[UnscoredWarning]:
    """For the active profile: each hand-scored criterion that `weights` raise from 0 (still
    collecting scores) to above 0, with the number of open items not yet scored on it, in
    one query. Other profiles rank nothing until made active, so they warn of nothing."""
    if not profile.is_active:
        return []
    raised = [
        criterion
        for criterion in criteria
        if not criterion.derived_from_estimate
        and float(weights.get(str(criterion.pk), 0)) > 0
        and profile.weight_for(criterion) == 0
    ]
    if not raised:
        return []
    open_items = profile.council.items.filter(archived=False).exclude(status=Status.DONE)
    counts = open_items.aggregate(
        **{
            str(criterion.pk): Count(
                "pk",
                filter=~Exists(
                    ItemScore.objects.filter(item=OuterRef("pk"), criterion_id=criterion.pk)
                ),
            )
            for criterion in raised
        }
    )
    return [
        UnscoredWarning(criterion.pk, criterion.name, counts[str(criterion.pk)])
        for criterion in raised
        if counts[str(criterion.pk)]
    ]


def profiles_weighting(criterion: Criterion) -> list[tuple[str, bool, str]]:
    """(profile name, is active, weight) for each profile that gives `criterion` a weight
    above 0: what deactivating it takes out of the ranking."""
    return [
        (profile.name, profile.is_active, format_weight(profile.weight_for(criterion)))
        for profile in criterion.council.profiles.order_by("-is_active", "name")
        if profile.weight_for(criterion) > 0
    ]


@dataclass(frozen=True, slots=True)
class PreviewRow:
    position: int
    rank_label: str
    reference: str
    title: str
    score: float
    # Places moved against the current ranking (+ up, − down); None: not ranked there now.
    moved: int | None = None
    # The item's horizon (label) in the current plan and with these weights ("" when not
    # worked out).
    horizon_now: str = ""
    horizon_here: str = ""

    @property
    def horizon_changed(self) -> bool:
        return bool(self.horizon_here) and self.horizon_here != self.horizon_now


@dataclass(frozen=True, slots=True)
class Preview:
    rows: list[PreviewRow]
    ranked_count: int
    needs_scoring_count: int
    error: str = ""
    # Ranked in the latest run, but missing a score these weights need: the weights' effect
    # on "Needs scoring" (a criterion raised from 0 before everything is scored on it).
    leaving_ranking: int = 0
    # Set when the backlog is over PREVIEW_FULL_LIMIT: how many of how many items were
    # re-ranked, and which ones ("current" top of the ranking, or the "oldest").
    covered: int = 0
    backlog_size: int = 0
    subset_basis: str = ""
    # Whether horizons with these weights were worked out (see PREVIEW_PLAN_LIMIT).
    shows_horizons: bool = False

    @property
    def is_partial(self) -> bool:
        return bool(self.subset_basis)


def _preview_subset(council: Council) -> tuple[QuerySet[Any, Any], str]:
    """The item ids a capped preview re-ranks: the current ranking's top, else the oldest."""
    latest = ranking.latest_done_run(council)
    if latest is not None:
        top = RankedEntry.objects.filter(run=latest).order_by("position")
        return top.values("item_id")[:PREVIEW_SUBSET], "current"
    oldest = ranking.rankable_items(council.pk).order_by("created_at", "pk")
    return oldest.values("pk")[:PREVIEW_SUBSET], "oldest"


def preview(*, council: Council, method: str, weights: dict[str, float]) -> Preview:
    """The top 10 as these weights would rank them, computed now and never saved; over
    PREVIEW_FULL_LIMIT items, the top 10 of a bounded subset (see PREVIEW_FULL_LIMIT)."""
    backlog_size = ranking.rankable_items(council.pk).count()
    only_items, basis = None, ""
    if backlog_size > PREVIEW_FULL_LIMIT:
        only_items, basis = _preview_subset(council)
    try:
        data = ranking.load_input(
            council_id=council.pk, method=method, weights=weights, only_items=only_items
        )
        result = ranking.rank(data)
    except ranking.RankingError as error:
        return Preview(rows=[], ranked_count=0, needs_scoring_count=0, error=str(error))
    top = result.ranked[:PREVIEW_SIZE]
    top_ids = [entry.item_id for entry in top]
    items = council.items.in_bulk(top_ids)
    latest = ranking.latest_done_run(council)
    # Where the top 10 stand in the current ranking and plan: (position, horizon) by item.
    current: dict[int, tuple[int, str]] = {}
    if latest is not None:
        current = {
            item_id: (position, horizon)
            for item_id, position, horizon in latest.entries.filter(
                item_id__in=top_ids
            ).values_list("item_id", "position", "horizon")
        }
    planned = _preview_horizons(council, latest, result, backlog_size)
    rows = [
        PreviewRow(
            position=entry.position,
            rank_label=scoring.format_rank(entry.rank, entry.tied),
            reference=items[entry.item_id].reference,
            title=items[entry.item_id].title,
            score=entry.score,
            moved=current[entry.item_id][0] - entry.position if entry.item_id in current else None,
            horizon_now=horizon_label(current.get(entry.item_id, (0, ""))[1]),
            horizon_here=horizon_label(planned.get(entry.item_id, "")) if planned else "",
        )
        for entry in top
    ]
    leaving = 0
    if result.needs_scoring and latest is not None:
        leaving = latest.entries.filter(item_id__in=result.needs_scoring).count()
    return Preview(
        rows=rows,
        ranked_count=len(result.ranked),
        needs_scoring_count=len(result.needs_scoring),
        leaving_ranking=leaving,
        covered=len(data.items),
        backlog_size=backlog_size,
        subset_basis=basis,
        shows_horizons=bool(planned),
    )


def horizon_label(horizon: str) -> str:
    return cal.HORIZON_LABELS.get(horizon, "Not in the plan")


def _preview_horizons(
    council: Council, latest: Any, result: scoring.RankingResult, backlog_size: int
) -> dict[int, str]:
    """Item id -> its horizon if these weights were saved, for the top 10; empty when not
    worked out (a large backlog, a best-value plan, or no plan to compare with)."""
    if latest is None or latest.schedule_mode != ScheduleMode.RANK_ORDER:
        return {}
    if backlog_size > PREVIEW_PLAN_LIMIT or not result.ranked:
        return {}
    try:
        plan = ranking.plan_for(council_id=council.pk, result=result)
    except ranking.RankingError:
        return {}
    return {
        entry.item_id: plan.entries[entry.item_id].horizon or cal.NOT_SCHEDULED
        for entry in result.ranked[:PREVIEW_SIZE]
        if entry.item_id in plan.entries
    }


def current_top(council: Council, run=None) -> list[Any]:
    """The latest completed run's top entries, for the page's "current ranking" table."""
    run = run or ranking.latest_done_run(council)
    if run is None:
        return []
    return list(run.entries.select_related("item")[:PREVIEW_SIZE])


@dataclass(frozen=True, slots=True)
class HistoryRow:
    when: Any
    who: str
    name: str
    method: str
    is_active: bool
    weights: list[tuple[str, str]]


def weight_history(
    *, profile: WeightingProfile, criteria: list[Criterion], limit: int = 10
) -> list[HistoryRow]:
    """Who changed this profile's weights, and to what: the newest `limit` saves."""
    names = {str(c.pk): c.name for c in criteria}
    labels = dict(Method.choices)
    records = profile.history.select_related("history_user").order_by("-history_date")[:limit]
    return [
        HistoryRow(
            when=record.history_date,
            who=record.history_user.get_username() if record.history_user else "System",
            name=record.name,
            method=labels.get(record.method, record.method),
            is_active=record.is_active,
            weights=[
                (names[key], format_weight(value))
                for key, value in record.weights.items()
                if key in names
            ],
        )
        for record in records
    ]


def format_weight(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:g}"


def method_mappings(*, profile: WeightingProfile, criteria: list[Criterion]) -> dict[str, str]:
    """How each method reads this council's criteria with the profile's weights, e.g.
    "Reach: Citizen impact; Impact: Savings, Strategic fit; Effort: Effort", so the page
    shows which criteria feed RICE's and WSJF's factors rather than leaving it to the docs."""
    names = {criterion.pk: criterion.name for criterion in criteria}
    inputs = [
        scoring.CriterionInput(
            id=criterion.pk,
            key=criterion.key,
            direction=criterion.direction,
            weight=profile.weight_for(criterion),
        )
        for criterion in criteria
    ]
    if not any(criterion.weight for criterion in inputs):
        return {}
    return {
        method: "; ".join(
            f"{factor}: {', '.join(names[pk] for pk in ids)}"
            for factor, ids in scoring.method_factors(inputs, method).items()
        )
        for method in scoring.METHODS
    }
