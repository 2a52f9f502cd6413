"""CSV downloads (any member) and the record of who exported what (admins)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.views.decorators.http import require_safe

from councils.access import council_for
from councils.models import Council, Role
from planner import backlog, csv_export, ranking
from planner.csv_export import CsvExport
from planner.forms import BacklogFilterForm
from planner.models import RankingRun
from planner.views.helpers import HtmxHttpRequest

EXPORTS_PER_PAGE = 50


def download_csv(export: CsvExport) -> StreamingHttpResponse:
    response = StreamingHttpResponse(export.chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = csv_export.content_disposition(export.filename)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_safe
def ranking_export(request: HtmxHttpRequest, slug: str) -> StreamingHttpResponse:
    access = council_for(request, slug)
    council = access.council
    run = ranking.latest_done_run(council)
    if run is None:
        raise Http404("There is no finished ranking to export yet.")
    return download_csv(csv_export.export_ranking(council=council, user=request.user, run=run))


def _backlog_filters(council: Council, query: QueryDict) -> tuple[dict[str, Any], str]:
    """The backlog page's filters from the query string. An invalid filter is dropped, as
    the backlog page drops it, so a tampered link still exports something sensible."""
    filters = BacklogFilterForm(query, council=council).filters()
    description = ", ".join(f"{key}: {value}" for key, value in filters.items())
    return filters, description


@login_required
@require_safe
def backlog_export(request: HtmxHttpRequest, slug: str) -> StreamingHttpResponse:
    access = council_for(request, slug)
    council = access.council
    filters, description = _backlog_filters(council, request.GET)
    items = backlog.filter_items(council, filters)
    return download_csv(
        csv_export.export_backlog(
            council=council, user=request.user, items=items, description=description
        )
    )


@login_required
@require_safe
def plan_export(request: HtmxHttpRequest, slug: str, plan_slug: str) -> StreamingHttpResponse:
    access = council_for(request, slug)
    council = access.council
    # The entries stream from the snapshot in chunks; loading it whole costs 235 MB at 50k.
    plan = get_object_or_404(council.plans.defer("snapshot"), slug=plan_slug)
    # Viewers get the public version: exempt items without problem statements or costs.
    public = not access.can_approve
    return download_csv(
        csv_export.export_plan(council=council, user=request.user, plan=plan, public=public)
    )


@login_required
@require_safe
def method_export(request: HtmxHttpRequest, slug: str) -> StreamingHttpResponse:
    """The companion method file: for a published plan with ?plan=<slug>, else the current
    ranking."""
    access = council_for(request, slug)
    council = access.council
    plan = None
    run: RankingRun | None
    if plan_slug := request.GET.get("plan"):
        plan = get_object_or_404(
            council.plans.defer("snapshot").select_related("run"), slug=plan_slug
        )
        run = plan.run
    else:
        run = ranking.latest_done_run(council)
        if run is None:
            raise Http404("There is no finished ranking to explain yet.")
    return download_csv(
        csv_export.export_method(council=council, user=request.user, run=run, plan=plan)
    )


@login_required
@require_safe
def exports(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.ADMIN)
    council = access.council
    records = council.exports.select_related("user").order_by("-created_at", "-pk")
    page = Paginator(records, EXPORTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "planner/exports.html",
        {"access": access, "council": council, "nav": "exports", "page": page},
    )


urlpatterns = [
    path("export/ranking.csv", ranking_export, name="ranking_export"),
    path("export/backlog.csv", backlog_export, name="backlog_export"),
    path("export/method.csv", method_export, name="method_export"),
    path("plans/<slug:plan_slug>/export.csv", plan_export, name="plan_export"),
    path("exports/", exports, name="exports"),
]
