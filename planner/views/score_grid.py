"""The scoring grid: one row per item, one column per hand-scored criterion, one Save."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from councils.access import CouncilAccess, council_for
from councils.models import Council, Role
from planner import backlog, score_grid
from planner.forms import BacklogFilterForm, ScoreGridForm
from planner.models import BacklogItem, Criterion, ItemScore
from planner.views.helpers import HtmxHttpRequest, safe_next

PAGE = "planner/score_grid.html"
NOT_SCORED = mark_safe('<option value="">Not scored</option>')


@dataclass(frozen=True, slots=True)
class GridCell:
    key: str  # "DIG-004-12": the stem of the cell's field names and ids
    criterion: Criterion
    options: SafeString
    rationale: str
    version: int
    error: str = ""
    conflict: score_grid.Conflict | None = None


@dataclass(frozen=True, slots=True)
class GridRow:
    item: BacklogItem
    cells: list[GridCell]

    @property
    def cells_html(self) -> SafeString:
        reference = escape(self.item.reference)
        return mark_safe("".join(_cell_html(cell, reference) for cell in self.cells))


def _cell_html(cell: GridCell, reference: str) -> str:
    """One cell's controls. Written here rather than in the template: a 200 × 7 grid is 1,400
    cells, and rendering each one tag at a time took most of the page's 150 ms budget
    (bench/grid_save.py). `reference` comes escaped; everything else is escaped here."""
    key = escape(cell.key)
    where = f"{reference} {escape(cell.criterion.name)}"
    error = ""
    if cell.conflict is not None:
        conflict = cell.conflict
        if conflict.archived:
            error = "Archived"
        elif conflict.their_value:
            error = f"{escape(conflict.by)} chose {conflict.their_value}"
        else:
            error = "Removed"
    elif cell.error:
        error = escape(cell.error)
    message = described = group_error = select_error = ""
    if error:
        message = (
            f'<p class="govuk-error-message" id="score-{key}-error"><span '
            f'class="govuk-visually-hidden">Error:</span> {error}</p>'
        )
        described = f' aria-describedby="score-{key}-error"'
        group_error, select_error = " govuk-form-group--error", " govuk-select--error"
    written = " (written)" if cell.rationale else ""
    return (
        f'<td class="govuk-table__cell"><div class="govuk-form-group govuk-!-margin-bottom-0'
        f'{group_error}"><label class="govuk-label govuk-visually-hidden" for="score-{key}">'
        f"{where}</label>{message}"
        f'<select class="govuk-select{select_error}" id="score-{key}" name="score-{key}" '
        f"data-grid-cell{described}>{cell.options}</select>"
        f'<input type="hidden" name="version-{key}" value="{cell.version}">'
        f'<details class="app-grid-rationale"{" open" if cell.error else ""}><summary>Rationale'
        f'{written}<span class="govuk-visually-hidden"> for {where}</span></summary>'
        f'<label class="govuk-label govuk-visually-hidden" for="rationale-{key}">Rationale for '
        f"{where} (optional)</label>"
        f'<textarea class="govuk-textarea" id="rationale-{key}" name="rationale-{key}" rows="3">'
        f"{escape(cell.rationale)}</textarea></details></div></td>"
    )


class OptionsCache:
    """Each criterion's <option> list for each selected level, built once per page: a 200 × 7
    grid is 8,400 options, and rendering them one template tag at a time was most of the
    page's time."""

    def __init__(self) -> None:
        self._built: dict[tuple[int, int | None, bool], SafeString] = {}

    def get(self, criterion: Criterion, selected: int | None, unscored: bool) -> SafeString:
        key = (criterion.pk, selected, unscored)
        if key not in self._built:
            blank = NOT_SCORED if unscored else ""
            levels = format_html_join(
                "",
                '<option value="{}"{}>{}: {}</option>',
                (
                    (level, mark_safe(" selected") if level == selected else "", level, text)
                    for level, text in criterion.levels
                ),
            )
            self._built[key] = mark_safe(blank + levels)
        return self._built[key]


def scorable_criteria(council: Council) -> list[Criterion]:
    """The grid's columns: active criteria scored by hand (Effort comes from the estimate)."""
    return list(council.criteria.filter(active=True, derived_from_estimate=False))


def _loaded_rows(items: Sequence[BacklogItem], criteria: list[Criterion]) -> list[GridRow]:
    """The grid as stored now, in one query for the scores (plain values: 1,400 model
    instances were a third of the page's time)."""
    stored = {
        (item_id, criterion_id): (value, rationale, version)
        for item_id, criterion_id, value, rationale, version in ItemScore.objects.filter(
            item__in=[item.pk for item in items], criterion__in=criteria
        ).values_list("item_id", "criterion_id", "value", "rationale", "version")
    }
    options = OptionsCache()
    rows = []
    for item in items:
        cells = []
        for criterion in criteria:
            value, rationale, version = stored.get((item.pk, criterion.pk), (None, "", 0))
            cells.append(
                GridCell(
                    key=ScoreGridForm.key(item, criterion),
                    criterion=criterion,
                    options=options.get(criterion, value, value is None),
                    rationale=rationale,
                    version=version,
                )
            )
        rows.append(GridRow(item=item, cells=cells))
    return rows


def _posted_rows(
    form: ScoreGridForm, conflicts: list[score_grid.Conflict] | None = None
) -> list[GridRow]:
    """The grid as this person posted it (their choices kept), with each cell's error, and
    each conflicting cell carrying the version saved now: saving again replaces theirs."""
    by_cell = {(c.item_id, c.criterion_id): c for c in conflicts or []}
    options = OptionsCache()
    rows = []
    for item in form.items:
        cells = []
        for criterion in form.criteria:
            key = form.key(item, criterion)
            raw_value = form.data.get(f"score-{key}", "")
            raw_version = form.data.get(f"version-{key}", "")
            version = int(raw_version) if raw_version.isdigit() else 0
            conflict = by_cell.get((item.pk, criterion.pk))
            if conflict is not None:
                version = conflict.version
            selected = int(raw_value) if raw_value.isdigit() else None
            cells.append(
                GridCell(
                    key=key,
                    criterion=criterion,
                    options=options.get(criterion, selected, version == 0),
                    rationale=form.data.get(f"rationale-{key}", ""),
                    version=version,
                    error=form.cell_errors.get(key, ""),
                    conflict=conflict,
                )
            )
        rows.append(GridRow(item=item, cells=cells))
    return rows


def _context(access: CouncilAccess, criteria: list[Criterion], **extra: Any) -> dict[str, Any]:
    council = access.council
    required = set(backlog.required_criteria(council).values_list("pk", flat=True))
    return {
        "access": access,
        "council": council,
        "nav": "backlog",
        "criteria": criteria,
        # Weighted 0: collecting scores, so an item missing one is still ranked.
        "collecting": {criterion.pk for criterion in criteria} - required,
        "max_rows": score_grid.max_rows(len(criteria)),
        **extra,
    }


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def score_grid_page(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """GET: the grid for the backlog's filters, or for the rows ticked (?items=DIG-001&...).
    POST: save every cell, all or nothing."""
    access = council_for(request, slug, min_role=Role.EDITOR)
    criteria = scorable_criteria(access.council)
    if request.method == "POST":
        return _save(request, access, criteria)
    council = access.council
    filter_form = BacklogFilterForm(request.GET, council=council)
    matching = backlog.filter_items(council, filter_form.filters())
    limit = score_grid.max_rows(len(criteria))
    refs = [ref.upper() for ref in request.GET.getlist("items") if ref][:limit]
    if refs:
        matching = matching.filter(reference__in=refs)
    items = list(matching[: limit + 1])
    total = matching.count() if len(items) > limit else len(items)
    items = items[:limit]
    context = _context(
        access,
        criteria,
        filter_form=filter_form,
        rows=_loaded_rows(items, criteria),
        total=total,
        ticked=bool(refs),
        next=request.get_full_path(),
    )
    return render(request, PAGE, context, status=400 if filter_form.errors else 200)


def _save(
    request: HtmxHttpRequest, access: CouncilAccess, criteria: list[Criterion]
) -> HttpResponse:
    council = access.council
    refs = request.POST.getlist("items")
    limit = score_grid.max_rows(len(criteria))
    found = {item.reference: item for item in council.items.filter(reference__in=refs[:limit])}
    items = [found[ref] for ref in dict.fromkeys(refs) if ref in found]
    form = ScoreGridForm(request.POST, items=items, criteria=criteria)
    grid_url = reverse("score_grid", args=[council.slug])
    fallback = f"{grid_url}?{urlencode([('items', item.reference) for item in items])}"
    next_url = safe_next(request, fallback)

    def refused(status: int, conflicts: list[score_grid.Conflict] | None = None) -> HttpResponse:
        context = _context(
            access,
            criteria,
            filter_form=BacklogFilterForm({}, council=council),
            form=form,
            rows=_posted_rows(form, conflicts),
            conflicts=bool(conflicts),
            total=len(items),
            ticked=True,
            next=next_url,
        )
        return render(request, PAGE, context, status=status)

    if not form.is_valid():
        return refused(400)
    try:
        saved = score_grid.save_grid(council=council, user=request.user, cells=form.cells)
    except score_grid.GridConflictError as error:
        return refused(409, error.conflicts)
    if saved:
        messages.success(
            request,
            f"Saved {saved} score{'s' if saved != 1 else ''}. The backlog is being ranked again.",
        )
    else:
        messages.success(request, "Nothing had changed, so nothing was saved.")
    return redirect(next_url)


@login_required
@require_POST
def score_grid_select(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The backlog's "Score the ticked rows": the ticked references, as a grid address."""
    access = council_for(request, slug, min_role=Role.EDITOR)
    council = access.council
    refs = [ref for ref in request.POST.getlist("items") if ref][: score_grid.GRID_MAX_ROWS]
    if refs:
        grid_url = reverse("score_grid", args=[council.slug])
        destination = f"{grid_url}?{urlencode([('items', ref) for ref in refs])}"
    else:
        messages.error(request, "Tick at least one row to score it in the grid.")
        destination = reverse("backlog", args=[council.slug])
    # From the backlog's htmx bulk form, the browser itself must go to the grid.
    if request.htmx:
        return HttpResponseClientRedirect(destination)
    return redirect(destination)


urlpatterns = [
    path("score/", score_grid_page, name="score_grid"),
    path("score/select/", score_grid_select, name="score_grid_select"),
]
