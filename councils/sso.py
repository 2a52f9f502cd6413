"""Single sign-on: which council's identity provider an email address belongs to, who a
token from that provider may be, and the membership its groups give them.

The protocol (discovery, the code flow, the ID token's issuer, audience and expiry) is
django-allauth's; this module only holds the council's rules around it
(docs/adr/0008-single-sign-on.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction

from councils.models import Council, IdentityProvider, Membership, Role, email_domain
from councils.secrets import encrypt_secret


class SignInRefused(Exception):
    """The provider vouched for someone this council's settings do not let in.
    The message is shown to them."""


class StaleProvider(Exception):
    """Someone else saved the sign-in settings since the form was shown."""


def provider_for_email(email: str) -> IdentityProvider | None:
    """Home-realm discovery: the enabled provider that claims the address's domain.

    Councils have one provider each and a handful exist, so the domains are matched here
    rather than by a JSON query (which SQLite, the embedded default, cannot do)."""
    domain = email_domain(email)
    if not domain:
        return None
    for provider in IdentityProvider.objects.filter(enabled=True).select_related("council"):
        if domain in provider.allowed_domains:
            return provider
    return None


def enabled_providers() -> list[IdentityProvider]:
    return list(IdentityProvider.objects.filter(enabled=True).select_related("council"))


@dataclass(frozen=True, slots=True)
class Admission:
    """What a verified ID token lets its holder have: a role in one council."""

    provider: IdentityProvider
    email: str
    role: Role | None


def admit(*, provider_id: str, claims: dict[str, Any]) -> Admission:
    """Check a verified token's claims against the council's settings.

    `provider_id` is the allauth app the token came through, i.e. the council's slug, so a
    token from council A's provider can only ever concern council A."""
    provider = (
        IdentityProvider.objects.select_related("council")
        .filter(council__slug=provider_id, enabled=True)
        .first()
    )
    if provider is None:
        raise SignInRefused("Single sign-on is not switched on for this council.")
    email = str(claims.get("email") or "").strip().lower()
    if not provider.allows_email(email):
        raise SignInRefused(
            "Your council's sign-in service did not give an email address in one of the "
            "council's domains, so you cannot sign in this way. Ask your council's administrator."
        )
    groups = claims.get(provider.groups_claim) or []
    if not isinstance(groups, list):
        groups = [groups]
    return Admission(
        provider=provider, email=email, role=provider.role_for_groups([str(g) for g in groups])
    )


NO_ROLE_MESSAGE = (
    "You signed in, but you are not in any of the groups that give access to the planner "
    "for {council}. Ask your council's administrator to add you to one."
)


def user_to_connect(admission: Admission) -> User | None:
    """An existing account with the token's email address that this sign-in may take over.

    Only an account that belongs to no council other than the provider's one: an identity
    provider can put any address in its tokens, so council A's must never reach an account
    that council B (or the service) administers. Raises SignInRefused for such an account."""
    user_model = get_user_model()
    existing = user_model.objects.filter(email__iexact=admission.email).first()
    if existing is None:
        return None
    council = admission.provider.council
    other_councils = Membership.objects.filter(user=existing).exclude(council=council)
    if existing.is_staff or existing.is_superuser or other_councils.exists():
        raise SignInRefused(
            "An account with your email address already exists and belongs to another "
            "council, so single sign-on cannot use it. Sign in with your password, or ask "
            "your administrator."
        )
    return existing


@transaction.atomic
def apply_role(*, user: User, council: Council, role: Role | None) -> None:
    """Make the user's membership of `council` follow their groups at every sign-in.

    No mapped group any more means no membership: the council's directory is the source of
    truth for who may see its plans. Other councils' memberships are never touched."""
    if role is None:
        Membership.objects.filter(user=user, council=council).delete()
        return
    Membership.objects.update_or_create(user=user, council=council, defaults={"role": role})


@dataclass(frozen=True, slots=True)
class ProviderSettings:
    issuer_url: str
    client_id: str
    client_secret: str  # "" keeps the stored secret
    client_secret_env: str
    allowed_domains: list[str]
    group_roles: dict[str, int]
    groups_claim: str
    enabled: bool


@transaction.atomic
def save_provider(*, council: Council, version: int, values: ProviderSettings) -> IdentityProvider:
    """Create or update the council's provider; raises StaleProvider on a stale version.

    A new secret replaces the stored one (encrypted) and clears any environment variable
    name; naming a variable drops the stored secret. A blank secret keeps what is there."""
    provider = IdentityProvider.objects.select_for_update().filter(council=council).first()
    if provider is None:
        if version != 0:
            raise StaleProvider
        provider = IdentityProvider(council=council, version=0)
    elif provider.version != version:
        raise StaleProvider
    provider.issuer_url = values.issuer_url
    provider.client_id = values.client_id
    provider.allowed_domains = values.allowed_domains
    provider.group_roles = values.group_roles
    provider.groups_claim = values.groups_claim
    provider.enabled = values.enabled
    if values.client_secret:
        provider.client_secret_encrypted = encrypt_secret(values.client_secret)
        provider.client_secret_env = ""
    elif values.client_secret_env:
        provider.client_secret_env = values.client_secret_env
        provider.client_secret_encrypted = ""
    provider.version += 1
    provider.save()
    return provider
