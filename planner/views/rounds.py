"""Scoring rounds: the list, starting one, each participant's blind scoring page, the
facilitator's progress and results, agreeing scores, applying them, and the CSV.

Who may open what: editors and above start, close, agree and apply (the facilitator's
steps); any member invited to a round scores it on their own page. A member who is neither
an editor nor a participant gets a 404, as if the round did not exist."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from councils.access import CouncilAccess, council_for
from councils.models import Role
from planner import backlog, csv_export, rounds
from planner.forms import AgreedScoresForm, BacklogFilterForm, RoundScoreForm, RoundStartForm
from planner.models import Criterion, RoundParticipant, RoundStatus, ScoringRound
from planner.views.exports import download_csv
from planner.views.helpers import HtmxHttpRequest

# Most items a round is started on from filters (the backlog's selection names its own).
MAX_CANDIDATES = 100
# The facilitator's progress list refreshes this often while the round is open.
PROGRESS_POLL = "every 5s"


def _round_for(
    access: CouncilAccess, round_id: int
) -> tuple[ScoringRound, RoundParticipant | None]:
    """The round, and the member's place in it; 404 unless they facilitate or take part."""
    scoring_round = get_object_or_404(access.council.rounds, pk=round_id)
    participant = rounds.participant_for(scoring_round, user_id=access.membership.user_id)
    if participant is None and not access.can_edit:
        raise Http404("No such round.")
    return scoring_round, participant


def _redirect(request: HtmxHttpRequest, url: str) -> HttpResponse:
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@login_required
@require_safe
def round_list(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = council_for(request, slug)
    council = access.council
    listed = council.rounds.select_related("created_by")
    if not access.can_edit:
        listed = listed.filter(participants__user_id=access.membership.user_id)
    mine = set(
        RoundParticipant.objects.filter(
            scoring_round__council=council, user_id=access.membership.user_id
        ).values_list("scoring_round_id", flat=True)
    )
    context = {
        "access": access,
        "council": council,
        "nav": "rounds",
        "rounds": [(r, r.pk in mine) for r in listed],
    }
    return render(request, "planner/rounds.html", context)


def _candidates(request: HtmxHttpRequest, access: CouncilAccess) -> tuple[list[Any], set[str]]:
    """The items offered on the start page, and those ticked: the backlog's selection
    (?items=DIG-001&items=DIG-004) or its filters (?theme=…&needs_scoring=on)."""
    council = access.council
    chosen = [ref.upper() for ref in request.GET.getlist("items")]
    if chosen:
        offered = list(
            council.items.filter(archived=False, reference__in=chosen).select_related("theme")
        )
        return offered, {item.reference for item in offered}
    filter_form = BacklogFilterForm(request.GET, council=council)
    filters = filter_form.filters()
    filters.pop("archived", None)  # a round scores live items only
    offered = list(backlog.filter_items(council, filters)[:MAX_CANDIDATES])
    filtered = any(key in filters for key in ("theme", "status", "owner", "q", "needs_scoring"))
    return offered, {item.reference for item in offered} if filtered else set()


@login_required
@require_http_methods(["GET", "POST"])
def round_new(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.EDITOR)
    council = access.council
    offered, ticked = _candidates(request, access)
    if request.method == "POST":
        form = RoundStartForm(request.POST, council=council)
        ticked = set(request.POST.getlist("items"))
    else:
        form = RoundStartForm(council=council, initial={"anonymised": "named"})
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["items"]
        scoring_round = rounds.start_round(
            council=council,
            user=request.user,
            name=form.cleaned_data["name"],
            items=list(chosen),
            participants=list(form.cleaned_data["participants"]),
            anonymised=form.cleaned_data["anonymised"],
        )
        messages.success(request, f"Round “{scoring_round.name}” started.")
        return _redirect(request, reverse("round_detail", args=[council.slug, scoring_round.pk]))
    # A posted item that the query no longer offers stays on the page, so nothing is lost.
    offered_refs = {item.reference for item in offered}
    extra = [ref for ref in ticked if ref not in offered_refs]
    if extra:
        offered += list(council.items.filter(archived=False, reference__in=extra))
    context = {
        "access": access,
        "council": council,
        "nav": "rounds",
        "form": form,
        "offered": offered,
        "ticked": ticked,
        "members": form.fields["participants"].queryset,  # type: ignore[attr-defined]
        "chosen_participants": {str(v) for v in request.POST.getlist("participants")},
    }
    return render(request, "planner/round_new.html", context, status=400 if form.errors else 200)


def _detail_context(
    access: CouncilAccess,
    scoring_round: ScoringRound,
    participant: RoundParticipant | None,
    agreed_form: AgreedScoresForm | None = None,
) -> dict[str, Any]:
    participants = list(scoring_round.participants.select_related("user"))
    context: dict[str, Any] = {
        "access": access,
        "council": access.council,
        "nav": "rounds",
        "round": scoring_round,
        "participant": participant,
        "progress": [(p.label(scoring_round.anonymised), p.finished_at) for p in participants],
        "finished": sum(1 for p in participants if p.finished_at),
        "poll": PROGRESS_POLL if scoring_round.is_open else "",
        "items": rounds.round_items(scoring_round),
        "facilitator": access.can_edit,
    }
    if scoring_round.is_closed:
        results = rounds.results(scoring_round)
        context["results"] = results
        if agreed_form is None and scoring_round.status == RoundStatus.CLOSED:
            agreed_form = _agreed_form(results)
        context["agreed_form"] = agreed_form
        context["rows"] = _result_rows(results, agreed_form)
    return context


def _agreed_form(results: rounds.RoundResults, data: Any = None) -> AgreedScoresForm:
    defaults: dict[tuple[int, int], int] = {}
    labels: dict[tuple[int, int], str] = {}
    initial: dict[str, Any] = {}
    for result in results.items:
        for cell in result.cells:
            if cell.summary is None:
                continue
            key = (result.item.pk, cell.criterion.pk)
            defaults[key] = cell.summary.default_agreed
            labels[key] = f"{cell.criterion.name} for {result.item.reference}"
            if cell.agreed is not None:
                initial[f"a-{key[0]}-{key[1]}"] = cell.agreed.value
                initial[f"n-{key[0]}-{key[1]}"] = cell.agreed.note
    return AgreedScoresForm(data, defaults=defaults, labels=labels, initial=initial)


def _result_rows(
    results: rounds.RoundResults, form: AgreedScoresForm | None
) -> list[dict[str, Any]]:
    """Each item with its cells, and each cell's agreed-score fields when still agreeing."""
    rows = []
    for result in results.items:
        cells = []
        for cell in result.cells:
            key = f"{result.item.pk}-{cell.criterion.pk}"
            editable = form is not None and cell.summary is not None
            cells.append(
                {
                    "cell": cell,
                    "value_field": form[f"a-{key}"] if editable and form else None,
                    "note_field": form[f"n-{key}"] if editable and form else None,
                }
            )
        rows.append({"result": result, "cells": cells})
    return rows


@login_required
@require_safe
def round_detail(request: HtmxHttpRequest, slug: str, round_id: int) -> HttpResponse:
    """The round's page: progress while open (the list polls), the results once closed."""
    access = council_for(request, slug)
    scoring_round, participant = _round_for(access, round_id)
    if request.htmx and not scoring_round.is_open:
        # The progress list was polling and the round has closed: show everyone the results.
        return HttpResponseClientRefresh()
    context = _detail_context(access, scoring_round, participant)
    if request.htmx:
        return render(request, "planner/round_detail.html#progress", context)
    return render(request, "planner/round_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def round_score(request: HtmxHttpRequest, slug: str, round_id: int) -> HttpResponse:
    """A participant's own scoring page: only their scores, never anyone else's."""
    access = council_for(request, slug)
    scoring_round = get_object_or_404(access.council.rounds, pk=round_id)
    participant = rounds.participant_for(scoring_round, user_id=access.membership.user_id)
    if participant is None:
        raise Http404("You are not taking part in this round.")
    items = rounds.round_items(scoring_round)
    criteria = rounds.round_criteria(scoring_round)
    status = 200
    if request.method == "POST":
        form = RoundScoreForm(request.POST, items=items, criteria=criteria)
        if not scoring_round.is_open:
            form.add_error(None, "This round has closed: your scores can no longer change")
            status = 409
        elif form.is_valid():
            finished = "finish" in request.POST
            try:
                rounds.save_own_scores(
                    participant=participant, values=form.scores(), finished=finished
                )
            except rounds.RoundStateError as error:
                form.add_error(None, str(error))
                status = 409
            else:
                messages.success(
                    request,
                    "Your scores are saved and the facilitator can see you have finished."
                    if finished
                    else "Your scores are saved. Come back to finish them.",
                )
                return _redirect(
                    request, reverse("round_score", args=[access.council.slug, round_id])
                )
        else:
            status = 400
    else:
        own = rounds.own_scores(participant)
        form = RoundScoreForm(
            items=items,
            criteria=criteria,
            initial={f"s-{item}-{criterion}": value for (item, criterion), value in own.items()},
        )
    context = {
        "access": access,
        "council": access.council,
        "nav": "rounds",
        "round": scoring_round,
        "participant": participant,
        "form": form,
        "sections": [
            (item, [(c, form[f"s-{item.pk}-{c.pk}"], _scale_hint(c)) for c in criteria])
            for item in items
        ],
        "criteria": criteria,
    }
    return render(request, "planner/round_score.html", context, status=status)


def _scale_hint(criterion: Criterion) -> str:
    cost = " A higher score counts against the item." if criterion.is_cost else ""
    return f"{criterion.help_text}{cost}".strip()


@login_required
@require_POST
def round_close(request: HtmxHttpRequest, slug: str, round_id: int) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.EDITOR)
    scoring_round, _ = _round_for(access, round_id)
    try:
        rounds.close_round(scoring_round=scoring_round, user=request.user)
        messages.success(request, "The round is closed. The most disputed items come first.")
    except rounds.RoundStateError as error:
        messages.error(request, str(error))
    return _redirect(request, reverse("round_detail", args=[access.council.slug, round_id]))


@login_required
@require_POST
def round_agree(request: HtmxHttpRequest, slug: str, round_id: int) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.EDITOR)
    scoring_round, participant = _round_for(access, round_id)
    if scoring_round.status != RoundStatus.CLOSED:
        messages.error(request, "Agreed scores can change only while the round is closed.")
        return _redirect(request, reverse("round_detail", args=[access.council.slug, round_id]))
    form = _agreed_form(rounds.results(scoring_round), request.POST)
    if not form.is_valid():
        context = _detail_context(access, scoring_round, participant, agreed_form=form)
        return render(request, "planner/round_detail.html", context, status=400)
    try:
        changed = rounds.set_agreed(
            scoring_round=scoring_round, user=request.user, agreed=form.agreed()
        )
    except rounds.RoundStateError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Agreed scores saved ({changed} changed).")
    url = reverse("round_detail", args=[access.council.slug, round_id])
    return _redirect(request, f"{url}#agree")


@login_required
@require_POST
def round_apply(request: HtmxHttpRequest, slug: str, round_id: int) -> HttpResponse:
    """Apply the agreed scores. Posted from the agreeing form, it saves what is on the
    screen first, so nothing typed since the last save is lost."""
    access = council_for(request, slug, min_role=Role.EDITOR)
    scoring_round, participant = _round_for(access, round_id)
    url = reverse("round_detail", args=[access.council.slug, round_id])
    try:
        if scoring_round.status == RoundStatus.CLOSED and any(
            key.startswith("a-") for key in request.POST
        ):
            form = _agreed_form(rounds.results(scoring_round), request.POST)
            if not form.is_valid():
                context = _detail_context(access, scoring_round, participant, agreed_form=form)
                return render(request, "planner/round_detail.html", context, status=400)
            rounds.set_agreed(scoring_round=scoring_round, user=request.user, agreed=form.agreed())
        changed = rounds.apply_agreed(scoring_round=scoring_round, user=request.user)
    except rounds.RoundStateError as error:
        messages.error(request, str(error))
        return _redirect(request, url)
    messages.success(
        request,
        f"Agreed scores applied: {changed} score{'' if changed == 1 else 's'} changed. "
        "The ranking is being worked out again.",
    )
    return _redirect(request, url)


@login_required
@require_safe
def round_export(
    request: HtmxHttpRequest, slug: str, round_id: int
) -> HttpResponse | StreamingHttpResponse:
    """The closed round's individual scores as CSV; an open round has nothing to show."""
    access = council_for(request, slug)
    scoring_round, _ = _round_for(access, round_id)
    if scoring_round.is_open:
        return HttpResponse(
            "Scores are shown when the round closes.", status=409, content_type="text/plain"
        )
    export = csv_export.export_round(
        council=access.council,
        user=request.user,
        scoring_round=scoring_round,
        results=rounds.results(scoring_round),
    )
    return download_csv(export)


urlpatterns = [
    path("rounds/", round_list, name="rounds"),
    path("rounds/new/", round_new, name="round_new"),
    path("rounds/<int:round_id>/", round_detail, name="round_detail"),
    path("rounds/<int:round_id>/score/", round_score, name="round_score"),
    path("rounds/<int:round_id>/close/", round_close, name="round_close"),
    path("rounds/<int:round_id>/agree/", round_agree, name="round_agree"),
    path("rounds/<int:round_id>/apply/", round_apply, name="round_apply"),
    path("rounds/<int:round_id>/export.csv", round_export, name="round_export"),
]
