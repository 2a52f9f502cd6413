"""Published plans: freeze a ranking and its roadmap for a committee, and compare two plans.

A plan's page and CSV render only from `PublishedPlan.snapshot`, a complete JSON copy made at
publication: later edits, re-scores, weight changes and new runs never reach it. The run it
came from is kept too (the foreign key is PROTECT, and ranking's pruning skips published runs).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple
from uuid import UUID

from django.db import transaction
from django.db.models import F, Func, IntegerField, JSONField, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify

from councils.models import Council
from planner import charts, committee, ranking
from planner.delivery import (
    PLAN_HORIZONS,
    QuarterNamer,
    QuarterTotals,
    YearTotals,
    quarter_totals,
    year_totals,
)
from planner.models import (
    BacklogItem,
    ItemScore,
    Method,
    PublishedPlan,
    RankingRun,
    ScheduleMode,
)
from planner.quarters import HORIZON_LABELS, NOT_SCHEDULED, horizon_of
from planner.ranked_rows import load_rows
from planner.scoring import METHOD_FORMULAS

SNAPSHOT_VERSION = 1
# Slugs that would shadow the plans pages' own routes.
RESERVED_SLUGS = frozenset({"compare", "publish"})
# The slope chart stays small: items in the top of either plan.
SLOPE_TOP = 20


class NothingToPublish(Exception):
    """There is no finished ranking to publish."""


# --- Publishing --------------------------------------------------------------------------


def unique_plan_slug(council: Council, title: str) -> str:
    base = slugify(title)[:70].strip("-") or "plan"
    taken = set(
        council.plans.filter(slug__startswith=base[:60]).values_list("slug", flat=True)
    ) | set(RESERVED_SLUGS)
    slug, number = base, 2
    while slug in taken:
        slug = f"{base}-{number}"
        number += 1
    return slug


@transaction.atomic
def publish_plan(
    *,
    council: Council,
    title: str,
    committee: str,
    meeting_date: date,
    note: str = "",
    published_by=None,
    run: RankingRun | None = None,
    idempotency_key: UUID | None = None,
) -> PublishedPlan:
    """Freeze the latest finished ranking (or `run`) and its roadmap as a plan.

    With an `idempotency_key` (the publish form's), publishing is one-shot: if a plan with
    that key exists in this council it is returned and nothing new is published."""
    # Lock the council so two admins publishing at once cannot take the same slug, and a
    # repeated POST of one form waits here until the first has committed its plan.
    Council.objects.select_for_update().only("pk").get(pk=council.pk)
    if idempotency_key is not None:
        existing = council.plans.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    run = run or ranking.latest_done_run(council)
    if run is None:
        raise NothingToPublish("There is no finished ranking to publish yet.")
    if run.council_id != council.pk:
        raise ValueError("the run belongs to another council")
    snapshot = build_snapshot(council=council, run=run)
    snapshot["published_by"] = published_by.get_username() if published_by else ""
    return PublishedPlan.objects.create(
        council=council,
        run=run,
        title=title,
        slug=unique_plan_slug(council, title),
        committee=committee,
        meeting_date=meeting_date,
        note=note,
        snapshot=snapshot,
        published_by=published_by,
        idempotency_key=idempotency_key,
    )


def _number(value: Decimal | float | str | None) -> str | None:
    return None if value is None else format(Decimal(value).normalize(), "f")


def build_snapshot(*, council: Council, run: RankingRun) -> dict[str, Any]:
    """Everything the plan page and the plan CSV show, as plain JSON. A fixed number of
    queries: the roadmap's four, criteria, scores and dependency references."""
    entries = load_rows(run, with_contributions=True)
    details = {
        pk: rest
        for pk, *rest in BacklogItem.objects.filter(ranked_entries__run=run).values_list(
            "pk", "owner", "stage", "problem", "one_off_cost", "recurring_cost"
        )
    }
    namer = QuarterNamer.from_totals(run.plan or {})
    criteria = run.scored_criteria()
    names = {str(c["id"]): c["name"] for c in criteria}
    item_ids = [entry.item_id for entry in entries]
    scores: dict[int, dict[str, int]] = {}
    for item_id, criterion_id, value in ItemScore.objects.filter(
        item_id__in=item_ids, criterion__council=council
    ).values_list("item_id", "criterion_id", "value"):
        scores.setdefault(item_id, {})[str(criterion_id)] = value
    through = BacklogItem.depends_on.through
    depends: dict[int, list[str]] = {}
    for from_id, reference in (
        through.objects.filter(from_backlogitem__council=council)
        .order_by("to_backlogitem__number")
        .values_list("from_backlogitem_id", "to_backlogitem__reference")
    ):
        depends.setdefault(from_id, []).append(reference)
    committee_keys = committee.committee_entries(item_ids)
    frozen_entries = []
    for entry in entries:
        item_id = entry.item_id
        owner, stage, problem, one_off_cost, recurring_cost = details[item_id]
        frozen_entries.append(
            {
                **committee_keys.get(item_id, {}),
                "item_id": item_id,
                "reference": entry.reference,
                "title": entry.title,
                "theme": entry.theme,
                "status": entry.status,
                "status_label": entry.status_label,
                "score": _number(entry.score),
                "rank": entry.rank,
                "tied": entry.tied,
                "rank_label": entry.rank_label,
                "position": entry.position,
                "contributions": [
                    {"criterion": names.get(key, f"criterion {key}"), "points": points}
                    # load_rows(with_contributions=True): never None here
                    for key, points in (entry.contributions or {}).items()
                ],
                "scores": scores.get(item_id, {}),
                "effort_days": _number(entry.effort_days),
                "one_off_cost": _number(one_off_cost),
                "recurring_cost": _number(recurring_cost),
                "owner": owner,
                "stage": stage,
                "problem": problem,
                "depends_on": depends.get(item_id, []),
                "horizon": entry.horizon,
                "start_quarter": entry.start_quarter,
                "end_quarter": entry.end_quarter,
                "quarters": namer.span(entry.start_quarter, entry.end_quarter),
                "schedule_reason": entry.schedule_reason,
                "why": entry.why,
                "committed": entry.committed,
                "pinned": entry.pinned,
            }
        )
    method = run.method or Method.WEIGHTED_SUM
    return {
        "version": SNAPSHOT_VERSION,
        "council": council.name,
        "generation": run.generation,
        "ranked_at": run.finished_at.isoformat() if run.finished_at else None,
        "ranked_at_label": (
            date_format(timezone.localtime(run.finished_at), "j F Y, H:i")
            if run.finished_at
            else ""
        ),
        "profile_name": run.profile_name,
        "method": method,
        "method_label": Method(method).label if method in Method.values else method,
        "method_formula": METHOD_FORMULAS.get(method, ""),
        "criteria": criteria,
        "capacity": council.capacity_days_per_quarter,
        # The delivery plan as the worker stored it: quarters, money, mode and solver status.
        "plan": run.plan or {},
        "schedule_mode": run.schedule_mode,
        "needs_estimate": run.needs_estimate,
        "entries": frozen_entries,
        "frozen_at": timezone.now().isoformat(),
    }


# --- Reading a plan ----------------------------------------------------------------------


class _PlanEntryCount(Func):
    """How many entries a plan's snapshot holds, counted by the database: decoding a
    50,000-entry snapshot in Python to count it takes about 235 MB."""

    output_field = IntegerField()

    def __init__(self) -> None:
        super().__init__(F("snapshot"))

    def as_postgresql(self, compiler, connection, **extra):
        template = "COALESCE(jsonb_array_length(%(expressions)s -> 'entries'), 0)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        template = "COALESCE(json_array_length(%(expressions)s, '$.entries'), 0)"
        return self.as_sql(compiler, connection, template=template, **extra)


class _PlanEntryFor(Func):
    """One item's entry in a plan's snapshot (None when absent), found by the database."""

    output_field = JSONField()

    def __init__(self, item_id: int) -> None:
        self.item_id = int(item_id)
        super().__init__(F("snapshot"))

    def as_postgresql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        sql = (
            f"jsonb_path_query_first({column}, '$.entries[*] ? (@.item_id == $id)',"
            " jsonb_build_object('id', %s::bigint))"
        )
        return sql, (*params, self.item_id)

    def as_sqlite(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        sql = (
            f"(SELECT value FROM json_each({column}, '$.entries')"
            " WHERE json_extract(value, '$.item_id') = %s)"
        )
        return sql, (*params, self.item_id)


class _SnapshotHead(Func):
    """A plan's snapshot without its entries: the method, criteria and totals."""

    output_field = JSONField()

    def __init__(self) -> None:
        super().__init__(F("snapshot"))

    def as_postgresql(self, compiler, connection, **extra):
        template = "(%(expressions)s - 'entries')"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        template = "json_remove(%(expressions)s, '$.entries')"
        return self.as_sql(compiler, connection, template=template, **extra)


class _SnapshotEntrySlice(Func):
    """Entries `start` to `stop` - 1 of a plan's snapshot, as a JSON array."""

    output_field = JSONField()

    def __init__(self, start: int, stop: int) -> None:
        self.start, self.stop = int(start), int(stop)
        super().__init__(F("snapshot"))

    def as_postgresql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        sql = (
            f"jsonb_path_query_array({column}, '$.entries[$first to $last]',"
            " jsonb_build_object('first', %s::int, 'last', %s::int))"
        )
        return sql, (*params, self.start, self.stop - 1)

    def as_sqlite(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        sql = (
            "(SELECT json_group_array(json(value)) FROM (SELECT value FROM"
            f" json_each({column}, '$.entries') WHERE key >= %s AND key < %s ORDER BY key))"
        )
        return sql, (*params, self.start, self.stop)


# Entries read from a snapshot per query when streaming a plan's CSV: the whole list of a
# 50,000-item plan decodes to about 235 MB of Python objects; 2,000 entries to about 10 MB.
SNAPSHOT_CHUNK = 2_000


def snapshot_head(plan: PublishedPlan) -> dict[str, Any]:
    """The plan's snapshot without its entries, read by the database."""
    head = (
        PublishedPlan.objects.filter(pk=plan.pk)
        .annotate(head=_SnapshotHead())
        .values_list("head", flat=True)
        .get()
    )
    return head or {}


def snapshot_entries(plan: PublishedPlan) -> Iterator[dict[str, Any]]:
    """The plan's snapshot entries in order, SNAPSHOT_CHUNK at a time."""
    start = 0
    while True:
        part = (
            PublishedPlan.objects.filter(pk=plan.pk)
            .annotate(part=_SnapshotEntrySlice(start, start + SNAPSHOT_CHUNK))
            .values_list("part", flat=True)
            .get()
        )
        if not part:
            return
        yield from part
        if len(part) < SNAPSHOT_CHUNK:
            return
        start += SNAPSHOT_CHUNK


def plans_without_snapshots(council: Council) -> QuerySet[PublishedPlan]:
    """The council's plans, newest meeting first, each with `entry_count` but without its
    snapshot (megabytes per plan on a large council), for lists that show no entries."""
    return (
        council.plans.defer("snapshot")
        .annotate(entry_count=_PlanEntryCount())
        .order_by("-meeting_date", "-published_at")
    )


def latest_plan_with_entry(
    council: Council, item: BacklogItem
) -> tuple[PublishedPlan | None, dict[str, Any] | None]:
    """The latest plan and `item`'s entry in it (None if it was not in it)."""
    plan = plans_without_snapshots(council).annotate(item_entry=_PlanEntryFor(item.pk)).first()
    if plan is None:
        return None, None
    return plan, plan.item_entry


# A plan's page lists at most this many entries per horizon and in its ranking table; the
# plan's CSV holds every entry. A 50,000-item plan listed whole made a 27 MB page that took
# 295 MB to build (docs/performance.md).
PLAN_PAGE_ROWS = 200


@dataclass(frozen=True, slots=True)
class PlanHorizon:
    key: str
    label: str
    entries: list[dict[str, Any]]
    count: int
    load: float
    capacity: float | None

    @property
    def rest(self) -> int:
        """Entries in the horizon that the page does not list."""
        return self.count - len(self.entries)


@dataclass(frozen=True, slots=True)
class PlanPage:
    """What a published plan's page shows: the snapshot without its entries (`head`), each
    horizon's first PLAN_PAGE_ROWS entries with its count and load, and the first
    PLAN_PAGE_ROWS of the ranking. Entries stream from the database a chunk at a time, so
    building it takes the same memory for any plan size."""

    head: dict[str, Any]
    horizons: list[PlanHorizon]
    ranking: list[dict[str, Any]]
    entry_count: int
    totals: PlanTotals

    @property
    def ranking_rest(self) -> int:
        return self.entry_count - len(self.ranking)


def plan_page(plan: PublishedPlan, *, public: bool = False) -> PlanPage:
    """`public` leaves out exempt items' problem statements and costs (for viewers)."""
    head = snapshot_head(plan)
    shown: dict[str, list[dict[str, Any]]] = {key: [] for key in PLAN_HORIZONS}
    counts = dict.fromkeys(PLAN_HORIZONS, 0)
    loads = dict.fromkeys(PLAN_HORIZONS, 0.0)
    ranking: list[dict[str, Any]] = []
    entry_count = 0
    for entry in snapshot_entries(plan):
        if public:
            entry = committee.public_entry(entry)
        entry_count += 1
        if len(ranking) < PLAN_PAGE_ROWS:
            ranking.append(entry)
        horizon = entry.get("horizon")
        if horizon in shown:
            counts[horizon] += 1
            loads[horizon] += float(entry.get("effort_days") or 0)
            if len(shown[horizon]) < PLAN_PAGE_ROWS:
                shown[horizon].append(entry)
    # Plans published before the delivery plan kept only Now, Next and Later, with their
    # load figures; newer plans' loads are summed from the entries.
    stored_load = (head.get("roadmap") or {}).get("load") or {}
    quarters = quarter_totals(head.get("plan") or {})
    horizons = [
        PlanHorizon(
            key=key,
            label=HORIZON_LABELS[key],
            entries=shown[key],
            count=counts[key],
            load=float(stored_load.get(key, 0)) or loads[key],
            capacity=_horizon_capacity(key, quarters),
        )
        for key in PLAN_HORIZONS
    ]
    return PlanPage(
        head=head,
        horizons=horizons,
        ranking=ranking,
        entry_count=entry_count,
        totals=plan_totals(head),
    )


@dataclass(frozen=True, slots=True)
class PlanTotals:
    """A frozen plan's delivery plan figures: capacity per quarter, money per financial year,
    and how it was scheduled. Empty for plans published before delivery plans."""

    quarters: list[QuarterTotals]
    years: list[YearTotals]
    mode_label: str
    best_value: bool
    optimal: bool | None
    gap: float | None
    warnings: list[str]

    @property
    def has_plan(self) -> bool:
        return bool(self.quarters)

    @property
    def gap_percent(self) -> float | None:
        return None if self.gap is None else round(100 * self.gap, 2)


def plan_totals(snapshot: dict[str, Any]) -> PlanTotals:
    """The figures of the plan as frozen: nothing here reads live data."""
    totals = snapshot.get("plan") or {}
    mode = totals.get("mode") or snapshot.get("schedule_mode") or ScheduleMode.RANK_ORDER
    gap = totals.get("gap")
    return PlanTotals(
        quarters=quarter_totals(totals),
        years=year_totals(totals),
        mode_label=ScheduleMode(mode).label if mode in ScheduleMode.values else str(mode),
        best_value=mode == ScheduleMode.BEST_VALUE,
        optimal=totals.get("optimal"),
        gap=None if gap is None else float(gap),
        # Plans published before delivery plans kept the old roadmap's warnings.
        warnings=[
            str(w)
            for w in totals.get("warnings") or (snapshot.get("roadmap") or {}).get("warnings") or []
        ],
    )


def _horizon_capacity(key: str, quarters: list[Any]) -> float | None:
    if key == NOT_SCHEDULED or not quarters:
        return None
    return sum(q.capacity for i, q in enumerate(quarters) if horizon_of(i) == key)


# --- Comparing two plans -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Move:
    reference: str
    title: str
    before_rank: str
    after_rank: str
    change: int  # places, positive = up
    before_horizon: str
    after_horizon: str
    before_position: int = 0
    after_position: int = 0

    @property
    def size(self) -> int:
        return abs(self.change)


# A comparison lists at most this many items in each group (new, dropped, up, down); it
# counts them all. Both plans' entries stream from the database, so comparing two
# 50,000-item plans keeps only the compared fields of one plan in memory.
COMPARE_LIST_ROWS = 200


class _Compared(NamedTuple):
    """The fields of a plan entry that a comparison reads."""

    item_id: int
    reference: str
    title: str
    rank: int
    rank_label: str
    horizon: str
    position: int


def _compared_entries(plan: PublishedPlan) -> Iterator[_Compared]:
    for entry in snapshot_entries(plan):
        yield _Compared(
            item_id=entry["item_id"],
            reference=entry["reference"],
            title=entry["title"],
            rank=entry["rank"],
            rank_label=entry["rank_label"],
            # Five horizon names, one copy each: the decoder makes a new string per entry.
            horizon=sys.intern(entry.get("horizon") or ""),
            position=entry["position"],
        )


@dataclass(frozen=True, slots=True)
class PlanComparison:
    older: PublishedPlan
    newer: PublishedPlan
    new: list[_Compared]
    dropped: list[_Compared]
    up: list[Move]
    down: list[Move]
    slope: charts.SlopeChart
    slope_moves: list[Move] = field(default_factory=list)
    # Counts of every item in each group; the lists above hold the first COMPARE_LIST_ROWS.
    new_count: int = 0
    dropped_count: int = 0
    up_count: int = 0
    down_count: int = 0
    unchanged_count: int = 0

    @property
    def move_groups(self) -> list[tuple[str, list[Move], int]]:
        return [("Moved up", self.up, self.up_count), ("Moved down", self.down, self.down_count)]


def _ordered(first: PublishedPlan, second: PublishedPlan) -> tuple[PublishedPlan, PublishedPlan]:
    key = lambda plan: (plan.meeting_date, plan.published_at, plan.pk)  # noqa: E731
    return (first, second) if key(first) <= key(second) else (second, first)


def _move(old: _Compared, entry: _Compared) -> Move:
    return Move(
        reference=entry.reference,
        title=entry.title,
        before_rank=old.rank_label,
        after_rank=entry.rank_label,
        change=old.rank - entry.rank,
        before_horizon=HORIZON_LABELS.get(old.horizon, ""),
        after_horizon=HORIZON_LABELS.get(entry.horizon, ""),
        before_position=old.position,
        after_position=entry.position,
    )


def compare_plans(first: PublishedPlan, second: PublishedPlan) -> PlanComparison:
    """What changed between two plans, whichever order they are given in: items new to the
    later plan, items dropped from it, and items that moved up or down (by competition rank)."""
    older, newer = _ordered(first, second)
    before = {entry.item_id: entry for entry in _compared_entries(older)}
    seen: set[int] = set()
    new: list[_Compared] = []
    new_count = unchanged_count = 0
    moves: list[Move] = []
    slope_moves: list[Move] = []
    for entry in _compared_entries(newer):
        old = before.get(entry.item_id)
        if old is None:
            new_count += 1
            if len(new) < COMPARE_LIST_ROWS:
                new.append(entry)
            continue
        seen.add(entry.item_id)
        move = _move(old, entry)
        if min(move.before_position, move.after_position) <= SLOPE_TOP:
            slope_moves.append(move)
        if move.change == 0:
            unchanged_count += 1
        else:
            moves.append(move)
    up = sorted((m for m in moves if m.change > 0), key=lambda m: (-m.change, m.reference))
    down = sorted((m for m in moves if m.change < 0), key=lambda m: (m.change, m.reference))
    dropped = [entry for item_id, entry in before.items() if item_id not in seen]
    slope = charts.slope_chart(
        [
            charts.SlopeInput(
                reference=move.reference,
                title=move.title,
                before=move.before_position,
                after=move.after_position,
                before_label=move.before_rank,
                after_label=move.after_rank,
                change=move.change,
            )
            for move in slope_moves
        ]
    )
    by_reference = {m.reference: m for m in slope_moves}
    return PlanComparison(
        older=older,
        newer=newer,
        new=new,
        dropped=dropped[:COMPARE_LIST_ROWS],
        up=up[:COMPARE_LIST_ROWS],
        down=down[:COMPARE_LIST_ROWS],
        slope=slope,
        slope_moves=[by_reference[line.reference] for line in slope.lines],
        new_count=new_count,
        dropped_count=len(dropped),
        up_count=len(up),
        down_count=len(down),
        unchanged_count=unchanged_count,
    )
