"""`manage.py import_backlog`: the same checks as the page, and --apply to write."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db

GOOD = "Title,Theme\r\nOnline permits,Procurement\r\n"


def _run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_backlog", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_without_apply_it_only_checks(council, tmp_path):
    path = tmp_path / "b.csv"
    path.write_text(GOOD)
    out, _ = _run(council.slug, str(path))
    assert "Row 2: create (new) Online permits" in out
    assert not council.items.exists()


def test_with_apply_it_imports(council, tmp_path):
    path = tmp_path / "b.csv"
    path.write_text(GOOD)
    out, _ = _run(council.slug, str(path), "--apply")
    assert "1 created" in out
    assert council.items.get().title == "Online permits"


def test_row_errors_are_printed_and_nothing_is_written(council, tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("Title,Theme\r\nA,Blockchain\r\n")
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_backlog", council.slug, str(path), "--apply", stderr=err)
    assert "Row 2, Theme:" in err.getvalue()
    assert not council.items.exists()


def test_file_level_errors_stop_the_command(council, tmp_path):
    path = tmp_path / "b.csv"
    path.write_bytes(b"Title\x00")
    with pytest.raises(CommandError, match="NUL"):
        _run(council.slug, str(path))


def test_oversized_file_is_refused_before_reading(council, tmp_path, settings):
    settings.IMPORT_MAX_BYTES = 10
    path = tmp_path / "b.csv"
    path.write_text(GOOD)
    with pytest.raises(CommandError, match="bigger than"):
        _run(council.slug, str(path))


def test_unknown_council_is_an_error(db, tmp_path):
    path = tmp_path / "b.csv"
    path.write_text(GOOD)
    with pytest.raises(CommandError, match="No council"):
        _run("nowhere", str(path))


def test_an_xlsx_first_sheet_imports_from_the_command_line(council, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Title", "Theme"])
    book.active.append(["From a workbook", "Procurement"])
    path = tmp_path / "b.xlsx"
    book.save(path)
    out, _ = _run(council.slug, str(path), "--apply")
    assert "Encoding: Excel workbook" in out and "1 created" in out
    assert council.items.get().title == "From a workbook"


def test_an_old_xls_is_refused_from_the_command_line(council, tmp_path):
    path = tmp_path / "b.xls"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(1024))
    with pytest.raises(CommandError, match=r"\.xls"):
        _run(council.slug, str(path))
