"""Quick add: a title and a theme, one line above the table."""

from __future__ import annotations

import pytest
from django.urls import reverse

from planner.models import BacklogItem

pytestmark = pytest.mark.django_db


def add_url(council, query: str = "") -> str:
    return reverse("backlog_quick_add", args=[council.slug]) + query


def assert_nothing_added(response, status_code: int) -> None:
    assert response.status_code == status_code
    assert not BacklogItem.objects.exists()


def test_quick_add_without_js_creates_the_item_and_redirects_back(editor_client, council):
    theme = council.themes.first()
    response = editor_client.post(
        add_url(council, "?status=new"),
        {"add-title": "Online library renewals", "add-theme": theme.pk},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("backlog", args=[council.slug]) + "?status=new"
    item = council.items.get()
    assert (item.reference, item.title, item.theme) == ("DIG-001", "Online library renewals", theme)


def test_quick_add_with_htmx_returns_the_table_with_the_new_row_and_focus(editor_client, council):
    theme = council.themes.first()
    response = editor_client.post(
        add_url(council),
        {"add-title": "Online library renewals", "add-theme": theme.pk},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="backlog-table"')
    assert 'id="row-DIG-001"' in body
    assert "data-autofocus" in body


def test_quick_add_records_who_added_it(editor_client, council):
    theme = council.themes.first()
    editor_client.post(add_url(council), {"add-title": "Renewals", "add-theme": theme.pk})
    assert council.items.get().history.first().history_user == editor_client.user


def test_quick_add_queues_a_ranking_run(editor_client, council, django_capture_on_commit_callbacks):
    theme = council.themes.first()
    with django_capture_on_commit_callbacks():
        editor_client.post(add_url(council), {"add-title": "Renewals", "add-theme": theme.pk})
    assert council.runs.exists()


@pytest.mark.parametrize(
    ("title", "message"),
    [("   ", "Enter a title"), ("x" * 201, "at most 200"), ("bad\x00title", "Null characters")],
)
def test_quick_add_refuses_bad_titles(editor_client, council, title, message):
    theme = council.themes.first()
    response = editor_client.post(add_url(council), {"add-title": title, "add-theme": theme.pk})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not BacklogItem.objects.exists()


def test_quick_add_error_as_htmx_is_a_400_fragment(editor_client, council):
    response = editor_client.post(
        add_url(council), {"add-title": "", "add-theme": ""}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "govuk-error-summary" in body
    assert "<html" not in body


def test_quick_add_refuses_a_retired_theme(editor_client, council):
    theme = council.themes.first()
    theme.retired = True
    theme.save()
    response = editor_client.post(add_url(council), {"add-title": "x", "add-theme": theme.pk})
    assert_nothing_added(response, 400)


def test_quick_add_refuses_another_councils_theme(editor_client, council, other_council):
    theme = other_council.themes.first()
    response = editor_client.post(add_url(council), {"add-title": "x", "add-theme": theme.pk})
    assert_nothing_added(response, 400)


def test_retired_themes_are_not_offered_for_new_items(editor_client, council):
    theme = council.themes.first()
    theme.retired = True
    theme.save()
    form = editor_client.get(reverse("backlog", args=[council.slug])).context["quick_add_form"]
    assert theme not in form.fields["theme"].queryset


def test_viewer_cannot_quick_add(viewer_client, council):
    theme = council.themes.first()
    response = viewer_client.post(add_url(council), {"add-title": "x", "add-theme": theme.pk})
    assert_nothing_added(response, 403)


def test_references_follow_on(editor_client, council):
    theme = council.themes.first()
    for title in ["One", "Two"]:
        editor_client.post(add_url(council), {"add-title": title, "add-theme": theme.pk})
    assert list(council.items.values_list("reference", flat=True)) == ["DIG-001", "DIG-002"]
