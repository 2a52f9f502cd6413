"""The one access helper every council-scoped view starts with."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from councils.models import Council, Membership, Role


def council_for(request: HttpRequest, slug: str, *, min_role: Role = Role.VIEWER) -> Council:
    """Return the council if the user belongs to it with at least `min_role`.

    A non-member gets a 404 whether or not the council exists, so the URL space
    never reveals another council. A member whose role is too low gets a 403.
    Anonymous visitors never reach here: views are wrapped in `login_required`.
    The membership is attached as `council.membership` for templates and views.
    """
    user = request.user
    if not user.is_authenticated:
        raise Http404
    membership = (
        Membership.objects.select_related("council").filter(user=user, council__slug=slug).first()
    )
    if membership is None:
        raise Http404("No council found.")
    if membership.role < min_role:
        raise PermissionDenied("Your role in this council does not allow this.")
    council = membership.council
    council.membership = membership
    return council
