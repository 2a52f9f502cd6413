from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_safe

from councils.access import council_for
from planner import ranking


@require_safe
@login_required
def ranking_status(request: HttpRequest, slug: str) -> HttpResponse:
    """The ranking progress indicator; htmx polls it while a run is queued or running."""
    council = council_for(request, slug)
    context = {
        "council": council,
        "pending_run": ranking.pending_or_failed_run(council),
        "latest_run": ranking.latest_done_run(council),
    }
    template = "planner/run_status.html#status" if request.htmx else "planner/run_status.html"
    return render(request, template, context)


urlpatterns = [path("ranking/status/", ranking_status, name="ranking_status")]
