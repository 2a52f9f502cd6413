"""Property tests for planner/robustness.py: rank ranges, tornado swings and flip weights."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import robustness
from planner.scoring import METHODS, RICE, WEIGHTED_SUM, CriterionInput, ItemInput, rank_items

CRITERIA = [
    CriterionInput(1, "citizen_impact", "benefit", 20),
    CriterionInput(2, "savings", "benefit", 20),
    CriterionInput(3, "confidence", "benefit", 10),
    CriterionInput(4, "risk", "benefit", 15),
    CriterionInput(5, "cost", "cost", 20),
]

scores = st.lists(
    st.lists(st.integers(1, 5), min_size=len(CRITERIA), max_size=len(CRITERIA)),
    min_size=2,
    max_size=25,
)


def in_plain_order(values: list[list[int]], method: str) -> np.ndarray:
    """The items reordered as scoring.rank_items ranks them (row i = position i + 1)."""
    items = [
        ItemInput(i, 0, {c.id: row[j] for j, c in enumerate(CRITERIA)})
        for i, row in enumerate(values)
    ]
    ranked = rank_items(items, CRITERIA, method).ranked
    return np.array([values[r.item_id] for r in ranked])


@settings(max_examples=30, deadline=None)
@given(scores, st.sampled_from(METHODS))
def test_band_zero_and_full_confidence_collapse_to_the_plain_rank(values, method):
    matrix = in_plain_order(values, method)
    plain = robustness.plain_ranks(CRITERIA, method, matrix)
    ranges = robustness.rank_ranges(
        CRITERIA, method, matrix, [5] * len(matrix), band=0.0, samples=50
    )
    for rank_range, rank in zip(ranges, plain, strict=True):
        assert rank_range.low == rank_range.high == rank_range.median == rank
        assert rank_range.stability == robustness.SETTLED


@settings(max_examples=30, deadline=None)
@given(scores, st.sampled_from(METHODS))
def test_plain_ranks_agree_with_scoring_on_distinct_scores(values, method):
    matrix = in_plain_order(values, method)
    items = [
        ItemInput(i, 0, {c.id: int(v) for c, v in zip(CRITERIA, row, strict=True)})
        for i, row in enumerate(matrix)
    ]
    ranked = rank_items(items, CRITERIA, method).ranked
    plain = robustness.plain_ranks(CRITERIA, method, matrix)
    # Exact scores tied on 2 dp may be ordered differently in floats; distinct ones may not.
    for item in ranked:
        if not item.tied:
            assert plain[item.item_id] == item.position


@settings(max_examples=15, deadline=None)
@given(scores, st.sampled_from(METHODS), st.integers(0, 2**32))
def test_widening_the_band_never_narrows_intervals_on_average(values, method, seed):
    matrix = in_plain_order(values, method)

    def mean_width(band: float) -> float:
        ranges = robustness.rank_ranges(
            CRITERIA, method, matrix, [5] * len(matrix), band=band, seed=seed, samples=200
        )
        return float(np.mean([r.high - r.low for r in ranges]))

    assert mean_width(0.0) <= mean_width(0.5) + 0.25


@settings(max_examples=15, deadline=None)
@given(scores, st.sampled_from(METHODS), st.integers(0, 2**32))
def test_deterministic_per_seed(values, method, seed):
    matrix = in_plain_order(values, method)
    first = robustness.rank_ranges(
        CRITERIA, method, matrix, matrix[:, 2], seed=seed, samples=100, chunk=30
    )
    again = robustness.rank_ranges(
        CRITERIA, method, matrix, matrix[:, 2], seed=seed, samples=100, chunk=30
    )
    assert first == again


def test_low_confidence_close_pair_is_contested_and_p_now_follows_capacity():
    matrix = np.array([[5, 5, 5, 5, 1]] * 3 + [[3, 3, 1, 3, 3]] * 12 + [[1, 1, 5, 1, 5]] * 3)
    ranges = robustness.rank_ranges(
        CRITERIA, WEIGHTED_SUM, matrix, matrix[:, 2], efforts=[10] * 18, capacity=30
    )
    assert [r.stability for r in ranges[:3]] == [robustness.SETTLED] * 3
    assert any(r.stability == robustness.CONTESTED for r in ranges[3:15])
    assert [r.p_now for r in ranges[:3]] == [1.0] * 3
    assert all(r.p_now == 0.0 for r in ranges[15:])
    assert ranges[3].label == f"{ranges[3].low}–{ranges[3].high}"


def test_bad_band_is_refused():
    with pytest.raises(ValueError, match="band"):
        robustness.rank_ranges(CRITERIA, WEIGHTED_SUM, [[1] * 5], [5], band=1.5)


@pytest.mark.parametrize(
    ("width", "label"),
    [
        (0, "settled"),
        (2, "settled"),
        (3, "fairly settled"),
        (6, "fairly settled"),
        (7, "contested"),
    ],
)
def test_stability_thresholds(width, label):
    assert robustness.stability(width) == label


def test_score_spread_interpolates_between_the_fixed_points():
    assert robustness.score_spread([5, 4, 3, 2, 1]).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]


def ws_gap(a, b, weights):
    # Only the sign matters, so the common 1/Σw factor is left out; weights stay exact.
    return sum(
        Fraction(w) * (robustness._normal(c, x) - robustness._normal(c, y))
        for c, w, x, y in zip(CRITERIA, weights, a, b, strict=True)
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(1, 5), min_size=5, max_size=5),
    st.lists(st.integers(1, 5), min_size=5, max_size=5),
    st.integers(0, 4),
)
def test_the_flip_weight_really_flips_and_just_short_of_it_does_not(a, b, criterion):
    weights = [c.weight for c in CRITERIA]
    flip = robustness.flip_weight(CRITERIA, a, b, criterion)
    before = ws_gap(a, b, weights)
    if flip is None:
        # No weight in 0-100 changes the order (within the 101 integer weights at least).
        for u in range(101):
            trial = list(weights)
            trial[criterion] = u
            after = ws_gap(a, b, trial)
            assert after == 0 or before == 0 or (after > 0) == (before > 0)
        return
    assert ws_gap(a, b, [weights[k] if k != criterion else flip for k in range(5)]) == 0
    epsilon = Fraction(1, 10**6)
    toward = flip - epsilon if flip > weights[criterion] else flip + epsilon
    beyond = flip + epsilon if flip > weights[criterion] else flip - epsilon
    short = ws_gap(a, b, [weights[k] if k != criterion else toward for k in range(5)])
    past = ws_gap(a, b, [weights[k] if k != criterion else beyond for k in range(5)])
    if before != 0 and 0 <= beyond <= 100:
        assert (short > 0) == (before > 0)
        assert (past > 0) != (before > 0)


def test_flip_weight_search_finds_the_rice_tie():
    a, b = [5, 1, 4, 3, 3], [3, 4, 4, 3, 3]
    before = robustness.score_gap(CRITERIA, RICE, a, b)
    found = robustness.flip_weight_search(CRITERIA, RICE, a, b, 1)
    assert found is not None
    nudged = [
        CriterionInput(c.id, c.key, c.direction, found if c.id == 2 else c.weight) for c in CRITERIA
    ]
    assert abs(robustness.score_gap(nudged, RICE, a, b)) < 1e-6
    beyond = found + 1 if found > CRITERIA[1].weight else found - 1
    further = [
        CriterionInput(c.id, c.key, c.direction, beyond if c.id == 2 else c.weight)
        for c in CRITERIA
    ]
    assert np.sign(robustness.score_gap(further, RICE, a, b)) != np.sign(before)


def test_tornado_sorted_by_swing_and_band_zero_never_moves():
    matrix = np.array([[5, 1, 3, 3, 3], [1, 5, 3, 3, 3], [3, 3, 3, 3, 3]])
    swings = robustness.tornado(CRITERIA, WEIGHTED_SUM, matrix, 0, band=0.5)
    assert [s.swing for s in swings] == sorted((s.swing for s in swings), reverse=True)
    assert swings[0].swing > 0
    assert all(
        s.swing == 0 for s in robustness.tornado(CRITERIA, WEIGHTED_SUM, matrix, 0, band=0.0)
    )
    bars = robustness.tornado_bars(swings, plain_rank=1)
    assert len(bars) == len(CRITERIA)
    assert all(bar.x >= 0 and bar.x + bar.width <= 400.0 + 2.0 for bar in bars)


def test_p_above_is_certain_without_noise_and_uncertain_for_a_close_pair():
    assert robustness.p_above(CRITERIA, WEIGHTED_SUM, [5] * 4 + [1], [1] * 4 + [5], (5, 5)) == 1.0
    close = robustness.p_above(CRITERIA, WEIGHTED_SUM, [4, 3, 1, 3, 3], [3, 4, 1, 3, 3], (1, 1))
    assert 0.2 < close < 0.8


def test_interval_bars_share_one_scale_and_skip_unknown_ranges():
    bars = robustness.interval_bars([(1, 1, 2), (2, 1, 5), (3, None, None)], width=120.0)
    first, second, unknown = bars
    assert unknown is None
    assert first is not None and second is not None
    assert first.x == second.x == 0.0  # both start at rank 1
    assert second.width == 120.0  # rank 1 to 5, the largest shown, spans the whole width
    assert first.width == 30.0 and second.marker == 30.0
    assert robustness.interval_bars([(1, 1, 1)])[0].width == 2.0  # never invisible


def test_the_keyed_sort_orders_as_a_stable_descending_argsort():
    rng = np.random.default_rng(5)
    scores = np.round(rng.random((40, 300)) * 100, 0)  # many ties
    scores[:, :20] = 0.0
    scores[0, 5] = -0.0
    scores[1, :] = 100.0
    expected = np.argsort(-scores, axis=1, kind="stable")
    assert (robustness._descending_order(scores) == expected).all()


def test_the_now_fill_passes_over_an_item_that_does_not_fit_and_goes_on():
    """Rank order with no noise: 20 fits in 30, 50 does not and is passed over, 10 still fits."""
    matrix = np.array([[5, 5, 5, 5, 5], [4, 4, 4, 4, 5], [3, 3, 3, 3, 5]])
    ranges = robustness.rank_ranges(
        CRITERIA, WEIGHTED_SUM, matrix, [5, 5, 5], band=0.0, efforts=[20, 50, 10], capacity=30
    )
    assert [r.p_now for r in ranges] == [1.0, 0.0, 1.0]


def test_the_now_fill_uses_a_subsample_of_the_samples():
    matrix = np.array([[5, 5, 5, 5, 1], [5, 5, 5, 5, 1]])
    ranges = robustness.rank_ranges(
        CRITERIA, WEIGHTED_SUM, matrix, matrix[:, 4], efforts=[10, 10], capacity=10,
        samples=500, now_samples=100,
    )  # fmt: skip
    # Two equal items competing for one place: shares of 100 samples, adding up to one.
    assert sum(r.p_now for r in ranges) == pytest.approx(1.0)
    assert all(min(abs(r.p_now - k / 100) for k in range(101)) < 1e-12 for r in ranges)
