"""The weight band (±%) of a profile: approvers set it on the weightings page, the rank
ranges read it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from planner import ranking, weightings
from planner.models import WeightingProfile
from tests.factories import BacklogItemFactory, score_all
from tests.planner.test_weightings import _post_data


@pytest.fixture
def profile(council) -> WeightingProfile:
    return council.profiles.get(is_active=True)


def _url(council) -> str:
    return reverse("weightings", args=[council.slug])


def test_the_form_shows_the_band_with_its_hint(approver_client, council, profile):
    body = approver_client.get(_url(council)).content.decode()
    assert "Weight band (±%)" in body
    assert 'name="weight_band_percent"' in body and 'value="25"' in body
    assert "How far each weight may move" in body


def test_an_approver_saves_the_band(approver_client, council, profile):
    criteria = weightings.active_criteria(council)
    data = _post_data(profile, criteria, weight_band_percent=40)
    response = approver_client.post(_url(council), data)
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.weight_band_percent == 40
    assert profile.version == 2


def test_the_next_run_samples_with_the_saved_band(
    approver_client, council, profile, django_capture_on_commit_callbacks
):
    item = BacklogItemFactory(council=council)
    score_all(item, 3)
    criteria = weightings.active_criteria(council)
    with django_capture_on_commit_callbacks(execute=True):
        approver_client.post(_url(council), _post_data(profile, criteria, weight_band_percent=10))
    # Eager Celery: the save's run, then its ranges, have been computed.
    run = council.runs.order_by("-generation").first()
    assert run.robustness["band"] == 10


def test_a_blank_band_keeps_the_profile_band(approver_client, council, profile):
    WeightingProfile.objects.filter(pk=profile.pk).update(weight_band_percent=60)
    profile.refresh_from_db()
    criteria = weightings.active_criteria(council)
    response = approver_client.post(_url(council), _post_data(profile, criteria))
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.weight_band_percent == 60


@pytest.mark.parametrize("band", ["101", "-1", "12.5", "lots"])
def test_a_bad_band_is_refused_and_nothing_is_saved(approver_client, council, profile, band):
    criteria = weightings.active_criteria(council)
    response = approver_client.post(
        _url(council), _post_data(profile, criteria, weight_band_percent=band)
    )
    assert response.status_code == 400
    assert "The weight band must be" in response.content.decode()
    profile.refresh_from_db()
    assert profile.weight_band_percent == 25
    assert profile.version == 1


def test_a_stale_save_of_the_band_is_a_conflict_naming_the_saved_band(
    approver_client, council, profile
):
    criteria = weightings.active_criteria(council)
    stale = _post_data(profile, criteria, weight_band_percent=50)
    weightings.update_profile(
        profile=profile,
        method=profile.method,
        weights=profile.weights,
        version=profile.version,
        weight_band_percent=35,
    )
    response = approver_client.post(_url(council), stale)
    assert response.status_code == 409
    assert "weight band ±35%" in response.content.decode()
    profile.refresh_from_db()
    assert profile.weight_band_percent == 35


def test_editors_and_viewers_cannot_change_the_band(editor_client, viewer_client, council, profile):
    criteria = weightings.active_criteria(council)
    data = _post_data(profile, criteria, weight_band_percent=80)
    assert editor_client.post(_url(council), data).status_code == 403
    assert viewer_client.post(_url(council), data).status_code == 403
    profile.refresh_from_db()
    assert profile.weight_band_percent == 25
    body = viewer_client.get(_url(council)).content.decode()
    assert "±25%" in body


def test_an_outsider_gets_404(outsider_client, council, profile):
    criteria = weightings.active_criteria(council)
    data = _post_data(profile, criteria, weight_band_percent=80)
    assert outsider_client.post(_url(council), data).status_code == 404


def test_the_page_explains_how_sure_the_live_ranks_are(viewer_client, council):
    item = BacklogItemFactory.create(council=council)
    score_all(item, 3)
    run = ranking.run_now(council=council)
    body = " ".join(viewer_client.get(_url(council)).content.decode().split())
    assert "How sure each rank is: how it is worked out" in body
    assert "worked out again 2,000 times" in body
    assert f"The random seed is {run.pk}" in body


def test_no_explanation_before_any_ranking(viewer_client, council):
    body = viewer_client.get(_url(council)).content.decode()
    assert "How sure each rank is: how it is worked out" not in body
