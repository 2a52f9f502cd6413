"""Members of a council (admins): the list, roles, removal and the last-admin rule."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from councils.models import Membership, Role
from planner import members
from tests.concurrency import at_once, council_with_member, needs_postgres
from tests.conftest import MemberClient
from tests.factories import MembershipFactory, UserFactory


def _url(council, name="members", *args):
    return reverse(name, args=[council.slug, *args])


@pytest.mark.django_db
def test_members_page_lists_each_member_with_role_and_last_sign_in(
    admin_client_for_council, council
):
    signed_in = UserFactory(username="ceri", email="ceri@example.gov.uk")
    signed_in.last_login = timezone.make_aware(timezone.datetime(2026, 3, 2, 9, 30))
    signed_in.save()
    MembershipFactory(user=signed_in, council=council, role=Role.EDITOR)
    MembershipFactory(user=UserFactory(username="dewi"), council=council, role=Role.VIEWER)

    html = admin_client_for_council.get(_url(council)).content.decode()

    assert "ceri@example.gov.uk" in html
    assert "2 March 2026, 09:30" in html
    assert "Never" in html  # dewi has not signed in
    assert "(you)" in html


@pytest.mark.django_db
def test_members_page_query_count_does_not_grow_with_members(
    admin_client_for_council, council, django_assert_max_num_queries
):
    for n in range(3):
        MembershipFactory(council=council, role=Role.EDITOR, user=UserFactory(username=f"a{n}"))
    with django_assert_max_num_queries(12) as few:
        admin_client_for_council.get(_url(council))
    for n in range(20):
        MembershipFactory(council=council, role=Role.VIEWER, user=UserFactory(username=f"b{n}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin_client_for_council.get(_url(council))
    assert response.content.decode().count('id="member-') == 24  # the admin, 3 and 20


@pytest.mark.django_db
def test_approver_cannot_open_members(approver_client, council):
    assert approver_client.get(_url(council)).status_code == 403


@pytest.mark.django_db
def test_admin_changes_a_role_and_history_records_who(admin_client_for_council, council):
    membership = MembershipFactory(council=council, role=Role.VIEWER)

    response = admin_client_for_council.post(
        _url(council, "member_role", membership.pk), {f"m{membership.pk}-role": Role.APPROVER}
    )

    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.APPROVER
    latest = membership.history.first()
    assert latest.role == Role.APPROVER
    assert latest.history_user == admin_client_for_council.user


@pytest.mark.django_db
def test_an_unknown_role_is_refused_and_nothing_changes(admin_client_for_council, council):
    membership = MembershipFactory(council=council, role=Role.VIEWER)

    response = admin_client_for_council.post(
        _url(council, "member_role", membership.pk), {f"m{membership.pk}-role": "99"}
    )

    assert response.status_code == 400
    assert "Choose a role" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.VIEWER


@pytest.mark.django_db
def test_the_last_admin_cannot_demote_themselves(admin_client_for_council, council):
    own = Membership.objects.get(user=admin_client_for_council.user, council=council)

    response = admin_client_for_council.post(
        _url(council, "member_role", own.pk), {f"m{own.pk}-role": Role.EDITOR}
    )

    assert response.status_code == 400
    assert "only admin" in response.content.decode()
    own.refresh_from_db()
    assert own.role == Role.ADMIN


@pytest.mark.django_db
def test_the_last_admin_cannot_be_removed(admin_client_for_council, council):
    own = Membership.objects.get(user=admin_client_for_council.user, council=council)

    response = admin_client_for_council.post(_url(council, "member_remove", own.pk))

    assert response.status_code == 400
    assert "only admin" in response.content.decode()
    assert Membership.objects.filter(pk=own.pk).exists()


@pytest.mark.django_db
def test_an_admin_can_step_down_once_there_is_another_admin(admin_client_for_council, council):
    MembershipFactory(council=council, role=Role.ADMIN)
    own = Membership.objects.get(user=admin_client_for_council.user, council=council)

    response = admin_client_for_council.post(
        _url(council, "member_role", own.pk), {f"m{own.pk}-role": Role.EDITOR}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard", args=[council.slug])
    own.refresh_from_db()
    assert own.role == Role.EDITOR


@pytest.mark.django_db
def test_removing_a_member_keeps_their_account_and_records_the_removal(
    admin_client_for_council, council
):
    membership = MembershipFactory(council=council, role=Role.EDITOR)

    response = admin_client_for_council.post(_url(council, "member_remove", membership.pk))

    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert type(membership.user).objects.filter(pk=membership.user_id).exists()
    deleted = Membership.history.filter(id=membership.pk, history_type="-").get()
    assert deleted.history_user == admin_client_for_council.user


@pytest.mark.django_db
def test_another_councils_member_is_404(admin_client_for_council, council, other_council):
    elsewhere = MembershipFactory(council=other_council, role=Role.EDITOR)

    response = admin_client_for_council.post(_url(council, "member_remove", elsewhere.pk))

    assert response.status_code == 404
    assert Membership.objects.filter(pk=elsewhere.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_two_admins_demoting_each_other_at_once_leave_one_admin():
    needs_postgres()
    council, first = council_with_member(Role.ADMIN)
    second = UserFactory()
    MembershipFactory(user=second, council=council, role=Role.ADMIN)
    memberships = list(council.memberships.order_by("pk"))
    users = [first, second]

    def demote_the_other(n: int) -> int:
        other = memberships[1 - n]
        url = reverse("member_role", args=[council.slug, other.pk])
        return MemberClient(users[n]).post(url, {f"m{other.pk}-role": Role.EDITOR}).status_code

    statuses = sorted(at_once(2, demote_the_other))

    # The loser is refused by the last-admin rule (400), or, had the winner committed
    # before its role was read, as no longer an admin (403).
    assert statuses[0] == 302
    assert statuses[1] in {400, 403}
    assert council.memberships.filter(role=Role.ADMIN).count() == 1


@pytest.mark.django_db
def test_service_refuses_to_remove_the_last_admin(council):
    admin = MembershipFactory(council=council, role=Role.ADMIN)
    with pytest.raises(members.LastAdminError):
        members.remove_member(council=council, member_id=admin.pk, user=None)
    assert Membership.objects.filter(pk=admin.pk).exists()
