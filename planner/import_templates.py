"""Blank import templates: every column the import reads, in the export's order, with one
example row. The .xlsx (xlsxwriter) has drop-down lists on the choice columns (status,
delivery stage, theme and anything else in csv_import.CHOICE_RULES) and a 1-5 whole-number
rule on score columns. Every download is recorded in the export audit."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import xlsxwriter

from councils.models import Council
from planner import committee, csv_import
from planner import csv_export as columns
from planner.csv_safety import neutralise
from planner.models import SCALE_MAX, SCALE_MIN, ExemptParagraph
from planner.xlsx_import import XLSX_CONTENT_TYPE

KINDS = ("csv", "xlsx")
# An example row, by column; a column without one (a newer one) is left blank.
EXAMPLE = {
    columns.REFERENCE: "",
    columns.TITLE: "Online parking permits",
    columns.EFFORT: "40",
    columns.ONE_OFF_COST: "25000",
    columns.RECURRING_COST: "3000",
    columns.DEPENDS_ON: "",
    columns.OWNER: "Head of Parking",
    columns.PROBLEM: "Residents queue at the civic centre to renew a permit.",
    committee.WARDS: committee.ALL_WARDS,
    committee.KEY_DECISION: committee.NO,
    committee.EXEMPT_PARAGRAPH: "",  # most items are not exempt
    committee.FUNDING_SOURCE: "Digital transformation reserve",
    committee.RISK_DESCRIPTION: "Supplier capacity in the spring",
    committee.CASHABLE_SAVINGS: "12000",
    committee.NON_CASHABLE_BENEFITS: "Fewer visits to the civic centre",
}
EXAMPLE_SCORE = "3"


@dataclass(frozen=True)
class Download:
    filename: str
    content: bytes
    content_type: str


def template_columns(council: Council) -> tuple[list[str], dict[str, list[str]], list[str]]:
    """Headings; the allowed values of each choice column; the score columns."""
    choices: dict[str, list[str]] = {
        column: [str(label) for _, label in choice_class.choices]
        for column, _field, choice_class in csv_import.CHOICE_RULES
    }
    choices[columns.THEME] = list(
        council.themes.filter(retired=False)
        .order_by("position", "name")
        .values_list("name", flat=True)
    )
    choices.update(_committee_choices(council))
    criteria = council.criteria.filter(active=True, derived_from_estimate=False)
    scores = [columns.criterion_heading(c.name) for c in criteria.order_by("position", "id")]
    return [*csv_import.ITEM_COLUMNS, *scores], choices, scores


def _committee_choices(council: Council) -> dict[str, list[str]]:
    """The committee columns that take one value from a list (wards take several, so none)."""
    choices: dict[str, list[str]] = {}
    for column in committee.COMMITTEE_COLUMNS:
        if column.kind == "choice" and column.choices is not None:
            choices[column.header] = [str(label) for _, label in column.choices.choices]
        elif column.kind == "yes_no":
            choices[column.header] = [committee.YES, committee.NO]
        elif column.kind == "paragraph":
            choices[column.header] = [str(value) for value in ExemptParagraph.values]
        elif column.kind == "directorate":
            choices[column.header] = list(
                council.directorates.order_by("name").values_list("name", flat=True)
            )
    return choices


def example_row(head: list[str], choices: dict[str, list[str]], scores: list[str]) -> list[str]:
    return [
        EXAMPLE_SCORE
        if name in scores
        else EXAMPLE[name]
        if name in EXAMPLE
        else (choices[name][0] if choices.get(name) else "")
        for name in head
    ]


def build(*, council: Council, user: Any, kind: str) -> Download:
    head, choices, scores = template_columns(council)
    row = example_row(head, choices, scores)
    filename = f"{council.slug}-import-template.{kind}"
    if kind == "csv":
        content = b"".join(columns.csv_chunks(head, [[neutralise(c) for c in row]]))
        download = Download(filename, content, "text/csv; charset=utf-8")
    else:
        download = Download(filename, _xlsx(head, row, choices, scores), XLSX_CONTENT_TYPE)
    columns.record_export(
        council=council,
        user=user,
        kind="import template",
        description=f"Import template ({kind})",
        filename=filename,
    )
    return download


def _xlsx(
    head: list[str], row: list[str], choices: dict[str, list[str]], scores: list[str]
) -> bytes:
    buffer = io.BytesIO()
    # strings_to_formulas off: nothing in a template runs when it is opened.
    workbook = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    sheet = workbook.add_worksheet("Backlog")
    bold = workbook.add_format({"bold": True})
    # Lists of allowed values live on a second sheet, so a long theme list fits.
    lists = workbook.add_worksheet("Lists")
    last_row = 10_000
    for position, name in enumerate(head):
        sheet.write_string(0, position, name, bold)
        sheet.write_string(1, position, row[position])
        sheet.set_column(position, position, max(12, min(len(name) + 2, 40)))
        allowed = choices.get(name)
        if allowed:
            lists.write_string(0, position, name, bold)
            for offset, value in enumerate(allowed, start=1):
                lists.write_string(offset, position, value)
            col = xlsxwriter.utility.xl_col_to_name(position)
            sheet.data_validation(
                1,
                position,
                last_row,
                position,
                {
                    "validate": "list",
                    "source": f"=Lists!${col}$2:${col}${len(allowed) + 1}",
                    "error_message": f"Choose a {name.lower()} from the list.",
                },
            )
        elif name in scores:
            sheet.data_validation(
                1,
                position,
                last_row,
                position,
                {
                    "validate": "integer",
                    "criteria": "between",
                    "minimum": SCALE_MIN,
                    "maximum": SCALE_MAX,
                    "ignore_blank": True,
                    "error_message": f"A score is a whole number from {SCALE_MIN} to {SCALE_MAX}.",
                },
            )
    sheet.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()
