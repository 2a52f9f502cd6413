from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST, require_safe

from councils.access import CouncilAccess, council_for
from councils.models import Role
from planner import horizons, ranking
from planner.forms import CLEAR_OVERRIDE, HorizonOverrideForm
from planner.views.helpers import HtmxHttpRequest

# Rows shown per horizon unless the reader asks for all: a long Later list would otherwise
# make the page slow to render and to read.
ROWS_PER_HORIZON = 100


def _roadmap_context(
    request: HtmxHttpRequest, access: CouncilAccess, form: HorizonOverrideForm
) -> dict:
    council = access.council
    latest_run = ranking.latest_done_run(council)
    show_all = request.GET.get("all") == "1"
    return {
        "show_all": show_all,
        "row_slice": ":" if show_all else f":{ROWS_PER_HORIZON}",
        "rows_per_horizon": ROWS_PER_HORIZON,
        "access": access,
        "council": council,
        "nav": "roadmap",
        "latest_run": latest_run,
        "pending_run": ranking.pending_or_failed_run(council),
        "roadmap": horizons.council_roadmap(council=council, run=latest_run),
        "form": form,
        "can_edit": access.can_edit,
    }


@login_required
@require_safe
def roadmap(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = council_for(request, slug)
    # "Change" links on each row prefill the override form with that item's reference.
    form = HorizonOverrideForm(initial={"item": request.GET.get("item", "")[:20]})
    context = _roadmap_context(request, access, form)
    template = "planner/roadmap.html#horizons" if request.htmx else "planner/roadmap.html"
    return render(request, template, context)


@login_required
@require_POST
def roadmap_override(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.EDITOR)
    council = access.council
    form = HorizonOverrideForm(request.POST, items=council.items)
    if not form.is_valid():
        context = _roadmap_context(request, access, form)
        return render(request, "planner/roadmap.html", context, status=400)
    item = form.cleaned_data["item"]
    horizon = form.cleaned_data["horizon"]
    reason = form.cleaned_data["reason"]
    if horizon == CLEAR_OVERRIDE:
        horizons.clear_override(council=council, item=item, reason=reason, cleared_by=request.user)
        messages.success(request, f"{item.reference} follows the ranking again.")
    else:
        horizons.set_override(
            council=council, item=item, horizon=horizon, reason=reason, set_by=request.user
        )
        messages.success(request, f"{item.reference} is pinned to {horizon.title()}.")
    url = reverse("roadmap", args=[council.slug]) + f"#item-{item.reference}"
    return redirect(url)


urlpatterns = [
    path("roadmap/", roadmap, name="roadmap"),
    path("roadmap/override/", roadmap_override, name="roadmap_override"),
]
