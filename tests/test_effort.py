from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.effort import DEFAULT_BANDS, band_descriptions, effort_level, validate_bands


@pytest.mark.parametrize(
    ("days", "level"),
    [(0, 1), (5, 1), (Decimal("5.5"), 2), (20, 2), (21, 3), (60, 3), (90, 4), (120, 4), (121, 5)],
)
def test_default_bands_give_the_documented_levels(days, level):
    assert effort_level(days) == level


@given(st.floats(min_value=0, max_value=10_000), st.floats(min_value=0, max_value=10_000))
def test_more_days_never_means_less_effort(a, b):
    low, high = sorted((a, b))
    assert effort_level(low) <= effort_level(high)


def test_descriptions_name_each_band_limit():
    texts = band_descriptions(DEFAULT_BANDS)
    assert texts[0].startswith("Up to 5 team-days")
    assert texts[-1].startswith("Over 120 team-days")
    assert len(texts) == 5


@pytest.mark.parametrize(
    ("bands", "message"),
    [
        ((5, 20, 60), "Give 4 band limits"),
        ((0, 20, 60, 120), "more than 0"),
        ((5, 20, 20, 120), "larger than the one before"),
    ],
)
def test_bad_bands_are_refused_with_a_reason(bands, message):
    with pytest.raises(ValueError, match=message):
        validate_bands(bands)
