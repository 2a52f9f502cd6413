from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_otp import login as otp_login

from councils import throttle, two_factor
from councils.forms import AccountPasswordChangeForm, SignInForm, TwoFactorCodeForm
from councils.middleware import TWO_FACTOR_SETUP_DUE_KEY


class AuthenticatedHttpRequest(HttpRequest):
    """A request behind `login_required`: its user is signed in. Only a type."""

    user: User


# The password step leaves this in the session until the code step finishes it.
PENDING_SIGN_IN_KEY = "two_factor_pending"
# A password is good for the code step this long, and for this many wrong codes.
PENDING_SIGN_IN_SECONDS = 5 * 60
PENDING_SIGN_IN_TRIES = 5


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
    """The password step. Someone with two-factor set up goes on to the code step before
    they are signed in; an admin without it is signed in and sent to set it up."""

    template_name = "registration/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if two_factor.is_set_up(user):
            self.request.session.cycle_key()
            self.request.session[PENDING_SIGN_IN_KEY] = {
                "user_id": user.pk,
                "backend": user.backend,
                "next": self.get_success_url(),
                "at": time.time(),
                "tries": 0,
            }
            return redirect("two_factor_verify")
        response = super().form_valid(form)
        if two_factor.is_required(user):
            self.request.session[TWO_FACTOR_SETUP_DUE_KEY] = True
        return response


sign_in = SignInView.as_view()
sign_out = auth_views.LogoutView.as_view()


def sign_in_refused(
    request: HttpRequest, original_response: object, credentials: dict | None
) -> HttpResponse:
    """django-axes' lockout response (AXES_LOCKOUT_CALLABLE): says which limit applies."""
    refusal = throttle.sign_in_throttle(request, credentials)
    return render(request, "registration/locked_out.html", {"throttle": refusal}, status=429)


def _pending_user(request: HttpRequest) -> tuple[dict, User] | None:
    pending = request.session.get(PENDING_SIGN_IN_KEY)
    if not pending or time.time() - pending["at"] > PENDING_SIGN_IN_SECONDS:
        return None
    user = User.objects.filter(pk=pending["user_id"], is_active=True).first()
    return (pending, user) if user is not None else None


@sensitive_post_parameters("code")
@require_http_methods(["GET", "HEAD", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The code step: a code from the authenticator app, or a recovery code."""
    found = _pending_user(request)
    if found is None:
        request.session.pop(PENDING_SIGN_IN_KEY, None)
        messages.info(request, "Sign in again: your sign-in was not finished in time.")
        return redirect("login")
    pending, user = found
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = two_factor.verify(user, form.cleaned_data["code"])
        if device is not None:
            del request.session[PENDING_SIGN_IN_KEY]
            login(request, user, backend=pending["backend"])
            otp_login(request, device)
            if not two_factor.recovery_codes_left(user):
                messages.info(request, "You have used all your recovery codes. Make new ones now.")
                return redirect("two_factor_setup")
            # LoginView.get_success_url checked `next` at the password step.
            return redirect(pending["next"])
        pending["tries"] += 1
        if pending["tries"] >= PENDING_SIGN_IN_TRIES:
            del request.session[PENDING_SIGN_IN_KEY]
            messages.info(request, "Too many wrong codes. Sign in again.")
            return redirect("login")
        request.session[PENDING_SIGN_IN_KEY] = pending
        form.add_error(
            "code",
            "The code is not right, or came too soon after a wrong one. "
            "Wait a few seconds and try again.",
        )
    status = 400 if form.errors else 200
    return render(request, "registration/two_factor_verify.html", {"form": form}, status=status)


@login_required
@sensitive_post_parameters("code")
@require_http_methods(["GET", "HEAD", "POST"])
def two_factor_setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Set up an authenticator app (or replace it), then show recovery codes once."""
    user = request.user
    device = two_factor.pending_app(user)
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = two_factor.confirm_app(device, form.cleaned_data["code"])
        if codes is not None:
            otp_login(request, device)
            request.session.pop(TWO_FACTOR_SETUP_DUE_KEY, None)
            return render(
                request, "registration/recovery_codes.html", {"codes": codes, "new_app": True}
            )
        form.add_error(
            "code",
            "The code is not right. Wait a few seconds, then enter the 6 digits your app shows.",
        )
    context = {
        "form": form,
        "already_set_up": two_factor.is_set_up(user),
        "required": request.session.get(TWO_FACTOR_SETUP_DUE_KEY, False),
        "qr_code_svg": two_factor.qr_code_svg(device),
        "secret": two_factor.secret_for_typing(device),
        "codes_left": two_factor.recovery_codes_left(user),
    }
    return render(
        request, "registration/two_factor_setup.html", context, status=400 if form.errors else 200
    )


@login_required
@require_POST
def recovery_codes_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Replace the recovery codes (the old ones stop working) and show the new ones once."""
    if not two_factor.is_set_up(request.user):
        return redirect("two_factor_setup")
    codes = two_factor.new_recovery_codes(request.user)
    return render(request, "registration/recovery_codes.html", {"codes": codes, "new_app": False})


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    form_class = AccountPasswordChangeForm
    success_url = reverse_lazy("home")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, "Your password has been changed.")
        return response


password_change = PasswordChangeView.as_view()
