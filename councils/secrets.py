"""The councils' single sign-on client secrets, encrypted at rest (Fernet, key: SSO_SECRET_KEY)."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretUnreadable(Exception):
    """The stored secret was encrypted with another key (SSO_SECRET_KEY changed)."""


def _fernet() -> Fernet:
    key = settings.SSO_SECRET_KEY
    if not key:
        raise ImproperlyConfigured(
            "Set SSO_SECRET_KEY (a Fernet key) to store single sign-on client secrets, "
            "or name an environment variable that holds the secret instead."
        )
    return Fernet(key.encode())


def secret_key_configured() -> bool:
    return bool(settings.SSO_SECRET_KEY)


def encrypt_secret(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt_secret(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise SecretUnreadable("The client secret cannot be read with SSO_SECRET_KEY.") from error
