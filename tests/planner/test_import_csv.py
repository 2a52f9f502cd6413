"""The import service: every bad input gets a clear message and nothing is written."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from planner import csv_import
from planner.csv_safety import CsvFileError
from planner.models import BacklogItem, ItemScore, RankingRun, Status
from tests.factories import BacklogItemFactory, score_all

pytestmark = pytest.mark.django_db

HEADER = [
    "Reference",
    "Title",
    "Theme",
    "Status",
    "Citizen impact",
    "Depends on",
    "One-off cost (£)",
]


def _text(rows: list[list[str]], header: list[str] = HEADER) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _row(title="New challenge", theme="Procurement", reference="", **cells) -> list[str]:
    values = {
        "Reference": reference,
        "Title": title,
        "Theme": theme,
        "Status": "",
        "Citizen impact": "",
        "Depends on": "",
        "One-off cost (£)": "",
    }
    values.update(cells)
    return [values[name] for name in HEADER]


def _state(council) -> list[tuple]:
    """Everything an import could change, to prove nothing was."""
    items = list(
        BacklogItem.objects.order_by("pk").values_list(
            "pk", "council_id", "title", "status", "theme_id", "one_off_cost", "version"
        )
    )
    scores = list(ItemScore.objects.order_by("pk").values_list("pk", "value"))
    deps = list(BacklogItem.depends_on.through.objects.order_by("pk").values_list("pk"))
    return [*items, *scores, *deps]


def _refused(council, text: str, message: str, editor=None) -> csv_import.ImportPreview:
    """Assert the text is refused with `message` (file or row level) and writes nothing."""
    before = _state(council)
    preview = csv_import.validate(council=council, text=text)
    assert not preview.ok
    messages = preview.file_errors + [error.message for error in preview.errors]
    assert any(message in text for text in messages), messages
    with pytest.raises(csv_import.ImportInvalid):
        csv_import.apply(council=council, user=editor, text=text)
    assert _state(council) == before
    return preview


def _row_error(preview, row: int, column: str) -> None:
    assert any(e.row == row and e.column == column for e in preview.errors), preview.errors


# --- Happy paths -------------------------------------------------------------------------


def test_row_without_reference_creates_an_item(council):
    text = _text([_row(title="Online parking permits", **{"Citizen impact": "4"})])
    result = csv_import.apply(council=council, user=None, text=text)
    assert result.created == 1
    item = council.items.get()
    assert (item.title, item.reference, item.theme.name) == (
        "Online parking permits",
        "DIG-001",
        "Procurement",
    )
    assert item.scores.get().value == 4


def test_new_items_take_the_next_references(council):
    BacklogItemFactory(council=council, number=7, reference="DIG-007")
    csv_import.apply(council=council, user=None, text=_text([_row(), _row(title="Second")]))
    assert sorted(council.items.values_list("reference", flat=True)) == [
        "DIG-007",
        "DIG-008",
        "DIG-009",
    ]


def test_row_with_a_reference_updates_that_item(council):
    item = BacklogItemFactory(council=council, title="Old title")
    text = _text([_row(reference=item.reference, title="New title", Status="Ready")])
    result = csv_import.apply(council=council, user=None, text=text)
    item.refresh_from_db()
    assert (result.updated, item.title, item.status, item.version) == (1, "New title", "ready", 2)


def test_unchanged_rows_are_not_rewritten(council):
    item = BacklogItemFactory(council=council, title="Same", status=Status.NEW)
    text = _text([_row(reference=item.reference, title="Same", Status="New")])
    result = csv_import.apply(council=council, user=None, text=text)
    item.refresh_from_db()
    assert (result.updated, result.unchanged, item.version) == (0, 1, 1)


def test_preview_lists_what_an_update_changes(council):
    item = BacklogItemFactory(council=council, title="Old")
    text = _text([_row(reference=item.reference, title="New", **{"Citizen impact": "5"})])
    (plan,) = csv_import.validate(council=council, text=text).rows
    assert plan.action == "update"
    assert plan.changes == ["Title", "Citizen impact score"]


def test_header_matching_ignores_case_and_surrounding_spaces(council):
    text = _text([["  A title ", "procurement"]], header=["  TITLE ", "theme  "])
    preview = csv_import.validate(council=council, text=text)
    assert preview.ok and preview.rows[0].values["title"] == "A title"


def test_unknown_columns_are_ignored_with_a_warning(council):
    text = _text([["A", "Procurement", "x"]], header=["Title", "Theme", "Colour"])
    preview = csv_import.validate(council=council, text=text)
    assert preview.ok
    assert preview.warnings == ["The column “Colour” is not recognised and was ignored."]


def test_blank_score_removes_an_existing_score(council):
    item = BacklogItemFactory(council=council)
    score_all(item, 3)
    csv_import.apply(council=council, user=None, text=_text([_row(reference=item.reference)]))
    criterion = council.criteria.get(name="Citizen impact")
    assert not item.scores.filter(criterion=criterion).exists()
    assert item.scores.count() == council.criteria.filter(active=True).count() - 1


def test_dependencies_are_set_from_references(council):
    first = BacklogItemFactory(council=council)
    second = BacklogItemFactory(council=council)
    text = _text([_row(**{"Depends on": f"{first.reference}; {second.reference}"})])
    csv_import.apply(council=council, user=None, text=text)
    new = council.items.order_by("-number").first()
    assert set(new.depends_on.all()) == {first, second}


def test_an_import_that_changes_scores_requests_one_ranking_run(council):
    items = [BacklogItemFactory(council=council) for _ in range(3)]
    text = _text([_row(reference=i.reference, **{"Citizen impact": "2"}) for i in items])
    csv_import.apply(council=council, user=None, text=text)
    assert RankingRun.objects.filter(council=council).count() == 1


def test_quoted_newlines_import_correctly(council):
    text = _text([["Two\r\nlines", "Procurement", "First line\nsecond, with comma"]],
                 header=["Title", "Theme", "Problem statement"])  # fmt: skip
    csv_import.apply(council=council, user=None, text=text)
    item = council.items.get()
    assert item.problem == "First line\nsecond, with comma"


def test_formula_payloads_import_as_literal_text(council):
    text = _text([_row(title="'=1+1"), _row(title="@SUM(A1)")])
    csv_import.apply(council=council, user=None, text=text)
    assert sorted(council.items.values_list("title", flat=True)) == ["=1+1", "@SUM(A1)"]


def test_excel_windows_1252_file_with_pound_amounts_imports(council):
    text = _text([_row(title="Café booking", **{"One-off cost (£)": "£1,250.50"})])
    upload = SimpleUploadedFile("backlog.csv", text.encode("cp1252"), "text/csv")
    decoded, encoding = csv_import.read_upload(upload)
    assert encoding == "windows-1252"
    csv_import.apply(council=council, user=None, text=decoded, encoding=encoding)
    item = council.items.get()
    assert (item.title, item.one_off_cost) == ("Café booking", Decimal("1250.50"))


# --- Bad inputs: a clear message, nothing written ----------------------------------------


def test_empty_file_is_refused(council):
    with pytest.raises(CsvFileError, match="empty"):
        csv_import.read_upload(SimpleUploadedFile("e.csv", b""))
    _refused(council, "", "The file is empty.")


def test_header_only_file_is_refused(council):
    _refused(council, _text([]), "header row but no rows")


@pytest.mark.parametrize(
    ("data", "message"),
    [(bytes(range(256)) * 4, "NUL"), (b"Title,Theme\r\nA\x00,Procurement\r\n", "NUL")],
    ids=["binary", "nul-byte"],
)
def test_binary_file_and_nul_byte_are_refused(council, data, message):
    with pytest.raises(CsvFileError, match=message):
        csv_import.read_upload(SimpleUploadedFile("x.csv", data))


def test_semicolon_delimited_file_is_refused(council):
    text = "Title;Theme\r\nA;Procurement\r\n"
    _refused(council, text, "separated by semicolons")


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("Reference,Title", "\u201cTheme\u201d"),
        ("Title,Status", "\u201cTheme\u201d"),
        ("Title", "\u201cTheme\u201d"),
        ("Theme,Owner", "\u201cTitle\u201d"),
        ("Reference,Owner", "\u201cTitle\u201d and \u201cTheme\u201d"),
    ],
)
def test_a_file_without_a_required_column_is_told_which_one(council, header, missing):
    preview = _refused(council, f"{header}\r\nA,B\r\n", f"The file has no {missing} column.")
    assert not any("separated by" in message for message in preview.file_errors)


def test_semicolon_file_missing_a_column_is_still_told_about_semicolons(council):
    _refused(council, "Reference;Title\r\n;A\r\n", "separated by semicolons")


def test_tab_delimited_file_is_refused(council):
    _refused(council, "Title\tTheme\r\nA\tProcurement\r\n", "separated by tabs")


def test_ragged_rows_are_refused(council):
    text = _text([_row(), _row()[:4]])
    preview = _refused(council, text, "cells but the header has")
    _row_error(preview, 3, "")


def test_duplicate_references_in_the_file_are_refused(council):
    item = BacklogItemFactory(council=council)
    text = _text([_row(reference=item.reference), _row(reference=item.reference.lower())])
    preview = _refused(council, text, "appears more than once")
    _row_error(preview, 3, "Reference")


def test_reference_of_another_council_is_refused_and_untouched(council, other_council):
    theirs = BacklogItemFactory(council=other_council, number=50, reference="DIG-050")
    text = _text([_row(reference="DIG-050", title="Hijacked")])
    preview = _refused(council, text, "DIG-050 is not an item in this council")
    _row_error(preview, 2, "Reference")
    theirs.refresh_from_db()
    assert theirs.title != "Hijacked"


def test_same_reference_in_two_councils_updates_only_this_one(council, other_council):
    mine = BacklogItemFactory(council=council, number=1, reference="DIG-001")
    theirs = BacklogItemFactory(council=other_council, number=1, reference="DIG-001")
    csv_import.apply(council=council, user=None, text=_text([_row(reference="DIG-001", title="X")]))
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.title, theirs.title == "X") == ("X", False)


def test_dependency_on_another_councils_item_is_refused(council, other_council):
    BacklogItemFactory(council=other_council, number=70, reference="DIG-070")
    preview = _refused(council, _text([_row(**{"Depends on": "DIG-070"})]), "DIG-070 is not")
    _row_error(preview, 2, "Depends on")


def test_unknown_theme_is_refused_not_created(council):
    preview = _refused(council, _text([_row(theme="Blockchain")]), "not a theme of this council")
    _row_error(preview, 2, "Theme")
    assert not council.themes.filter(name="Blockchain").exists()


@pytest.mark.parametrize("value", ["0", "6", "2.5", "NaN", "inf", "-inf", "1e309", "three"])
def test_score_outside_the_scale_or_not_a_number_is_refused(council, value):
    preview = _refused(council, _text([_row(**{"Citizen impact": value})]), "whole number")
    _row_error(preview, 2, "Citizen impact")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("NaN", "not NaN or infinity"),
        ("inf", "not NaN or infinity"),
        ("1e309", "must be at most"),
        ("-5", "cannot be negative"),
        ("1.234", "at most 2 decimal places"),
        ("lots", "must be a number"),
    ],
)
def test_bad_cost_is_refused(council, value, message):
    preview = _refused(council, _text([_row(**{"One-off cost (£)": value})]), message)
    _row_error(preview, 2, "One-off cost (£)")


def test_ten_megabyte_file_is_refused_before_reading(council):
    class Huge:
        name, size = "huge.csv", 10 * 1024 * 1024

        def read(self, *args):  # pragma: no cover - must not be called
            raise AssertionError("read a file that was too big")

    with pytest.raises(CsvFileError, match="bigger than 5 MB"):
        csv_import.read_upload(Huge())


def test_file_with_20001_rows_is_refused(council, settings):
    text = _text([["Item", "Procurement"]] * 20_001, header=["Title", "Theme"])
    _refused(council, text, "more than 20,000 rows")


def test_file_with_20000_rows_is_within_the_limit(council):
    text = _text([["Item", "Procurement"]] * 20_000, header=["Title", "Theme"])
    preview = csv_import.validate(council=council, text=text)
    assert preview.ok and len(preview.rows) == 20_000


def test_a_100k_character_field_is_refused(council):
    _refused(council, _text([_row(title="x" * 100_000)]), "longer than 20,000 characters")


def test_a_title_over_200_characters_is_refused(council):
    preview = _refused(council, _text([_row(title="x" * 201)]), "200 characters or fewer")
    _row_error(preview, 2, "Title")


def test_dependency_cycle_is_refused(council):
    first = BacklogItemFactory(council=council)
    second = BacklogItemFactory(council=council)
    second.depends_on.add(first)
    text = _text([_row(reference=first.reference, **{"Depends on": second.reference})])
    _refused(council, text, "would form a cycle")


def test_self_dependency_is_refused(council):
    item = BacklogItemFactory(council=council)
    text = _text([_row(reference=item.reference, **{"Depends on": item.reference})])
    _refused(council, text, "cannot depend on itself")


def test_missing_title_column_is_refused(council):
    _refused(council, _text([["Procurement"]], header=["Theme"]), "no “Title” column")


def test_unknown_status_is_refused(council):
    preview = _refused(council, _text([_row(Status="Maybe")]), "must be one of")
    _row_error(preview, 2, "Status")


def test_unbalanced_quotes_are_refused(council):
    _refused(council, 'Title,Theme\r\n"Open,Procurement\r\n', "quotation marks")


def test_one_bad_row_means_nothing_is_written(council):
    text = _text([_row(title="Good"), _row(theme="Nope")])
    _refused(council, text, "not a theme")
    assert not council.items.exists()
