"""The one access helper every council-scoped view starts with."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from councils.models import Council, Membership, Role


@dataclass(frozen=True, slots=True)
class CouncilAccess:
    """A signed-in member's way into one council: the council and their membership.

    Views pass it to templates as `access` (the page header shows `access.membership`'s
    role, the menu offers what `access.role` allows).
    """

    council: Council
    membership: Membership

    @property
    def role(self) -> Role:
        return Role(self.membership.role)

    @property
    def can_edit(self) -> bool:
        return self.membership.can_edit

    @property
    def can_approve(self) -> bool:
        return self.membership.can_approve

    @property
    def is_admin(self) -> bool:
        return self.membership.is_admin


def _has_nul(request: HttpRequest) -> bool:
    """Whether the path or any query parameter (name or value) holds a NUL byte."""
    if "\x00" in request.path_info:
        return True
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for key, values in request.GET.lists()
    )


def council_for(request: HttpRequest, slug: str, *, min_role: Role = Role.VIEWER) -> CouncilAccess:
    """The council and the user's membership of it, if they have at least `min_role`.

    A non-member gets a 404 whether or not the council exists, so the URL space
    never reveals another council. A member whose role is too low gets a 403.
    Anonymous visitors never reach here: views are wrapped in `login_required`.
    """
    user = request.user
    if not user.is_authenticated:
        raise Http404
    if _has_nul(request):
        # PostgreSQL refuses NUL in a text value with an error; no reference, slug or
        # filter value has one, so the page does not exist.
        raise Http404("No such page.")
    # A deactivated council's pages are gone for its members, exactly as for strangers.
    membership = (
        Membership.objects.select_related("council")
        .filter(user=user, council__slug=slug, council__is_active=True)
        .first()
    )
    if membership is None:
        raise Http404("No council found.")
    if membership.role < min_role:
        raise PermissionDenied("Your role in this council does not allow this.")
    return CouncilAccess(council=membership.council, membership=membership)
