"""Why is X above Y? Two items side by side (GET), and the backlog's "Compare two items"."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from councils.access import council_for
from planner import item_comparison
from planner.forms import CompareItemsForm
from planner.views.helpers import HtmxHttpRequest


@login_required
@require_safe
def compare_items(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = council_for(request, slug)
    council = access.council
    asked = "a" in request.GET or "b" in request.GET
    form = CompareItemsForm(request.GET if asked else None)
    comparison = None
    status = 200
    if form.is_bound:
        if form.is_valid():
            try:
                comparison = item_comparison.compare_items(
                    council, form.cleaned_data["a"], form.cleaned_data["b"]
                )
            except item_comparison.CannotCompare as problem:
                form.add_error(problem.field, problem.message)
                status = problem.status
        else:
            status = 400
    context = {
        "access": access,
        "council": council,
        "nav": "backlog",
        "form": form,
        "comparison": comparison,
    }
    return render(request, "planner/compare_items.html", context, status=status)


@login_required
@require_POST
def compare_items_select(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The backlog's "Compare two items": the two ticked references, as a comparison address.
    A POST (the ticked rows sit in the bulk form), so its CSRF token never lands in a URL."""
    access = council_for(request, slug)
    council = access.council
    refs = [ref for ref in request.POST.getlist("items") if ref]
    if len(refs) == 2:
        query = urlencode({"a": refs[0], "b": refs[1]})
        destination = f"{reverse('compare_items', args=[council.slug])}?{query}"
    else:
        messages.error(request, f"Tick exactly two rows to compare them (you ticked {len(refs)}).")
        destination = reverse("backlog", args=[council.slug])
    # From the backlog's htmx bulk form, the browser itself must go to the comparison.
    if request.htmx:
        return HttpResponseClientRedirect(destination)
    return redirect(destination)


urlpatterns = [
    path("compare-items/", compare_items, name="compare_items"),
    path("compare-items/select/", compare_items_select, name="compare_items_select"),
]
