"""The weightings page: profiles, their method and weights, a live preview, and history.

Anyone in the council may read the page and call the preview (a GET that saves nothing);
only admins may change a profile.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from councils.access import CouncilAccess, council_for
from councils.models import Council, Role
from planner import options as option_service
from planner import rank_ranges, ranking, weightings
from planner.forms import OptionForm, ProfileForm, ProfileNameForm, WeightsForm
from planner.models import Criterion, Method, WeightingProfile
from planner.scoring import METHOD_FORMULAS
from planner.views.helpers import HtmxHttpRequest
from planner.views.runs import refresh_when_ranked

PAGE = "planner/weightings.html"
OPTION_NAME_TYPED = (
    "To save these weights as an option, choose “Save as an option”; to save the profile, "
    "clear the option name"
)


def _profile_url(profile: WeightingProfile) -> str:
    if profile.is_active:
        return reverse("weightings", args=[profile.council.slug])
    return reverse("weighting_profile", args=[profile.council.slug, profile.pk])


def _initial(profile: WeightingProfile, criteria: list[Criterion]) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "name": profile.name,
        "method": profile.method,
        "version": profile.version,
        "weight_band_percent": profile.weight_band_percent,
    }
    for criterion in criteria:
        weight = profile.weight_for(criterion)
        initial[f"weight_{criterion.pk}"] = int(weight) if weight.is_integer() else weight
    return initial


def _context(
    access: CouncilAccess,
    profile: WeightingProfile,
    criteria: list[Criterion],
    form: ProfileForm | None = None,
    preview: weightings.Preview | None = None,
    option_form: OptionForm | None = None,
) -> dict[str, Any]:
    council = access.council
    form = form or ProfileForm(
        initial=_initial(profile, criteria),
        council=council,
        criteria=criteria,
        exclude_pk=profile.pk,
    )
    latest_run = ranking.latest_done_run(council)
    mappings = weightings.method_mappings(profile=profile, criteria=criteria)
    return {
        "access": access,
        "council": council,
        "nav": "weightings",
        "profile": profile,
        "profiles": weightings.profiles_of(council),
        "saved_options": option_service.options_of(council),
        "option_form": option_form or OptionForm(criteria=criteria),
        "criteria": criteria,
        "form": form,
        "action": _profile_url(profile),
        "can_approve": access.can_approve,
        "methods": [
            (value, label, METHOD_FORMULAS.get(value, ""), mappings.get(value, ""))
            for value, label in Method.choices
        ],
        "preview": preview,
        "history": weightings.weight_history(profile=profile, criteria=criteria),
        "pending_run": ranking.pending_or_failed_run(council),
        "latest_run": latest_run,
        "current": weightings.current_top(council, latest_run),
        # The method, in plain English, of how sure the live ranks are.
        "ranges_method": rank_ranges.method_text(latest_run.robustness) if latest_run else "",
        "new_form": ProfileNameForm(council=council, prefix="new"),
        "copy_form": ProfileNameForm(council=council, prefix="copy"),
    }


def _shown_profile(council: Council) -> WeightingProfile:
    """The profile the page shows by default: the active one, else the oldest; a council
    with no profile at all (set-up gives every council one) gets a 404."""
    profile = weightings.active_profile(council)
    if profile is None:
        profile = get_object_or_404(weightings.profiles_of(council).order_by("pk")[:1])
    return profile


def _page(
    request: HtmxHttpRequest, access: CouncilAccess, profile: WeightingProfile
) -> HttpResponse:
    """GET: the page; an htmx GET (the `ranking-updated` refresh) gets the current table."""
    criteria = weightings.active_criteria(access.council)
    context = _context(access, profile, criteria)
    if request.htmx:
        return render(request, f"{PAGE}#current", context)
    return render(request, PAGE, context)


def _conflict(form: ProfileForm, stale: weightings.StaleProfileError) -> ProfileForm:
    """The editor again with their typing and the version saved now (so saving again is a
    deliberate choice to replace theirs), saying who saved what in between."""
    current = stale.current
    data = form.data.copy()  # type: ignore[attr-defined]  # a QueryDict
    data["version"] = str(current.version)
    retry = ProfileForm(data, council=form.council, criteria=form.criteria, exclude_pk=current.pk)
    retry.full_clean()
    record = current.history.select_related("history_user").first()
    who = record.history_user.get_username() if record and record.history_user else "Someone"
    labels = dict(Method.choices)
    saved = ", ".join(
        f"{criterion.name} {weightings.format_weight(current.weight_for(criterion))}"
        for criterion in form.criteria
    )
    retry.add_error(
        None,
        f"{who} saved this profile while you were editing it, so your changes have not been "
        f"saved. It is now: name “{current.name}”, {labels.get(current.method, current.method)}"
        f", weights {saved}, weight band ±{current.weight_band_percent}%. Check your version;"
        " saving again replaces theirs.",
    )
    return retry


def _refused(
    request: HtmxHttpRequest,
    access: CouncilAccess,
    profile: WeightingProfile,
    criteria: list[Criterion],
    form: ProfileForm,
    status: int,
) -> HttpResponse:
    context = _context(access, profile, criteria, form=form)
    if request.htmx:
        return render(request, f"{PAGE}#editor", context, status=status)
    return render(request, PAGE, context, status=status)


def _save(
    request: HtmxHttpRequest, access: CouncilAccess, profile: WeightingProfile
) -> HttpResponse:
    council = access.council
    criteria = weightings.active_criteria(council)
    if request.POST.get("option_name", "").strip():
        # Enter in the option name submits with the form's first button, "Save weights":
        # save nothing rather than change the profile (and re-rank) by mistake.
        option_form = OptionForm(request.POST, criteria=criteria)
        option_form.full_clean()
        option_form.add_error("option_name", OPTION_NAME_TYPED)
        return option_refused(request, access, option_form)
    form = ProfileForm(request.POST, council=council, criteria=criteria, exclude_pk=profile.pk)
    if not form.is_valid():
        context = _context(access, profile, criteria, form=form)
        if request.htmx:
            return render(request, f"{PAGE}#editor", context, status=422)
        return render(request, PAGE, context, status=400)
    # Raising a criterion from 0 before it is scored would unrank items: say how many, and
    # save only once this person confirms those criteria (the warning's hidden fields).
    confirmed = set(request.POST.getlist("confirm_unscored"))
    warnings = [
        warning
        for warning in weightings.unscored_if_weighted(
            profile=profile, criteria=criteria, weights=form.weights()
        )
        if str(warning.criterion_id) not in confirmed
    ]
    if warnings:
        context = _context(access, profile, criteria, form=form)
        context["unscored_warnings"] = warnings
        return render(request, f"{PAGE}#editor" if request.htmx else PAGE, context)
    try:
        profile = weightings.update_profile(
            profile=profile,
            name=form.cleaned_data["name"],
            method=form.cleaned_data["method"],
            weights=form.weights(),
            version=form.cleaned_data["version"],
            changed_by=request.user,
            weight_band_percent=form.cleaned_data.get("weight_band_percent"),
        )
    except weightings.ProfileNameTakenError:
        form.add_error("name", "A profile with that name already exists: choose another")
        return _refused(request, access, profile, criteria, form, 400)
    except weightings.StaleProfileError as stale:
        return _refused(request, access, stale.current, criteria, _conflict(form, stale), 409)
    notice = "Weights saved." + (" The backlog is being ranked again." if profile.is_active else "")
    if not request.htmx:
        messages.success(request, notice)
        return redirect(_profile_url(profile))
    context = _context(access, profile, criteria)
    context["notice"] = notice
    response = render(request, f"{PAGE}#editor", context)
    # Eager Celery (or a very fast worker) may have finished already: then refresh tables now.
    return refresh_when_ranked(response, context["pending_run"])


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def weightings_page(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The active profile. POST (admins) saves it and queues a ranking run."""
    access = council_for(
        request, slug, min_role=Role.APPROVER if request.method == "POST" else Role.VIEWER
    )
    council = access.council
    profile = _shown_profile(council)
    if request.method == "POST":
        return _save(request, access, profile)
    return _page(request, access, profile)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def weighting_profile(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Any profile: view it, or (admins) rename it and change its method and weights."""
    access = council_for(
        request, slug, min_role=Role.APPROVER if request.method == "POST" else Role.VIEWER
    )
    council = access.council
    profile = get_object_or_404(weightings.profiles_of(council), pk=pk)
    if request.method == "POST":
        return _save(request, access, profile)
    return _page(request, access, profile)


@login_required
@require_safe
def weightings_preview(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The top 10 these weights would give, computed in the request and never saved."""
    access = council_for(request, slug)
    council = access.council
    criteria = weightings.active_criteria(council)
    profile_pk = request.GET.get("profile", "")
    profile = None
    if profile_pk.isdigit():
        profile = weightings.profiles_of(council).filter(pk=int(profile_pk)).first()
    profile = profile or _shown_profile(council)
    form = WeightsForm(request.GET, criteria=criteria)
    preview = None
    if form.is_valid():
        preview = weightings.preview(
            council=council, method=form.cleaned_data["method"], weights=form.weights()
        )
    context = _context(access, profile, criteria, preview=preview)
    context["preview_form"] = form
    status = 200 if preview is not None and not preview.error else 400
    if request.htmx:
        return render(request, f"{PAGE}#preview", context, status=status)
    # Without JavaScript the "Preview" button lands here: the page with the typed values.
    context["form"] = ProfileForm(
        request.GET, council=council, criteria=criteria, exclude_pk=profile.pk
    )
    return render(request, PAGE, context, status=status)


@login_required
@require_POST
def weighting_profile_new(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.APPROVER)
    return _create(request, access, source=None)


@login_required
@require_POST
def weighting_profile_copy(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.APPROVER)
    council = access.council
    source = get_object_or_404(weightings.profiles_of(council), pk=pk)
    return _create(request, access, source=source)


def _create(
    request: HtmxHttpRequest, access: CouncilAccess, source: WeightingProfile | None
) -> HttpResponse:
    council = access.council
    prefix = "new" if source is None else "copy"
    form = ProfileNameForm(request.POST, council=council, prefix=prefix)
    if not form.is_valid():
        return _create_refused(access, request, source, prefix, form)
    name = form.cleaned_data["name"]
    try:
        if source is None:
            profile = weightings.create_profile(council=council, name=name)
        else:
            profile = weightings.copy_profile(profile=source, name=name)
    except weightings.ProfileNameTakenError:
        form.add_error("name", "A profile with that name already exists: choose another")
        return _create_refused(access, request, source, prefix, form)
    if source is None:
        messages.success(request, f"Profile “{name}” created. Set its weights below.")
    else:
        messages.success(request, f"Copied “{source.name}” as “{name}”.")
    return redirect(_profile_url(profile))


def _create_refused(
    access: CouncilAccess,
    request: HtmxHttpRequest,
    source: WeightingProfile | None,
    prefix: str,
    form: ProfileNameForm,
) -> HttpResponse:
    council = access.council
    profile = source or _shown_profile(council)
    context = _context(access, profile, weightings.active_criteria(council))
    context[f"{prefix}_form"] = form
    return render(request, PAGE, context, status=400)


def option_refused(
    request: HtmxHttpRequest, access: CouncilAccess, option_form: OptionForm
) -> HttpResponse:
    """ "Save as an option" refused: the editor again with everything typed and the reason."""
    council = access.council
    profile = _shown_profile(council)
    if (posted := request.POST.get("profile", "")).isdigit():
        profile = weightings.profiles_of(council).filter(pk=int(posted)).first() or profile
    criteria = weightings.active_criteria(council)
    form = ProfileForm(request.POST, council=council, criteria=criteria, exclude_pk=profile.pk)
    form.full_clean()
    context = _context(access, profile, criteria, form=form, option_form=option_form)
    if request.htmx:
        return render(request, f"{PAGE}#editor", context, status=422)
    return render(request, PAGE, context, status=400)


@login_required
@require_POST
def weighting_profile_activate(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.APPROVER)
    council = access.council
    # An option is never made active (the database forbids it): it is not found here.
    profile = get_object_or_404(weightings.profiles_of(council), pk=pk)
    weightings.activate_profile(profile=profile, activated_by=request.user)
    messages.success(request, f"“{profile.name}” is now the active profile. Ranking again.")
    return redirect("weightings", council.slug)


urlpatterns = [
    path("weightings/", weightings_page, name="weightings"),
    path("weightings/preview/", weightings_preview, name="weightings_preview"),
    path("weightings/profiles/new/", weighting_profile_new, name="weighting_profile_new"),
    path("weightings/profiles/<int:pk>/", weighting_profile, name="weighting_profile"),
    path(
        "weightings/profiles/<int:pk>/copy/",
        weighting_profile_copy,
        name="weighting_profile_copy",
    ),
    path(
        "weightings/profiles/<int:pk>/activate/",
        weighting_profile_activate,
        name="weighting_profile_activate",
    ),
]
