"""The import pages: upload, preview, apply; roles, binding to user and council, limits."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from councils.models import Role
from planner.models import BacklogItem, PendingImport
from tests.factories import BacklogItemFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

GOOD = "Title,Theme,Citizen impact\r\nOnline permits,Procurement,4\r\nWebchat,Data sharing,\r\n"


def _upload(client, council, data: bytes | str = GOOD, name: str = "backlog.csv"):
    if isinstance(data, str):
        data = data.encode()
    return client.post(
        reverse("import", args=[council.slug]),
        {"file": SimpleUploadedFile(name, data, "text/csv")},
    )


def test_editor_sees_the_upload_form(editor_client, council):
    response = editor_client.get(reverse("import", args=[council.slug]))
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in response.content.decode()


def test_viewer_cannot_open_or_post_the_import(viewer_client, council):
    assert viewer_client.get(reverse("import", args=[council.slug])).status_code == 403
    assert _upload(viewer_client, council).status_code == 403
    assert not PendingImport.objects.exists()


def test_non_member_gets_404(outsider_client, council):
    assert _upload(outsider_client, council).status_code == 404


def test_upload_redirects_to_a_preview_listing_every_row(editor_client, council):
    response = _upload(editor_client, council)
    pending = PendingImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("import_preview", args=[council.slug, pending.token])
    page = editor_client.get(response["Location"]).content.decode()
    assert "Online permits" in page and "Webchat" in page
    assert "Import 2 rows" in page
    assert not council.items.exists()


def test_preview_lists_row_errors_with_row_column_and_message(editor_client, council):
    data = "Title,Theme\r\nGood,Procurement\r\nBad,Blockchain\r\n"
    response = editor_client.get(_upload(editor_client, council, data)["Location"])
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Row 3, Theme: “Blockchain” is not a theme of this council" in page
    assert "Import 1 row" not in page  # no apply button while there are errors


def test_apply_writes_the_rows_and_deletes_the_pending_upload(editor_client, council):
    _upload(editor_client, council)
    pending = PendingImport.objects.get()
    response = editor_client.post(reverse("import_apply", args=[council.slug, pending.token]))
    assert response.status_code == 302
    assert council.items.count() == 2
    assert not PendingImport.objects.exists()
    item = council.items.get(title="Online permits")
    assert item.history.first().history_user == editor_client.user


def test_apply_revalidates_and_writes_nothing_if_the_data_changed(editor_client, council):
    item = BacklogItemFactory(council=council)
    _upload(editor_client, council, f"Reference,Title,Theme\r\n{item.reference},X,Procurement\r\n")
    pending = PendingImport.objects.get()
    item.archived = True  # someone archived it between preview and apply
    item.save()
    response = editor_client.post(reverse("import_apply", args=[council.slug, pending.token]))
    assert response.status_code == 409
    assert "is archived" in response.content.decode()
    item.refresh_from_db()
    assert item.title != "X"


def test_another_user_cannot_preview_or_apply_someone_elses_upload(editor_client, council):
    _upload(editor_client, council)
    pending = PendingImport.objects.get()
    colleague = UserFactory(username="colleague")
    MembershipFactory(user=colleague, council=council, role=Role.ADMIN)
    client = Client()
    client.force_login(colleague)
    preview = reverse("import_preview", args=[council.slug, pending.token])
    apply = reverse("import_apply", args=[council.slug, pending.token])
    assert client.get(preview).status_code == 404
    assert client.post(apply).status_code == 404
    assert not council.items.exists()


def test_an_upload_cannot_be_applied_to_another_council(editor_client, council, other_council):
    _upload(editor_client, council)
    pending = PendingImport.objects.get()
    MembershipFactory(user=editor_client.user, council=other_council, role=Role.EDITOR)
    apply = reverse("import_apply", args=[other_council.slug, pending.token])
    assert editor_client.post(apply).status_code == 404
    assert not BacklogItem.objects.exists()


def test_expired_upload_cannot_be_applied(editor_client, council):
    _upload(editor_client, council)
    pending = PendingImport.objects.get()
    PendingImport.objects.update(created_at=timezone.now() - timedelta(days=2))
    apply = reverse("import_apply", args=[council.slug, pending.token])
    assert editor_client.post(apply).status_code == 404
    assert not council.items.exists()


def test_a_new_upload_clears_expired_ones(editor_client, council):
    _upload(editor_client, council)
    PendingImport.objects.update(created_at=timezone.now() - timedelta(days=2))
    _upload(editor_client, council)
    assert PendingImport.objects.count() == 1


def test_unknown_token_is_404(editor_client, council):
    url = reverse("import_preview", args=[council.slug, uuid.uuid4()])
    assert editor_client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"Title,Theme\r\n", "header row but no rows"),
        (b"Title,Theme\r\nA\x00,B\r\n", "NUL bytes"),
        (b"Title;Theme\r\nA;Procurement\r\n", "separated by semicolons"),
    ],
    ids=["empty", "header-only", "nul", "semicolons"],
)
def test_unusable_files_are_refused_on_the_upload_page(editor_client, council, data, message):
    response = _upload(editor_client, council, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "govuk-error-summary" in page and message in page
    assert not PendingImport.objects.exists()


def test_ten_megabyte_upload_gets_a_clear_message_not_a_413(editor_client, council):
    data = b"Title,Theme\r\n" + b"x" * (10 * 1024 * 1024)
    response = _upload(editor_client, council, data)
    assert response.status_code == 400
    assert "The file is bigger than 5 MB." in response.content.decode()
    assert not PendingImport.objects.exists()


def test_missing_file_gets_a_clear_message(editor_client, council):
    response = editor_client.post(reverse("import", args=[council.slug]), {})
    assert response.status_code == 400
    assert "Choose a CSV or Excel file to upload." in response.content.decode()


def test_preview_escapes_file_contents(editor_client, council):
    data = "Title,Theme\r\n<script>alert(1)</script>,Procurement\r\n"
    page = editor_client.get(_upload(editor_client, council, data)["Location"]).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
