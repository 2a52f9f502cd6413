from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.quarters import (
    HORIZON_LABELS,
    LATER,
    NEXT,
    NOT_SCHEDULED,
    NOW,
    Quarter,
    financial_year_of,
    horizon_of,
    parse_quarter,
    quarter_containing,
    quarters_from,
)

quarters = st.builds(
    Quarter,
    year=st.integers(1990, 2100),
    number=st.integers(1, 4),
    first_month=st.integers(1, 12),
)


def test_january_belongs_to_the_financial_year_that_started_the_april_before():
    assert financial_year_of(2027, 1) == 2026
    assert financial_year_of(2027, 3) == 2026
    assert financial_year_of(2027, 4) == 2027
    assert financial_year_of(2027, 12) == 2027


def test_financial_year_with_another_first_month():
    assert financial_year_of(2027, 6, first_month=7) == 2026
    assert financial_year_of(2027, 7, first_month=7) == 2027
    assert financial_year_of(2027, 1, first_month=1) == 2027


def test_first_quarter_is_labelled_as_councils_say_it():
    quarter = Quarter(2027, 1)
    assert quarter.label == "Q1 2027/28 (Apr–Jun 2027)"
    assert quarter.short_label == "Q1 2027/28"
    assert quarter.financial_year_label == "2027/28"
    assert quarter.start == date(2027, 4, 1)


def test_fourth_quarter_is_january_to_march_of_the_next_calendar_year():
    quarter = Quarter(2027, 4)
    assert quarter.label == "Q4 2027/28 (Jan–Mar 2028)"
    assert quarter.start == date(2028, 1, 1)


def test_turn_of_the_century_year_label_keeps_two_digits():
    assert Quarter(2099, 2).financial_year_label == "2099/00"


def test_calendar_financial_year_is_labelled_by_its_year():
    assert Quarter(2027, 1, first_month=1).label == "Q1 2027 (Jan–Mar 2027)"


def test_quarter_that_spans_a_new_year_names_both_years():
    assert Quarter(2027, 3, first_month=5).label == "Q3 2027/28 (Nov 2027–Jan 2028)"


def test_quarter_containing_a_day():
    assert quarter_containing(date(2028, 2, 29)) == Quarter(2027, 4)
    assert quarter_containing(date(2027, 4, 1)) == Quarter(2027, 1)
    assert quarter_containing(date(2027, 9, 30)) == Quarter(2027, 2)
    assert quarter_containing(date(2027, 8, 1), first_month=7) == Quarter(2027, 1, 7)


def test_next_and_plus_cross_financial_years():
    assert Quarter(2027, 4).next() == Quarter(2028, 1)
    assert Quarter(2027, 1).plus(9) == Quarter(2029, 2)
    assert Quarter(2027, 1).plus(-1) == Quarter(2026, 4)
    assert Quarter(2029, 2).minus(Quarter(2027, 1)) == 9


def test_quarters_from_gives_consecutive_quarters():
    labels = [q.short_label for q in quarters_from(Quarter(2027, 3), 4)]
    assert labels == ["Q3 2027/28", "Q4 2027/28", "Q1 2028/29", "Q2 2028/29"]


def test_key_is_the_short_label_form_and_parses_back():
    assert Quarter(2027, 1).key == "2027/28-Q1"
    assert parse_quarter("2027/28-Q1") == Quarter(2027, 1)
    assert parse_quarter("2027-Q3") == Quarter(2027, 3)
    assert parse_quarter("2027-q2", first_month=7) == Quarter(2027, 2, 7)


@pytest.mark.parametrize("text", ["2027/29-Q1", "2027-Q5", "Q1 2027", ""])
def test_parse_quarter_refuses_what_is_not_a_quarter(text):
    with pytest.raises(ValueError):
        parse_quarter(text)


def test_quarter_number_must_be_one_to_four():
    with pytest.raises(ValueError):
        Quarter(2027, 5)


@given(quarters)
def test_key_round_trips(quarter):
    assert parse_quarter(quarter.key, quarter.first_month) == quarter


@given(quarters)
def test_a_quarter_contains_its_own_start(quarter):
    assert quarter_containing(quarter.start, quarter.first_month) == quarter


@given(quarters, st.integers(-50, 50))
def test_plus_and_minus_agree(quarter, count):
    assert quarter.plus(count).minus(quarter) == count


def test_horizons():
    assert [horizon_of(i) for i in range(5)] == [NOW, NEXT, NEXT, LATER, LATER]
    assert horizon_of(None) == NOT_SCHEDULED
    assert HORIZON_LABELS[NOT_SCHEDULED] == "Not scheduled within the plan"
