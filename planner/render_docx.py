"""The plan document as a Word committee appendix (python-docx).

Headings use Word's built-in style names (Title, Heading 1, Heading 2), so a clerk pasting it
into the council's template gets the template's own headings; tables are real Word tables in
the built-in "Table Grid" style with a header row that repeats on every page. The main body is
set compact (10pt on A4, 2 cm margins) so a 50-item plan's body fits about four sides; the
full ranked list follows as an annex on a new page.
"""

from __future__ import annotations

import io
import re

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import Table as WordTable

from planner import plan_document as doc
from planner.plan_document import PlanDocument, Table

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BODY_WIDTH_CM = 17.0  # A4 less two 2 cm margins


# XML 1.0 has no place for most control characters; python-docx refuses them, so text pasted
# with a form feed or vertical tab would fail the whole download. Tabs and line breaks stay.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def _repeat_header(row) -> None:
    """Mark a table row as a header row that Word repeats at the top of each page."""
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


TABLE_TEXT = Pt(9)  # a point below the body, as committee appendices set their tables


def _cell_text(cell, text: str, *, bold: bool = False, right: bool = False) -> None:
    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(_xml_text(text))  # "\n" becomes a line break
    run.bold = bold
    run.font.size = TABLE_TEXT
    if right:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def add_table(document, table: Table) -> WordTable:
    caption = document.add_paragraph(_xml_text(table.caption), style="Caption")
    caption.paragraph_format.keep_with_next = True
    word_table = document.add_table(rows=1, cols=len(table.head))
    word_table.style = "Table Grid"
    word_table.alignment = WD_TABLE_ALIGNMENT.CENTER
    header = word_table.rows[0]
    _repeat_header(header)
    for index, (cell, text) in enumerate(zip(header.cells, table.head, strict=True)):
        _cell_text(cell, text, bold=True, right=index in table.numeric)
    for values in table.rows:
        cells = word_table.add_row().cells
        for index, (cell, text) in enumerate(zip(cells, values, strict=True)):
            if index == table.lead:
                name, _, rest = text.partition("\n")
                _cell_text(cell, name, bold=True)
                if rest:
                    cell.paragraphs[0].add_run(_xml_text("\n" + rest)).font.size = TABLE_TEXT
            else:
                _cell_text(cell, text, right=index in table.numeric)
    if table.widths:
        # Fixed widths in the table grid as well as on each cell: LibreOffice lays a table out
        # from its grid, Word from its cells, and autofit would let either squeeze the names.
        word_table.autofit = False
        total = sum(table.widths)
        for column, share in zip(word_table.columns, table.widths, strict=True):
            width = Cm(BODY_WIDTH_CM * share / total)
            column.width = width
            for cell in column.cells:
                cell.width = width
    return word_table


def _set_up(document) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2))
    normal = document.styles["Normal"]
    normal.font.size = Pt(10)
    normal.paragraph_format.space_after = Pt(4)
    for name in ("Heading 1", "Heading 2"):
        document.styles[name].paragraph_format.keep_with_next = True


def _field(paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word fills in when it lays out the pages."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _header_and_footer(document, plan: PlanDocument) -> None:
    """The council's name, the plan's title and the version at the top of every page, and
    "Page 3 of 7" at the foot."""
    section = document.sections[0]
    paragraph = section.header.paragraphs[0]
    paragraph.text = _xml_text(plan.running_head)
    paragraph.runs[0].font.size = Pt(8)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    footer.add_run("Page ")
    _field(footer, "PAGE")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES")


def render(plan: PlanDocument) -> bytes:
    document = Document()
    _set_up(document)
    _header_and_footer(document, plan)
    document.core_properties.title = _xml_text(plan.plan.title)
    document.core_properties.author = _xml_text(plan.council)

    document.add_heading(_xml_text(plan.plan.title), level=0)
    meeting = f"{plan.plan.committee}, {plan.meeting_date_label}"
    document.add_paragraph(_xml_text(f"{plan.council}. {meeting}. {plan.version_label}."))

    document.add_heading("Summary", level=1)
    for line in doc.summary_lines(plan):
        document.add_paragraph(_xml_text(line))
    if plan.plan.note:
        document.add_heading("Recommendations", level=2)
        for paragraph in plan.plan.note.split("\n\n"):
            document.add_paragraph(_xml_text(paragraph.strip()))

    document.add_heading("How the ranking was made", level=1)
    document.add_paragraph(_xml_text(plan.method.summary))
    document.add_paragraph(_xml_text(plan.method.formula))
    for paragraph in (plan.method.schedule, plan.method.ranges):
        if paragraph:
            document.add_paragraph(_xml_text(paragraph))
    add_table(document, doc.weights_table(plan))

    if plan.options:
        document.add_heading("Options considered", level=1)
        add_table(document, doc.options_table(plan))

    if plan.totals.has_plan:
        document.add_heading("Money and capacity", level=1)
        document.add_heading("Money by financial year", level=2)
        add_table(document, doc.money_table(plan))
        document.add_heading("Capacity by quarter", level=2)
        add_table(document, doc.capacity_table(plan))

    document.add_heading("Now and Next", level=1)
    for label, items in (("Now", plan.now), ("Next", plan.next)):
        document.add_heading(label, level=2)
        if items:
            add_table(document, doc.near_table(label, items))
        else:
            document.add_paragraph(f"Nothing in {label}.")

    document.add_page_break()
    document.add_heading("Annex: the full ranked list", level=1)
    add_table(document, doc.annex_table(plan))

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
