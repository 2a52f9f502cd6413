"""Committee fields on an item (issue 12): wards, directorate, key decision, exempt
information, impact assessments, funding, risk and benefits.

One table, COMMITTEE_COLUMNS, names each field's spreadsheet column and how its value is
written and read, so the CSV export, the CSV import (and any column-mapping step in front of
it) and the plan snapshot agree. Exempt items (Schedule 12A) lose their problem statement
and costs in public outputs: `public_entry` is that rule for a snapshot entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from planner.delivery import YearTotals
from planner.models import (
    AssessmentStatus,
    BacklogItem,
    Funding,
    RiskRating,
)

ALL_WARDS = "All wards"
# Ward names in one cell: "Abbey; Castle". A comma is common inside a ward's own name.
WARD_SEPARATOR = "; "
YES, NO = "Yes", "No"

# The plain-English titles of Schedule 12A's paragraphs, as tags and public outputs show them.
EXEMPT_SHORT_TITLES = {
    1: "information about an individual",
    2: "could identify an individual",
    3: "financial or business affairs",
    4: "labour relations",
    5: "legal professional privilege",
    6: "a proposed notice, order or direction",
    7: "crime prevention or prosecution",
}
PUBLIC_WITHHELD = "Withheld: exempt information"
# What public outputs leave out of an exempt item: its problem statement and its money.
EXEMPT_WITHHELD_KEYS = (
    "problem",
    "one_off_cost",
    "recurring_cost",
    "cashable_savings",
    "one_off_funding",
    "recurring_funding",
    "funding_source",
)
# A schedule reason names the amount an item would break a budget by ("… by £12,345"):
# with the budget and the totals shown, that would give the exempt item's cost away.
_AMOUNT = re.compile(r" by £[\d,.]+")


def exempt_label(paragraph: int | None) -> str:
    """ "Exempt: paragraph 3 (financial or business affairs)", or "" for a public item."""
    if paragraph is None:
        return ""
    title = EXEMPT_SHORT_TITLES.get(paragraph)
    return f"Exempt: paragraph {paragraph}" + (f" ({title})" if title else "")


@dataclass(frozen=True)
class CommitteeColumn:
    """One committee field as a spreadsheet column.

    kind: "wards" (names or "All wards"), "directorate" (a name from the council's list),
    "yes_no", "paragraph" (1-7 or blank), "choice" (a label of `choices`), "text", "money"."""

    header: str
    field: str
    kind: str
    choices: type[AssessmentStatus] | type[Funding] | type[RiskRating] | None = None
    max_length: int | None = None


WARDS = "Wards"
DIRECTORATE = "Directorate"
KEY_DECISION = "Key decision"
EXEMPT_PARAGRAPH = "Exempt paragraph"
EQIA = "EqIA"
DPIA = "DPIA"
ONE_OFF_FUNDING = "One-off funding"
RECURRING_FUNDING = "Recurring funding"
FUNDING_SOURCE = "Funding source"
RISK = "Risk"
RISK_DESCRIPTION = "Risk description"
CASHABLE_SAVINGS = "Cashable savings (£ a year)"
NON_CASHABLE_BENEFITS = "Non-cashable benefits"

COMMITTEE_COLUMNS = (
    CommitteeColumn(WARDS, "wards", "wards"),
    CommitteeColumn(DIRECTORATE, "directorate", "directorate"),
    CommitteeColumn(KEY_DECISION, "key_decision", "yes_no"),
    CommitteeColumn(EXEMPT_PARAGRAPH, "exempt_paragraph", "paragraph"),
    CommitteeColumn(EQIA, "eqia_status", "choice", AssessmentStatus),
    CommitteeColumn(DPIA, "dpia_status", "choice", AssessmentStatus),
    CommitteeColumn(ONE_OFF_FUNDING, "one_off_funding", "choice", Funding),
    CommitteeColumn(RECURRING_FUNDING, "recurring_funding", "choice", Funding),
    CommitteeColumn(FUNDING_SOURCE, "funding_source", "text", max_length=200),
    CommitteeColumn(RISK, "risk_rating", "choice", RiskRating),
    CommitteeColumn(RISK_DESCRIPTION, "risk_description", "text", max_length=200),
    CommitteeColumn(CASHABLE_SAVINGS, "cashable_savings", "money"),
    CommitteeColumn(NON_CASHABLE_BENEFITS, "non_cashable_benefits", "text", max_length=1000),
)
COMMITTEE_HEADERS = tuple(column.header for column in COMMITTEE_COLUMNS)


def choice_labels(choices: Any) -> dict[str, str]:
    return {str(value): str(label) for value, label in choices.choices}


# --- Snapshots ----------------------------------------------------------------------------


def _number(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def committee_entries(item_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """{item id: the committee keys of a plan snapshot entry} in two queries (the items
    with their directorate, and their wards in name order). Keys hold choice KEYS."""
    ids = list(item_ids)
    wards: dict[int, list[str]] = {}
    through = BacklogItem.wards.through
    for item_id, name in (
        through.objects.filter(backlogitem_id__in=ids)
        .order_by("ward__name")
        .values_list("backlogitem_id", "ward__name")
    ):
        wards.setdefault(item_id, []).append(name)
    entries = {}
    for row in BacklogItem.objects.filter(pk__in=ids).values(
        "pk",
        "all_wards",
        "directorate__name",
        "key_decision",
        "exempt_paragraph",
        "eqia_status",
        "dpia_status",
        "one_off_funding",
        "recurring_funding",
        "funding_source",
        "risk_rating",
        "risk_description",
        "cashable_savings",
        "non_cashable_benefits",
    ):
        values: dict[str, Any] = dict(row)
        item_id = values.pop("pk")
        directorate = values.pop("directorate__name") or ""
        entries[item_id] = {
            "wards": wards.get(item_id, []),
            **values,
            "directorate": directorate,
            "cashable_savings": _number(values["cashable_savings"]),
        }
    return entries


def public_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """A snapshot entry as a public output shows it: an exempt item keeps its title and
    ranking but loses its problem statement and costs, and says why."""
    paragraph = entry.get("exempt_paragraph")
    if paragraph is None:
        return entry
    shown = {**entry, **dict.fromkeys(EXEMPT_WITHHELD_KEYS)}
    for text in ("problem", "one_off_funding", "recurring_funding", "funding_source"):
        shown[text] = ""
    shown["why"] = _AMOUNT.sub("", str(entry.get("why") or ""))
    shown["withheld"] = True
    return shown


def withheld_note(paragraph: int | None) -> str:
    """What a public output says in place of an exempt item's problem statement."""
    return f"{PUBLIC_WITHHELD}, {exempt_label(paragraph).removeprefix('Exempt: ')}"


def wards_label(entry: dict[str, Any]) -> str:
    if entry.get("all_wards"):
        return ALL_WARDS
    return WARD_SEPARATOR.join(entry.get("wards") or [])


# --- Money in public versions --------------------------------------------------------------
# A public version withholds exempt items' costs. Its yearly totals leave them out too:
# otherwise the other items' costs, which it shows, could be subtracted from a total to reveal
# them. "Over budget" is still judged on the whole plan.

# Each option's cost by year includes exempt items: beside totals without them, the
# difference would give their costs away, so public versions leave the options' costs out.
OPTION_COSTS_WITHHELD = "Not in the public version (it would reveal exempt costs)"
MONEY_NOTE = (
    "This public version leaves the costs of exempt items out of these totals;"
    " “over budget” is judged on the whole plan."
)


def _pounds(value: Any) -> float:
    try:
        return float(Decimal(str(value))) if value not in (None, "") else 0.0
    except (ArithmeticError, ValueError):
        return 0.0


@dataclass(frozen=True, slots=True)
class MoneyYear:
    totals: YearTotals  # the whole plan's year, budgets and over-budget flags
    one_off: float  # the costs shown: without exempt items' in the public version
    recurring: float


def costs_by_year(entry: dict[str, Any], quarters: list[Any]) -> dict[int, tuple[float, float]]:
    """An item's costs by financial year as planner/schedule.py books them: the one-off cost
    in the year it starts, the recurring cost in every year of the plan from the one it
    finishes in (none when it finishes after the plan)."""
    years = [int(q.get("year") or 0) if isinstance(q, dict) else 0 for q in quarters]
    start, end = entry.get("start_quarter"), entry.get("end_quarter")
    one_off = _pounds(entry.get("one_off_cost"))
    recurring = _pounds(entry.get("recurring_cost"))
    booked: dict[int, tuple[float, float]] = {}
    if isinstance(start, int) and 0 <= start < len(years) and years[start]:
        booked[years[start]] = (one_off, 0.0)
    if isinstance(end, int) and 0 <= end < len(years) and years[end]:
        for year in sorted({y for y in years if y and y >= years[end]}):
            one, _ = booked.get(year, (0.0, 0.0))
            booked[year] = (one, recurring)
    return booked


def withhold_costs(
    withheld: dict[int, tuple[float, float]], entry: dict[str, Any], quarters: list[Any]
) -> None:
    """Add an exempt entry's costs (read before public_entry strips them) to `withheld`."""
    for year, (one_off, recurring) in costs_by_year(entry, quarters).items():
        was = withheld.get(year, (0.0, 0.0))
        withheld[year] = (was[0] + one_off, was[1] + recurring)


def costs_worth_withholding(
    withheld: dict[int, tuple[float, float]],
) -> dict[int, tuple[float, float]]:
    return {year: costs for year, costs in withheld.items() if any(costs)}


def money_years(
    years: Iterable[YearTotals], withheld: dict[int, tuple[float, float]]
) -> list[MoneyYear]:
    """Each financial year's costs as a version shows them."""
    rows = []
    for year in years:
        one_off, recurring = withheld.get(year.year, (0.0, 0.0))
        rows.append(MoneyYear(year, year.one_off - one_off, year.recurring - recurring))
    return rows
