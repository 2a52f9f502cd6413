"""The options pages: saving an option from the weightings page, comparing, renaming,
deleting, ranking again, and publishing a plan with options."""

from __future__ import annotations

import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from councils.models import Role
from planner import options, ranking
from planner.models import ItemScore, PublishedPlan, WeightingProfile
from tests.conftest import member_client
from tests.factories import BacklogItemFactory, score_all


@pytest.fixture
def ranked(council):
    """A few scored items and a finished live ranking."""
    for value in (2, 3, 4):
        score_all(BacklogItemFactory.create(council=council), value)
    return ranking.run_now(council=council)


def _post_data(council, name="Option B: savings first", **overrides) -> dict[str, str]:
    data = {"option_name": name, "method": "weighted_sum", "name": "Balanced", "version": "1"}
    for criterion in council.criteria.filter(active=True):
        data[f"weight_{criterion.pk}"] = "80" if criterion.key == "savings" else "5"
    data.update(overrides)
    return data


def _option(council, name="Option B") -> WeightingProfile:
    weights = {str(c.pk): 10 for c in council.criteria.filter(active=True)}
    return options.save_option(council=council, name=name, method="weighted_sum", weights=weights)


def test_approver_saves_an_option_without_changing_the_active_profile(
    council, ranked, approver_client, django_capture_on_commit_callbacks
):
    active = council.profiles.get(is_active=True)
    before = dict(active.weights)
    with django_capture_on_commit_callbacks(execute=True):
        response = approver_client.post(
            reverse("option_new", args=[council.slug]), _post_data(council)
        )
    option = council.profiles.get(is_option=True)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/options/?option={option.pk}")
    active.refresh_from_db()
    assert active.weights == before and active.is_active
    assert option.option_runs.get().status == "done"
    assert ranking.latest_done_run(council) == ranked


def test_htmx_save_redirects_the_whole_page(council, ranked, approver_client):
    response = approver_client.post(
        reverse("option_new", args=[council.slug]), _post_data(council), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "/options/?option=" in response["HX-Redirect"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"option_name": ""}, "Enter a name for the option"),
        ({"option_name": "Balanced"}, "already exists"),
    ],
)
def test_a_bad_option_is_refused_and_the_typing_kept(
    council, ranked, approver_client, overrides, message
):
    data = _post_data(council, **overrides)
    response = approver_client.post(reverse("option_new", args=[council.slug]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'value="80"' in response.content.decode()  # the weights typed are still there
    assert not council.profiles.filter(is_option=True).exists()


def test_all_zero_weights_are_refused_for_an_option(council, ranked, approver_client):
    data = _post_data(council)
    for key in list(data):
        if key.startswith("weight_"):
            data[key] = "0"
    response = approver_client.post(reverse("option_new", args=[council.slug]), data)
    assert response.status_code == 400
    assert "at least one criterion a weight above 0" in response.content.decode()
    assert not council.profiles.filter(is_option=True).exists()


def test_htmx_refusal_returns_the_editor(council, ranked, approver_client):
    response = approver_client.post(
        reverse("option_new", args=[council.slug]),
        _post_data(council, option_name=""),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert 'id="profile-editor"' in response.content.decode()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR])
def test_below_approver_cannot_save_rename_delete_or_refresh_options(council, ranked, role):
    option = _option(council)
    client = member_client(council, role)
    for name, args in [
        ("option_new", [council.slug]),
        ("option_rename", [council.slug, option.pk]),
        ("option_delete", [council.slug, option.pk]),
        ("options_refresh", [council.slug]),
    ]:
        response = client.post(reverse(name, args=args), {"name": "x", **_post_data(council)})
        assert response.status_code == 403, name
    assert WeightingProfile.objects.filter(pk=option.pk, name="Option B").exists()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR])
def test_weightings_page_offers_no_option_controls_below_approver(council, ranked, role):
    _option(council)
    page = member_client(council, role).get(reverse("weightings", args=[council.slug]))
    html = page.content.decode()
    assert "Save as an option" not in html
    assert "Option B" in html  # listed, to compare


def test_options_are_not_listed_as_profiles_nor_activatable(council, ranked, approver_client):
    option = _option(council)
    page = approver_client.get(reverse("weightings", args=[council.slug]))
    assert reverse("weighting_profile_activate", args=[council.slug, option.pk]) not in (
        page.content.decode()
    )
    response = approver_client.post(
        reverse("weighting_profile_activate", args=[council.slug, option.pk])
    )
    assert response.status_code == 404
    option.refresh_from_db()
    assert not option.is_active


def test_another_councils_option_is_not_found(council, other_council, approver_client):
    foreign = _option(other_council)
    for name in ("option_rename", "option_delete"):
        response = approver_client.post(
            reverse(name, args=[council.slug, foreign.pk]), {"name": "Mine"}
        )
        assert response.status_code == 404
    assert WeightingProfile.objects.filter(pk=foreign.pk, name="Option B").exists()


def test_compare_page_shows_chosen_options_live_and_do_nothing(council, ranked, viewer_client):
    option = _option(council)
    ranking.run_now(council=council, option=option)
    url = reverse("options", args=[council.slug])
    page = viewer_client.get(url, {"option": [option.pk]})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Current weights (Balanced)" in html
    assert "Option B" in html and "Do nothing" in html
    assert "Cost per financial year" in html
    assert "Rename" not in html  # viewers read only


def test_comparing_more_than_four_options_is_refused(council, ranked, viewer_client):
    chosen = [_option(council, name=f"Option {n}").pk for n in range(5)]
    page = viewer_client.get(reverse("options", args=[council.slug]), {"option": chosen})
    assert page.status_code == 400
    assert "Choose up to 4 options" in page.content.decode()


def test_compare_page_query_count_is_constant_in_items(
    council, ranked, viewer_client, django_assert_max_num_queries
):
    option = _option(council)
    ranking.run_now(council=council, option=option)
    url = reverse("options", args=[council.slug])
    with CaptureQueriesContext(connection) as small:
        viewer_client.get(url, {"option": [option.pk]})
    for value in (1, 5, 2, 4, 3, 5):
        score_all(BacklogItemFactory.create(council=council), value)
    ranking.run_now(council=council)
    ranking.run_now(council=council, option=option)
    with django_assert_max_num_queries(len(small.captured_queries)):
        viewer_client.get(url, {"option": [option.pk]})


def test_rename_and_delete(council, ranked, approver_client):
    option = _option(council)
    response = approver_client.post(
        reverse("option_rename", args=[council.slug, option.pk]), {"name": "Option C"}
    )
    assert response.status_code == 302
    option.refresh_from_db()
    assert option.name == "Option C"
    response = approver_client.post(
        reverse("option_rename", args=[council.slug, option.pk]), {"name": "Balanced"}
    )
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    option.refresh_from_db()
    assert option.name == "Option C"
    response = approver_client.post(reverse("option_delete", args=[council.slug, option.pk]))
    assert response.status_code == 302
    assert not WeightingProfile.objects.filter(pk=option.pk).exists()


def test_refresh_ranks_stale_options_again(
    council, ranked, approver_client, django_capture_on_commit_callbacks
):
    option = _option(council)
    option.option_runs.all().delete()  # its first run (queued, the worker not called here)
    ranking.run_now(council=council, option=option)
    ranking.run_now(council=council)
    assert options.stale_options(council) == [option]
    with django_capture_on_commit_callbacks(execute=True):
        response = approver_client.post(reverse("options_refresh", args=[council.slug]))
    assert response.status_code == 302
    assert options.stale_options(council) == []
    assert ranking.latest_done_run(council).option is None


def test_an_option_run_finishing_later_changes_no_live_page_or_export(
    council, ranked, viewer_client
):
    pages = [
        reverse(name, args=[council.slug])
        for name in (
            "dashboard",
            "backlog",
            "roadmap",
            "ranking_status",
            "ranking_export",
            "backlog_export",
            "method_export",
        )
    ]
    current = reverse("weightings", args=[council.slug])  # htmx: its "current ranking" table
    # Savings run against the other scores, so a savings-only option reverses the order.
    for entry in ranked.entries.all():
        ItemScore.objects.filter(item_id=entry.item_id, criterion__key="savings").update(
            value=entry.position + 2
        )
    ranked = ranking.run_now(council=council)

    def bodies() -> list[bytes]:
        htmx = viewer_client.get(current, HTTP_HX_REQUEST="true")
        return [_body(viewer_client.get(url)) for url in pages] + [htmx.content]

    before = bodies()
    option = _option(council)  # its first run stays queued: no worker is called here
    # Savings-first weights reorder the items: the option's run differs from the live one.
    option.weights = {
        str(c.pk): (100 if c.key == "savings" else 0) for c in council.criteria.filter(active=True)
    }
    option.save()
    run = ranking.run_now(council=council, option=option)
    assert run.generation > ranked.generation
    assert list(run.entries.values_list("item_id", flat=True)) != list(
        ranked.entries.values_list("item_id", flat=True)
    )
    after = bodies()
    for url, old, new in zip([*pages, current], before, after, strict=True):
        old_text = _without_tokens(old.decode(errors="replace"))
        assert old_text == _without_tokens(new.decode(errors="replace")), url


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def _without_tokens(html: str) -> str:
    """Pages carry a fresh CSRF token (and CSP nonce) each time: compare without them."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r'nonce="[^"]+"', "", html)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", html)


def test_publish_form_freezes_chosen_options(council, ranked, approver_client):
    option = _option(council)
    ranking.run_now(council=council, option=option)
    page = approver_client.get(reverse("plans", args=[council.slug]))
    assert "Options considered (optional)" in page.content.decode()
    response = approver_client.post(
        reverse("plan_publish", args=[council.slug]),
        {
            "title": "Digital plan",
            "committee": "Cabinet",
            "meeting_date": "1/3/2027",
            "options": [option.pk],
            "idempotency_key": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 302
    plan = PublishedPlan.objects.get(council=council)
    names = [o["name"] for o in plan.snapshot["options"]]
    assert names[1:] == ["Option B", "Do nothing"] and names[0].startswith("Current weights")
    detail = approver_client.get(response["Location"]).content.decode()
    assert "Options considered" in detail and "Option B" in detail
    # Deleting the option afterwards leaves the plan as published.
    options.delete_option(option=option)
    detail_after = approver_client.get(response["Location"]).content.decode()
    assert "Option B" in detail_after


def test_publishing_another_councils_option_is_refused(
    council, other_council, ranked, approver_client
):
    foreign = _option(other_council)
    response = approver_client.post(
        reverse("plan_publish", args=[council.slug]),
        {
            "title": "Plan",
            "committee": "Cabinet",
            "meeting_date": "1/3/2027",
            "options": [foreign.pk],
            "idempotency_key": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 400
    assert "Choose options from the list" in response.content.decode()
    assert not PublishedPlan.objects.exists()


def test_saving_weights_with_an_option_name_typed_saves_nothing(council, ranked, approver_client):
    """Enter in the option name field submits with "Save weights": nothing changes."""
    active = council.profiles.get(is_active=True)
    before = (dict(active.weights), active.version)
    response = approver_client.post(reverse("weightings", args=[council.slug]), _post_data(council))
    assert response.status_code == 400
    assert "choose “Save as an option”" in response.content.decode()
    active.refresh_from_db()
    assert (active.weights, active.version) == before
    assert not council.profiles.filter(is_option=True).exists()
    assert ranking.latest_done_run(council) == ranked
