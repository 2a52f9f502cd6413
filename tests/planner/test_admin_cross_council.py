"""Django admin refuses links across councils: an item's theme and dependencies."""

from __future__ import annotations

import pytest
from django.urls import reverse

from planner.models import BacklogItem
from tests.conftest import MemberClient
from tests.factories import BacklogItemFactory, UserFactory


@pytest.fixture
def superuser(db):
    """Django admin is for superusers (emergencies only)."""
    return MemberClient(UserFactory(username="operator", is_superuser=True, is_staff=True))


def _form(item, **changes):
    data = {
        "council": item.council_id,
        "title": item.title,
        "problem": "",
        "theme": item.theme_id,
        "status": item.status,
        "owner": "",
        "stage": item.stage,
        "version": item.version,
        "depends_on": "",
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_admin_refuses_another_councils_theme(superuser, council, other_council):
    item = BacklogItemFactory(council=council)
    foreign_theme = other_council.themes.first()

    response = superuser.post(
        reverse("admin:planner_backlogitem_change", args=[item.pk]),
        _form(item, theme=foreign_theme.pk),
    )

    assert response.status_code == 200  # the form again, with the error
    assert "Choose a theme of the item&#x27;s own council." in response.content.decode()
    assert BacklogItem.objects.get(pk=item.pk).theme_id == item.theme_id


@pytest.mark.django_db
def test_admin_refuses_a_dependency_on_another_councils_item(superuser, council, other_council):
    item = BacklogItemFactory(council=council)
    foreign = BacklogItemFactory(council=other_council)

    response = superuser.post(
        reverse("admin:planner_backlogitem_change", args=[item.pk]),
        _form(item, depends_on=str(foreign.pk)),
    )

    assert response.status_code == 200
    assert "only depend on items of its own council" in response.content.decode()
    assert not item.depends_on.exists()


@pytest.mark.django_db
def test_admin_accepts_links_within_the_council(superuser, council):
    item = BacklogItemFactory(council=council)
    neighbour = BacklogItemFactory(council=council)
    other_theme = council.themes.exclude(pk=item.theme_id).first()

    response = superuser.post(
        reverse("admin:planner_backlogitem_change", args=[item.pk]),
        _form(item, theme=other_theme.pk, depends_on=str(neighbour.pk)),
    )

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.theme == other_theme
    assert list(item.depends_on.all()) == [neighbour]
