"""The backlog page: table, filters, search, sort, pages, ranking columns and query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from planner.models import BacklogItem, ItemScore, Status
from tests.factories import BacklogItemFactory, done_run_for, score_all

pytestmark = pytest.mark.django_db


def backlog_url(council, **params) -> str:
    from urllib.parse import urlencode

    url = reverse("backlog", args=[council.slug])
    return f"{url}?{urlencode(params)}" if params else url


def refs(response) -> list[str]:
    return [item.reference for item in response.context["items"]]


def make_items(council, count: int) -> list[BacklogItem]:
    themes = list(council.themes.all())
    return BacklogItem.objects.bulk_create(
        BacklogItem(
            council=council,
            number=number,
            reference=BacklogItem.format_reference(number),
            title=f"Bulk challenge {number}",
            theme=themes[number % len(themes)],
            owner=f"Owner {number % 3}",
        )
        for number in range(1, count + 1)
    )


def test_viewer_sees_the_table_with_reference_title_and_theme(viewer_client, council):
    item = BacklogItemFactory(council=council, title="Online parking permits")
    response = viewer_client.get(backlog_url(council))
    assert response.status_code == 200
    body = response.content.decode()
    assert item.reference in body
    assert "Online parking permits" in body
    assert item.theme.name in body


def test_htmx_request_gets_only_the_table(viewer_client, council):
    BacklogItemFactory(council=council)
    response = viewer_client.get(backlog_url(council), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="backlog-table"')
    assert "<html" not in body


def test_table_refreshes_itself_when_a_ranking_finishes(viewer_client, council):
    response = viewer_client.get(backlog_url(council, status="ready"))
    body = response.content.decode()
    assert 'hx-trigger="ranking-updated from:body"' in body
    assert f'hx-get="{reverse("backlog", args=[council.slug])}?status=ready"' in body


def test_page_includes_the_ranking_status(viewer_client, council):
    response = viewer_client.get(backlog_url(council))
    assert 'id="ranking-status"' in response.content.decode()


def test_archived_items_are_not_listed(viewer_client, council):
    BacklogItemFactory(council=council, archived=True, title="Gone")
    response = viewer_client.get(backlog_url(council))
    assert response.context["page"].paginator.count == 0


def test_filter_by_theme(viewer_client, council):
    first, second = council.themes.all()[:2]
    wanted = BacklogItemFactory(council=council, theme=first)
    BacklogItemFactory(council=council, theme=second)
    response = viewer_client.get(backlog_url(council, theme=first.pk))
    assert refs(response) == [wanted.reference]


def test_filter_by_status(viewer_client, council):
    wanted = BacklogItemFactory(council=council, status=Status.READY)
    BacklogItemFactory(council=council, status=Status.NEW)
    response = viewer_client.get(backlog_url(council, status="ready"))
    assert refs(response) == [wanted.reference]


def test_filter_by_owner(viewer_client, council):
    wanted = BacklogItemFactory(council=council, owner="Priya Shah")
    BacklogItemFactory(council=council, owner="Tom Jones")
    response = viewer_client.get(backlog_url(council, owner="Priya Shah"))
    assert refs(response) == [wanted.reference]


def test_search_matches_title_or_problem(viewer_client, council):
    by_title = BacklogItemFactory(council=council, title="Parking permits online")
    by_problem = BacklogItemFactory(council=council, problem="Residents queue for PARKING.")
    BacklogItemFactory(council=council, title="Bins", problem="Missed collections")
    response = viewer_client.get(backlog_url(council, q="parking"))
    assert sorted(refs(response)) == sorted([by_title.reference, by_problem.reference])


def test_needs_scoring_lists_items_with_any_criterion_unscored(viewer_client, council):
    complete = BacklogItemFactory(council=council)
    score_all(complete)
    partial = BacklogItemFactory(council=council)
    ItemScore.objects.create(item=partial, criterion=council.criteria.first(), value=3)
    unscored = BacklogItemFactory(council=council)
    response = viewer_client.get(backlog_url(council, needs_scoring="on"))
    assert sorted(refs(response)) == sorted([partial.reference, unscored.reference])


def test_sort_by_title_descending(viewer_client, council):
    for title in ["Beta", "Alpha", "Gamma"]:
        BacklogItemFactory(council=council, title=title)
    response = viewer_client.get(backlog_url(council, sort="-title"))
    assert [item.title for item in response.context["items"]] == ["Gamma", "Beta", "Alpha"]


def test_sort_by_effort_puts_blank_effort_last(viewer_client, council):
    big = BacklogItemFactory(council=council, effort_days=50)
    blank = BacklogItemFactory(council=council, effort_days=None)
    small = BacklogItemFactory(council=council, effort_days=5)
    response = viewer_client.get(backlog_url(council, sort="effort"))
    assert refs(response) == [small.reference, big.reference, blank.reference]


def test_score_and_rank_columns_come_from_the_latest_done_run(viewer_client, council):
    first, second = BacklogItemFactory(council=council), BacklogItemFactory(council=council)
    done_run_for(council, [first, second], scores=[40, 80])
    done_run_for(council, [second, first], scores=[88, 77])  # newer: this one counts
    response = viewer_client.get(backlog_url(council, sort="rank"))
    items = response.context["items"]
    assert [item.reference for item in items] == [second.reference, first.reference]
    assert [float(item.ranked_score) for item in items] == [88.0, 77.0]
    assert ">88.0<" in response.content.decode()


def test_sort_by_score_descending(viewer_client, council):
    low, high = BacklogItemFactory(council=council), BacklogItemFactory(council=council)
    unranked = BacklogItemFactory(council=council)
    done_run_for(council, [high, low], scores=[90, 10])
    response = viewer_client.get(backlog_url(council, sort="-score"))
    assert refs(response) == [high.reference, low.reference, unranked.reference]


def test_score_and_rank_are_blank_without_a_run(viewer_client, council):
    BacklogItemFactory(council=council)
    response = viewer_client.get(backlog_url(council))
    item = response.context["items"][0]
    assert item.ranked_score is None
    assert item.ranked_rank is None


def test_tied_rank_is_shown_with_an_equals_sign(viewer_client, council):
    first, second = BacklogItemFactory(council=council), BacklogItemFactory(council=council)
    run = done_run_for(council, [first, second], scores=[50, 50])
    run.entries.update(rank=1, tied=True)
    response = viewer_client.get(backlog_url(council))
    assert ">=1<" in response.content.decode()


def test_pages_of_fifty(viewer_client, council):
    make_items(council, 51)
    first = viewer_client.get(backlog_url(council, sort="reference"))
    second = viewer_client.get(backlog_url(council, sort="reference", page=2))
    assert len(first.context["items"]) == 50
    assert refs(second) == ["DIG-051"]
    assert 'class="govuk-pagination"' in first.content.decode()


def test_page_links_keep_the_filters(viewer_client, council):
    make_items(council, 60)
    response = viewer_client.get(backlog_url(council, sort="title"))
    assert "?sort=title&amp;page=2" in response.content.decode()


def test_invalid_filter_is_reported_and_the_rest_still_applies(viewer_client, council):
    wanted = BacklogItemFactory(council=council, status=Status.READY)
    BacklogItemFactory(council=council, status=Status.NEW)
    response = viewer_client.get(backlog_url(council, status="ready", theme="not-a-theme"))
    assert response.status_code == 400
    assert "govuk-error-summary" in response.content.decode()
    assert refs(response) == [wanted.reference]


def test_invalid_filter_as_htmx_gets_400_with_the_error_fragment(viewer_client, council):
    response = viewer_client.get(backlog_url(council, sort="nonsense"), HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "govuk-error-summary" in response.content.decode()


def test_search_with_a_nul_byte_is_refused_not_a_500(viewer_client, council):
    # A URL with a NUL byte anywhere names nothing: every council page answers 404 (issue 14).
    response = viewer_client.get(backlog_url(council, q="bad\x00query"))
    assert response.status_code == 404


def test_another_councils_theme_is_not_a_valid_filter(viewer_client, council, other_council):
    foreign = other_council.themes.first()
    BacklogItemFactory(council=council)
    response = viewer_client.get(backlog_url(council, theme=foreign.pk))
    assert response.status_code == 400


def test_other_councils_items_never_appear(viewer_client, council, other_council):
    BacklogItemFactory(council=other_council, title="Secret elsewhere")
    response = viewer_client.get(backlog_url(council))
    assert "Secret elsewhere" not in response.content.decode()


def test_non_member_gets_404(outsider_client, council):
    assert outsider_client.get(backlog_url(council)).status_code == 404


def test_viewer_sees_no_edit_controls(viewer_client, council):
    BacklogItemFactory(council=council)
    body = viewer_client.get(backlog_url(council)).content.decode()
    assert "Quick add" not in body
    assert 'id="bulk-form"' not in body
    assert 'name="items"' not in body
    assert "Add an item" not in body


def test_viewer_gets_no_score_action(viewer_client, council):
    item = BacklogItemFactory(council=council)
    body = viewer_client.get(backlog_url(council)).content.decode()
    assert f'Score<span class="govuk-visually-hidden"> {item.reference}' not in body
    assert reverse("score_grid", args=[council.slug]) not in body


def test_editor_rows_score_action_opens_the_grid_on_that_row(editor_client, council):
    item = BacklogItemFactory(council=council)
    body = editor_client.get(backlog_url(council)).content.decode()
    grid = reverse("score_grid", args=[council.slug])
    assert f'href="{grid}?items={item.reference}">Score<span' in body


def test_editor_sees_quick_add_and_bulk_controls(editor_client, council):
    BacklogItemFactory(council=council)
    body = editor_client.get(backlog_url(council)).content.decode()
    assert "Quick add" in body
    assert 'id="bulk-form"' in body


@pytest.mark.parametrize(
    "title",
    ["<img src=x onerror=alert(1)>", '<div hx-get="/logout" hx-trigger="load">'],
)
def test_hostile_titles_render_as_text(editor_client, council, title):
    BacklogItemFactory(council=council, title=title, owner=title)
    body = editor_client.get(backlog_url(council)).content.decode()
    assert title not in body
    assert escape(title) in body


@pytest.mark.parametrize("size", [10, 500])
def test_backlog_page_runs_a_constant_number_of_queries(
    editor_client, council, size, django_assert_max_num_queries
):
    items = make_items(council, size)
    for item in items[:5]:
        score_all(item)
    done_run_for(council, items[:20])
    # 16: quick add's "added in this sitting" reads the item history once; 18: the ward
    # and directorate filters each read their list once.
    with django_assert_max_num_queries(18):
        response = editor_client.get(backlog_url(council))
    assert response.status_code == 200


@pytest.mark.parametrize("size", [10, 500])
def test_filtered_htmx_table_runs_a_constant_number_of_queries(
    editor_client, council, size, django_assert_max_num_queries
):
    make_items(council, size)
    # 17: with the ward and directorate filters' lists.
    with django_assert_max_num_queries(17):
        response = editor_client.get(
            backlog_url(council, needs_scoring="on", sort="-score", q="challenge"),
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 200
