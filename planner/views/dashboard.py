from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_safe

from councils.access import council_for


@require_safe
@login_required
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    council = council_for(request, slug)
    summary = {
        "items": council.items.filter(archived=False).count(),
        "themes": council.themes.filter(retired=False).count(),
        "criteria": council.criteria.filter(active=True).count(),
    }
    return render(
        request,
        "planner/dashboard.html",
        {"council": council, "nav": "dashboard", "summary": summary},
    )


urlpatterns = [path("", dashboard, name="dashboard")]
