"""Weighting options: save the weights being edited as an option, rename, delete and rank
them again, and compare them side by side (/c/<slug>/options/).

Anyone in the council may read the comparison; only approvers may change options.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from councils.access import CouncilAccess, council_for
from councils.models import Role
from planner import options as option_service
from planner import weightings
from planner.forms import OptionChoiceForm, OptionForm, OptionNameForm
from planner.models import WeightingProfile
from planner.views.helpers import HtmxHttpRequest
from planner.views.weightings import option_refused

PAGE = "planner/options.html"


def _compare_url(council_slug: str, option: WeightingProfile) -> str:
    return f"{reverse('options', args=[council_slug])}?option={option.pk}"


def _context(access: CouncilAccess, form: OptionChoiceForm, **extra: Any) -> dict[str, Any]:
    council = access.council
    saved = option_service.options_of(council)
    chosen: list[WeightingProfile] = []
    if form.is_bound and form.is_valid():
        wanted = set(form.cleaned_data["option"])
        chosen = [option for option in saved if option.pk in wanted]
    comparison = option_service.compare(council=council, options=chosen)
    return {
        "access": access,
        "council": council,
        "nav": "weightings",
        "form": form,
        "saved_options": saved,
        "comparison": comparison,
        "stale": option_service.stale_options(council),
        "can_approve": access.can_approve,
        "rename_form": OptionNameForm(),
        "blank_rename_form": OptionNameForm(),
        "max_compared_s": str(option_service.MAX_COMPARED),
        **extra,
    }


@login_required
@require_safe
def options_page(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Compare up to four options with the live weights and "Do nothing" (a GET form)."""
    access = council_for(request, slug)
    saved = option_service.options_of(access.council)
    form = OptionChoiceForm(request.GET or None, options=saved)
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, PAGE, _context(access, form), status=status)


@login_required
@require_POST
def option_new(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Save the weights being edited on the weightings page as an option (never active)."""
    access = council_for(request, slug, min_role=Role.APPROVER)
    council = access.council
    criteria = weightings.active_criteria(council)
    form = OptionForm(request.POST, criteria=criteria)
    if form.is_valid():
        try:
            option = option_service.save_option(
                council=council,
                name=form.cleaned_data["option_name"],
                method=form.cleaned_data["method"],
                weights=form.weights(),
                saved_by=request.user,
            )
        except option_service.OptionError as error:
            form.add_error("option_name", str(error))
        else:
            messages.success(
                request,
                f"Saved “{option.name}” as an option. It is being ranked; the active "
                "profile is unchanged.",
            )
            url = _compare_url(council.slug, option)
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    return option_refused(request, access, form)


def _option(access: CouncilAccess, pk: int) -> WeightingProfile:
    return get_object_or_404(access.council.profiles, pk=pk, is_option=True)


@login_required
@require_POST
def option_rename(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.APPROVER)
    option = _option(access, pk)
    form = OptionNameForm(request.POST)
    if form.is_valid():
        old_name = option.name
        try:
            option_service.rename_option(option=option, name=form.cleaned_data["name"])
        except option_service.OptionError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, f"Renamed “{old_name}” to “{option.name}”.")
            return redirect("options", access.council.slug)
    context = _context(
        access,
        OptionChoiceForm(options=option_service.options_of(access.council)),
        rename_form=form,
        renaming=option.pk,
    )
    return render(request, PAGE, context, status=400)


@login_required
@require_POST
def option_delete(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.APPROVER)
    option = _option(access, pk)
    name = option.name
    option_service.delete_option(option=option)
    messages.success(request, f"Deleted the option “{name}”. Published plans keep their copy.")
    return redirect("options", access.council.slug)


@login_required
@require_POST
def options_refresh(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Rank again every option ranked before the latest live ranking."""
    access = council_for(request, slug, min_role=Role.APPROVER)
    count = option_service.refresh_options(council=access.council, requested_by=request.user)
    if count:
        messages.success(request, f"Ranking {count} option{'s' if count != 1 else ''} again.")
    else:
        messages.info(request, "Every option is already ranked with the latest backlog.")
    query = request.GET.urlencode()  # the form's action keeps the options being compared
    return redirect(reverse("options", args=[access.council.slug]) + (f"?{query}" if query else ""))


urlpatterns = [
    path("options/", options_page, name="options"),
    path("options/new/", option_new, name="option_new"),
    path("options/refresh/", options_refresh, name="options_refresh"),
    path("options/<int:pk>/rename/", option_rename, name="option_rename"),
    path("options/<int:pk>/delete/", option_delete, name="option_delete"),
]
