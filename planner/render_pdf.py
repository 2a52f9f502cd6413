"""The plan document as an A4 PDF, rendered on the server by WeasyPrint (needs Debian's Pango).

The print template (templates/planner/plan_document/) has its own stylesheet, not the site's:
the council's name and the plan's title run at the top of every page, "Page 3 of 7" at the
foot, headings never end a page (break-after: avoid) and table headers repeat on each page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import NamedTuple

from django.template.loader import render_to_string

from planner import plan_document as doc
from planner.plan_document import PlanDocument

CONTENT_TYPE = "application/pdf"
TEMPLATE = "planner/plan_document/document.html"
# WeasyPrint logs every layout step at INFO: noise in the server's log for each download.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


class Cell(NamedTuple):
    bold: str  # the item's name, in the lead column
    text: str
    numeric: bool


def cells(table: doc.Table) -> Iterator[list[Cell]]:
    """The table's rows with the lead column's first line split off to set it in bold."""
    for row in table.rows:
        out = []
        for index, text in enumerate(row):
            if index == table.lead:
                name, _, rest = text.partition("\n")
                out.append(Cell(name, rest, False))
            else:
                out.append(Cell("", text, index in table.numeric))
        yield out


class PrintTable(NamedTuple):
    """A table for the print template: its head and widths, and `cells` to loop over."""

    table: doc.Table

    @property
    def caption(self) -> str:
        return self.table.caption

    @property
    def head(self) -> tuple[str, ...]:
        return self.table.head

    @property
    def numeric(self) -> frozenset[int]:
        return self.table.numeric

    @property
    def width_percents(self) -> list[float]:
        return self.table.width_percents

    @property
    def cells(self) -> Iterator[list[Cell]]:
        return cells(self.table)


def html(document: PlanDocument) -> str:
    """The print page's HTML: the same tables as the Word document."""
    near = [("Now", document.now), ("Next", document.next)]
    has_plan = document.totals.has_plan
    tables = {
        "weights": PrintTable(doc.weights_table(document)),
        "options": PrintTable(doc.options_table(document)) if document.options else None,
        "money": PrintTable(doc.money_table(document)) if has_plan else None,
        "capacity": PrintTable(doc.capacity_table(document)) if has_plan else None,
        "near": [
            (label, PrintTable(doc.near_table(label, items)) if items else None)
            for label, items in near
        ],
        "annex": PrintTable(doc.annex_table(document)),
    }
    return render_to_string(
        TEMPLATE, {"document": document, "summary": doc.summary_lines(document), "tables": tables}
    )


def render(document: PlanDocument) -> bytes:
    # Imported here: WeasyPrint loads Debian's Pango when imported, and a machine without it
    # (a fresh `make run`) should still serve every page but this download.
    from weasyprint import HTML

    pdf = HTML(string=html(document)).write_pdf()
    assert pdf is not None  # write_pdf returns bytes when given no target
    return pdf
