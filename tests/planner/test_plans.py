from __future__ import annotations

import re
from datetime import date

import pytest
from django.db.models import ProtectedError
from django.urls import reverse

from councils.models import FinancialYearBudget
from planner import pins, plans, ranking
from planner.models import ItemScore, PublishedPlan, Status
from tests.factories import BacklogItemFactory, UserFactory, done_run_for, score_all

PLAN_POST = {
    "title": "Digital priorities 2027",
    "committee": "Cabinet",
    "meeting_date": "27/3/2027",
    "note": "For decision.",
    # The form's one-time key (issue 14): each test publishes with it at most once.
    "idempotency_key": "6a1f0c1e-2d6e-4c1b-9a53-6f3e2b7d8c90",
}


def _rank_now(council):
    """Compute a real ranking with the engine, as an edit's on-commit hook would."""
    run = ranking.request_run(council=council)
    ranking.execute_run(run_id=run.pk)
    run.refresh_from_db()
    return run


@pytest.fixture
def scored(council):
    council.planning_start = date(2027, 4, 1)
    council.save(update_fields=["planning_start"])
    items = []
    for value in (5, 4, 3, 2):
        item = BacklogItemFactory(council=council, status=Status.READY, effort_days=40)
        score_all(item, value)
        items.append(item)
    return items


def _publish(council, title="Plan", meeting=date(2027, 1, 10), **kwargs):
    return plans.publish_plan(
        council=council, title=title, committee="Cabinet", meeting_date=meeting, **kwargs
    )


def _content(response) -> str:
    match = re.search(r'<div id="plan-content".*?</section>\s*</div>', response.text, re.S)
    assert match, "plan content region not found"
    return match[0]


# --- Publishing ----------------------------------------------------------------------


def test_admin_publishes_the_current_ranking_as_a_plan(admin_client_for_council, council, scored):
    _rank_now(council)
    response = admin_client_for_council.post(
        reverse("plan_publish", args=[council.slug]), PLAN_POST
    )
    plan = PublishedPlan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("plan_detail", args=[council.slug, plan.slug])
    assert (plan.slug, plan.committee, plan.meeting_date) == (
        "digital-priorities-2027",
        "Cabinet",
        date(2027, 3, 27),
    )
    assert plan.published_by == admin_client_for_council.user


def test_snapshot_holds_entries_roadmap_weights_method_and_criteria(council, scored):
    run = _rank_now(council)
    plan = _publish(council)
    snapshot = plan.snapshot
    assert [e["reference"] for e in snapshot["entries"]] == [i.reference for i in scored]
    first = snapshot["entries"][0]
    assert {"title", "theme", "status", "score", "rank_label", "horizon", "quarters", "why"} <= set(
        first
    )
    assert {c["criterion"] for c in first["contributions"]} == set(
        council.criteria.filter(active=True).values_list("name", flat=True)
    )
    # 40 team-days each against 100 a quarter: two fit in the first quarter.
    assert [e["horizon"] for e in snapshot["entries"]] == ["now", "now", "next", "next"]
    assert [e["quarters"] for e in snapshot["entries"]] == [
        "Q1 2027/28",
        "Q1 2027/28",
        "Q2 2027/28",
        "Q2 2027/28",
    ]
    assert snapshot["entries"][2]["why"] == "no capacity until Q2 2027/28"
    assert snapshot["method"] == run.method and snapshot["profile_name"] == run.profile_name
    assert {c["name"]: c["weight"] for c in snapshot["criteria"]}["Citizen impact"] == 25
    assert snapshot["capacity"] == council.capacity_days_per_quarter
    assert snapshot["method_formula"]


def test_snapshot_freezes_the_schedule_quarters_totals_and_mode(council, scored):
    run = _rank_now(council)
    snapshot = _publish(council).snapshot
    assert snapshot["plan"] == run.plan
    assert snapshot["schedule_mode"] == run.schedule_mode == "rank_order"
    assert [q["short"] for q in snapshot["plan"]["quarters"]][:2] == ["Q1 2027/28", "Q2 2027/28"]
    assert [q["new"] for q in snapshot["plan"]["quarters"]][:3] == [80, 80, 0]
    stored = {
        entry.item_id: (entry.start_quarter, entry.end_quarter, entry.horizon)
        for entry in run.entries.all()
    }
    assert {
        e["item_id"]: (e["start_quarter"], e["end_quarter"], e["horizon"])
        for e in snapshot["entries"]
    } == stored


def test_snapshot_keeps_a_pin_and_its_reason(council, scored):
    pins.pin_item(
        council=council,
        item=scored[3],
        quarter=date(2027, 4, 1),
        reason="Minister's priority",
        pinned_by=None,
    )
    _rank_now(council)
    entry = _publish(council).snapshot["entries"][3]
    assert (entry["horizon"], entry["quarters"]) == ("now", "Q1 2027/28")
    assert entry["pinned"] and entry["schedule_reason"] == "pinned"
    assert entry["why"] == "pinned"


def test_plan_list_counts_entries_without_loading_snapshots(viewer_client, council, scored):
    _rank_now(council)
    _publish(council)
    response = viewer_client.get(reverse("plans", args=[council.slug]))
    (plan,) = response.context["plans"]
    assert "snapshot" in plan.get_deferred_fields()
    assert plan.entry_count == len(scored) == len(council.plans.get().snapshot["entries"])
    assert f'app-numeric">{len(scored)}</td>' in response.text


@pytest.mark.parametrize("role_client", ["viewer_client", "editor_client"])
def test_only_admins_publish(request, council, scored, role_client):
    _rank_now(council)
    client = request.getfixturevalue(role_client)
    response = client.post(reverse("plan_publish", args=[council.slug]), PLAN_POST)
    assert response.status_code == 403
    assert not PublishedPlan.objects.exists()


def test_outsider_cannot_publish_or_see_plans(outsider_client, council, scored):
    _rank_now(council)
    plan = _publish(council)
    assert (
        outsider_client.post(reverse("plan_publish", args=[council.slug]), PLAN_POST).status_code
        == 404
    )
    assert (
        outsider_client.get(reverse("plan_detail", args=[council.slug, plan.slug])).status_code
        == 404
    )
    assert PublishedPlan.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "Enter a title for the plan"),
        ("title", "!!!", "Enter a title with at least one letter or number"),
        ("committee", "", "Enter the committee the plan is for"),
        ("meeting_date", "", "Enter the meeting date"),
        ("meeting_date", "31/2/2027", "Enter the meeting date as day/month/year"),
        ("meeting_date", "next Tuesday", "Enter the meeting date as day/month/year"),
    ],
)
def test_publish_with_bad_input_shows_the_error_and_publishes_nothing(
    admin_client_for_council, council, scored, field, value, message
):
    _rank_now(council)
    response = admin_client_for_council.post(
        reverse("plan_publish", args=[council.slug]), {**PLAN_POST, field: value}
    )
    assert response.status_code == 400
    assert "There is a problem" in response.text and message in response.text
    assert not PublishedPlan.objects.exists()


def test_publish_without_a_ranking_says_there_is_nothing_to_publish(
    admin_client_for_council, council
):
    response = admin_client_for_council.post(
        reverse("plan_publish", args=[council.slug]), PLAN_POST
    )
    assert response.status_code == 400
    assert "There is no finished ranking to publish yet." in response.text
    assert not PublishedPlan.objects.exists()


def test_plan_slugs_are_unique_per_council_and_avoid_route_names(council, other_council, scored):
    _rank_now(council)
    done_run_for(other_council, [BacklogItemFactory(council=other_council)])
    assert _publish(council, title="Q1 plan").slug == "q1-plan"
    assert _publish(council, title="Q1 plan").slug == "q1-plan-2"
    assert _publish(other_council, title="Q1 plan").slug == "q1-plan"
    assert _publish(council, title="Compare").slug == "compare-2"


def test_a_published_run_cannot_be_deleted(council, scored):
    run = _rank_now(council)
    _publish(council)
    with pytest.raises(ProtectedError):
        run.delete()


# --- Freezing ------------------------------------------------------------------------


def test_plan_page_is_byte_identical_after_edits_and_reranking(viewer_client, council, scored):
    _rank_now(council)
    plan = _publish(council, published_by=UserFactory(username="head"))
    url = reverse("plan_detail", args=[council.slug, plan.slug])
    before = _content(viewer_client.get(url))

    # A burst of edits: rename, re-score, re-weight, archive, add, override, re-rank twice.
    scored[0].title = "Renamed after publication"
    scored[0].save()
    ItemScore.objects.filter(item=scored[3]).update(value=5)
    profile = council.profiles.get(is_active=True)
    profile.weights = dict.fromkeys(profile.weights, 1)
    profile.save()
    scored[1].archived = True
    scored[1].save()
    score_all(BacklogItemFactory(council=council, status=Status.READY), 5)
    pins.pin_item(
        council=council, item=scored[2], quarter=date(2028, 1, 1), reason="Paused", pinned_by=None
    )
    council.capacity_days_per_quarter = 10
    council.planning_start = date(2028, 4, 1)
    council.save()
    scored[0].one_off_cost = 50_000
    scored[0].save()
    FinancialYearBudget.objects.create(council=council, year=2028, one_off=1)
    _rank_now(council)
    _rank_now(council)

    assert council.runs.filter(status="done").count() == 3
    after = _content(viewer_client.get(url))
    assert scored[0].reference in before
    # The frozen schedule is on the page: quarters, why, capacity and money tables.
    for text in ("Q1 2027/28", "Q2 2027/28", "Capacity by quarter", "Money by financial year"):
        assert text in before
    assert after.encode() == before.encode()
    assert "Renamed after publication" not in after


# --- Pages ---------------------------------------------------------------------------


def test_plans_list_is_ordered_by_meeting_date(viewer_client, council, scored):
    _rank_now(council)
    _publish(council, title="Older", meeting=date(2027, 1, 1))
    _publish(council, title="Newer", meeting=date(2027, 3, 1))
    page = viewer_client.get(reverse("plans", args=[council.slug])).text
    assert page.index("Newer") < page.index("Older")


def test_viewer_sees_no_publish_form(viewer_client, council):
    page = viewer_client.get(reverse("plans", args=[council.slug])).text
    assert "Publish a plan" not in page


def test_admin_sees_the_publish_form(admin_client_for_council, council):
    page = admin_client_for_council.get(reverse("plans", args=[council.slug])).text
    assert "Publish a plan" in page


def test_plan_page_shows_ranking_roadmap_weights_and_method(viewer_client, council, scored):
    _rank_now(council)
    plan = _publish(council, note="Agreed at the digital board.")
    page = viewer_client.get(reverse("plan_detail", args=[council.slug, plan.slug])).text
    for text in ("Roadmap", "Ranking", "Weights and method", "Citizen impact", "Cabinet"):
        assert text in page
    assert scored[0].reference in page
    assert "Agreed at the digital board." in page


def test_plan_page_shows_quarters_why_and_the_capacity_and_money_tables(
    viewer_client, council, scored
):
    FinancialYearBudget.objects.create(council=council, year=2027, one_off=1_000)
    scored[1].one_off_cost = 5_000
    scored[1].save()
    _rank_now(council)
    plan = _publish(council)
    page = viewer_client.get(reverse("plan_detail", args=[council.slug, plan.slug])).text
    assert "Over the 2027/28 one-off budget by £4,000" in page
    for text in (
        "Capacity by quarter",
        "Q1 2027/28 (Apr–Jun 2027)",
        "Money by financial year",
        "Scheduled by rank order (transparent)",
    ):
        assert text in page
    assert plan.snapshot["plan"]["years"][0]["one_off_budget"] == 1_000


def test_plan_page_says_why_each_item_is_where_it_is_once(viewer_client, council, scored):
    scored[0].status = Status.IN_PROGRESS
    scored[0].save()
    _rank_now(council)
    plan = _publish(council)
    response = viewer_client.get(reverse("plan_detail", args=[council.slug, plan.slug]))
    rows: dict[str, str] = {}
    # An item's row in its horizon's table: the one with the most cells (the ranking has fewer).
    for reference, cells in re.findall(
        r"<strong>(DIG-\d+)</strong>(.*?)</tr>", _content(response), re.S
    ):
        if cells.count("<td") > rows.get(reference, "").count("<td"):
            rows[reference] = cells
    rows = {
        reference: " ".join(re.sub(r"<[^>]+>", " ", row).split()) for reference, row in rows.items()
    }
    # In progress is its status, and its reason: said in those two cells, not three times.
    assert rows[scored[0].reference].count("In progress") == 2
    # A free item at its earliest start says so, as the roadmap does, rather than nothing.
    assert "Placed at its earliest start" in rows[scored[1].reference]


def test_a_plan_published_before_delivery_plans_still_renders(viewer_client, council):
    item = BacklogItemFactory(council=council, effort_days=5)
    run = done_run_for(council, [item])
    entry = {
        "item_id": item.pk,
        "reference": item.reference,
        "title": item.title,
        "theme": "Digital",
        "status": "ready",
        "status_label": "Ready",
        "score": "90",
        "rank": 1,
        "tied": False,
        "rank_label": "1",
        "position": 1,
        "effort_days": "5",
        "horizon": "now",
        "overridden": False,
        "oversized": False,
        "reasons": ["fits in Now"],
        "contributions": [],
        "scores": {},
    }
    old = PublishedPlan.objects.create(
        council=council,
        run=run,
        title="Old plan",
        slug="old-plan",
        committee="Cabinet",
        meeting_date=date(2026, 1, 1),
        snapshot={
            "version": 1,
            "entries": [entry],
            "criteria": [],
            "capacity": 120,
            "roadmap": {"load": {"now": 5}, "warnings": ["Old roadmap warning"]},
        },
    )
    response = viewer_client.get(reverse("plan_detail", args=[council.slug, old.slug]))
    assert response.status_code == 200
    page = response.text
    assert "fits in Now" in page and "Old roadmap warning" in page
    assert re.search(r"Now: 1 item,\s+5 team-days", page)  # no capacity invented
    assert "Capacity by quarter" not in page


def test_plan_of_another_council_is_not_found(viewer_client, council, other_council):
    done_run_for(other_council, [BacklogItemFactory(council=other_council)])
    theirs = _publish(other_council, title="Secret plan")
    url = reverse("plan_detail", args=[council.slug, theirs.slug])
    assert viewer_client.get(url).status_code == 404


def _many_plans(council, size):
    items = [BacklogItemFactory(council=council, effort_days=5) for _ in range(size)]
    done_run_for(council, items)
    for number in range(3):
        _publish(council, title=f"Plan {number}", meeting=date(2027, 1, number + 1))


@pytest.mark.parametrize("size", [3, 50])
def test_plan_pages_run_a_constant_number_of_queries(
    viewer_client, council, size, django_assert_max_num_queries
):
    _many_plans(council, size)
    plan = council.plans.first()
    with django_assert_max_num_queries(6):
        assert viewer_client.get(reverse("plans", args=[council.slug])).status_code == 200
    # The plan page reads the snapshot's head and then its entries a chunk at a time
    # (plans.SNAPSHOT_CHUNK): one chunk up to 2,000 entries.
    with django_assert_max_num_queries(7):
        assert (
            viewer_client.get(reverse("plan_detail", args=[council.slug, plan.slug])).status_code
            == 200
        )
    # The comparison reads each plan's entries a chunk at a time: one chunk of the earlier
    # plan, and two of the later (moves are ranked among common items, known after a pass).
    with django_assert_max_num_queries(7):
        url = reverse("plan_compare", args=[council.slug])
        response = viewer_client.get(url, {"a": "plan-0", "b": "plan-2"})
        assert response.status_code == 200


def test_a_published_run_survives_pruning_of_old_rankings(council, scored):
    published = _rank_now(council)
    _publish(council)
    unpublished = _rank_now(council)
    for _ in range(3):
        _rank_now(council)
    ranking.prune_runs(council_id=council.pk, keep=1)
    assert council.runs.filter(pk=published.pk).exists()
    assert not council.runs.filter(pk=unpublished.pk).exists()
    assert published.entries.count() == len(scored)


def test_a_large_plans_page_lists_its_first_rows_and_counts_them_all(
    viewer_client, council, monkeypatch
):
    monkeypatch.setattr(plans, "PLAN_PAGE_ROWS", 3)
    # Entries stream in chunks smaller than the plan, as they do for a 50,000-item plan.
    monkeypatch.setattr(plans, "SNAPSHOT_CHUNK", 4)
    _many_plans(council, 10)
    plan = council.plans.first()
    entries = plan.snapshot["entries"]
    page = plans.plan_page(plan)
    assert page.entry_count == 10
    assert [e["reference"] for e in page.ranking] == [e["reference"] for e in entries[:3]]
    assert sum(horizon.count for horizon in page.horizons) == sum(
        e["horizon"] in plans.PLAN_HORIZONS for e in entries
    )
    assert all(len(horizon.entries) <= 3 for horizon in page.horizons)
    html = viewer_client.get(reverse("plan_detail", args=[council.slug, plan.slug])).text
    assert "10 items ranked by" in html
    assert "The first 3 of 10 ranked items." in html
    assert entries[0]["reference"] in html
    assert f"<strong>{entries[9]['reference']}</strong>" not in html.split('id="plan-ranking"')[1]
    assert reverse("plan_export", args=[council.slug, plan.slug]) in html
