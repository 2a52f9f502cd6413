from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_POST, require_safe

from councils.access import CouncilAccess, council_for
from councils.models import Role
from planner import plans as plan_service
from planner import ranking
from planner.forms import PlanCompareForm, PublishPlanForm
from planner.options import options_of
from planner.views.helpers import HtmxHttpRequest


def _list_context(access: CouncilAccess, form: PublishPlanForm) -> dict[str, Any]:
    council = access.council
    all_plans = list(plan_service.plans_without_snapshots(council).select_related("published_by"))
    return {
        "access": access,
        "council": council,
        "nav": "plans",
        "plans": all_plans,
        "form": form,
        "compare_form": PlanCompareForm(plans=all_plans),
        "latest_run": ranking.latest_done_run(council),
        "can_approve": access.can_approve,
    }


@login_required
@require_safe
def plans(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = council_for(request, slug)
    form = PublishPlanForm(options=options_of(access.council))
    return render(request, "planner/plans.html", _list_context(access, form))


@login_required
@require_POST
def plan_publish(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.APPROVER)
    council = access.council
    form = PublishPlanForm(request.POST, options=options_of(council))
    if form.is_valid():
        try:
            plan = plan_service.publish_plan(
                council=council, published_by=request.user, **form.cleaned_data
            )
        except plan_service.NothingToPublish as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Published “{plan.title}” for {plan.committee}.")
            return redirect("plan_detail", slug=council.slug, plan_slug=plan.slug)
    return render(request, "planner/plans.html", _list_context(access, form), status=400)


@login_required
@require_safe
def plan_detail(request: HtmxHttpRequest, slug: str, plan_slug: str) -> HttpResponse:
    access = council_for(request, slug)
    council = access.council
    # The snapshot streams in chunks (plan_page); loading it whole costs 235 MB at 50k.
    plan = get_object_or_404(
        council.plans.select_related("published_by").defer("snapshot"), slug=plan_slug
    )
    # Viewers see the public version: exempt items without problem statements or costs.
    public = not access.can_approve
    page = plan_service.plan_page(plan, public=public)
    context = {
        "public_version": public,
        "access": access,
        "council": council,
        "nav": "plans",
        "plan": plan,
        "snapshot": page.head,
        "plan_page": page,
        "horizons": page.horizons,
        "totals": page.totals,
    }
    return render(request, "planner/plan_detail.html", context)


@login_required
@require_safe
def plan_compare(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = council_for(request, slug)
    council = access.council
    # Entries stream from the snapshots when compared (plans.compare_plans), never whole.
    all_plans = list(council.plans.defer("snapshot").order_by("-meeting_date", "-published_at"))
    asked = "a" in request.GET or "b" in request.GET
    form = PlanCompareForm(request.GET if asked else None, plans=all_plans)
    comparison = None
    if asked and form.is_valid():
        by_slug = {plan.slug: plan for plan in all_plans}
        comparison = plan_service.compare_plans(
            by_slug[form.cleaned_data["a"]], by_slug[form.cleaned_data["b"]]
        )
    context = {
        "access": access,
        "council": council,
        "nav": "plans",
        "form": form,
        "plans": all_plans,
        "comparison": comparison,
        "slope_top": plan_service.SLOPE_TOP,
    }
    return render(request, "planner/plan_compare.html", context, status=400 if form.errors else 200)


urlpatterns = [
    path("plans/", plans, name="plans"),
    path("plans/publish/", plan_publish, name="plan_publish"),
    path("plans/compare/", plan_compare, name="plan_compare"),
    path("plans/<slug:plan_slug>/", plan_detail, name="plan_detail"),
]
