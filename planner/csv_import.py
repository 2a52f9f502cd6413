"""CSV import of an existing backlog: read, validate everything, preview, then apply all or
nothing.

The columns are the export's (csv_export.header). Header matching ignores case and
surrounding spaces; Rank, Score, Horizon, Quarters, Why, Rank range and Stability are worked
out by the planner and ignored; other unknown columns are ignored with a warning. A row
whose Reference matches an item of THIS council updates it; a blank Reference creates an
item; any other Reference is an error, whatever council it may belong to elsewhere, so an
import never touches another council.

Only the columns present in the file are applied to updated items. A blank criterion cell
means unscored (an existing score is removed); a blank Status or Delivery stage keeps the
item's (or the default for a new item).

Text cells go through csv_safety.restore, so ``'=1+1`` written by our export comes back as
the literal text ``=1+1`` and is neutralised again on the next export.

The web view and `manage.py import_backlog` share `validate` and `apply`; `apply` validates
again inside its transaction, so what is written is what was checked at that moment.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Field
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from councils.models import Council, Directorate, Ward
from planner import committee, estimates, ranking, xlsx_import
from planner import csv_export as columns
from planner.audit import record_history_user
from planner.csv_safety import MAX_COLUMNS, CsvFileError, decode_csv_bytes, restore
from planner.dependencies import find_cycle
from planner.dependency_graph import dependency_edges
from planner.items import ITEM_COLUMN_FIELDS, allocate_numbers
from planner.models import (
    MAX_COST_POUNDS,
    MAX_EFFORT_DAYS,
    SCALE_MAX,
    SCALE_MIN,
    BacklogItem,
    Criterion,
    ItemScore,
    PendingImport,
    Stage,
    Status,
    Theme,
)

# Longest field the csv module will read. The longest real field, a problem statement, is
# at most 5,000 characters, so anything near this is a mistake or an attack.
FIELD_SIZE_LIMIT = 20_000
PENDING_IMPORT_LIFETIME = timedelta(hours=24)
# Unrecognised columns listed one by one; beyond this they are summarised in one warning.
_LISTED_UNRECOGNISED = 5
# SQLite allows ~32k parameters a query; stay well under it when looking up references.
_LOOKUP_BATCH = 5_000
# Rows per INSERT or UPDATE when applying: one statement for 20,000 rows builds its SQL and
# parameters all at once (over 100 MB); batches keep memory flat at no cost in time.
WRITE_BATCH = 1_000
# Sheets looked at for a table when the first has none (each costs a read).
_SHEETS_TRIED = 5

READ_ONLY = {
    columns.RANK,
    columns.SCORE,
    columns.HORIZON,
    columns.QUARTERS,
    columns.WHY,
    columns.RANK_RANGE,
    columns.STABILITY,
}
ITEM_COLUMNS = {
    columns.REFERENCE: "reference",
    columns.TITLE: "title",
    columns.THEME: "theme",
    columns.STATUS: "status",
    columns.EFFORT: "effort_days",
    columns.ONE_OFF_COST: "one_off_cost",
    columns.RECURRING_COST: "recurring_cost",
    columns.DEPENDS_ON: "depends_on",
    columns.OWNER: "owner",
    columns.STAGE: "stage",
    columns.PROBLEM: "problem",
    # Committee fields: planner.committee.COMMITTEE_COLUMNS says how each is read.
    **{column.header: column.field for column in committee.COMMITTEE_COLUMNS},
}
REQUIRED_COLUMNS = (columns.TITLE, columns.THEME)
# A column mapped to a criterion: "criterion:<id>" (see import_mapping); "" ignores a column.
CRITERION_TARGET = "criterion:"
IGNORE = ""


def _max_length(name: str) -> int:
    field = BacklogItem._meta.get_field(name)
    assert isinstance(field, Field) and field.max_length is not None, name
    return field.max_length


TEXT_LIMITS = {name: _max_length(name) for name in ("title", "owner", "problem")}
NUMBER_RULES = {
    # field: (decimal places, maximum, column)
    "effort_days": (1, MAX_EFFORT_DAYS, columns.EFFORT),
    "one_off_cost": (2, MAX_COST_POUNDS, columns.ONE_OFF_COST),
    "recurring_cost": (2, MAX_COST_POUNDS, columns.RECURRING_COST),
}
UPDATABLE_FIELDS = ITEM_COLUMN_FIELDS
FIELD_LABELS = {
    "title": "Title",
    "theme": "Theme",
    "status": "Status",
    "effort_days": "Effort",
    "one_off_cost": "One-off cost",
    "recurring_cost": "Recurring cost",
    "owner": "Owner",
    "stage": "Delivery stage",
    "problem": "Problem statement",
    "depends_on": "Depends on",
    **{column.field: column.header for column in committee.COMMITTEE_COLUMNS},
    "all_wards": committee.WARDS,
}
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")


@dataclass(frozen=True)
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1
    column: str
    message: str


@dataclass
class RowPlan:
    row: int
    action: str  # "create" or "update"
    reference: str
    title: str
    values: dict[str, Any] = field(default_factory=dict)
    scores: dict[int, int | None] = field(default_factory=dict)  # criterion id -> value
    depends_on: list[str] | None = None  # references; None when the column is absent
    wards: list[Ward] | None = None  # None when the column is absent
    changes: list[str] = field(default_factory=list)  # labels of what an update changes


@dataclass
class ImportPreview:
    encoding: str = ""
    file_errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: list[RowPlan] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # True when the only file error is a missing Title or Theme heading: the column-matching
    # step can still put that right.
    missing_columns: bool = False
    criterion_names: dict[int, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.file_errors and not self.errors and bool(self.rows)

    @property
    def creates(self) -> list[RowPlan]:
        return [row for row in self.rows if row.action == "create"]

    @property
    def updates(self) -> list[RowPlan]:
        return [row for row in self.rows if row.action == "update"]


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


class ImportInvalid(Exception):
    """Validation failed when applying; nothing was written."""

    def __init__(self, preview: ImportPreview) -> None:
        super().__init__("The import has errors; nothing was changed.")
        self.preview = preview


# --- Reading the file ---------------------------------------------------------------------


def _too_big_message() -> str:
    return f"The file is bigger than {settings.IMPORT_MAX_BYTES // (1024 * 1024)} MB."


def read_upload(upload: Any) -> tuple[str, str]:
    """Decode an uploaded file, refusing one over the size limit before reading it."""
    if upload.size is None or upload.size > settings.IMPORT_MAX_BYTES:
        raise CsvFileError(_too_big_message())
    data = upload.read(settings.IMPORT_MAX_BYTES + 1)
    if len(data) > settings.IMPORT_MAX_BYTES:
        raise CsvFileError(_too_big_message())
    return decode_csv_bytes(data)


def read_path(path: Path) -> tuple[str, str]:
    """The same for a file on disk (the management command); an .xlsx gives its first sheet,
    whose headings must be the export's (there is no matching step on the command line)."""
    if path.stat().st_size > settings.IMPORT_MAX_BYTES:
        raise CsvFileError(_too_big_message())
    data = path.read_bytes()
    if xlsx_import.is_xlsx(data) or xlsx_import.is_ole2(data):
        return xlsx_import.read_sheet(data).text, "Excel workbook"
    return decode_csv_bytes(data)


def _records(text: str) -> Iterator[list[str]]:
    # Process-wide setting in the csv module; nothing else in the planner reads CSV, and
    # every import sets the same value, so concurrent imports agree.
    csv.field_size_limit(FIELD_SIZE_LIMIT)
    yield from csv.reader(io.StringIO(text, newline=""), strict=True)


@dataclass
class _Table:
    header: list[str]  # without trailing columns that have no heading
    rows: list[list[str]]  # cut to the header's width where the cells beyond are ignored
    trailing_blank: int = 0  # columns with no heading dropped from the header's end


def _read_table(text: str, preview: ImportPreview) -> _Table:
    """Header and data rows, counting rows as they stream so a huge file stops early.

    Trailing columns with no heading (a spreadsheet's stray commas, or millions of them)
    are dropped from the header and from each row before anything else looks at them, and
    a header still wider than MAX_COLUMNS is refused before any data row is read."""
    header: list[str] | None = None
    rows: list[list[str]] = []
    limit = settings.IMPORT_MAX_ROWS
    records = _records(text)
    number = 0
    file_width = width = 0
    try:
        for number, record in enumerate(records, start=1):  # noqa: B007 (used after the loop)
            if header is None:
                file_width = width = len(record)
                while width and not record[width - 1].strip():
                    width -= 1
                if width > MAX_COLUMNS:
                    preview.file_errors.append(
                        f"The file has {width:,} columns. At most {MAX_COLUMNS} can be "
                        "imported: delete the columns you do not need and upload it again."
                    )
                    return _Table([], [])
                header = record[:width]
                continue
            if len(record) > width and (
                len(record) == file_width or not any(cell.strip() for cell in record[width:])
            ):
                # Cells under the dropped columns: ignored, as their columns are.
                del record[width:]
            if len(rows) >= limit:
                preview.file_errors.append(
                    f"The file has more than {limit:,} rows. Split it into smaller files."
                )
                return _Table(header, [])
            rows.append(record)
    except csv.Error as error:
        row = number + 1
        if "field larger than field limit" in str(error):
            preview.file_errors.append(
                f"Row {row} has a cell longer than {FIELD_SIZE_LIMIT:,} characters."
            )
        else:
            preview.file_errors.append(
                f"Row {row} cannot be read: the quotation marks do not match up ({error})."
            )
        return _Table(header or [], [])
    if header is None or not header:
        preview.file_errors.append("The file is empty.")
        return _Table([], [])
    return _Table(header, rows, file_width - width)


# --- Validation ---------------------------------------------------------------------------


@dataclass
class _Columns:
    index: dict[str, int]  # export column name -> index in the file
    criteria: dict[int, int]  # criterion id -> index in the file
    width: int


def _match_header(
    header: list[str],
    criteria: list[Criterion],
    preview: ImportPreview,
    trailing_blank: int = 0,
    mapping: list[str] | None = None,
) -> _Columns | None:
    if mapping is not None:
        return _mapped_columns(header, criteria, preview, mapping)
    known = {name.casefold(): name for name in [*ITEM_COLUMNS, *READ_ONLY]}
    by_criterion = {
        criterion.name.strip().casefold(): criterion
        for criterion in criteria
        if not criterion.derived_from_estimate
    }
    # Effort comes from the estimate: its score column, as exported, is read-only like Rank.
    derived = {c.name.strip().casefold() for c in criteria if c.derived_from_estimate}
    index: dict[str, int] = {}
    criterion_index: dict[int, int] = {}
    unheaded = [len(header)] if trailing_blank else []  # positions, 0-based
    unheaded_count = trailing_blank
    unrecognised: list[str] = []
    for position, raw in enumerate(header):
        name = restore(raw).strip()
        key = name.casefold()
        if not name:
            unheaded.append(position)
            unheaded_count += 1
            continue
        if key in known:
            column = known[key]
            if column in index:
                preview.file_errors.append(f"The column \u201c{column}\u201d appears twice.")
                return None
            index[column] = position
        elif (criterion_key := _criterion_heading(key)) in by_criterion:
            criterion = by_criterion[criterion_key]
            if criterion.pk in criterion_index:
                preview.file_errors.append(f"The column \u201c{name}\u201d appears twice.")
                return None
            criterion_index[criterion.pk] = position
        elif key in derived:
            continue
        else:
            unrecognised.append(name)
    _summarise_ignored(preview, sorted(unheaded), unheaded_count, unrecognised)
    missing = [column for column in REQUIRED_COLUMNS if column not in index]
    if missing:
        # Another delimiter only when splitting the headings by it finds a missing column;
        # otherwise name the missing ones (a two-column file was once told "semicolons").
        delimiter = next(
            (
                (separator, name)
                for separator, name in ((";", "semicolons"), ("\t", "tabs"))
                if {column.casefold() for column in missing}
                & {
                    restore(part).strip().casefold()
                    for cell in header
                    for part in cell.split(separator)
                }
            ),
            None,
        )
        if delimiter is not None:
            preview.warnings.clear()
            preview.file_errors.append(
                f"The file seems to be separated by {delimiter[1]}. Save it as "
                "\u201cCSV UTF-8 (comma delimited)\u201d and upload it again."
            )
        else:
            names = " and ".join(f"\u201c{column}\u201d" for column in missing)
            preview.file_errors.append(f"The file has no {names} column.")
            preview.missing_columns = True
        return None
    ignored = [
        column
        for column in (columns.RANK, columns.SCORE, columns.HORIZON, columns.QUARTERS, columns.WHY)
        if column in index
    ]
    if ignored:
        preview.notes.append(
            f"{', '.join(ignored)} are worked out by the planner, so those columns are ignored."
        )
    return _Columns(index, criterion_index, len(header))


def is_fixed_column(name: str) -> bool:
    """Whether a name is one of the spreadsheet's fixed columns (not a criterion's)."""
    return name.strip().casefold() in {column.casefold() for column in [*ITEM_COLUMNS, *READ_ONLY]}


def _criterion_heading(key: str) -> str:
    """A criterion's column as exported: its name, or "Score: name" when the name is also a
    fixed column's (a criterion called "Status")."""
    prefix = columns.SCORE_PREFIX.casefold()
    return key[len(prefix) :].strip() if key.startswith(prefix) else key


def _mapped_columns(
    header: list[str], criteria: list[Criterion], preview: ImportPreview, mapping: list[str]
) -> _Columns | None:
    """Columns as the user mapped them: one target per column of the file (IGNORE for
    none), checked again here since the file's width or the criteria may have changed."""
    if len(mapping) != len(header):
        preview.file_errors.append(
            "The columns have changed since they were matched. Match them again."
        )
        return None
    scored = {c.pk: c for c in criteria if not c.derived_from_estimate}
    index: dict[str, int] = {}
    criterion_index: dict[int, int] = {}
    for position, target in enumerate(mapping):
        if target.startswith(CRITERION_TARGET):
            pk = int(target.removeprefix(CRITERION_TARGET) or 0)
            if pk in scored and pk not in criterion_index:
                criterion_index[pk] = position
        elif target in ITEM_COLUMNS and target not in index:
            index[target] = position
    missing = [column for column in REQUIRED_COLUMNS if column not in index]
    if missing:
        names = " and ".join(f"\u201c{column}\u201d" for column in missing)
        preview.file_errors.append(f"No column is matched to {names}.")
        return None
    return _Columns(index, criterion_index, len(header))


def _summarise_ignored(
    preview: ImportPreview, unheaded: list[int], unheaded_count: int, unrecognised: list[str]
) -> None:
    """One warning per ignored column while there are few; one summary when there are many,
    so a header of a million commas makes one line, not a million."""
    if unheaded_count == 1:
        preview.warnings.append(f"Column {unheaded[0] + 1} has no heading and was ignored.")
    elif unheaded_count > 1:
        preview.warnings.append(f"{unheaded_count:,} columns have no heading and were ignored.")
    quoted = [f"\u201c{name}\u201d" for name in unrecognised]
    if len(quoted) <= _LISTED_UNRECOGNISED:
        preview.warnings.extend(
            f"The column {name} is not recognised and was ignored." for name in quoted
        )
    else:
        shown = ", ".join(quoted[:_LISTED_UNRECOGNISED])
        more = len(quoted) - _LISTED_UNRECOGNISED
        preview.warnings.append(
            f"{len(quoted):,} columns are not recognised and were ignored: {shown} "
            f"and {more:,} more."
        )


def _parse_decimal(raw: str, places: int, maximum: int) -> Decimal | None:
    text = raw.strip().removeprefix("£").strip()
    if not text:
        return None
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError("must be a number, like 12.5") from None
    if not value.is_finite():
        raise ValueError("must be a number, not NaN or infinity")
    if value < 0:
        raise ValueError("cannot be negative")
    if value > maximum:
        raise ValueError(f"must be at most {maximum:,}")
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(f"can have at most {places} decimal place{'s' if places > 1 else ''}")
    return value.quantize(Decimal(1).scaleb(-places))


def _parse_score(raw: str) -> int | None:
    text = raw.strip()
    if not text:
        return None
    message = f"must be a whole number from {SCALE_MIN} to {SCALE_MAX}"
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(message) from None
    if not value.is_finite() or value != value.to_integral_value():
        raise ValueError(message)
    if not SCALE_MIN <= value <= SCALE_MAX:
        raise ValueError(message)
    return int(value)


def _choice(raw: str, choices: Any) -> str | None:
    text = raw.strip().casefold()
    if not text:
        return None
    for value, label in choices.choices:
        if text in {value.casefold(), str(label).casefold(), value.replace("_", " ")}:
            return value
    allowed = ", ".join(str(label) for _, label in choices.choices)
    raise ValueError(f"must be one of: {allowed}")


def _references(raw: str) -> list[str]:
    return [ref.strip().upper() for ref in raw.split(columns.DEPENDENCY_SEPARATOR) if ref.strip()]


def _lookup_items(council: Council, references: set[str]) -> dict[str, BacklogItem]:
    found: dict[str, BacklogItem] = {}
    ordered = sorted(references)
    for start in range(0, len(ordered), _LOOKUP_BATCH):
        batch = ordered[start : start + _LOOKUP_BATCH]
        for item in council.items.filter(reference__in=batch):
            found[item.reference] = item
    return found


@dataclass
class _Lookups:
    """What rows are checked against, loaded once per validation in a fixed number of queries."""

    items: dict[str, BacklogItem]  # by reference: items the file names
    themes: dict[str, Theme]  # by case-folded name
    criterion_names: dict[int, str]
    existing_scores: dict[int, dict[int, int]]  # item id -> criterion id -> value
    edges: dict[int, set[int]]  # the council's dependency graph, updated row by row
    wards: dict[str, Ward]  # by case-folded name
    directorates: dict[str, Directorate]  # by case-folded name
    existing_wards: dict[int, set[int]]  # item id -> ward ids, for the items updated


@dataclass
class _Row:
    """One data row being checked: its cells, the item it updates (if any), the plan it
    builds and where its errors go."""

    number: int
    record: list[str]
    matched: _Columns
    reference: str
    item: BacklogItem | None
    plan: RowPlan
    errors: list[RowError]

    def cell(self, column: str) -> str | None:
        """The cell of `column` with our export's neutralising undone; None if absent."""
        index = self.matched.index
        return restore(self.record[index[column]]) if column in index else None

    def error(self, column: str, message: str) -> None:
        self.errors.append(RowError(self.number, column, message))


# Text columns: (column, field, whether surrounding spaces are dropped, message when blank
# or None when blank is allowed). The problem statement keeps its spaces and line breaks.
TEXT_RULES = (
    (columns.TITLE, "title", True, "Enter a title."),
    (columns.OWNER, "owner", True, None),
    (columns.PROBLEM, "problem", False, None),
)
CHOICE_RULES = (
    (columns.STATUS, "status", Status),
    (columns.STAGE, "stage", Stage),
)
_CHOICE_LABELS = {field_name: dict(choices.choices) for _, field_name, choices in CHOICE_RULES}


def _check_text(row: _Row, lookups: _Lookups) -> None:
    for column_name, field_name, strip, blank_message in TEXT_RULES:
        text = row.cell(column_name)
        if text is None:
            continue
        if strip:
            text = text.strip()
        if blank_message and not text:
            row.error(column_name, blank_message)
            continue
        limit = TEXT_LIMITS[field_name]
        if len(text) > limit:
            row.error(column_name, f"must be {limit:,} characters or fewer (it has {len(text):,}).")
            continue
        row.plan.values[field_name] = text


def _check_theme(row: _Row, lookups: _Lookups) -> None:
    theme_name = row.cell(columns.THEME)
    if theme_name is None:
        return
    theme = lookups.themes.get(theme_name.strip().casefold())
    if not theme_name.strip():
        row.error(columns.THEME, "Enter a theme.")
    elif theme is None:
        row.error(
            columns.THEME,
            f"\u201c{theme_name.strip()}\u201d is not a theme of this council. "
            "Add it on the themes page first, or correct the name.",
        )
    elif theme.retired and (row.item is None or row.item.theme_id != theme.pk):
        row.error(columns.THEME, f"\u201c{theme.name}\u201d is retired.")
    else:
        row.plan.values["theme"] = theme


def _check_choices(row: _Row, lookups: _Lookups) -> None:
    for column_name, field_name, choices in CHOICE_RULES:
        raw = row.cell(column_name)
        if raw is None:
            continue
        try:
            choice = _choice(raw, choices)
        except ValueError as problem:
            row.error(column_name, f"{column_name} {problem}.")
            continue
        if choice is not None:
            row.plan.values[field_name] = choice


def _check_numbers(row: _Row, lookups: _Lookups) -> None:
    for field_name, (places, maximum, column_name) in NUMBER_RULES.items():
        raw = row.cell(column_name)
        if raw is None:
            continue
        try:
            row.plan.values[field_name] = _parse_decimal(raw, places, maximum)
        except ValueError as problem:
            row.error(column_name, f"{column_name} {problem}.")


def _check_scores(row: _Row, lookups: _Lookups) -> None:
    for criterion_id, position in row.matched.criteria.items():
        name = lookups.criterion_names[criterion_id]
        try:
            row.plan.scores[criterion_id] = _parse_score(restore(row.record[position]))
        except ValueError as problem:
            row.error(name, f"{name} score {problem}.")


def _check_dependencies(row: _Row, lookups: _Lookups) -> None:
    raw = row.cell(columns.DEPENDS_ON)
    if raw is None:
        return
    references = list(dict.fromkeys(_references(raw)))
    unknown = [ref for ref in references if ref not in lookups.items]
    if unknown:
        row.error(
            columns.DEPENDS_ON,
            f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not "
            "an item in this council.",
        )
    elif row.reference and row.reference in references:
        row.error(columns.DEPENDS_ON, f"{row.reference} cannot depend on itself.")
    else:
        row.plan.depends_on = references


_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0", ""}


def _check_wards(row: _Row, text: str, lookups: _Lookups) -> None:
    """ "All wards", or ward names of this council separated by semicolons. An unknown name
    is an error: wards are never created by an import."""
    names = [name.strip() for name in text.split(";") if name.strip()]
    if [name.casefold() for name in names] == [committee.ALL_WARDS.casefold()]:
        row.plan.values["all_wards"] = True
        row.plan.wards = []
        return
    unknown = [name for name in names if name.casefold() not in lookups.wards]
    if unknown:
        quoted = ", ".join(f"\u201c{name}\u201d" for name in unknown)
        row.error(
            committee.WARDS,
            f"{quoted} {'is not a ward' if len(unknown) == 1 else 'are not wards'} of this "
            "council. An admin adds wards on the council's settings page.",
        )
        return
    row.plan.values["all_wards"] = False
    chosen = [lookups.wards[name.casefold()] for name in names]
    row.plan.wards = list({ward.pk: ward for ward in chosen}.values())


def _check_committee(row: _Row, lookups: _Lookups) -> None:
    """The committee columns, each read as committee.COMMITTEE_COLUMNS describes it."""
    values = row.plan.values
    for column in committee.COMMITTEE_COLUMNS:
        raw = row.cell(column.header)
        if raw is None:
            continue
        text = raw.strip()
        header = column.header
        if column.kind == "wards":
            _check_wards(row, text, lookups)
        elif column.kind == "directorate":
            directorate = lookups.directorates.get(text.casefold())
            if text and directorate is None:
                row.error(header, f"\u201c{text}\u201d is not a directorate of this council.")
            else:
                values[column.field] = directorate
        elif column.kind == "yes_no":
            if text.casefold() not in _YES | _NO:
                row.error(header, f"{header} must be Yes or No.")
            else:
                values[column.field] = text.casefold() in _YES
        elif column.kind == "paragraph":
            if text and text not in {str(n) for n in range(1, 8)}:
                row.error(header, f"{header} must be a paragraph number from 1 to 7, or blank.")
            else:
                values[column.field] = int(text) if text else None
        elif column.kind == "choice":
            try:
                values[column.field] = _choice(text, column.choices) or ""
            except ValueError as problem:
                row.error(header, f"{header} {problem}.")
        elif column.kind == "money":
            try:
                values[column.field] = _parse_decimal(text, 2, MAX_COST_POUNDS)
            except ValueError as problem:
                row.error(header, f"{header} {problem}.")
        else:
            limit = column.max_length or 0
            if len(text) > limit:
                row.error(header, f"must be {limit:,} characters or fewer (it has {len(text):,}).")
            else:
                values[column.field] = text


# Each column group's check, in the order their errors are listed within a row.
COLUMN_GROUP_CHECKS = (
    _check_text,
    _check_theme,
    _check_choices,
    _check_numbers,
    _check_scores,
    _check_dependencies,
    _check_committee,
)


def validate(
    *, council: Council, text: str, encoding: str = "utf-8", mapping: list[str] | None = None
) -> ImportPreview:
    """Check every row against this council's data; nothing is written. `mapping` gives a
    target per column (the column-matching step); without it headings are matched by name."""
    preview = ImportPreview(encoding=encoding)
    table = _read_table(text, preview)
    if preview.file_errors:
        return preview
    criteria = list(council.criteria.filter(active=True).order_by("position", "id"))
    matched = _match_header(table.header, criteria, preview, table.trailing_blank, mapping)
    if matched is None:
        return preview
    records = [
        (number, record)
        for number, record in enumerate(table.rows, start=2)
        if any(cell.strip() for cell in record)
    ]
    if not records:
        preview.file_errors.append("The file has a header row but no rows of data.")
        return preview
    lookups = _load_lookups(council, criteria, matched, records)
    preview.criterion_names = lookups.criterion_names
    seen: dict[str, int] = {}
    for number, record in records:
        plan = _check_row(number, record, matched, lookups, seen, preview.errors)
        if plan is not None:
            preview.rows.append(plan)
    _check_cycle(lookups, preview)
    preview.errors.sort(key=lambda e: e.row)
    return preview


def _load_lookups(
    council: Council,
    criteria: list[Criterion],
    matched: _Columns,
    records: list[tuple[int, list[str]]],
) -> _Lookups:
    col = matched.index
    whole = [record for _, record in records if len(record) == matched.width]
    wanted: set[str] = set()
    for record in whole:
        if columns.REFERENCE in col:
            wanted.add(record[col[columns.REFERENCE]].strip().upper())
        if columns.DEPENDS_ON in col:
            wanted.update(_references(restore(record[col[columns.DEPENDS_ON]])))
    wanted.discard("")
    items = _lookup_items(council, wanted)
    update_ids = [
        items[reference].pk
        for reference in (
            record[col[columns.REFERENCE]].strip().upper()
            for record in whole
            if columns.REFERENCE in col
        )
        if reference in items
    ]
    existing_wards: dict[int, set[int]] = {}
    if committee.WARDS in col:
        for item_id, ward_id in BacklogItem.wards.through.objects.filter(
            backlogitem_id__in=update_ids
        ).values_list("backlogitem_id", "ward_id"):
            existing_wards.setdefault(item_id, set()).add(ward_id)
    existing_scores: dict[int, dict[int, int]] = {}
    for item_id, criterion_id, value in ItemScore.objects.filter(
        item_id__in=update_ids
    ).values_list("item_id", "criterion_id", "value"):
        existing_scores.setdefault(item_id, {})[criterion_id] = value
    return _Lookups(
        items=items,
        themes={theme.name.strip().casefold(): theme for theme in council.themes.all()},
        criterion_names={criterion.pk: criterion.name for criterion in criteria},
        existing_scores=existing_scores,
        edges=dependency_edges(council),
        wards={ward.name.strip().casefold(): ward for ward in council.wards.all()},
        directorates={d.name.strip().casefold(): d for d in council.directorates.all()},
        existing_wards=existing_wards,
    )


def _check_row(
    number: int,
    record: list[str],
    matched: _Columns,
    lookups: _Lookups,
    seen: dict[str, int],
    errors: list[RowError],
) -> RowPlan | None:
    """The plan for one row, or None when the row has errors (added to `errors`)."""
    if len(record) != matched.width:
        errors.append(
            RowError(
                number,
                "",
                f"This row has {len(record)} cells but the header has {matched.width}. "
                "Check for a missing or extra comma.",
            )
        )
        return None
    row = _Row(number, record, matched, "", None, RowPlan(number, "create", "", ""), errors)
    row.reference = (row.cell(columns.REFERENCE) or "").strip().upper()
    if row.reference and not _resolve_reference(row, lookups, seen):
        return None
    plan = row.plan
    plan.action = "update" if row.item else "create"
    plan.reference = row.reference
    errors_before = len(errors)
    for check in COLUMN_GROUP_CHECKS:
        check(row, lookups)
    if len(errors) > errors_before:
        return None
    item = row.item
    plan.title = plan.values.get("title") or (item.title if item else "")
    if item is not None:
        changes = _changes(
            item, plan, lookups.existing_scores.get(item.pk, {}), lookups.edges, lookups.items
        )
        if plan.wards is not None and {ward.pk for ward in plan.wards} != (
            lookups.existing_wards.get(item.pk, set())
        ):
            changes.append(committee.WARDS)
        plan.changes = [
            lookups.criterion_names[key] + " score" if isinstance(key, int) else key
            for key in changes
        ]
        if plan.depends_on is not None:
            lookups.edges[item.pk] = {lookups.items[ref].pk for ref in plan.depends_on}
        else:
            lookups.edges[item.pk] = lookups.edges.get(item.pk, set())
    return plan


def _resolve_reference(row: _Row, lookups: _Lookups, seen: dict[str, int]) -> bool:
    """Find the item a row's Reference updates; False (with an error) when it cannot."""
    reference = row.reference
    if reference in seen:
        row.error(
            columns.REFERENCE,
            f"{reference} appears more than once in the file (first in row {seen[reference]}).",
        )
        return False
    seen[reference] = row.number
    item = lookups.items.get(reference)
    if item is None:
        row.error(
            columns.REFERENCE,
            f"{reference} is not an item in this council. Leave Reference blank "
            "to create a new item.",
        )
        return False
    if item.archived:
        row.error(columns.REFERENCE, f"{reference} is archived. Restore it first.")
        return False
    row.item = item
    return True


def _check_cycle(lookups: _Lookups, preview: ImportPreview) -> None:
    """One error for a dependency cycle the file would make, on the first row in it."""
    cycle = find_cycle(lookups.edges)
    if not cycle:
        return
    references = {found.pk: ref for ref, found in lookups.items.items()}
    path = " \u2192 ".join(references.get(node, f"item #{node}") for node in cycle)
    rows_by_reference = {plan.reference: plan.row for plan in preview.rows}
    row = next(
        (rows_by_reference[references[n]] for n in cycle if references.get(n) in rows_by_reference),
        0,
    )
    preview.errors.append(
        RowError(row, columns.DEPENDS_ON, f"These dependencies would form a cycle: {path}.")
    )


def _changes(
    item: BacklogItem,
    plan: RowPlan,
    scores: dict[int, int],
    edges: dict[int, set[int]],
    items: dict[str, BacklogItem],
) -> list[Any]:
    changed: list[Any] = []
    for name, value in plan.values.items():
        # Foreign keys (theme, directorate) compare by id, so no row costs a query.
        related = name in {"theme", "directorate"}
        current = getattr(item, f"{name}_id") if related else getattr(item, name)
        new = (value.pk if value is not None else None) if related else value
        if current != new:
            changed.append(FIELD_LABELS[name])
    for criterion_id, value in plan.scores.items():
        if scores.get(criterion_id) != value:
            changed.append(criterion_id)
    if plan.depends_on is not None and {items[ref].pk for ref in plan.depends_on} != edges.get(
        item.pk, set()
    ):
        changed.append(FIELD_LABELS["depends_on"])
    return changed


# --- Applying -----------------------------------------------------------------------------


def apply(
    *,
    council: Council,
    user: Any,
    text: str,
    encoding: str = "utf-8",
    mapping: list[str] | None = None,
) -> ImportResult:
    """Validate again and write everything in one transaction, or raise ImportInvalid and
    write nothing. One ranking run is requested if scores, items or statuses changed."""
    with transaction.atomic():
        # Serialise imports and item creation in this council while we check and write.
        Council.objects.select_for_update().only("pk").get(pk=council.pk)
        preview = validate(council=council, text=text, encoding=encoding, mapping=mapping)
        if not preview.ok:
            raise ImportInvalid(preview)
        now = timezone.now()
        creates = preview.creates
        updates = [plan for plan in preview.updates if plan.changes]
        references = {
            ref
            for plan in preview.rows
            for ref in [plan.reference, *(plan.depends_on or [])]
            if ref
        }
        items = _lookup_items(council, references)

        created = 0
        score_changes = 0
        if creates:
            numbers = allocate_numbers(council=council, count=len(creates))
            # In batches, each written through to scores, dependencies and effort before the
            # next, so memory stays flat however many rows the file has.
            for start in range(0, len(creates), WRITE_BATCH):
                batch = _create_items(
                    council=council,
                    user=user,
                    numbers=numbers[start : start + WRITE_BATCH],
                    plans=creates[start : start + WRITE_BATCH],
                )
                score_changes += _write_scores(user=user, now=now, targets=batch)
                _set_links(batch, items, user)
                estimates.sync_effort_scores(
                    council=council, item_ids=[item.pk for item, _ in batch], user=user
                )
                created += len(batch)

        changed_items: list[BacklogItem] = []
        for plan in updates:
            item = items[plan.reference]
            for name, value in plan.values.items():
                setattr(item, name, value)
            item.version += 1
            item.updated_at = now
            changed_items.append(item)
        if changed_items:
            bulk_update_with_history(
                changed_items,
                BacklogItem,
                [*UPDATABLE_FIELDS, "version", "updated_at"],
                batch_size=WRITE_BATCH,
                default_user=user,
            )
            updated = [(items[plan.reference], plan) for plan in updates]
            score_changes += _write_scores(user=user, now=now, targets=updated)
            _set_links(updated, items, user)
            estimates.sync_effort_scores(
                council=council, item_ids=[item.pk for item in changed_items], user=user
            )
        if created or score_changes or changed_items:
            # Any change may move the plan (estimates, costs, status), not only the ranking.
            ranking.request_run(council=council, requested_by=user)
    return ImportResult(
        created=created,
        updated=len(updates),
        unchanged=len(preview.updates) - len(updates),
    )


def _create_items(
    *, council: Council, user: Any, numbers: list[int], plans: list[RowPlan]
) -> list[tuple[BacklogItem, RowPlan]]:
    new_items = [
        BacklogItem(
            council=council,
            number=number,
            reference=BacklogItem.format_reference(number),
            **plan.values,
        )
        for number, plan in zip(numbers, plans, strict=True)
    ]
    bulk_create_with_history(new_items, BacklogItem, batch_size=WRITE_BATCH, default_user=user)
    # Fetched back so every backend gives us primary keys, in creation order.
    fetched = council.items.filter(number__in=numbers).order_by("number")
    return list(zip(fetched, plans, strict=True))


def _set_links(
    targets: list[tuple[BacklogItem, RowPlan]], items: dict[str, BacklogItem], user: Any
) -> None:
    """The many-to-many links the rows set: dependencies and wards."""
    for item, plan in targets:
        if plan.depends_on is not None and (
            plan.action == "create" or FIELD_LABELS["depends_on"] in plan.changes
        ):
            record_history_user(item, user)
            item.depends_on.set([items[ref].pk for ref in plan.depends_on])
        if (plan.wards and plan.action == "create") or committee.WARDS in plan.changes:
            record_history_user(item, user)
            item.wards.set(plan.wards or [])


def _write_scores(*, user: Any, now: Any, targets: list[tuple[BacklogItem, RowPlan]]) -> int:
    """Create, change and remove scores as the rows say; returns how many changed."""
    item_ids = [item.pk for item, plan in targets if plan.scores]
    existing = {
        (score.item_id, score.criterion_id): score
        for score in ItemScore.objects.filter(item_id__in=item_ids)
    }
    to_create: list[ItemScore] = []
    to_update: list[ItemScore] = []
    to_delete: list[ItemScore] = []
    for item, plan in targets:
        for criterion_id, value in plan.scores.items():
            score = existing.get((item.pk, criterion_id))
            if score is None and value is not None:
                to_create.append(
                    ItemScore(
                        item=item, criterion_id=criterion_id, value=value, set_by=user, set_at=now
                    )
                )
            elif score is not None and value is None:
                to_delete.append(score)
            elif score is not None and value is not None and score.value != value:
                score.value = value
                score.set_by = user
                score.set_at = now
                score.version += 1
                to_update.append(score)
    if to_create:
        bulk_create_with_history(to_create, ItemScore, batch_size=WRITE_BATCH, default_user=user)
    if to_update:
        bulk_update_with_history(
            to_update, ItemScore, ["value", "set_by", "set_at", "version"], default_user=user
        )
    for score in to_delete:
        record_history_user(score, user)
        score.delete()  # one at a time, so history records who removed it
    return len(to_create) + len(to_update) + len(to_delete)


# --- Pending uploads between preview and apply -------------------------------------------


def store_pending(
    *,
    council: Council,
    user: Any,
    filename: str,
    text: str,
    encoding: str,
    sheet: xlsx_import.Sheet | None = None,
    workbook: bytes | None = None,
) -> PendingImport:
    """Keep the upload server-side, bound to this user and council, replacing any earlier
    one of theirs and clearing everyone's expired ones."""
    PendingImport.objects.filter(created_at__lt=timezone.now() - PENDING_IMPORT_LIFETIME).delete()
    council.pending_imports.filter(user=user).delete()
    return PendingImport.objects.create(
        council=council,
        user=user,
        filename=filename[:200],
        text=text,
        encoding=encoding,
        workbook=workbook,
        sheet=sheet.name if sheet else "",
        sheet_names=sheet.names if sheet else [],
    )


def pending_for(*, council: Council, user: Any, token: Any) -> PendingImport | None:
    """The user's own unexpired pending upload for this council, or None."""
    return council.pending_imports.filter(
        token=token,
        user=user,
        created_at__gte=timezone.now() - PENDING_IMPORT_LIFETIME,
    ).first()


class ImportGone(Exception):
    """The pending upload was applied (or replaced) by another request: nothing was written."""


def apply_pending(*, council: Council, user: Any, pending: PendingImport) -> ImportResult:
    """Apply a stored upload and delete it; on ImportInvalid it is kept for the preview.

    One-shot: the pending row is locked first, so of two concurrent applies of one upload
    the second waits, then finds it deleted and raises ImportGone having written nothing."""
    with transaction.atomic():
        locked = PendingImport.objects.select_for_update().filter(pk=pending.pk).first()
        if locked is None:
            raise ImportGone("This upload has already been imported.")
        result = apply(
            council=council,
            user=user,
            text=locked.text,
            encoding=locked.encoding,
            mapping=locked.mapping,
        )
        locked.delete()
    return result


def _read_upload_bytes(upload: Any) -> bytes:
    if upload.size is None or upload.size > settings.IMPORT_MAX_BYTES:
        raise CsvFileError(_too_big_message())
    data = upload.read(settings.IMPORT_MAX_BYTES + 1)
    if len(data) > settings.IMPORT_MAX_BYTES:
        raise CsvFileError(_too_big_message())
    return bytes(data)


def receive_upload(*, council: Council, user: Any, upload: Any) -> PendingImport:
    """Read a CSV or .xlsx upload (the first sheet) and keep it for matching and preview;
    raise CsvFileError when the file as a whole cannot be used (size, format, encoding,
    empty, too many rows or columns). Nothing is saved on error."""
    data = _read_upload_bytes(upload)
    filename = Path(upload.name or "upload.csv").name
    if xlsx_import.is_xlsx(data) or xlsx_import.is_ole2(data):
        sheet = _first_usable_sheet(council, data)
        return store_pending(
            council=council,
            user=user,
            filename=filename,
            text=sheet.text,
            encoding="Excel workbook",
            sheet=sheet,
            workbook=data,
        )
    text, encoding = decode_csv_bytes(data)
    _refuse_unusable(council, text)
    return store_pending(
        council=council, user=user, filename=filename, text=text, encoding=encoding
    )


def _first_usable_sheet(council: Council, data: bytes) -> xlsx_import.Sheet:
    """The first sheet, or when it has no table (a cover sheet, notes) the first of the
    next few that has one; the first sheet's problem when none has."""
    sheet = xlsx_import.read_sheet(data)
    try:
        _refuse_unusable(council, sheet.text)
    except CsvFileError as problem:
        for name in sheet.names[1:_SHEETS_TRIED]:
            other = xlsx_import.read_sheet(data, name)
            try:
                _refuse_unusable(council, other.text)
            except CsvFileError:
                continue
            return other
        raise problem from None
    return sheet


def choose_sheet(*, pending: PendingImport, sheet: str) -> PendingImport:
    """Read another sheet of a pending workbook; its columns are matched afresh."""
    if pending.workbook is None or sheet not in pending.sheet_names:
        raise CsvFileError("Choose a sheet of the workbook.")
    read = xlsx_import.read_sheet(bytes(pending.workbook), sheet)
    _refuse_unusable(pending.council, read.text)
    pending.text, pending.sheet, pending.mapping = read.text, read.name, None
    pending.save(update_fields=["text", "sheet", "mapping"])
    return pending


def values_read(plan: RowPlan, criterion_names: dict[int, str]) -> list[tuple[str, str]]:
    """What a row will write, as (label, text) pairs, for the preview."""
    shown: list[tuple[str, str]] = []
    for name, value in plan.values.items():
        if name == "all_wards":
            continue  # shown with the wards below
        if isinstance(value, Theme):
            text = value.name
        elif name in _CHOICE_LABELS:
            text = str(_CHOICE_LABELS[name].get(value, value))
        elif name in columns.COMMITTEE_CHOICE_LABELS:
            text = str(columns.COMMITTEE_CHOICE_LABELS[name].get(value, value))
        elif isinstance(value, bool):
            text = committee.YES if value else committee.NO
        elif name == "exempt_paragraph":
            text = committee.exempt_label(value) or "Not exempt"
        else:
            text = "" if value is None else str(value)
        shown.append((FIELD_LABELS.get(name, name), text or "(blank)"))
    if plan.values.get("all_wards"):
        shown.append((committee.WARDS, committee.ALL_WARDS))
    elif plan.wards is not None:
        names = committee.WARD_SEPARATOR.join(ward.name for ward in plan.wards)
        shown.append((committee.WARDS, names or "(none)"))
    shown += [
        (f"{criterion_names[pk]} score", "unscored" if value is None else str(value))
        for pk, value in plan.scores.items()
    ]
    if plan.depends_on is not None:
        shown.append((FIELD_LABELS["depends_on"], "; ".join(plan.depends_on) or "(none)"))
    return shown


def first_row(text: str) -> list[str]:
    """The first data row's cells (for showing an example under each heading)."""
    try:
        records = _records(text)
        next(records, None)
        return [restore(cell) for cell in next(records, [])]
    except csv.Error:
        return []


def file_header(text: str) -> list[str]:
    """The file's header row as the import reads it (trailing unheaded columns dropped)."""
    try:
        record = next(_records(text), [])
    except csv.Error:
        return []
    width = len(record)
    while width and not record[width - 1].strip():
        width -= 1
    return [restore(cell).strip() for cell in record[:width]]


def _refuse_unusable(council: Council, text: str) -> None:
    """File-level problems only (rows are checked after the columns are matched): size,
    quoting, the header row. A missing Title or Theme heading is left to the matching step."""
    preview = ImportPreview()
    table = _read_table(text, preview)
    if not preview.file_errors:
        criteria = list(council.criteria.filter(active=True))
        _match_header(table.header, criteria, preview, table.trailing_blank)
    if preview.file_errors and not preview.missing_columns:
        raise CsvFileError(" ".join(preview.file_errors))
    if not any(cell.strip() for cell in table.header):
        raise CsvFileError("The file has no headings in its first row.")
    if not any(any(cell.strip() for cell in record) for record in table.rows):
        raise CsvFileError("The file has a header row but no rows of data.")
