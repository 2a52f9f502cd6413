"""The scoring grid: rows from the backlog's filters or ticks, one Save for every cell, all or
nothing with stale cells and bad values, history, one ranking run, and constant queries."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from councils.models import Role
from planner import items as item_service
from planner import score_grid
from planner.models import BacklogItem, Criterion, ItemScore, RankingRun
from planner.score_grid import CellInput
from tests.concurrency import at_once, council_with_member, needs_postgres
from tests.factories import BacklogItemFactory, MembershipFactory, UserFactory, score_all

pytestmark = pytest.mark.django_db


def grid_url(council, query: str = "") -> str:
    return reverse("score_grid", args=[council.slug]) + (f"?{query}" if query else "")


def hand_scored(council) -> list:
    return list(council.criteria.filter(active=True, derived_from_estimate=False))


def grid_data(items, criteria, values=None, *, versions=None, rationales=None) -> dict:
    """The grid as a browser posts it: every cell (blank when not chosen), its version, the
    rows' references. `values` maps (item, criterion) or item to the level chosen."""
    values = values or {}
    versions = versions or {}
    rationales = rationales or {}
    data: dict = {"items": [item.reference for item in items]}
    for item in items:
        for criterion in criteria:
            key = f"{item.reference}-{criterion.pk}"
            value = values.get((item.pk, criterion.pk), values.get(item.pk, ""))
            data[f"score-{key}"] = str(value)
            data[f"version-{key}"] = str(versions.get((item.pk, criterion.pk), 0))
            data[f"rationale-{key}"] = rationales.get((item.pk, criterion.pk), "")
    return data


def make_items(council, count: int) -> list[BacklogItem]:
    return BacklogItemFactory.create_batch(count, council=council)


# --- the page ----------------------------------------------------------------------------


def test_grid_shows_one_row_per_item_and_a_column_per_hand_scored_criterion(editor_client, council):
    first, second = make_items(council, 2)
    response = editor_client.get(grid_url(council))
    body = response.content.decode()
    assert response.status_code == 200
    criteria = hand_scored(council)
    for item in (first, second):
        for criterion in criteria:
            assert f'name="score-{item.reference}-{criterion.pk}"' in body
    effort = council.criteria.get(derived_from_estimate=True)
    assert f'-{effort.pk}"' not in body
    # The anchored level text is in the options.
    level = criteria[0].levels[2]
    assert f">3: {escape(level[1])}</option>" in body


def test_rows_follow_the_backlogs_filters(editor_client, council):
    scored, unscored = make_items(council, 2)
    score_all(scored)
    body = editor_client.get(grid_url(council, "needs_scoring=on")).content.decode()
    assert f'value="{unscored.reference}"' in body
    assert f'value="{scored.reference}"' not in body


def test_rows_can_be_the_ones_ticked_in_the_backlog(editor_client, council):
    first, second, third = make_items(council, 3)
    body = editor_client.get(
        grid_url(council, f"items={first.reference}&items={third.reference}")
    ).content.decode()
    assert f'name="items" value="{first.reference}"' in body
    assert f'name="items" value="{third.reference}"' in body
    assert f'name="items" value="{second.reference}"' not in body


def test_backlog_ticks_become_a_grid_address(editor_client, council):
    first, second = make_items(council, 2)
    response = editor_client.post(
        reverse("score_grid_select", args=[council.slug]),
        {"items": [first.reference, second.reference]},
    )
    assert response.status_code == 302
    assert response["Location"] == grid_url(
        council, f"items={first.reference}&items={second.reference}"
    )


def test_backlog_ticks_with_htmx_send_the_browser_to_the_grid(editor_client, council):
    item = BacklogItemFactory(council=council)
    response = editor_client.post(
        reverse("score_grid_select", args=[council.slug]),
        {"items": [item.reference], "change": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response["HX-Redirect"] == grid_url(council, f"items={item.reference}")


def test_backlog_offers_the_grid_for_its_filters_and_its_ticks(editor_client, council):
    BacklogItemFactory(council=council)
    body = editor_client.get(
        reverse("backlog", args=[council.slug]) + "?needs_scoring=on&page=1"
    ).content.decode()
    assert f'href="{grid_url(council, "needs_scoring=on")}">Score these items in a grid' in body
    assert f'formaction="{reverse("score_grid_select", args=[council.slug])}"' in body


def test_no_ticks_goes_back_with_a_message(editor_client, council):
    response = editor_client.post(reverse("score_grid_select", args=[council.slug]), follow=True)
    assert "Tick at least one row" in response.content.decode()


def test_viewer_cannot_open_or_save_the_grid(viewer_client, council):
    item = BacklogItemFactory(council=council)
    assert viewer_client.get(grid_url(council)).status_code == 403
    data = grid_data([item], hand_scored(council), {item.pk: 3})
    assert viewer_client.post(grid_url(council), data).status_code == 403
    assert not ItemScore.objects.exists()


def test_outsider_gets_404_and_cannot_score_another_councils_items(
    outsider_client, council, other_council
):
    item = BacklogItemFactory(council=council)
    assert outsider_client.get(grid_url(council)).status_code == 404
    # Posting this council's references to the outsider's own council scores nothing.
    data = grid_data([item], hand_scored(council), {item.pk: 3})
    response = outsider_client.post(grid_url(other_council), data)
    assert response.status_code in {302, 400}
    assert not ItemScore.objects.exists()


def test_grid_works_without_javascript_as_a_plain_form(editor_client, council):
    make_items(council, 1)
    body = editor_client.get(grid_url(council)).content.decode()
    assert f'<form method="post" action="{grid_url(council)}" novalidate>' in body
    assert "hx-post" not in body
    assert body.count('type="submit" class="govuk-button" data-module="govuk-button"') == 1


# --- saving ------------------------------------------------------------------------------


def test_one_save_writes_every_cell_with_history_and_one_ranking_run(editor_client, council):
    items = make_items(council, 3)
    criteria = hand_scored(council)
    runs_before = RankingRun.objects.filter(council=council).count()
    data = grid_data(
        items,
        criteria,
        {item.pk: 4 for item in items},
        rationales={(items[0].pk, criteria[0].pk): "Every resident benefits"},
    )
    data["next"] = grid_url(council, "needs_scoring=on")
    response = editor_client.post(grid_url(council), data)
    assert response.status_code == 302
    assert response["Location"] == grid_url(council, "needs_scoring=on")
    scores = ItemScore.objects.filter(item__in=items, criterion__in=criteria)
    assert scores.count() == 3 * len(criteria)
    assert {score.value for score in scores} == {4}
    assert {score.set_by for score in scores} == {editor_client.user}
    assert scores.get(item=items[0], criterion=criteria[0]).rationale == "Every resident benefits"
    assert ItemScore.history.filter(item_id__in=[i.pk for i in items]).count() == scores.count()
    assert {h.history_user for h in ItemScore.history.all()} == {editor_client.user}
    assert RankingRun.objects.filter(council=council).count() == runs_before + 1
    follow = editor_client.get(response["Location"])
    assert f"Saved {3 * len(criteria)} scores" in follow.content.decode()


def test_saving_changes_only_the_cells_that_changed(editor_client, council):
    item = BacklogItemFactory(council=council)
    score_all(item, 3)
    criteria = hand_scored(council)
    stored = {s.criterion_id: s for s in item.scores.all()}
    versions = {(item.pk, c.pk): stored[c.pk].version for c in criteria}
    values = {(item.pk, c.pk): 3 for c in criteria}
    values[(item.pk, criteria[1].pk)] = 5
    response = editor_client.post(
        grid_url(council), grid_data([item], criteria, values, versions=versions)
    )
    assert response.status_code == 302
    changed = ItemScore.objects.get(item=item, criterion=criteria[1])
    assert (changed.value, changed.version) == (5, 2)
    assert ItemScore.objects.filter(item=item, version=1).count() == len(stored) - 1
    assert ItemScore.history.filter(item_id=item.pk, criterion__in=criteria).count() == 1


def test_a_stale_cell_saves_nothing_and_lists_the_other_persons_value(editor_client, council):
    first, second = make_items(council, 2)
    criteria = hand_scored(council)
    citizen = criteria[0]
    # The grid loads with everything unscored (versions 0); then a colleague scores one cell.
    item_service.set_score(
        item=first, criterion=citizen, user=None, value=2, rationale="Few use it", version=0
    )
    data = grid_data([first, second], criteria, {first.pk: 5, second.pk: 4})
    response = editor_client.post(grid_url(council), data)
    body = response.content.decode()
    assert response.status_code == 409
    assert ItemScore.objects.count() == 1  # only the colleague's score
    assert "There is a problem" in body
    assert f'href="#score-{first.reference}-{citizen.pk}">{first.reference} {citizen.name}' in body
    assert "scored it 2" in body and "Few use it" in body
    # Their choices are kept, and the stale cell now carries the version saved meanwhile.
    assert f'<option value="5" selected>5: {citizen.level_5}</option>' in body
    assert f'name="version-{first.reference}-{citizen.pk}" value="1"' in body
    assert body.count(" selected>") == 2 * len(criteria)
    # Saving again is a deliberate choice to replace theirs.
    data[f"version-{first.reference}-{citizen.pk}"] = "1"
    assert editor_client.post(grid_url(council), data).status_code == 302
    assert ItemScore.objects.get(item=first, criterion=citizen).value == 5
    assert ItemScore.objects.count() == 2 * len(criteria)


def test_a_cell_someone_else_changed_but_this_person_left_alone_is_no_conflict(
    editor_client, council
):
    item = BacklogItemFactory(council=council)
    criteria = hand_scored(council)
    # Scored through the grid first, so each score has its history (as every save keeps).
    assert (
        editor_client.post(grid_url(council), grid_data([item], criteria, {item.pk: 3})).status_code
        == 302
    )
    versions = {(item.pk, c.pk): 1 for c in criteria}
    values = {item.pk: 3, (item.pk, criteria[2].pk): 4}
    theirs = criteria[0]
    item_service.set_score(item=item, criterion=theirs, user=None, value=1, rationale="", version=1)
    response = editor_client.post(
        grid_url(council), grid_data([item], criteria, values, versions=versions)
    )
    assert response.status_code == 302
    assert ItemScore.objects.get(item=item, criterion=theirs).value == 1  # theirs stands
    assert ItemScore.objects.get(item=item, criterion=criteria[2]).value == 4


def test_an_item_archived_meanwhile_is_a_conflict(editor_client, council):
    item = BacklogItemFactory(council=council)
    item_service.archive_item(item=item, user=None)
    response = editor_client.post(
        grid_url(council), grid_data([item], hand_scored(council), {item.pk: 3})
    )
    assert response.status_code == 409
    assert "the item was archived" in response.content.decode()
    assert not ItemScore.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"score": "9"}, "choose a score from 1 to 5"),
        ({"score": "three"}, "choose a score from 1 to 5"),
        (
            {"rationale": "x" * 1001, "score": "3"},
            "the rationale must be 1,000 characters or fewer",
        ),
        ({"rationale": "Because", "score": ""}, "choose a score to go with the rationale"),
        ({"version": "", "score": "3"}, "reload the grid"),
    ],
)
def test_a_bad_cell_saves_nothing_and_keeps_every_choice(editor_client, council, change, message):
    first, second = make_items(council, 2)
    criteria = hand_scored(council)
    data = grid_data([first, second], criteria, {first.pk: 4, second.pk: 2})
    key = f"{second.reference}-{criteria[-1].pk}"
    for field, value in change.items():
        data[f"{field}-{key}"] = value
    response = editor_client.post(grid_url(council), data)
    body = response.content.decode()
    assert response.status_code == 400
    assert not ItemScore.objects.exists()
    assert f'href="#score-{key}">{second.reference} {criteria[-1].name}: {message}' in body
    assert f'aria-describedby="score-{key}-error"' in body
    assert body.count('<option value="4" selected>') == len(criteria)


def test_nothing_changed_saves_nothing_and_asks_for_no_run(editor_client, council):
    item = BacklogItemFactory(council=council)
    runs_before = RankingRun.objects.count()
    response = editor_client.post(
        grid_url(council), grid_data([item], hand_scored(council)), follow=True
    )
    assert "Nothing had changed" in response.content.decode()
    assert RankingRun.objects.count() == runs_before


# --- queries -----------------------------------------------------------------------------


def _save_queries(client, council, count: int) -> int:
    items = make_items(council, count)
    data = grid_data(items, hand_scored(council), {item.pk: 3 for item in items})
    with CaptureQueriesContext(connection) as queries:
        assert client.post(grid_url(council), data).status_code == 302
    return len(queries)


def test_saving_a_grid_runs_the_same_number_of_queries_at_5_and_50_rows(editor_client, council):
    five = _save_queries(editor_client, council, 5)
    # The same state as the first save: no scores, and no ranking run already queued.
    ItemScore.objects.all().delete()
    BacklogItem.objects.all().delete()
    RankingRun.objects.all().delete()
    assert _save_queries(editor_client, council, 50) == five


def test_the_grid_page_runs_the_same_number_of_queries_at_5_and_50_rows(
    editor_client, council, django_assert_max_num_queries
):
    items = make_items(council, 5)
    for item in items:
        score_all(item)
    with CaptureQueriesContext(connection) as five:
        editor_client.get(grid_url(council))
    for item in make_items(council, 45):
        score_all(item)
    with django_assert_max_num_queries(len(five)):
        response = editor_client.get(grid_url(council))
    assert len(response.context["rows"]) == 50


def test_a_50_by_7_grid_fits_in_one_request(editor_client, council):
    """Three fields a cell: 50 × 7 is over Django's default limit of 1,000 fields."""
    Criterion.objects.create(
        council=council,
        key="equalities",
        name="Equalities impact",
        position=99,
        **{f"level_{level}": f"Level {level}" for level in range(1, 6)},
    )
    items = make_items(council, 50)
    criteria = hand_scored(council)
    assert len(criteria) == 7
    response = editor_client.post(
        grid_url(council), grid_data(items, criteria, {i.pk: 2 for i in items})
    )
    assert response.status_code == 302
    assert ItemScore.objects.filter(value=2).count() == 350


def test_fewer_rows_fit_when_a_council_has_many_criteria():
    assert score_grid.max_rows(7) == score_grid.GRID_MAX_ROWS
    many = score_grid.max_rows(30)
    assert many < score_grid.GRID_MAX_ROWS
    assert many * (1 + 3 * 30) <= settings.DATA_UPLOAD_MAX_NUMBER_FIELDS


@pytest.mark.django_db(transaction=True)
def test_two_grids_saved_at_once_over_the_same_cells_write_one_and_refuse_the_other():
    """Two people in the same meeting press Save together on grids loaded at the same time:
    the item locks serialise them; the second sees the first's scores as stale cells."""
    needs_postgres()
    council, first = council_with_member(Role.EDITOR)
    second = UserFactory()
    MembershipFactory(user=second, council=council, role=Role.EDITOR)
    items = make_items(council, 3)
    criteria = hand_scored(council)
    users = [first, second]

    def save(n: int) -> str:
        cells = [
            CellInput(item.pk, criterion.pk, n + 2, "", 0)
            for item in items
            for criterion in criteria
        ]
        try:
            score_grid.save_grid(council=council, user=users[n], cells=cells)
        except score_grid.GridConflictError as error:
            return f"conflicts:{len(error.conflicts)}"
        return "saved"

    outcomes = sorted(at_once(2, save))
    assert outcomes == [f"conflicts:{3 * len(criteria)}", "saved"]
    values = set(ItemScore.objects.filter(item__in=items).values_list("value", "set_by"))
    assert len(values) == 1  # every cell from the one save that won
