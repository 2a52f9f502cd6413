"""The import preview stays small whatever the file (issue 14 item 2): the column count is
capped before rows are read, repeated warnings are summarised, and the preview's rows and
errors are paginated 200 at a time with counts."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from planner import csv_import
from planner.models import PendingImport

pytestmark = pytest.mark.django_db

COMMAS = 2_599_998  # the reported file: a header, then 2.6 million commas (about 2.6 MB)


def _pending(client, council, text: str) -> str:
    response = client.post(
        reverse("import", args=[council.slug]),
        {"file": SimpleUploadedFile("big.csv", text.encode(), "text/csv")},
    )
    assert response.status_code == 302, response.text[:500]
    return response["Location"]


def _rows(count: int, theme: str = "Procurement") -> str:
    return "".join(f"Item {n:05d},{theme}\r\n" for n in range(count))


def test_millions_of_trailing_empty_columns_make_one_warning(council):
    text = "Title,Theme" + "," * COMMAS + "\r\nOnline permits,Procurement\r\n"
    preview = csv_import.validate(council=council, text=text)
    assert preview.ok
    assert preview.warnings == [f"{COMMAS:,} columns have no heading and were ignored."]
    assert [row.title for row in preview.rows] == ["Online permits"]


def test_rows_with_the_same_trailing_commas_are_read(council):
    text = "Title,Theme,,,\r\nA,Procurement,,,\r\nB,Procurement\r\nC,Procurement,,\r\n"
    preview = csv_import.validate(council=council, text=text)
    assert preview.ok, preview.errors
    assert [row.title for row in preview.rows] == ["A", "B", "C"]
    assert preview.warnings == ["3 columns have no heading and were ignored."]


def test_one_empty_heading_is_still_named(council):
    preview = csv_import.validate(council=council, text="Title,Theme,\r\nA,Procurement,x\r\n")
    assert preview.ok
    assert preview.warnings == ["Column 3 has no heading and was ignored."]


def test_empty_headings_between_columns_are_counted_with_trailing_ones(council):
    preview = csv_import.validate(
        council=council, text="Title,,Theme,,\r\nA,note,Procurement,,\r\n"
    )
    assert preview.ok
    assert preview.warnings == ["3 columns have no heading and were ignored."]


def test_more_than_200_named_columns_are_refused_before_any_row_is_read(council):
    header = ",".join(["Title", "Theme"] + [f"Extra {n}" for n in range(199)])
    # An unreadable row: had rows been parsed, its bad quoting would be the error reported.
    text = header + '\r\nA,"unterminated\r\n'
    preview = csv_import.validate(council=council, text=text)
    assert preview.file_errors == [
        "The file has 201 columns. At most 200 can be imported: delete the columns you do "
        "not need and upload it again."
    ]
    assert not preview.rows and not preview.errors


def test_200_columns_are_allowed_and_unknown_ones_are_summarised(council):
    header = ",".join(["Title", "Theme"] + [f"Extra {n}" for n in range(198)])
    text = header + "\r\nA,Procurement" + "," * 198 + "\r\n"
    preview = csv_import.validate(council=council, text=text)
    assert preview.ok
    assert preview.warnings == [
        "198 columns are not recognised and were ignored: \u201cExtra 0\u201d, "
        "\u201cExtra 1\u201d, \u201cExtra 2\u201d, \u201cExtra 3\u201d, \u201cExtra 4\u201d "
        "and 193 more."
    ]


def test_the_reported_file_previews_as_a_small_page(editor_client, council):
    text = "Title,Theme" + "," * COMMAS + "\r\n" + _rows(3)
    page = editor_client.get(_pending(editor_client, council, text))
    assert page.status_code == 200
    assert f"{COMMAS:,} columns have no heading and were ignored." in page.text
    assert len(page.content) < 100_000


def test_preview_shows_200_rows_a_page_with_counts(editor_client, council):
    url = _pending(editor_client, council, "Title,Theme\r\n" + _rows(450))
    first = editor_client.get(url).text
    assert "Showing rows 1 to 200 of 450" in first
    assert "Item 00199" in first and "Item 00200" not in first
    assert "Import 450 rows" in first  # applying still applies every row
    assert 'aria-label="Preview pages"' in first
    last = editor_client.get(url + "?page=3").text
    assert "Showing rows 401 to 450 of 450" in last
    assert "Item 00400" in last and "Item 00399" not in last
    # A page number out of range shows the last page, not an error.
    assert "Showing rows 401 to 450" in editor_client.get(url + "?page=99").text
    assert "Showing rows 1 to 200" in editor_client.get(url + "?page=x").text


def test_preview_errors_are_paginated_too(editor_client, council):
    url = _pending(editor_client, council, "Title,Theme\r\n" + _rows(250, theme="Blockchain"))
    first = editor_client.get(url).text
    assert "Showing errors 1 to 200 of 250" in first
    assert first.count("is not a theme of this council") == 200 + 10  # table + summary
    second = editor_client.get(url + "?page=2").text
    assert "Showing errors 201 to 250 of 250" in second
    assert 'id="error-201"' in second


def test_a_short_preview_has_no_pages(editor_client, council):
    page = editor_client.get(_pending(editor_client, council, "Title,Theme\r\n" + _rows(5))).text
    assert "Showing rows" not in page and "Preview pages" not in page
    assert PendingImport.objects.count() == 1
