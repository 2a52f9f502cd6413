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


def test_member_gets_their_council_with_membership_attached(council):
    user = UserFactory()
    MembershipFactory(user=user, council=council, role=Role.EDITOR)
    found = council_for(_request(user), council.slug, min_role=Role.EDITOR)
    assert found == council
    assert found.membership.role == Role.EDITOR


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
    assert council_for(_request(user), council.slug, min_role=Role.EDITOR) == council


def test_superuser_without_membership_still_gets_404(council):
    # Superusers use Django admin; the planner pages follow membership only.
    user = UserFactory(is_superuser=True, is_staff=True)
    with pytest.raises(Http404):
        council_for(_request(user), council.slug)
