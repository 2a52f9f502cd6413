from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_safe

from councils.access import council_for
from planner.dashboard import dashboard_for
from planner.views.helpers import HtmxHttpRequest


@login_required
@require_safe
def dashboard(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = council_for(request, slug)
    council = access.council
    summary = dashboard_for(council=council)
    context = {
        "access": access,
        "council": council,
        "nav": "dashboard",
        "summary": summary,
        # For the ranking progress indicator (planner/run_status.html#status).
        "latest_run": summary.latest_run,
        "pending_run": summary.pending_run,
    }
    template = "planner/dashboard.html#ranking" if request.htmx else "planner/dashboard.html"
    return render(request, template, context)


urlpatterns = [path("", dashboard, name="dashboard")]
