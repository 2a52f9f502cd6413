"""The council's sign-in settings page and home-realm discovery (no provider needed)."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.urls import reverse

from councils.models import IdentityProvider, Role
from councils.secrets import decrypt_secret, encrypt_secret
from councils.sso import provider_for_email

pytestmark = pytest.mark.django_db

SECRET = "s3cret-value-from-entra"


@pytest.fixture(autouse=True)
def secret_key(settings):
    settings.SSO_SECRET_KEY = Fernet.generate_key().decode()
    settings.SSO_ALLOW_HTTP_ISSUER = False


def url(council) -> str:
    return reverse("sso_settings", args=[council.slug])


def form_data(**overrides):
    data = {
        "issuer_url": "https://login.microsoftonline.com/tenant-id/v2.0/",
        "client_id": "client-id",
        "client_secret": SECRET,
        "client_secret_env": "",
        "allowed_domains": "Testshire.gov.uk\n@testshire.gov.uk",
        "groups_claim": "groups",
        "group_roles": "Digital-Planner-Approvers = approver\nDigital-Planner-Editors=Editor",
        "enabled": "on",
        "version": "0",
    }
    data.update(overrides)
    return data


def test_admin_saves_the_provider_with_the_secret_encrypted(admin_client_for_council, council):
    response = admin_client_for_council.post(url(council), form_data())

    assert response.status_code == 302
    provider = IdentityProvider.objects.get(council=council)
    assert provider.issuer_url == "https://login.microsoftonline.com/tenant-id/v2.0"
    assert provider.allowed_domains == ["testshire.gov.uk"]
    assert provider.group_roles == {
        "Digital-Planner-Approvers": Role.APPROVER,
        "Digital-Planner-Editors": Role.EDITOR,
    }
    assert SECRET not in provider.client_secret_encrypted
    assert provider.client_secret() == SECRET
    assert provider.enabled and provider.version == 1


def test_the_secret_is_never_shown_again(admin_client_for_council, council):
    admin_client_for_council.post(url(council), form_data())

    page = admin_client_for_council.get(url(council)).content.decode()

    assert SECRET not in page
    assert IdentityProvider.objects.get(council=council).client_secret_encrypted not in page
    assert "A secret is saved" in page
    assert "/accounts/oidc/" + council.slug + "/login/callback/" in page


def test_a_blank_secret_keeps_the_saved_one(admin_client_for_council, council):
    admin_client_for_council.post(url(council), form_data())

    response = admin_client_for_council.post(
        url(council), form_data(client_secret="", client_id="new-id", version="1")
    )

    assert response.status_code == 302
    provider = IdentityProvider.objects.get(council=council)
    assert (provider.client_id, provider.client_secret()) == ("new-id", SECRET)


def test_an_environment_variable_can_hold_the_secret(
    admin_client_for_council, council, monkeypatch
):
    monkeypatch.setenv("TESTSHIRE_SSO_SECRET", "from-the-environment")

    admin_client_for_council.post(
        url(council), form_data(client_secret="", client_secret_env="TESTSHIRE_SSO_SECRET")
    )

    provider = IdentityProvider.objects.get(council=council)
    assert provider.client_secret_encrypted == ""
    assert provider.client_secret() == "from-the-environment"


def test_a_first_save_needs_a_secret(admin_client_for_council, council):
    response = admin_client_for_council.post(url(council), form_data(client_secret=""))

    assert response.status_code == 400
    assert "Enter the client secret" in response.content.decode()
    assert not IdentityProvider.objects.exists()


def test_a_secret_cannot_be_stored_without_the_key(admin_client_for_council, council, settings):
    settings.SSO_SECRET_KEY = ""

    response = admin_client_for_council.post(url(council), form_data())

    assert response.status_code == 400
    assert "SSO_SECRET_KEY is not set" in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("group_roles", "Approvers -> approver", "Line 1: write one group a line"),
        ("group_roles", "Approvers = boss", "Line 1: write one group a line"),
        ("allowed_domains", "not a domain!", "is not a domain"),
        ("issuer_url", "http://idp.example.com", "starts with https://"),
        ("client_secret_env", "lower case", "capital letters"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(
    admin_client_for_council, council, field, value, message
):
    response = admin_client_for_council.post(url(council), form_data(**{field: value}))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not IdentityProvider.objects.exists()


def test_a_domain_another_council_uses_is_refused(admin_client_for_council, council, other_council):
    IdentityProvider.objects.create(
        council=other_council,
        issuer_url="https://idp.example.com",
        client_id="x",
        allowed_domains=["testshire.gov.uk"],
        enabled=True,
    )

    response = admin_client_for_council.post(url(council), form_data())

    assert response.status_code == 400
    assert "Another council" in response.content.decode()


def test_a_stale_save_is_refused_with_409(admin_client_for_council, council):
    admin_client_for_council.post(url(council), form_data())

    response = admin_client_for_council.post(url(council), form_data(client_id="late", version="0"))

    assert response.status_code == 409
    assert "Someone else saved" in response.content.decode()
    assert IdentityProvider.objects.get(council=council).client_id == "client-id"


@pytest.mark.parametrize("role_client", ["approver_client", "editor_client", "viewer_client"])
def test_only_admins_see_the_sign_in_settings(request, council, role_client):
    client = request.getfixturevalue(role_client)

    assert client.get(url(council)).status_code == 403
    assert client.post(url(council), form_data()).status_code == 403
    assert not IdentityProvider.objects.exists()


def test_another_councils_admin_gets_404(outsider_client, council):
    assert outsider_client.get(url(council)).status_code == 404


def test_the_settings_page_makes_few_queries(
    admin_client_for_council, council, django_assert_max_num_queries
):
    admin_client_for_council.post(url(council), form_data())

    with django_assert_max_num_queries(8):
        assert admin_client_for_council.get(url(council)).status_code == 200


def test_a_stored_secret_decrypts_only_with_its_key(settings):
    token = encrypt_secret("abc")
    settings.SSO_SECRET_KEY = Fernet.generate_key().decode()

    with pytest.raises(Exception, match="cannot be read"):
        decrypt_secret(token)


def test_discovery_finds_the_provider_by_domain_case_insensitively(council):
    provider = IdentityProvider.objects.create(
        council=council,
        issuer_url="https://idp.example.com",
        client_id="x",
        allowed_domains=["testshire.gov.uk"],
        enabled=True,
    )

    assert provider_for_email("Jo.Bloggs@TESTSHIRE.gov.uk") == provider
    assert provider_for_email("jo@testshire.gov.uk.evil.example") is None
    assert provider_for_email("no-at-sign") is None


def test_an_unknown_domain_points_at_the_password_form(client):
    response = client.post(reverse("sso_login"), {"email": "someone@nowhere.example"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Sign in with your username and password below" in page
    assert 'value="someone@nowhere.example"' in page
    assert 'name="password"' in page


def test_a_malformed_email_is_explained(client):
    response = client.post(reverse("sso_login"), {"email": "not an email"})

    assert response.status_code == 400
    assert "Enter an email address in the correct format" in response.content.decode()


def test_discovery_only_takes_posts(client):
    assert client.get(reverse("sso_login")).status_code == 405


def test_the_sign_in_page_offers_single_sign_on_above_the_password_form(client):
    page = client.get(reverse("login")).content.decode()

    assert page.index('action="/login/sso/"') < page.index('name="password"')


def test_an_unreadable_secret_sends_people_to_the_password_form(client, council, settings):
    IdentityProvider.objects.create(
        council=council,
        issuer_url="https://idp.example.com",
        client_id="x",
        client_secret_encrypted=encrypt_secret("abc"),
        allowed_domains=["testshire.gov.uk"],
        enabled=True,
    )
    settings.SSO_SECRET_KEY = Fernet.generate_key().decode()

    response = client.post(reverse("sso_login"), {"email": "jo@testshire.gov.uk"})

    assert response.status_code == 400
    assert "Single sign-on for your council is not working" in response.content.decode()
