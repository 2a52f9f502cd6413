"""Item pages: view, create, edit, archive, and score one criterion inline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from councils.access import CouncilAccess, council_for
from councils.models import Council, Role
from planner import backlog, explain, history, item_comparison, items, rank_ranges, ranking
from planner.forms import ItemForm, ScoreForm
from planner.models import BacklogItem, Criterion, ItemScore
from planner.views.helpers import HtmxHttpRequest, safe_next
from planner.views.runs import refresh_when_ranked

COMPARED_FIELDS = ItemForm.Meta.fields


def _get_item(council: Council, ref: str) -> BacklogItem:
    return get_object_or_404(
        council.items.select_related("theme", "directorate"), reference=ref.upper()
    )


def _score_slot(
    criterion: Criterion,
    score: ItemScore | None,
    form: ScoreForm | None = None,
    stale: ItemScore | None = None,
    saved: bool = False,
) -> dict[str, Any]:
    """One criterion's scoring panel: its scale, the current score and the form."""
    if form is None:
        form = ScoreForm(
            criterion=criterion,
            initial={
                "value": score.value if score else None,
                "rationale": score.rationale if score else "",
                "version": score.version if score else 0,
            },
        )
    return {
        "criterion": criterion,
        "score": score,
        "form": form,
        "stale": stale,
        "saved": saved,
        "stale_conflict": stale is not None,
    }


def _item_context(
    access: CouncilAccess, item: BacklogItem, *, slot_override: dict[str, Any] | None = None
) -> dict[str, Any]:
    council = access.council
    criteria = list(council.criteria.filter(active=True))
    scores = {
        score.criterion_id: score
        for score in item.scores.select_related("set_by").filter(criterion__active=True)
    }
    slots = []
    for criterion in criteria:
        if slot_override and slot_override["criterion"].pk == criterion.pk:
            slots.append(slot_override)
        else:
            slots.append(_score_slot(criterion, scores.get(criterion.pk)))
    ranking_context = _ranking_context(council, item)
    latest = ranking_context["latest_run"]
    return {
        "access": access,
        "council": council,
        "nav": "backlog",
        "item": item,
        "depends_on": list(item.depends_on.order_by("number")),
        "dependents": list(item.dependents.filter(archived=False).order_by("number")),
        "slots": slots,
        "scored_count": len(scores),
        "history": history.item_history(item, criteria),
        "can_edit": access.can_edit and not item.archived,
        **ranking_context,
        "compare_choices": item_comparison.compare_choices(latest, item),
        # The rank with each weight at either end of its band (planner/includes/tornado.html).
        "tornado": rank_ranges.tornado(latest, item.pk) if latest is not None else None,
    }


def _ranking_context(council: Council, item: BacklogItem) -> dict[str, Any]:
    """What the item page's ranking panel (score, rank, why this rank) shows."""
    ranked = backlog.with_ranking(council.items.filter(pk=item.pk), council).values(
        "ranked_score",
        "ranked_rank",
        "ranked_tied",
        "ranked_low",
        "ranked_high",
        "ranked_stability",
        p_top10=F("latest_entry__p_top10"),
        p_now=F("latest_entry__p_now"),
    )[0]
    return {
        "ranked": ranked,
        "explanation": explain.explain_item(council=council, item=item),
        "pending_run": ranking.pending_or_failed_run(council),
        "latest_run": ranking.latest_done_run(council),
    }


@login_required
@require_safe
def item_detail(request: HtmxHttpRequest, slug: str, ref: str) -> HttpResponse:
    access = council_for(request, slug)
    council = access.council
    item = _get_item(council, ref)
    if request.htmx:
        # The ranking panel asks for itself again when a run finishes.
        context = {"access": access, "council": council, "item": item}
        context.update(_ranking_context(council, item))
        return render(request, "planner/item_detail.html#ranking", context)
    return render(request, "planner/item_detail.html", _item_context(access, item))


def _refusing_cycles(
    form: ItemForm, council: Council, save: Callable[[], BacklogItem]
) -> BacklogItem | None:
    """Run `save`; if its dependencies would make a loop, put that on the form instead."""
    try:
        return save()
    except items.DependencyCycleError as error:
        references = dict(council.items.filter(pk__in=error.path).values_list("pk", "reference"))
        chain = " → ".join(references.get(pk, "?") for pk in error.path)
        form.add_error(
            "depends_on_refs",
            f"That would make a loop of dependencies: {chain}. Remove one of them.",
        )
        return None


@login_required
@require_http_methods(["GET", "POST"])
def item_new(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.EDITOR)
    council = access.council
    form = ItemForm(request.POST or None, council=council, instance=BacklogItem(council=council))
    if request.method == "POST" and form.is_valid():
        item = _refusing_cycles(
            form,
            council,
            lambda: items.create_item(council=council, user=request.user, data=form.item_data()),
        )
        if item is not None:
            messages.success(request, f"{item.reference} added to the backlog.")
            return redirect("item_detail", council.slug, item.reference)
    status = 400 if form.errors else 200
    context = {"access": access, "council": council, "nav": "backlog", "form": form, "item": None}
    return render(request, "planner/item_form.html", context, status=status)


def _their_changes(current: BacklogItem, form: ItemForm) -> list[tuple[str, str]]:
    """The fields where what is saved now differs from what this person tried to save."""
    changes = []
    cleaned = getattr(form, "cleaned_data", {})
    for name in COMPARED_FIELDS:
        field = form.fields[name]
        mine = cleaned.get(name)
        if name in items.ITEM_MANY_TO_MANY_FIELDS:
            theirs_list = list(getattr(current, name).all())
            if {obj.pk for obj in mine or []} != {obj.pk for obj in theirs_list}:
                changes.append((str(field.label), ", ".join(str(obj) for obj in theirs_list)))
            continue
        theirs = getattr(current, name)
        if mine != theirs:
            shown: Any = theirs
            if isinstance(theirs, bool):
                shown = "Yes" if theirs else "No"
            elif hasattr(current, f"get_{name}_display"):
                shown = getattr(current, f"get_{name}_display")()
            changes.append((str(field.label), "" if shown is None else str(shown)))
    return changes


@login_required
@require_http_methods(["GET", "POST"])
def item_edit(request: HtmxHttpRequest, slug: str, ref: str) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.EDITOR)
    council = access.council
    item = _get_item(council, ref)
    if item.archived:
        messages.error(request, f"{item.reference} is archived and cannot be edited.")
        return redirect("item_detail", council.slug, item.reference)
    form = ItemForm(request.POST or None, council=council, instance=item)
    context: dict[str, Any] = {
        "access": access,
        "council": council,
        "nav": "backlog",
        "form": form,
        "item": item,
    }
    if request.method == "POST" and form.is_valid():
        try:
            saved = _refusing_cycles(
                form,
                council,
                lambda: items.update_item(
                    item=item,
                    user=request.user,
                    data=form.item_data(),
                    version=form.cleaned_data["version"],
                ),
            )
        except items.StaleEditError as stale:
            current = stale.current
            context["conflict"] = {
                "current": current,
                "changes": _their_changes(current, form),
                "by": current.history.select_related("history_user").first(),
            }
            # Keep their typing; a second save is a deliberate choice to replace the other.
            data = request.POST.copy()
            data["version"] = str(current.version)
            context["form"] = ItemForm(data, council=council, instance=current)
            return render(request, "planner/item_form.html", context, status=409)
        if saved is not None:
            messages.success(request, f"{item.reference} saved.")
            return redirect("item_detail", council.slug, item.reference)
    status = 400 if form.errors else 200
    return render(request, "planner/item_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def item_archive(request: HtmxHttpRequest, slug: str, ref: str) -> HttpResponse:
    """GET asks first: a GOV.UK warning page, or (htmx) the same step inside the item page.
    POST archives; the backlog's "archived" filter can restore it."""
    access = council_for(request, slug, min_role=Role.EDITOR)
    council = access.council
    item = _get_item(council, ref)
    if request.method == "GET":
        context = {"access": access, "council": council, "nav": "backlog", "item": item}
        template = (
            "planner/item_archive.html#confirm" if request.htmx else "planner/item_archive.html"
        )
        return render(request, template, context)
    items.archive_item(item=item, user=request.user)
    messages.success(
        request,
        f"{item.reference} archived. It no longer appears in the backlog; "
        "the backlog's archived filter can restore it.",
    )
    destination = reverse("backlog", args=[council.slug])
    if request.htmx:
        return HttpResponseClientRedirect(destination)
    return redirect(destination)


def _render_score(
    request: HtmxHttpRequest,
    access: CouncilAccess,
    item: BacklogItem,
    slot: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    """The panel that was scored (htmx); the whole item page when JavaScript is off."""
    council = access.council
    if request.htmx:
        context: dict[str, Any] = {
            "access": access,
            "council": council,
            "item": item,
            "slot": slot,
            "can_edit": True,
        }
        panel = render(request, "planner/item_detail.html#score_panel", context, status=status)
        if status != 200:
            return panel
        # A saved score: the ranking panel says "Updating…" (swapped out of band) until the
        # run it asked for finishes, then refreshes itself on ranking-updated.
        context.update(_ranking_context(council, item), oob=True)
        panel.content += render_to_string(
            "planner/item_detail.html#ranking", context, request
        ).encode()
        return refresh_when_ranked(panel, context["pending_run"])
    context = _item_context(access, item, slot_override=slot)
    return render(request, "planner/item_detail.html", context, status=status)


@login_required
@require_POST
def item_score(request: HtmxHttpRequest, slug: str, ref: str, criterion_id: int) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.EDITOR)
    council = access.council
    item = _get_item(council, ref)
    criterion = get_object_or_404(
        council.criteria, pk=criterion_id, active=True, derived_from_estimate=False
    )
    form = ScoreForm(request.POST, criterion=criterion)
    existing = item.scores.filter(criterion=criterion).first()
    if item.archived or not form.is_valid():
        if item.archived:
            form.add_error(None, "This item is archived: its scores cannot change")
        return _render_score(request, access, item, _score_slot(criterion, existing, form), 400)
    try:
        score = items.set_score(
            item=item,
            criterion=criterion,
            user=request.user,
            value=form.cleaned_data["value"],
            rationale=form.cleaned_data["rationale"],
            version=form.cleaned_data["version"],
        )
    except items.StaleEditError as stale:
        current = stale.current
        data = request.POST.copy()
        data["version"] = str(current.version if current else 0)
        retry = ScoreForm(data, criterion=criterion)
        slot = _score_slot(criterion, current, retry, stale=current)
        slot["stale_conflict"] = True
        return _render_score(request, access, item, slot, 409)
    if not request.htmx:
        messages.success(request, f"{criterion.name} scored {score.value} for {item.reference}.")
        fallback = reverse("item_detail", args=[council.slug, item.reference])
        return redirect(safe_next(request, fallback))
    return _render_score(request, access, item, _score_slot(criterion, score, saved=True))


urlpatterns = [
    path("items/new/", item_new, name="item_new"),
    path("items/<str:ref>/", item_detail, name="item_detail"),
    path("items/<str:ref>/edit/", item_edit, name="item_edit"),
    path("items/<str:ref>/archive/", item_archive, name="item_archive"),
    path("items/<str:ref>/score/<int:criterion_id>/", item_score, name="item_score"),
]
