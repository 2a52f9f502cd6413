"""A council's members (admins): change a role, remove a member, and the one rule that a
council always keeps an admin.

The rule must hold when two admins demote or remove each other at the same moment, so every
change of membership locks the council's row first: changes to one council's members then
run one after another, and each sees the admins the previous one left.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from councils.models import Council, Membership, Role
from planner.audit import delete_with_history, record_history_user


class LastAdminError(Exception):
    """The change would leave the council without an admin."""


def _lock_council(council: Council) -> None:
    Council.objects.select_for_update().filter(pk=council.pk).first()


def _is_last_admin(membership: Membership) -> bool:
    if membership.role < Role.ADMIN:
        return False
    others = Membership.objects.filter(council_id=membership.council_id, role__gte=Role.ADMIN)
    return not others.exclude(pk=membership.pk).exists()


@transaction.atomic
def change_role(*, council: Council, member_id: int, role: Role, user: Any) -> Membership:
    """Give one member of `council` a new role. Raises Membership.DoesNotExist for someone
    who is not (or no longer) a member, and LastAdminError for the last admin's demotion."""
    _lock_council(council)
    membership = Membership.objects.select_related("user").get(council=council, pk=member_id)
    if role < Role.ADMIN and _is_last_admin(membership):
        raise LastAdminError(membership.user.get_username())
    if membership.role != role:
        membership.role = role
        record_history_user(membership, user)
        membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def remove_member(*, council: Council, member_id: int, user: Any) -> Membership:
    """Remove one member from `council` (their account stays, for their other councils).
    Raises Membership.DoesNotExist and LastAdminError as change_role does."""
    _lock_council(council)
    membership = Membership.objects.select_related("user").get(council=council, pk=member_id)
    if _is_last_admin(membership):
        raise LastAdminError(membership.user.get_username())
    delete_with_history(membership, reason="removed from the council", user=user)
    return membership


def member_rows(council: Council) -> Any:
    """The council's members with their accounts, for the members page (one query)."""
    return (
        council.memberships.select_related("user")
        .order_by("-role", "user__username")
        .only("role", "user__username", "user__email", "user__last_login", "council_id")
    )
