"""allauth's OpenID Connect callback, checking the ID token's signature as well.

allauth 65.22 checks the ID token's issuer, audience and expiry but, in the code flow, not
its signature: OpenID Connect Core 3.1.3.7 allows skipping it when the token came straight
from the token endpoint over TLS. We check it anyway (a misconfigured proxy or an http://
issuer would otherwise be trusted blindly), with allauth's own key lookup and checks."""

from __future__ import annotations

from typing import Any

from allauth.account.internal.decorators import login_not_required
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path


class SignatureCheckingAdapter(OpenIDConnectOAuth2Adapter):
    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict[str, Any]:
        return jwtkit.verify_and_decode(
            credential=id_token,
            keys_url=self.openid_config["jwks_uri"],
            issuer=self.openid_config["issuer"],
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
            verify_signature=True,
        )


@login_not_required
def callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    try:
        view = OAuth2CallbackView.adapter_view(SignatureCheckingAdapter(request, provider_id))
        return view(request)
    except SocialApp.DoesNotExist as missing:
        raise Http404("No such sign-in provider.") from missing


# The route name and path are allauth's, so allauth builds the same redirect URL.
urlpatterns = [
    path(
        "accounts/oidc/<str:provider_id>/login/callback/",
        callback,
        name="openid_connect_callback",
    ),
]
