from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory

from councils.access import council_for
from councils.models import Role
from tests.factories import MembershipFactory, UserFactory


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_member_gets_their_council_and_membership(council):
    user = UserFactory()
    membership = MembershipFactory(user=user, council=council, role=Role.EDITOR)
    access = council_for(_request(user), council.slug, min_role=Role.EDITOR)
    assert access.council == council
    assert access.membership == membership
    assert access.role == Role.EDITOR
    assert access.can_edit
    assert not access.is_admin


@pytest.mark.parametrize(
    ("role", "can_edit", "is_admin"),
    [(Role.VIEWER, False, False), (Role.EDITOR, True, False), (Role.ADMIN, True, True)],
)
def test_access_says_what_the_role_allows(council, role, can_edit, is_admin):
    user = UserFactory()
    MembershipFactory(user=user, council=council, role=role)
    access = council_for(_request(user), council.slug)
    assert (access.role, access.can_edit, access.is_admin) == (role, can_edit, is_admin)


def test_non_member_gets_404(council, other_council):
    user = UserFactory()
    MembershipFactory(user=user, council=other_council, role=Role.ADMIN)
    with pytest.raises(Http404):
        council_for(_request(user), council.slug)


def test_member_with_too_low_role_gets_403(council):
    user = UserFactory()
    MembershipFactory(user=user, council=council, role=Role.VIEWER)
    with pytest.raises(PermissionDenied):
        council_for(_request(user), council.slug, min_role=Role.EDITOR)


def test_admin_passes_editor_check(council):
    user = UserFactory()
    MembershipFactory(user=user, council=council, role=Role.ADMIN)
    assert council_for(_request(user), council.slug, min_role=Role.EDITOR).council == council


def test_superuser_without_membership_still_gets_404(council):
    # Superusers use Django admin; the planner pages follow membership only.
    user = UserFactory(is_superuser=True, is_staff=True)
    with pytest.raises(Http404):
        council_for(_request(user), council.slug)
