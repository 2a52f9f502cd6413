"""The roadmap page: the stored delivery plan by horizon, with its charts and tables."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from councils.models import FinancialYearBudget, Role
from planner import delivery, ranking
from planner.models import HorizonOverride, ScheduleMode, Status
from tests.conftest import member_client
from tests.factories import BacklogItemFactory, score_all

START = date(2027, 4, 1)  # Q1 2027/28


def _url(council):
    return reverse("roadmap", args=[council.slug])


def _item(council, title, *, score=3, **fields):
    fields.setdefault("status", Status.READY)
    item = BacklogItemFactory(council=council, title=title, **fields)
    score_all(item, score)
    return item


def _run(council):
    return ranking.run_now(council=council)


@pytest.fixture
def planned(council):
    """Capacity 100 a quarter from Q1 2027/28: work in progress, two 60-day items (one fits
    in Now, one waits for room), a parked item and an unestimated one."""
    council.planning_start = START
    council.capacity_days_per_quarter = 100
    council.save()
    items = {
        "first": _item(council, "Online payments", score=5, effort_days=60, one_off_cost=20000),
        "second": _item(council, "Bin day finder", score=4, effort_days=60, recurring_cost=1500),
        "doing": _item(council, "Website rebuild", score=1, effort_days=30, status="in_progress"),
        "parked": _item(council, "Chatbot", score=5, effort_days=10, status=Status.PARKED),
        "unestimated": _item(council, "Data sharing hub", score=5, effort_days=None),
    }
    _run(council)
    return items


def _rows(response, key):
    group = response.context["plan"].group(key)
    return {row.entry.reference: row for row in group.rows}


def test_roadmap_without_a_ranking_says_so(viewer_client, council):
    response = viewer_client.get(_url(council))
    assert response.status_code == 200
    assert "There is no ranking yet" in response.text


def test_committed_work_and_the_top_item_are_in_now(viewer_client, council, planned):
    response = viewer_client.get(_url(council))
    now = _rows(response, "now")
    assert set(now) == {planned["first"].reference, planned["doing"].reference}
    assert now[planned["doing"].reference].entry.committed


def test_an_item_without_room_in_now_goes_to_next_and_says_why(viewer_client, council, planned):
    response = viewer_client.get(_url(council))
    row = _rows(response, "next")[planned["second"].reference]
    assert row.quarters == "Q2 2027/28"
    assert row.entry.why == "no capacity until Q2 2027/28"
    assert "No capacity until Q2 2027/28" in response.text


def test_parked_items_are_not_on_the_roadmap(viewer_client, council, planned):
    response = viewer_client.get(_url(council))
    assert planned["parked"].reference not in response.text


def test_unestimated_items_are_listed_as_needing_an_estimate(viewer_client, council, planned):
    response = viewer_client.get(_url(council))
    references = [reference for reference, _title in response.context["plan"].needs_estimate]
    assert references == [planned["unestimated"].reference]
    for key in ("now", "next", "later"):
        assert planned["unestimated"].reference not in _rows(response, key)


def test_rows_show_team_days_and_money(viewer_client, council, planned):
    text = viewer_client.get(_url(council)).text
    assert "£20,000" in text and "£1,500" in text


def test_committed_work_is_tagged_in_progress_in_table_and_timeline(
    viewer_client, council, planned
):
    text = viewer_client.get(_url(council)).text
    assert '<strong class="govuk-tag govuk-tag--blue app-tag-small">In progress</strong>' in text
    assert 'fill="url(#hatch-timeline)"' in text
    assert (
        f"{planned['doing'].reference} Website rebuild: Q1 2027/28 (committed, in progress)" in text
    )


def test_charts_are_accessible_svg_with_tables(viewer_client, council, planned):
    text = viewer_client.get(_url(council)).text
    for chart in ("timeline", "capacity", "one-off", "recurring"):
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in text
    assert "Show the timeline as a table" in text
    assert "Capacity by quarter (table)" in text
    assert "Money by financial year (table)" in text


def test_summary_names_the_quarters_capacity_and_mode(viewer_client, council, planned):
    text = viewer_client.get(_url(council)).text
    assert "8 quarters, from Q1 2027/28 (Apr–Jun 2027) to Q4 2028/29 (Jan–Mar 2029)" in text
    assert "100 team-days a quarter" in text
    assert "Rank order (transparent)" in text


def test_best_value_shows_the_solver_status_and_discount(viewer_client, council, planned):
    council.profiles.filter(is_active=True).update(
        schedule_mode=ScheduleMode.BEST_VALUE, value_discount_percent=7
    )
    _run(council)
    text = viewer_client.get(_url(council)).text
    assert "Best value within limits (optimised)" in text
    assert "worth 7% less" in text
    assert "Proven optimal" in text


def test_a_money_limit_moves_an_item_with_a_money_reason(viewer_client, council, planned):
    FinancialYearBudget.objects.create(council=council, year=2027, one_off=5000)
    _run(council)
    response = viewer_client.get(_url(council))
    row = _rows(response, "later")[planned["first"].reference]
    assert row.entry.why == "over the 2027/28 one-off budget by £15,000"
    assert row.quarters == "Q1 2028/29"


def test_pin_breaking_capacity_shows_a_warning(editor_client, council, planned):
    big = _item(council, "Statutory return", score=1, effort_days=90)
    HorizonOverride.objects.create(
        item=big, quarter=START, reason="Mandated", set_by=editor_client.user
    )
    _run(council)
    text = editor_client.get(_url(council)).text
    assert "Pins break the plan’s limits" in text
    assert "Pinned by" in text and "Mandated" in text


def test_roadmap_fragment_for_htmx_is_just_the_horizons(viewer_client, council, planned):
    response = viewer_client.get(_url(council), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="roadmap-horizons"')
    assert 'hx-trigger="ranking-updated from:body"' in response.text
    assert "<html" not in response.text


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR])
def test_below_approver_sees_no_pin_form_or_settings_link(council, planned, role):
    text = member_client(council, role).get(_url(council)).text
    assert "Pin an item to a quarter" not in text
    assert "Change the planning settings" not in text


def test_approver_sees_the_pin_form_prefilled_from_the_row_link(approver_client, council, planned):
    text = approver_client.get(_url(council), {"item": planned["second"].reference}).text
    assert "Pin an item to a quarter" in text
    assert f'value="{planned["second"].reference}"' in text
    assert reverse("planning_settings", args=[council.slug]) in text


def test_print_layout_keeps_sections_and_hides_controls(approver_client, council, planned):
    text = approver_client.get(_url(council)).text
    assert 'class="app-horizon app-print-section"' in text
    assert '<section id="pin" class="app-no-print"' in text


def _grow(council, count):
    for n in range(count):
        _item(council, f"Extra {n}", effort_days=10 + n, one_off_cost=1000 * n)


def _roadmap_queries(client, council, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(_url(council), params)
    assert response.status_code == 200
    return len(queries)


def test_roadmap_query_count_is_the_same_at_two_sizes(viewer_client, council, planned, monkeypatch):
    monkeypatch.setattr(delivery, "ROWS_PER_HORIZON", 3)
    small = _roadmap_queries(viewer_client, council)
    small_all = _roadmap_queries(viewer_client, council, all="next", page="2")
    _grow(council, 30)
    _run(council)
    assert _roadmap_queries(viewer_client, council) == small <= 16
    assert _roadmap_queries(viewer_client, council, all="next", page="2") == small_all


def test_show_all_pages_through_one_horizon(viewer_client, council, planned, monkeypatch):
    monkeypatch.setattr(delivery, "ROWS_PER_HORIZON", 2)
    _grow(council, 30)
    _run(council)
    plan = viewer_client.get(_url(council)).context["plan"]
    big = max(plan.groups, key=lambda group: group.count)
    key = big.key
    assert big.count > 4 and len(big.rows) == 2 and big.more
    assert f'href="?all={key}#horizon-{key}"' in viewer_client.get(_url(council)).text
    response = viewer_client.get(_url(council), {"all": key, "page": "2"})
    group = response.context["plan"].group(key)
    assert [row.entry.position for row in group.rows] == list(
        ranking.latest_done_run(council)
        .entries.filter(horizon=key)
        .order_by("position")
        .values_list("position", flat=True)[2:4]
    )
    text = " ".join(response.text.split())
    assert f"Items 3 to 4 of {big.count} in {big.label}" in text
    assert f'class="govuk-pagination" aria-label="{big.label} pages"' in text
    assert f'href="?all={key}&amp;page=3#horizon-{key}"' in text
    # The other horizons keep their short lists.
    others = [g for g in response.context["plan"].groups if g.key != key]
    assert all(len(g.rows) <= 2 and g.page is None for g in others)


@pytest.mark.parametrize(
    "params", [{"all": "1"}, {"all": "bogus"}, {"all": "later", "page": "-3"}, {"page": "x"}]
)
def test_odd_show_all_values_give_the_page_not_an_error(viewer_client, council, planned, params):
    response = viewer_client.get(_url(council), params)
    assert response.status_code == 200
    assert response.context["plan"].group("now").count >= 1
