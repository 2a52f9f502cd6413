"""Single sign-on against a real OpenID Connect provider (tests/oidc/provider.mjs).

Each test drives the whole code flow: our home-realm discovery sends the Django test client
to the provider, `requests` follows the provider's redirects (its test-only interaction
signs in the login_hint), and the client brings the code back to allauth's callback, which
fetches the ID token from the provider over HTTP."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest
import requests
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialAccount
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django.urls import reverse

from councils.models import IdentityProvider, Membership, Role
from tests.factories import CouncilFactory, MembershipFactory, UserFactory
from tests.oidc import CLIENT_ID, CLIENT_SECRET, OidcTestProvider, running_provider

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

TESTSERVER = "http://testserver"
GROUPS = {"Planner-Approvers": int(Role.APPROVER), "Planner-Editors": int(Role.EDITOR)}


@pytest.fixture(scope="module")
def oidc():
    """One provider process for the module: it starts in about a second."""
    callbacks = [
        f"{TESTSERVER}/accounts/oidc/{slug}/login/callback/" for slug in ("northmoor", "elsewhere")
    ]
    with running_provider(callbacks) as provider:
        yield provider


@pytest.fixture(autouse=True)
def sso_settings(settings, oidc):
    settings.SSO_SECRET_KEY = Fernet.generate_key().decode()
    settings.SSO_ALLOW_HTTP_ISSUER = True
    oidc.set_mode("normal")
    yield settings
    oidc.set_mode("normal")


def configure(council, oidc: OidcTestProvider, domains: list[str]) -> IdentityProvider:
    from councils.secrets import encrypt_secret

    return IdentityProvider.objects.create(
        council=council,
        issuer_url=oidc.issuer,
        client_id=CLIENT_ID,
        client_secret_encrypted=encrypt_secret(CLIENT_SECRET),
        allowed_domains=domains,
        group_roles=GROUPS,
        enabled=True,
    )


@pytest.fixture
def northmoor(db, oidc):
    council = CouncilFactory(name="Northmoor Council", slug="northmoor")
    configure(council, oidc, ["northmoor.gov.uk"])
    return council


@pytest.fixture
def elsewhere(db, oidc):
    council = CouncilFactory(name="Elsewhere Council", slug="elsewhere")
    configure(council, oidc, ["elsewhere.gov.uk"])
    return council


def follow_provider(client: Client, location: str):
    """Follow the provider's redirects until it sends the browser back to us; then let the
    client make the callback request."""
    session = requests.Session()
    while not location.startswith(TESTSERVER):
        response = session.get(location, allow_redirects=False, timeout=10)
        assert response.status_code in (302, 303), response.text
        location = urljoin(location, response.headers["Location"])
    return client.get(location.removeprefix(TESTSERVER))


def sso_sign_in(client: Client, email: str, next_url: str = ""):
    response = client.post(reverse("sso_login"), {"email": email, "next": next_url})
    assert response.status_code == 302, response.content
    assert "login_hint=" in response["Location"]
    assert "code_challenge_method=S256" in response["Location"]
    return follow_provider(client, response["Location"])


def signed_in_user(client: Client):
    from django.contrib.auth import get_user

    request = RequestFactory().get("/")
    request.session = client.session
    return get_user(request)


def test_first_sign_in_creates_the_account_and_its_membership(client, northmoor):
    response = sso_sign_in(client, "ada@northmoor.gov.uk", next_url="/c/northmoor/")

    assert response.status_code == 302
    assert response["Location"] == "/c/northmoor/"
    user = get_user_model().objects.get(email="ada@northmoor.gov.uk")
    assert signed_in_user(client) == user
    assert not user.has_usable_password()
    membership = Membership.objects.get(user=user)
    assert (membership.council, membership.role) == (northmoor, Role.APPROVER)
    assert client.get("/c/northmoor/").status_code == 200


def test_groups_map_to_roles(client, northmoor):
    sso_sign_in(client, "ed@northmoor.gov.uk")

    user = get_user_model().objects.get(email="ed@northmoor.gov.uk")
    assert Membership.objects.get(user=user, council=northmoor).role == Role.EDITOR


def test_a_later_sign_in_updates_the_role_from_the_groups(northmoor):
    sso_sign_in(Client(), "ada@northmoor.gov.uk")
    IdentityProvider.objects.filter(council=northmoor).update(
        group_roles={"Planner-Approvers": int(Role.VIEWER)}
    )

    sso_sign_in(Client(), "ada@northmoor.gov.uk")

    user = get_user_model().objects.get(email="ada@northmoor.gov.uk")
    assert get_user_model().objects.filter(email="ada@northmoor.gov.uk").count() == 1
    assert Membership.objects.get(user=user, council=northmoor).role == Role.VIEWER


def test_losing_every_mapped_group_removes_the_membership(northmoor):
    sso_sign_in(Client(), "ada@northmoor.gov.uk")
    IdentityProvider.objects.filter(council=northmoor).update(group_roles={"Other": 10})
    client = Client()

    response = sso_sign_in(client, "ada@northmoor.gov.uk")

    assert response.status_code == 403
    assert "not in any of the groups" in response.content.decode()
    assert not Membership.objects.filter(user__email="ada@northmoor.gov.uk").exists()
    assert not signed_in_user(client).is_authenticated


def test_someone_in_no_mapped_group_gets_no_account(client, northmoor):
    response = sso_sign_in(client, "nobody@northmoor.gov.uk")

    assert response.status_code == 403
    assert not get_user_model().objects.filter(email="nobody@northmoor.gov.uk").exists()
    assert not signed_in_user(client).is_authenticated


@pytest.mark.parametrize("mode", ["wrong-audience", "wrong-issuer", "expired", "tampered"])
def test_a_bad_id_token_signs_no_one_in(client, northmoor, oidc, mode):
    # The tampered token claims this group: mapped, so only the signature can refuse it.
    IdentityProvider.objects.filter(council=northmoor).update(
        group_roles={**GROUPS, "Planner-Admins": int(Role.ADMIN)}
    )
    oidc.set_mode(mode)

    response = sso_sign_in(client, "ada@northmoor.gov.uk")

    assert response.status_code == 403
    assert "did not sign you in" in response.content.decode()
    assert not signed_in_user(client).is_authenticated
    assert not get_user_model().objects.filter(email="ada@northmoor.gov.uk").exists()


def start_through(client: Client, council_slug: str, email: str) -> str:
    """Start the flow through a chosen council's provider, whatever the email's domain:
    what a crafted request or a misconfigured provider could do."""
    request = RequestFactory().get("/")
    request.session = client.session
    response = (
        get_adapter()
        .get_provider(request, council_slug)
        .redirect(request, process="login", auth_params={"login_hint": email})
    )
    request.session.save()
    return response["Location"]


def test_a_token_from_another_councils_provider_is_refused(client, northmoor, elsewhere):
    location = start_through(client, "elsewhere", "ada@northmoor.gov.uk")

    response = follow_provider(client, location)

    assert response.status_code == 403
    assert "in one of the council" in response.content.decode()
    assert not Membership.objects.filter(user__email="ada@northmoor.gov.uk").exists()


def test_a_sign_in_gives_a_role_in_the_providers_council_only(client, northmoor, elsewhere):
    sso_sign_in(client, "ada@elsewhere.gov.uk")

    user = get_user_model().objects.get(email="ada@elsewhere.gov.uk")
    # Northmoor maps the same group, but the token came through Elsewhere's provider.
    assert list(Membership.objects.filter(user=user).values_list("council__slug", flat=True)) == [
        "elsewhere"
    ]
    assert client.get("/c/northmoor/").status_code == 404


def test_an_existing_account_of_another_council_is_not_taken_over(client, northmoor, elsewhere):
    owner = UserFactory(username="ada", email="ada@northmoor.gov.uk")
    MembershipFactory(user=owner, council=elsewhere, role=Role.ADMIN)

    response = sso_sign_in(client, "ada@northmoor.gov.uk")

    assert response.status_code == 403
    assert "belongs to another council" in response.content.decode()
    assert not SocialAccount.objects.exists()
    assert list(Membership.objects.filter(user=owner).values_list("council__slug", "role")) == [
        ("elsewhere", Role.ADMIN)
    ]
    assert not signed_in_user(client).is_authenticated


def test_an_existing_account_of_the_same_council_is_connected(client, northmoor):
    member = UserFactory(username="ed", email="ed@northmoor.gov.uk")
    MembershipFactory(user=member, council=northmoor, role=Role.VIEWER)

    sso_sign_in(client, "ed@northmoor.gov.uk")

    assert signed_in_user(client) == member
    assert SocialAccount.objects.get(user=member).provider == "northmoor"
    assert Membership.objects.get(user=member).role == Role.EDITOR


def test_sign_out_ends_the_single_sign_on_session(client, northmoor):
    sso_sign_in(client, "ada@northmoor.gov.uk")

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert not signed_in_user(client).is_authenticated
    assert client.get("/c/northmoor/")["Location"].startswith(reverse("login"))


def test_a_disabled_provider_is_not_offered(client, northmoor):
    IdentityProvider.objects.filter(council=northmoor).update(enabled=False)

    response = client.post(reverse("sso_login"), {"email": "ada@northmoor.gov.uk"})

    assert response.status_code == 400
    assert "Sign in with your username and password below" in response.content.decode()


def test_allauth_alone_would_trust_a_tampered_token_from_the_token_endpoint(
    client, northmoor, oidc, monkeypatch
):
    """Why councils/sso_callback.py exists: in the code flow allauth 65.22 skips the ID
    token's signature (OpenID Connect Core 3.1.3.7), so a token whose groups were rewritten
    on the way would make its holder an admin. With our check the same token is refused
    (test_a_bad_id_token_signs_no_one_in)."""
    from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter

    from councils.sso_callback import SignatureCheckingAdapter

    IdentityProvider.objects.filter(council=northmoor).update(
        group_roles={**GROUPS, "Planner-Admins": int(Role.ADMIN)}
    )
    monkeypatch.setattr(
        SignatureCheckingAdapter, "_decode_id_token", OpenIDConnectOAuth2Adapter._decode_id_token
    )
    oidc.set_mode("tampered")

    sso_sign_in(client, "ada@northmoor.gov.uk")

    assert Membership.objects.get(user__email="ada@northmoor.gov.uk").role == Role.ADMIN
