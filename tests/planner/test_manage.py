"""Service administration, /manage/: superusers only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from councils.models import Council, Invitation, Role
from tests.conftest import MemberClient
from tests.factories import BacklogItemFactory, CouncilFactory, MembershipFactory, UserFactory

NEW_COUNCIL = {
    "name": "Llanfair Town Council",
    "slug": "llanfair",
    "nation": "wales",
    "council_type": "district",
    "admin_email": "head.of.digital@llanfair.gov.uk",
}


@pytest.fixture
def superuser_client(db):
    """Signed in as a superuser (the service's operators), a member of no council."""
    return MemberClient(UserFactory(username="operator", is_superuser=True, is_staff=True))


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("manage"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_a_council_admin_who_is_not_a_superuser_gets_404(admin_client_for_council, council):
    assert admin_client_for_council.get(reverse("manage")).status_code == 404
    assert admin_client_for_council.post(reverse("manage"), NEW_COUNCIL).status_code == 404
    deactivate = reverse("council_active", args=[council.slug])
    assert admin_client_for_council.post(deactivate, {"active": "no"}).status_code == 404
    assert Council.objects.get(pk=council.pk).is_active


@pytest.mark.django_db
def test_superuser_creates_a_council_and_invites_its_first_admin(
    superuser_client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = superuser_client.post(reverse("manage"), NEW_COUNCIL)

    assert response.status_code == 302
    council = Council.objects.get(slug="llanfair")
    assert (council.name, council.nation, council.council_type) == (
        "Llanfair Town Council",
        "wales",
        "district",
    )
    assert council.themes.exists()  # the defaults every council starts with
    invitation = Invitation.objects.get(council=council)
    assert (invitation.email, invitation.role) == ("head.of.digital@llanfair.gov.uk", Role.ADMIN)
    assert [mail.to for mail in mailoutbox] == [["head.of.digital@llanfair.gov.uk"]]


@pytest.mark.django_db
def test_a_taken_slug_or_bad_email_is_refused_and_nothing_created(superuser_client, council):
    response = superuser_client.post(
        reverse("manage"), {**NEW_COUNCIL, "slug": council.slug, "admin_email": "nope"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Another council already uses that web address name" in html
    assert "Enter an email address in the correct format" in html
    assert not Council.objects.filter(name=NEW_COUNCIL["name"]).exists()
    assert not Invitation.objects.exists()


@pytest.mark.django_db
def test_list_shows_member_and_item_counts_in_a_fixed_number_of_queries(
    superuser_client, django_assert_max_num_queries
):
    busy = CouncilFactory(name="Busy Council")
    for n in range(3):
        MembershipFactory(council=busy, user=UserFactory(username=f"m{n}"), role=Role.EDITOR)
    BacklogItemFactory.create_batch(4, council=busy)
    with django_assert_max_num_queries(8) as few:
        superuser_client.get(reverse("manage"))
    for _ in range(10):
        CouncilFactory()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = superuser_client.get(reverse("manage"))

    html = response.content.decode()
    row = html[html.index("Busy Council") : html.index("</tr>", html.index("Busy Council"))]
    assert '<td class="govuk-table__cell app-numeric">3</td>' in row
    assert '<td class="govuk-table__cell app-numeric">4</td>' in row


@pytest.mark.django_db
def test_superuser_deactivates_and_reactivates_a_council(superuser_client, council):
    member = MemberClient(MembershipFactory(council=council, role=Role.ADMIN).user)
    url = reverse("council_active", args=[council.slug])

    assert superuser_client.post(url, {"active": "no"}).status_code == 302
    assert member.get(reverse("dashboard", args=[council.slug])).status_code == 404
    assert superuser_client.post(url, {"active": "yes"}).status_code == 302
    assert member.get(reverse("dashboard", args=[council.slug])).status_code == 200
    assert [row.is_active for row in council.history.all()[:2]] == [True, False]


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["%00", "x" * 3000, "no-such-council", "%C0%AF"])
def test_hostile_or_unknown_council_names_are_404(superuser_client, slug):
    superuser_client.raise_request_exception = False
    response = superuser_client.post(f"/manage/{slug}/active/", {"active": "no"})
    assert response.status_code == 404
