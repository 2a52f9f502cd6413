"""The ranking status partial (progress, delayed, failed) and "Try again"."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone

from planner import ranking
from planner.models import RankingRun, RunStatus
from planner.views.runs import refresh_when_ranked
from tests.factories import BacklogItemFactory, score_all


def _status_url(council) -> str:
    return reverse("ranking_status", args=[council.slug])


def _run(council, **fields) -> RankingRun:
    return RankingRun.objects.create(
        council=council, generation=fields.pop("generation", 1), **fields
    )


def test_running_run_shows_progress_and_polls_every_second(viewer_client, council):
    _run(council, status=RunStatus.RUNNING, progress=35)
    body = viewer_client.get(_status_url(council), HTTP_HX_REQUEST="true").content.decode()
    assert "Ranking…" in body
    assert 'value="35"' in body
    assert "35% done" in body
    assert 'hx-trigger="every 1s"' in body


def test_status_page_without_javascript_shows_the_same_state(viewer_client, council):
    _run(council, status=RunStatus.RUNNING, progress=65)
    response = viewer_client.get(_status_url(council))
    body = response.content.decode()
    assert "<html" in body
    assert "65% done" in body
    assert "Reload the page to see progress" in body


def test_finished_run_stops_polling_and_fires_ranking_updated(viewer_client, council):
    run = _run(council)
    score_all(BacklogItemFactory(council=council))
    ranking.execute_run(run_id=run.pk)
    response = viewer_client.get(_status_url(council), HTTP_HX_REQUEST="true")
    assert "every 1s" not in response.content.decode()
    assert "Ranking computed" in response.content.decode()
    assert "ranking-updated" in response["HX-Trigger"]


def test_pending_poll_does_not_fire_ranking_updated(viewer_client, council):
    _run(council, status=RunStatus.QUEUED)
    response = viewer_client.get(_status_url(council), HTTP_HX_REQUEST="true")
    assert "HX-Trigger" not in response


def test_queued_run_the_broker_never_got_says_ranking_is_delayed(viewer_client, council):
    _run(council, error=ranking.ENQUEUE_FAILED_MESSAGE)
    body = viewer_client.get(_status_url(council), HTTP_HX_REQUEST="true").content.decode()
    assert "Ranking is delayed" in body
    assert "Your changes are saved" in body


def test_queued_run_nobody_picked_up_says_ranking_is_delayed(viewer_client, council):
    run = _run(council)
    RankingRun.objects.filter(pk=run.pk).update(requested_at=timezone.now() - timedelta(minutes=2))
    body = viewer_client.get(_status_url(council), HTTP_HX_REQUEST="true").content.decode()
    assert "Ranking is delayed" in body


def test_failed_run_shows_its_reason_and_try_again_for_editors(editor_client, council):
    _run(council, status=RunStatus.FAILED, error="The database was unavailable.")
    body = editor_client.get(_status_url(council), HTTP_HX_REQUEST="true").content.decode()
    assert "The latest ranking failed" in body
    assert "The database was unavailable." in body
    assert "Try again" in body


def test_viewer_sees_the_failure_but_no_try_again_button(viewer_client, council):
    _run(council, status=RunStatus.FAILED, error="Broken")
    body = viewer_client.get(_status_url(council), HTTP_HX_REQUEST="true").content.decode()
    assert "Broken" in body
    assert "Try again" not in body


def test_failure_reason_is_escaped(editor_client, council):
    _run(council, status=RunStatus.FAILED, error="<script>alert(1)</script>")
    body = editor_client.get(_status_url(council)).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


def test_editor_try_again_queues_a_fresh_run(
    editor_client, council, django_capture_on_commit_callbacks
):
    failed = _run(council, status=RunStatus.FAILED, error="Broken")
    score_all(BacklogItemFactory(council=council))
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            reverse("ranking_retry", args=[council.slug]), {"next": "/evil.example/"}
        )
    assert response.status_code == 302
    assert response["Location"] == "/evil.example/"  # same-host path: allowed
    latest = ranking.latest_done_run(council)
    assert latest.generation == failed.generation + 1


def test_try_again_never_redirects_off_site(editor_client, council):
    _run(council, status=RunStatus.FAILED, error="Broken")
    response = editor_client.post(
        reverse("ranking_retry", args=[council.slug]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("dashboard", args=[council.slug])


def test_htmx_try_again_returns_the_polling_status_fragment(editor_client, council):
    _run(council, status=RunStatus.FAILED, error="Broken")
    response = editor_client.post(
        reverse("ranking_retry", args=[council.slug]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="ranking-status"' in body
    assert 'hx-trigger="every 1s"' in body
    assert "<html" not in body


def test_viewer_cannot_try_again(viewer_client, council):
    _run(council, status=RunStatus.FAILED, error="Broken")
    response = viewer_client.post(reverse("ranking_retry", args=[council.slug]))
    assert response.status_code == 403
    assert council.runs.count() == 1


def test_status_shows_nothing_of_another_council(outsider_client, council):
    assert outsider_client.get(_status_url(council)).status_code == 404


def test_refresh_fires_when_no_run_is_left_or_the_last_one_failed():
    failed = RankingRun(status=RunStatus.FAILED)
    for pending_run in (None, failed):
        assert "ranking-updated" in refresh_when_ranked(HttpResponse(), pending_run)["HX-Trigger"]
    for status in (RunStatus.QUEUED, RunStatus.RUNNING):
        response = refresh_when_ranked(HttpResponse(), RankingRun(status=status))
        assert "HX-Trigger" not in response
