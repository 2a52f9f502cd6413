"""The delivery plan's settings (approvers): quarters, capacity, money, effort bands and how
the plan is built. They are the planning part of the council settings, /c/<slug>/settings/."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods

from councils.access import CouncilAccess, council_for
from councils.models import Council, Role
from planner import planning, planning_settings
from planner.forms import PlanningSettingsForm
from planner.views.helpers import HtmxHttpRequest

STALE_MESSAGE = (
    "Someone else saved the planning settings while you were editing them. Nothing you "
    "entered has been saved: the form now shows their settings. Make your changes again."
)


def _form(council: Council, data: object = None) -> PlanningSettingsForm:
    quarters = planning.plan_quarters(council)
    return PlanningSettingsForm(
        data,
        initial=planning_settings.current_values(council, quarters),
        quarters=quarters,
        start_choices=planning_settings.start_choices(council),
    )


def _render(
    request: HtmxHttpRequest, access: CouncilAccess, form: PlanningSettingsForm, status: int = 200
) -> HttpResponse:
    context = {"council": access.council, "access": access, "nav": "council_settings", "form": form}
    return render(request, "planner/planning_settings.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def settings_page(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.APPROVER)
    council = access.council
    if request.method != "POST":
        return _render(request, access, _form(council))
    form = _form(council, data=request.POST)
    if not form.is_valid():
        return _render(request, access, form, status=400)
    try:
        planning_settings.save_planning_settings(
            council=council,
            version=form.cleaned_data["version"],
            settings=planning_settings.PlanningSettings(**form.planning_settings()),
            user=request.user,
        )
    except planning_settings.StaleSettings:
        council.refresh_from_db()
        fresh = _form(council)
        fresh.report_stale(STALE_MESSAGE)
        return _render(request, access, fresh, status=409)
    messages.success(request, "Planning settings saved. The plan is being rebuilt.")
    return redirect(reverse("roadmap", args=[council.slug]))


urlpatterns = [
    path("settings/planning/", settings_page, name="planning_settings"),
]
