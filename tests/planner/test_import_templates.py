"""Blank import templates (CSV and .xlsx, read back), and our own export importing back even
when a criterion is named like a fixed column."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from planner import backlog, csv_export, csv_import, import_templates
from planner.csv_safety import decode_csv_bytes
from planner.forms import CriterionForm
from planner.models import (
    AssessmentStatus,
    Criterion,
    ExportRecord,
    Funding,
    ItemScore,
    PendingImport,
    RiskRating,
    Stage,
    Status,
)
from tests.factories import BacklogItemFactory

pytestmark = pytest.mark.django_db


def _template(client, council, kind):
    return client.get(reverse("import_template", args=[council.slug, kind]))


def _scored_criteria(council):
    return council.criteria.filter(active=True, derived_from_estimate=False)


def test_csv_template_has_every_importable_column_and_an_example_row(editor_client, council):
    response = _template(editor_client, council, "csv")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    text, _ = decode_csv_bytes(response.content)
    head, example = [line.split(",") for line in text.strip().splitlines()]
    assert head[: len(csv_import.ITEM_COLUMNS)] == list(csv_import.ITEM_COLUMNS)
    assert set(head) >= {c.name for c in _scored_criteria(council)}
    assert example[head.index("Theme")] == council.themes.filter(retired=False).first().name
    record = ExportRecord.objects.get()
    assert record.council == council and record.filename.endswith("import-template.csv")
    assert record.user == editor_client.user


def test_xlsx_template_has_drop_downs_on_choice_columns_and_scores(editor_client, council):
    response = _template(editor_client, council, "xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["Backlog"]
    head = [cell.value for cell in sheet[1]]
    assert head[: len(csv_import.ITEM_COLUMNS)] == list(csv_import.ITEM_COLUMNS)
    assert sheet.cell(2, head.index("Title") + 1).value
    rules = {str(rule.sqref).split(":")[0]: rule for rule in sheet.data_validations.dataValidation}

    def rule_for(name):
        letter = sheet.cell(1, head.index(name) + 1).column_letter
        return rules[f"{letter}2"]

    lists = book["Lists"]
    for name, labels in (("Status", Status.labels), ("Delivery stage", Stage.labels)):
        rule = rule_for(name)
        assert rule.type == "list"
        column = lists[rule.formula1.split("!")[1].split(":")[0].replace("$", "")[0]]
        assert [cell.value for cell in column[1:] if cell.value] == list(labels)
    assert rule_for("Theme").type == "list"
    # The committee fields that take one value from a list (issue 12).
    for name, labels in (
        ("EqIA", AssessmentStatus.labels),
        ("DPIA", AssessmentStatus.labels),
        ("Risk", RiskRating.labels),
        ("One-off funding", Funding.labels),
        ("Key decision", ["Yes", "No"]),
        ("Exempt paragraph", [str(n) for n in range(1, 8)]),
    ):
        rule = rule_for(name)
        assert rule.type == "list"
        cells = rule.formula1.split("!")[1].replace("$", "")
        allowed = [row[0].value for row in lists[cells]]
        assert allowed == list(labels), name
    wards = sheet.cell(1, head.index("Wards") + 1).column_letter
    assert f"{wards}2" not in rules  # several wards to a cell: no one-value list
    score = rule_for(_scored_criteria(council).order_by("position", "id").first().name)
    # "between" is the default operator, so the file may leave it out.
    assert score.type == "whole" and score.operator in (None, "between")
    assert (score.formula1, score.formula2) == ("1", "5")
    assert ExportRecord.objects.filter(filename__endswith="import-template.xlsx").exists()


def test_the_templates_import_back_as_they_are(editor_client, council):
    for kind in import_templates.KINDS:
        content = _template(editor_client, council, kind).content
        response = editor_client.post(
            reverse("import", args=[council.slug]),
            {"file": SimpleUploadedFile(f"template.{kind}", content)},
        )
        pending = PendingImport.objects.get()
        assert response["Location"] == reverse(
            "import_preview", args=[council.slug, pending.token]
        ), kind
        page = editor_client.get(response["Location"]).content.decode()
        assert "Import 1 row" in page, kind


def test_an_unknown_template_kind_is_404(editor_client, council):
    assert _template(editor_client, council, "pdf").status_code == 404
    assert not ExportRecord.objects.exists()


def test_viewers_cannot_download_templates(viewer_client, council):
    assert _template(viewer_client, council, "csv").status_code == 403


def test_export_imports_back_with_a_criterion_named_like_a_fixed_column(council):
    # Made before the names were reserved, or through the admin: the export must still work.
    clash = Criterion.objects.create(
        council=council,
        key="status-fit",
        name="Status",
        position=99,
        **{f"level_{n}": f"level {n}" for n in range(1, 6)},
    )
    item = BacklogItemFactory(council=council, status=Status.READY)
    ItemScore.objects.create(item=item, criterion=clash, value=4)
    export = csv_export.export_backlog(
        council=council, user=None, items=backlog.filter_items(council, {})
    )
    text, encoding = decode_csv_bytes(b"".join(export.chunks))
    head = text.splitlines()[0].split(",")
    assert "Status" in head and "Score: Status" in head
    # Change the clashing criterion's score and the item's status in the file.
    lines = text.splitlines()
    cells = lines[1].split(",")
    cells[head.index("Score: Status")] = "2"
    cells[head.index("Status")] = "Parked"
    lines[1] = ",".join(cells)
    edited = "\r\n".join(lines) + "\r\n"
    preview = csv_import.validate(council=council, text=edited, encoding=encoding)
    assert preview.ok, (preview.file_errors, preview.errors)
    csv_import.apply(council=council, user=None, text=edited, encoding=encoding)
    item.refresh_from_db()
    assert item.status == Status.PARKED
    assert ItemScore.objects.get(item=item, criterion=clash).value == 2


@pytest.mark.parametrize("name", ["Status", " title ", "Depends on", "Rank"])
def test_criteria_cannot_take_a_fixed_column_name(council, name):
    data = {"new-name": name, "new-direction": "benefit"}
    data |= {f"new-level_{n}": f"level {n}" for n in range(1, 6)}
    form = CriterionForm(data, council=council, prefix="new")
    assert not form.is_valid()
    assert "is the name of a column in the backlog spreadsheet" in str(form.errors["name"])
