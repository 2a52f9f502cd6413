"""Invitations by email: sending, accepting (new account, existing account, signed in),
expiry, reuse, the wrong email and a tampered link."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from councils.models import Invitation, Membership, Role
from planner import invitations
from tests.concurrency import at_once, council_with_member, needs_postgres
from tests.conftest import MemberClient
from tests.factories import MembershipFactory, UserFactory

GOOD_PASSWORD = "plum-kettle-harbour-42"


def _invite(council, email="new.person@example.gov.uk", role=Role.EDITOR, by=None):
    invitation = invitations.invite(
        council=council,
        email=email,
        role=role,
        invited_by=by,
        link_for=lambda token: f"http://testserver{reverse('invitation', args=[token])}",
    )
    return invitation, reverse("invitation", args=[invitations.token_for(invitation)])


def _new_account(username="newperson", password=GOOD_PASSWORD, again=None):
    return {"username": username, "password1": password, "password2": again or password}


@pytest.mark.django_db
def test_admin_invites_by_email_and_the_email_holds_the_link(
    admin_client_for_council, council, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_for_council.post(
            reverse("members", args=[council.slug]),
            {"email": "ffion@example.gov.uk", "role": Role.APPROVER},
        )

    assert response.status_code == 302
    invitation = Invitation.objects.get(council=council)
    assert (invitation.email, invitation.role) == ("ffion@example.gov.uk", Role.APPROVER)
    assert invitation.invited_by == admin_client_for_council.user
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ffion@example.gov.uk"]
    link = re.search(r"http://testserver(/invitations/\S+/)", mailoutbox[0].body).group(1)
    assert invitations.find(link.split("/")[2]) == invitation
    page = admin_client_for_council.get(reverse("members", args=[council.slug])).content.decode()
    assert "ffion@example.gov.uk" in page  # listed as not yet accepted


@pytest.mark.django_db
def test_inviting_a_bad_address_is_refused_and_sends_nothing(
    admin_client_for_council, council, mailoutbox
):
    response = admin_client_for_council.post(
        reverse("members", args=[council.slug]), {"email": "not-an-email", "role": Role.EDITOR}
    )
    assert response.status_code == 400
    assert "Enter an email address in the correct format" in response.content.decode()
    assert not Invitation.objects.exists()
    assert mailoutbox == []


@pytest.mark.django_db
def test_inviting_someone_already_a_member_is_refused(admin_client_for_council, council):
    MembershipFactory(council=council, user=UserFactory(email="here@example.gov.uk"))
    response = admin_client_for_council.post(
        reverse("members", args=[council.slug]),
        {"email": "HERE@example.gov.uk", "role": Role.EDITOR},
    )
    assert response.status_code == 400
    assert "already a member" in response.content.decode()


@pytest.mark.django_db
def test_accepting_creates_the_account_with_the_invited_role(client, council):
    invitation, url = _invite(council, role=Role.APPROVER)

    response = client.post(url, _new_account())

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    user = get_user_model().objects.get(username="newperson")
    assert user.email == "new.person@example.gov.uk"
    assert user.check_password(GOOD_PASSWORD)
    assert Membership.objects.get(user=user, council=council).role == Role.APPROVER
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    assert invitation.history.first().accepted_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "again", "message"),
    [
        ("short1", None, "This password is too short"),
        ("password123", None, "This password is too common"),
        (GOOD_PASSWORD, "something-else-77", "The passwords do not match"),
    ],
)
def test_a_weak_or_mismatched_password_is_refused_and_nothing_is_created(
    client, council, password, again, message
):
    invitation, url = _invite(council)

    response = client.post(url, _new_account(password=password, again=again))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not get_user_model().objects.filter(username="newperson").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


@pytest.mark.django_db
def test_a_taken_username_is_refused(client, council):
    UserFactory(username="newperson")
    _, url = _invite(council)
    response = client.post(url, _new_account())
    assert response.status_code == 400
    assert "That username is taken" in response.content.decode()


@pytest.mark.django_db
def test_an_invitation_works_only_once(client, council):
    _, url = _invite(council)
    assert client.post(url, _new_account()).status_code == 302

    again = client.post(url, _new_account(username="someoneelse"))

    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    assert not get_user_model().objects.filter(username="someoneelse").exists()


@pytest.mark.django_db
def test_an_invitation_expires_after_seven_days(client, council):
    invitation, url = _invite(council)
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - timedelta(days=7, minutes=1)
    )

    response = client.post(url, _new_account())

    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not get_user_model().objects.filter(username="newperson").exists()


@pytest.mark.django_db
def test_a_link_signed_more_than_seven_days_ago_is_expired(client, council, monkeypatch):
    invitation, _ = _invite(council)
    eight_days_ago = timezone.now().timestamp() - 8 * 24 * 3600
    monkeypatch.setattr("django.core.signing.time.time", lambda: eight_days_ago)
    old_token = invitations.token_for(invitation)
    monkeypatch.undo()

    response = client.get(reverse("invitation", args=[old_token]))

    assert response.status_code == 410
    assert "expired" in response.content.decode()


@pytest.mark.django_db
def test_a_tampered_link_is_refused(client, council):
    invitation, _ = _invite(council)
    token = invitations.token_for(invitation)
    forged = token.replace(token.split(":")[0], "OTk5", 1)  # another id, old signature

    response = client.get(reverse("invitation", args=[forged]))

    assert response.status_code == 410
    assert "not valid" in response.content.decode()


@pytest.mark.django_db
def test_someone_signed_in_with_another_email_is_refused(council):
    invitation, url = _invite(council, email="invited@example.gov.uk")
    stranger = UserFactory(username="stranger", email="stranger@example.gov.uk")

    response = MemberClient(stranger).post(url)

    assert response.status_code == 403
    assert "This invitation is for invited@example.gov.uk" in response.content.decode()
    assert not Membership.objects.filter(user=stranger, council=council).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


@pytest.mark.django_db
def test_a_signed_in_user_with_the_invited_email_joins_with_their_account(council, other_council):
    invitation, url = _invite(council, email="Owain@Example.gov.uk", role=Role.EDITOR)
    owain = UserFactory(username="owain", email="owain@example.gov.uk")
    MembershipFactory(user=owain, council=other_council, role=Role.ADMIN)
    client = MemberClient(owain)

    assert "Accept and join" in client.get(url).content.decode()
    response = client.post(url)

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard", args=[council.slug])
    assert Membership.objects.get(user=owain, council=council).role == Role.EDITOR
    assert Membership.objects.get(user=owain, council=other_council).role == Role.ADMIN


@pytest.mark.django_db
def test_an_existing_account_is_asked_to_sign_in_not_to_create_another(client, council):
    UserFactory(username="owain", email="owain@example.gov.uk")
    _, url = _invite(council, email="owain@example.gov.uk")

    page = client.get(url).content.decode()
    client.post(url, _new_account(username="owain2"))

    assert "Sign in to accept" in page
    assert f"{reverse('login')}?next=" in page
    assert not get_user_model().objects.filter(username="owain2").exists()


@pytest.mark.django_db
def test_an_existing_member_keeps_their_role(council):
    user = UserFactory(email="member@example.gov.uk")
    MembershipFactory(user=user, council=council, role=Role.ADMIN)
    _, url = _invite(council, email="member@example.gov.uk", role=Role.VIEWER)

    assert MemberClient(user).post(url).status_code == 302
    assert Membership.objects.get(user=user, council=council).role == Role.ADMIN


@pytest.mark.django_db
def test_an_invitation_to_a_deactivated_council_cannot_be_used(client, council):
    _, url = _invite(council)
    council.is_active = False
    council.save()
    assert client.get(url).status_code == 410


@pytest.mark.django_db(transaction=True)
def test_two_people_accepting_one_invitation_at_once_only_one_gets_in():
    needs_postgres()
    council, admin = council_with_member(Role.ADMIN)
    _, url = _invite(council, email="shared@example.gov.uk", by=admin)
    people = [UserFactory(email="shared@example.gov.uk") for _ in range(3)]

    statuses = sorted(at_once(3, lambda n: MemberClient(people[n]).post(url).status_code))

    assert statuses == [302, 410, 410]
    assert council.memberships.filter(user__in=people).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["%00", "abc%00def", "x" * 3000, "1:2:3", "%C0%AF", "-1"])
def test_hostile_tokens_are_refused_without_an_error(client, admin_client_for_council, token):
    for who in (client, admin_client_for_council):
        who.raise_request_exception = False
        for method in (who.get, who.post):
            response = method(f"/invitations/{token}/")
            assert response.status_code in {404, 410}, (method.__name__, token[:20])
