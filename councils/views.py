from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from councils.forms import SignInForm


class AuthenticatedHttpRequest(HttpRequest):
    """A request behind `login_required`: its user is signed in. Only a type."""

    user: User


@login_required
@require_safe
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    memberships = (
        request.user.memberships.filter(council__is_active=True)
        .select_related("council")
        .order_by("council__name")
    )
    return render(request, "councils/home.html", {"memberships": memberships})


class SignInView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


sign_in = SignInView.as_view()
sign_out = auth_views.LogoutView.as_view()
