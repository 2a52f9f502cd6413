"""Service administration, /manage/ (superusers only): create, list and deactivate councils.
Anyone else gets a 404, so the page does not reveal itself."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods, require_POST

from councils.models import Council
from planner import service_admin
from planner.forms import NewCouncilForm
from planner.views.council_settings import invitation_link
from planner.views.helpers import HtmxHttpRequest


def _superuser_only(request: HttpRequest) -> None:
    if not request.user.is_superuser:
        raise Http404("No such page.")


def _context(form: NewCouncilForm) -> dict[str, Any]:
    return {"councils": service_admin.councils_with_counts(), "form": form}


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def manage(request: HtmxHttpRequest) -> HttpResponse:
    _superuser_only(request)
    if request.method != "POST":
        return render(request, "planner/manage.html", _context(NewCouncilForm()))
    form = NewCouncilForm(request.POST)
    if not form.is_valid():
        return render(request, "planner/manage.html", _context(form), status=400)
    council, invitation = service_admin.create_council(
        name=form.cleaned_data["name"],
        slug=form.cleaned_data["slug"],
        nation=form.cleaned_data["nation"],
        council_type=form.cleaned_data["council_type"],
        admin_email=form.cleaned_data["admin_email"],
        created_by=request.user,
        link_for=invitation_link(request),
    )
    messages.success(
        request, f"{council.name} created. {invitation.email} has been invited as its admin."
    )
    return redirect("manage")


@login_required
@require_POST
def council_active(request: HtmxHttpRequest, council_slug: str) -> HttpResponse:
    _superuser_only(request)
    council = get_object_or_404(Council, slug=council_slug)
    active = request.POST.get("active") == "yes"
    service_admin.set_active(council=council, active=active, user=request.user)
    state = "reactivated" if active else "deactivated: its members can no longer open it"
    messages.success(request, f"{council.name} {state}.")
    return redirect("manage")


urlpatterns = [
    path("", manage, name="manage"),
    path("<slug:council_slug>/active/", council_active, name="council_active"),
]
