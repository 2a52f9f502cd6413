"""Who the change history (django-simple-history) records as making a change."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models


def record_history_user(instance: models.Model, user: AbstractBaseUser | None) -> None:
    """Record `user` as the author of `instance`'s next saved or deleted history row.

    Services call this rather than relying on simple-history's request middleware: a
    Celery task or a management command has no request, and a view's user is explicit.
    simple-history reads the private `_history_user` attribute: set it only through here.
    """
    instance._history_user = user  # type: ignore[attr-defined]  # simple-history's hook


def record_change_reason(instance: models.Model, reason: str) -> None:
    """Record why `instance` changed, on its next history row (simple-history's hook)."""
    instance._change_reason = reason  # type: ignore[attr-defined]  # simple-history's hook


def delete_with_history(
    instance: models.Model, *, reason: str, user: AbstractBaseUser | None
) -> None:
    """Delete `instance`, its last history row saying why and, when given, who. Without a
    user simple-history's usual source (the request, if any) stands."""
    record_change_reason(instance, reason)
    if user is not None:
        record_history_user(instance, user)
    instance.delete()
