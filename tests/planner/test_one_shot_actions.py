"""One-shot actions happen once (issue 14 item 1): an import applied, a plan published.

The concurrent cases need real row locks, so they run on PostgreSQL (CI) and skip on SQLite.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

import pytest
from django.urls import reverse

from councils.models import Role
from planner import csv_import, plans, ranking
from planner.models import PendingImport, PublishedPlan, Status
from tests.concurrency import at_once, council_with_member, needs_postgres
from tests.conftest import MemberClient
from tests.factories import (
    BacklogItemFactory,
    CouncilFactory,
    UserFactory,
    score_all,
)

PLAN_POST = {
    "title": "Digital priorities 2027",
    "committee": "Cabinet",
    "meeting_date": "27/3/2027",
}


def _rows(count: int) -> str:
    lines = ["Title,Theme"] + [f"Imported {n},Procurement" for n in range(count)]
    return "\r\n".join(lines) + "\r\n"


def _ranked(council):
    for value in (5, 3):
        score_all(BacklogItemFactory(council=council, status=Status.READY), value)
    ranking.execute_run(run_id=ranking.request_run(council=council).pk)


def _at_once(count: int, action: Callable[[int], int]) -> list[int]:
    """Run `action(n)` in `count` threads released together; their results, sorted."""
    return sorted(at_once(count, action))


# --- Import ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_applies_of_one_upload_import_it_once():
    needs_postgres()
    council, user = council_with_member(Role.EDITOR)
    pending = csv_import.store_pending(
        council=council, user=user, filename="b.csv", text=_rows(50), encoding="utf-8"
    )
    url = reverse("import_apply", args=[council.slug, pending.token])

    statuses = _at_once(5, lambda n: MemberClient(user).post(url).status_code)

    assert statuses == [302, 404, 404, 404, 404]
    assert council.items.count() == 50
    assert not PendingImport.objects.exists()


@pytest.mark.django_db
def test_applying_an_applied_upload_again_is_404_and_writes_nothing(editor_client, council):
    pending = csv_import.store_pending(
        council=council, user=editor_client.user, filename="b.csv", text=_rows(3), encoding="utf-8"
    )
    url = reverse("import_apply", args=[council.slug, pending.token])
    assert editor_client.post(url).status_code == 302
    assert editor_client.post(url).status_code == 404
    assert council.items.count() == 3


@pytest.mark.django_db
def test_apply_pending_refuses_an_upload_someone_else_applied(council):
    user = UserFactory()
    pending = csv_import.store_pending(
        council=council, user=user, filename="b.csv", text=_rows(2), encoding="utf-8"
    )
    stale = PendingImport.objects.get(pk=pending.pk)  # what a second request loaded earlier
    csv_import.apply_pending(council=council, user=user, pending=pending)
    with pytest.raises(csv_import.ImportGone):
        csv_import.apply_pending(council=council, user=user, pending=stale)
    assert council.items.count() == 2


@pytest.mark.django_db
def test_import_buttons_prevent_double_clicks(editor_client, council):
    page = editor_client.get(reverse("import", args=[council.slug])).text
    assert 'data-prevent-double-click="true">Upload and check' in page
    pending = csv_import.store_pending(
        council=council, user=editor_client.user, filename="b.csv", text=_rows(2), encoding="utf-8"
    )
    page = editor_client.get(reverse("import_preview", args=[council.slug, pending.token])).text
    assert 'data-prevent-double-click="true">Import 2 rows' in page


# --- Publishing ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_publishes_publish_one_plan():
    needs_postgres()
    council, admin = council_with_member(Role.ADMIN)
    _ranked(council)
    url = reverse("plan_publish", args=[council.slug])
    form = {**PLAN_POST, "idempotency_key": str(uuid.uuid4())}

    def publish(n: int) -> int:
        response = MemberClient(admin).post(url, form)
        assert response["Location"].endswith("/plans/digital-priorities-2027/")
        return response.status_code

    assert _at_once(4, publish) == [302, 302, 302, 302]
    assert list(council.plans.values_list("slug", flat=True)) == ["digital-priorities-2027"]


@pytest.mark.django_db
def test_the_same_publish_form_posted_twice_publishes_one_plan(admin_client_for_council, council):
    _ranked(council)
    url = reverse("plan_publish", args=[council.slug])
    page = admin_client_for_council.get(reverse("plans", args=[council.slug])).text
    key = page.split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]
    first = admin_client_for_council.post(url, {**PLAN_POST, "idempotency_key": key})
    second = admin_client_for_council.post(url, {**PLAN_POST, "idempotency_key": key})
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert PublishedPlan.objects.filter(council=council).count() == 1
    # A fresh form is a new action: it publishes a second plan.
    third = admin_client_for_council.post(url, {**PLAN_POST, "idempotency_key": uuid.uuid4()})
    assert third.status_code == 302
    assert sorted(council.plans.values_list("slug", flat=True)) == [
        "digital-priorities-2027",
        "digital-priorities-2027-2",
    ]


@pytest.mark.django_db
def test_each_rendering_of_the_publish_form_has_its_own_key(admin_client_for_council, council):
    url = reverse("plans", args=[council.slug])
    keys = {
        admin_client_for_council.get(url)
        .text.split('name="idempotency_key" value="', 1)[1]
        .split('"', 1)[0]
        for _ in range(2)
    }
    assert len(keys) == 2
    assert all(uuid.UUID(key) for key in keys)


@pytest.mark.django_db
@pytest.mark.parametrize("key", [None, "", "not-a-uuid"])
def test_publish_without_a_valid_key_publishes_nothing(admin_client_for_council, council, key):
    _ranked(council)
    data = dict(PLAN_POST) if key is None else {**PLAN_POST, "idempotency_key": key}
    response = admin_client_for_council.post(reverse("plan_publish", args=[council.slug]), data)
    assert response.status_code == 400
    assert "This form has expired" in response.text
    assert not council.plans.exists()
    # The form shown again carries a fresh, valid key, so publishing again works.
    shown = response.text.split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]
    assert uuid.UUID(shown)


@pytest.mark.django_db
def test_a_form_shown_again_after_an_error_keeps_its_key(admin_client_for_council, council):
    key = str(uuid.uuid4())
    response = admin_client_for_council.post(
        reverse("plan_publish", args=[council.slug]),
        {**PLAN_POST, "title": "", "idempotency_key": key},
    )
    assert response.status_code == 400
    assert f'name="idempotency_key" value="{key}"' in response.text


@pytest.mark.django_db
def test_publish_button_prevents_double_clicks(admin_client_for_council, council):
    page = admin_client_for_council.get(reverse("plans", args=[council.slug])).text
    assert 'data-prevent-double-click="true">Publish plan' in page


def test_plans_seeded_without_a_key_do_not_collide(db):
    council = CouncilFactory()
    _ranked(council)
    for _ in range(2):
        plans.publish_plan(
            council=council, title="Seed", committee="C", meeting_date=date(2027, 1, 10)
        )
    assert council.plans.filter(idempotency_key=None).count() == 2


@pytest.mark.parametrize(
    ("url_name", "label"),
    [
        ("item_new", "Add item"),
        ("backlog", "Add</button>"),
        ("backlog", "Apply to selected"),
        ("themes", "Add theme"),
        ("criteria", "Add criterion"),
    ],
)
def test_create_buttons_prevent_double_clicks(admin_client_for_council, council, url_name, label):
    page = admin_client_for_council.get(reverse(url_name, args=[council.slug])).text
    assert f'data-prevent-double-click="true">{label}' in page
