"""The roadmap of a ranking run: load what the pure `planner.roadmap.build_roadmap` needs in a
fixed number of queries, and pin or unpin an item's horizon with a reason.

The roadmap is computed when it is read, from the run's ranking and the items' current effort,
status, dependencies and overrides, so an override or a status change shows at once without a
new ranking. A published plan freezes its roadmap in the plan's snapshot instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from councils.models import Council
from planner.models import BacklogItem, HorizonOverride, RankedEntry, RankingRun, Status
from planner.ranked_rows import RankedRow, load_rows
from planner.roadmap import HORIZON_LABELS, HORIZONS, Placement, Roadmap, RoadmapItem, build_roadmap


@dataclass(frozen=True, slots=True)
class RoadmapRow:
    entry: RankedRow
    placement: Placement
    override: HorizonOverride | None


@dataclass(frozen=True, slots=True)
class HorizonColumn:
    key: str
    label: str
    rows: list[RoadmapRow]
    load: float
    capacity: float | None  # None for Later, which has no limit

    @property
    def over_capacity(self) -> bool:
        return self.capacity is not None and self.load > self.capacity


@dataclass(frozen=True, slots=True)
class CouncilRoadmap:
    run: RankingRun | None
    capacity: float
    roadmap: Roadmap | None = None
    rows: list[RoadmapRow] = field(default_factory=list)

    @property
    def columns(self) -> list[HorizonColumn]:
        if self.roadmap is None:
            return []
        by_horizon: dict[str, list[RoadmapRow]] = {key: [] for key in HORIZONS}
        for row in self.rows:
            by_horizon[row.placement.horizon].append(row)
        return [
            HorizonColumn(
                key=key,
                label=HORIZON_LABELS[key],
                rows=by_horizon[key],
                load=self.roadmap.load[key],
                capacity=None if key == HORIZONS[-1] else self.capacity,
            )
            for key in HORIZONS
        ]

    @property
    def warnings(self) -> list[str]:
        return self.roadmap.warnings if self.roadmap else []

    def placements(self) -> dict[int, Placement]:
        return {row.placement.item_id: row.placement for row in self.rows}


def council_roadmap(
    *, council: Council, run: RankingRun | None, entries: list[RankedRow] | None = None
) -> CouncilRoadmap:
    """Lay `run` out as Now / Next / Later for `council`. Four queries whatever the size (three
    when no dependency points outside the ranking); `entries` may be passed in when the caller
    has already loaded them with `load_rows`."""
    capacity = float(council.capacity_days_per_quarter)
    if run is None:
        return CouncilRoadmap(run=None, capacity=capacity)
    if entries is None:
        entries = load_rows(run)
    item_ids = {entry.item_id for entry in entries}
    through = BacklogItem.depends_on.through
    depends: dict[int, list[int]] = {}
    for from_id, to_id in through.objects.filter(from_backlogitem__council=council).values_list(
        "from_backlogitem_id", "to_backlogitem_id"
    ):
        if from_id in item_ids:
            depends.setdefault(from_id, []).append(to_id)
    outside_ids = {dep for deps in depends.values() for dep in deps if dep not in item_ids}
    references: dict[int, str] = {}
    done_ids: set[int] = set()
    if outside_ids:
        for pk, reference, status in council.items.filter(pk__in=outside_ids).values_list(
            "pk", "reference", "status"
        ):
            references[pk] = reference
            if status == Status.DONE:
                done_ids.add(pk)
    overrides = {
        override.item_id: override
        for override in HorizonOverride.objects.filter(item__council=council).select_related(
            "set_by"
        )
    }
    roadmap_items = []
    for entry in entries:
        override = overrides.get(entry.item_id)
        roadmap_items.append(
            RoadmapItem(
                item_id=entry.item_id,
                reference=entry.reference,
                position=entry.position,
                effort=None if entry.effort_days is None else float(entry.effort_days),
                status=entry.status,
                depends_on=tuple(depends.get(entry.item_id, ())),
                override=override.horizon if override else None,
                override_reason=override.reason if override else "",
            )
        )
    roadmap = build_roadmap(
        roadmap_items, capacity=capacity, references=references, done_ids=done_ids
    )
    # build_roadmap returns placements in position order, as the entries are.
    rows = [
        RoadmapRow(entry=entry, placement=placement, override=overrides.get(entry.item_id))
        for entry, placement in zip(entries, roadmap.placements, strict=True)
    ]
    return CouncilRoadmap(run=run, capacity=capacity, roadmap=roadmap, rows=rows)


@transaction.atomic
def set_override(
    *, council: Council, item: BacklogItem, horizon: str, reason: str, set_by
) -> HorizonOverride:
    """Pin `item` to `horizon`. The reason is required and kept in the override's history."""
    if item.council_id != council.pk:
        raise ValueError("the item belongs to another council")
    if horizon not in HORIZONS:
        raise ValueError(f"unknown horizon {horizon!r}")
    reason = reason.strip()
    if not reason:
        raise ValueError("an override needs a reason")
    override = HorizonOverride.objects.filter(item=item).first() or HorizonOverride(item=item)
    override.horizon = horizon
    override.reason = reason
    override.set_by = set_by
    override._change_reason = reason
    override.save()
    return override


@transaction.atomic
def clear_override(*, council: Council, item: BacklogItem, reason: str, cleared_by) -> bool:
    """Remove `item`'s pin, recording who removed it and why. False if it had none."""
    if item.council_id != council.pk:
        raise ValueError("the item belongs to another council")
    override = HorizonOverride.objects.filter(item=item).first()
    if override is None:
        return False
    # The history row for the deletion keeps the reason; the request middleware (or
    # `_history_user` outside a request) records who.
    override._change_reason = reason.strip()
    if cleared_by is not None:
        override._history_user = cleared_by
    override.delete()
    return True


def horizon_labels_for_run(run: RankingRun) -> dict[int, str]:
    """Item id -> "Now" / "Next" / "Later" for `run`, the same horizons as `council_roadmap`
    gives, for exports that need only the label.

    Lean on purpose: it loads only the columns `build_roadmap` uses to place items (plain
    tuples from a server-side cursor, no model instances or ranked rows), leaves out
    references and override reasons (they only feed the reasons text, never the horizon),
    and returns a map whose values are the three shared label strings, so the roadmap and
    its placements are garbage as soon as this returns. Four queries whatever the size."""
    council = run.council
    through = BacklogItem.depends_on.through
    depends: dict[int, list[int]] = {}
    for from_id, to_id in through.objects.filter(from_backlogitem__council=council).values_list(
        "from_backlogitem_id", "to_backlogitem_id"
    ):
        depends.setdefault(from_id, []).append(to_id)
    pins = dict(
        HorizonOverride.objects.filter(item__council=council).values_list("item_id", "horizon")
    )
    entries = (
        RankedEntry.objects.filter(run=run)
        .order_by()
        .values_list("item_id", "position", "item__effort_days", "item__status")
    )
    no_dependencies: tuple[int, ...] = ()
    # One shared string per status instead of one decoded copy per row.
    shared_status = {status: status for status in Status.values}
    roadmap_items = [
        RoadmapItem(
            item_id,
            "",
            position,
            None if effort is None else float(effort),
            shared_status.get(status, status),
            tuple(depends[item_id]) if item_id in depends else no_dependencies,
            pins.get(item_id),
        )
        for item_id, position, effort, status in entries.iterator(chunk_size=5_000)
    ]
    ranked_ids = {item.item_id for item in roadmap_items}
    outside_ids = {
        dep for item in roadmap_items for dep in item.depends_on if dep not in ranked_ids
    }
    del ranked_ids, depends, pins
    done_ids: set[int] = set()
    if outside_ids:
        done_ids = set(
            council.items.filter(pk__in=outside_ids, status=Status.DONE).values_list(
                "pk", flat=True
            )
        )
    roadmap = build_roadmap(
        roadmap_items,
        capacity=float(council.capacity_days_per_quarter),
        done_ids=done_ids,
    )
    del roadmap_items
    labels = HORIZON_LABELS
    return {placement.item_id: labels[placement.horizon] for placement in roadmap.placements}
