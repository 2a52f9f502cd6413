from __future__ import annotations

import contextlib
import gc
import math
import operator
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from planner.scoring import (
    BENEFIT,
    COST,
    METHOD_FORMULAS,
    METHODS,
    RICE,
    WEIGHTED_SUM,
    WSJF,
    CriterionInput,
    ItemInput,
    RankingResult,
    format_rank,
    method_factors,
    rank_items,
    score_item,
)

DEFAULT_KEYS = (
    "citizen_impact",
    "savings",
    "statutory_risk",
    "strategic_fit",
    "readiness",
    "effort",
    "confidence",
)
# Default keys with their usual direction, plus custom criteria that only have a direction.
KEYS = (*DEFAULT_KEYS, "custom_a", "custom_b", "custom_c")
DEFAULT_DIRECTION = {key: COST if key == "effort" else BENEFIT for key in DEFAULT_KEYS}

# Hypothesis runs are small but many; a loaded CI machine should not fail them on time.
properties = settings(deadline=None)
every_method = pytest.mark.parametrize("method", METHODS)


def criterion(
    criterion_id: int,
    weight: float = 1,
    direction: str = BENEFIT,
    key: str | None = None,
    scale: tuple[int, int] = (1, 5),
) -> CriterionInput:
    return CriterionInput(
        id=criterion_id,
        key=key or f"custom_{criterion_id}",
        direction=direction,
        weight=weight,
        scale_min=scale[0],
        scale_max=scale[1],
    )


def item(item_id: int, scores: dict[int, int], created: float = 0.0) -> ItemInput:
    return ItemInput(id=item_id, created=created, scores=scores)


def defaults(weights: tuple[float, ...] = (25, 20, 15, 15, 10, 10, 5)) -> list[CriterionInput]:
    return [
        criterion(index + 1, weight, DEFAULT_DIRECTION[key], key)
        for index, (key, weight) in enumerate(zip(DEFAULT_KEYS, weights, strict=True))
    ]


def table(result: RankingResult) -> list[tuple[int, float, int, int, bool]]:
    return [(r.item_id, r.score, r.rank, r.position, r.tied) for r in result.ranked]


# Weights as people type them: whole numbers, or up to 2 decimal places.
weights = st.integers(0, 10_000).map(lambda hundredths: hundredths / 100)


@st.composite
def criteria_lists(draw: st.DrawFn) -> list[CriterionInput]:
    keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=7, unique=True))
    ids = draw(st.lists(st.integers(1, 1000), min_size=len(keys), max_size=len(keys), unique=True))
    criteria = []
    for criterion_id, key in zip(ids, keys, strict=True):
        # Mostly the usual direction, sometimes flipped, so roles meet odd councils too.
        usual = DEFAULT_DIRECTION.get(key, BENEFIT)
        direction = draw(st.sampled_from((usual, usual, BENEFIT, COST)))
        low = draw(st.integers(0, 2))
        high = low + draw(st.sampled_from((4, 4, 1, 2, 3, 6, 9)))
        criteria.append(criterion(criterion_id, draw(weights), direction, key, (low, high)))
    assume(any(c.weight for c in criteria))
    return criteria


@st.composite
def score_maps(draw: st.DrawFn, criteria: list[CriterionInput]) -> dict[int, int]:
    return {c.id: draw(st.integers(c.scale_min, c.scale_max)) for c in criteria}


@st.composite
def backlogs(
    draw: st.DrawFn, min_items: int = 0, unscored: bool = False
) -> tuple[list[CriterionInput], list[ItemInput]]:
    criteria = draw(criteria_lists())
    ids = draw(st.lists(st.integers(1, 10_000), min_size=min_items, max_size=12, unique=True))
    items = []
    for item_id in ids:
        scores = draw(score_maps(criteria))
        if unscored and draw(st.booleans()):
            del scores[draw(st.sampled_from(sorted(scores)))]
        # Few distinct creation times, so the id tie-break gets exercised.
        created = float(draw(st.integers(0, 3)))
        items.append(item(item_id, scores, created))
    return criteria, items


# --- properties, for every method ---


@every_method
@properties
@given(backlog=backlogs())
def test_scores_lie_between_0_and_100(method: str, backlog: tuple) -> None:
    criteria, items = backlog
    assert all(0 <= r.score <= 100 for r in rank_items(items, criteria, method).ranked)


@every_method
@properties
@given(backlog=backlogs())
def test_scores_have_at_most_2_decimal_places(method: str, backlog: tuple) -> None:
    criteria, items = backlog
    assert all(r.score == round(r.score, 2) for r in rank_items(items, criteria, method).ranked)


@every_method
@pytest.mark.parametrize(
    ("direction", "holds"),
    [
        pytest.param(BENEFIT, operator.ge, id="benefit-never-lowers"),
        pytest.param(COST, operator.le, id="cost-never-raises"),
    ],
)
@properties
@given(data=st.data())
def test_raising_a_score_moves_the_score_only_in_its_direction(
    method: str, direction: str, holds: Callable[[float, float], bool], data: st.DataObject
) -> None:
    criteria = data.draw(criteria_lists())
    raisable = [c for c in criteria if c.direction == direction]
    assume(raisable)
    raised = data.draw(st.sampled_from(raisable))
    scores = data.draw(score_maps(criteria))
    higher = data.draw(st.integers(scores[raised.id], raised.scale_max))
    before, _ = score_item(scores, criteria, method)
    after, _ = score_item({**scores, raised.id: higher}, criteria, method)
    assert holds(after, before)


@every_method
@properties
@given(backlog=backlogs(), factor=st.decimals(min_value="0.01", max_value=100, places=2))
def test_scaling_all_weights_leaves_the_ranking_unchanged(
    method: str, backlog: tuple, factor: Decimal
) -> None:
    criteria, items = backlog
    # Decimal keeps the product exact; the float is then the decimal a person would type.
    scaled = [replace(c, weight=float(Decimal(repr(c.weight)) * factor)) for c in criteria]
    assert table(rank_items(items, scaled, method)) == table(rank_items(items, criteria, method))


@every_method
@properties
@given(backlog=backlogs(), factor=st.integers(1, 10**6))
def test_multiplying_all_weights_by_a_whole_number_leaves_the_ranking_unchanged(
    method: str, backlog: tuple, factor: int
) -> None:
    criteria, items = backlog
    scaled = [replace(c, weight=c.weight * factor) for c in criteria]
    assert table(rank_items(items, scaled, method)) == table(rank_items(items, criteria, method))


@every_method
@properties
@given(data=st.data())
def test_input_order_does_not_change_the_result(method: str, data: st.DataObject) -> None:
    criteria, items = data.draw(backlogs(unscored=True))
    shuffled = data.draw(st.permutations(items))
    assert rank_items(shuffled, criteria, method) == rank_items(items, criteria, method)


@every_method
@properties
@given(backlog=backlogs())
def test_equal_rounded_scores_share_a_competition_rank(method: str, backlog: tuple) -> None:
    criteria, items = backlog
    ranked = rank_items(items, criteria, method).ranked
    scores = [r.score for r in ranked]
    for r in ranked:
        assert r.rank == 1 + sum(score > r.score for score in scores)
        assert r.tied == (scores.count(r.score) > 1)


@every_method
@properties
@given(backlog=backlogs(min_items=1), clone_id=st.integers(10_001, 20_000))
def test_items_with_identical_scores_tie(method: str, backlog: tuple, clone_id: int) -> None:
    criteria, items = backlog
    clone = item(clone_id, dict(items[0].scores), created=items[0].created + 1)
    by_id = {r.item_id: r for r in rank_items([*items, clone], criteria, method).ranked}
    original, copy = by_id[items[0].id], by_id[clone_id]
    assert (copy.score, copy.rank, copy.tied) == (original.score, original.rank, True)


@every_method
@properties
@given(backlog=backlogs(unscored=True))
def test_the_same_input_gives_the_same_output(method: str, backlog: tuple) -> None:
    criteria, items = backlog
    assert rank_items(items, criteria, method) == rank_items(list(items), criteria, method)


@every_method
@properties
@given(data=st.data())
def test_adding_an_item_never_changes_other_items_scores(method: str, data: st.DataObject) -> None:
    criteria, items = data.draw(backlogs())
    extra = item(10_001, data.draw(score_maps(criteria)), created=data.draw(st.floats(0, 4)))
    before = {
        r.item_id: (r.score, r.contributions) for r in rank_items(items, criteria, method).ranked
    }
    after = rank_items([*items, extra], criteria, method).ranked
    assert {r.item_id: (r.score, r.contributions) for r in after if r.item_id != 10_001} == before


@every_method
@properties
@given(backlog=backlogs(unscored=True))
def test_items_missing_a_weighted_score_are_never_ranked(method: str, backlog: tuple) -> None:
    criteria, items = backlog
    result = rank_items(items, criteria, method)
    weighted = {c.id for c in criteria if c.weight}
    incomplete = {i.id for i in items if not weighted <= set(i.scores)}
    assert set(result.needs_scoring) == incomplete
    assert not incomplete & {r.item_id for r in result.ranked}


@every_method
@properties
@given(backlog=backlogs())
def test_a_new_criterion_at_weight_0_unranks_nothing_and_moves_nothing(
    method: str, backlog: tuple
) -> None:
    """Issue 11: adding a criterion (weight 0, nobody has scored it yet) keeps every item
    ranked exactly as before, and it earns 0 points."""
    criteria, items = backlog
    before = rank_items(items, criteria, method)
    new = CriterionInput(id=10_000, key="equalities", direction=BENEFIT, weight=0)
    after = rank_items(items, [*criteria, new], method)
    assert after.needs_scoring == before.needs_scoring
    assert [(r.item_id, r.score, r.rank) for r in after.ranked] == [
        (r.item_id, r.score, r.rank) for r in before.ranked
    ]
    assert all(r.contributions[new.id] == 0 for r in after.ranked)


def test_a_score_on_a_weight_0_criterion_changes_nothing() -> None:
    criteria = [
        CriterionInput(id=1, key="impact", direction=BENEFIT, weight=10),
        CriterionInput(id=2, key="new", direction=BENEFIT, weight=0),
    ]
    scored = rank_items([ItemInput(id=1, created=0, scores={1: 4, 2: 5})], criteria).ranked[0]
    missing = rank_items([ItemInput(id=1, created=0, scores={1: 4})], criteria).ranked[0]
    assert (scored.score, scored.contributions) == (missing.score, missing.contributions)


@every_method
@properties
@given(backlog=backlogs())
def test_positions_run_from_1_to_n_in_score_order(method: str, backlog: tuple) -> None:
    criteria, items = backlog
    ranked = rank_items(items, criteria, method).ranked
    created = {i.id: i.created for i in items}
    assert [r.position for r in ranked] == list(range(1, len(ranked) + 1))
    keys = [(-r.score, created[r.item_id], r.item_id) for r in ranked]
    assert keys == sorted(keys)


@every_method
@properties
@given(backlog=backlogs())
def test_contributions_add_up_to_the_score(method: str, backlog: tuple) -> None:
    criteria, items = backlog
    for r in rank_items(items, criteria, method).ranked:
        # Score rounded to 2 dp, each contribution to 4 dp.
        assert math.isclose(
            sum(r.contributions.values()), r.score, abs_tol=0.005 + 0.00005 * len(criteria) + 1e-9
        )


@every_method
@properties
@given(backlog=backlogs())
def test_contributions_name_every_active_criterion(method: str, backlog: tuple) -> None:
    criteria, items = backlog
    for r in rank_items(items, criteria, method).ranked:
        assert list(r.contributions) == [c.id for c in criteria]


@every_method
@properties
@given(backlog=backlogs(min_items=1))
def test_score_item_agrees_with_rank_items(method: str, backlog: tuple) -> None:
    criteria, items = backlog
    for r in rank_items(items, criteria, method).ranked:
        scores = next(i.scores for i in items if i.id == r.item_id)
        assert score_item(scores, criteria, method) == (r.score, r.contributions)


# --- weighted sum, by hand ---


def test_weighted_sum_matches_a_hand_computed_score() -> None:
    criteria = [criterion(1, weight=3), criterion(2, weight=1)]
    # n = (5-1)/4 = 1 and (3-1)/4 = 0.5: 100 × (3 × 1 + 1 × 0.5) / 4 = 87.5
    assert score_item({1: 5, 2: 3}, criteria, WEIGHTED_SUM) == (87.5, {1: 75.0, 2: 12.5})


def test_weighted_sum_of_the_default_criteria_matches_a_hand_computed_score() -> None:
    scores = {1: 5, 2: 3, 3: 1, 4: 4, 5: 2, 6: 2, 7: 5}
    # 25×1 + 20×0.5 + 15×0 + 15×0.75 + 10×0.25 + 10×(1-0.25) + 5×1 = 61.25, over Σw = 100
    score, contributions = score_item(scores, defaults(), WEIGHTED_SUM)
    assert score == 61.25
    assert contributions == {1: 25.0, 2: 10.0, 3: 0.0, 4: 11.25, 5: 2.5, 6: 7.5, 7: 5.0}


@pytest.mark.parametrize(("value", "expected"), [(1, 100.0), (2, 75.0), (5, 0.0)])
def test_cost_criterion_is_inverted(value: int, expected: float) -> None:
    criteria = [criterion(1, direction=COST)]
    assert score_item({1: value}, criteria, WEIGHTED_SUM)[0] == expected


def test_scores_on_other_scales_are_normalised_on_their_own_scale() -> None:
    criteria = [criterion(1, scale=(0, 10)), criterion(2, scale=(1, 3))]
    # 7/10 and 1/2, equally weighted
    assert score_item({1: 7, 2: 2}, criteria, WEIGHTED_SUM)[0] == 60.0


def test_weighted_sum_contributions_add_up_to_the_score() -> None:
    criteria = [criterion(1, 1), criterion(2, 1), criterion(3, 1, COST)]
    score, contributions = score_item({1: 2, 2: 4, 3: 3}, criteria, WEIGHTED_SUM)
    # 100 × (0.25 + 0.75 + 0.5) / 3 = 50; thirds do not round evenly to 4 dp.
    assert score == 50.0
    assert contributions == {1: 8.3333, 2: 25.0, 3: 16.6667}
    assert sum(contributions.values()) == pytest.approx(score, abs=0.0001)


def test_a_score_exactly_halfway_rounds_up() -> None:
    criteria = [criterion(1, weight=1), criterion(2, weight=7)]
    # 100 × (1 × 0.25) / 8 = 3.125 exactly: rounded half up, as PostgreSQL's round() does.
    assert score_item({1: 2, 2: 1}, criteria, WEIGHTED_SUM)[0] == 3.13


def test_decimal_weights_score_like_their_whole_number_multiples() -> None:
    # As binary floats 0.3 : 2.1 is a hair off 1 : 7, enough to round 3.125 down to 3.12.
    decimals = [criterion(1, weight=0.3), criterion(2, weight=2.1)]
    wholes = [criterion(1, weight=1), criterion(2, weight=7)]
    scores = {1: 2, 2: 1}
    assert score_item(scores, decimals, WEIGHTED_SUM) == score_item(scores, wholes, WEIGHTED_SUM)


def test_zero_weight_criterion_contributes_nothing() -> None:
    criteria = [criterion(1, weight=1), criterion(2, weight=0)]
    assert score_item({1: 3, 2: 5}, criteria, WEIGHTED_SUM) == (50.0, {1: 50.0, 2: 0.0})


def test_scores_for_unknown_criteria_are_ignored() -> None:
    criteria = [criterion(1)]
    assert score_item({1: 5, 99: 1}, criteria, WEIGHTED_SUM)[0] == 100.0


# --- RICE and WSJF, by hand ---


def test_rice_matches_a_hand_computed_score() -> None:
    scores = {1: 5, 2: 3, 3: 1, 4: 4, 5: 2, 6: 2, 7: 5}
    # Reach 5/5 = 1, Confidence 5/5 = 1, Effort 2/5 against a smallest possible 1/5 = 0.5,
    # Impact = (20×0.6 + 15×0.2 + 15×0.8 + 10×0.4) / 60 = 31/60; 100 × 31/60 × 0.5 = 25.83
    assert score_item(scores, defaults(), RICE)[0] == 25.83


def test_wsjf_matches_a_hand_computed_score() -> None:
    scores = {1: 5, 2: 3, 3: 1, 4: 4, 5: 2, 6: 2, 7: 5}
    # Cost of delay = (25×1 + 20×0.6 + 15×0.2 + 15×0.8 + 10×0.4 + 5×1) / 90 = 61/90;
    # Job size 0.4 against a smallest possible 0.2; 100 × 61/90 × 0.5 = 33.89
    assert score_item(scores, defaults(), WSJF)[0] == 33.89


@pytest.mark.parametrize("method", [RICE, WSJF])
def test_product_methods_reach_100_at_best_on_every_criterion(method: str) -> None:
    best = {1: 5, 2: 5, 3: 5, 4: 5, 5: 5, 6: 1, 7: 5}
    assert score_item(best, defaults(), method)[0] == 100.0


def test_rice_without_confidence_treats_confidence_as_neutral() -> None:
    criteria = [c for c in defaults() if c.key != "confidence"]
    scores = {1: 5, 2: 3, 3: 1, 4: 4, 5: 2, 6: 2}
    # As the hand-computed RICE score, with Confidence counted as 1
    assert score_item(scores, criteria, RICE)[0] == 25.83


def test_rice_uses_keyed_criteria_as_reach_and_confidence() -> None:
    assert method_factors(defaults(), RICE) == {
        "Reach": (1,),
        "Impact": (2, 3, 4, 5),
        "Confidence": (7,),
        "Effort": (6,),
    }


def test_wsjf_splits_criteria_by_direction() -> None:
    assert method_factors(defaults(), WSJF) == {
        "Cost of delay": (1, 2, 3, 4, 5, 7),
        "Job size": (6,),
    }


def test_rice_ignores_a_reach_criterion_weighted_0() -> None:
    criteria = [replace(c, weight=0) if c.key == "citizen_impact" else c for c in defaults()]
    low = {1: 1, 2: 3, 3: 1, 4: 4, 5: 2, 6: 2, 7: 5}
    assert score_item(low, criteria, RICE) == score_item({**low, 1: 5}, criteria, RICE)


def test_weights_shift_the_balance_inside_rice_impact() -> None:
    savings_heavy = [criterion(1, 9), criterion(2, 1)]
    fit_heavy = [criterion(1, 1), criterion(2, 9)]
    scores = {1: 5, 2: 1}
    assert score_item(scores, savings_heavy, RICE)[0] > score_item(scores, fit_heavy, RICE)[0]


# --- ranking ---


def test_item_missing_a_score_needs_scoring_instead_of_ranking_as_zero() -> None:
    criteria = [criterion(1), criterion(2)]
    result = rank_items([item(1, {1: 3, 2: 3}), item(2, {1: 5})], criteria)
    assert [r.item_id for r in result.ranked] == [1]
    assert result.needs_scoring == [2]


def test_needs_scoring_is_ordered_by_created_then_id() -> None:
    criteria = [criterion(1)]
    items = [item(3, {}, created=5), item(9, {}, created=1), item(4, {}, created=5)]
    assert rank_items(items, criteria).needs_scoring == [9, 3, 4]


def test_competition_ranking_skips_ranks_after_a_tie() -> None:
    criteria = [criterion(1)]
    items = [item(1, {1: 5}), item(2, {1: 4}), item(3, {1: 4}), item(4, {1: 2})]
    ranked = rank_items(items, criteria).ranked
    assert [(r.rank, r.tied) for r in ranked] == [(1, False), (2, True), (2, True), (4, False)]


def test_equal_scores_break_ties_by_created_then_id() -> None:
    criteria = [criterion(1)]
    items = [item(5, {1: 3}, created=20), item(7, {1: 3}, created=10), item(6, {1: 3}, created=20)]
    assert [r.item_id for r in rank_items(items, criteria).ranked] == [7, 5, 6]


def test_format_rank_marks_a_shared_rank_with_equals() -> None:
    assert format_rank(3, tied=True) == "=3"


def test_format_rank_shows_an_unshared_rank_plainly() -> None:
    assert format_rank(3, tied=False) == "3"


def test_ranking_nothing_gives_an_empty_result() -> None:
    assert rank_items([], [criterion(1)]) == RankingResult(ranked=[], needs_scoring=[])


@pytest.mark.parametrize("enabled", [True, False])
@pytest.mark.parametrize("scores", [{1: 3}, {1: 9}], ids=["ranked", "raised"])
def test_ranking_leaves_the_garbage_collector_as_it_found_it(
    enabled: bool, scores: dict[int, int]
) -> None:
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with contextlib.suppress(ValueError):
            rank_items([item(1, scores)], [criterion(1)])
        assert gc.isenabled() == enabled
    finally:
        (gc.enable if was else gc.disable)()


# --- guards ---


@pytest.mark.parametrize("method", METHODS)
def test_all_zero_weights_raise_value_error(method: str) -> None:
    criteria = [criterion(1, weight=0), criterion(2, weight=0)]
    with pytest.raises(ValueError, match="weight above 0"):
        rank_items([item(1, {1: 3, 2: 3})], criteria, method)


@pytest.mark.parametrize("weight", [-1.0, math.nan, math.inf])
def test_negative_or_non_finite_weight_raises_value_error(weight: float) -> None:
    with pytest.raises(ValueError, match="weight"):
        score_item({1: 3}, [criterion(1, weight=weight)], WEIGHTED_SUM)


@pytest.mark.parametrize("value", [0, 6])
def test_value_outside_the_scale_raises_value_error(value: int) -> None:
    with pytest.raises(ValueError, match="outside the scale"):
        rank_items([item(1, {1: value})], [criterion(1)])


def test_value_outside_the_scale_raises_even_when_another_score_is_missing() -> None:
    with pytest.raises(ValueError, match="outside the scale"):
        rank_items([item(1, {1: 9})], [criterion(1), criterion(2)])


def test_score_item_refuses_an_item_that_needs_scoring() -> None:
    with pytest.raises(ValueError, match="needs scoring"):
        score_item({1: 3}, [criterion(1), criterion(2)], WEIGHTED_SUM)


def test_unknown_method_raises_value_error() -> None:
    with pytest.raises(ValueError, match="unknown scoring method"):
        rank_items([], [criterion(1)], "moscow")


def test_duplicate_item_ids_raise_value_error() -> None:
    with pytest.raises(ValueError, match="unique"):
        rank_items([item(1, {1: 3}), item(1, {1: 4})], [criterion(1)])


def test_every_method_has_a_formula() -> None:
    assert METHOD_FORMULAS.keys() == set(METHODS)
