"""Accepting an invitation, /invitations/<token>/. Signed-in people accept as themselves
(the invited email must be theirs); someone with an account signs in first; anyone else
creates an account here."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods

from planner import invitations
from planner.forms import NewAccountForm
from planner.views.helpers import HtmxHttpRequest

TEMPLATE = "planner/invitation.html"


def _sign_in_url(request: HtmxHttpRequest) -> str:
    return f"{reverse('login')}?{urlencode({'next': request.path})}"


@require_http_methods(["GET", "HEAD", "POST"])
def invitation(request: HtmxHttpRequest, token: str) -> HttpResponse:
    try:
        invite = invitations.find(token)
    except invitations.InvitationError as error:
        return render(request, TEMPLATE, {"problem": str(error)}, status=410)
    context: dict[str, Any] = {"invitation": invite, "sign_in_url": _sign_in_url(request)}
    if request.user.is_authenticated:
        return _accept_signed_in(request, token, context)
    if invitations.existing_account(invite) is not None:
        context["has_account"] = True
        return render(request, TEMPLATE, context)
    form = NewAccountForm(request.POST or None, email=invite.email)
    context["form"] = form
    if request.method != "POST":
        return render(request, TEMPLATE, context)
    if not form.is_valid():
        return render(request, TEMPLATE, context, status=400)
    try:
        membership = invitations.accept_with_new_account(
            token=token,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password1"],
        )
    except invitations.InvitationError as error:
        return render(request, TEMPLATE, {"problem": str(error)}, status=410)
    messages.success(
        request, f"Your account is ready and you have joined {membership.council.name}. Sign in."
    )
    next_url = reverse("dashboard", args=[membership.council.slug])
    return redirect(f"{reverse('login')}?{urlencode({'next': next_url})}")


def _accept_signed_in(
    request: HtmxHttpRequest, token: str, context: dict[str, Any]
) -> HttpResponse:
    invite = context["invitation"]
    if (getattr(request.user, "email", "") or "").casefold() != invite.email.casefold():
        context["problem"] = (
            f"This invitation is for {invite.email}, but you are signed in as "
            f"{request.user.get_username()}. Sign out, then open the link again."
        )
        return render(request, TEMPLATE, context, status=403)
    if request.method != "POST":
        context["accept_as"] = request.user.get_username()
        return render(request, TEMPLATE, context)
    try:
        membership = invitations.accept(token=token, user=request.user)
    except invitations.InvitationError as error:
        return render(request, TEMPLATE, {"problem": str(error)}, status=410)
    messages.success(request, f"You have joined {membership.council.name}.")
    return redirect("dashboard", membership.council.slug)


urlpatterns = [
    path("invitations/<str:token>/", invitation, name="invitation"),
]
