"""Read one sheet of an uploaded .xlsx workbook into the CSV text the CSV import reads, so
validation and apply are shared: there is no second validator.

Safety: the file is sniffed before openpyxl sees it (an old binary .xls and a
password-protected workbook are both OLE2 containers, not zips), the zip's declared sizes
are checked before anything is inflated, the workbook is opened read-only with cached values
(`data_only`: formulas are never evaluated, macros and external links never loaded), and the
sheet's rows and columns are counted as they stream, stopping at the caps.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.conf import settings
from openpyxl import load_workbook

from planner.csv_safety import MAX_COLUMNS, CsvFileError

XLSX_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
# An encrypted Office file is an OLE2 container with this stream (its name is UTF-16).
ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
# Inflated size of the whole zip: a 5 MB upload of ordinary data inflates to well under
# this; a "zip bomb" is refused from the zip's directory before anything is inflated.
MAX_INFLATED_BYTES = 200 * 1024 * 1024
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Sheet:
    names: list[str]  # every worksheet in the workbook, in order
    name: str  # the one read
    text: str  # as CSV, header first


def is_xlsx(data: bytes) -> bool:
    return data.startswith(XLSX_MAGIC)


def is_ole2(data: bytes) -> bool:
    return data.startswith(OLE2_MAGIC)


def refuse_ole2(data: bytes) -> None:
    """A clear message for the two kinds of OLE2 file a council might upload."""
    if ENCRYPTION_STREAM in data:
        raise CsvFileError(
            "The workbook is protected with a password. Remove the password in Excel "
            "(File, Info, Protect Workbook) and upload it again."
        )
    raise CsvFileError(
        "The file is an old Excel 97-2003 workbook (.xls). Open it in Excel and save it as "
        "an Excel Workbook (.xlsx) or as CSV UTF-8, then upload it again."
    )


def cell_text(value: Any) -> str:
    """A cell's value as text the CSV parsers accept: 1234.5 not 1.2345E3, dates as
    YYYY-MM-DD, TRUE/FALSE as Yes/No."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def read_sheet(data: bytes, sheet: str = "") -> Sheet:
    """The named sheet (or the first) as CSV text; CsvFileError when the workbook cannot be
    used. Nothing is saved here."""
    if is_ole2(data):
        refuse_ole2(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_INFLATED_BYTES:
                raise CsvFileError("The workbook is too large once unpacked to be imported.")
        workbook = load_workbook(
            io.BytesIO(data), read_only=True, data_only=True, keep_vba=False, keep_links=False
        )
    except CsvFileError:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as error:
        raise CsvFileError(
            "The file cannot be read as an Excel workbook: it may be damaged. Open it in "
            "Excel, save it again as .xlsx, and upload it again."
        ) from error
    try:
        names = list(workbook.sheetnames)
        if not names:
            raise CsvFileError("The workbook has no sheets.")
        name = sheet if sheet in names else names[0]
        text = _sheet_as_csv(workbook[name].iter_rows(values_only=True), workbook[name])
    except CsvFileError:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as error:
        raise CsvFileError(
            f"The sheet \u201c{name}\u201d cannot be read: the workbook may be damaged."
        ) from error
    finally:
        workbook.close()
    return Sheet(names=names, name=name, text=text)


def _check_dimensions(worksheet: Any) -> None:
    """Refuse from the sheet's recorded dimension before reading a row, when it has one
    (it can be missing or stale, so the rows are counted as well)."""
    try:
        rows, columns = worksheet.max_row, worksheet.max_column
    except (ValueError, TypeError):
        return
    if rows and rows > settings.IMPORT_MAX_ROWS * 5 + 1_000:
        raise CsvFileError(
            f"The sheet has {rows:,} rows. At most {settings.IMPORT_MAX_ROWS:,} can be "
            "imported: split it into smaller files."
        )
    if columns and columns > MAX_COLUMNS * 5 + 1_000:
        raise CsvFileError(
            f"The sheet has {columns:,} columns. At most {MAX_COLUMNS} can be imported: "
            "delete the columns you do not need and upload it again."
        )


def _sheet_as_csv(rows: Iterable[tuple[Any, ...]], worksheet: Any) -> str:
    """Header and data rows as CSV. Trailing blank rows are dropped (blank rows within stay,
    so row numbers match the sheet's), and reading stops as soon as a cap is passed."""
    _check_dimensions(worksheet)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    width = 0
    written = 0
    blank_run = 0
    limit = settings.IMPORT_MAX_ROWS
    for index, row in enumerate(rows):
        if index == 0:
            header = [cell_text(value) for value in row]
            while header and not header[-1].strip():
                header.pop()
            width = len(header)
            if width > MAX_COLUMNS:
                raise CsvFileError(
                    f"The sheet has {width:,} columns. At most {MAX_COLUMNS} can be imported: "
                    "delete the columns you do not need and upload it again."
                )
            writer.writerow(header)
            continue
        # Cells beyond the last heading are ignored, as they are in a CSV.
        cells = [cell_text(value) for value in row[:width]]
        cells.extend([""] * (width - len(cells)))
        if not any(cell.strip() for cell in cells):
            blank_run += 1
            if blank_run > limit:
                # More blank rows than the cap (formatting dragged down a whole column):
                # the data has ended, and reading on could take minutes.
                break
            continue
        if written + blank_run >= limit:
            raise CsvFileError(
                f"The sheet has more than {limit:,} rows. Split it into smaller files."
            )
        for _ in range(blank_run):
            writer.writerow([""] * width)
        written += blank_run + 1
        blank_run = 0
        writer.writerow(cells)
    if not width:
        raise CsvFileError("The sheet is empty.")
    return out.getvalue()
