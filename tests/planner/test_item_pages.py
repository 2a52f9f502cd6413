"""Item pages: view, create, edit and archive, with GOV.UK errors and roles."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from planner.models import MAX_EFFORT_DAYS, BacklogItem, ItemScore, Status
from tests.factories import BacklogItemFactory, done_run_for

pytestmark = pytest.mark.django_db


def item_url(name: str, item) -> str:
    return reverse(name, args=[item.council.slug, item.reference])


def form_data(council, **overrides) -> dict:
    data = {
        "title": "Online school admissions",
        "problem": "Parents post paper forms.",
        "theme": council.themes.first().pk,
        "status": "triage",
        "owner": "Priya Shah",
        "effort_days": "20",
        "one_off_cost": "15000",
        "recurring_cost": "",
        "stage": "alpha",
        "depends_on_refs": "",
    }
    data.update(overrides)
    return data


def edit_data(item, **overrides) -> dict:
    data = form_data(item.council, title=item.title, theme=item.theme_id, version=item.version)
    data.update(overrides)
    return data


# --- Viewing ---


def test_item_page_shows_the_item_scores_with_scale_and_history(viewer_client, council):
    item = BacklogItemFactory(council=council, title="Digital blue badge")
    criterion = council.criteria.first()
    ItemScore.objects.create(item=item, criterion=criterion, value=4)
    body = viewer_client.get(item_url("item_detail", item)).content.decode()
    assert "Digital blue badge" in body
    assert criterion.name in body
    assert escape(criterion.level_4) in body
    assert "History" in body


def test_item_page_shows_rank_from_the_latest_run(viewer_client, council):
    item = BacklogItemFactory(council=council)
    done_run_for(council, [item], scores=[72])
    body = viewer_client.get(item_url("item_detail", item)).content.decode()
    assert "72.0 out of 100" in body


def test_item_page_lists_dependencies_both_ways(viewer_client, council):
    base = BacklogItemFactory(council=council)
    item = BacklogItemFactory(council=council)
    later = BacklogItemFactory(council=council)
    item.depends_on.add(base)
    later.depends_on.add(item)
    body = viewer_client.get(item_url("item_detail", item)).content.decode()
    assert base.reference in body and later.reference in body


def test_item_reference_is_case_insensitive(viewer_client, council):
    item = BacklogItemFactory(council=council)
    url = reverse("item_detail", args=[council.slug, item.reference.lower()])
    assert viewer_client.get(url).status_code == 200


def test_viewer_sees_no_edit_controls_on_the_item_page(viewer_client, council):
    item = BacklogItemFactory(council=council)
    body = viewer_client.get(item_url("item_detail", item)).content.decode()
    assert "Edit" not in body.split("<main")[1].split("History")[0]
    assert 'type="radio"' not in body
    assert "Archive" not in body


def test_editor_sees_scoring_radios(editor_client, council):
    item = BacklogItemFactory(council=council)
    body = editor_client.get(item_url("item_detail", item)).content.decode()
    hand_scored = council.criteria.filter(active=True, derived_from_estimate=False)
    assert body.count('type="radio"') == 5 * hand_scored.count()


def test_another_councils_item_is_404(editor_client, other_council):
    foreign = BacklogItemFactory(council=other_council)
    url = reverse(
        "item_detail", args=[editor_client.user.memberships.get().council.slug, foreign.reference]
    )
    assert editor_client.get(url).status_code == 404


def test_non_member_gets_404_for_the_item(outsider_client, council):
    item = BacklogItemFactory(council=council)
    assert outsider_client.get(item_url("item_detail", item)).status_code == 404


@pytest.mark.parametrize("size", [1, 30])
def test_item_page_runs_a_constant_number_of_queries(
    editor_client, council, size, django_assert_max_num_queries
):
    item = BacklogItemFactory(council=council)
    for criterion in council.criteria.all():
        score = ItemScore.objects.create(item=item, criterion=criterion, value=2)
        for value in range(size % 5):
            score.value = value + 1
            score.save()
    for _ in range(size):
        other = BacklogItemFactory(council=council)
        item.depends_on.add(other)
        item.title = f"Renamed {_}"
        item.save()
    # 17: the ranking panel also reads the pending and latest runs ("Updating…"); 19: the
    # committee information reads the wards, and the history the directorates' names.
    with django_assert_max_num_queries(19):
        response = editor_client.get(item_url("item_detail", item))
    assert response.status_code == 200


# --- Creating ---


def test_editor_creates_an_item_with_full_details(editor_client, council):
    response = editor_client.post(reverse("item_new", args=[council.slug]), form_data(council))
    item = council.items.get()
    assert response.status_code == 302
    assert response["Location"] == item_url("item_detail", item)
    assert (item.reference, item.status, item.owner) == ("DIG-001", Status.TRIAGE, "Priya Shah")


def test_new_item_form_renders(editor_client, council):
    response = editor_client.get(reverse("item_new", args=[council.slug]))
    assert response.status_code == 200
    assert 'name="title"' in response.content.decode()


def test_new_item_can_depend_on_existing_items(editor_client, council):
    base = BacklogItemFactory(council=council)
    editor_client.post(
        reverse("item_new", args=[council.slug]),
        form_data(council, depends_on_refs=base.reference.lower()),
    )
    new = council.items.exclude(pk=base.pk).get()
    assert list(new.depends_on.all()) == [base]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "   ", "Enter a title"),
        ("title", "t" * 201, "at most 200"),
        ("problem", "p" * 5001, "at most 5000"),
        ("owner", "bad\x00owner", "Null characters"),
        ("effort_days", "-1", "greater than or equal to 0"),
        ("effort_days", str(MAX_EFFORT_DAYS + 1), "less than or equal to"),
        ("one_off_cost", "-5", "greater than or equal to 0"),
        ("recurring_cost", "1000000001", "less than or equal to"),
        ("effort_days", "lots", "Enter a number"),
        ("status", "exploded", "Select a valid choice"),
        ("theme", "", "Choose a theme"),
        ("depends_on_refs", "DIG-999", "There is no item DIG-999"),
    ],
)
def test_bad_input_gets_a_clear_error_and_creates_nothing(
    editor_client, council, field, value, message
):
    response = editor_client.post(
        reverse("item_new", args=[council.slug]), form_data(council, **{field: value})
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "govuk-error-summary" in body
    assert message in body
    assert not BacklogItem.objects.exists()


def test_dependency_on_another_councils_item_is_refused(editor_client, council, other_council):
    foreign = BacklogItemFactory(council=other_council, number=500, reference="DIG-500")
    response = editor_client.post(
        reverse("item_new", args=[council.slug]),
        form_data(council, depends_on_refs=foreign.reference),
    )
    assert response.status_code == 400
    assert not council.items.exists()


def test_viewer_cannot_create(viewer_client, council):
    response = viewer_client.post(reverse("item_new", args=[council.slug]), form_data(council))
    assert response.status_code == 403
    assert viewer_client.get(reverse("item_new", args=[council.slug])).status_code == 403


# --- Editing ---


def test_editor_edits_an_item(editor_client, council):
    item = BacklogItemFactory(council=council)
    response = editor_client.post(
        item_url("item_edit", item), edit_data(item, title="Better title")
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.title, item.version) == ("Better title", 2)


def test_edit_form_carries_the_version(editor_client, council):
    item = BacklogItemFactory(council=council, version=7)
    body = editor_client.get(item_url("item_edit", item)).content.decode()
    assert 'name="version" value="7"' in body


def test_edit_records_history_from_and_to(editor_client, council):
    item = BacklogItemFactory(council=council, title="Old title")
    item.history.update(history_user=editor_client.user)
    editor_client.post(item_url("item_edit", item), edit_data(item, title="New title"))
    body = editor_client.get(item_url("item_detail", item)).content.decode()
    assert "Old title → New title" in body
    assert editor_client.user.username in body


def test_status_change_queues_a_ranking_run(editor_client, council):
    item = BacklogItemFactory(council=council)
    editor_client.post(item_url("item_edit", item), edit_data(item, status="done"))
    assert council.runs.exists()


def test_dependency_cycle_is_refused_on_edit(editor_client, council):
    first = BacklogItemFactory(council=council)
    second = BacklogItemFactory(council=council)
    second.depends_on.add(first)
    response = editor_client.post(
        item_url("item_edit", first), edit_data(first, depends_on_refs=second.reference)
    )
    assert response.status_code == 400
    assert "loop of dependencies" in response.content.decode()
    assert not first.depends_on.exists()


def test_item_cannot_depend_on_itself(editor_client, council):
    item = BacklogItemFactory(council=council)
    response = editor_client.post(
        item_url("item_edit", item), edit_data(item, depends_on_refs=item.reference)
    )
    assert response.status_code == 400
    assert "cannot depend on itself" in response.content.decode()


def test_bad_edit_changes_nothing(editor_client, council):
    item = BacklogItemFactory(council=council, title="Keep me")
    response = editor_client.post(
        item_url("item_edit", item), edit_data(item, title="", effort_days="-3")
    )
    assert response.status_code == 400
    item.refresh_from_db()
    assert (item.title, item.version) == ("Keep me", 1)


def test_viewer_cannot_edit(viewer_client, council):
    item = BacklogItemFactory(council=council)
    response = viewer_client.post(item_url("item_edit", item), edit_data(item, title="Hacked"))
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.title != "Hacked"


@pytest.mark.parametrize(
    "title",
    ["<img src=x onerror=alert(1)>", '<div hx-get="/logout" hx-trigger="load">'],
)
def test_hostile_title_is_escaped_on_item_pages(editor_client, council, title):
    item = BacklogItemFactory(council=council, title=title, problem=title)
    for name in ("item_detail", "item_edit"):
        body = editor_client.get(item_url(name, item)).content.decode()
        assert title not in body
        assert escape(title) in body


# --- Archiving ---


def test_archiving_hides_the_item_and_queues_a_run(editor_client, council):
    item = BacklogItemFactory(council=council)
    response = editor_client.post(item_url("item_archive", item))
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.archived
    assert council.runs.exists()
    backlog = editor_client.get(reverse("backlog", args=[council.slug]))
    assert backlog.context["page"].paginator.count == 0


def test_archive_with_htmx_redirects_the_client(editor_client, council):
    item = BacklogItemFactory(council=council)
    response = editor_client.post(item_url("item_archive", item), HTTP_HX_REQUEST="true")
    assert response.headers["HX-Redirect"] == reverse("backlog", args=[council.slug])


def test_archived_item_cannot_be_edited(editor_client, council):
    item = BacklogItemFactory(council=council, archived=True)
    response = editor_client.post(item_url("item_edit", item), edit_data(item, title="Again"))
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.title != "Again"


def test_viewer_cannot_archive(viewer_client, council):
    item = BacklogItemFactory(council=council)
    assert viewer_client.post(item_url("item_archive", item)).status_code == 403
    item.refresh_from_db()
    assert not item.archived
