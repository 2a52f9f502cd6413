"""Council settings: the page, the council's name, and its wards and directorates."""

from __future__ import annotations

import pytest
from django.urls import reverse

from councils.models import Council, Directorate, Ward
from tests.factories import CouncilFactory


def _url(council, name="council_settings", *args):
    return reverse(name, args=[council.slug, *args])


@pytest.mark.django_db
def test_admin_sees_the_name_form_and_every_settings_link(admin_client_for_council, council):
    html = admin_client_for_council.get(_url(council)).content.decode()
    assert 'name="name"' in html
    for page in ("planning_settings", "members", "wards", "directorates", "themes"):
        assert _url(council, page) in html


@pytest.mark.django_db
def test_approver_sees_only_the_planning_part(approver_client, council):
    html = approver_client.get(_url(council)).content.decode()
    assert _url(council, "planning_settings") in html
    assert _url(council, "members") not in html
    assert 'name="name"' not in html


@pytest.mark.django_db
def test_planning_settings_live_under_the_council_settings(council):
    assert _url(council, "planning_settings") == f"/c/{council.slug}/settings/planning/"


@pytest.mark.django_db
def test_editor_cannot_open_the_settings(editor_client, council):
    assert editor_client.get(_url(council)).status_code == 403


@pytest.mark.django_db
def test_admin_renames_the_council(admin_client_for_council, council):
    response = admin_client_for_council.post(
        _url(council), {"name": "Northmoor Council", "version": council.version}
    )
    assert response.status_code == 302
    council.refresh_from_db()
    assert (council.name, council.version) == ("Northmoor Council", 2)
    assert council.history.first().history_user == admin_client_for_council.user


@pytest.mark.django_db
def test_a_blank_name_is_refused(admin_client_for_council, council):
    response = admin_client_for_council.post(_url(council), {"name": " ", "version": 1})
    assert response.status_code == 400
    assert "Enter the council&#x27;s name" in response.content.decode()
    assert Council.objects.get(pk=council.pk).name == council.name


@pytest.mark.django_db
def test_a_stale_rename_is_refused_with_409_and_keeps_the_other_name(
    admin_client_for_council, council
):
    admin_client_for_council.post(_url(council), {"name": "First", "version": 1})

    response = admin_client_for_council.post(_url(council), {"name": "Second", "version": 1})

    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else changed the council" in html
    assert 'value="First"' in html
    assert Council.objects.get(pk=council.pk).name == "First"


@pytest.mark.django_db
def test_approver_cannot_rename(approver_client, council):
    response = approver_client.post(_url(council), {"name": "X", "version": 1})
    assert response.status_code == 403


@pytest.mark.django_db
def test_a_deactivated_councils_pages_are_404_for_its_members(admin_client_for_council, council):
    council.is_active = False
    council.save()
    assert admin_client_for_council.get(_url(council)).status_code == 404
    assert admin_client_for_council.get(_url(council, "dashboard")).status_code == 404
    home = admin_client_for_council.get(reverse("home")).content.decode()
    assert council.name not in home


# --- Wards and directorates --------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "model"), [("wards", Ward), ("directorates", Directorate)])
def test_admin_adds_renames_and_removes_entries(admin_client_for_council, council, kind, model):
    client = admin_client_for_council
    edit = f"{kind[:-1]}_edit"

    assert client.post(_url(council, kind), {"name": "Abbey"}).status_code == 302
    entry = model.objects.get(council=council)
    renamed = client.post(_url(council, edit, entry.pk), {f"e{entry.pk}-name": "Abbey North"})
    assert renamed.status_code == 302
    entry.refresh_from_db()
    assert entry.name == "Abbey North"
    assert "Abbey North" in client.get(_url(council, kind)).content.decode()
    removed = client.post(_url(council, edit, entry.pk), {"action": "remove"})

    assert removed.status_code == 302
    assert not model.objects.filter(pk=entry.pk).exists()
    assert [row.history_type for row in model.history.filter(id=entry.pk)] == ["-", "~", "+"]
    assert {row.history_user for row in model.history.filter(id=entry.pk)} == {client.user}


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "model"), [("wards", Ward), ("directorates", Directorate)])
def test_a_duplicate_or_blank_name_is_refused(admin_client_for_council, council, kind, model):
    model.objects.create(council=council, name="Abbey")
    duplicate = admin_client_for_council.post(_url(council, kind), {"name": "abbey"})
    blank = admin_client_for_council.post(_url(council, kind), {"name": ""})
    assert duplicate.status_code == 400
    assert "There is already a" in duplicate.content.decode()
    assert blank.status_code == 400
    assert model.objects.filter(council=council).count() == 1


@pytest.mark.django_db
def test_the_same_ward_name_may_exist_in_two_councils(admin_client_for_council, council):
    elsewhere = CouncilFactory()
    Ward.objects.create(council=elsewhere, name="Abbey")
    assert (
        admin_client_for_council.post(_url(council, "wards"), {"name": "Abbey"}).status_code == 302
    )


@pytest.mark.django_db
def test_another_councils_ward_is_404(admin_client_for_council, council, other_council):
    ward = Ward.objects.create(council=other_council, name="Abbey")
    response = admin_client_for_council.post(
        _url(council, "ward_edit", ward.pk), {"action": "remove"}
    )
    assert response.status_code == 404
    assert Ward.objects.filter(pk=ward.pk).exists()


@pytest.mark.django_db
def test_wards_page_query_count_does_not_grow_with_wards(
    admin_client_for_council, council, django_assert_max_num_queries
):
    Ward.objects.create(council=council, name="First")
    with django_assert_max_num_queries(12) as few:
        admin_client_for_council.get(_url(council, "wards"))
    Ward.objects.bulk_create(Ward(council=council, name=f"Ward {n}") for n in range(30))
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_client_for_council.get(_url(council, "wards"))
