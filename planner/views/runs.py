from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import trigger_client_event

from councils.access import CouncilAccess, council_for
from councils.models import Role
from planner import ranking
from planner.models import RankingRun
from planner.views.helpers import HtmxHttpRequest, safe_next

# Fired on <body> when a run the page was waiting for finishes; tables listen for it.
RANKING_UPDATED = "ranking-updated"


def refresh_when_ranked(response: HttpResponse, pending_run: RankingRun | None) -> HttpResponse:
    """Tell the page's tables to refresh when no run is queued or running any more: the run
    finished (or, with eager Celery, was computed inside this request)."""
    if pending_run is None or not pending_run.is_pending:
        trigger_client_event(response, RANKING_UPDATED)
    return response


def _status_context(access: CouncilAccess) -> dict[str, Any]:
    return {
        "access": access,
        "council": access.council,
        "pending_run": ranking.pending_or_failed_run(access.council),
        "latest_run": ranking.latest_done_run(access.council),
    }


@login_required
@require_safe
def ranking_status(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The ranking progress indicator; htmx polls it while a run is queued or running."""
    access = council_for(request, slug)
    context = _status_context(access)
    if not request.htmx:
        return render(request, "planner/run_status.html", context)
    response = render(request, "planner/run_status.html#status", context)
    # Only a page that was polling asks here, so "nothing pending" means its run just ended.
    return refresh_when_ranked(response, context["pending_run"])


@login_required
@require_POST
def ranking_retry(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """ "Try again" after a failed run: editors queue a fresh run."""
    access = council_for(request, slug, min_role=Role.EDITOR)
    council = access.council
    # A fresh run rather than resetting the failed one, so the failure stays on record.
    ranking.request_run(council=council, requested_by=request.user)
    if request.htmx:
        context = _status_context(access)
        response = render(request, "planner/run_status.html#status", context)
        return refresh_when_ranked(response, context["pending_run"])
    return redirect(safe_next(request, reverse("dashboard", args=[council.slug])))


urlpatterns = [
    path("ranking/status/", ranking_status, name="ranking_status"),
    path("ranking/retry/", ranking_retry, name="ranking_retry"),
]
