"""Safety nets: archiving asks first, archived items can be found and restored, bulk changes
say what they changed, quick add remembers the sitting, and the item page refreshes its
ranking after a score is saved."""

from __future__ import annotations

import pytest
from django.urls import reverse

from councils.models import Role
from planner.history import item_history
from planner.models import BacklogItem, Status
from tests.conftest import member_client
from tests.factories import BacklogItemFactory, done_run_for, score_all

pytestmark = pytest.mark.django_db


def item_url(name: str, item) -> str:
    return reverse(name, args=[item.council.slug, item.reference])


def backlog(council, **query):
    return reverse("backlog", args=[council.slug]), query


# --- Archive: confirm, then restore ------------------------------------------------


def test_archive_asks_first_on_a_warning_page_without_js(editor_client, council):
    item = BacklogItemFactory(council=council)
    response = editor_client.get(item_url("item_archive", item))
    html = response.content.decode()
    assert response.status_code == 200
    assert "govuk-warning-text" in html
    assert f"Yes, archive {item.reference}" in html
    assert f'action="{item_url("item_archive", item)}"' in html
    item.refresh_from_db()
    assert not item.archived


def test_archive_confirmation_with_htmx_is_a_step_inside_the_item_page(editor_client, council):
    item = BacklogItemFactory(council=council)
    response = editor_client.get(item_url("item_archive", item), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'id="archive-confirm"' in html
    assert "<html" not in html
    page = editor_client.get(item_url("item_detail", item)).content.decode()
    # The item page links to the confirmation (works without JS) and loads it in place.
    assert f'href="{item_url("item_archive", item)}"' in page
    assert 'hx-target="#archive-step"' in page


def test_viewer_cannot_open_the_archive_confirmation(viewer_client, council):
    item = BacklogItemFactory(council=council)
    assert viewer_client.get(item_url("item_archive", item)).status_code == 403


def test_the_archived_filter_lists_archived_items_only(editor_client, council):
    live = BacklogItemFactory(council=council, title="Still here")
    gone = BacklogItemFactory(council=council, title="Put away", archived=True)
    url, query = backlog(council, archived="on")
    response = editor_client.get(url, query)
    html = response.content.decode()
    assert [row.item.pk for row in response.context["rows"]] == [gone.pk]
    assert f'Restore<span class="govuk-visually-hidden"> {gone.reference}' in html
    assert live.title not in html
    assert "1 archived item" in html


def test_restore_brings_the_item_back_with_history(editor_client, council):
    item = BacklogItemFactory(council=council)
    editor_client.post(item_url("item_archive", item))
    response = editor_client.post(item_url("item_restore", item) + "?archived=on", follow=True)
    item.refresh_from_db()
    assert not item.archived
    assert f"{item.reference} restored to the backlog." in response.content.decode()
    changes = [c for e in item_history(item, []) for c in e.changes if c[0] == "Archived"]
    assert changes == [("Archived", "Yes", "No"), ("Archived", "No", "Yes")]
    assert council.runs.exists()


def test_restore_with_htmx_returns_the_table_with_a_summary(editor_client, council):
    item = BacklogItemFactory(council=council, archived=True)
    response = editor_client.post(
        item_url("item_restore", item) + "?archived=on", HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert 'id="backlog-table"' in html and "<html" not in html
    assert f"{item.reference} restored to the backlog." in html


def test_viewer_cannot_restore(viewer_client, council):
    item = BacklogItemFactory(council=council, archived=True)
    assert viewer_client.post(item_url("item_restore", item)).status_code == 403
    item.refresh_from_db()
    assert item.archived


# --- Bulk changes say what they changed ----------------------------------------------


def test_bulk_change_without_js_confirms_with_the_references(editor_client, council):
    first, second, _ = (BacklogItemFactory(council=council) for _ in range(3))
    response = editor_client.post(
        reverse("backlog_bulk", args=[council.slug]),
        {"items": [second.reference, first.reference], "change": "status:ready"},
        follow=True,
    )
    expected = f"Status set to Ready on 2 items: {first.reference}, {second.reference}."
    assert expected in response.content.decode()


def test_bulk_change_with_htmx_confirms_in_the_table(editor_client, council):
    item = BacklogItemFactory(council=council)
    theme = council.themes.exclude(pk=item.theme_id).first()
    response = editor_client.post(
        reverse("backlog_bulk", args=[council.slug]),
        {"items": [item.reference], "change": f"theme:{theme.pk}"},
        HTTP_HX_REQUEST="true",
    )
    assert f"Theme set to {theme.name} on 1 item: {item.reference}." in response.content.decode()


def test_bulk_change_that_changes_nothing_says_so(editor_client, council):
    item = BacklogItemFactory(council=council, status=Status.READY)
    response = editor_client.post(
        reverse("backlog_bulk", args=[council.slug]),
        {"items": [item.reference], "change": "status:ready"},
        HTTP_HX_REQUEST="true",
    )
    assert (
        "Nothing changed: the selected items already had that status." in response.content.decode()
    )


def test_bulk_error_with_htmx_can_only_replace_the_table(editor_client, council):
    """The known bug: a 400 from the bulk form must land in the table, never the page."""
    page = editor_client.get(reverse("backlog", args=[council.slug])).content.decode()
    form = page[page.index('id="bulk-form"') :].split(">", 1)[0]
    assert 'hx-target="#backlog-table"' in form
    assert 'hx-select="#backlog-table"' in form
    response = editor_client.post(
        reverse("backlog_bulk", args=[council.slug]), {}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert html.lstrip().startswith('<div id="backlog-table"')
    assert "Select at least one item" in html


# --- Quick add remembers the sitting ----------------------------------------------------


def quick_add(client, council, title, theme, htmx=True):
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(
        reverse("backlog_quick_add", args=[council.slug]),
        {"add-title": title, "add-theme": theme.pk},
        **extra,
    )


def test_quick_add_keeps_the_theme_and_lists_the_sitting(editor_client, council):
    theme = council.themes.order_by("-position").first()
    quick_add(editor_client, council, "Library renewals", theme)
    response = quick_add(editor_client, council, "Parking permits", theme)
    html = response.content.decode()
    assert f'<option value="{theme.pk}" selected>' in html
    assert "Added in this sitting (2)" in html
    assert html.index("Parking permits</li>") < html.index("Library renewals</li>")


def test_quick_add_without_js_keeps_the_theme_too(editor_client, council):
    theme = council.themes.order_by("-position").first()
    quick_add(editor_client, council, "Library renewals", theme, htmx=False)
    html = editor_client.get(reverse("backlog", args=[council.slug])).content.decode()
    assert f'<option value="{theme.pk}" selected>' in html
    assert "Added in this sitting (1)" in html


def test_the_sitting_lists_only_my_own_adds(editor_client, council):
    theme = council.themes.first()
    someone_else = member_client(council, Role.ADMIN)
    quick_add(someone_else, council, "Their item", theme)
    html = editor_client.get(reverse("backlog", args=[council.slug])).content.decode()
    assert "Added in this sitting" not in html
    assert BacklogItem.objects.count() == 1


# --- The item page refreshes its ranking after a score ---------------------------------


def score_post(client, item, criterion, value):
    return client.post(
        reverse("item_score", args=[item.council.slug, item.reference, criterion.pk]),
        {"value": value, "rationale": "", "version": 0},
        HTTP_HX_REQUEST="true",
    )


def test_a_saved_score_says_updating_until_the_run_is_done(editor_client, council):
    item = BacklogItemFactory(council=council)
    criterion = council.criteria.filter(derived_from_estimate=False).first()
    # In a test transaction the run's enqueue (on commit) never happens: it stays queued.
    response = score_post(editor_client, item, criterion, 4)
    html = response.content.decode()
    assert 'id="score-panel-' in html
    assert 'id="item-ranking"' in html and 'hx-swap-oob="true"' in html
    assert "Updating…" in html
    assert 'hx-trigger="every 1s"' in html  # the status poller fires ranking-updated when done
    assert "HX-Trigger" not in response.headers


@pytest.mark.django_db(transaction=True)
def test_a_score_ranked_at_once_refreshes_the_panel_straight_away(editor_client, council):
    """Real commits: the eager run is computed when the score commits, inside the request."""
    item = BacklogItemFactory(council=council)
    criterion = council.criteria.filter(derived_from_estimate=False).first()
    response = score_post(editor_client, item, criterion, 5)
    assert response.status_code == 200
    assert council.runs.get().status == "done"
    assert "ranking-updated" in response.headers["HX-Trigger"]
    assert "Updating…" not in response.content.decode()


def test_the_ranking_panel_reloads_alone_with_htmx(editor_client, council):
    item = BacklogItemFactory(council=council)
    score_all(item)
    done_run_for(council, [item])
    response = editor_client.get(item_url("item_detail", item), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="item-ranking"')
    assert "Why this rank" in html
    assert "<html" not in html
    assert 'hx-trigger="ranking-updated from:body"' in html


# --- From the backlog to a scoring round -------------------------------------------------


def test_score_in_a_round_takes_the_ticked_rows_to_the_start_page(editor_client, council):
    first, _, third = (BacklogItemFactory(council=council) for _ in range(3))
    response = editor_client.post(
        reverse("backlog_bulk", args=[council.slug]),
        {"items": [third.reference, first.reference], "start_round": "1"},
    )
    start = reverse("round_new", args=[council.slug])
    assert response["Location"] == f"{start}?items={first.reference}&items={third.reference}"
    assert council.items.filter(status=Status.NEW).count() == 3  # nothing bulk-changed


def test_score_in_a_round_with_nothing_ticked_takes_the_filters(editor_client, council):
    theme = council.themes.first()
    response = editor_client.post(
        reverse("backlog_bulk", args=[council.slug]) + f"?theme={theme.pk}",
        {"start_round": "1"},
        HTTP_HX_REQUEST="true",
    )
    start = reverse("round_new", args=[council.slug])
    assert response["HX-Redirect"] == f"{start}?theme={theme.pk}"
