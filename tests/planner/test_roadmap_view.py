from __future__ import annotations

import pytest
from django.urls import reverse
from planner.roadmap import LATER

from planner.models import HorizonOverride, Status
from tests.factories import BacklogItemFactory, done_run_for


@pytest.fixture
def ranked(council):
    items = [
        BacklogItemFactory(council=council, status=Status.READY, effort_days=60, title=f"Item {n}")
        for n in range(4)
    ]
    done_run_for(council, items)
    return items


def _url(council):
    return reverse("roadmap", args=[council.slug])


def _override(council):
    return reverse("roadmap_override", args=[council.slug])


def test_roadmap_without_a_ranking_says_so(viewer_client, council):
    response = viewer_client.get(_url(council))
    assert response.status_code == 200
    assert "There is no ranking yet" in response.text


def test_roadmap_lays_items_into_now_next_and_later_with_reasons(viewer_client, council, ranked):
    response = viewer_client.get(_url(council))
    columns = {column.key: column for column in response.context["roadmap"].columns}
    assert [len(columns[key].rows) for key in ("now", "next", "later")] == [1, 1, 2]
    assert "over capacity" in response.text
    assert ranked[0].reference in response.text


def test_viewer_sees_no_override_controls(viewer_client, council, ranked):
    response = viewer_client.get(_url(council))
    assert "Override an item’s horizon" not in response.text
    assert "?item=" not in response.text


def test_editor_sees_override_form_prefilled_from_the_change_link(editor_client, council, ranked):
    response = editor_client.get(_url(council), {"item": ranked[2].reference})
    assert "Override an item’s horizon" in response.text
    assert f'value="{ranked[2].reference}"' in response.text


def test_roadmap_fragment_for_htmx_is_just_the_horizons(viewer_client, council, ranked):
    response = viewer_client.get(_url(council), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="roadmap-horizons"')
    assert "<html" not in response.text


def test_editor_override_pins_item_and_page_shows_it_as_overridden(editor_client, council, ranked):
    response = editor_client.post(
        _override(council),
        {"item": ranked[0].reference.lower(), "horizon": LATER, "reason": "Supplier delay"},
    )
    assert response.status_code == 302
    override = HorizonOverride.objects.get(item=ranked[0])
    assert (override.horizon, override.reason, override.set_by) == (
        LATER,
        "Supplier delay",
        editor_client.user,
    )
    page = editor_client.get(_url(council)).text
    assert "Overridden" in page and "pinned: Supplier delay" in page


def test_admin_can_override_too(admin_client_for_council, council, ranked):
    response = admin_client_for_council.post(
        _override(council), {"item": ranked[1].reference, "horizon": "now", "reason": "Mandate"}
    )
    assert response.status_code == 302
    assert HorizonOverride.objects.filter(item=ranked[1], horizon="now").exists()


def test_override_without_a_reason_shows_an_error_and_saves_nothing(editor_client, council, ranked):
    response = editor_client.post(
        _override(council), {"item": ranked[0].reference, "horizon": LATER, "reason": " "}
    )
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert "Enter the reason for the override" in response.text
    assert not HorizonOverride.objects.exists()


def test_override_of_an_unknown_reference_shows_an_error(editor_client, council, ranked):
    response = editor_client.post(
        _override(council), {"item": "DIG-999", "horizon": LATER, "reason": "x"}
    )
    assert response.status_code == 400
    assert "There is no open item with that reference" in response.text


def test_override_with_a_bad_horizon_shows_an_error(editor_client, council, ranked):
    response = editor_client.post(
        _override(council), {"item": ranked[0].reference, "horizon": "someday", "reason": "x"}
    )
    assert response.status_code == 400
    assert not HorizonOverride.objects.exists()


def test_override_cannot_reach_another_councils_item(editor_client, council, other_council):
    theirs = BacklogItemFactory(council=other_council)
    response = editor_client.post(
        _override(council), {"item": theirs.reference, "horizon": LATER, "reason": "x"}
    )
    # Factory numbers are global, so this reference does not exist in `council`.
    assert response.status_code == 400
    assert not HorizonOverride.objects.exists()


def test_viewer_cannot_override(viewer_client, council, ranked):
    response = viewer_client.post(
        _override(council), {"item": ranked[0].reference, "horizon": LATER, "reason": "x"}
    )
    assert response.status_code == 403
    assert not HorizonOverride.objects.exists()


def test_outsider_gets_404_for_roadmap_and_override(outsider_client, council, ranked):
    assert outsider_client.get(_url(council)).status_code == 404
    response = outsider_client.post(
        _override(council), {"item": ranked[0].reference, "horizon": LATER, "reason": "x"}
    )
    assert response.status_code == 404


def test_clearing_an_override_returns_the_item_to_its_ranked_horizon(
    editor_client, council, ranked
):
    HorizonOverride.objects.create(item=ranked[0], horizon=LATER, reason="r")
    response = editor_client.post(
        _override(council), {"item": ranked[0].reference, "horizon": "clear", "reason": "Unblocked"}
    )
    assert response.status_code == 302
    assert not HorizonOverride.objects.exists()
    assert HorizonOverride.history.filter(history_type="-").get().history_change_reason == (
        "Unblocked"
    )


def _rank(council, size):
    items = [
        BacklogItemFactory(council=council, status=Status.READY, effort_days=10)
        for _ in range(size)
    ]
    for index in range(1, size, 3):
        items[index].depends_on.add(items[index - 1])
    done_run_for(council, items)
    HorizonOverride.objects.create(item=items[-1], horizon="now", reason="r")


@pytest.mark.parametrize("size", [3, 60])
def test_roadmap_runs_a_constant_number_of_queries(
    editor_client, council, size, django_assert_max_num_queries
):
    _rank(council, size)
    with django_assert_max_num_queries(10):
        response = editor_client.get(_url(council))
    assert response.status_code == 200


def test_each_roadmap_row_links_to_its_item(viewer_client, council, ranked):
    page = viewer_client.get(_url(council)).text
    assert f'href="{reverse("item_detail", args=[council.slug, ranked[0].reference])}"' in page


def test_long_horizons_show_the_first_rows_and_a_show_all_link(
    viewer_client, council, ranked, monkeypatch
):
    monkeypatch.setattr("planner.views.roadmap.ROWS_PER_HORIZON", 1)
    page = viewer_client.get(_url(council)).text
    assert "Showing the first 1 of 2 items in Later" in page
    assert ranked[3].reference not in page
    everything = viewer_client.get(_url(council), {"all": "1"}).text
    assert ranked[3].reference in everything and "Showing the first" not in everything
