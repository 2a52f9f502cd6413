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
from planner import backlog, setup, weightings
from planner.forms import CriterionForm, ThemeEditForm, ThemeForm
from planner.models import Criterion
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


def _who_saved(current: Any) -> str:
    record = current.history.select_related("history_user").first()
    user = record.history_user if record is not None else None
    return user.get_username() if user is not None else "Another person"


def _conflict(form: Any, noun: str, stale: setup.StaleEditError, shown: str | None) -> None:
    """Keep the typing, carry the version saved now (so saving again is a deliberate choice
    to replace theirs) and say what the other person saved."""
    current = stale.current
    if current is None:
        form.add_error(None, f"Someone else deleted this {noun} while you were editing it.")
        return
    form.data = form.data.copy()
    form.data[form.add_prefix("version")] = str(current.version)
    form.add_error(
        None,
        f"{_who_saved(current)} saved this {noun} while you were editing it, so your changes "
        f"have not been saved. It is now: {shown}. Check your version; saving again "
        "replaces theirs.",
    )


def _theme_shown(theme: Any) -> str:
    status = "retired" if theme.retired else "in use"
    return f"name “{theme.name}”, order {theme.position}, {status}"


def _criterion_shown(criterion: Any) -> str:
    levels = "; ".join(f"{level} means “{text}”" for level, text in criterion.levels)
    return (
        f"name “{criterion.name}”, {criterion.get_direction_display().lower()}, "
        f"order {criterion.position}, {'in use' if criterion.active else 'not in use'}, "
        f"what it measures “{criterion.help_text}”; {levels}"
    )


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
            try:
                theme = setup.add_theme(
                    council=council,
                    user=request.user,
                    name=form.cleaned_data["name"],
                    position=form.cleaned_data["position"],
                )
            except setup.NameTakenError:
                form.add_error("name", f"A theme called {form.cleaned_data['name']} already exists")
            else:
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
    status = 400
    if form.is_valid():
        try:
            changed = setup.change_theme(
                theme=theme,
                user=request.user,
                action=form.cleaned_data["action"],
                name=form.cleaned_data["name"],
                position=form.cleaned_data["position"],
                version=form.cleaned_data["version"],
            )
        except setup.ThemeInUseError:
            form.add_error(
                None, f"“{theme.name}” is used by items, so retire it instead of deleting it."
            )
        except setup.NameTakenError:
            form.add_error("name", f"A theme called {form.cleaned_data['name']} already exists")
        except setup.StaleEditError as stale:
            status = 409
            _conflict(form, "theme", stale, stale.current and _theme_shown(stale.current))
        else:
            messages.success(
                request, f"Theme “{changed.name}” saved." if changed else "Theme deleted."
            )
            return redirect("themes", council.slug)
    context = _themes_context(access, failed=form)
    return render(request, "planner/themes.html", context, status=status)


def _criteria_context(
    access: CouncilAccess,
    *,
    add_form: CriterionForm | None = None,
    failed: CriterionForm | None = None,
) -> dict[str, Any]:
    council = access.council
    required = set(backlog.required_criteria(council).values_list("pk", flat=True))
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
        "required": required,
    }


@login_required
@require_http_methods(["GET", "POST"])
def criteria(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.ADMIN)
    council = access.council
    form = CriterionForm(request.POST or None, council=council, prefix="new")
    if request.method == "POST":
        if form.is_valid():
            try:
                criterion = setup.save_criterion(
                    council=council, user=request.user, criterion=form.save(commit=False)
                )
            except setup.NameTakenError:
                form.add_error(
                    "name", f"A criterion called {form.cleaned_data['name']} already exists"
                )
            else:
                messages.success(
                    request,
                    f"Criterion “{criterion.name}” added. It starts with a weight of 0 in every "
                    "profile, so it collects scores without changing the ranking. Give it a "
                    "weight on the weightings page once the items are scored.",
                )
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
    was_active = criterion.active  # the form's validation writes the posted values onto it
    form = CriterionForm(
        request.POST, instance=criterion, council=council, prefix=f"criterion-{criterion.pk}"
    )
    status = 400
    if form.is_valid():
        changed = form.save(commit=False)
        try:
            setup.save_criterion(
                council=council,
                user=request.user,
                criterion=changed,
                version=form.cleaned_data["version"],
            )
        except setup.NameTakenError:
            form.add_error("name", f"A criterion called {form.cleaned_data['name']} already exists")
        except setup.StaleEditError as stale:
            status = 409
            _conflict(form, "criterion", stale, stale.current and _criterion_shown(stale.current))
        else:
            messages.success(request, _saved_message(changed, was_active))
            return redirect("criteria", council.slug)
    context = _criteria_context(access, failed=form)
    return render(request, "planner/criteria.html", context, status=status)


def _saved_message(criterion: Criterion, was_active: bool) -> str:
    """What saving did; taking a criterion out of use also says which profiles weighted it,
    since the ranking they give changes (a run is already asked for)."""
    if not (was_active and not criterion.active):
        return f"Criterion “{criterion.name}” saved."
    used = weightings.profiles_weighting(criterion)
    if not used:
        return (
            f"“{criterion.name}” is no longer used in scoring. No profile gave it a weight, "
            "so the ranking does not change."
        )
    listed = "; ".join(
        f"{name}{' (active)' if active else ''}, weight {weight}" for name, active, weight in used
    )
    return (
        f"“{criterion.name}” is no longer used in scoring. These profiles weighted it: "
        f"{listed}. The backlog is being ranked again without it; check the weightings page."
    )


urlpatterns = [
    path("setup/themes/", themes, name="themes"),
    path("setup/themes/<int:theme_id>/", theme_edit, name="theme_edit"),
    path("setup/criteria/", criteria, name="criteria"),
    path("setup/criteria/<int:criterion_id>/", criterion_edit, name="criterion_edit"),
]
