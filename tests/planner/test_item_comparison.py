"""planner/item_comparison.py, the pure part: flip points found, APPLIED and checked, and the
plain-English sentences built from them."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from planner import item_comparison as ic
from planner import robustness
from planner.scoring import RICE, WEIGHTED_SUM, WSJF, CriterionInput

CRITERIA = [
    CriterionInput(1, "citizen_impact", "benefit", 20),
    CriterionInput(2, "savings", "benefit", 20),
    CriterionInput(3, "confidence", "benefit", 10),
    CriterionInput(4, "risk", "benefit", 15),
    CriterionInput(5, "cost", "cost", 20),
]
NAMES = ["Citizen impact", "Savings", "Confidence", "Risk", "Cost"]
EPSILON = 1e-6

rows = st.lists(st.integers(1, 5), min_size=len(CRITERIA), max_size=len(CRITERIA))


def with_weight(index: int, weight: float) -> list[CriterionInput]:
    return [replace(c, weight=weight) if i == index else c for i, c in enumerate(CRITERIA)]


def gap_with(index: int, weight: float, method: str, upper: list[int], lower: list[int]) -> float:
    """Upper's score minus lower's with one weight changed (positive: the order holds)."""
    return robustness.score_gap(with_weight(index, weight), method, upper, lower)


def ordered(a: list[int], b: list[int], method: str) -> tuple[list[int], list[int]]:
    """The pair with the higher scorer first; a pair that ties is of no interest."""
    gap = robustness.score_gap(CRITERIA, method, a, b)
    assume(abs(gap) > 1e-9)
    return (a, b) if gap > 0 else (b, a)


@settings(max_examples=60, deadline=None)
@given(rows, rows)
def test_a_weighted_sum_flip_weight_really_flips_the_order_and_just_short_does_not(a, b):
    upper, lower = ordered(a, b, WEIGHTED_SUM)
    for index, point in enumerate(ic.flip_points(CRITERIA, WEIGHTED_SUM, upper, lower)):
        if point.weight is None:
            # Then no weight from 0 to 100 swaps them: check the ends and the middle.
            for weight in (0.0, 50.0, 100.0):
                assert gap_with(index, weight, WEIGHTED_SUM, upper, lower) >= -1e-9
            continue
        assert isinstance(point.weight, Fraction)  # exact
        beyond = 1 if point.rises else -1
        flipped = float(point.weight) + beyond * EPSILON
        short = float(point.weight) - beyond * EPSILON
        assert gap_with(index, flipped, WEIGHTED_SUM, upper, lower) < 0
        assert gap_with(index, short, WEIGHTED_SUM, upper, lower) > 0


@settings(max_examples=25, deadline=None)
@given(rows, rows, st.sampled_from([RICE, WSJF]))
def test_a_searched_flip_weight_flips_the_order_and_just_short_does_not(a, b, method):
    upper, lower = ordered(a, b, method)
    for index, point in enumerate(ic.flip_points(CRITERIA, method, upper, lower)):
        if point.weight is None:
            continue
        beyond = 1 if point.rises else -1
        flipped = float(point.weight) + beyond * 1e-4
        short = float(point.weight) - beyond * 1e-4
        if 0 <= flipped <= 100:
            assert gap_with(index, flipped, method, upper, lower) < 0
        assert gap_with(index, short, method, upper, lower) > 0


def test_the_exact_flip_of_a_worked_example():
    # Upper wins on Citizen impact (normalised gap 1), lower on Savings (gap −3/4); the rest
    # are level. Δ ∝ w_impact × 1 − w_savings × 3/4.
    upper = [5, 1, 3, 3, 3]
    lower = [1, 4, 3, 3, 3]
    points = ic.flip_points(CRITERIA, WEIGHTED_SUM, upper, lower)
    savings = points[1]
    # 20 × 1 = u × 3/4  →  u = 80/3.
    assert savings.weight == Fraction(80, 3)
    assert savings.rises
    assert gap_with(1, 80 / 3 + EPSILON, WEIGHTED_SUM, upper, lower) < 0
    assert gap_with(1, 80 / 3 - EPSILON, WEIGHTED_SUM, upper, lower) > 0
    impact = points[0]  # Citizen impact falling to 15 ties them: 15 × 1 = 20 × 3/4
    assert impact.weight == Fraction(15) and not impact.rises
    assert ic.flip_sentence("DIG-004", "DIG-031", NAMES[1], savings) == (
        "DIG-004 stays above DIG-031 unless Savings’ weight rises above 26.7% (now 20%)."
    )
    assert ic.flip_sentence("DIG-004", "DIG-031", NAMES[0], impact) == (
        "DIG-004 stays above DIG-031 unless Citizen impact’s weight falls below 15% (now 20%)."
    )
    # Criteria on which they are level cannot swap them alone.
    assert [p.weight for p in points[2:4]] == [None, None]


def test_the_sentence_the_issue_gives():
    point = ic.FlipPoint(criterion_id=2, current=20, weight=Fraction(34))
    assert ic.flip_sentence("DIG-004", "DIG-031", "Savings", point) == (
        "DIG-004 stays above DIG-031 unless Savings’ weight rises above 34% (now 20%)."
    )


def test_when_no_weight_flips_them_it_says_so():
    upper = [5, 5, 5, 5, 1]  # better on everything, cheaper too
    lower = [2, 2, 2, 2, 4]
    points = ic.flip_points(CRITERIA, WEIGHTED_SUM, upper, lower)
    assert all(p.weight is None and not p.unscored for p in points)
    assert ic.no_flip_sentence("DIG-004", "DIG-031", NAMES) == (
        "No weight from 0% to 100% for Citizen impact, Savings, Confidence, Risk or Cost puts "
        "DIG-031 above DIG-004 (with the other weights as they are)."
    )
    assert ic.no_flip_sentence("A", "B", ["Risk"]).startswith("No weight from 0% to 100% for Risk ")
    assert ic.no_flip_sentence("A", "B", []) == ""


def test_a_criterion_one_item_has_no_score_for_is_left_out_not_guessed():
    criteria = with_weight(3, 0)  # Risk weighted 0: an item may leave it unscored
    points = ic.flip_points(criteria, WEIGHTED_SUM, [5, 1, 3, None, 3], [1, 4, 3, 2, 3])
    assert points[3].unscored and points[3].weight is None
    assert points[1].weight is not None  # the others are still worked out


def test_a_flip_close_to_the_weight_shows_enough_decimals_to_tell_them_apart():
    point = ic.FlipPoint(criterion_id=2, current=20, weight=Fraction(2004, 100))
    assert ic.flip_sentence("A", "B", "Risk", point) == (
        "A stays above B unless Risk’s weight rises above 20.04% (now 20%)."
    )


def test_a_sentence_needs_a_flip():
    with pytest.raises(ValueError):
        ic.flip_sentence("A", "B", "Risk", ic.FlipPoint(4, 15, None))


@pytest.mark.parametrize(
    ("value", "text"),
    [(Fraction(34), "34%"), (Fraction(80, 3), "26.7%"), (20.0, "20%"), (99.96, "100%"), (0, "0%")],
)
def test_percent(value, text):
    assert ic.percent(value) == text


@pytest.mark.parametrize(
    ("probability", "text"),
    [(1.0, "100%"), (0.9995, "over 99%"), (0.873, "87%"), (0.001, "under 1%"), (0.0, "0%")],
)
def test_share_never_rounds_a_near_certainty_to_a_certainty(probability, text):
    assert ic.share(probability) == text


def test_signed_points_use_a_true_minus_sign():
    assert ic.signed(1.25) == "+1.25"
    assert ic.signed(-0.5) == "\u22120.50"
    assert ic.signed(-0.001) == "0.00"


@pytest.mark.parametrize(("name", "text"), [("Savings", "Savings’"), ("Risk", "Risk’s")])
def test_possessive(name, text):
    assert ic.possessive(name) == text
