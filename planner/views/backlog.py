"""The backlog page: filter, sort and search the table, quick add and bulk changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from councils.access import CouncilAccess, council_for
from councils.models import Council, Role
from planner import backlog, items, ranking
from planner.forms import BacklogFilterForm, BulkChangeForm, QuickAddForm
from planner.models import BacklogItem, Status
from planner.views.helpers import HtmxHttpRequest

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from planner.backlog import BacklogAnnotations

    BacklogListItem = WithAnnotations[BacklogItem, BacklogAnnotations]


def backlog_url(request: HtmxHttpRequest, council: Council) -> str:
    """The backlog with the current filters: where no-JS posts return, what htmx refreshes."""
    query = request.GET.urlencode()
    return reverse("backlog", args=[council.slug]) + (f"?{query}" if query else "")


STATUS_TAGS = {
    Status.NEW: "govuk-tag--light-blue",
    Status.TRIAGE: "govuk-tag--purple",
    Status.READY: "govuk-tag--turquoise",
    Status.IN_PROGRESS: "govuk-tag--blue",
    Status.DONE: "govuk-tag--green",
    Status.PARKED: "govuk-tag--grey",
}

COLUMNS = [
    ("reference", "Reference", False),
    ("title", "Title", False),
    ("theme", "Theme", False),
    ("status", "Status", False),
    ("owner", "Owner", False),
    ("effort", "Effort (days)", True),
    ("score", "Score", True),
    ("rank", "Rank", True),
]


def sort_columns(sort: str) -> list[dict[str, Any]]:
    """Each column's heading, the sort its link asks for (toggling) and its aria-sort."""
    columns = []
    for key, label, numeric in COLUMNS:
        ascending, descending = sort == key, sort == f"-{key}"
        columns.append(
            {
                "key": key,
                "label": label,
                "numeric": numeric,
                "next": f"-{key}" if ascending else key,
                "aria_sort": "ascending" if ascending else "descending" if descending else "",
            }
        )
    return columns


@dataclass(frozen=True, slots=True)
class BacklogRow:
    """One row of the backlog table: an item from `backlog.filter_items` (so with its
    ranking annotated) and what the row shows beside it."""

    item: BacklogListItem
    needs_scoring: bool
    status_tag: str


def backlog_row(item: BacklogListItem) -> BacklogRow:
    return BacklogRow(
        item=item,
        needs_scoring=item.needs_scoring,
        status_tag=STATUS_TAGS.get(Status(item.status), "govuk-tag--grey"),
    )


def bulk_summary(form: BulkChangeForm, changed: list[str]) -> str:
    """ "Status set to Ready on 5 items: DIG-001, …", or what stopped anything changing."""
    status, theme = form.cleaned_data["status"], form.cleaned_data["theme"]
    what = f"Status set to {Status(status).label}" if status else f"Theme set to {theme}"
    if not changed:
        return f"Nothing changed: the selected items already had that {what.split()[0].lower()}."
    plural = "" if len(changed) == 1 else "s"
    return f"{what} on {len(changed)} item{plural}: {', '.join(changed)}."


def backlog_context(
    request: HtmxHttpRequest,
    access: CouncilAccess,
    *,
    quick_add_form: QuickAddForm | None = None,
    bulk_form: BulkChangeForm | None = None,
    just_added: BacklogItem | None = None,
    summary: str = "",
) -> dict[str, Any]:
    """Everything the page and its table partial show, in a fixed number of queries."""
    council = access.council
    filter_form = BacklogFilterForm(request.GET, council=council)
    filters = filter_form.filters()
    page = Paginator(backlog.filter_items(council, filters), backlog.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    items = list(page.object_list)
    can_edit = access.can_edit
    sitting = (
        backlog.quick_add_sitting(council, user_id=access.membership.user_id)
        if can_edit
        else backlog.NO_SITTING
    )
    added_row = None
    if just_added is not None:
        # The new row shows at once, above the table's ordering, wherever it would sort.
        items = [item for item in items if item.pk != just_added.pk]
        added_row = backlog_row(backlog.filter_items(council, {}).get(pk=just_added.pk))
    sort = filters.get("sort", backlog.DEFAULT_SORT)
    # Built once here: reversing and re-encoding per row was a third of the page's time.
    urls = {
        "backlog": reverse("backlog", args=[council.slug]),
        "items": reverse("item_new", args=[council.slug]).removesuffix("new/"),
        # A row's "Score" opens the scoring grid on that row: every criterion, one Save.
        "score": reverse("score_grid", args=[council.slug]) + "?items=",
    }
    return {
        "urls": urls,
        "access": access,
        "council": council,
        "nav": "backlog",
        "filter_form": filter_form,
        "filters": filters,
        "filtered": any(
            key in filters
            for key in (
                "q",
                "theme",
                "status",
                "owner",
                "needs_scoring",
                *backlog.COMMITTEE_FILTERS,
            )
        ),
        "sort": sort,
        "columns": sort_columns(sort),
        "page": page,
        "items": items,
        "rows": [backlog_row(item) for item in items],
        "just_added": added_row,
        "can_edit": can_edit,
        "is_admin": access.is_admin,
        "quick_add_form": quick_add_form
        or QuickAddForm(council=council, prefix="add", initial={"theme": sitting.theme_id}),
        "sitting": sitting.items,
        "summary": summary,
        "bulk_form": bulk_form or BulkChangeForm(council=council),
        "backlog_url": backlog_url(request, council),
        "pending_run": ranking.pending_or_failed_run(council),
        "latest_run": ranking.latest_done_run(council),
    }


def render_backlog(request: HtmxHttpRequest, context: dict[str, Any], status: int = 200):
    template = "planner/backlog.html#table" if request.htmx else "planner/backlog.html"
    return render(request, template, context, status=status)


@login_required
@require_safe
def backlog_page(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = council_for(request, slug)
    context = backlog_context(request, access)
    status = 400 if context["filter_form"].errors else 200
    return render_backlog(request, context, status)


@login_required
@require_POST
def backlog_quick_add(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.EDITOR)
    council = access.council
    form = QuickAddForm(request.POST, council=council, prefix="add")
    if not form.is_valid():
        context = backlog_context(request, access, quick_add_form=form)
        return render_backlog(request, context, status=400)
    item = items.create_item(council=council, user=request.user, data=dict(form.cleaned_data))
    if not request.htmx:
        return redirect(backlog_url(request, council))
    context = backlog_context(request, access, just_added=item)
    return render_backlog(request, context)


@login_required
@require_POST
def backlog_bulk(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.EDITOR)
    council = access.council
    if "start_round" in request.POST:
        return _start_round_with_selection(request, council)
    form = BulkChangeForm(request.POST, council=council)
    if not form.is_valid():
        context = backlog_context(request, access, bulk_form=form)
        return render_backlog(request, context, status=400)
    changed = items.bulk_change(
        council=council,
        user=request.user,
        items=list(form.cleaned_data["items"]),
        status=form.cleaned_data["status"],
        theme=form.cleaned_data["theme"],
    )
    summary = bulk_summary(form, changed)
    if not request.htmx:
        messages.success(request, summary)
        return redirect(backlog_url(request, council))
    return render_backlog(request, backlog_context(request, access, summary=summary))


def _start_round_with_selection(request: HtmxHttpRequest, council: Council) -> HttpResponse:
    """ "Score in a round": the round's start page with the ticked rows chosen, or, with
    none ticked, the items the backlog's filters show."""
    ticked = list(
        council.items.filter(archived=False, reference__in=request.POST.getlist("items"))
        .order_by("number")
        .values_list("reference", flat=True)
    )
    query = urlencode({"items": ticked}, doseq=True) if ticked else request.GET.urlencode()
    destination = reverse("round_new", args=[council.slug]) + (f"?{query}" if query else "")
    if request.htmx:
        return HttpResponseClientRedirect(destination)
    return redirect(destination)


@login_required
@require_POST
def item_restore(request: HtmxHttpRequest, slug: str, ref: str) -> HttpResponse:
    """Bring an archived item back to the backlog, from the backlog's "archived" filter."""
    access = council_for(request, slug, min_role=Role.EDITOR)
    council = access.council
    item = get_object_or_404(council.items, reference=ref.upper())
    items.restore_item(item=item, user=request.user)
    summary = f"{item.reference} restored to the backlog."
    if not request.htmx:
        messages.success(request, summary)
        return redirect(backlog_url(request, council))
    return render_backlog(request, backlog_context(request, access, summary=summary))


urlpatterns = [
    path("backlog/", backlog_page, name="backlog"),
    path("backlog/add/", backlog_quick_add, name="backlog_quick_add"),
    path("backlog/bulk/", backlog_bulk, name="backlog_bulk"),
    path("items/<str:ref>/restore/", item_restore, name="item_restore"),
]
