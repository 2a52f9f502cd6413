from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from councils.models import FinancialYearBudget, Role
from planner import dashboard, ranking
from planner.charts import MATRIX_DOT_LIMIT
from planner.management.commands.seed_demo import seed_bulk_council
from planner.models import BacklogItem, ItemScore, RankedEntry, Status
from tests.conftest import member_client
from tests.factories import BacklogItemFactory, done_run_for, score_all


def _url(council):
    return reverse("dashboard", args=[council.slug])


@pytest.fixture
def ranked(council):
    items = [
        BacklogItemFactory(council=council, status=Status.READY, effort_days=5 * (n + 1))
        for n in range(12)
    ]
    for item in items:
        score_all(item)
    done_run_for(council, items)
    return items


def test_dashboard_without_a_ranking_says_so(viewer_client, council):
    response = viewer_client.get(_url(council))
    assert response.status_code == 200
    assert "Not computed yet" in response.text
    assert "No items are ranked yet" in response.text


def test_dashboard_counts_open_items_by_status(viewer_client, council):
    BacklogItemFactory(council=council, status=Status.READY)
    BacklogItemFactory(council=council, status=Status.READY)
    BacklogItemFactory(council=council, status=Status.PARKED)
    BacklogItemFactory(council=council, status=Status.READY, archived=True)
    summary = viewer_client.get(_url(council)).context["summary"]
    counts = {row.status: row.count for row in summary.status_counts}
    assert counts[Status.READY] == 2 and counts[Status.PARKED] == 1 and counts[Status.NEW] == 0
    assert summary.total_items == 3


def test_before_any_ranking_dashboard_counts_items_missing_a_score(viewer_client, council):
    scored = BacklogItemFactory(council=council)
    score_all(scored)
    partly = BacklogItemFactory(council=council)
    score_all(partly)
    ItemScore.objects.filter(item=partly).first().delete()
    BacklogItemFactory(council=council)  # not scored at all
    BacklogItemFactory(council=council, status=Status.DONE)  # done: never needs scoring
    assert viewer_client.get(_url(council)).context["summary"].needs_scoring == 2


def test_with_a_ranking_needs_scoring_comes_from_the_latest_run(viewer_client, council, ranked):
    run = council.runs.get()
    run.needs_scoring = [ranked[0].pk, ranked[1].pk, ranked[2].pk]
    run.save()
    assert viewer_client.get(_url(council)).context["summary"].needs_scoring == 3


def test_dashboard_names_the_active_profile_and_when_the_ranking_ran(
    viewer_client, council, ranked
):
    run = council.runs.get()
    run.finished_at = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)
    run.save(update_fields=["finished_at"])
    page = viewer_client.get(_url(council)).text
    profile = council.profiles.get(is_active=True)
    assert f"{profile.name} ({profile.get_method_display()})" in page
    assert "12 items ranked" in page
    assert "Computed 4 March 2026, 09:30" in page  # Europe/London is on GMT in March


def test_dashboard_lists_the_top_ten_with_score_and_theme(viewer_client, council, ranked):
    response = viewer_client.get(_url(council))
    top = response.context["summary"].top
    assert [entry.item_id for entry in top] == [item.pk for item in ranked[:10]]
    assert ranked[0].theme.name in response.text
    assert "90.00" in response.text
    assert ranked[10].reference not in re.search(r"Top 10.*?</table>", response.text, re.S)[0]


def test_theme_chart_is_accessible_svg_with_a_table(viewer_client, council, ranked):
    page = viewer_client.get(_url(council)).text
    assert 'aria-labelledby="themes-chart-title themes-chart-desc"' in page
    assert '<title id="themes-chart-title">' in page
    assert "Open items by theme (table)" in page


def test_matrix_plots_every_estimated_ranked_item_in_labelled_quadrants(
    viewer_client, council, ranked
):
    response = viewer_client.get(_url(council))
    matrix = response.context["summary"].matrix
    assert len(matrix.points) == 12
    for label in ("Quick wins", "Big bets", "Fill-ins", "Money pits"):
        assert label in response.text
    assert response.text.count('<use href="#marker-') == 12
    assert 'role="img" aria-labelledby="matrix-chart-title matrix-chart-desc"' in response.text


def test_matrix_value_counts_only_benefit_criteria(viewer_client, council, ranked):
    point = viewer_client.get(_url(council)).context["summary"].matrix.points[0]
    criteria = list(council.criteria.filter(active=True))
    benefit = [c for c in criteria if not c.is_cost]
    # done_run_for gives each criterion an equal share of the score.
    assert point.value == pytest.approx(90 / len(criteria) * len(benefit), abs=0.01)


def test_items_without_an_effort_estimate_are_listed_not_plotted(viewer_client, council):
    estimated = BacklogItemFactory(council=council, effort_days=10)
    unestimated = BacklogItemFactory(council=council, effort_days=None)
    done_run_for(council, [estimated, unestimated])
    response = viewer_client.get(_url(council))
    assert len(response.context["summary"].matrix.points) == 1
    assert f"no effort estimate: {unestimated.reference}" in response.text


def test_matrix_plots_the_top_of_a_large_ranking_and_says_so(viewer_client, council, monkeypatch):
    monkeypatch.setattr(dashboard, "MATRIX_POINT_LIMIT", 3)
    monkeypatch.setattr(dashboard, "UNESTIMATED_LIMIT", 2)
    items = [BacklogItemFactory(council=council, effort_days=n % 3 or None) for n in range(12)]
    done_run_for(council, items)
    response = viewer_client.get(_url(council))
    summary = response.context["summary"]
    run_entries = RankedEntry.objects.filter(run=summary.latest_run).order_by("position")
    estimated = [e.item.reference for e in run_entries if e.item.effort_days is not None]
    unestimated = [e.item.reference for e in run_entries if e.item.effort_days is None]
    assert [point.reference for point in summary.matrix.points] == estimated[:3]
    assert summary.top == sorted(summary.top, key=lambda row: row.position)
    assert [row.reference for row in summary.top] == [e.item.reference for e in run_entries][:10]
    assert summary.ranked_count == 12 and summary.estimated_count == len(estimated)
    text = " ".join(response.text.split())
    assert f"The top 3 of the {len(estimated)} ranked items with an effort estimate" in text
    assert f"{unestimated[0]}, {unestimated[1]} and {len(unestimated) - 2} more." in text


def test_dashboard_includes_the_ranking_progress_indicator(viewer_client, council, ranked):
    assert 'id="ranking-status"' in viewer_client.get(_url(council)).text


def test_dashboard_ranking_region_refreshes_when_a_run_finishes(viewer_client, council, ranked):
    page = viewer_client.get(_url(council)).text
    assert 'hx-trigger="ranking-updated from:body"' in page


def test_dashboard_fragment_for_htmx_is_the_ranking_region(viewer_client, council, ranked):
    response = viewer_client.get(_url(council), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="dashboard-ranking"')
    assert "<html" not in response.text


def test_dashboard_shows_only_this_councils_items(viewer_client, council, other_council):
    theirs = BacklogItemFactory(council=other_council, title="Someone else's challenge")
    done_run_for(other_council, [theirs])
    response = viewer_client.get(_url(council))
    assert "Someone else" not in response.text
    assert response.context["summary"].total_items == 0


def test_outsider_gets_404_for_the_dashboard(outsider_client, council):
    assert outsider_client.get(_url(council)).status_code == 404


def _rank(council, size):
    items = [
        BacklogItemFactory(council=council, status=Status.READY, effort_days=n % 7 or None)
        for n in range(size)
    ]
    done_run_for(council, items)


@pytest.mark.parametrize("size", [3, 60])
def test_dashboard_runs_a_constant_number_of_queries(
    viewer_client, council, size, django_assert_max_num_queries
):
    _rank(council, size)
    with django_assert_max_num_queries(13):
        response = viewer_client.get(_url(council))
    assert response.status_code == 200


@pytest.fixture
def planned(council):
    """A real run with a plan: 100 team-days a quarter from Q1 2027/28, a £50,000 one-off
    budget for 2027/28, one item costing £20,000 and £3,000 a year."""
    council.planning_start = date(2027, 4, 1)
    council.capacity_days_per_quarter = 100
    council.save()
    FinancialYearBudget.objects.create(council=council, year=2027, one_off=50000)
    item = BacklogItemFactory(
        council=council,
        status=Status.READY,
        effort_days=60,
        one_off_cost=20000,
        recurring_cost=3000,
    )
    score_all(item)
    ranking.run_now(council=council)
    return item


def test_dashboard_shows_this_years_cost_against_budget(viewer_client, council, planned):
    text = viewer_client.get(_url(council)).text
    assert "One-off cost in 2027/28" in text
    assert "£20,000" in text and "of a £50,000 budget" in text
    assert "No recurring budget set" in text


def test_dashboard_shows_capacity_used_in_now_and_next(viewer_client, council, planned):
    headline = viewer_client.get(_url(council)).context["summary"].plan
    assert (headline.near_used, headline.near_capacity, headline.near_percent) == (60, 300, 20)
    assert headline.near_label == "Q1 2027/28 to Q3 2027/28"


@pytest.mark.parametrize("extra", [0, 40])
def test_dashboard_with_a_plan_runs_a_constant_number_of_queries(
    viewer_client, council, planned, extra, django_assert_max_num_queries
):
    for n in range(extra):
        score_all(BacklogItemFactory(council=council, status=Status.READY, effort_days=n + 1))
    ranking.run_now(council=council)
    with django_assert_max_num_queries(13):
        response = viewer_client.get(_url(council))
    assert response.context["summary"].plan is not None


# The limit: the dashboard of any council, however large, stays under 200 KiB.
PAGE_LIMIT_BYTES = 200 * 1024


@pytest.mark.parametrize(
    ("size", "binned"),
    # Just under the marker limit (the heaviest page that draws markers), and 5,000 items
    # (the size the page once weighed 819 KiB at).
    [(MATRIX_DOT_LIMIT, False), (5_000, True)],
)
def test_dashboard_page_stays_under_200_kib(db, size, binned):
    council = seed_bulk_council(slug=f"size-{size}", items=size)
    ranking.run_now(council=council)
    client = member_client(council, Role.VIEWER)
    response = client.get(_url(council))
    assert response.status_code == 200
    matrix = response.context["summary"].matrix
    assert (matrix.density is not None) is binned
    assert len(matrix.points) > MATRIX_DOT_LIMIT * 0.5
    assert len(response.content) < PAGE_LIMIT_BYTES, f"{len(response.content) / 1024:.0f} KiB"


def test_large_dashboard_draws_the_grid_and_its_table_instead_of_markers(viewer_client, council):
    size = MATRIX_DOT_LIMIT + 1
    items = [
        BacklogItemFactory.build(council=council, status=Status.READY, effort_days=n % 40 + 1)
        for n in range(size)
    ]
    for number, item in enumerate(items, start=1):
        item.number = number
        item.reference = item.format_reference(number)
    done_run_for(council, BacklogItem.objects.bulk_create(items))
    response = viewer_client.get(_url(council))
    text = response.text
    assert 'href="#marker-' not in text
    assert text.count('class="app-density app-density--') == len(
        response.context["summary"].matrix.density.cells
    )
    assert "Show the grid of counts as a table" in text
    assert "Items by value (rows, points) and effort (columns, team-days)" in text
    assert f"With {size} items, single markers would pile on top of each other" in text


def test_small_dashboard_still_draws_a_marker_per_item(viewer_client, council, ranked):
    text = viewer_client.get(_url(council)).text
    assert text.count('href="#marker-') == len(ranked)
    assert "app-density--" not in text
    assert "Show the grid of counts as a table" not in text
