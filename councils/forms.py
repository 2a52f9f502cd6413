from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import ValidationError

from councils.models import IdentityProvider, Role
from councils.secrets import secret_key_configured


class SignInForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "Enter a correct username and password. Both are case-sensitive.",
        "inactive": "This account is inactive.",
    }


class SsoEmailForm(forms.Form):
    """Home-realm discovery: the work email address tells us the council's provider."""

    email = forms.EmailField(
        label="Work email address",
        max_length=254,
        error_messages={
            "required": "Enter your work email address",
            "invalid": "Enter an email address in the correct format, like name@council.gov.uk",
        },
    )


ROLE_NAMES = {role.label.lower(): role for role in Role}


def _parse_group_roles(text: str) -> dict[str, int]:
    mapping: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        group, equals, role_name = line.rpartition("=")
        role = ROLE_NAMES.get(role_name.strip().lower())
        if not equals or not group.strip() or role is None:
            raise ValidationError(
                f"Line {number}: write one group a line as “group = role”, where the role is "
                "viewer, editor, approver or admin"
            )
        mapping[group.strip()] = int(role)
    return mapping


class IdentityProviderForm(forms.Form):
    """The council's sign-in settings. The secret is write-only: never shown once saved."""

    issuer_url = forms.URLField(
        label="Issuer URL",
        max_length=300,
        assume_scheme="https",
        help_text="For Microsoft Entra ID: https://login.microsoftonline.com/<tenant ID>/v2.0",
        error_messages={
            "required": "Enter the issuer URL",
            "invalid": "Enter the issuer URL as a web address",
        },
    )
    client_id = forms.CharField(
        label="Client ID", max_length=200, error_messages={"required": "Enter the client ID"}
    )
    client_secret = forms.CharField(
        label="Client secret",
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False),
    )
    client_secret_env = forms.RegexField(
        label="Or the name of an environment variable holding the client secret",
        regex=r"^[A-Z_][A-Z0-9_]*$",
        required=False,
        max_length=100,
        help_text="For example NORTHMOOR_SSO_SECRET. "
        "Leave blank to store the secret above, encrypted.",
        error_messages={
            "invalid": "Enter a variable name in capital letters, digits and underscores"
        },
    )
    allowed_domains = forms.CharField(
        label="Allowed email domains",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One a line, for example northmoor.gov.uk. "
        "People with these addresses are sent to your provider.",
        error_messages={"required": "Enter at least one email domain"},
    )
    group_roles = forms.CharField(
        label="Groups and roles",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One a line as “group = role”, "
        "for example “Digital-Planner-Approvers = approver”. "
        "Use the group's name or ID exactly as the groups claim sends it.",
        error_messages={"required": "Map at least one group to a role"},
    )
    groups_claim = forms.RegexField(
        label="Groups claim",
        regex=r"^[A-Za-z0-9_:.\-]+$",
        max_length=60,
        initial="groups",
        error_messages={
            "required": "Enter the name of the groups claim",
            "invalid": "Enter a claim name without spaces",
        },
    )
    enabled = forms.BooleanField(label="Let people sign in with this provider", required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, has_secret: bool, council_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.has_secret = has_secret
        self.council_id = council_id
        self.fields["client_secret"].help_text = (
            "A secret is saved. It is never shown again: enter a new one only to replace it."
            if has_secret
            else "Stored encrypted. It is never shown again once saved."
        )

    def clean_issuer_url(self) -> str:
        url = self.cleaned_data["issuer_url"].rstrip("/")
        if not url.startswith("https://") and not settings.SSO_ALLOW_HTTP_ISSUER:
            raise ValidationError("Enter an issuer URL that starts with https://")
        return url

    def clean_allowed_domains(self) -> list[str]:
        domains = [
            d.strip().lower().lstrip("@") for d in self.cleaned_data["allowed_domains"].split()
        ]
        domains = [d for d in dict.fromkeys(domains) if d]
        for domain in domains:
            if not DOMAIN.fullmatch(domain):
                raise ValidationError(
                    f"“{domain}” is not a domain: enter domains like northmoor.gov.uk"
                )
        taken = [
            domain
            for provider in IdentityProvider.objects.exclude(council_id=self.council_id).filter(
                enabled=True
            )
            for domain in provider.allowed_domains
            if domain in domains
        ]
        if taken:
            raise ValidationError(f"Another council's sign-in already uses {', '.join(taken)}")
        return domains

    def clean_group_roles(self) -> dict[str, int]:
        return _parse_group_roles(self.cleaned_data["group_roles"])

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        if (
            not (cleaned or {}).get("client_secret")
            and not (cleaned or {}).get("client_secret_env")
            and not self.has_secret
        ):
            self.add_error(
                "client_secret", "Enter the client secret, or the name of a variable that holds it"
            )
        if (cleaned or {}).get("client_secret") and not secret_key_configured():
            self.add_error(
                "client_secret",
                "This service cannot store secrets: SSO_SECRET_KEY is not set. "
                "Name an environment variable instead",
            )
        return cleaned

    def report_stale(self, message: str) -> None:
        """Show `message` on an unbound form holding the settings someone else saved."""
        self.full_clean()
        self.cleaned_data = {}
        self.add_error(None, message)


DOMAIN = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+")


def provider_initial(provider: IdentityProvider | None) -> dict[str, Any]:
    """The form's values for the saved provider (the secret is never among them)."""
    if provider is None:
        return {"groups_claim": "groups", "version": 0}
    names = {int(role): role.label.lower() for role in Role}
    return {
        "issuer_url": provider.issuer_url,
        "client_id": provider.client_id,
        "client_secret_env": provider.client_secret_env,
        "allowed_domains": "\n".join(provider.allowed_domains),
        "group_roles": "\n".join(
            f"{group} = {names[role]}" for group, role in provider.group_roles.items()
        ),
        "groups_claim": provider.groups_claim,
        "enabled": provider.enabled,
        "version": provider.version,
    }


class TwoFactorCodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=32,
        help_text="The 6-digit code your authenticator app shows, or one of your recovery codes.",
        error_messages={"required": "Enter the code from your authenticator app"},
    )


class AccountPasswordChangeForm(PasswordChangeForm):
    """Django's form with GOV.UK-style messages that say which box is empty."""

    REQUIRED = {
        "old_password": "Enter your current password",
        "new_password1": "Enter a new password",
        "new_password2": "Enter the new password again",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, message in self.REQUIRED.items():
            self.fields[name].error_messages["required"] = message
