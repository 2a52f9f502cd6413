"""Each renderer read back: python-docx for headings and tables, openpyxl for sheets, formats
and neutralised cells, pypdf for pages, running heads and the exempt item's text."""

from __future__ import annotations

import io
import re

import docx
import openpyxl
import pytest
from pypdf import PdfReader

from planner import render_docx, render_pdf, render_xlsx
from tests.planner.plan_snapshots import EXEMPT_PROBLEM, RANGES_TEXT, document, snapshot

# £987,654 and £45,678 as any renderer may print them.
EXEMPT_COST_PATTERN = re.compile(r"987,?654|45,?678")


# --- Word ---------------------------------------------------------------------------------


def _word(public: bool = True, **kwargs) -> docx.document.Document:
    return docx.Document(
        io.BytesIO(render_docx.render(document(snapshot(**kwargs), public=public)))
    )


def _word_text(word) -> str:
    cells = [cell.text for table in word.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in word.paragraphs] + cells)


def test_word_headings_use_the_built_in_styles():
    word = _word()
    headings = [
        (p.style.name, p.text)
        for p in word.paragraphs
        if p.style.name.startswith(("Title", "Heading"))
    ]
    assert headings[0] == ("Title", "Digital priorities 2026/27")
    assert [text for style, text in headings if style == "Heading 1"] == [
        "Summary",
        "How the ranking was made",
        "Options considered",
        "Money and capacity",
        "Now and Next",
        "Annex: the full ranked list",
    ]
    assert ("Heading 2", "Recommendations") in headings
    assert ("Heading 2", "Capacity by quarter") in headings


def test_word_tables_are_real_tables_with_repeating_header_rows():
    word = _word()
    # weights, options, money, capacity, Now, Next, annex
    assert len(word.tables) == 7
    for table in word.tables:
        header = table.rows[0]._tr
        assert (
            header.trPr is not None and header.trPr.find(docx.oxml.ns.qn("w:tblHeader")) is not None
        )
    annex = word.tables[-1]
    assert [c.text for c in annex.rows[0].cells][:2] == ["Rank", "Item and problem statement"]
    assert len(annex.rows) == 51
    now = word.tables[4]
    assert [c.text for c in now.rows[0].cells] == [
        "Rank",
        "Item",
        "Wards",
        "Key decision",
        "EqIA",
        "DPIA",
        "Risk",
    ]
    assert now.rows[1].cells[2].text == "Abbey; Castle"


def test_word_is_a4_and_names_the_council_on_every_page():
    word = _word()
    section = word.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    footer = section.footer.paragraphs[0]._p.xml
    assert 'w:instr="PAGE"' in footer and 'w:instr="NUMPAGES"' in footer
    assert section.footer.paragraphs[0].text.startswith("Page ")
    assert section.header.paragraphs[0].text.startswith(
        "Northshire Council: Digital priorities 2026/27"
    )


def test_word_without_options_or_committee_fields_leaves_the_section_out():
    word = _word(options=False, committee_fields=False)
    assert "Options considered" not in [p.text for p in word.paragraphs]
    text = _word_text(word)
    assert "Not recorded" not in text and "Item number 1" in text


def test_word_public_version_has_no_exempt_problem_or_costs_and_the_full_one_does():
    public = _word_text(_word(public=True))
    assert EXEMPT_PROBLEM not in public and not EXEMPT_COST_PATTERN.search(public)
    assert "Exempt: paragraph 3" in public
    full = _word_text(_word(public=False))
    assert EXEMPT_PROBLEM in full and EXEMPT_COST_PATTERN.search(full)


def test_word_main_body_is_compact_for_a_50_item_plan():
    """No LibreOffice here to count pages, so check what drives the length: 10pt body on A4
    with 2 cm margins, and the main body's tables hold Now and Next only (20 items here)."""
    word = _word()
    assert word.styles["Normal"].font.size.pt == 10
    assert round(word.sections[0].left_margin.cm) == 2
    body_rows = sum(len(table.rows) for table in word.tables[:-1])
    assert body_rows <= 40


# --- Excel --------------------------------------------------------------------------------


def _book(public: bool = True, snap=None) -> openpyxl.Workbook:
    data = render_xlsx.render(document(snap or snapshot(), public=public))
    return openpyxl.load_workbook(io.BytesIO(data))


def test_excel_has_the_five_sheets_with_frozen_headers_and_filters():
    book = _book()
    assert book.sheetnames == ["Summary", "Ranking", "Roadmap", "Money", "Method"]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref, sheet.title
    ranking = book["Ranking"]
    assert ranking.auto_filter.ref == "A1:V51"
    assert ranking.column_dimensions["C"].width > 30


def test_excel_figures_are_numbers_with_pound_formats():
    ranking = _book()["Ranking"]
    head = [c.value for c in ranking[1]]
    one_off = head.index("One-off cost (£)") + 1
    cell = ranking.cell(row=2, column=one_off)
    assert cell.value == 1500 and cell.number_format == "£#,##0"
    assert ranking.cell(row=2, column=1).value == 1  # rank as a number, so it sorts
    money = _book()["Money"]
    assert money["B2"].value == 120000 and money["B2"].number_format == "£#,##0"
    assert money["F2"].value == "one-off"


def test_excel_text_is_never_a_formula_and_is_neutralised_like_the_csv():
    snap = snapshot()
    snap["entries"][0]["title"] = "=1+1"
    snap["entries"][1]["title"] = "@SUM(A1)"
    ranking = _book(snap=snap)["Ranking"]
    assert ranking["C2"].value == "'=1+1" and ranking["C2"].data_type == "s"
    assert ranking["C3"].value == "'@SUM(A1)" and ranking["C3"].data_type == "s"
    for sheet in _book(snap=snap).worksheets:
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row)


def test_excel_public_version_withholds_the_exempt_item():
    book = _book(public=True)
    text = repr([[c.value for c in row] for row in book["Ranking"].iter_rows()])
    assert EXEMPT_PROBLEM not in text and "987654" not in text and "45678" not in text
    assert "Exempt: paragraph 3" in text and "Withheld" in text
    full = repr([[c.value for c in row] for row in _book(public=False)["Ranking"].iter_rows()])
    assert EXEMPT_PROBLEM in full and "987654" in full


def test_excel_summary_and_method_sheets():
    book = _book()
    summary = {
        row[0].value: row[1].value
        for row in book["Summary"].iter_rows(min_row=2)
        if row[0].value != "Summary"
    }
    assert summary["Council"] == "Northshire Council" and summary["Committee"] == "Cabinet"
    assert summary["Version"] == "Public version"
    method = [[c.value for c in row] for row in book["Method"].iter_rows()]
    assert method[1][:3] == ["Citizen impact", "Benefit (higher is better)", 30]
    assert any(row[0] == "Option: Residents first" for row in method)


# --- PDF ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdfs():
    return {
        public: PdfReader(io.BytesIO(render_pdf.render(document(snapshot(), public=public))))
        for public in (True, False)
    }


def _pages(reader) -> list[str]:
    return [page.extract_text() for page in reader.pages]


def test_pdf_is_a4_with_council_title_and_page_numbers_on_every_page(pdfs):
    reader = pdfs[True]
    pages = _pages(reader)
    assert 3 <= len(pages) <= 10
    for number, text in enumerate(pages, start=1):
        assert "Northshire Council: Digital priorities 2026/27. Public version" in text
        assert f"Page {number} of {len(pages)}" in text
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width) / 72 * 25.4), round(float(height) / 72 * 25.4)) == (210, 297)


def test_pdf_annex_starts_a_page_and_its_header_repeats(pdfs):
    pages = _pages(pdfs[True])
    annex = next(i for i, text in enumerate(pages) if "Annex: the full ranked list" in text)
    # The main body (everything before the annex) fits four sides for a 50-item plan.
    assert 1 <= annex <= 4
    # 50 annex rows do not fit one page: the column headings repeat on the next.
    assert "Item and problem statement" in pages[annex + 1]


def test_pdf_public_version_has_no_exempt_problem_or_costs_and_the_full_one_does(pdfs):
    public = "\n".join(_pages(pdfs[True]))
    assert EXEMPT_PROBLEM.split(" for ")[0] not in public
    assert not EXEMPT_COST_PATTERN.search(public)
    assert "Exempt: paragraph 3" in public
    full = "\n".join(_pages(pdfs[False])).replace("\n", " ")
    assert "Acme Ltd contract exit" in full and EXEMPT_COST_PATTERN.search(full)


def test_pdf_headings_are_not_left_at_the_foot_of_a_page(pdfs):
    for text in _pages(pdfs[False]):
        lines = [
            line for line in text.splitlines() if line.strip() and not line.startswith("Page ")
        ]
        assert lines[-1] not in {
            "Summary",
            "How the ranking was made",
            "Options considered",
            "Now and Next",
            "Now",
            "Next",
        }


def test_every_rendering_says_how_sure_the_ranks_are(pdfs):
    assert RANGES_TEXT in _word_text(_word())
    method = list(_book()["Method"].iter_rows(values_only=True))
    assert ("How sure each rank is", None, None, RANGES_TEXT) in method
    assert "worked out again 2,000 times" in " ".join(" ".join(_pages(pdfs[True])).split())


def test_word_tables_fix_their_column_widths_in_the_grid():
    """LibreOffice lays a table out from its grid: equal grid columns squeezed item names to a
    word a line. The item column is the widest, the rank the narrowest, and autofit is off."""
    ranked = [table for table in _word().tables if table.cell(0, 0).text == "Rank"]
    assert len(ranked) == 3  # Now, Next and the annex
    for table in ranked:
        grid = [column.width for column in table.columns]
        assert grid[1] == max(grid) > min(grid) == grid[0]
        assert table.autofit is False


def test_word_drops_control_characters_that_xml_cannot_hold():
    """Text pasted with a form feed or vertical tab (the item form lets them through) used to
    fail the whole download."""
    snap = snapshot()
    snap["entries"][0] = {**snap["entries"][0], "title": "Pay\x0cments", "problem": "One\x0btwo"}
    plan = document(snap, public=False, note="Approve\x0b the order.")
    word = docx.Document(io.BytesIO(render_docx.render(plan)))
    text = _word_text(word)
    assert "Payments" in text and "Onetwo" in text and "Approve the order." in text
