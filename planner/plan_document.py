"""One plan document, three renderers (issue 12): the committee appendix of a published plan
as plain data, built from the plan's frozen snapshot and read by render_docx, render_xlsx and
render_pdf, so the Word, Excel and PDF versions can never disagree.

`build_plan_document` is pure: the snapshot's head (plans.snapshot_head), its entries and the
plan's own fields in, a `PlanDocument` out; no queries. Entries read with `.get()`, so plans
published before the committee fields (wards, EqIA, risk...) render with those cells blank.

Public and full versions: the public version leaves out an exempt item's problem statement
and its costs and marks it "Exempt: paragraph 3" with its Schedule 12A title; the full
version (approvers and above) keeps them and still marks the item. Totals by financial year
are the plan's own aggregate figures and are shown in both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from itertools import islice
from typing import Any

from planner import committee
from planner.delivery import QuarterTotals, YearTotals
from planner.models import AssessmentStatus, ExemptParagraph, Funding, RiskRating, Status
from planner.plans import (
    PLAN_PAGE_ROWS,
    PlanTotals,
    plan_totals,
    snapshot_entries,
    snapshot_head,
)
from planner.quarters import HORIZON_LABELS, NEXT, NOW
from planner.scoring import METHOD_FORMULAS

ASSESSMENT_LABELS = dict(AssessmentStatus.choices)
FUNDING_LABELS = dict(Funding.choices)
RISK_LABELS = dict(RiskRating.choices)
STATUS_LABELS = dict(Status.choices)
NOT_RECORDED = "Not recorded"
# The Word and PDF annex lists at most as many items as the plan page (a 50,000-item table
# would run to thousands of pages; 1,000 rows took 10 s as a PDF); Excel lists every item.
ANNEX_ROWS = PLAN_PAGE_ROWS


def exempt_mark(paragraph: int) -> str:
    """'Exempt: paragraph 3', as every output marks an exempt item."""
    return f"Exempt: paragraph {paragraph}"


def exempt_title(paragraph: int) -> str:
    """The plain-English Schedule 12A title of a paragraph ('' if the number is unknown)."""
    if paragraph not in ExemptParagraph.values:
        return ""
    return ExemptParagraph(paragraph).label.partition(": ")[2]


WITHHELD = "Withheld"
PROBLEM_WITHHELD = "Problem statement withheld: exempt information"


def money(value: Decimal | float | None) -> str:
    """£1,500 (whole pounds), or '' when there is no figure."""
    return "" if value is None else f"£{Decimal(str(value)):,.0f}"


def number(value: Decimal | float | None) -> str:
    """A figure without trailing zeros: 12.5, 10."""
    if value is None:
        return ""
    text = f"{Decimal(str(value)):,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _whole(value: Any) -> int | None:
    try:
        return None if value is None or value == "" else int(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class DocumentItem:
    """One plan entry as the documents show it. Text fields are '' when not recorded;
    `withheld` is true when the public version has removed the problem and the costs."""

    rank: int | None
    rank_label: str
    reference: str
    title: str
    theme: str
    status: str
    score: Decimal | None
    horizon: str
    quarters: str
    effort_days: Decimal | None
    one_off_cost: Decimal | None
    recurring_cost: Decimal | None
    problem: str
    why: str
    wards: str
    directorate: str
    key_decision: bool
    exempt_paragraph: int | None
    eqia: str
    dpia: str
    funding: str
    risk: str
    risk_description: str
    cashable_savings: Decimal | None
    withheld: bool
    # The plan was published with the committee fields: an empty one reads "Not recorded";
    # in an older plan it is left blank.
    has_committee_fields: bool = False

    @property
    def is_exempt(self) -> bool:
        return self.exempt_paragraph is not None

    @property
    def exempt_mark(self) -> str:
        return "" if self.exempt_paragraph is None else exempt_mark(self.exempt_paragraph)

    @property
    def exempt_title(self) -> str:
        return "" if self.exempt_paragraph is None else exempt_title(self.exempt_paragraph)

    @property
    def exempt_text(self) -> str:
        """'Exempt: paragraph 3 (financial or business affairs of any particular person)'."""
        if self.exempt_paragraph is None:
            return ""
        title = self.exempt_title
        return f"{self.exempt_mark} ({title})" if title else self.exempt_mark

    @property
    def one_off_text(self) -> str:
        return WITHHELD if self.withheld else money(self.one_off_cost)

    @property
    def recurring_text(self) -> str:
        return WITHHELD if self.withheld else money(self.recurring_cost)

    @property
    def problem_text(self) -> str:
        return PROBLEM_WITHHELD if self.withheld else self.problem

    def _or_not_recorded(self, text: str) -> str:
        return text or (NOT_RECORDED if self.has_committee_fields else "")

    @property
    def key_decision_label(self) -> str:
        if not self.has_committee_fields:
            return ""
        return "Yes" if self.key_decision else "No"

    @property
    def eqia_text(self) -> str:
        return self._or_not_recorded(self.eqia)

    @property
    def dpia_text(self) -> str:
        return self._or_not_recorded(self.dpia)

    @property
    def risk_text(self) -> str:
        risk = f"{self.risk}: {self.risk_description}" if self.risk_description else self.risk
        return self._or_not_recorded(risk)


def _funding(entry: dict[str, Any]) -> str:
    parts = []
    for key, what in (("one_off_funding", "one-off"), ("recurring_funding", "recurring")):
        if label := FUNDING_LABELS.get(str(entry.get(key) or "")):
            parts.append(f"{label} ({what})")
    if source := str(entry.get("funding_source") or ""):
        parts.append(source)
    return "; ".join(parts)


def document_item(entry: dict[str, Any], *, public: bool) -> DocumentItem:
    """A snapshot entry as a DocumentItem; the public version withholds an exempt item's
    problem statement and costs."""
    paragraph = _whole(entry.get("exempt_paragraph"))
    withheld = public and paragraph is not None
    if withheld:
        entry = committee.public_entry(entry)  # the one rule of what public outputs withhold
    wards = committee.wards_label(entry)
    status = str(entry.get("status") or "")
    horizon = str(entry.get("horizon") or "")
    return DocumentItem(
        rank=_whole(entry.get("rank")),
        rank_label=str(entry.get("rank_label") or entry.get("rank") or ""),
        reference=str(entry.get("reference") or ""),
        title=str(entry.get("title") or ""),
        theme=str(entry.get("theme") or ""),
        status=str(entry.get("status_label") or STATUS_LABELS.get(status, status)),
        score=_decimal(entry.get("score")),
        horizon=HORIZON_LABELS.get(horizon, horizon),
        quarters=str(entry.get("quarters") or ""),
        effort_days=_decimal(entry.get("effort_days")),
        one_off_cost=None if withheld else _decimal(entry.get("one_off_cost")),
        recurring_cost=None if withheld else _decimal(entry.get("recurring_cost")),
        problem="" if withheld else str(entry.get("problem") or ""),
        why=str(entry.get("why") or ""),
        wards=wards,
        directorate=str(entry.get("directorate") or ""),
        key_decision=bool(entry.get("key_decision")),
        exempt_paragraph=paragraph,
        eqia=ASSESSMENT_LABELS.get(str(entry.get("eqia_status") or ""), ""),
        dpia=ASSESSMENT_LABELS.get(str(entry.get("dpia_status") or ""), ""),
        funding="" if withheld else _funding(entry),
        risk=RISK_LABELS.get(str(entry.get("risk_rating") or ""), ""),
        risk_description=str(entry.get("risk_description") or ""),
        cashable_savings=None if withheld else _decimal(entry.get("cashable_savings")),
        withheld=withheld,
        has_committee_fields="eqia_status" in entry,
    )


@dataclass(frozen=True, slots=True)
class Weight:
    criterion: str
    direction: str  # "Benefit (higher is better)" or "Cost (higher is worse)"
    weight: Decimal | None


@dataclass(frozen=True, slots=True)
class MethodText:
    """How the ranking was made, in the words the plan page and the method CSV use."""

    label: str
    formula: str
    profile_name: str
    ranked_at: str
    weights: list[Weight]
    schedule: str  # how the roadmap was scheduled ('' for plans without a delivery plan)
    ranges: str = ""  # how sure each rank is: the rank ranges' sampling ('' in older plans)

    @property
    def summary(self) -> str:
        profile = f" with the “{self.profile_name}” weighting profile" if self.profile_name else ""
        when = f" on {self.ranked_at}" if self.ranked_at else ""
        return f"Items were ranked by {self.label}{profile}{when}."


@dataclass(frozen=True, slots=True)
class OptionYear:
    year: str
    cost: Decimal | None


@dataclass(frozen=True, slots=True)
class Option:
    """A weighting option frozen with the plan (snapshot["options"], see common.md)."""

    name: str
    description: str
    method: str
    is_baseline: bool
    is_recommended: bool
    weights: list[tuple[str, Decimal | None]]
    top: list[str]  # "DIG-001 Title" of its top ten, in rank order
    now: list[str]
    only_in_now: list[str]
    total_score: Decimal | None
    cost_by_year: list[OptionYear]


def _option(raw: dict[str, Any]) -> Option:
    return Option(
        name=str(raw.get("name") or ""),
        description=str(raw.get("description") or ""),
        method=str(raw.get("method") or ""),
        is_baseline=bool(raw.get("is_baseline")),
        is_recommended=bool(raw.get("is_recommended")),
        weights=[
            (str(w.get("criterion") or ""), _decimal(w.get("weight")))
            for w in raw.get("weights") or []
        ],
        top=[
            f"{t.get('reference', '')} {t.get('title', '')}".strip() for t in raw.get("top") or []
        ],
        now=[str(ref) for ref in raw.get("now") or []],
        only_in_now=[str(ref) for ref in raw.get("only_in_now") or []],
        total_score=_decimal(raw.get("total_score")),
        cost_by_year=[
            OptionYear(str(y.get("year") or ""), _decimal(y.get("cost")))
            for y in raw.get("cost_by_year") or []
        ],
    )


@dataclass(frozen=True, slots=True)
class PlanFields:
    """The published plan's own fields (not in the snapshot)."""

    title: str
    committee: str
    meeting_date: date
    note: str = ""
    published_at: datetime | None = None
    slug: str = ""


class AnnexItems:
    """The full ranked list, mapped from the entries each time it is iterated: a
    1,000-item plan's Excel file never holds all its rows at once. `entries` is a callable
    returning a fresh iterable (the snapshot streams from the database a chunk at a time)."""

    def __init__(self, entries: Callable[[], Iterable[dict[str, Any]]], *, public: bool) -> None:
        self._entries = entries
        self._public = public

    def __iter__(self) -> Iterator[DocumentItem]:
        for entry in self._entries():
            yield document_item(entry, public=self._public)


@dataclass(frozen=True, slots=True)
class HorizonCount:
    label: str
    count: int


@dataclass(frozen=True)
class PlanDocument:
    council: str
    plan: PlanFields
    public: bool
    method: MethodText
    options: list[Option]
    totals: PlanTotals
    now: list[DocumentItem]
    next: list[DocumentItem]
    horizon_counts: list[HorizonCount]
    entry_count: int
    exempt_count: int
    annex: Iterable[DocumentItem]
    capacity: Decimal | None
    # Public version: the exempt items' costs by financial year, left out of the money table
    # so that the annex's costs cannot be subtracted from a total to reveal them.
    withheld_by_year: dict[int, tuple[float, float]] = field(default_factory=dict)

    @property
    def version_name(self) -> str:
        return "Public version" if self.public else "Full version"

    @property
    def version_label(self) -> str:
        return (
            self.version_name
            if self.public
            else f"{self.version_name} (includes exempt information)"
        )

    @property
    def running_head(self) -> str:
        """What every page's header says: council, plan title and which version it is."""
        return f"{self.council}: {self.plan.title}. {self.version_name}"

    @property
    def meeting_date_label(self) -> str:
        return f"{self.plan.meeting_date:%-d %B %Y}"

    @property
    def quarters(self) -> list[QuarterTotals]:
        return self.totals.quarters

    @property
    def years(self) -> list[YearTotals]:
        return self.totals.years

    @property
    def money_years(self) -> list[committee.MoneyYear]:
        return committee.money_years(self.years, self.withheld_by_year)

    @property
    def money_note(self) -> str:
        return committee.MONEY_NOTE if self.withheld_by_year else ""


def _method(head: dict[str, Any], totals: PlanTotals) -> MethodText:
    method = str(head.get("method") or "")
    weights = [
        Weight(
            criterion=str(c.get("name") or ""),
            direction=(
                "Cost (higher is worse)"
                if c.get("direction") == "cost"
                else "Benefit (higher is better)"
            ),
            weight=_decimal(c.get("weight")),
        )
        for c in head.get("criteria") or []
        if isinstance(c, dict)
    ]
    return MethodText(
        label=str(head.get("method_label") or method),
        formula=str(head.get("method_formula") or METHOD_FORMULAS.get(method, "")),
        profile_name=str(head.get("profile_name") or ""),
        ranked_at=str(head.get("ranked_at_label") or ""),
        weights=weights,
        schedule=f"Scheduled by {totals.mode_label.lower()}." if totals.has_plan else "",
        ranges=str(head.get("robustness_text") or ""),
    )


def build_plan_document(
    *,
    council: str,
    plan: PlanFields,
    head: dict[str, Any],
    entries: Callable[[], Iterable[dict[str, Any]]],
    public: bool,
) -> PlanDocument:
    """The plan document: one pass over the entries for Now, Next and the counts; the annex
    iterates them again when a renderer reads it."""
    totals = plan_totals(head)
    near: dict[str, list[DocumentItem]] = {NOW: [], NEXT: []}
    counts: dict[str, int] = {}
    entry_count = exempt_count = 0
    quarters = (head.get("plan") or {}).get("quarters") or []
    withheld: dict[int, tuple[float, float]] = {}
    for entry in entries():
        entry_count += 1
        horizon = str(entry.get("horizon") or "")
        counts[horizon] = counts.get(horizon, 0) + 1
        if entry.get("exempt_paragraph") not in (None, ""):
            exempt_count += 1
            if public:
                committee.withhold_costs(withheld, entry, quarters)
        if horizon in near:
            near[horizon].append(document_item(entry, public=public))
    return PlanDocument(
        council=str(head.get("council") or council),
        plan=plan,
        public=public,
        method=_method(head, totals),
        options=[_option(o) for o in head.get("options") or [] if isinstance(o, dict)],
        totals=totals,
        now=near[NOW],
        next=near[NEXT],
        horizon_counts=[
            HorizonCount(label, counts[key])
            for key, label in HORIZON_LABELS.items()
            if key in counts
        ],
        entry_count=entry_count,
        exempt_count=exempt_count,
        annex=AnnexItems(entries, public=public),
        capacity=_decimal(head.get("capacity")),
        withheld_by_year=committee.costs_worth_withholding(withheld),
    )


def plan_document(plan: Any, *, public: bool) -> PlanDocument:
    """The document of a PublishedPlan, its snapshot read by the database in chunks."""
    return build_plan_document(
        council=plan.council.name,
        plan=PlanFields(
            title=plan.title,
            committee=plan.committee,
            meeting_date=plan.meeting_date,
            note=plan.note,
            published_at=plan.published_at,
            slug=plan.slug,
        ),
        head=snapshot_head(plan),
        entries=lambda: snapshot_entries(plan),
        public=public,
    )


# --- Tables shared by the Word and PDF renderers -------------------------------------------


@dataclass(frozen=True, slots=True)
class Table:
    """A table as text: Word and PDF render the same cells. `numeric` columns align right;
    `widths` are relative column widths. Rows may be a one-pass iterable (the annex)."""

    caption: str
    head: tuple[str, ...]
    rows: Iterable[tuple[str, ...]]
    numeric: frozenset[int] = frozenset()
    widths: tuple[int, ...] = ()
    lead: int | None = None  # the column whose first line names the item (set in bold)

    @property
    def width_percents(self) -> list[float]:
        total = sum(self.widths)
        return [round(100 * width / total, 2) for width in self.widths] if total else []


def item_cell(item: DocumentItem) -> str:
    """The item's reference and title, with its exempt mark on a line of its own."""
    text = f"{item.reference} {item.title}"
    return f"{text}\n{item.exempt_text}" if item.is_exempt else text


def weights_table(document: PlanDocument) -> Table:
    return Table(
        caption="Criteria and their weights",
        head=("Criterion", "Direction", "Weight"),
        rows=[(w.criterion, w.direction, number(w.weight)) for w in document.method.weights],
        numeric=frozenset({2}),
        widths=(5, 4, 2),
    )


def option_label(option: Option) -> str:
    if option.is_recommended:
        return f"{option.name} (recommended: this plan)"
    return f"{option.name} (baseline)" if option.is_baseline else option.name


def option_costs(document: PlanDocument, option: Option) -> str:
    if document.withheld_by_year:
        return committee.OPTION_COSTS_WITHHELD
    return "\n".join(f"{y.year}: {money(y.cost)}" for y in option.cost_by_year)


def options_table(document: PlanDocument) -> Table:
    return Table(
        caption="Options considered",
        head=(
            "Option",
            "What it favours",
            "Score delivered",
            "Cost by year",
            "Only this option puts in Now",
        ),
        rows=[
            (
                option_label(o),
                o.description,
                number(o.total_score),
                option_costs(document, o),
                ", ".join(o.only_in_now) or "None",
            )
            for o in document.options
        ],
        numeric=frozenset({2}),
        widths=(3, 5, 2, 3, 3),
    )


def money_table(document: PlanDocument) -> Table:
    def budget(value: float | None) -> str:
        return "Not set" if value is None else money(value)

    def cost(value: float, over: bool) -> str:
        return f"{money(value)} (over budget)" if over else money(value)

    note = f" ({document.money_note})" if document.money_note else ""
    return Table(
        caption=f"Money by financial year against budget{note}",
        head=(
            "Financial year",
            "One-off cost",
            "One-off budget",
            "Recurring cost",
            "Recurring budget",
        ),
        rows=[
            (
                row.totals.label,
                cost(row.one_off, row.totals.one_off_over),
                budget(row.totals.one_off_budget),
                cost(row.recurring, row.totals.recurring_over),
                budget(row.totals.recurring_budget),
            )
            for row in document.money_years
        ],
        numeric=frozenset({1, 2, 3, 4}),
        widths=(3, 3, 3, 3, 3),
    )


def capacity_table(document: PlanDocument) -> Table:
    return Table(
        caption="Capacity by quarter (team-days)",
        head=("Quarter", "Capacity", "In progress", "New work", "Spare"),
        rows=[
            (
                q.label,
                number(q.capacity),
                number(q.committed),
                number(q.new),
                f"Over by {number(-q.spare)}" if q.over else number(q.spare),
            )
            for q in document.quarters
        ],
        numeric=frozenset({1, 2, 3, 4}),
        widths=(4, 2, 2, 2, 2),
    )


def near_table(label: str, items: list[DocumentItem]) -> Table:
    return Table(
        caption=f"{label}: {len(items)} item{'' if len(items) == 1 else 's'}",
        head=("Rank", "Item", "Wards", "Key decision", "EqIA", "DPIA", "Risk"),
        rows=[
            (
                i.rank_label,
                item_cell(i),
                i.wards,
                i.key_decision_label,
                i.eqia_text,
                i.dpia_text,
                i.risk_text,
            )
            for i in items
        ],
        numeric=frozenset({0}),
        widths=(5, 13, 7, 7, 8, 8, 12),
        lead=1,
    )


def annex_table(document: PlanDocument) -> Table:
    def row(i: DocumentItem) -> tuple[str, ...]:
        item = item_cell(i)
        if i.problem_text:
            item = f"{item}\n{i.problem_text}"
        when = f"{i.horizon} ({i.quarters})" if i.quarters else i.horizon
        return (
            i.rank_label,
            item,
            i.theme,
            number(i.score),
            when,
            i.one_off_text,
            i.recurring_text,
        )

    count = document.entry_count
    caption = f"Every ranked item, in rank order ({count})"
    if count > ANNEX_ROWS:
        caption = (
            f"The first {ANNEX_ROWS:,} of {count:,} ranked items; the Excel version lists them all"
        )
    return Table(
        caption=caption,
        head=(
            "Rank",
            "Item and problem statement",
            "Theme",
            "Score",
            "Horizon",
            "One-off cost",
            "Recurring cost",
        ),
        rows=(row(i) for i in islice(document.annex, ANNEX_ROWS)),
        numeric=frozenset({0, 3, 5, 6}),
        widths=(5, 19, 8, 5, 8, 7, 8),
        lead=1,
    )


def summary_lines(document: PlanDocument) -> list[str]:
    """The summary's sentences: what was ranked, where it went, and the exempt items."""
    counts = ", ".join(f"{c.count} in {c.label}" for c in document.horizon_counts)
    lines = [
        f"{document.entry_count} item{'' if document.entry_count == 1 else 's'} ranked"
        + (f": {counts}." if counts else ".")
    ]
    if document.capacity is not None:
        lines.append(f"Delivery capacity: {number(document.capacity)} team-days a quarter.")
    if document.exempt_count:
        what = "is" if document.exempt_count == 1 else "are"
        lines.append(
            f"{document.exempt_count} item{'' if document.exempt_count == 1 else 's'} {what} marked"
            " as exempt information under Schedule 12A to the Local Government Act 1972."
            + (
                " Their problem statements and costs are left out of this public version."
                if document.public
                else ""
            )
        )
    return lines
