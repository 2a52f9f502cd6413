"""Admin set-up: the council's themes and scoring criteria."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods, require_POST

from councils.access import CouncilAccess, council_for
from councils.models import Role
from planner import setup
from planner.forms import CriterionForm, ThemeEditForm, ThemeForm
from planner.views.helpers import HtmxHttpRequest


def _edit_rows(
    objects: Iterable[Any], key: str, failed: Any, edit_form: Callable[[Any], Any]
) -> list[dict[str, Any]]:
    """One row per object with its edit form; the row whose save failed keeps its errors."""
    return [
        {
            key: obj,
            "form": failed
            if failed is not None and failed.instance.pk == obj.pk
            else edit_form(obj),
        }
        for obj in objects
    ]


def _themes_context(
    access: CouncilAccess, *, add_form: ThemeForm | None = None, failed: ThemeEditForm | None = None
) -> dict[str, Any]:
    council = access.council
    rows = _edit_rows(
        council.themes.annotate(item_count=Count("items")),
        "theme",
        failed,
        lambda theme: ThemeEditForm(instance=theme, council=council, prefix=f"theme-{theme.pk}"),
    )
    return {
        "access": access,
        "council": council,
        "nav": "themes",
        "rows": rows,
        "form": add_form or ThemeForm(council=council),
        "failed": failed,
    }


@login_required
@require_http_methods(["GET", "POST"])
def themes(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.ADMIN)
    council = access.council
    form = ThemeForm(request.POST or None, council=council)
    if request.method == "POST":
        if form.is_valid():
            theme = setup.add_theme(
                council=council,
                user=request.user,
                name=form.cleaned_data["name"],
                position=form.cleaned_data["position"],
            )
            messages.success(request, f"Theme “{theme.name}” added.")
            return redirect("themes", council.slug)
        context = _themes_context(access, add_form=form)
        return render(request, "planner/themes.html", context, status=400)
    return render(request, "planner/themes.html", _themes_context(access))


@login_required
@require_POST
def theme_edit(request: HtmxHttpRequest, slug: str, theme_id: int) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.ADMIN)
    council = access.council
    theme = get_object_or_404(council.themes, pk=theme_id)
    form = ThemeEditForm(request.POST, instance=theme, council=council, prefix=f"theme-{theme.pk}")
    if form.is_valid():
        try:
            changed = setup.change_theme(
                theme=theme,
                user=request.user,
                action=form.cleaned_data["action"],
                name=form.cleaned_data["name"],
                position=form.cleaned_data["position"],
            )
        except setup.ThemeInUseError:
            form.add_error(
                None, f"“{theme.name}” is used by items, so retire it instead of deleting it."
            )
        else:
            messages.success(
                request, f"Theme “{changed.name}” saved." if changed else "Theme deleted."
            )
            return redirect("themes", council.slug)
    theme.refresh_from_db()
    context = _themes_context(access, failed=form)
    return render(request, "planner/themes.html", context, status=400)


def _criteria_context(
    access: CouncilAccess,
    *,
    add_form: CriterionForm | None = None,
    failed: CriterionForm | None = None,
) -> dict[str, Any]:
    council = access.council
    rows = _edit_rows(
        council.criteria.all(),
        "criterion",
        failed,
        lambda criterion: CriterionForm(
            instance=criterion, council=council, prefix=f"criterion-{criterion.pk}"
        ),
    )
    return {
        "access": access,
        "council": council,
        "nav": "criteria",
        "rows": rows,
        "form": add_form or CriterionForm(council=council, prefix="new"),
        "failed": failed,
    }


@login_required
@require_http_methods(["GET", "POST"])
def criteria(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.ADMIN)
    council = access.council
    form = CriterionForm(request.POST or None, council=council, prefix="new")
    if request.method == "POST":
        if form.is_valid():
            criterion = setup.save_criterion(
                council=council, user=request.user, criterion=form.save(commit=False)
            )
            messages.success(request, f"Criterion “{criterion.name}” added.")
            return redirect("criteria", council.slug)
        context = _criteria_context(access, add_form=form)
        return render(request, "planner/criteria.html", context, status=400)
    return render(request, "planner/criteria.html", _criteria_context(access))


@login_required
@require_POST
def criterion_edit(request: HtmxHttpRequest, slug: str, criterion_id: int) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.ADMIN)
    council = access.council
    criterion = get_object_or_404(council.criteria, pk=criterion_id)
    form = CriterionForm(
        request.POST, instance=criterion, council=council, prefix=f"criterion-{criterion.pk}"
    )
    if form.is_valid():
        changed = form.save(commit=False)
        setup.save_criterion(council=council, user=request.user, criterion=changed)
        messages.success(request, f"Criterion “{criterion.name}” saved.")
        return redirect("criteria", council.slug)
    context = _criteria_context(access, failed=form)
    return render(request, "planner/criteria.html", context, status=400)


urlpatterns = [
    path("setup/themes/", themes, name="themes"),
    path("setup/themes/<int:theme_id>/", theme_edit, name="theme_edit"),
    path("setup/criteria/", criteria, name="criteria"),
    path("setup/criteria/<int:criterion_id>/", criterion_edit, name="criterion_edit"),
]
