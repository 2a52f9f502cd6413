"""Lost updates are refused with 409, and references stay unique under concurrent creates."""

from __future__ import annotations

import pytest
from django.urls import reverse

from councils.models import Role
from planner import items
from planner.models import ItemScore
from tests.concurrency import at_once, council_with_member, needs_postgres
from tests.factories import BacklogItemFactory, UserFactory
from tests.planner.test_item_pages import edit_data


def post_score(client, item, criterion, data: dict[str, str], **headers: str):
    url = reverse("item_score", args=[item.council.slug, item.reference, criterion.pk])
    return client.post(url, data, **headers)


@pytest.mark.django_db
def test_stale_item_save_gets_409_and_overwrites_nothing(editor_client, council):
    item = BacklogItemFactory(council=council, title="Original")
    stale_version = item.version
    items.update_item(
        item=item, user=None, data={"title": "Their title", "owner": "Sam"}, version=stale_version
    )
    response = editor_client.post(
        reverse("item_edit", args=[council.slug, item.reference]),
        edit_data(item, title="My title", version=stale_version),
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert "govuk-error-summary" in body
    assert "Their title" in body  # what is saved now is shown
    item.refresh_from_db()
    assert item.title == "Their title"
    # The retry form carries the current version, so saving again is a deliberate choice.
    assert f'name="version" value="{item.version}"' in body
    assert 'value="My title"' in body


def test_stale_score_gets_409_and_shows_their_score(editor_client, council):
    item = BacklogItemFactory(council=council)
    criterion = council.criteria.first()
    other = UserFactory(username="colleague")
    items.set_score(
        item=item, criterion=criterion, user=other, value=5, rationale="Theirs", version=0
    )
    response = post_score(
        editor_client, item, criterion, {"value": "1", "version": "0"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert "Someone else changed this score" in body
    assert "colleague" in body and "Theirs" in body
    assert ItemScore.objects.get(item=item, criterion=criterion).value == 5


def test_stale_score_without_js_gets_409_full_page(editor_client, council):
    item = BacklogItemFactory(council=council)
    criterion = council.criteria.first()
    items.set_score(item=item, criterion=criterion, user=None, value=4, rationale="", version=0)
    response = post_score(editor_client, item, criterion, {"value": "1", "version": "0"})
    assert response.status_code == 409
    assert "<html" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_get_distinct_references():
    needs_postgres()
    council, user = council_with_member(Role.EDITOR)
    theme = council.themes.first()
    at_once(
        6,
        lambda n: items.create_item(
            council=council, user=user, data={"title": f"Parallel {n}", "theme": theme}
        ),
    )
    references = sorted(council.items.values_list("reference", flat=True))
    assert references == [f"DIG-{n:03d}" for n in range(1, 7)]
