"""A request body bigger than any form takes is refused before anything reads it."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from planner.models import PendingImport


@pytest.mark.django_db
def test_an_oversized_upload_is_refused_before_it_is_read(editor_client, council):
    url = reverse("import", args=[council.slug])
    with override_settings(MAX_REQUEST_BYTES=1024):
        response = editor_client.generic(
            "POST", url, b"x" * 4096, content_type="multipart/form-data; boundary=b"
        )
    assert response.status_code == 413
    assert "The file is too big" in response.content.decode()
    assert not PendingImport.objects.exists()


@pytest.mark.django_db
def test_a_body_within_the_limit_goes_through(editor_client, council):
    url = reverse("import", args=[council.slug])
    response = editor_client.post(url, {})
    assert response.status_code == 400  # the form's own "choose a file" error, not 413
