"""The plan document as an A4 PDF, rendered on the server by WeasyPrint (needs Debian's Pango).

The print template (templates/planner/plan_document/) has its own stylesheet, not the site's:
the council's name and the plan's title run at the top of every page, "Page 3 of 7" at the
foot, headings never end a page (break-after: avoid) and table headers repeat on each page.
"""

from __future__ import annotations

import logging

from django.template.loader import render_to_string
from weasyprint import HTML

from planner import plan_document as doc
from planner.plan_document import PlanDocument

CONTENT_TYPE = "application/pdf"
TEMPLATE = "planner/plan_document/document.html"
# WeasyPrint logs every layout step at INFO: noise in the server's log for each download.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def html(document: PlanDocument) -> str:
    """The print page's HTML: the same tables as the Word document."""
    near = [("Now", document.now), ("Next", document.next)]
    tables = {
        "weights": doc.weights_table(document),
        "options": doc.options_table(document) if document.options else None,
        "money": doc.money_table(document) if document.totals.has_plan else None,
        "capacity": doc.capacity_table(document) if document.totals.has_plan else None,
        "near": [(label, doc.near_table(label, items) if items else None) for label, items in near],
        "annex": doc.annex_table(document),
    }
    return render_to_string(
        TEMPLATE, {"document": document, "summary": doc.summary_lines(document), "tables": tables}
    )


def render(document: PlanDocument) -> bytes:
    pdf = HTML(string=html(document)).write_pdf()
    assert pdf is not None  # write_pdf returns bytes when given no target
    return pdf
