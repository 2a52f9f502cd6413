"""The weightings page and profile services: roles, validation, preview, runs, history."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from planner import ranking, weightings
from planner.models import ItemScore, Method, RunStatus, WeightingProfile
from tests.factories import BacklogItemFactory, score_all


@pytest.fixture
def profile(council) -> WeightingProfile:
    return council.profiles.get(is_active=True)


@pytest.fixture
def criteria(council):
    return weightings.active_criteria(council)


@pytest.fixture
def ranked_items(council):
    """Two scored items that swap places when savings outweigh citizen impact."""
    impact = BacklogItemFactory(council=council, title="Impact first")
    savings = BacklogItemFactory(council=council, title="Savings first")
    score_all(impact, 3)
    score_all(savings, 3)
    ItemScore.objects.filter(item=impact, criterion__key="citizen_impact").update(value=5)
    ItemScore.objects.filter(item=savings, criterion__key="savings").update(value=5)
    return impact, savings


def _post_data(profile, criteria, **overrides) -> dict:
    data = {"name": profile.name, "method": profile.method, "version": profile.version}
    for criterion in criteria:
        data[f"weight_{criterion.pk}"] = str(profile.weight_for(criterion))
    data.update({key: str(value) for key, value in overrides.items()})
    return data


def _url(council, name="weightings", *args):
    return reverse(name, args=[council.slug, *args])


# --- Reading the page ---------------------------------------------------------------------


def test_viewer_sees_the_active_profile_weights_read_only(viewer_client, council, profile):
    response = viewer_client.get(_url(council))
    assert response.status_code == 200
    body = response.content.decode()
    assert profile.name in body
    assert "Only approvers and admins can change weightings" in body
    assert 'type="number"' not in body


def test_admin_sees_a_number_input_per_criterion(admin_client_for_council, council, criteria):
    body = admin_client_for_council.get(_url(council)).content.decode()
    for criterion in criteria:
        assert f'id="id_weight_{criterion.pk}"' in body
    # One per criterion, and the weight band (rank ranges).
    assert body.count('min="0" max="100"') == len(criteria) + 1


def test_admin_page_shows_formulas_beside_method_radios(admin_client_for_council, council):
    from django.utils.html import escape

    from planner.scoring import METHOD_FORMULAS

    body = admin_client_for_council.get(_url(council)).content.decode()
    for formula in METHOD_FORMULAS.values():
        assert escape(formula) in body


def test_htmx_get_returns_the_current_ranking_fragment(viewer_client, council):
    response = viewer_client.get(_url(council), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'id="current-ranking"' in body
    assert "<html" not in body


def test_page_queries_do_not_grow_with_items(
    admin_client_for_council, council, django_assert_max_num_queries
):
    from planner import ranking

    for size in (3, 15):
        while council.items.count() < size:
            score_all(BacklogItemFactory(council=council))
        ranking.run_now(council=council)
        with django_assert_max_num_queries(25):
            response = admin_client_for_council.get(_url(council))
        assert len(response.context["current"]) == min(size, 10)


# --- Saving -------------------------------------------------------------------------------


def test_admin_saves_weights_and_a_run_is_queued(
    admin_client_for_council, council, profile, criteria, django_capture_on_commit_callbacks
):
    savings = next(c for c in criteria if c.key == "savings")
    data = _post_data(profile, criteria, **{f"weight_{savings.pk}": 80})
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_for_council.post(_url(council), data)
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.weights[str(savings.pk)] == 80
    assert council.runs.get().status == RunStatus.DONE


def test_saving_changes_the_ranking(
    admin_client_for_council,
    council,
    profile,
    criteria,
    ranked_items,
    django_capture_on_commit_callbacks,
):
    impact, savings_item = ranked_items
    savings = next(c for c in criteria if c.key == "savings")
    data = _post_data(profile, criteria, **{f"weight_{savings.pk}": 100})
    with django_capture_on_commit_callbacks(execute=True):
        admin_client_for_council.post(_url(council), data)
    first = council.runs.get().entries.first()
    assert first.item == savings_item


def test_htmx_save_returns_the_editor_and_refreshes_tables(
    admin_client_for_council, council, profile, criteria, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_for_council.post(
            _url(council), _post_data(profile, criteria), HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="profile-editor"' in body
    assert "Weights saved" in body
    assert "<html" not in body


def test_all_zero_weights_are_refused_and_nothing_changes(
    admin_client_for_council, council, profile, criteria
):
    before = dict(profile.weights)
    data = _post_data(profile, criteria, **{f"weight_{c.pk}": 0 for c in criteria})
    response = admin_client_for_council.post(_url(council), data)
    assert response.status_code == 400
    assert "Give at least one criterion a weight above 0" in response.content.decode()
    profile.refresh_from_db()
    assert profile.weights == before
    assert not council.runs.exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("101", "must be 100 or less"),
        ("-1", "must be 0 or more"),
        ("nan", "must be a number"),
        ("inf", "must be a number"),
        ("lots", "must be a number"),
        ("", "Enter a weight"),
    ],
)
def test_bad_weight_gets_a_clear_error(
    admin_client_for_council, council, profile, criteria, value, message
):
    first = criteria[0]
    response = admin_client_for_council.post(
        _url(council), _post_data(profile, criteria, **{f"weight_{first.pk}": value})
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert "govuk-error-summary" in body
    profile.refresh_from_db()
    assert profile.weights[str(first.pk)] != value


def test_htmx_bad_input_gets_422_with_the_error_fragment(
    admin_client_for_council, council, profile, criteria
):
    response = admin_client_for_council.post(
        _url(council),
        _post_data(profile, criteria, **{f"weight_{criteria[0].pk}": 500}),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "must be 100 or less" in response.content.decode()


def test_unknown_method_is_refused(admin_client_for_council, council, profile, criteria):
    response = admin_client_for_council.post(
        _url(council), _post_data(profile, criteria, method="magic")
    )
    assert response.status_code == 400
    profile.refresh_from_db()
    assert profile.method == Method.WEIGHTED_SUM


def test_editor_cannot_change_weights(editor_client, council, profile, criteria):
    response = editor_client.post(_url(council), _post_data(profile, criteria, method="rice"))
    assert response.status_code == 403
    profile.refresh_from_db()
    assert profile.method == Method.WEIGHTED_SUM


def test_viewer_cannot_change_weights(viewer_client, council, profile, criteria):
    response = viewer_client.post(_url(council), _post_data(profile, criteria, method="rice"))
    assert response.status_code == 403


def test_outsider_gets_404_for_another_councils_profile(outsider_client, council, profile):
    assert outsider_client.get(_url(council, "weighting_profile", profile.pk)).status_code == 404


def test_profile_of_another_council_is_not_found(admin_client_for_council, council, other_council):
    theirs = other_council.profiles.get()
    url = _url(council, "weighting_profile", theirs.pk)
    assert admin_client_for_council.get(url).status_code == 404


def test_weight_history_is_shown(admin_client_for_council, council, profile, criteria):
    savings = next(c for c in criteria if c.key == "savings")
    admin_client_for_council.post(
        _url(council), _post_data(profile, criteria, **{f"weight_{savings.pk}": 77})
    )
    body = admin_client_for_council.get(_url(council)).content.decode()
    assert "History of this profile" in body
    assert "Savings 77" in body
    assert admin_client_for_council.user.username in body


# --- Preview ------------------------------------------------------------------------------


def test_preview_shows_top_ten_without_saving(
    viewer_client, council, profile, criteria, ranked_items
):
    impact, savings_item = ranked_items
    savings = next(c for c in criteria if c.key == "savings")
    params = _post_data(profile, criteria, **{f"weight_{savings.pk}": 100})
    response = viewer_client.get(
        _url(council, "weightings_preview"), params, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index("Savings first") < body.index("Impact first")
    assert "<html" not in body
    profile.refresh_from_db()
    assert profile.weights[str(savings.pk)] != 100
    assert not council.runs.exists()


def test_preview_without_javascript_renders_the_whole_page(
    admin_client_for_council, council, profile, criteria, ranked_items
):
    response = admin_client_for_council.get(
        _url(council, "weightings_preview"), _post_data(profile, criteria)
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" in body
    assert "Top 2 with these weights" in body


def test_preview_with_bad_weights_explains_why(viewer_client, council, profile, criteria):
    params = _post_data(profile, criteria, **{f"weight_{c.pk}": 0 for c in criteria})
    response = viewer_client.get(
        _url(council, "weightings_preview"), params, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert "Give at least one criterion a weight above 0" in response.content.decode()


def test_preview_query_count_does_not_grow_with_items(
    viewer_client, council, profile, criteria, django_assert_max_num_queries
):
    params = _post_data(profile, criteria)
    url = _url(council, "weightings_preview")
    for size in (3, 20):
        while council.items.count() < size:
            score_all(BacklogItemFactory(council=council))
        with django_assert_max_num_queries(20):
            viewer_client.get(url, params, HTTP_HX_REQUEST="true")


def _scored_backlog(council, size):
    """`size` scored items whose scores vary, so a change of weights re-orders them."""
    items = []
    for n in range(size):
        item = BacklogItemFactory(council=council, title=f"Item {n}")
        score_all(item, 1 + n % 5)
        ItemScore.objects.filter(item=item, criterion__key="savings").update(value=5 - n % 5)
        items.append(item)
    return items


def _savings_weights(council, profile, criteria):
    savings = next(c for c in criteria if c.key == "savings")
    return {**{str(c.pk): profile.weight_for(c) for c in criteria}, str(savings.pk): 100}


def test_preview_under_the_bound_matches_the_full_ranking_exactly(council, profile, criteria):
    _scored_backlog(council, 14)
    weights = _savings_weights(council, profile, criteria)
    shown = weightings.preview(council=council, method=profile.method, weights=weights)
    assert not shown.is_partial and shown.covered == shown.backlog_size == 14
    weightings.update_profile(
        profile=profile, method=profile.method, weights=weights, version=profile.version
    )
    run = ranking.run_now(council=council)
    full = list(run.entries.select_related("item").order_by("position")[: weightings.PREVIEW_SIZE])
    assert [(row.position, row.reference, row.score) for row in shown.rows] == [
        (entry.position, entry.item.reference, float(entry.score)) for entry in full
    ]


def test_preview_over_the_bound_reranks_only_the_current_top(
    council, profile, criteria, monkeypatch
):
    items = _scored_backlog(council, 12)
    run = ranking.run_now(council=council)
    current_top = set(
        run.entries.order_by("position").values_list("item__reference", flat=True)[:4]
    )
    monkeypatch.setattr(weightings, "PREVIEW_FULL_LIMIT", 10)
    monkeypatch.setattr(weightings, "PREVIEW_SUBSET", 4)
    weights = _savings_weights(council, profile, criteria)
    shown = weightings.preview(council=council, method=profile.method, weights=weights)
    assert shown.is_partial and shown.subset_basis == "current"
    assert (shown.covered, shown.backlog_size) == (4, len(items))
    assert {row.reference for row in shown.rows} == current_top
    scores = [row.score for row in shown.rows]
    assert scores == sorted(scores, reverse=True)


def test_preview_over_the_bound_without_a_ranking_reranks_the_oldest(
    council, profile, criteria, monkeypatch
):
    items = _scored_backlog(council, 6)
    monkeypatch.setattr(weightings, "PREVIEW_FULL_LIMIT", 5)
    monkeypatch.setattr(weightings, "PREVIEW_SUBSET", 3)
    weights = _savings_weights(council, profile, criteria)
    shown = weightings.preview(council=council, method=profile.method, weights=weights)
    assert shown.subset_basis == "oldest" and shown.covered == 3
    assert {row.reference for row in shown.rows} == {item.reference for item in items[:3]}


def test_capped_preview_says_what_it_covers(viewer_client, council, profile, criteria, monkeypatch):
    _scored_backlog(council, 12)
    ranking.run_now(council=council)
    monkeypatch.setattr(weightings, "PREVIEW_FULL_LIMIT", 10)
    monkeypatch.setattr(weightings, "PREVIEW_SUBSET", 4)
    response = viewer_client.get(
        _url(council, "weightings_preview"), _post_data(profile, criteria), HTTP_HX_REQUEST="true"
    )
    body = " ".join(response.content.decode().split())
    assert response.status_code == 200
    assert "Preview of the top 4 of 12 items in the current ranking" in body
    assert "Saving ranks the whole backlog." in body


# --- Profiles -----------------------------------------------------------------------------


def test_admin_creates_a_profile_starting_from_the_active_weights(
    admin_client_for_council, council, profile
):
    response = admin_client_for_council.post(
        _url(council, "weighting_profile_new"), {"new-name": "Savings drive"}
    )
    created = council.profiles.get(name="Savings drive")
    assert response.status_code == 302
    assert response["Location"] == _url(council, "weighting_profile", created.pk)
    assert created.weights == profile.weights
    assert not created.is_active


def test_duplicate_profile_name_is_refused(admin_client_for_council, council, profile):
    response = admin_client_for_council.post(
        _url(council, "weighting_profile_new"), {"new-name": profile.name.upper()}
    )
    assert response.status_code == 400
    assert "A profile with that name already exists" in response.content.decode()
    assert council.profiles.count() == 1


def test_blank_profile_name_is_refused(admin_client_for_council, council):
    response = admin_client_for_council.post(
        _url(council, "weighting_profile_new"), {"new-name": "   "}
    )
    assert response.status_code == 400
    assert "Enter a name for the profile" in response.content.decode()


def test_refused_new_profile_without_an_active_one_shows_the_oldest(
    admin_client_for_council, council, profile
):
    council.profiles.update(is_active=False)
    response = admin_client_for_council.post(
        _url(council, "weighting_profile_new"), {"new-name": "   "}
    )
    assert response.status_code == 400
    assert response.context["profile"] == council.profiles.order_by("pk").first()


def test_refused_new_profile_with_no_profile_at_all_is_not_found(admin_client_for_council, council):
    council.profiles.all().delete()
    response = admin_client_for_council.post(
        _url(council, "weighting_profile_new"), {"new-name": "   "}
    )
    assert response.status_code == 404


def test_admin_copies_a_profile(admin_client_for_council, council, profile):
    WeightingProfile.objects.filter(pk=profile.pk).update(method=Method.RICE)
    admin_client_for_council.post(
        _url(council, "weighting_profile_copy", profile.pk), {"copy-name": "Copy"}
    )
    copy = council.profiles.get(name="Copy")
    assert copy.method == Method.RICE
    assert copy.weights == profile.weights


def test_admin_renames_and_edits_an_inactive_profile_without_a_run(
    admin_client_for_council, council, profile, criteria
):
    other = weightings.create_profile(council=council, name="Draft")
    data = _post_data(other, criteria, name="Draft two", method="wsjf")
    response = admin_client_for_council.post(_url(council, "weighting_profile", other.pk), data)
    assert response.status_code == 302
    other.refresh_from_db()
    assert (other.name, other.method) == ("Draft two", "wsjf")
    assert not council.runs.exists()


def test_activating_a_profile_leaves_exactly_one_active_and_queues_a_run(
    admin_client_for_council, council, profile, django_capture_on_commit_callbacks
):
    other = weightings.create_profile(council=council, name="Draft")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_for_council.post(
            _url(council, "weighting_profile_activate", other.pk)
        )
    assert response.status_code == 302
    assert list(council.profiles.filter(is_active=True)) == [other]
    run = council.runs.get()
    assert run.profile == other


def test_editor_cannot_activate_a_profile(editor_client, council, profile):
    other = weightings.create_profile(council=council, name="Draft")
    response = editor_client.post(_url(council, "weighting_profile_activate", other.pk))
    assert response.status_code == 403
    other.refresh_from_db()
    assert not other.is_active


def test_update_keeps_weights_of_inactive_criteria(council, profile, criteria):
    hidden = criteria[0]
    hidden.active = False
    hidden.save()
    weightings.update_profile(
        profile=profile,
        method=Method.WEIGHTED_SUM,
        weights={str(criteria[1].pk): 50},
        version=profile.version,
    )
    profile.refresh_from_db()
    assert profile.weights[str(hidden.pk)] == 25


def test_preview_with_no_active_criteria_explains_why(viewer_client, council, profile):
    council.criteria.update(active=False)
    response = viewer_client.get(
        _url(council, "weightings_preview"), {"method": "weighted_sum"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert "no active criteria" in response.content.decode()


def test_preview_uses_the_typed_weights_even_if_the_saved_ones_are_unusable(
    viewer_client, council, profile, criteria, ranked_items
):
    WeightingProfile.objects.filter(pk=profile.pk).update(weights={})
    params = _post_data(profile, criteria, **{f"weight_{criteria[0].pk}": 10})
    response = viewer_client.get(
        _url(council, "weightings_preview"), params, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Top 2 with these weights" in response.content.decode()


def test_admin_page_offers_copy_and_create_forms_with_the_profile_name_escaped(
    admin_client_for_council, council, profile
):
    WeightingProfile.objects.filter(pk=profile.pk).update(name="<b>Balanced</b>")
    body = admin_client_for_council.get(_url(council)).content.decode()
    assert f'action="{_url(council, "weighting_profile_copy", profile.pk)}"' in body
    assert f'action="{_url(council, "weighting_profile_new")}"' in body
    assert "Copy “&lt;b&gt;Balanced&lt;/b&gt;”" in body
    assert "<b>Balanced</b>" not in body


def test_weightings_page_shows_which_criteria_feed_each_method(admin_client_for_council, council):
    response = admin_client_for_council.get(f"/c/{council.slug}/weightings/")
    page = response.content.decode()
    assert "With this council's criteria: Reach: Citizen impact" in page
    assert "Effort: Effort" in page


def test_method_mappings_name_the_councils_criteria_for_every_method(council):
    from planner import weightings

    profile = council.profiles.get(is_active=True)
    criteria = weightings.active_criteria(council)
    mappings = weightings.method_mappings(profile=profile, criteria=criteria)
    assert set(mappings) == {"weighted_sum", "rice", "wsjf"}
    assert "Confidence: Confidence" in mappings["rice"]
    assert "Citizen impact" in mappings["wsjf"]


def test_viewers_read_the_active_methods_formula_and_criteria(viewer_client, council):
    page = viewer_client.get(f"/c/{council.slug}/weightings/").content.decode()
    assert "Score = 100 × Σ(weight × normalised score)" in page
    assert "With this council's criteria:" in page


def test_preview_shows_rank_moves_against_the_current_ranking(council, profile, criteria):
    items = _scored_backlog(council, 12)
    current = ranking.run_now(council=council)
    was = dict(current.entries.values_list("item__reference", "position"))
    weights = _savings_weights(council, profile, criteria)
    shown = weightings.preview(council=council, method=profile.method, weights=weights)
    assert any(row.moved for row in shown.rows)
    for row in shown.rows:
        assert row.moved == was[row.reference] - row.position
    assert len(items) == 12


def test_preview_marks_items_not_in_the_current_ranking_as_new(council, profile, criteria):
    _scored_backlog(council, 3)
    ranking.run_now(council=council)
    late = BacklogItemFactory(council=council, title="Added since")
    score_all(late, 5)
    shown = weightings.preview(
        council=council, method=profile.method, weights=_savings_weights(council, profile, criteria)
    )
    row = next(row for row in shown.rows if row.reference == late.reference)
    assert row.moved is None


def test_preview_shows_horizon_changes_against_the_current_plan(council, profile, criteria):
    _scored_backlog(council, 12)
    council.items.update(effort_days=60)  # one item fills a quarter: order decides Now
    current = ranking.run_now(council=council)
    horizons = dict(current.entries.values_list("item__reference", "horizon"))
    weights = _savings_weights(council, profile, criteria)
    shown = weightings.preview(council=council, method=profile.method, weights=weights)
    assert shown.shows_horizons
    changed = [row for row in shown.rows if row.horizon_changed]
    assert changed
    for row in shown.rows:
        assert row.horizon_now == weightings.horizon_label(horizons[row.reference])
    weightings.update_profile(
        profile=profile, method=profile.method, weights=weights, version=profile.version
    )
    saved = ranking.run_now(council=council)
    after = dict(saved.entries.values_list("item__reference", "horizon"))
    for row in shown.rows:
        assert row.horizon_here == weightings.horizon_label(after[row.reference])


def test_preview_page_says_moves_in_words_not_only_arrows(
    viewer_client, council, profile, criteria
):
    _scored_backlog(council, 12)
    ranking.run_now(council=council)
    params = _post_data(profile, criteria)
    savings = next(c for c in criteria if c.key == "savings")
    params[f"weight_{savings.pk}"] = 100
    body = viewer_client.get(
        _url(council, "weightings_preview"), params, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "▲" in body and "▼" in body
    assert re.search(r'govuk-visually-hidden">up \d+ places?<', body)
    assert re.search(r'govuk-visually-hidden">down \d+ places?<', body)
