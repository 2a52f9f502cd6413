"""Criteria changes never wipe the ranking (issue 11): a new criterion collects scores at
weight 0 without unranking anything; weighting it before items are scored warns first (and
the preview shows the effect); taking a criterion out of use says which profiles used it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from planner import backlog, dashboard, ranking, weightings
from planner.models import Criterion, RankingRun
from tests.factories import BacklogItemFactory, score_all
from tests.planner.test_setup_themes_criteria import criterion_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored_items(council):
    items = BacklogItemFactory.create_batch(3, council=council)
    for item in items:
        score_all(item, 4)
    return items


def add_equalities(client, council) -> Criterion:
    response = client.post(
        reverse("criteria", args=[council.slug]),
        criterion_data("new", name="Equalities impact"),
        follow=True,
    )
    assert "starts with a weight of 0 in every profile" in response.content.decode()
    return council.criteria.get(name="Equalities impact")


def weights_post(profile, criteria, **overrides) -> dict:
    data = {"name": profile.name, "method": profile.method, "version": profile.version}
    for criterion in criteria:
        data[f"weight_{criterion.pk}"] = str(profile.weight_for(criterion))
    data.update({key: str(value) for key, value in overrides.items()})
    return data


def test_a_new_criterion_unranks_nothing(admin_client_for_council, council, scored_items):
    before = ranking.run_now(council=council)
    assert before.item_count == 3
    equalities = add_equalities(admin_client_for_council, council)
    assert council.profiles.get(is_active=True).weight_for(equalities) == 0
    after = ranking.run_now(council=council)
    assert (after.item_count, after.needs_scoring) == (3, [])
    assert backlog.count_needs_scoring(council) == 0
    assert not backlog.filter_items(council, {"needs_scoring": True}).exists()
    assert dashboard.dashboard_for(council=council).needs_scoring == 0
    body = admin_client_for_council.get(reverse("backlog", args=[council.slug])).content.decode()
    assert "Needs scoring</strong>" not in body
    grid = admin_client_for_council.get(reverse("score_grid", args=[council.slug]))
    assert "Collecting" in grid.content.decode()
    criteria_page = admin_client_for_council.get(reverse("criteria", args=[council.slug]))
    assert (
        "Equalities impact\n      (collecting scores: weight 0)" in criteria_page.content.decode()
    )


def test_weighting_an_unscored_criterion_warns_before_saving(
    admin_client_for_council, council, scored_items
):
    equalities = add_equalities(admin_client_for_council, council)
    profile = council.profiles.get(is_active=True)
    criteria = weightings.active_criteria(council)
    data = weights_post(profile, criteria, **{f"weight_{equalities.pk}": 20})
    response = admin_client_for_council.post(reverse("weightings", args=[council.slug]), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert (
        "3 items have no score on Equalities impact and\n        will move to Needs scoring" in body
    )
    assert f'name="confirm_unscored" value="{equalities.pk}"' in body
    assert "Save anyway" in body
    profile.refresh_from_db()
    assert profile.weight_for(equalities) == 0  # nothing saved yet
    # The confirm step is a plain form post: the same weights with the confirmation.
    data["confirm_unscored"] = str(equalities.pk)
    response = admin_client_for_council.post(reverse("weightings", args=[council.slug]), data)
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.weight_for(equalities) == 20
    assert backlog.count_needs_scoring(council) == 3


def test_the_warning_comes_back_as_the_editor_fragment_with_htmx(
    admin_client_for_council, council, scored_items
):
    equalities = add_equalities(admin_client_for_council, council)
    profile = council.profiles.get(is_active=True)
    data = weights_post(
        profile, weightings.active_criteria(council), **{f"weight_{equalities.pk}": 5}
    )
    response = admin_client_for_council.post(
        reverse("weightings", args=[council.slug]), data, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="profile-editor">')
    assert "will move to Needs scoring" in body


def test_no_warning_once_every_item_is_scored_on_it(
    admin_client_for_council, council, scored_items
):
    equalities = add_equalities(admin_client_for_council, council)
    for item in scored_items:
        item.scores.create(criterion=equalities, value=3)
    profile = council.profiles.get(is_active=True)
    data = weights_post(
        profile, weightings.active_criteria(council), **{f"weight_{equalities.pk}": 20}
    )
    response = admin_client_for_council.post(reverse("weightings", args=[council.slug]), data)
    assert response.status_code == 302


def test_the_preview_shows_items_leaving_the_ranking(
    admin_client_for_council, council, scored_items
):
    ranking.run_now(council=council)
    equalities = add_equalities(admin_client_for_council, council)
    profile = council.profiles.get(is_active=True)
    params = weights_post(
        profile, weightings.active_criteria(council), **{f"weight_{equalities.pk}": 20}
    )
    response = admin_client_for_council.get(
        reverse("weightings_preview", args=[council.slug]), params, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "3 items\n      ranked now would move to Needs scoring" in body


def test_deactivating_a_criterion_names_the_profiles_and_asks_for_a_run(
    admin_client_for_council, council
):
    savings = council.criteria.get(key="savings")
    active = council.profiles.get(is_active=True)
    other = weightings.create_profile(council=council, name="Savings first")
    runs_before = RankingRun.objects.filter(council=council).count()
    prefix = f"criterion-{savings.pk}"
    data = criterion_data(
        prefix, **{field: getattr(savings, field) for field in ("name", "help_text")}, active=""
    )
    for level in range(1, 6):
        data[f"{prefix}-level_{level}"] = getattr(savings, f"level_{level}")
    response = admin_client_for_council.post(
        reverse("criterion_edit", args=[council.slug, savings.pk]), data, follow=True
    )
    body = response.content.decode()
    weight = weightings.format_weight(active.weight_for(savings))
    assert "“Savings” is no longer used in scoring" in body
    assert f"{active.name} (active), weight {weight}" in body
    assert f"{other.name}, weight {weight}" in body
    assert "ranked again without it" in body
    assert RankingRun.objects.filter(council=council).count() == runs_before + 1
