"""Importing an .xlsx workbook: first or chosen sheet, cell values as text, bad files and caps
refused with a clear message and nothing saved, and the preview's values read."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from planner import xlsx_import
from planner.csv_safety import MAX_COLUMNS, CsvFileError
from planner.models import PendingImport

pytestmark = pytest.mark.django_db

XLSX = xlsx_import.XLSX_CONTENT_TYPE


def workbook_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, council, data: bytes, name: str = "backlog.xlsx"):
    return client.post(
        reverse("import", args=[council.slug]), {"file": SimpleUploadedFile(name, data, XLSX)}
    )


def theme(council) -> str:
    return council.themes.first().name


def test_cell_values_become_text_the_csv_parsers_accept():
    assert xlsx_import.cell_text(None) == ""
    assert xlsx_import.cell_text(12.0) == "12"
    assert xlsx_import.cell_text(1234.5) == "1234.5"
    assert xlsx_import.cell_text(0.00001) == "0.00001"
    assert xlsx_import.cell_text(True) == "Yes"
    # Excel dates carry no time zone.
    assert xlsx_import.cell_text(datetime(2026, 4, 1)) == "2026-04-01"  # noqa: DTZ001
    assert xlsx_import.cell_text(date(2026, 4, 1)) == "2026-04-01"
    assert xlsx_import.cell_text(" Text ") == " Text "


def test_first_sheet_with_our_headings_goes_straight_to_a_preview_and_applies(
    editor_client, council
):
    data = workbook_bytes(
        {
            "Backlog": [
                ["Title", "Theme", "Effort (team-days)", "One-off cost (£)"],
                ["Online permits", theme(council), 12, 2500.5],
                [None, None, None, None],
                ["Webchat", theme(council), None, None],
            ],
            "Notes": [["Anything"]],
        }
    )
    response = upload(editor_client, council, data)
    pending = PendingImport.objects.get()
    assert response["Location"] == reverse("import_preview", args=[council.slug, pending.token])
    assert pending.sheet == "Backlog" and pending.sheet_names == ["Backlog", "Notes"]
    page = editor_client.get(response["Location"]).content.decode()
    assert "Import 2 rows" in page
    # Values read, not titles only: the effort and cost cells are shown.
    assert "<strong>Effort:</strong> 12" in page
    assert "<strong>One-off cost:</strong> 2500.50" in page
    apply = editor_client.post(reverse("import_apply", args=[council.slug, pending.token]))
    assert apply.status_code == 302
    permits = council.items.get(title="Online permits")
    assert permits.effort_days == Decimal("12.0")
    assert permits.one_off_cost == Decimal("2500.50")
    assert council.items.filter(title="Webchat").exists()


def test_a_chosen_sheet_is_read_instead_of_the_first(editor_client, council):
    data = workbook_bytes(
        {
            "Cover": [["Our backlog"], ["Prepared by the digital team"]],
            "Items": [["Title", "Theme"], ["From the second sheet", theme(council)]],
        }
    )
    response = upload(editor_client, council, data)
    pending = PendingImport.objects.get()
    # "Our backlog" is not one of our headings, so the columns are matched first.
    assert response["Location"] == reverse("import_columns", args=[council.slug, pending.token])
    page = editor_client.get(response["Location"]).content.decode()
    assert 'name="sheet"' in page and ">Items</option>" in page
    url = reverse("import_columns", args=[council.slug, pending.token])
    assert editor_client.post(url, {"sheet": "Items", "choose_sheet": "1"}).status_code == 302
    pending.refresh_from_db()
    assert pending.sheet == "Items" and "From the second sheet" in pending.text
    page = editor_client.get(url).content.decode()
    assert '<option value="Title" selected>' in page


def test_an_unknown_sheet_is_refused_and_the_upload_kept(editor_client, council):
    data = workbook_bytes({"A": [["Title", "Theme"], ["x", theme(council)]], "B": [["Title"]]})
    upload(editor_client, council, data)
    pending = PendingImport.objects.get()
    url = reverse("import_columns", args=[council.slug, pending.token])
    response = editor_client.post(url, {"sheet": "Nope", "choose_sheet": "1"})
    assert response.status_code == 400
    assert "Choose a sheet of the workbook." in response.content.decode()
    pending.refresh_from_db()
    assert pending.sheet == "A"


OLE2 = xlsx_import.OLE2_MAGIC + bytes(504)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (OLE2 + bytes(1024), "old Excel 97-2003 workbook (.xls)"),
        (OLE2 + "EncryptionInfo".encode("utf-16-le") + bytes(64), "protected with a password"),
        (b"PK\x03\x04" + b"not really a zip" * 20, "it may be damaged"),
    ],
    ids=["xls", "encrypted", "corrupt"],
)
def test_bad_workbooks_get_a_clear_error_and_nothing_is_saved(
    editor_client, council, data, message
):
    response = upload(editor_client, council, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PendingImport.objects.exists()


def test_a_zip_that_is_not_a_workbook_is_refused(editor_client, council):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    response = upload(editor_client, council, buffer.getvalue())
    assert response.status_code == 400
    assert "it may be damaged" in response.content.decode()
    assert not PendingImport.objects.exists()


def test_too_many_rows_stop_reading_at_the_cap(editor_client, council, settings):
    settings.IMPORT_MAX_ROWS = 5
    rows = [["Title", "Theme"]] + [[f"Item {n}", theme(council)] for n in range(6)]
    response = upload(editor_client, council, workbook_bytes({"Backlog": rows}))
    assert response.status_code == 400
    assert "more than 5 rows" in response.content.decode()
    assert not PendingImport.objects.exists()


def test_trailing_blank_rows_do_not_count_towards_the_cap(council, settings):
    settings.IMPORT_MAX_ROWS = 2
    rows = [["Title", "Theme"], ["a", "b"], ["c", "d"]] + [[None, None]] * 50
    sheet = xlsx_import.read_sheet(workbook_bytes({"S": rows}))
    assert sheet.text.count("\r\n") == 3


def test_too_many_columns_are_refused(editor_client, council):
    header = [f"Column {n}" for n in range(MAX_COLUMNS + 1)]
    response = upload(editor_client, council, workbook_bytes({"S": [header, ["x"] * len(header)]}))
    assert response.status_code == 400
    assert f"At most {MAX_COLUMNS} can be imported" in response.content.decode()
    assert not PendingImport.objects.exists()


def test_a_recorded_dimension_far_past_the_caps_is_refused_before_reading_rows(settings):
    settings.IMPORT_MAX_ROWS = 10

    class Huge:
        max_row = 1_000_000
        max_column = 3

    with pytest.raises(CsvFileError, match="1,000,000 rows"):
        xlsx_import._sheet_as_csv(iter(()), Huge())


def test_too_big_a_workbook_is_refused_before_it_is_read(editor_client, council, settings):
    settings.IMPORT_MAX_BYTES = 100
    data = workbook_bytes({"S": [["Title", "Theme"], ["x", "y"]]})
    response = upload(editor_client, council, data)
    assert response.status_code == 400
    assert "bigger than" in response.content.decode()
    assert not PendingImport.objects.exists()


def test_formulas_are_read_as_their_cached_values_never_run(council):
    book = Workbook()
    sheet = book.active
    sheet.append(["Title", "Theme"])
    sheet.append(["=1+1", '=HYPERLINK("http://evil")'])
    buffer = io.BytesIO()
    book.save(buffer)
    # openpyxl saves no cached value, so data_only reads the cells as empty: nothing evaluated.
    text = xlsx_import.read_sheet(buffer.getvalue()).text
    assert "evil" not in text
    assert text.strip() == "Title,Theme"  # the formula row reads as blank, so it is dropped


def test_viewers_cannot_upload_a_workbook(viewer_client, council):
    data = workbook_bytes({"S": [["Title", "Theme"], ["x", theme(council)]]})
    assert upload(viewer_client, council, data).status_code == 403
    assert not PendingImport.objects.exists()


def test_a_cover_sheet_first_is_skipped_for_the_first_sheet_with_a_table(editor_client, council):
    data = workbook_bytes(
        {
            "Cover": [["Backlog for the board"]],
            "Items": [["Title", "Theme"], ["Online permits", theme(council)]],
        }
    )
    upload(editor_client, council, data)
    pending = PendingImport.objects.get()
    assert pending.sheet == "Items"
    url = reverse("import_columns", args=[council.slug, pending.token])
    response = editor_client.post(url, {"sheet": "Cover", "choose_sheet": "1"})
    assert response.status_code == 400
    assert "no rows of data" in response.content.decode()
    pending.refresh_from_db()
    assert pending.sheet == "Items"


def test_a_workbook_with_no_table_anywhere_is_refused(editor_client, council):
    data = workbook_bytes({"Cover": [["Backlog for the board"]], "Notes": [["Nothing"]]})
    response = upload(editor_client, council, data)
    assert response.status_code == 400
    assert "no rows of data" in response.content.decode()
    assert not PendingImport.objects.exists()


def test_a_zip_that_inflates_past_the_limit_is_refused_before_inflating(monkeypatch):
    monkeypatch.setattr(xlsx_import, "MAX_INFLATED_BYTES", 1_000)
    data = workbook_bytes({"S": [["Title", "Theme"], ["x" * 2_000, "y"]]})
    with pytest.raises(CsvFileError, match="too large once unpacked"):
        xlsx_import.read_sheet(data)
