from __future__ import annotations

from datetime import date

import pytest

from planner import explain, planning, plans, ranking
from planner.models import HorizonOverride, Status
from tests.factories import BacklogItemFactory, done_run_for, score_all


@pytest.fixture
def items(council):
    return [
        BacklogItemFactory(council=council, status=Status.READY, effort_days=30) for _ in range(4)
    ]


def test_explanation_is_none_before_any_ranking(council, items):
    assert explain.explain_item(council=council, item=items[0]) is None


def test_explanation_is_none_for_an_unranked_item(council, items):
    done_run_for(council, items[:2])
    assert explain.explain_item(council=council, item=items[3]) is None


def test_explanation_breaks_the_score_down_by_criterion(council, items):
    done_run_for(council, items)
    explanation = explain.explain_item(council=council, item=items[1])
    assert explanation.rank_label == "2" and explanation.ranked_count == 4
    names = {c.criterion for c in explanation.contributions}
    assert names == set(council.criteria.filter(active=True).values_list("name", flat=True))
    assert sum(c.points for c in explanation.contributions) == pytest.approx(
        float(explanation.score), abs=0.01
    )


def test_explanation_gives_the_quarters_horizon_and_pin(council, items):
    for item in items:
        score_all(item)
    later = planning.plan_quarters(council)[4]
    HorizonOverride.objects.create(item=items[0], quarter=later.start, reason="Budget")
    ranking.run_now(council=council)
    explanation = explain.explain_item(council=council, item=items[0])
    assert explanation.horizon == "Later" and explanation.overridden
    assert explanation.quarters == later.short_label
    assert explanation.horizon_reasons == ("pinned",)


def test_explanation_shows_movement_since_the_last_published_plan(council, items):
    done_run_for(council, items)
    plans.publish_plan(
        council=council, title="Plan", committee="Cabinet", meeting_date=date(2027, 1, 1)
    )
    done_run_for(council, [items[3], items[0], items[1], items[2]])
    risen = explain.explain_item(council=council, item=items[3])
    fallen = explain.explain_item(council=council, item=items[0])
    assert (risen.plan_rank_label, risen.movement) == ("4", 3)
    assert (fallen.plan_rank_label, fallen.movement) == ("1", -1)


def test_explanation_says_an_item_is_new_since_the_plan(council, items):
    done_run_for(council, items[:3])
    plans.publish_plan(
        council=council, title="Plan", committee="Cabinet", meeting_date=date(2027, 1, 1)
    )
    done_run_for(council, items)
    explanation = explain.explain_item(council=council, item=items[3])
    assert explanation.new_since_plan and explanation.movement is None


def test_explanation_reads_one_entry_of_the_plan_not_its_whole_snapshot(council, items):
    done_run_for(council, items)
    plans.publish_plan(
        council=council, title="Plan", committee="Cabinet", meeting_date=date(2027, 1, 1)
    )
    explanation = explain.explain_item(council=council, item=items[2])
    # A large council's snapshot decodes to hundreds of megabytes; the page needs one entry.
    assert "snapshot" in explanation.plan.get_deferred_fields()
    assert explanation.plan_rank_label == "3" and explanation.movement == 0


def test_explanation_refuses_another_councils_item(council, other_council):
    theirs = BacklogItemFactory(council=other_council)
    with pytest.raises(ValueError):
        explain.explain_item(council=council, item=theirs)


def test_item_page_explains_the_rank_and_movement_since_the_plan(viewer_client, council, items):
    from django.urls import reverse

    done_run_for(council, items)
    plans.publish_plan(
        council=council, title="Spring plan", committee="Cabinet", meeting_date=date(2027, 1, 1)
    )
    done_run_for(council, [items[2], items[0], items[1], items[3]])
    page = viewer_client.get(reverse("item_detail", args=[council.slug, items[2].reference])).text
    assert "Why this rank" in page
    assert "moved up 2 places since the plan “Spring plan” (was 3)" in page
    assert "Citizen impact" in page


def test_item_page_without_a_ranking_has_no_explanation(viewer_client, council, items):
    from django.urls import reverse

    page = viewer_client.get(reverse("item_detail", args=[council.slug, items[0].reference])).text
    assert "Why this rank" not in page
