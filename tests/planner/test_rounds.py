"""Scoring rounds: starting, blind scoring, privacy before closing, results, agreeing and
applying once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from councils.models import Role
from planner import rounds
from planner.history import item_history
from planner.models import (
    AgreedScore,
    ItemScore,
    RankingRun,
    RoundScore,
    RoundStatus,
    ScoringRound,
)
from tests.concurrency import at_once, council_with_member, needs_postgres
from tests.conftest import MemberClient
from tests.factories import BacklogItemFactory, MembershipFactory, UserFactory


def member(council, role: Role, name: str):
    user = UserFactory(username=f"{name}-{council.slug}")
    MembershipFactory(user=user, council=council, role=role)
    return user


@pytest.fixture
def people(council):
    """A facilitating editor and three participants: an editor, an approver and a viewer."""
    return {
        "lead": member(council, Role.EDITOR, "lead"),
        "cio": member(council, Role.APPROVER, "cio"),
        "clerk": member(council, Role.VIEWER, "clerk"),
        "bystander": member(council, Role.VIEWER, "bystander"),
    }


def start(council, people, *, items=2, anonymised=False) -> ScoringRound:
    chosen = [BacklogItemFactory.create(council=council) for _ in range(items)]
    return rounds.start_round(
        council=council,
        user=people["lead"],
        name="Digital board",
        items=chosen,
        participants=[people["lead"], people["cio"], people["clerk"]],
        anonymised=anonymised,
    )


def score(scoring_round, user, value_for, finished=True):
    """`user` scores every cell of the round: value_for(item, criterion) → 1..5."""
    participant = rounds.participant_for(scoring_round, user_id=user.pk)
    rounds.save_own_scores(
        participant=participant,
        values={
            (item.pk, criterion.pk): value_for(item, criterion)
            for item in rounds.round_items(scoring_round)
            for criterion in rounds.round_criteria(scoring_round)
        },
        finished=finished,
    )


def url(name, scoring_round):
    return reverse(name, args=[scoring_round.council.slug, scoring_round.pk])


# --- Starting a round ---------------------------------------------------------------


def test_start_page_ticks_the_items_chosen_in_the_backlog(editor_client, council):
    first, second, _ = (BacklogItemFactory(council=council) for _ in range(3))
    response = editor_client.get(
        reverse("round_new", args=[council.slug]),
        {"items": [first.reference, second.reference]},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'value="{first.reference}" checked' in html
    assert f'value="{second.reference}" checked' in html
    assert html.count('name="items"') == 2


def test_editor_starts_a_round_with_a_viewer_taking_part(editor_client, council, people):
    item = BacklogItemFactory(council=council)
    response = editor_client.post(
        reverse("round_new", args=[council.slug]),
        {
            "name": "Budget workshop",
            "items": [item.reference],
            "participants": [people["clerk"].pk, people["cio"].pk],
            "anonymised": "anonymised",
        },
    )
    scoring_round = ScoringRound.objects.get(council=council)
    assert response.status_code == 302
    assert response["Location"] == url("round_detail", scoring_round)
    assert scoring_round.anonymised
    assert list(scoring_round.items.all()) == [item]
    assert {p.user for p in scoring_round.participants.all()} == {people["clerk"], people["cio"]}
    assert scoring_round.criteria.filter(derived_from_estimate=True).count() == 0


def test_a_round_without_items_or_participants_is_refused_and_nothing_is_created(
    editor_client, council
):
    response = editor_client.post(reverse("round_new", args=[council.slug]), {"name": "X"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Select at least one item to score" in html
    assert "Select at least one participant" in html
    assert not ScoringRound.objects.exists()


def test_outsiders_cannot_be_invited(editor_client, council, other_council):
    item = BacklogItemFactory(council=council)
    outsider = member(other_council, Role.ADMIN, "outsider")
    response = editor_client.post(
        reverse("round_new", args=[council.slug]),
        {
            "name": "X",
            "items": [item.reference],
            "participants": [outsider.pk],
            "anonymised": "named",
        },
    )
    assert response.status_code == 400
    assert not ScoringRound.objects.exists()


def test_viewer_cannot_start_a_round(viewer_client, council):
    assert viewer_client.get(reverse("round_new", args=[council.slug])).status_code == 403


# --- Blind scoring and privacy ------------------------------------------------------


def test_viewer_participant_scores_on_their_own_page(council, people):
    scoring_round = start(council, people, items=1)
    item = rounds.round_items(scoring_round)[0]
    criterion = rounds.round_criteria(scoring_round)[0]
    client = MemberClient(people["clerk"])
    response = client.post(
        url("round_score", scoring_round), {f"s-{item.pk}-{criterion.pk}": "4", "finish": "1"}
    )
    assert response.status_code == 302
    stored = RoundScore.objects.get()
    assert (stored.participant.user, stored.value) == (people["clerk"], 4)
    assert stored.participant.finished_at is not None


def test_a_bad_score_is_refused_and_nothing_is_saved(council, people):
    scoring_round = start(council, people, items=1)
    item = rounds.round_items(scoring_round)[0]
    criterion = rounds.round_criteria(scoring_round)[0]
    response = MemberClient(people["clerk"]).post(
        url("round_score", scoring_round), {f"s-{item.pk}-{criterion.pk}": "9"}
    )
    assert response.status_code == 400
    assert "Choose a score from 1 to 5" in response.content.decode()
    assert not RoundScore.objects.exists()


def test_non_participants_cannot_open_the_scoring_page(council, people, editor_client):
    scoring_round = start(council, people)
    assert (
        MemberClient(people["bystander"]).get(url("round_score", scoring_round)).status_code == 404
    )
    # An editor who is not taking part facilitates, but has no scoring page.
    assert editor_client.get(url("round_score", scoring_round)).status_code == 404
    assert (
        MemberClient(people["bystander"]).get(url("round_detail", scoring_round)).status_code == 404
    )
    assert (
        MemberClient(people["bystander"]).post(url("round_score", scoring_round)).status_code == 404
    )


def test_a_participant_never_sees_another_participants_score_before_closing(council, people):
    scoring_round = start(council, people, items=1)
    score(scoring_round, people["cio"], lambda item, criterion: 5)
    score(scoring_round, people["lead"], lambda item, criterion: 1, finished=False)
    clerk = MemberClient(people["clerk"])
    page = clerk.get(url("round_score", scoring_round)).content.decode()
    # The clerk has scored nothing: every select still shows "Not scored".
    assert " selected>" not in page.replace('value="" selected>', "")
    detail = clerk.get(url("round_detail", scoring_round)).content.decode()
    partial = clerk.get(url("round_detail", scoring_round), HTTP_HX_REQUEST="true").content.decode()
    for html in (detail, partial):
        assert "Median" not in html
        assert "Finished" in html  # who has finished, never what they gave
    assert 'id="round-progress"' in partial
    assert "<html" not in partial
    csv = clerk.get(url("round_export", scoring_round))
    assert csv.status_code == 409
    with pytest.raises(rounds.RoundStateError):
        rounds.results(scoring_round)


def test_the_facilitators_progress_polls_while_open_and_reloads_without_js(
    editor_client, council, people
):
    scoring_round = start(council, people)
    score(scoring_round, people["cio"], lambda item, criterion: 3)
    html = MemberClient(people["lead"]).get(url("round_detail", scoring_round)).content.decode()
    assert 'hx-trigger="every 5s"' in html
    assert f'href="{url("round_detail", scoring_round)}"' in html
    assert "1 of 3 finished" in html


def test_scores_cannot_change_after_closing(council, people):
    scoring_round = start(council, people, items=1)
    rounds.close_round(scoring_round=scoring_round, user=people["lead"])
    item = rounds.round_items(scoring_round)[0]
    criterion = rounds.round_criteria(scoring_round)[0]
    response = MemberClient(people["clerk"]).post(
        url("round_score", scoring_round), {f"s-{item.pk}-{criterion.pk}": "2"}
    )
    assert response.status_code == 409
    assert not RoundScore.objects.exists()


# --- Closing: results ----------------------------------------------------------------


def _split_round(council, people, anonymised=False):
    """Two items: the second is disputed on its first criterion (1, 3, 5); the rest agree."""
    scoring_round = start(council, people, items=2, anonymised=anonymised)
    calm, disputed = rounds.round_items(scoring_round)
    first = rounds.round_criteria(scoring_round)[0]
    values = {"lead": 1, "cio": 3, "clerk": 5}
    for name, value in values.items():
        score(
            scoring_round,
            people[name],
            lambda item, criterion, value=value: (
                value if (item, criterion) == (disputed, first) else 4
            ),
        )
    return scoring_round, calm, disputed, first


def test_closing_shows_the_most_disputed_item_first_with_median_and_range(
    editor_client, council, people
):
    scoring_round, calm, disputed, first = _split_round(council, people)
    editor_client.post(url("round_close", scoring_round))
    scoring_round.refresh_from_db()
    assert scoring_round.status == RoundStatus.CLOSED
    result = rounds.results(scoring_round)
    assert [r.item for r in result.items] == [disputed, calm]
    cell = result.items[0].cells[0]
    assert cell.scores == [1, 3, 5]
    assert (cell.summary.low, cell.summary.high, cell.summary.disagree) == (1, 5, True)
    assert AgreedScore.objects.get(item=disputed, criterion=first).value == 3
    html = MemberClient(people["clerk"]).get(url("round_detail", scoring_round)).content.decode()
    assert html.index(disputed.reference) < html.index(f"results-{calm.reference}")
    assert "Disagree" in html
    assert people["cio"].username in html


def test_an_anonymised_round_shows_no_names(council, people):
    scoring_round, *_ = _split_round(council, people, anonymised=True)
    rounds.close_round(scoring_round=scoring_round, user=people["lead"])
    html = MemberClient(people["clerk"]).get(url("round_detail", scoring_round)).content.decode()
    csv = MemberClient(people["lead"]).get(url("round_export", scoring_round))
    body = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert "Participant 3" in html and "Participant 3" in body
    # The clerk's own name is in the page header (signed in as); nobody else's is anywhere.
    assert people["cio"].username not in html
    for name in ("cio", "clerk"):
        assert people[name].username not in body


def test_the_csv_of_a_closed_round_lists_every_score(council, people):
    scoring_round, _, disputed, first = _split_round(council, people)
    rounds.close_round(scoring_round=scoring_round, user=people["lead"])
    csv = MemberClient(people["clerk"]).get(url("round_export", scoring_round))
    lines = b"".join(csv.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Reference,Title,Criterion,lead-")
    assert f"{disputed.reference},{disputed.title},{first.name},1,3,5,3.0,1,5,yes,3," in lines


# --- Agreeing and applying ---------------------------------------------------------


def _agree_data(scoring_round, changes=None):
    data = {}
    for agreed in scoring_round.agreed_scores.all():
        key = f"{agreed.item_id}-{agreed.criterion_id}"
        data[f"a-{key}"] = str(agreed.value)
        data[f"n-{key}"] = agreed.note
    data.update(changes or {})
    return data


def test_an_agreed_score_other_than_the_median_needs_a_note(editor_client, council, people):
    scoring_round, _, disputed, first = _split_round(council, people)
    rounds.close_round(scoring_round=scoring_round, user=people["lead"])
    key = f"{disputed.pk}-{first.pk}"
    response = editor_client.post(
        url("round_agree", scoring_round), _agree_data(scoring_round, {f"a-{key}": "5"})
    )
    assert response.status_code == 400
    assert "rather than the median, 3" in response.content.decode()
    assert AgreedScore.objects.get(item=disputed, criterion=first).value == 3
    response = editor_client.post(
        url("round_agree", scoring_round),
        _agree_data(scoring_round, {f"a-{key}": "5", f"n-{key}": "Statutory duty from April"}),
    )
    assert response.status_code == 302
    agreed = AgreedScore.objects.get(item=disputed, criterion=first)
    assert (agreed.value, agreed.note) == (5, "Statutory duty from April")


def test_applying_writes_the_scores_with_history_and_asks_for_one_run(
    editor_client, council, people, django_capture_on_commit_callbacks
):
    scoring_round, calm, disputed, first = _split_round(council, people)
    rounds.close_round(scoring_round=scoring_round, user=people["lead"])
    key = f"{disputed.pk}-{first.pk}"
    runs_before = RankingRun.objects.filter(council=council).count()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = editor_client.post(
            url("round_apply", scoring_round),
            _agree_data(scoring_round, {f"a-{key}": "4", f"n-{key}": "Agreed after discussion"}),
        )
    assert response.status_code == 302
    assert len(callbacks) == 1  # one ranking run enqueued
    assert RankingRun.objects.filter(council=council).count() == runs_before + 1
    scoring_round.refresh_from_db()
    assert scoring_round.status == RoundStatus.APPLIED
    written = ItemScore.objects.get(item=disputed, criterion=first)
    assert (written.value, written.rationale) == (4, "Agreed after discussion")
    assert ItemScore.objects.filter(item=calm, value=4).count() == len(
        rounds.round_criteria(scoring_round)
    )
    record = written.history.first()
    assert record.history_change_reason == "agreed in round Digital board"
    entries = item_history(disputed, list(council.criteria.all()))
    assert any("agreed in round Digital board" in entry.summary for entry in entries)


def test_applying_twice_writes_once(editor_client, council, people):
    scoring_round, *_ = _split_round(council, people)
    rounds.close_round(scoring_round=scoring_round, user=people["lead"])
    editor_client.post(url("round_apply", scoring_round))
    history_rows = ItemScore.history.count()
    response = editor_client.post(url("round_apply", scoring_round), follow=True)
    assert "already applied" in response.content.decode()
    assert ItemScore.history.count() == history_rows


@pytest.mark.django_db(transaction=True)
def test_concurrent_applies_write_the_agreed_scores_once():
    needs_postgres()
    council, lead = council_with_member(Role.EDITOR)
    item = BacklogItemFactory(council=council)
    scoring_round = rounds.start_round(
        council=council, user=lead, name="Race", items=[item], participants=[lead], anonymised=False
    )
    score(scoring_round, lead, lambda item, criterion: 2)
    rounds.close_round(scoring_round=scoring_round, user=lead)

    def apply(_: int) -> str:
        try:
            return str(rounds.apply_agreed(scoring_round=scoring_round, user=lead))
        except rounds.RoundStateError:
            return "refused"

    outcomes = at_once(3, apply)
    assert sorted(outcomes).count("refused") == 2
    criteria = len(rounds.round_criteria(scoring_round))
    assert ItemScore.history.filter(item_id=item.pk).count() == criteria


def test_viewers_cannot_close_agree_or_apply(council, people):
    scoring_round = start(council, people)
    clerk = MemberClient(people["clerk"])
    for name in ("round_close", "round_agree", "round_apply"):
        assert clerk.post(url(name, scoring_round)).status_code == 403
    scoring_round.refresh_from_db()
    assert scoring_round.status == RoundStatus.OPEN


def test_another_councils_round_is_404(outsider_client, council, people):
    scoring_round = start(council, people)
    for name in ("round_detail", "round_score", "round_export"):
        assert outsider_client.get(url(name, scoring_round)).status_code == 404


# --- Query counts ------------------------------------------------------------------


def _detail_queries(council, people, items, django_assert_max_num_queries, count):
    scoring_round, *_ = (start(council, people, items=items),)
    for name in ("lead", "cio", "clerk"):
        score(scoring_round, people[name], lambda item, criterion: 3)
    rounds.close_round(scoring_round=scoring_round, user=people["lead"])
    client = MemberClient(people["lead"])
    with django_assert_max_num_queries(count):
        assert client.get(url("round_detail", scoring_round)).status_code == 200


@pytest.mark.parametrize("items", [2, 8])
def test_the_closed_round_page_takes_a_fixed_number_of_queries(
    council, people, items, django_assert_max_num_queries
):
    _detail_queries(council, people, items, django_assert_max_num_queries, 16)


@pytest.mark.parametrize("count", [1, 6])
def test_the_rounds_list_takes_a_fixed_number_of_queries(
    council, people, count, django_assert_max_num_queries
):
    for _ in range(count):
        start(council, people, items=1)
    client = MemberClient(people["clerk"])
    with django_assert_max_num_queries(9):
        response = client.get(reverse("rounds", args=[council.slug]))
    assert response.content.decode().count(">Digital board</a>") == count


def test_start_page_ticks_the_items_the_backlog_filters_show(editor_client, council):
    theme = council.themes.first()
    other = council.themes.exclude(pk=theme.pk).first()
    shown = BacklogItemFactory(council=council, theme=theme)
    hidden = BacklogItemFactory(council=council, theme=other)
    html = editor_client.get(
        reverse("round_new", args=[council.slug]), {"theme": theme.pk}
    ).content.decode()
    assert f'value="{shown.reference}" checked' in html
    assert hidden.reference not in html


def test_participants_see_results_but_only_the_facilitator_agrees(council, people):
    scoring_round, *_ = _split_round(council, people)
    rounds.close_round(scoring_round=scoring_round, user=people["lead"])
    clerk_page = MemberClient(people["clerk"]).get(url("round_detail", scoring_round))
    lead_page = MemberClient(people["lead"]).get(url("round_detail", scoring_round))
    assert "Median" in clerk_page.content.decode()
    assert f'action="{url("round_agree", scoring_round)}"' not in clerk_page.content.decode()
    assert f'action="{url("round_agree", scoring_round)}"' in lead_page.content.decode()


def test_the_round_csv_neutralises_spreadsheet_formulas(council, people):
    scoring_round, calm, *_ = _split_round(council, people)
    calm.title = '=HYPERLINK("http://evil","x")'
    calm.save()
    rounds.close_round(scoring_round=scoring_round, user=people["lead"])
    csv = MemberClient(people["lead"]).get(url("round_export", scoring_round))
    body = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert ",=HYPERLINK" not in body
    assert "'=HYPERLINK" in body


def test_a_polling_progress_list_reloads_the_page_once_the_round_closes(council, people):
    scoring_round = start(council, people)
    clerk = MemberClient(people["clerk"])
    assert "HX-Refresh" not in clerk.get(url("round_detail", scoring_round), HTTP_HX_REQUEST="true")
    rounds.close_round(scoring_round=scoring_round, user=people["lead"])
    response = clerk.get(url("round_detail", scoring_round), HTTP_HX_REQUEST="true")
    assert response["HX-Refresh"] == "true"


def test_a_participant_sees_their_own_saved_scores_and_only_those(council, people):
    scoring_round = start(council, people, items=1)
    score(scoring_round, people["cio"], lambda item, criterion: 5)
    score(scoring_round, people["clerk"], lambda item, criterion: 2, finished=False)
    html = MemberClient(people["clerk"]).get(url("round_score", scoring_round)).content.decode()
    selected = html.count("selected>2: ")
    assert selected == len(rounds.round_criteria(scoring_round))
    assert "selected>5: " not in html
    rounds.close_round(scoring_round=scoring_round, user=people["lead"])
    closed = MemberClient(people["clerk"]).get(url("round_score", scoring_round)).content.decode()
    assert "<select" not in closed
    assert closed.count("<dd") == len(rounds.round_criteria(scoring_round))
