"""Inline scoring from the item page (a backlog row's "Score" opens the grid instead)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from planner.models import ItemScore
from tests.factories import BacklogItemFactory

pytestmark = pytest.mark.django_db


def score_url(item, criterion) -> str:
    return reverse("item_score", args=[item.council.slug, item.reference, criterion.pk])


@pytest.fixture
def item(council):
    return BacklogItemFactory(council=council)


@pytest.fixture
def criterion(council):
    return council.criteria.first()


def test_first_score_from_the_item_page_without_js(editor_client, item, criterion):
    response = editor_client.post(
        score_url(item, criterion), {"value": "4", "rationale": "Big win", "version": "0"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("item_detail", args=[item.council.slug, item.reference])
    score = ItemScore.objects.get(item=item, criterion=criterion)
    assert (score.value, score.rationale, score.set_by, score.version) == (
        4,
        "Big win",
        editor_client.user,
        1,
    )


def test_score_with_htmx_returns_only_that_panel(editor_client, item, criterion):
    response = editor_client.post(
        score_url(item, criterion), {"value": "2", "version": "0"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<div class="app-score-panel" id="score-panel-{criterion.pk}"')
    assert "Saved" in body
    assert "<html" not in body


def test_offsite_next_is_ignored(editor_client, item, criterion):
    response = editor_client.post(
        score_url(item, criterion), {"value": "3", "version": "0", "next": "https://evil.example/"}
    )
    assert response["Location"].startswith("/c/")


def test_rescoring_bumps_the_version_and_records_history(editor_client, item, criterion):
    editor_client.post(score_url(item, criterion), {"value": "2", "version": "0"})
    editor_client.post(score_url(item, criterion), {"value": "5", "version": "1"})
    score = ItemScore.objects.get(item=item, criterion=criterion)
    assert (score.value, score.version) == (5, 2)
    body = editor_client.get(reverse("item_detail", args=[item.council.slug, item.reference]))
    assert "2 → 5" in body.content.decode()


def test_scoring_queues_a_ranking_run(editor_client, item, criterion):
    editor_client.post(score_url(item, criterion), {"value": "2", "version": "0"})
    assert item.council.runs.exists()


@pytest.mark.parametrize("value", ["0", "6", "-1", "three", "", "3\x00"])
def test_score_outside_the_scale_is_refused(editor_client, item, criterion, value):
    response = editor_client.post(score_url(item, criterion), {"value": value, "version": "0"})
    assert response.status_code == 400
    assert "Choose a score from 1 to 5" in response.content.decode()
    assert not ItemScore.objects.exists()


def test_bad_score_with_htmx_is_a_400_fragment(editor_client, item, criterion):
    response = editor_client.post(
        score_url(item, criterion), {"value": "9", "version": "0"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "govuk-error-summary" in body and "<html" not in body


def test_too_long_rationale_is_refused(editor_client, item, criterion):
    response = editor_client.post(
        score_url(item, criterion), {"value": "3", "rationale": "r" * 1001, "version": "0"}
    )
    assert response.status_code == 400
    assert not ItemScore.objects.exists()


def test_inactive_criterion_cannot_be_scored(editor_client, item, criterion):
    criterion.active = False
    criterion.save()
    response = editor_client.post(score_url(item, criterion), {"value": "3", "version": "0"})
    assert response.status_code == 404


def test_another_councils_criterion_is_404(editor_client, item, other_council):
    foreign = other_council.criteria.first()
    response = editor_client.post(score_url(item, foreign), {"value": "3", "version": "0"})
    assert response.status_code == 404


def test_archived_item_cannot_be_scored(editor_client, council, criterion):
    item = BacklogItemFactory(council=council, archived=True)
    response = editor_client.post(score_url(item, criterion), {"value": "3", "version": "0"})
    assert response.status_code == 400
    assert not ItemScore.objects.exists()


def test_viewer_cannot_score(viewer_client, item, criterion):
    response = viewer_client.post(score_url(item, criterion), {"value": "3", "version": "0"})
    assert response.status_code == 403
    assert not ItemScore.objects.exists()
