"""Matching a council's own columns: suggestions (pure), the matching form, remembered choices."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from councils.models import Role
from planner import csv_export as columns
from planner import csv_import, import_mapping
from planner.import_mapping import Target
from planner.models import ImportMapping, PendingImport
from tests.factories import MembershipFactory, UserFactory

OPTIONS = [
    *(Target(column, column) for column in csv_import.ITEM_COLUMNS),
    Target("criterion:7", "Score: Citizen impact"),
    Target("criterion:8", "Score: Status"),
]


@pytest.mark.parametrize(
    ("heading", "target"),
    [
        ("Ref", columns.REFERENCE),
        ("REF.", columns.REFERENCE),
        ("Challenge", columns.TITLE),
        ("Problem", columns.PROBLEM),
        ("Description", columns.PROBLEM),
        ("Lead officer", columns.OWNER),
        ("Effort", columns.EFFORT),
        ("one-off cost", columns.ONE_OFF_COST),
        ("Title", columns.TITLE),
        ("  title ", columns.TITLE),
        ("Citizen impact", "criterion:7"),
        ("Score: Citizen impact", "criterion:7"),
        ("Status", columns.STATUS),  # the fixed column wins over a criterion of that name
        ("Score: Status", "criterion:8"),
        ("Colour of the sky", import_mapping.IGNORE),
        ("", import_mapping.IGNORE),
    ],
)
def test_suggestions(heading, target):
    assert import_mapping.suggest(heading, OPTIONS) == target


def test_service_area_is_suggested_for_the_directorate_column():
    assert import_mapping.suggest("Service area", OPTIONS) == "Directorate"
    without_directorate = [target for target in OPTIONS if target.key != "Directorate"]
    assert import_mapping.suggest("Service area", without_directorate) == import_mapping.IGNORE


def test_each_target_is_suggested_for_one_column_only_and_remembered_choices_win():
    header = ["Ref", "Reference", "Challenge", "Notes"]
    remembered = {"notes": columns.PROBLEM, "challenge": import_mapping.IGNORE}
    assert import_mapping.initial_mapping(header, OPTIONS, remembered) == [
        columns.REFERENCE,
        import_mapping.IGNORE,
        import_mapping.IGNORE,
        columns.PROBLEM,
    ]


def test_a_remembered_target_that_no_longer_exists_is_ignored():
    assert import_mapping.initial_mapping(["Old"], OPTIONS, {"old": "criterion:99"}) == [""]


def test_our_own_headings_match_themselves():
    assert import_mapping.matches_itself(["Rank", "Title", "Theme", "Citizen impact"], OPTIONS)
    assert not import_mapping.matches_itself(["Ref", "Title", "Theme"], OPTIONS)


def test_targets_come_from_the_import_column_definitions(council):
    options = import_mapping.targets(council.criteria.filter(active=True))
    keys = [target.key for target in options]
    assert keys[: len(csv_import.ITEM_COLUMNS)] == list(csv_import.ITEM_COLUMNS)
    derived = council.criteria.filter(derived_from_estimate=True).first()
    assert derived is None or f"criterion:{derived.pk}" not in keys


# --- The matching step in the browser ----------------------------------------------------

COUNCIL_SHEET = (
    "Ref,Challenge,Category,Problem,Notes\r\n,Online permits,{theme},Queues,ignore me\r\n"
)


def _upload(client, council):
    data = COUNCIL_SHEET.format(theme=council.themes.first().name).encode()
    return client.post(
        reverse("import", args=[council.slug]),
        {"file": SimpleUploadedFile("ours.csv", data, "text/csv")},
    )


@pytest.mark.django_db
def test_a_council_sheet_is_matched_then_previewed_and_the_choice_remembered(
    editor_client, council
):
    response = _upload(editor_client, council)
    pending = PendingImport.objects.get()
    url = reverse("import_columns", args=[council.slug, pending.token])
    assert response["Location"] == url
    page = editor_client.get(url).content.decode()
    assert '<option value="Reference" selected>' in page
    assert '<option value="Title" selected>' in page
    assert "Online permits" in page  # the first row, to recognise each column
    form = {"column_0": "Reference", "column_1": "Title", "column_2": "Theme"}
    form |= {"column_3": "Problem statement", "column_4": ""}
    response = editor_client.post(url, form)
    assert response["Location"] == reverse("import_preview", args=[council.slug, pending.token])
    page = editor_client.get(response["Location"]).content.decode()
    assert "<strong>Problem statement:</strong> Queues" in page
    assert "ignore me" not in page
    editor_client.post(reverse("import_apply", args=[council.slug, pending.token]))
    assert council.items.get(title="Online permits").problem == "Queues"
    remembered = dict(council.import_mappings.values_list("heading", "target"))
    assert remembered["category"] == "Theme" and remembered["notes"] == ""
    # Next time the council's choice for "Category" is the starting point.
    _upload(editor_client, council)
    pending = PendingImport.objects.get()
    page = editor_client.get(reverse("import_columns", args=[council.slug, pending.token]))
    assert '<option value="Theme" selected>' in page.content.decode()


@pytest.mark.django_db
def test_remembered_choices_belong_to_one_council(editor_client, council, other_council):
    ImportMapping.objects.create(council=other_council, heading="category", target="Owner")
    _upload(editor_client, council)
    pending = PendingImport.objects.get()
    page = editor_client.get(reverse("import_columns", args=[council.slug, pending.token]))
    assert '<option value="Owner" selected>' not in page.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"column_0": "Title", "column_1": "Title", "column_2": "Theme"}, "for one column only"),
        ({"column_1": "Title"}, "Choose the column that holds the theme"),
        ({"column_1": "Title", "column_2": "Theme", "column_3": "Nonsense"}, "Choose a field"),
    ],
    ids=["twice", "missing-theme", "unknown-target"],
)
def test_bad_matching_is_refused_and_nothing_is_kept(editor_client, council, form, message):
    _upload(editor_client, council)
    pending = PendingImport.objects.get()
    response = editor_client.post(
        reverse("import_columns", args=[council.slug, pending.token]), form
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "govuk-error-summary" in response.content.decode()
    pending.refresh_from_db()
    assert pending.mapping is None
    assert not ImportMapping.objects.exists()


@pytest.mark.django_db
def test_only_the_uploader_can_match_columns(council, editor_client):
    _upload(editor_client, council)
    pending = PendingImport.objects.get()
    url = reverse("import_columns", args=[council.slug, pending.token])
    colleague = UserFactory(username="colleague")
    MembershipFactory(user=colleague, council=council, role=Role.ADMIN)
    client = Client()
    client.force_login(colleague)
    assert client.get(url).status_code == 404
    assert client.post(url, {"column_1": "Title", "column_2": "Theme"}).status_code == 404
    pending.refresh_from_db()
    assert pending.mapping is None


@pytest.mark.django_db
def test_viewers_cannot_match_columns(council, viewer_client):
    url = reverse("import_columns", args=[council.slug, "00000000-0000-0000-0000-000000000000"])
    assert viewer_client.get(url).status_code == 403
    assert viewer_client.post(url, {"column_1": "Title"}).status_code == 403


@pytest.mark.django_db
def test_a_stale_mapping_is_an_error_not_a_guess(council):
    text = "A,B\r\nx,y\r\n"
    preview = csv_import.validate(council=council, text=text, mapping=["Title"])
    assert preview.file_errors == [
        "The columns have changed since they were matched. Match them again."
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["import_columns", "import_preview"])
def test_query_count_does_not_grow_with_the_rows(editor_client, council, page):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    theme_name = council.themes.first().name

    def count(rows: int) -> int:
        body = "".join(f",Item {n},{theme_name},Why {n},x\r\n" for n in range(rows))
        data = ("Ref,Challenge,Category,Problem,Notes\r\n" + body).encode()
        editor_client.post(
            reverse("import", args=[council.slug]),
            {"file": SimpleUploadedFile("ours.csv", data, "text/csv")},
        )
        pending = PendingImport.objects.get()
        mapping = ["Reference", "Title", "Theme", "Problem statement", ""]
        PendingImport.objects.filter(pk=pending.pk).update(mapping=mapping)
        with CaptureQueriesContext(connection) as queries:
            response = editor_client.get(reverse(page, args=[council.slug, pending.token]))
        assert response.status_code == 200
        return len(queries)

    assert count(3) == count(300)
