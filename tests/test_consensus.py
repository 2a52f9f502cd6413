from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from planner.consensus import disagreement_key, round_half_up, summarise

scores = st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=12)


def test_median_of_an_even_count_rounds_half_up():
    summary = summarise([2, 3])
    assert summary is not None
    assert summary.median == Fraction(5, 2)
    assert summary.default_agreed == 3


def test_round_half_up_is_not_bankers_rounding():
    assert [round_half_up(Fraction(n, 2)) for n in (3, 5, 7, 9)] == [2, 3, 4, 5]


def test_a_range_of_two_is_a_disagreement_and_one_is_not():
    assert summarise([2, 4, 3]).disagree
    assert not summarise([3, 4, 4]).disagree


def test_nobody_scored_means_no_summary():
    assert summarise([]) is None


@given(scores)
def test_the_default_agreed_score_lies_inside_the_range(values):
    summary = summarise(values)
    assert summary.low <= summary.default_agreed <= summary.high
    assert summary.spread == max(values) - min(values)


def test_the_item_with_more_disagreements_sorts_first():
    calm = [summarise([3, 3]), summarise([4, 4])]
    split = [summarise([1, 5]), summarise([3, 3])]
    wider = [summarise([1, 3]), summarise([2, 4])]
    ordered = sorted([calm, split, wider], key=disagreement_key)
    assert ordered == [wider, split, calm]
