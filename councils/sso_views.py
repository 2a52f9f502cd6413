"""Single sign-on pages: home-realm discovery from the sign-in page, and the council's
sign-in settings (admins)."""

from __future__ import annotations

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.base import AuthProcess
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from councils import sso
from councils.access import CouncilAccess, council_for
from councils.forms import IdentityProviderForm, SignInForm, SsoEmailForm, provider_initial
from councils.models import IdentityProvider, Role

UNKNOWN_DOMAIN = (
    "Your council does not use single sign-on with the planner for this email address. "
    "Sign in with your username and password below."
)
PROVIDER_BROKEN = (
    "Single sign-on for your council is not working at the moment. Sign in with your username "
    "and password below, or ask your council's administrator to check its sign-in settings."
)
STALE_MESSAGE = (
    "Someone else saved the sign-in settings while you were editing them. Nothing you entered "
    "has been saved: the form now shows their settings. Make your changes again."
)


def _next(request: HttpRequest) -> str:
    candidate = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def _sign_in_page(request: HttpRequest, error: str, email: str) -> HttpResponse:
    context = {
        "form": SignInForm(request),
        "next": request.POST.get("next", ""),
        "sso_error": error,
        "sso_email": email,
    }
    return render(request, "registration/login.html", context, status=400)


@require_POST
def sso_login(request: HttpRequest) -> HttpResponse:
    """Send the person to their council's provider, found by their email address's domain,
    with it as the login hint. allauth takes over from there (state, PKCE, the callback)."""
    form = SsoEmailForm(request.POST)
    if not form.is_valid():
        return _sign_in_page(request, str(form.errors["email"][0]), request.POST.get("email", ""))
    email = form.cleaned_data["email"]
    provider = sso.provider_for_email(email)
    if provider is None:
        return _sign_in_page(request, UNKNOWN_DOMAIN, email)
    try:
        allauth_provider = get_adapter().get_provider(request, provider.council.slug)
    except SocialApp.DoesNotExist:
        return _sign_in_page(request, PROVIDER_BROKEN, email)
    return allauth_provider.redirect(
        request,
        process=AuthProcess.LOGIN,
        next_url=_next(request),
        auth_params={"login_hint": email},
    )


def _settings_form(
    provider: IdentityProvider | None, access: CouncilAccess, data: object = None
) -> IdentityProviderForm:
    return IdentityProviderForm(
        data,
        initial=provider_initial(provider),
        has_secret=bool(provider and provider.has_secret),
        council_id=access.council.pk,
    )


def _render_settings(
    request: HttpRequest,
    access: CouncilAccess,
    form: IdentityProviderForm,
    status: int = 200,
) -> HttpResponse:
    context = {
        "council": access.council,
        "access": access,
        "form": form,
        "callback_url": request.build_absolute_uri(
            reverse("openid_connect_callback", kwargs={"provider_id": access.council.slug})
        ),
    }
    return render(request, "councils/sso_settings.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def sso_settings(request: HttpRequest, slug: str) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.ADMIN)
    provider = IdentityProvider.objects.filter(council=access.council).first()
    if request.method != "POST":
        return _render_settings(request, access, _settings_form(provider, access))
    form = _settings_form(provider, access, data=request.POST)
    if not form.is_valid():
        return _render_settings(request, access, form, status=400)
    data = form.cleaned_data
    try:
        sso.save_provider(
            council=access.council,
            version=data["version"],
            values=sso.ProviderSettings(
                issuer_url=data["issuer_url"],
                client_id=data["client_id"],
                client_secret=data["client_secret"],
                client_secret_env=data["client_secret_env"],
                allowed_domains=data["allowed_domains"],
                group_roles=data["group_roles"],
                groups_claim=data["groups_claim"],
                enabled=data["enabled"],
            ),
        )
    except sso.StaleProvider:
        fresh_provider = IdentityProvider.objects.filter(council=access.council).first()
        fresh = _settings_form(fresh_provider, access)
        fresh.report_stale(STALE_MESSAGE)
        return _render_settings(request, access, fresh, status=409)
    messages.success(request, "Sign-in settings saved.")
    return redirect(reverse("sso_settings", args=[access.council.slug]))


urlpatterns = [path("login/sso/", sso_login, name="sso_login")]
council_urlpatterns = [path("settings/sign-in/", sso_settings, name="sso_settings")]
