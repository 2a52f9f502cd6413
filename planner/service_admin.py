"""Service administration (superusers, /manage/): the councils the service hosts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from councils.models import Council, Invitation, Membership, Role
from planner import invitations
from planner.audit import record_history_user
from planner.defaults import ensure_council_defaults
from planner.models import BacklogItem


def _count(model: Any) -> Coalesce:
    # A subquery per count: joining both tables at once would multiply the rows.
    counts = (
        model.objects.filter(council=OuterRef("pk"))
        .order_by()
        .values("council")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def councils_with_counts() -> QuerySet[Council]:
    """Every council with its member and item counts, in one query."""
    return Council.objects.annotate(
        member_count=_count(Membership), item_count=_count(BacklogItem)
    ).order_by("name")


@transaction.atomic
def create_council(
    *,
    name: str,
    slug: str,
    nation: str,
    council_type: str,
    admin_email: str,
    created_by: Any,
    link_for: Callable[[str], str],
) -> tuple[Council, Invitation]:
    """A new council with the default themes, criteria and weightings, and an invitation
    for its first admin."""
    council = Council(name=name, slug=slug, nation=nation, council_type=council_type)
    record_history_user(council, created_by)
    council.save()
    ensure_council_defaults(council)
    invitation = invitations.invite(
        council=council,
        email=admin_email,
        role=Role.ADMIN,
        invited_by=created_by,
        link_for=link_for,
    )
    return council, invitation


@transaction.atomic
def set_active(*, council: Council, active: bool, user: Any) -> Council:
    """Deactivate (or reactivate) a council: its data stays, its pages 404 for members."""
    locked = Council.objects.select_for_update().get(pk=council.pk)
    locked.is_active = active
    record_history_user(locked, user)
    locked.save(update_fields=["is_active"])
    return locked
