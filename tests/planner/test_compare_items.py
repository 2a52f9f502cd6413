"""The "Why is X above Y?" page, its two entry points (item page, backlog) and its bad input."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from councils.models import Role
from planner import ranking
from planner.models import ItemScore, Method, RankedEntry, RankingRun
from tests.conftest import member_client
from tests.factories import BacklogItemFactory, score_all


def scored_item(council, **values):
    """An item scored 3 on every criterion, except the criteria (by key) given."""
    item = BacklogItemFactory(council=council)
    score_all(item, 3)
    for key, value in values.items():
        ItemScore.objects.filter(item=item, criterion__key=key).update(value=value)
    return item


@pytest.fixture
def pair(council):
    """DIG-… A wins on Citizen impact (weight 25), B on Savings (weight 20): A is above."""
    a = scored_item(council, citizen_impact=5)
    b = scored_item(council, savings=5)
    ranking.run_now(council=council)
    return a, b


def text(response) -> str:
    """The page's HTML with its whitespace run together, as a reader sees the text."""
    return " ".join(response.content.decode().split())


def compare_url(council, a, b=None):
    query = f"?a={a}" + (f"&b={b}" if b is not None else "")
    return reverse("compare_items", args=[council.slug]) + query


def test_the_two_items_side_by_side_with_what_would_swap_them(viewer_client, council, pair):
    a, b = pair
    response = viewer_client.get(compare_url(council, a.reference, b.reference))
    assert response.status_code == 200
    comparison = response.context["comparison"]
    assert comparison.upper.item == a and comparison.lower.item == b
    page = text(response)
    assert f"Why is {a.reference} above {b.reference}?" in page
    entry_a = RankedEntry.objects.get(item=a)
    entry_b = RankedEntry.objects.get(item=b)
    assert f"{entry_a.score} out of 100" in page and f"{entry_b.score} out of 100" in page
    # Each criterion's points for each, and the difference.
    savings = next(row for row in comparison.rows if row.name == "Savings")
    assert savings.a_points == float(entry_a.contributions[str(savings_id(council))])
    assert savings.difference < 0
    # Impact's 25 × ½ = Savings' u × ½ → u = 25; Savings' 20 × ½ = Impact's u × ½ → u = 20.
    assert (
        f"{a.reference} stays above {b.reference} unless Savings’ weight rises above 25% "
        "(now 20%)." in page
    )
    assert (
        f"{a.reference} stays above {b.reference} unless Citizen impact’s weight falls below "
        "20% (now 25%)." in page
    )
    assert "No weight from 0% to 100% for Statutory or risk reduction, Strategic fit" in page
    # The ranges the run's robustness step worked out, with their labels.
    assert f"{entry_a.rank_low}–{entry_a.rank_high} ({entry_a.stability})" in page
    assert f"{a.reference} stays above {b.reference} in <strong>" in page
    assert 0 < comparison.p_upper_stays <= 1


def savings_id(council):
    return council.criteria.get(key="savings").pk


def test_the_order_asked_for_is_kept_but_the_question_follows_the_ranking(
    viewer_client, council, pair
):
    a, b = pair
    response = viewer_client.get(compare_url(council, b.reference.lower(), a.reference))
    assert response.status_code == 200
    comparison = response.context["comparison"]
    assert comparison.a.item == b  # the first column is the first asked for
    assert f"Why is {a.reference} above {b.reference}?" in response.content.decode()


def test_rank_ranges_are_shown_once_worked_out(viewer_client, council, pair):
    a, b = pair
    RankedEntry.objects.filter(item=a).update(rank_low=1, rank_high=2, stability="settled")
    RankedEntry.objects.filter(item=b).update(rank_low=1, rank_high=2, stability="settled")
    page = text(viewer_client.get(compare_url(council, a.reference, b.reference)))
    assert "1–2 (settled)" in page
    assert "Not worked out yet" not in page


def test_the_probability_uses_the_profiles_band(viewer_client, council, pair):
    a, b = pair
    council.profiles.update(weight_band_percent=60)
    # Ranges not worked out yet: the band comes from the profile, not the run's record.
    RankingRun.objects.filter(council=council).update(robustness={})
    response = viewer_client.get(compare_url(council, a.reference, b.reference))
    assert response.context["comparison"].band_percent == 60
    assert "by up to 60% of its value either way" in text(response)


def test_the_probability_follows_how_the_runs_ranges_were_sampled(viewer_client, council, pair):
    a, b = pair
    RankingRun.objects.filter(council=council).update(
        robustness={"samples": 500, "band": 40, "seed": 1}
    )
    response = viewer_client.get(compare_url(council, a.reference, b.reference))
    comparison = response.context["comparison"]
    assert (comparison.samples, comparison.band_percent) == (500, 40)
    assert "of 500 samples" in text(response)


def test_a_score_changed_since_the_run_is_flagged(viewer_client, council, pair):
    a, b = pair
    ItemScore.objects.filter(item=a, criterion__key="readiness").update(value=1)
    response = viewer_client.get(compare_url(council, a.reference, b.reference))
    assert response.context["comparison"].scores_changed
    assert "A score has changed since this ranking" in response.content.decode()


def test_tied_items_say_the_tie_break_decides(viewer_client, council):
    a = scored_item(council)
    b = scored_item(council)
    ranking.run_now(council=council)
    response = viewer_client.get(compare_url(council, a.reference, b.reference))
    assert response.status_code == 200
    assert "have the same score" in response.content.decode()


@pytest.mark.parametrize("method", [Method.RICE, Method.WSJF])
def test_rice_and_wsjf_search_for_the_flip(viewer_client, council, method):
    council.profiles.update(method=method)
    a = scored_item(council, strategic_fit=5, readiness=2)
    b = scored_item(council, readiness=5, strategic_fit=2, citizen_impact=2)
    ranking.run_now(council=council)
    response = viewer_client.get(compare_url(council, a.reference, b.reference))
    assert response.status_code == 200
    page = text(response)
    assert "found by a numeric search" in page
    upper = response.context["comparison"].upper.item.reference
    assert f"{upper} stays above" in page


def test_with_no_question_the_page_is_the_form(viewer_client, council):
    response = viewer_client.get(reverse("compare_items", args=[council.slug]))
    assert response.status_code == 200
    assert response.context["comparison"] is None
    page = response.content.decode()
    assert 'name="a"' in page and 'name="b"' in page
    assert "There is a problem" not in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?a=DIG-001", "Enter the reference of the second item"),
        ("?b=DIG-001", "Enter the reference of the first item"),
        ("?a=&b=", "Enter the reference of the first item"),
        ("?a=" + "X" * 30 + "&b=DIG-001", "Enter a reference like DIG-004"),
    ],
)
def test_missing_references_are_a_form_error(viewer_client, council, query, message):
    response = viewer_client.get(reverse("compare_items", args=[council.slug]) + query)
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and message in page
    assert "<title>Error:" in page


def test_the_same_item_twice_is_refused(viewer_client, council, pair):
    a, _b = pair
    response = viewer_client.get(compare_url(council, a.reference, a.reference.lower()))
    assert response.status_code == 400
    assert "Choose two different items to compare" in response.content.decode()


def test_an_unknown_reference_is_not_found_with_the_form(viewer_client, council, pair):
    a, _b = pair
    response = viewer_client.get(compare_url(council, a.reference, "DIG-999"))
    assert response.status_code == 404
    assert "There is no item DIG-999 in this backlog" in response.content.decode()


def test_another_councils_reference_is_not_found(viewer_client, council, other_council, pair):
    a, _b = pair
    theirs = scored_item(other_council, savings=5)
    ranking.run_now(council=other_council)
    assert not council.items.filter(reference=theirs.reference).exists()
    response = viewer_client.get(compare_url(council, a.reference, theirs.reference))
    assert response.status_code == 404
    assert theirs.title not in response.content.decode()


def test_an_archived_item_is_refused(viewer_client, council, pair):
    a, b = pair
    b.archived = True
    b.save()
    response = viewer_client.get(compare_url(council, a.reference, b.reference))
    assert response.status_code == 400
    assert f"{b.reference} is archived" in response.content.decode()


def test_an_unranked_item_is_refused(viewer_client, council, pair):
    a, _b = pair
    unscored = BacklogItemFactory(council=council)
    response = viewer_client.get(compare_url(council, unscored.reference, a.reference))
    assert response.status_code == 400
    assert f"{unscored.reference} is not in the latest ranking" in response.content.decode()


def test_with_no_ranking_yet_it_says_so(viewer_client, council):
    a = scored_item(council)
    b = scored_item(council)
    response = viewer_client.get(compare_url(council, a.reference, b.reference))
    assert response.status_code == 400
    assert "Nothing has been ranked yet" in response.content.decode()


def test_hostile_values_never_fail(viewer_client, council, pair):
    url = reverse("compare_items", args=[council.slug])
    for query in ("?a=%27%3B--&b=%3Cscript%3E", "?a=DIG-001&a=DIG-002&b=", "?a=%E2%80%8B&b=x"):
        assert viewer_client.get(url + query).status_code in {400, 404}


def test_a_non_member_gets_404(outsider_client, council, pair):
    a, b = pair
    assert outsider_client.get(compare_url(council, a.reference, b.reference)).status_code == 404


def test_every_role_may_compare_and_no_one_may_post(council, pair):
    a, b = pair
    url = compare_url(council, a.reference, b.reference)
    for role in Role:
        client = member_client(council, role)
        assert client.get(url).status_code == 200
        assert client.post(url).status_code == 405


def test_the_page_runs_a_constant_number_of_queries(viewer_client, council, pair):
    a, b = pair
    url = compare_url(council, a.reference, b.reference)
    viewer_client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as few:
        viewer_client.get(url)
    for _ in range(25):
        scored_item(council, savings=2)
    ranking.run_now(council=council)
    with CaptureQueriesContext(connection) as many:
        assert viewer_client.get(url).status_code == 200
    assert len(many) == len(few)
    # Session, user, membership, run, the two items, their entries, scores, profile: 8.
    assert len(few) <= 8


# --- The backlog's "Compare two items" ---


def select_url(council):
    return reverse("compare_items_select", args=[council.slug])


def test_two_ticked_rows_go_to_their_comparison(editor_client, council, pair):
    a, b = pair
    response = editor_client.post(select_url(council), {"items": [a.reference, b.reference]})
    assert response.status_code == 302
    assert response["Location"] == compare_url(council, a.reference, b.reference)


def test_from_htmx_the_browser_is_sent_there(editor_client, council, pair):
    a, b = pair
    response = editor_client.post(
        select_url(council), {"items": [a.reference, b.reference]}, HTTP_HX_REQUEST="true"
    )
    assert response["HX-Redirect"] == compare_url(council, a.reference, b.reference)


@pytest.mark.parametrize("ticked", [0, 1, 3])
def test_not_exactly_two_ticked_explains(editor_client, council, ticked):
    refs = [scored_item(council).reference for _ in range(ticked)]
    response = editor_client.post(select_url(council), {"items": refs}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("backlog", args=[council.slug])
    assert f"Tick exactly two rows to compare them (you ticked {ticked})." in (
        response.content.decode()
    )


def test_the_backlog_offers_the_button(editor_client, council, pair):
    page = editor_client.get(reverse("backlog", args=[council.slug])).content.decode()
    assert select_url(council) in page and "Compare two items" in page


def test_a_non_member_cannot_use_the_button(outsider_client, council, pair):
    a, b = pair
    response = outsider_client.post(select_url(council), {"items": [a.reference, b.reference]})
    assert response.status_code == 404


# --- The item page's "Compare with…" ---


def test_the_item_page_offers_the_top_twenty_less_itself(viewer_client, council):
    items = [scored_item(council, citizen_impact=1 + i % 5, savings=1 + i // 5) for i in range(23)]
    ranking.run_now(council=council)
    item = items[0]
    response = viewer_client.get(reverse("item_detail", args=[council.slug, item.reference]))
    choices = response.context["compare_choices"]
    top = list(
        RankedEntry.objects.filter(run=ranking.latest_done_run(council))
        .exclude(item=item)
        .order_by("position")
        .values_list("item__reference", flat=True)[:20]
    )
    assert [reference for reference, _label in choices] == top
    assert choices[0][1].startswith(f"1. {top[0]} ") or choices[0][1].startswith("=1. ")
    page = response.content.decode()
    assert "Compare with…" in page
    assert f'<input type="hidden" name="a" value="{item.reference}">' in page


def test_an_unranked_item_page_has_no_compare_form(viewer_client, council, pair):
    unscored = BacklogItemFactory(council=council)
    page = viewer_client.get(reverse("item_detail", args=[council.slug, unscored.reference]))
    assert "Compare with…" not in page.content.decode()


def test_ranges_not_yet_worked_out_say_so(viewer_client, council, pair):
    a, b = pair
    RankedEntry.objects.filter(item__in=[a, b]).update(rank_low=None, rank_high=None, stability="")
    page = text(viewer_client.get(compare_url(council, a.reference, b.reference)))
    assert page.count("Not worked out yet") == 2
