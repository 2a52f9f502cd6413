"""Feeds django-allauth the councils' identity providers and applies the councils' rules
when one of them signs someone in (docs/adr/0008-single-sign-on.md)."""

from __future__ import annotations

import logging
from typing import Any

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from django.http import HttpRequest
from django.shortcuts import render

from councils import sso
from councils.models import IdentityProvider
from councils.secrets import SecretUnreadable

logger = logging.getLogger(__name__)


def social_app(provider: IdentityProvider) -> SocialApp:
    """One allauth OpenID Connect app per council, named by its slug (the callback URL
    /accounts/oidc/<slug>/login/callback/ is what the council registers with its provider)."""
    return SocialApp(
        provider="openid_connect",
        provider_id=provider.council.slug,
        name=provider.council.name,
        client_id=provider.client_id,
        secret=provider.client_secret(),
        settings={
            "server_url": provider.issuer_url,
            # The ID token must come from the issuer the admin configured, not merely the
            # one the discovery document names.
            "openid_configuration_overrides": {"issuer": provider.issuer_url},
            # Claims come from the ID token allauth checked (issuer, audience, expiry), not
            # from the userinfo endpoint: Entra ID's omits the groups claim.
            "fetch_userinfo": False,
            "uid_field": "sub",
            # PKCE binds the code to this browser's flow, on top of allauth's state.
            "oauth_pkce_enabled": True,
        },
    )


def _refuse(request: HttpRequest, message: str) -> ImmediateHttpResponse:
    return ImmediateHttpResponse(
        render(request, "registration/sso_refused.html", {"message": message}, status=403)
    )


class CouncilSocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(
        self, request: HttpRequest | None, provider: str | None = None, client_id: str | None = None
    ) -> list[SocialApp]:
        apps = []
        for identity_provider in sso.enabled_providers():
            try:
                apps.append(social_app(identity_provider))
            except SecretUnreadable:
                # SSO_SECRET_KEY changed: this council's admin must enter the secret again.
                logger.error("The client secret of %s cannot be read", identity_provider.council)
        if provider:
            apps = [app for app in apps if provider in (app.provider_id, app.provider)]
        if client_id:
            apps = [app for app in apps if app.client_id == client_id]
        return apps

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        claims = sociallogin.account.extra_data.get("id_token") or {}
        try:
            admission = sso.admit(provider_id=sociallogin.account.provider, claims=claims)
            council = admission.provider.council
            if not sociallogin.is_existing:
                user = sso.user_to_connect(admission)
                if user is not None and admission.role is not None:
                    sociallogin.connect(request, user)
            if sociallogin.is_existing:
                sso.apply_role(user=sociallogin.user, council=council, role=admission.role)
            if admission.role is None:
                raise sso.SignInRefused(sso.NO_ROLE_MESSAGE.format(council=council.name))
        except sso.SignInRefused as refusal:
            logger.info("Single sign-on refused (%s): %s", sociallogin.account.provider, refusal)
            raise _refuse(request, str(refusal)) from refusal

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None) -> Any:
        user = super().save_user(request, sociallogin, form)
        admission = sso.admit(
            provider_id=sociallogin.account.provider,
            claims=sociallogin.account.extra_data.get("id_token") or {},
        )
        sso.apply_role(user=user, council=admission.provider.council, role=admission.role)
        return user

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: Any = None,
        exception: Any = None,
        extra_context: Any = None,
    ) -> None:
        # The reason (a bad audience, issuer, expiry...) goes to the log, not to the page.
        logger.warning("Single sign-on failed (%s): %s %r", provider, error, exception)
        raise _refuse(
            request,
            "Your council's sign-in service did not sign you in. Try again, or sign in with "
            "your password if you have one.",
        )
