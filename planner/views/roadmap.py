from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST, require_safe

from councils.access import CouncilAccess, council_for
from councils.models import Council, Role
from planner import delivery, pins, planning, ranking
from planner import quarters as cal
from planner.forms import CLEAR_PIN, PinForm
from planner.models import HorizonOverride
from planner.views.helpers import HtmxHttpRequest


def _pin_form(
    council: Council, data: object = None, initial: dict[str, object] | None = None
) -> PinForm:
    return PinForm(
        data,
        initial=initial,
        items=council.items,
        quarters=planning.plan_quarters(council),
    )


def _roadmap_context(request: HtmxHttpRequest, access: CouncilAccess, form: PinForm) -> dict:
    council = access.council
    latest_run = ranking.latest_done_run(council)
    # ?all=<horizon> pages through every item of that one horizon; the others stay short.
    expand = request.GET.get("all", "")
    plan = delivery.delivery_plan(
        council=council,
        run=latest_run,
        expand=expand if expand in delivery.PLAN_HORIZONS else "",
        page=request.GET.get("page", 1),
    )
    return {
        "rows_per_horizon": delivery.ROWS_PER_HORIZON,
        "council": council,
        "nav": "roadmap",
        "latest_run": latest_run,
        "pending_run": ranking.pending_or_failed_run(council),
        "plan": plan,
        "form": form,
        "access": access,
        "can_pin": access.can_approve,
        "can_plan": access.can_approve,
    }


@login_required
@require_safe
def roadmap(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = council_for(request, slug)
    # "Pin" links on each row prefill the pin form with that item's reference.
    council = access.council
    reference = request.GET.get("item", "")[:20]
    pin = council.items.filter(reference=reference.strip().upper()).values_list(
        "horizon_override__version", flat=True
    )
    initial = {"item": reference, "version_item": reference, "version": (pin.first() or 0)}
    form = _pin_form(council, initial=initial)
    context = _roadmap_context(request, access, form)
    template = "planner/roadmap.html#horizons" if request.htmx else "planner/roadmap.html"
    return render(request, template, context)


@login_required
@require_POST
def roadmap_pin(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.APPROVER)
    council = access.council
    form = _pin_form(council, data=request.POST)
    if not form.is_valid():
        context = _roadmap_context(request, access, form)
        return render(request, "planner/roadmap.html", context, status=400)
    item = form.cleaned_data["item"]
    quarter = form.cleaned_data["quarter"]
    reason = form.cleaned_data["reason"]
    version = form.seen_version()
    try:
        if quarter == CLEAR_PIN:
            pins.unpin_item(
                council=council,
                item=item,
                reason=reason,
                unpinned_by=request.user,
                version=version,
            )
            messages.success(request, f"{item.reference} follows the ranking again.")
        else:
            pins.pin_item(
                council=council,
                item=item,
                quarter=quarter.start,
                reason=reason,
                pinned_by=request.user,
                version=version,
            )
            messages.success(request, f"{item.reference} is pinned to {quarter.label}.")
    except pins.StalePinError as stale:
        return _pin_conflict(request, access, form, stale.current)
    url = reverse("roadmap", args=[council.slug]) + f"#item-{item.reference}"
    return redirect(url)


def _pin_conflict(
    request: HtmxHttpRequest, access: CouncilAccess, form: PinForm, current: HorizonOverride | None
) -> HttpResponse:
    """409: someone changed this item's pin since the page loaded. Keep the typing, carry
    the version saved now (saving again is a deliberate choice) and say what they saved."""
    council = access.council
    item = form.cleaned_data["item"]
    data = request.POST.copy()
    data["version"] = str(current.version if current else 0)
    data["version_item"] = item.reference
    retry = _pin_form(council, data=data)
    retry.full_clean()
    if current is None:
        saved = f"{item.reference} is not pinned any more: it follows the ranking"
    else:
        who = current.set_by.get_username() if current.set_by else "Someone"
        first_month = council.financial_year_start_month
        label = cal.quarter_containing(current.quarter, first_month).label
        saved = f"{who} pinned {item.reference} to {label}: “{current.reason}”"
    retry.add_error(
        None,
        f"Someone else changed this pin while you were editing, so yours has not been saved. "
        f"Now: {saved}. Check your choice; saving again replaces theirs.",
    )
    context = _roadmap_context(request, access, retry)
    return render(request, "planner/roadmap.html", context, status=409)


urlpatterns = [
    path("roadmap/", roadmap, name="roadmap"),
    path("roadmap/pin/", roadmap_pin, name="roadmap_pin"),
]
