"""The plan document as an Excel workbook for finance partners (xlsxwriter).

Sheets: Summary, Ranking, Roadmap (quarters), Money, Method. Figures are real numbers with £
and team-day formats; each table has a frozen header row, an autofilter and set column widths.
Nothing in the file runs on open: every text cell is written with write_string (so "=1+1" is
text, never a formula), neutralised as the CSV exports are (csv_safety.neutralise), and the
workbook's strings_to_formulas / strings_to_urls conversions are off. constant_memory mode
writes each row to disk as it goes, so a 1,000-item plan takes the memory of a 200-item one.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import xlsxwriter

from planner.csv_safety import neutralise
from planner.plan_document import (
    WITHHELD,
    DocumentItem,
    PlanDocument,
    option_costs,
    summary_lines,
)

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
POUNDS = "£#,##0"
DAYS = "#,##0.0"
SCORE = "0.00"

# (heading, width, kind) per Ranking column; kind picks how the cell is written.
RANKING_COLUMNS: tuple[tuple[str, int, str], ...] = (
    ("Rank", 6, "rank"),
    ("Reference", 10, "text"),
    ("Title", 40, "text"),
    ("Theme", 18, "text"),
    ("Status", 12, "text"),
    ("Score (0 to 100)", 10, "score"),
    ("Horizon", 12, "text"),
    ("Quarters", 18, "text"),
    ("Effort (team-days)", 10, "days"),
    ("One-off cost (£)", 12, "pounds"),
    ("Recurring cost (£)", 12, "pounds"),
    ("Cashable savings (£ a year)", 12, "pounds"),
    ("Funding", 24, "text"),
    ("Wards", 20, "text"),
    ("Directorate", 18, "text"),
    ("Key decision", 8, "text"),
    ("Exempt information", 28, "text"),
    ("EqIA", 14, "text"),
    ("DPIA", 14, "text"),
    ("Risk", 8, "text"),
    ("Risk description", 28, "text"),
    ("Problem statement", 50, "text"),
)


def _ranking_values(item: DocumentItem) -> tuple[Any, ...]:
    costs: tuple[Any, ...] = (
        (WITHHELD, WITHHELD, WITHHELD)
        if item.withheld
        else (item.one_off_cost, item.recurring_cost, item.cashable_savings)
    )
    return (
        item.rank,
        item.reference,
        item.title,
        item.theme,
        item.status,
        item.score,
        item.horizon,
        item.quarters,
        item.effort_days,
        *costs,
        item.funding,
        item.wards,
        item.directorate,
        item.key_decision_label,
        item.exempt_text,
        item.eqia_text,
        item.dpia_text,
        item.risk,
        item.risk_description,
        item.problem_text,
    )


class _Sheet:
    """One worksheet written row by row (constant_memory needs rows in order)."""

    def __init__(self, book: _Book, name: str, widths: Sequence[int]) -> None:
        self.book = book
        self.sheet = book.workbook.add_worksheet(name)
        self.row = 0
        for column, width in enumerate(widths):
            self.sheet.set_column(column, column, width, book.wrap if width >= 28 else None)

    def write(
        self, values: Sequence[Any], formats: Sequence[Any] = (), *, bold: bool = False
    ) -> None:
        for column, value in enumerate(values):
            cell_format = formats[column] if column < len(formats) else None
            if value is None or value == "":
                self.sheet.write_blank(self.row, column, None, cell_format)
            elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                self.sheet.write_number(self.row, column, float(value), cell_format)
            else:
                text_format = self.book.bold if bold else cell_format
                self.sheet.write_string(self.row, column, neutralise(str(value)), text_format)
        self.row += 1

    def table_head(self, head: Sequence[str]) -> int:
        """A bold header row, frozen when it is the sheet's first; returns its row number."""
        first = self.row
        self.write(head, bold=True)
        if first == 0:
            self.sheet.freeze_panes(1, 0)
        return first

    def filter(self, head_row: int, columns: int) -> None:
        self.sheet.autofilter(head_row, 0, max(head_row, self.row - 1), columns - 1)


class _Book:
    def __init__(self, output: io.BytesIO) -> None:
        self.workbook = xlsxwriter.Workbook(
            output,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        self.bold = self.workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        self.wrap = self.workbook.add_format({"text_wrap": True, "valign": "top"})
        self.formats = {
            "pounds": self.workbook.add_format({"num_format": POUNDS}),
            "days": self.workbook.add_format({"num_format": DAYS}),
            "score": self.workbook.add_format({"num_format": SCORE}),
            "rank": self.workbook.add_format({"num_format": "0"}),
            "text": None,
        }


def _summary(book: _Book, document: PlanDocument) -> None:
    sheet = _Sheet(book, "Summary", (22, 90))
    head = sheet.table_head(("Field", "Value"))
    plan = document.plan
    for values in (
        ("Council", document.council),
        ("Plan", plan.title),
        ("Committee", plan.committee),
        ("Meeting date", document.meeting_date_label),
        ("Version", document.version_label),
        ("Recommendations", plan.note),
        *(("Summary", line) for line in summary_lines(document)),
    ):
        sheet.write(values, (None, book.wrap))
    sheet.filter(head, 2)


def _ranking(book: _Book, document: PlanDocument) -> None:
    sheet = _Sheet(book, "Ranking", [width for _, width, _ in RANKING_COLUMNS])
    head = sheet.table_head([name for name, _, _ in RANKING_COLUMNS])
    formats = [book.formats[kind] for _, _, kind in RANKING_COLUMNS]
    for item in document.annex:
        sheet.write(_ranking_values(item), formats)
    sheet.filter(head, len(RANKING_COLUMNS))


def _roadmap(book: _Book, document: PlanDocument) -> None:
    sheet = _Sheet(book, "Roadmap", (28, 12, 12, 12, 12, 12))
    head = sheet.table_head(
        ("Quarter", "Starts", "Capacity (team-days)", "In progress", "New work", "Spare")
    )
    days = book.formats["days"]
    for q in document.quarters:
        sheet.write(
            (q.label, f"{q.start:%Y-%m-%d}", q.capacity, q.committed, q.new, q.spare),
            (None, None, days, days, days, days),
        )
    sheet.filter(head, 6)


def _money(book: _Book, document: PlanDocument) -> None:
    sheet = _Sheet(book, "Money", (16, 14, 14, 14, 14, 30))
    head = sheet.table_head(
        (
            "Financial year",
            "One-off cost (£)",
            "One-off budget (£)",
            "Recurring cost (£)",
            "Recurring budget (£)",
            "Over budget",
        )
    )
    pounds = book.formats["pounds"]
    for row in document.money_years:
        y = row.totals
        over = [
            what
            for what, flag in (("one-off", y.one_off_over), ("recurring", y.recurring_over))
            if flag
        ]
        sheet.write(
            (
                y.label,
                row.one_off,
                y.one_off_budget,
                row.recurring,
                y.recurring_budget,
                ", ".join(over),
            ),
            (None, pounds, pounds, pounds, pounds),
        )
    sheet.filter(head, 6)
    if document.money_note:
        sheet.write(())
        sheet.write((document.money_note,))


def _method(book: _Book, document: PlanDocument) -> None:
    method = document.method
    sheet = _Sheet(book, "Method", (30, 30, 12, 60))
    head = sheet.table_head(("Criterion", "Direction", "Weight", "Notes"))
    for weight in method.weights:
        sheet.write((weight.criterion, weight.direction, weight.weight, ""))
    sheet.filter(head, 4)
    sheet.write(())
    for label, text in (
        ("Method", method.label),
        ("How the score is worked out", method.formula),
        ("Weighting profile", method.profile_name),
        ("Ranking date", method.ranked_at),
        ("Schedule", method.schedule),
        ("How sure each rank is", method.ranges),
    ):
        sheet.write((label, "", "", text), (None, None, None, book.wrap))
    for option in document.options:
        costs = option_costs(document, option).replace("\n", "; ")
        sheet.write(
            (f"Option: {option.name}", option.description, option.total_score, costs),
            (book.wrap, book.wrap, book.formats["score"], book.wrap),
        )


def render(document: PlanDocument) -> bytes:
    output = io.BytesIO()
    book = _Book(output)
    _summary(book, document)
    _ranking(book, document)
    _roadmap(book, document)
    _money(book, document)
    _method(book, document)
    book.workbook.close()
    return output.getvalue()
