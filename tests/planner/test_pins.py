"""Pins by quarter from the roadmap page: happy path, bad input and roles."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from planner import ranking
from planner.models import HorizonOverride, Status
from tests.factories import BacklogItemFactory, score_all

START = date(2027, 4, 1)
Q3 = "2027/28-Q3"


@pytest.fixture
def item(council):
    council.planning_start = START
    council.save()
    item = BacklogItemFactory(council=council, status=Status.READY, effort_days=20)
    score_all(item)
    ranking.run_now(council=council)
    return item


def _pin(council):
    return reverse("roadmap_pin", args=[council.slug])


def test_approver_pins_an_item_to_a_quarter_and_the_plan_follows(
    approver_client, council, item, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = approver_client.post(
            _pin(council), {"item": item.reference.lower(), "quarter": Q3, "reason": "Supplier"}
        )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#item-{item.reference}")
    pin = HorizonOverride.objects.get(item=item)
    assert (pin.quarter, pin.reason, pin.set_by) == (
        date(2027, 10, 1),
        "Supplier",
        approver_client.user,
    )
    entry = ranking.latest_done_run(council).entries.get(item=item)
    assert (entry.start_quarter, entry.horizon, entry.schedule_reason) == (2, "next", "pinned")


def test_removing_a_pin_deletes_it(admin_client_for_council, council, item):
    HorizonOverride.objects.create(item=item, quarter=START, reason="x")
    response = admin_client_for_council.post(
        _pin(council), {"item": item.reference, "quarter": "clear", "reason": "No longer needed"}
    )
    assert response.status_code == 302
    assert not HorizonOverride.objects.filter(item=item).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"quarter": Q3, "reason": " "}, "Enter the reason for the pin"),
        ({"quarter": "2040/41-Q1", "reason": "x"}, "Select a quarter within the plan"),
        ({"quarter": "", "reason": "x"}, "Select a quarter, or remove the pin"),
    ],
)
def test_bad_pin_shows_an_error_and_saves_nothing(approver_client, council, item, data, message):
    response = approver_client.post(_pin(council), {"item": item.reference, **data})
    assert response.status_code == 400
    assert "There is a problem" in response.text and message in response.text
    assert not HorizonOverride.objects.exists()


def test_pin_of_an_unknown_or_other_councils_item_is_refused(
    approver_client, council, other_council, item
):
    theirs = BacklogItemFactory(council=other_council)
    for reference in ("DIG-999", theirs.reference):
        response = approver_client.post(
            _pin(council), {"item": reference, "quarter": Q3, "reason": "x"}
        )
        assert response.status_code == 400
        assert "There is no open item with that reference" in response.text
    assert not HorizonOverride.objects.exists()


def test_viewer_cannot_pin(viewer_client, council, item):
    response = viewer_client.post(
        _pin(council), {"item": item.reference, "quarter": Q3, "reason": "x"}
    )
    assert response.status_code == 403
    assert not HorizonOverride.objects.exists()


def test_outsider_gets_404_when_pinning(outsider_client, council, item):
    response = outsider_client.post(
        _pin(council), {"item": item.reference, "quarter": Q3, "reason": "x"}
    )
    assert response.status_code == 404
