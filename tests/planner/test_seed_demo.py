from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from councils.models import Council, Directorate, Membership, Nation, Role, Ward
from planner.defaults import DEFAULT_CRITERIA, DEFAULT_THEMES
from planner.models import BacklogItem, ItemScore


def _counts():
    return (
        Council.objects.count(),
        Membership.objects.count(),
        get_user_model().objects.count(),
        BacklogItem.objects.count(),
        ItemScore.objects.count(),
        Ward.objects.count(),
        Directorate.objects.count(),
    )


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


def test_seed_demo_creates_three_councils_including_a_welsh_one(db, debug_on):
    call_command("seed_demo", verbosity=0)
    councils = {council.slug: council for council in Council.objects.all()}
    assert len(councils) == 3
    assert councils["gwynedd"].name == "Cyngor Gwynedd"
    assert councils["gwynedd"].nation == Nation.WALES


def test_seed_demo_is_idempotent(db, debug_on):
    call_command("seed_demo", verbosity=0)
    first = _counts()
    call_command("seed_demo", verbosity=0)
    assert _counts() == first


def test_each_demo_council_has_defaults_and_a_varied_mostly_scored_backlog(db, debug_on):
    call_command("seed_demo", verbosity=0)
    for council in Council.objects.all():
        assert council.themes.count() == len(DEFAULT_THEMES)
        assert council.criteria.count() == len(DEFAULT_CRITERIA)
        items = council.items.all()
        assert 40 <= items.count() <= 80
        assert items.values("theme").distinct().count() == len(DEFAULT_THEMES)
        assert items.values("status").distinct().count() >= 4
        fully_scored = sum(1 for item in items if item.scores.count() == len(DEFAULT_CRITERIA))
        assert fully_scored / items.count() > 0.7


def test_demo_users_have_one_role_each_in_every_council_and_one_single_council_user(db, debug_on):
    call_command("seed_demo", verbosity=0)
    roles = {"lead": Role.EDITOR, "cio": Role.APPROVER, "admin": Role.ADMIN, "clerk": Role.VIEWER}
    for username, role in roles.items():
        memberships = Membership.objects.filter(user__username=username)
        assert memberships.count() == 3
        assert {m.role for m in memberships} == {role}
    assert Membership.objects.filter(user__username="solo").count() == 1


def test_demo_password_comes_from_the_environment(db, debug_on, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "s3cret-demo")
    call_command("seed_demo", verbosity=0)
    assert get_user_model().objects.get(username="lead").check_password("s3cret-demo")


def test_seed_demo_refuses_with_debug_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", verbosity=0)
    assert Council.objects.count() == 0


def test_bulk_option_creates_fully_scored_councils(db, debug_on):
    call_command("seed_demo", councils=2, items=30, verbosity=0)
    bulk = Council.objects.filter(slug__startswith="bench-")
    assert bulk.count() == 2
    for council in bulk:
        assert council.items.count() == 30
        assert ItemScore.objects.filter(item__council=council).count() == 30 * len(DEFAULT_CRITERIA)


def test_bulk_option_needs_both_numbers(db, debug_on):
    with pytest.raises(CommandError):
        call_command("seed_demo", councils=2, verbosity=0)


def test_each_demo_council_has_one_closed_round_with_disagreement(db, debug_on):
    from planner import rounds
    from planner.models import RoundStatus, ScoringRound

    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)
    for council in Council.objects.filter(slug__in=["northmoor", "riverside", "gwynedd"]):
        (scoring_round,) = ScoringRound.objects.filter(council=council)
        assert scoring_round.status == RoundStatus.CLOSED
        assert scoring_round.participants.count() == 3
        results = rounds.results(scoring_round)
        assert results.items[0].disagreements == 2
        assert sum(result.disagreements for result in results.items) == 2


def test_each_demo_council_has_wards_and_directorates(db, debug_on):
    call_command("seed_demo", verbosity=0)
    for council in Council.objects.all():
        assert council.wards.count() >= 5
        assert council.directorates.count() >= 4


def test_seed_demo_saves_a_ranked_option_per_council_that_is_not_live(db, debug_on):
    from planner import ranking
    from planner.management.commands.seed_demo import DEMO_OPTION_NAME

    call_command("seed_demo", verbosity=0)
    for council in Council.objects.all():
        option = council.profiles.get(is_option=True)
        assert option.name == DEMO_OPTION_NAME and not option.is_active
        run = option.option_runs.get()
        assert run.status == "done" and run.entries.exists()
        assert ranking.latest_done_run(council).option is None


def test_seed_demo_top_ten_has_a_contested_item_by_rank_ranges(db, debug_on):
    """Proved with planner.robustness.rank_ranges called directly on the seeded data."""
    import numpy as np

    from planner import ranking, robustness

    call_command("seed_demo", verbosity=0)
    for council in Council.objects.all():
        data = ranking.load_input(council_id=council.pk)
        result = ranking.rank(data)
        live = list(
            ranking.latest_done_run(council)
            .entries.order_by("position")
            .values_list("item_id", flat=True)
        )
        assert [entry.item_id for entry in result.ranked] == live
        scores = {item.id: item.scores for item in data.items}
        confidence = next(c.id for c in data.criteria if c.key == "confidence")
        values = np.array([[scores[pk].get(c.id, 3) for c in data.criteria] for pk in live])
        sureness = np.array([scores[pk][confidence] for pk in live])
        ranges = robustness.rank_ranges(
            data.criteria, data.method, values, sureness, seed=council.pk
        )
        top = ranges[: robustness.TOP]
        contested = [found for found in top if found.stability == robustness.CONTESTED]
        assert contested, council.slug
        assert all(found.high - found.low > 6 for found in contested)


def test_demo_items_carry_committee_information_and_the_plans_freeze_it(db, debug_on):
    call_command("seed_demo", verbosity=0)
    for council in Council.objects.all():
        items = council.items.all()
        assert items.filter(exempt_paragraph=3).count() == 1  # exactly one exempt item
        assert items.filter(all_wards=True).exists()
        assert items.filter(wards__isnull=False).exists()
        assert items.filter(directorate__isnull=False).exists()
        assert items.filter(key_decision=True).exists() and items.filter(key_decision=False)
        assert {"red", "amber", "green"} <= set(items.values_list("risk_rating", flat=True))
        assert len(set(items.values_list("eqia_status", flat=True))) >= 3
        assert len(set(items.values_list("dpia_status", flat=True))) >= 3
        # The seeded plans were published after the committee data, so they carry it.
        entries = council.plans.order_by("-published_at").first().snapshot["entries"]
        assert sum(entry["exempt_paragraph"] == 3 for entry in entries) == 1
        assert any(entry["wards"] for entry in entries)
