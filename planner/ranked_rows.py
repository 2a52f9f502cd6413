"""Ranked rows: a run's entries with what the pages show of their items, as plain values, in
one query; optionally with each row's points from a chosen set of criteria, summed by the
database."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from decimal import Decimal
from typing import Any

from django.db.models import ExpressionWrapper, F, FloatField, Func, Q, Value
from django.db.models.expressions import Combinable

from planner.models import RankedEntry, RankingRun, Status
from planner.schedule import COMMITTED, PINNED
from planner.scoring import format_rank

STATUS_LABELS = dict(Status.choices)


@dataclass(frozen=True, slots=True)
class RankedRow:
    """One ranked entry with what the pages show of its item. Plain values rather than model
    instances: building 5,000 deferred model instances costs more than the query."""

    item_id: int
    reference: str
    title: str
    status: str
    effort_days: Decimal | None
    theme: str
    score: Decimal
    rank: int
    tied: bool
    position: int
    one_off_cost: Decimal | None
    recurring_cost: Decimal | None
    # The run's delivery plan for the item (see planner.planning).
    start_quarter: int | None
    end_quarter: int | None
    horizon: str
    schedule_reason: str
    schedule_details: dict[str, Any]
    # Rank ranges (planner.rank_ranges): None and "" until the run's ranges are worked out.
    rank_low: int | None
    rank_high: int | None
    stability: str
    _: KW_ONLY
    contributions: dict[str, float] | None = None
    benefit_points: float | None = None

    @property
    def rank_label(self) -> str:
        return format_rank(self.rank, self.tied)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def committed(self) -> bool:
        return self.schedule_reason == COMMITTED

    @property
    def pinned(self) -> bool:
        return self.schedule_reason == PINNED

    @property
    def why(self) -> str:
        """Why the item is where it is in the plan, in plain English ("" when nothing held it)."""
        return self.schedule_details.get("text", "")


_ROW_FIELDS = (
    "item_id",
    "item__reference",
    "item__title",
    "item__status",
    "item__effort_days",
    "item__theme__name",
    "score",
    "rank",
    "tied",
    "position",
    "item__one_off_cost",
    "item__recurring_cost",
    "start_quarter",
    "end_quarter",
    "horizon",
    "schedule_reason",
    "schedule_details",
    "rank_low",
    "rank_high",
    "stability",
)


class _ContributionPoints(Func):
    """One criterion's points from an entry's `contributions` JSON, 0 when absent.

    Django's own key transforms read a key of digits ("12") as an array index, so this asks
    for the object key explicitly; the key travels as a query parameter."""

    output_field = FloatField()

    def __init__(self, criterion_id: str) -> None:
        if not str(criterion_id).isdigit():
            raise ValueError(f"criterion id {criterion_id!r} is not a number")
        self.criterion_id = str(criterion_id)
        super().__init__(F("contributions"), Value(self.criterion_id))

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="COALESCE((%(expressions)s)::float8, 0)",
            arg_joiner=" ->> ",
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        column, column_params = compiler.compile(self.source_expressions[0])
        path = f'$."{self.criterion_id}"'
        return f"COALESCE(json_extract({column}, %s), 0)", (*column_params, path)


def load_rows(
    run: RankingRun,
    *,
    with_contributions: bool = False,
    benefit_keys: list[str] | None = None,
    where: Q | None = None,
    order_by: tuple[str, ...] = ("position",),
    rows: slice | None = None,
) -> list[RankedRow]:
    """A run's entries in position order with their items' details: one query.

    With `benefit_keys` (criterion ids), each row also gets `benefit_points`, the sum of those
    criteria's contributions, added up by the database: decoding thousands of JSON
    contributions in Python costs more than the rest of the dashboard. `where`, `order_by`
    and `rows` (a slice: LIMIT and OFFSET) narrow it to the rows a page shows."""
    queryset = RankedEntry.objects.filter(run=run).order_by(*order_by)
    if where is not None:
        queryset = queryset.filter(where)
    contributions = None
    if with_contributions:
        contributions = "contributions"
    benefit = None
    if benefit_keys is not None:
        parts = [_ContributionPoints(key) for key in benefit_keys]
        total: Combinable = parts[0] if parts else Value(0.0)
        for part in parts[1:]:
            total = total + part
        queryset = queryset.annotate(benefit_points=ExpressionWrapper(total, FloatField()))
        benefit = "benefit_points"
    values_rows = queryset.values_list(*_ROW_FIELDS, contributions or "id", benefit or "id")
    if rows is not None:
        values_rows = values_rows[rows]
    return [
        RankedRow(
            *values[:-2],
            contributions=values[-2] if contributions else None,
            benefit_points=values[-1] if benefit else None,
        )
        for values in values_rows
    ]
