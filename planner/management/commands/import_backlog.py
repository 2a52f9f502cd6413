"""Import a backlog CSV or .xlsx (first sheet, our own headings) from the command line, with
the same checks as the import page.

    python manage.py import_backlog <council-slug> <file> [--apply] [--user USERNAME]

Without --apply it prints the preview (every create, update and error) and writes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from councils.models import Council
from planner import csv_import
from planner.csv_safety import CsvFileError


class Command(BaseCommand):
    help = "Check (and with --apply, import) a backlog CSV into one council."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("council", help="the council's slug")
        parser.add_argument("file", type=Path, help="the CSV file")
        parser.add_argument("--apply", action="store_true", help="write the changes")
        parser.add_argument("--user", help="username to record in the history")

    def handle(self, *args: Any, **options: Any) -> None:
        council = Council.objects.filter(slug=options["council"]).first()
        if council is None:
            raise CommandError(f"No council with the slug {options['council']!r}.")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user called {options['user']!r}.")
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        try:
            text, encoding = csv_import.read_path(path)
        except CsvFileError as error:
            raise CommandError(str(error)) from None
        preview = csv_import.validate(council=council, text=text, encoding=encoding)
        self._report(preview)
        if not preview.ok:
            raise CommandError("Nothing was imported.")
        if not options["apply"]:
            self.stdout.write("Checked only; run again with --apply to import.")
            return
        try:
            result = csv_import.apply(council=council, user=user, text=text, encoding=encoding)
        except csv_import.ImportInvalid as invalid:
            self._report(invalid.preview)
            raise CommandError("The data changed while importing; nothing was imported.") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported: {result.created} created, {result.updated} updated, "
                f"{result.unchanged} unchanged."
            )
        )

    def _report(self, preview: csv_import.ImportPreview) -> None:
        self.stdout.write(f"Encoding: {preview.encoding or 'unknown'}")
        for message in preview.file_errors:
            self.stderr.write(f"Error: {message}")
        for warning in [*preview.warnings, *preview.notes]:
            self.stdout.write(f"Warning: {warning}")
        for row in preview.rows:
            what = ", ".join(row.changes) or "no change"
            label = row.reference or "(new)"
            detail = "new item" if row.action == "create" else what
            self.stdout.write(f"Row {row.row}: {row.action} {label} {row.title}: {detail}")
        for error in preview.errors:
            column = f", {error.column}" if error.column else ""
            self.stderr.write(f"Row {error.row}{column}: {error.message}")
