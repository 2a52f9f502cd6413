"""Council settings, /c/<slug>/settings/: the council's name, members, wards and directorates
(admins); approvers see the page for its link to the planning settings."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from councils.access import CouncilAccess, council_for
from councils.models import Membership, Role
from planner import council_details, invitations, members
from planner.forms import CouncilNameForm, InviteForm, ListEntryForm, MemberRoleForm
from planner.setup import NameTakenError
from planner.views.helpers import HtmxHttpRequest

STALE_NAME = (
    "Someone else changed the council's name while you were editing it. Your change has not "
    "been saved: the form now shows the name saved. Make your change again if it is still needed."
)


def invitation_link(request: HtmxHttpRequest) -> Any:
    """How the services make an invitation's absolute link from its token."""
    return lambda token: request.build_absolute_uri(reverse("invitation", args=[token]))


def _settings_context(access: CouncilAccess, form: CouncilNameForm | None = None) -> dict[str, Any]:
    council = access.council
    return {
        "council": council,
        "access": access,
        "nav": "council_settings",
        "form": form or CouncilNameForm(initial={"name": council.name, "version": council.version}),
    }


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def settings_page(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.APPROVER)
    template = "planner/council_settings.html"
    if request.method != "POST":
        return render(request, template, _settings_context(access))
    if not access.is_admin:
        raise PermissionDenied("Only the council's admins can change its name.")
    form = CouncilNameForm(request.POST)
    if not form.is_valid():
        return render(request, template, _settings_context(access, form), status=400)
    try:
        council_details.rename_council(
            council=access.council,
            name=form.cleaned_data["name"],
            version=form.cleaned_data["version"],
            user=request.user,
        )
    except council_details.StaleCouncilError:
        access.council.refresh_from_db()
        fresh = CouncilNameForm({"name": access.council.name, "version": access.council.version})
        fresh.is_valid()
        fresh.add_error(None, STALE_NAME)
        return render(request, template, _settings_context(access, fresh), status=409)
    messages.success(request, "The council's name has been saved.")
    return redirect("council_settings", slug)


# --- Members ------------------------------------------------------------------------------


def _members_context(
    access: CouncilAccess, *, invite_form: InviteForm | None = None, failed: Any = None
) -> dict[str, Any]:
    council = access.council
    rows = [
        {
            "membership": membership,
            "form": failed[1]
            if failed is not None and failed[0] == membership.pk
            else MemberRoleForm(initial={"role": membership.role}, prefix=f"m{membership.pk}"),
            "is_you": membership.user_id == access.membership.user_id,
        }
        for membership in members.member_rows(council)
    ]
    pending = council.invitations.filter(accepted_at__isnull=True).select_related("invited_by")
    return {
        "council": council,
        "access": access,
        "nav": "council_settings",
        "rows": rows,
        "pending": pending,
        "invite_form": invite_form or InviteForm(council=council),
        "failed_form": failed[1] if failed is not None else None,
    }


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def members_page(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The members list; a POST invites someone."""
    access = council_for(request, slug, min_role=Role.ADMIN)
    template = "planner/members.html"
    if request.method != "POST":
        return render(request, template, _members_context(access))
    form = InviteForm(request.POST, council=access.council)
    if not form.is_valid():
        return render(request, template, _members_context(access, invite_form=form), status=400)
    invitation = invitations.invite(
        council=access.council,
        email=form.cleaned_data["email"],
        role=Role(form.cleaned_data["role"]),
        invited_by=request.user,
        link_for=invitation_link(request),
    )
    messages.success(
        request,
        f"Invitation sent to {invitation.email} as {invitation.get_role_display().lower()}. "
        f"The link works once, for {invitations.INVITATION_DAYS} days.",
    )
    return redirect("members", slug)


@login_required
@require_POST
def member_role(request: HtmxHttpRequest, slug: str, member_id: int) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.ADMIN)
    membership = get_object_or_404(access.council.memberships, pk=member_id)
    form = MemberRoleForm(request.POST, prefix=f"m{membership.pk}")
    if form.is_valid():
        try:
            changed = members.change_role(
                council=access.council,
                member_id=membership.pk,
                role=Role(form.cleaned_data["role"]),
                user=request.user,
            )
        except Membership.DoesNotExist as error:
            raise Http404("No such member.") from error
        except members.LastAdminError:
            form.add_error(
                "role",
                f"{membership.user.get_username()} is the council's only admin. "
                "Make someone else an admin first",
            )
        else:
            messages.success(
                request,
                f"{changed.user.get_username()} is now {changed.get_role_display().lower()}.",
            )
            if changed.user_id == request.user.pk and not changed.is_admin:
                # An admin who stepped down can no longer open the members page.
                return redirect("dashboard", slug)
            return redirect("members", slug)
    context = _members_context(access, failed=(membership.pk, form))
    return render(request, "planner/members.html", context, status=400)


@login_required
@require_POST
def member_remove(request: HtmxHttpRequest, slug: str, member_id: int) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.ADMIN)
    membership = get_object_or_404(access.council.memberships, pk=member_id)
    try:
        members.remove_member(council=access.council, member_id=membership.pk, user=request.user)
    except Membership.DoesNotExist as error:
        raise Http404("No such member.") from error
    except members.LastAdminError:
        form = MemberRoleForm(initial={"role": membership.role}, prefix=f"m{membership.pk}")
        form.is_bound = True
        form.data = {form.add_prefix("role"): str(membership.role)}
        form.full_clean()
        form.add_error(
            None,
            f"{membership.user.get_username()} is the council's only admin, so cannot be "
            "removed. Make someone else an admin first",
        )
        context = _members_context(access, failed=(membership.pk, form))
        return render(request, "planner/members.html", context, status=400)
    if membership.user_id == request.user.pk:
        messages.success(request, f"You have left {access.council.name}.")
        return redirect("home")
    messages.success(request, f"{membership.user.get_username()} has been removed.")
    return redirect("members", slug)


# --- Wards and directorates ---------------------------------------------------------------

NOUNS = {"wards": ("ward", "Wards"), "directorates": ("directorate", "Directorates")}


def _list_context(
    access: CouncilAccess, kind: str, *, add_form: Any = None, failed: Any = None
) -> dict[str, Any]:
    noun, title = NOUNS[kind]
    entries = getattr(access.council, kind).all()
    rows = [
        {
            "entry": entry,
            "form": failed[1]
            if failed is not None and failed[0] == entry.pk
            else ListEntryForm(
                initial={"name": entry.name},
                entries=entries,
                noun=noun,
                prefix=f"e{entry.pk}",
            ),
        }
        for entry in entries
    ]
    return {
        "council": access.council,
        "access": access,
        "nav": "council_settings",
        "kind": kind,
        "edit_route": f"{noun}_edit",
        "noun": noun,
        "title": title,
        "rows": rows,
        "form": add_form or ListEntryForm(entries=entries, noun=noun),
        "failed_form": failed[1] if failed is not None else None,
    }


def _list_page(request: HtmxHttpRequest, slug: str, kind: str) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.ADMIN)
    template = "planner/council_list.html"
    if request.method != "POST":
        return render(request, template, _list_context(access, kind))
    noun = NOUNS[kind][0]
    form = ListEntryForm(request.POST, entries=getattr(access.council, kind).all(), noun=noun)
    if form.is_valid():
        try:
            entry = council_details.add_entry(
                council=access.council, kind=kind, name=form.cleaned_data["name"], user=request.user
            )
        except NameTakenError:
            form.add_error("name", f"There is already a {noun} called {form.cleaned_data['name']}")
        else:
            messages.success(request, f"{noun.capitalize()} “{entry.name}” added.")
            return redirect(kind, slug)
    return render(request, template, _list_context(access, kind, add_form=form), status=400)


def _list_entry(request: HtmxHttpRequest, slug: str, kind: str, entry_id: int) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.ADMIN)
    noun = NOUNS[kind][0]
    entries = getattr(access.council, kind).all()
    entry = get_object_or_404(entries, pk=entry_id)
    if request.POST.get("action") == "remove":
        council_details.remove_entry(entry=entry, user=request.user)
        messages.success(request, f"{noun.capitalize()} “{entry.name}” removed.")
        return redirect(kind, slug)
    form = ListEntryForm(
        request.POST, entries=entries, noun=noun, exclude_pk=entry.pk, prefix=f"e{entry.pk}"
    )
    if form.is_valid():
        try:
            council_details.rename_entry(
                entry=entry, name=form.cleaned_data["name"], user=request.user
            )
        except NameTakenError:
            form.add_error("name", f"There is already a {noun} called {form.cleaned_data['name']}")
        else:
            messages.success(request, f"{noun.capitalize()} renamed to “{entry.name}”.")
            return redirect(kind, slug)
    context = _list_context(access, kind, failed=(entry.pk, form))
    return render(request, "planner/council_list.html", context, status=400)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def wards(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    return _list_page(request, slug, "wards")


@login_required
@require_POST
def ward_edit(request: HtmxHttpRequest, slug: str, entry_id: int) -> HttpResponse:
    return _list_entry(request, slug, "wards", entry_id)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def directorates(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    return _list_page(request, slug, "directorates")


@login_required
@require_POST
def directorate_edit(request: HtmxHttpRequest, slug: str, entry_id: int) -> HttpResponse:
    return _list_entry(request, slug, "directorates", entry_id)


urlpatterns = [
    path("settings/", settings_page, name="council_settings"),
    path("settings/members/", members_page, name="members"),
    path("settings/members/<int:member_id>/role/", member_role, name="member_role"),
    path("settings/members/<int:member_id>/remove/", member_remove, name="member_remove"),
    path("settings/wards/", wards, name="wards"),
    path("settings/wards/<int:entry_id>/", ward_edit, name="ward_edit"),
    path("settings/directorates/", directorates, name="directorates"),
    path("settings/directorates/<int:entry_id>/", directorate_edit, name="directorate_edit"),
]
