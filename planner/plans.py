"""Published plans: freeze a ranking and its roadmap for a committee, and compare two plans.

A plan's page and CSV render only from `PublishedPlan.snapshot`, a complete JSON copy made at
publication: later edits, re-scores, weight changes and new runs never reach it. The run it
came from is kept too (the foreign key is PROTECT, and ranking's pruning skips published runs).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple
from uuid import UUID

from django.db import transaction
from django.db.models import (
    Exists,
    F,
    Func,
    IntegerField,
    JSONField,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify

from councils.models import Council
from planner import charts, committee, rank_ranges, ranking
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
    Status,
    WeightingProfile,
)
from planner.options import frozen_options
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
    options: Sequence[WeightingProfile] = (),
) -> PublishedPlan:
    """Freeze the latest finished ranking (or `run`) and its roadmap as a plan, with the
    weighting `options` considered (and "Do nothing") as snapshot["options"].

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
    snapshot["options"] = frozen_options(council=council, options=options, run=run)
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
                # Rank ranges (helper "ranges"): None and "" when not worked out yet.
                "rank_low": entry.rank_low,
                "rank_high": entry.rank_high,
                "stability": entry.stability,
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
        # How the rank ranges were sampled (helper "ranges"): {} while not worked out.
        "robustness": run.robustness or {},
        "robustness_text": rank_ranges.method_text(run.robustness),
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
    # Public version: exempt items' costs by financial year, left out of the money table.
    withheld_by_year: dict[int, tuple[float, float]] = field(default_factory=dict)

    @property
    def ranking_rest(self) -> int:
        return self.entry_count - len(self.ranking)

    @property
    def money_years(self) -> list[committee.MoneyYear]:
        return committee.money_years(self.totals.years, self.withheld_by_year)

    @property
    def money_note(self) -> str:
        return committee.MONEY_NOTE if self.withheld_by_year else ""

    @property
    def options_costs_withheld(self) -> str:
        return committee.OPTION_COSTS_WITHHELD if self.withheld_by_year else ""


def plan_page(plan: PublishedPlan, *, public: bool = False) -> PlanPage:
    """`public` leaves out exempt items' problem statements and costs (for viewers)."""
    head = snapshot_head(plan)
    shown: dict[str, list[dict[str, Any]]] = {key: [] for key in PLAN_HORIZONS}
    counts = dict.fromkeys(PLAN_HORIZONS, 0)
    loads = dict.fromkeys(PLAN_HORIZONS, 0.0)
    ranking: list[dict[str, Any]] = []
    entry_count = 0
    plan_quarters = (head.get("plan") or {}).get("quarters") or []
    withheld: dict[int, tuple[float, float]] = {}
    for entry in snapshot_entries(plan):
        if public:
            if entry.get("exempt_paragraph") not in (None, ""):
                committee.withhold_costs(withheld, entry, plan_quarters)
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
        withheld_by_year=committee.costs_worth_withholding(withheld),
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
#
# How a comparison reads (issue 12):
# - Moves are counted among the items in BOTH plans: each gets its competition rank among
#   those common items in each plan, and a move is the change in that rank. New items
#   arriving at ranks 2 and 3 therefore move nothing down.
# - Items in the earlier plan only left it for one of three reasons, judged at the time the
#   later plan was published (from the item's history; today's record when it has none):
#   "Delivered" if the item was done; "Dropped" if it was archived, parked or deleted; and
#   "No longer ranked" if it was still open but out of the ranking (a missing score).
# - Horizon changes (Now → Later) are listed first, with the later plan's reason.


@dataclass(frozen=True, slots=True)
class Move:
    reference: str
    title: str
    before_rank: str  # the item's rank in each plan, as printed there
    after_rank: str
    change: int  # places moved among the items in both plans, positive = up
    before_horizon: str
    after_horizon: str
    before_position: int = 0
    after_position: int = 0
    why: str = ""  # the later plan's reason for the item's horizon

    @property
    def size(self) -> int:
        return abs(self.change)

    @property
    def horizon_changed(self) -> bool:
        return bool(self.before_horizon) and self.before_horizon != self.after_horizon


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


class ExitReason(NamedTuple):
    key: str
    label: str


DELIVERED = ExitReason("delivered", "Delivered")
DROPPED = ExitReason("dropped", "Dropped")
UNRANKED = ExitReason("unranked", "No longer ranked")


@dataclass(frozen=True, slots=True)
class Exit:
    """An item in the earlier plan that is not in the later one, and why."""

    reference: str
    title: str
    rank_label: str
    position: int
    reason: ExitReason


class _CommonRanks:
    """Competition ranks among a subset of a plan's items, fed in the plan's order: tied
    items stay tied, and each rank counts only the subset's items above it."""

    def __init__(self) -> None:
        self.seen = 0
        self.last_rank: int | None = None
        self.current = 0

    def next(self, rank: int) -> int:
        self.seen += 1
        if rank != self.last_rank:
            self.current, self.last_rank = self.seen, rank
        return self.current


class _Biggest:
    """The `limit` first moves by `key` without holding every move: two plans of 50,000
    items can have 50,000 moves."""

    def __init__(self, key) -> None:
        self.key = key
        self.moves: list[Move] = []
        self.count = 0

    def add(self, move: Move) -> None:
        self.count += 1
        self.moves.append(move)
        if len(self.moves) >= 2 * COMPARE_LIST_ROWS:
            self.moves = sorted(self.moves, key=self.key)[:COMPARE_LIST_ROWS]

    def first(self) -> list[Move]:
        return sorted(self.moves, key=self.key)[:COMPARE_LIST_ROWS]


@dataclass(frozen=True, slots=True)
class PlanComparison:
    older: PublishedPlan
    newer: PublishedPlan
    new: list[_Compared]
    dropped: list[Exit]
    up: list[Move]
    down: list[Move]
    slope: charts.SlopeChart
    delivered: list[Exit] = field(default_factory=list)
    unranked: list[Exit] = field(default_factory=list)
    horizon_changes: list[Move] = field(default_factory=list)
    # Counts of every item in each group; the lists above hold the first COMPARE_LIST_ROWS.
    new_count: int = 0
    dropped_count: int = 0
    delivered_count: int = 0
    unranked_count: int = 0
    up_count: int = 0
    down_count: int = 0
    unchanged_count: int = 0
    horizon_change_count: int = 0

    @property
    def common_count(self) -> int:
        return self.up_count + self.down_count + self.unchanged_count

    @property
    def move_groups(self) -> list[tuple[str, list[Move], int]]:
        return [("Moved up", self.up, self.up_count), ("Moved down", self.down, self.down_count)]

    @property
    def exit_groups(self) -> list[tuple[str, str, list[Exit], int]]:
        """(heading, what it means, first rows, count) for each reason items left."""
        return [
            (
                "Delivered since the earlier plan",
                "Done when the later plan was published.",
                self.delivered,
                self.delivered_count,
            ),
            (
                "Dropped",
                "Archived, parked or deleted when the later plan was published.",
                self.dropped,
                self.dropped_count,
            ),
            (
                "No longer ranked",
                "Still open, but left out of the later ranking: usually a missing score on a"
                " weighted criterion.",
                self.unranked,
                self.unranked_count,
            ),
        ]


def _ordered(first: PublishedPlan, second: PublishedPlan) -> tuple[PublishedPlan, PublishedPlan]:
    key = lambda plan: (plan.meeting_date, plan.published_at, plan.pk)  # noqa: E731
    return (first, second) if key(first) <= key(second) else (second, first)


def exit_reasons(item_ids: list[int], at: datetime) -> dict[int, ExitReason]:
    """Why each item left a plan, from its status and archiving at `at` (see the rule above).
    One query per SNAPSHOT_CHUNK items.

    An item changed since `at` is read from its last history record up to `at`; one not
    changed since is read as it is today, which also covers changes made without a history
    record (bulk updates, such as the demo seed's)."""
    history = BacklogItem.history.filter(id=OuterRef("pk"))
    then = history.filter(history_date__lte=at).order_by("-history_date", "-history_id")
    reasons = dict.fromkeys(item_ids, DROPPED)  # deleted items stay Dropped
    for start in range(0, len(item_ids), SNAPSHOT_CHUNK):
        chunk = item_ids[start : start + SNAPSHOT_CHUNK]
        for pk, status, archived, changed_since, status_then, archived_then in (
            BacklogItem.objects.filter(pk__in=chunk)
            .annotate(
                changed_since=Exists(history.filter(history_date__gt=at)),
                status_then=Subquery(then.values("status")[:1]),
                archived_then=Subquery(then.values("archived")[:1]),
            )
            .values_list(
                "pk", "status", "archived", "changed_since", "status_then", "archived_then"
            )
            .iterator()
        ):
            if changed_since and status_then is not None:
                status, archived = status_then, archived_then
            if status == Status.DONE:
                reasons[pk] = DELIVERED
            elif not (archived or status == Status.PARKED):
                reasons[pk] = UNRANKED
    return reasons


def compare_plans(first: PublishedPlan, second: PublishedPlan) -> PlanComparison:
    """What changed between two plans, whichever order they are given in: items new to the
    later plan, items that left it and why, horizon changes, and items that moved up or down
    among the items in both plans (by competition rank)."""
    older, newer = _ordered(first, second)
    before = {entry.item_id: entry for entry in _compared_entries(older)}
    # First pass over the later plan: which items are in both, and what is new.
    common: set[int] = set()
    new: list[_Compared] = []
    new_count = 0
    slope_inputs: list[charts.SlopeInput] = []
    for entry in _compared_entries(newer):
        if entry.item_id in before:
            common.add(entry.item_id)
            continue
        new_count += 1
        if len(new) < COMPARE_LIST_ROWS:
            new.append(entry)
        if entry.position <= SLOPE_TOP:
            slope_inputs.append(
                charts.SlopeInput(
                    entry.reference, entry.title, None, entry.position, after_label=entry.rank_label
                )
            )
    # The earlier plan's ranks among the common items; the entries are in plan order.
    ranks_before = _CommonRanks()
    common_rank_before = {
        item_id: ranks_before.next(entry.rank)
        for item_id, entry in before.items()
        if item_id in common
    }
    del common
    # Second pass: the later plan's ranks among the same items, and each move.
    ranks_after = _CommonRanks()
    up = _Biggest(key=lambda m: (-m.change, m.reference))
    down = _Biggest(key=lambda m: (m.change, m.reference))
    horizon_changes: list[Move] = []
    horizon_change_count = unchanged_count = 0
    slope_moves: list[Move] = []
    for raw in snapshot_entries(newer):
        old = before.get(raw["item_id"])
        if old is None:
            continue
        move = Move(
            reference=raw["reference"],
            title=raw["title"],
            before_rank=old.rank_label,
            after_rank=raw["rank_label"],
            change=common_rank_before[old.item_id] - ranks_after.next(raw["rank"]),
            before_horizon=HORIZON_LABELS.get(old.horizon, ""),
            after_horizon=HORIZON_LABELS.get(raw.get("horizon") or "", ""),
            before_position=old.position,
            after_position=raw["position"],
            why=raw.get("why") or "",
        )
        if move.horizon_changed:
            horizon_change_count += 1
            if len(horizon_changes) < COMPARE_LIST_ROWS:
                horizon_changes.append(move)
        if min(move.before_position, move.after_position) <= SLOPE_TOP:
            slope_moves.append(move)
        if move.change > 0:
            up.add(move)
        elif move.change < 0:
            down.add(move)
        else:
            unchanged_count += 1
    reasons = exit_reasons(
        [item_id for item_id in before if item_id not in common_rank_before], newer.published_at
    )
    exits: dict[str, list[Exit]] = {DELIVERED.key: [], DROPPED.key: [], UNRANKED.key: []}
    exit_counts = dict.fromkeys(exits, 0)
    for item_id, reason in reasons.items():
        entry = before[item_id]
        exit_counts[reason.key] += 1
        if len(exits[reason.key]) < COMPARE_LIST_ROWS:
            exits[reason.key].append(
                Exit(entry.reference, entry.title, entry.rank_label, entry.position, reason)
            )
        if entry.position <= SLOPE_TOP:
            slope_inputs.append(
                charts.SlopeInput(
                    entry.reference,
                    entry.title,
                    entry.position,
                    None,
                    before_label=entry.rank_label,
                    note=reason.label,
                )
            )
    slope_inputs += [
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
    return PlanComparison(
        older=older,
        newer=newer,
        new=new,
        dropped=exits[DROPPED.key],
        delivered=exits[DELIVERED.key],
        unranked=exits[UNRANKED.key],
        up=up.first(),
        down=down.first(),
        slope=charts.slope_chart(slope_inputs),
        horizon_changes=horizon_changes,
        new_count=new_count,
        dropped_count=exit_counts[DROPPED.key],
        delivered_count=exit_counts[DELIVERED.key],
        unranked_count=exit_counts[UNRANKED.key],
        up_count=up.count,
        down_count=down.count,
        unchanged_count=unchanged_count,
        horizon_change_count=horizon_change_count,
    )
