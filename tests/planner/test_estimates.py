"""One effort: the Effort criterion follows the estimate in team-days, never a hand score."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from planner import items, ranking
from planner.models import ItemScore, RankingRun, Status
from tests.factories import BacklogItemFactory, score_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def effort(council):
    return council.criteria.get(derived_from_estimate=True)


def _data(council, **changes):
    data = {
        "title": "Online blue badge renewals",
        "problem": "",
        "theme": council.themes.first(),
        "status": Status.READY,
        "owner": "",
        "effort_days": Decimal("30"),
        "remaining_days": None,
        "one_off_cost": None,
        "recurring_cost": None,
        "stage": "discovery",
    }
    return {**data, **changes}


def test_a_new_item_gets_its_effort_level_from_the_estimate(council, effort):
    item = items.create_item(council=council, user=None, data=_data(council))
    score = ItemScore.objects.get(item=item, criterion=effort)
    assert score.value == 3  # 30 team-days: up to 60
    assert score.rationale == "Derived from the estimate of 30 team-days"


def test_changing_the_estimate_changes_the_level_and_records_why(council, effort):
    item = items.create_item(council=council, user=None, data=_data(council))
    items.update_item(
        item=item, user=None, data=_data(council, effort_days=Decimal("90")), version=1
    )
    score = ItemScore.objects.get(item=item, criterion=effort)
    assert score.value == 4
    latest = score.history.order_by("-history_date").first()
    assert latest.history_change_reason == "Derived from the estimate of 90 team-days"


def test_removing_the_estimate_removes_the_level(council, effort):
    item = items.create_item(council=council, user=None, data=_data(council))
    items.update_item(item=item, user=None, data=_data(council, effort_days=None), version=1)
    assert not ItemScore.objects.filter(item=item, criterion=effort).exists()


def test_effort_cannot_be_scored_by_hand(council, effort):
    item = BacklogItemFactory(council=council)
    with pytest.raises(ValueError, match="comes from the estimate"):
        items.set_score(item=item, criterion=effort, user=None, value=1, rationale="", version=0)


def test_the_score_url_for_effort_is_a_404(editor_client, council, effort):
    item = BacklogItemFactory(council=council)
    url = reverse("item_score", args=[council.slug, item.reference, effort.pk])
    response = editor_client.post(url, {"value": "1", "rationale": "", "version": "0"})
    assert response.status_code == 404
    assert not ItemScore.objects.filter(item=item, criterion=effort).exists()


def test_an_unestimated_item_needs_an_estimate_not_scoring(council):
    estimated = BacklogItemFactory(council=council, status=Status.READY)
    unestimated = BacklogItemFactory(council=council, status=Status.READY, effort_days=None)
    for item in (estimated, unestimated):
        score_all(item)
    run = ranking.run_now(council=council)
    assert run.needs_estimate == [unestimated.pk]
    assert run.needs_scoring == []
    assert list(run.entries.values_list("item_id", flat=True)) == [estimated.pk]


def test_changing_a_cost_asks_for_a_new_plan_but_a_title_does_not(
    council, django_capture_on_commit_callbacks
):
    item = items.create_item(council=council, user=None, data=_data(council))
    RankingRun.objects.all().delete()
    with django_capture_on_commit_callbacks():
        item = items.update_item(
            item=item, user=None, data=_data(council, title="Renamed"), version=1
        )
    assert not RankingRun.objects.exists()
    with django_capture_on_commit_callbacks():
        items.update_item(
            item=item, user=None, data=_data(council, one_off_cost=Decimal("5000")), version=2
        )
    assert RankingRun.objects.count() == 1
