"""Weighting options (what-if, saved): save, rename and delete them, rank them on the worker,
and compare them side by side with the live weights and a "Do nothing" baseline.

An option is a WeightingProfile with `is_option` set: the database forbids it ever being
the active profile. Each option is ranked by its own RankingRun (`option` set), on the same
worker path as the live ranking; such runs never become the live ranking (see
`ranking.live_runs`). A comparison is plain data, frozen as-is into a published plan's
snapshot["options"].
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q

from councils.models import Council
from planner import committee, ranking, schedule, scoring, weightings
from planner import quarters as cal
from planner.models import Method, RankedEntry, RankingRun, RunStatus, WeightingProfile
from planner.weightings import horizon_label

# Enough for an options appraisal; each option costs a ranking run whenever it is refreshed.
MAX_OPTIONS = 10
# Options compared at once, beside the live weights and "Do nothing".
MAX_COMPARED = 4
TOP_SIZE = 10
# Horizon changes listed per option (the count is always given in full).
MAX_CHANGES_LISTED = 20
DO_NOTHING = "Do nothing"
DO_NOTHING_DESCRIPTION = (
    "Only work already committed: items in progress and items pinned to a quarter."
)
# What a schedule commits regardless of the weights.
_COMMITTED_REASONS = (schedule.COMMITTED, schedule.PINNED)


class OptionError(ValueError):
    """An option that cannot be saved as asked (name taken, too many options); the message
    says why in words for the page."""


def options_of(council: Council) -> list[WeightingProfile]:
    return list(council.profiles.filter(is_option=True).order_by("name"))


def _check_name(council: Council, name: str, exclude_pk: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise OptionError("Enter a name for the option")
    if len(name) > 80:
        raise OptionError("The option name must be 80 characters or fewer")
    taken = council.profiles.filter(name__iexact=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise OptionError("A profile or option with that name already exists: choose another")
    return name


@transaction.atomic
def save_option(
    *, council: Council, name: str, method: str, weights: Mapping[str, float], saved_by=None
) -> WeightingProfile:
    """Save these weights as a named option (never active) and ask for its ranking run.
    It plans the way the active profile does (schedule mode and discount)."""
    Council.objects.select_for_update().only("pk").get(pk=council.pk)
    if council.profiles.filter(is_option=True).count() >= MAX_OPTIONS:
        raise OptionError(
            f"A council can keep up to {MAX_OPTIONS} options: delete one you no longer need first"
        )
    if not any(float(value) > 0 for value in weights.values()):
        raise OptionError("Give at least one criterion a weight above 0")
    active = weightings.active_profile(council)
    option = WeightingProfile(
        council=council,
        name=_check_name(council, name),
        method=method,
        weights=dict(weights),
        is_option=True,
    )
    if active is not None:
        option.schedule_mode = active.schedule_mode
        option.value_discount_percent = active.value_discount_percent
    try:
        weightings.save_unique(option)
    except weightings.ProfileNameTakenError:
        raise OptionError(
            "A profile or option with that name already exists: choose another"
        ) from None
    ranking.request_option_run(option=option, requested_by=saved_by)
    return option


def rename_option(*, option: WeightingProfile, name: str) -> WeightingProfile:
    option.name = _check_name(option.council, name, exclude_pk=option.pk)
    try:
        weightings.save_unique(option, update_fields=["name", "updated_at"])
    except weightings.ProfileNameTakenError:
        raise OptionError(
            "A profile or option with that name already exists: choose another"
        ) from None
    return option


def delete_option(*, option: WeightingProfile) -> None:
    """Its runs go with it (CASCADE); plans that froze it keep their copy."""
    assert option.is_option, "only an option is deleted here, never a profile"
    RankedEntry.objects.filter(run__option=option).delete()
    option.delete()


def stale_options(council: Council) -> list[WeightingProfile]:
    """Options last ranked before the latest live ranking (or never), with no run waiting:
    what "Rank the options again" refreshes. A queued run reads the data when it runs."""
    latest_live = ranking.latest_done_run(council)
    live_generation = latest_live.generation if latest_live else 0
    options = council.profiles.filter(is_option=True).annotate(
        latest=Max("option_runs__generation", filter=Q(option_runs__status=RunStatus.DONE)),
        waiting=Exists(
            RankingRun.objects.filter(
                option=OuterRef("pk"), status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
            )
        ),
    )
    return [
        option
        for option in options.order_by("name")
        if not option.waiting and (option.latest or 0) < live_generation
    ]


def refresh_options(*, council: Council, requested_by=None) -> int:
    """Queue a run for every stale option; returns how many were asked for."""
    stale = stale_options(council)
    for option in stale:
        ranking.request_option_run(option=option, requested_by=requested_by)
    return len(stale)


def latest_option_runs(council: Council) -> dict[int, RankingRun]:
    """Option id -> its latest finished run, in one query."""
    runs = (
        council.runs.filter(option__isnull=False, status=RunStatus.DONE)
        .order_by("option_id", "-generation")
        .defer("criteria_snapshot", "needs_scoring", "needs_estimate")
    )
    latest: dict[int, RankingRun] = {}
    for run in runs:
        assert run.option_id is not None
        latest.setdefault(run.option_id, run)
    return latest


# --- Comparing ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TopRow:
    reference: str
    title: str
    rank: str


@dataclass(frozen=True, slots=True)
class HorizonChange:
    reference: str
    title: str
    live: str  # horizon label in the live plan
    here: str  # and with this option


@dataclass(slots=True)
class Column:
    """One option (or the live weights, or the baseline) as the comparison shows it."""

    name: str
    description: str
    method: str
    weights: list[tuple[str, float]]
    is_baseline: bool = False
    is_live: bool = False
    ranked: bool = True  # False while the option's first run is still to finish
    top: list[TopRow] = field(default_factory=list)
    now: list[str] = field(default_factory=list)
    total_score: Decimal = Decimal(0)
    cost_by_year: list[tuple[str, Decimal]] = field(default_factory=list)
    only_in_now: list[str] = field(default_factory=list)
    horizon_changes: list[HorizonChange] = field(default_factory=list)
    horizon_change_count: int = 0
    generation: int | None = None

    def frozen(self) -> dict[str, Any]:
        """The snapshot["options"] contract (see docs: published plan snapshot)."""
        return {
            "name": self.name,
            "description": self.description,
            "method": self.method,
            "weights": [{"criterion": name, "weight": weight} for name, weight in self.weights],
            "is_baseline": self.is_baseline,
            "is_recommended": self.is_live,
            "top": [
                {"reference": row.reference, "title": row.title, "rank": row.rank}
                for row in self.top
            ],
            "now": list(self.now),
            "total_score": float(self.total_score),
            "cost_by_year": [
                {"year": year, "cost": f"{cost:.2f}"} for year, cost in self.cost_by_year
            ],
            "only_in_now": list(self.only_in_now),
        }


@dataclass(frozen=True, slots=True)
class Comparison:
    columns: list[Column]
    live_run: RankingRun | None
    years: list[str]

    def cost_rows(self) -> list[tuple[str, list[Decimal | None]]]:
        """(financial year, cost under each column), for the table."""
        rows = []
        for year in self.years:
            costs = [dict(column.cost_by_year).get(year) for column in self.columns]
            rows.append((year, costs))
        return rows


def describe_weights(weights: Sequence[tuple[str, float]]) -> str:
    """One plain-English line of what the weights favour: the criteria with the largest
    shares, e.g. "Favours Savings (40%) and Citizen impact (30%)"."""
    total = sum(weight for _name, weight in weights)
    if total <= 0:
        return "No criterion is weighted."
    shares = sorted(
        ((name, weight / total * 100) for name, weight in weights if weight > 0),
        key=lambda pair: -pair[1],
    )
    leading = [f"{name} ({share:.0f}%)" for name, share in shares[:2]]
    if len(shares) == 1:
        return f"Only {shares[0][0]} counts."
    if shares[0][1] - shares[-1][1] < 1:
        return "Every weighted criterion counts the same."
    return "Favours " + " and ".join(leading) + "."


def _named_weights(run: RankingRun) -> list[tuple[str, float]]:
    return [
        (criterion["name"], float(criterion["weight"] or 0)) for criterion in run.scored_criteria()
    ]


def _year_costs(run: RankingRun) -> list[tuple[str, Decimal]]:
    return [
        (
            year["label"],
            Decimal(str(year.get("one_off", 0))) + Decimal(str(year.get("recurring", 0))),
        )
        for year in (run.plan or {}).get("years", [])
    ]


# (item id, position, rank, tied, score, horizon, start quarter, end quarter, reason)
_EntryRow = tuple[int, int, int, bool, Decimal, str, int | None, int | None, str]


def _entry_rows(run: RankingRun) -> list[_EntryRow]:
    return list(
        RankedEntry.objects.filter(run=run)
        .order_by("position")
        .values_list(
            "item_id",
            "position",
            "rank",
            "tied",
            "score",
            "horizon",
            "start_quarter",
            "end_quarter",
            "schedule_reason",
        )
    )


def _fill_from_entries(column: Column, run: RankingRun | None, rows: list[_EntryRow]) -> None:
    column.top = [TopRow("", "", scoring.format_rank(row[2], row[3])) for row in rows[:TOP_SIZE]]
    # The score the plan delivers: every item it schedules within the horizon.
    column.total_score = sum((row[4] for row in rows if row[6] is not None), Decimal(0))
    column.now = [str(row[0]) for row in rows if row[5] == cal.NOW]  # ids until named
    if run is not None:
        column.cost_by_year = _year_costs(run)


def _committed_costs(
    live: RankingRun, committed: list[_EntryRow], costs: dict[int, tuple[Any, Any]]
) -> list[tuple[str, Decimal]]:
    """What the committed work alone spends each financial year, booked as the scheduler
    books it (committee.costs_by_year)."""
    plan = live.plan or {}
    quarters = plan.get("quarters", [])
    years = [(year["year"], year["label"]) for year in plan.get("years", [])]
    spend = dict.fromkeys((year for year, _label in years), Decimal(0))
    for item_id, *_rest, start, end, _reason in committed:
        one_off, recurring = costs.get(item_id, (0, 0))
        entry = {
            "start_quarter": start,
            "end_quarter": end,
            "one_off_cost": one_off,
            "recurring_cost": recurring,
        }
        for year, (one, every_year) in committee.costs_by_year(entry, quarters).items():
            if year in spend:
                spend[year] += Decimal(str(one)) + Decimal(str(every_year))
    return [(label, spend[year]) for year, label in years]


def _option_column(option: WeightingProfile, run: RankingRun | None) -> Column:
    labels = dict(Method.choices)
    if run is None:
        return Column(
            name=option.name,
            description="Not ranked yet: its ranking run has not finished.",
            method=labels.get(option.method, option.method),
            weights=[],
            ranked=False,
        )
    weights = _named_weights(run)
    return Column(
        name=option.name,
        description=describe_weights(weights),
        method=labels.get(run.method, run.method),
        weights=weights,
        generation=run.generation,
    )


def _live_column(live: RankingRun) -> Column:
    weights = _named_weights(live)
    return Column(
        name=f"Current weights ({live.profile_name})" if live.profile_name else "Current weights",
        description=describe_weights(weights),
        method=dict(Method.choices).get(live.method, live.method),
        weights=weights,
        is_live=True,
        generation=live.generation,
    )


def compare(
    *,
    council: Council,
    options: Sequence[WeightingProfile],
    live: RankingRun | None = None,
) -> Comparison:
    """The live weights (or the ranking `live`, a plan's), up to MAX_COMPARED options and
    "Do nothing", side by side.

    A fixed number of queries whatever the backlog size: the live run, the options' runs,
    one per compared run for its entries, the committed items' costs, and the items shown.
    """
    options = list(options)[:MAX_COMPARED]
    live = live or ranking.latest_done_run(council)
    option_runs = latest_option_runs(council) if options else {}
    columns: list[Column] = []
    entry_rows: list[list[_EntryRow]] = []
    live_rows: list[_EntryRow] = []
    if live is not None:
        live_rows = _entry_rows(live)
        columns.append(_live_column(live))
        _fill_from_entries(columns[-1], live, live_rows)
        entry_rows.append(live_rows)
    for option in options:
        run = option_runs.get(option.pk)
        rows = _entry_rows(run) if run is not None else []
        columns.append(_option_column(option, run))
        _fill_from_entries(columns[-1], run, rows)
        entry_rows.append(rows)
    if live is not None:
        committed = [row for row in live_rows if row[8] in _COMMITTED_REASONS]
        costs = {
            pk: (one_off, recurring)
            for pk, one_off, recurring in council.items.filter(
                pk__in=[row[0] for row in committed]
            ).values_list("pk", "one_off_cost", "recurring_cost")
        }
        baseline = Column(
            name=DO_NOTHING,
            description=DO_NOTHING_DESCRIPTION,
            method="None: committed work only",
            weights=[],
            is_baseline=True,
        )
        _fill_from_entries(baseline, None, committed)
        baseline.cost_by_year = _committed_costs(live, committed, costs)
        columns.append(baseline)
        entry_rows.append(committed)
    _name_items(council, columns, entry_rows, live_rows)
    years: list[str] = []
    for column in columns:
        years += [year for year, _cost in column.cost_by_year if year not in years]
    return Comparison(columns=columns, live_run=live, years=years)


def _name_items(
    council: Council,
    columns: list[Column],
    entry_rows: list[list[_EntryRow]],
    live_rows: list[_EntryRow],
) -> None:
    """Fill in references and titles (one query for every item shown), the items only one
    column puts in Now, and each option's horizon changes against the live plan."""
    live_horizon = {row[0]: row[5] for row in live_rows}
    changes: list[list[tuple[int, str, str]]] = []
    for column, rows in zip(columns, entry_rows, strict=True):
        if column.is_live or column.is_baseline or not column.ranked:
            changes.append([])
            continue
        moved = [
            (row[0], live_horizon.get(row[0], ""), row[5])
            for row in rows
            if live_horizon.get(row[0], "") != row[5]
        ]
        column.horizon_change_count = len(moved)
        changes.append(moved[:MAX_CHANGES_LISTED])
    in_now = Counter(item for column in columns for item in column.now)
    shown = {int(item) for item in in_now}
    shown |= {row[0] for rows in entry_rows for row in rows[:TOP_SIZE]}
    shown |= {item_id for moved in changes for item_id, _l, _h in moved}
    items = {
        pk: (reference, title)
        for pk, reference, title in council.items.filter(pk__in=shown).values_list(
            "pk", "reference", "title"
        )
    }
    for column, rows, moved in zip(columns, entry_rows, changes, strict=True):
        column.top = [
            TopRow(*items[row[0]], top.rank) for row, top in zip(rows, column.top, strict=False)
        ]
        column.only_in_now = [items[int(i)][0] for i in column.now if in_now[i] == 1]
        column.now = [items[int(i)][0] for i in column.now]
        column.horizon_changes = [
            HorizonChange(*items[pk], horizon_label(live), horizon_label(here))
            for pk, live, here in moved
        ]


def frozen_options(
    *, council: Council, options: Sequence[WeightingProfile], run: RankingRun | None = None
) -> list[dict]:
    """The plan's own weights (the recommendation), the chosen options and "Do nothing", as
    snapshot["options"] of a published plan: a committee report sets the recommended option
    beside the alternatives."""
    if not options:
        return []
    # Against the ranking being published, so "Recommended: this plan" is this plan.
    comparison = compare(council=council, options=options, live=run)
    return [
        column.frozen()
        for column in comparison.columns
        if column.is_live or column.ranked or column.is_baseline
    ]
