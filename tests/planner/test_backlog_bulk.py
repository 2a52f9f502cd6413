"""Bulk actions: tick rows, then change their status or theme in one step."""

from __future__ import annotations

import pytest
from django.urls import reverse

from planner.models import Status
from tests.factories import BacklogItemFactory

pytestmark = pytest.mark.django_db


def bulk_url(council) -> str:
    return reverse("backlog_bulk", args=[council.slug])


def bulk_change(client, council, item, change: str):
    """Post one bulk change for a single item, as the backlog's bulk bar does."""
    return client.post(bulk_url(council), {"items": [item.reference], "change": change})


def assert_refused_and_unchanged(response, item, status_code: int) -> None:
    assert response.status_code == status_code
    item.refresh_from_db()
    assert item.status == Status.NEW


def test_bulk_status_change_without_js(editor_client, council):
    first, second = BacklogItemFactory(council=council), BacklogItemFactory(council=council)
    untouched = BacklogItemFactory(council=council)
    response = editor_client.post(
        bulk_url(council), {"items": [first.reference, second.reference], "change": "status:ready"}
    )
    assert response.status_code == 302
    statuses = dict(council.items.values_list("reference", "status"))
    assert statuses[first.reference] == statuses[second.reference] == Status.READY
    assert statuses[untouched.reference] == Status.NEW


def test_bulk_theme_change_with_htmx_returns_the_table(editor_client, council):
    item = BacklogItemFactory(council=council)
    target = council.themes.last()
    response = editor_client.post(
        bulk_url(council),
        {"items": [item.reference], "change": f"theme:{target.pk}"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<div id="backlog-table"')
    item.refresh_from_db()
    assert item.theme == target


def test_bulk_change_bumps_versions_and_records_history(editor_client, council):
    item = BacklogItemFactory(council=council)
    bulk_change(editor_client, council, item, "status:parked")
    item.refresh_from_db()
    assert item.version == 2
    latest = item.history.first()
    assert (latest.status, latest.history_user) == (Status.PARKED, editor_client.user)


def test_bulk_status_change_queues_a_ranking_run(
    editor_client, council, django_capture_on_commit_callbacks
):
    item = BacklogItemFactory(council=council)
    with django_capture_on_commit_callbacks():
        bulk_change(editor_client, council, item, "status:done")
    assert council.runs.exists()


def test_bulk_without_selection_is_refused(editor_client, council):
    BacklogItemFactory(council=council)
    response = editor_client.post(bulk_url(council), {"change": "status:ready"})
    assert response.status_code == 400
    assert "Select at least one item" in response.content.decode()


def test_bulk_with_an_unknown_change_is_refused_and_changes_nothing(editor_client, council):
    item = BacklogItemFactory(council=council)
    response = bulk_change(editor_client, council, item, "status:exploded")
    assert_refused_and_unchanged(response, item, 400)


def test_bulk_cannot_touch_another_councils_items(editor_client, council, other_council):
    foreign = BacklogItemFactory(council=other_council)
    response = bulk_change(editor_client, council, foreign, "status:done")
    assert_refused_and_unchanged(response, foreign, 400)


def test_bulk_cannot_move_items_to_a_retired_theme(editor_client, council):
    item = BacklogItemFactory(council=council)
    retired = council.themes.last()
    retired.retired = True
    retired.save()
    response = editor_client.post(
        bulk_url(council), {"items": [item.reference], "change": f"theme:{retired.pk}"}
    )
    assert response.status_code == 400


def test_bulk_error_as_htmx_is_a_400_fragment(editor_client, council):
    response = editor_client.post(bulk_url(council), {}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "<html" not in response.content.decode()


def test_viewer_cannot_bulk_change(viewer_client, council):
    item = BacklogItemFactory(council=council)
    response = bulk_change(viewer_client, council, item, "status:done")
    assert_refused_and_unchanged(response, item, 403)
